package workflows

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// FlagBook answers flag evaluations from memory. It holds a snapshot of
// every experiment's flag, which Refresh rebuilds from the store (Run does
// so every RefreshEvery, and the service after each change it makes), so
// an evaluation never waits on SQLite, on a lock or on an analysis. An
// evaluation of a unit in a running experiment's rollout hands its
// exposure to Exposures, which records it later, in batches.
type FlagBook struct {
	Service   *Service
	Exposures *ExposureLog // nil: evaluations record nothing
	Log       *slog.Logger

	snap    atomic.Pointer[FlagSnapshot]
	refresh sync.Mutex // one rebuild at a time
}

// FlagSnapshot is every flag at one moment. It is immutable.
type FlagSnapshot struct {
	flags []Flag
	byKey map[string]int
	keys  []string
	// body is the flags document, {"flags": [...]}, and etag its strong
	// entity tag: the quoted hex SHA-256 of body.
	body []byte
	etag string
}

// Flags returns every flag, by key. The caller must not change them.
func (s *FlagSnapshot) Flags() []Flag { return s.flags }

// Flag returns the flag with the key.
func (s *FlagSnapshot) Flag(key string) (Flag, bool) {
	i, ok := s.byKey[key]
	if !ok {
		return Flag{}, false
	}
	return s.flags[i], true
}

// Body returns the flags document and its ETag.
func (s *FlagSnapshot) Body() ([]byte, string) { return s.body, s.etag }

// NotFound is the error for an unknown flag key, with the closest key as a
// hint.
func (s *FlagSnapshot) NotFound(key string) *Error {
	err := Errorf(ENOTFOUND, "no experiment %q", key)
	if c := Closest(key, s.keys); c != "" {
		return err.WithHint("did you mean %q?", c)
	}
	return err
}

func newFlagSnapshot(flags []Flag) (*FlagSnapshot, error) {
	s := &FlagSnapshot{flags: flags, byKey: make(map[string]int, len(flags))}
	for i, f := range flags {
		s.byKey[f.Key] = i
		s.keys = append(s.keys, f.Key)
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string][]Flag{"flags": flags}); err != nil {
		return nil, fmt.Errorf("flags: encode: %w", err)
	}
	sum := sha256.Sum256(body.Bytes())
	s.body, s.etag = body.Bytes(), `"`+hex.EncodeToString(sum[:])+`"`
	return s, nil
}

// Snapshot returns the current snapshot, or nil before the first Refresh.
func (b *FlagBook) Snapshot() *FlagSnapshot { return b.snap.Load() }

// Refresh rebuilds the snapshot from the store; readers keep the old one
// until the new one is in place.
func (b *FlagBook) Refresh(ctx context.Context) error {
	b.refresh.Lock()
	defer b.refresh.Unlock()
	flags := []Flag{}
	err := b.Service.Store.View(ctx, func(tx Tx) error {
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		byKey := map[string]Team{}
		for _, t := range teams {
			byKey[t.Key] = t
		}
		exps, err := tx.Experiments(ExperimentFilter{})
		for _, e := range exps {
			flags = append(flags, NewFlag(e, byKey[e.Team]))
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("flags: refresh: %w", err)
	}
	s, err := newFlagSnapshot(flags)
	if err != nil {
		return err
	}
	if old := b.snap.Load(); old == nil || old.etag != s.etag {
		b.snap.Store(s)
	}
	return nil
}

// SetFlags replaces the snapshot with flags, as if the store held them.
func (b *FlagBook) SetFlags(flags []Flag) error {
	s, err := newFlagSnapshot(flags)
	if err != nil {
		return err
	}
	b.snap.Store(s)
	return nil
}

// Watch makes the service refresh the book's snapshot right after each of
// its transactions that wrote an experiment or a team commits, so that an
// in-process change (a ship, a kill, a rollout step, an apply) is in the
// next evaluation. Changes by other processes arrive with Run's polling.
func (b *FlagBook) Watch() {
	b.Service.Store = &watchStore{Store: b.Service.Store, book: b}
}

type watchStore struct {
	Store
	book *FlagBook
}

func (w *watchStore) Update(ctx context.Context, fn func(Tx) error) error {
	dirty := false
	err := w.Store.Update(ctx, func(tx Tx) error {
		dirty = false // a retried transaction starts clean
		return fn(watchTx{Tx: tx, dirty: &dirty})
	})
	if err == nil && dirty {
		if rerr := w.book.Refresh(context.WithoutCancel(ctx)); rerr != nil {
			w.book.Log.Error("flags refresh failed; the next poll retries", "err", rerr)
		}
	}
	return err
}

// watchTx notes writes of what flags are made of.
type watchTx struct {
	Tx
	dirty *bool
}

func (t watchTx) PutExperiment(e Experiment) error { *t.dirty = true; return t.Tx.PutExperiment(e) }
func (t watchTx) PutTeam(team Team) error          { *t.dirty = true; return t.Tx.PutTeam(team) }

// RefreshEvery is how often Run rebuilds the snapshot, which picks up
// changes made by other processes (growthbot apply, a CLI decision).
const RefreshEvery = time.Second

// Run refreshes the snapshot every interval until ctx is done.
func (b *FlagBook) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
				b.Log.Error("flags refresh failed; evaluations use the previous snapshot", "err", err)
			}
		}
	}
}

// EvalOptions are an evaluation's options.
type EvalOptions struct {
	// NoExposure switches off recording the exposure (the request's
	// growthbot_log_exposure: false).
	NoExposure bool
}

// Evaluate returns the variant unit gets in the experiment key, from the
// snapshot, and hands its exposure to the exposure log. Errors: ENOTFOUND
// for an unknown key (with the closest as a hint), EINVALID for an empty
// unit, EINTERNAL before the first snapshot.
func (b *FlagBook) Evaluate(key, unit string, opts EvalOptions) (Assignment, error) {
	s := b.snap.Load()
	if s == nil {
		return Assignment{}, Errorf(EINTERNAL, "the flags are not loaded yet")
	}
	f, ok := s.Flag(key)
	if !ok {
		return Assignment{}, s.NotFound(key)
	}
	if unit == "" {
		return Assignment{}, Errorf(EINVALID, "give the unit to evaluate")
	}
	a := f.AssignAt(unit, b.Service.Clock.Now())
	b.Expose(f, a, opts)
	return a, nil
}

// Expose hands an assignment's exposures to the exposure log: the
// experiment's, when the unit is in it and the experiment logs exposures,
// and the team holdout's, while it is active.
func (b *FlagBook) Expose(f Flag, a Assignment, opts EvalOptions) {
	if b.Exposures == nil || opts.NoExposure {
		return
	}
	now := b.Service.Clock.Now()
	if a.InExperiment && f.LogExposures {
		b.Exposures.Record(Exposure{UnitID: a.UnitID, Experiment: f.Key, Variant: a.Variant, At: now})
	}
	if a.HoldoutActive {
		v := HoldoutRest
		if a.InHoldout {
			v = HoldoutVariant
		}
		b.Exposures.Record(Exposure{UnitID: a.UnitID, Experiment: f.Holdout.experiment(f.Team), Variant: v, At: now})
	}
}

// The variants of a holdout's exposures.
const (
	HoldoutVariant = "holdout"
	HoldoutRest    = "rest"
)

// ExposureLog records exposures in batches, off the evaluation's path.
// Record only appends to a list in memory; Run writes the list to the
// store every FlushEvery, or sooner when it grows. Each unit and
// experiment is written once: the log remembers what it has taken (up to
// MaxSeen pairs, then it starts over), and the store keeps the earliest
// exposure of a unit.
type ExposureLog struct {
	Service *Service
	Log     *slog.Logger
	// FlushEvery and FlushSize tune batching; MaxPending bounds the list
	// while the store cannot be written: beyond it exposures are dropped
	// and counted in Dropped.
	FlushEvery, FlushSize, MaxPending, MaxSeen int

	mu      sync.Mutex
	pending []Exposure
	seen    map[uint64]uint64 // see seenKey
	seeds   [2]maphash.Seed
	kick    chan struct{}
	once    sync.Once
	written atomic.Int64
	dropped atomic.Int64
	// flushing serializes flushes (Run's and Flush's).
	flushing sync.Mutex
}

// Defaults of ExposureLog.
const (
	DefaultExposureFlushMillis = 200
	DefaultExposureFlushSize   = 2000
	DefaultExposureMaxPending  = 1_000_000
	DefaultExposureMaxSeen     = 2_000_000
)

func (l *ExposureLog) init() {
	l.once.Do(func() {
		l.kick = make(chan struct{}, 1)
		l.seen = map[uint64]uint64{}
		l.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
		if l.FlushEvery <= 0 {
			l.FlushEvery = DefaultExposureFlushMillis
		}
		if l.FlushSize <= 0 {
			l.FlushSize = DefaultExposureFlushSize
		}
		if l.MaxPending <= 0 {
			l.MaxPending = DefaultExposureMaxPending
		}
		if l.MaxSeen <= 0 {
			l.MaxSeen = DefaultExposureMaxSeen
		}
	})
}

// seenKey returns two independent 64-bit hashes of an exposure's
// experiment and unit: the log remembers the exposures it took as
// seen[key] == check. A map of numbers holds no pointers, so the garbage
// collector never scans it, and it keeps no unit's string alive. Only two
// pairs whose hashes both agree (a chance of about 2^-128) would make the
// log take an exposure for one it has: when just the keys agree, the newer
// pair takes the entry, and the older, should it come again, is taken
// again, which the store, keeping one row, makes harmless.
func (l *ExposureLog) seenKey(experiment, unit string) (key, check uint64) {
	var buf [160]byte
	b := append(append(append(buf[:0], experiment...), 0), unit...)
	return maphash.Bytes(l.seeds[0], b), maphash.Bytes(l.seeds[1], b)
}

// Record takes an exposure to write later; it never blocks on the store.
func (l *ExposureLog) Record(e Exposure) {
	l.init()
	key, check := l.seenKey(e.Experiment, e.UnitID)
	l.mu.Lock()
	if c, ok := l.seen[key]; ok && c == check {
		l.mu.Unlock()
		return
	}
	if len(l.pending) >= l.MaxPending {
		l.mu.Unlock()
		l.dropped.Add(1)
		return
	}
	if len(l.seen) >= l.MaxSeen {
		clear(l.seen) // the store still keeps one row per unit
	}
	l.seen[key] = check
	l.pending = append(l.pending, e)
	full := len(l.pending) >= l.FlushSize
	l.mu.Unlock()
	if full {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

// Written and Dropped count the exposures written and dropped so far.
func (l *ExposureLog) Written() int64 { return l.written.Load() }

// Dropped counts exposures refused because too many were waiting.
func (l *ExposureLog) Dropped() int64 { return l.dropped.Load() }

// Pending counts the exposures waiting to be written.
func (l *ExposureLog) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending)
}

// Run writes the pending exposures in batches until ctx is done, then
// writes what is left.
func (l *ExposureLog) Run(ctx context.Context) error {
	l.init()
	t := time.NewTicker(time.Duration(l.FlushEvery) * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			return l.Flush(final)
		case <-t.C:
		case <-l.kick:
		}
		if err := l.Flush(ctx); err != nil && ctx.Err() == nil {
			l.Log.Error("writing exposures failed; they wait for the next try", "err", err)
		}
	}
}

// Flush writes every pending exposure now. On failure they stay pending,
// in order.
func (l *ExposureLog) Flush(ctx context.Context) error {
	l.init()
	l.flushing.Lock()
	defer l.flushing.Unlock()
	for {
		l.mu.Lock()
		batch := l.pending
		l.pending = nil
		l.mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		if err := l.Service.RecordExposures(ctx, batch); err != nil {
			l.mu.Lock()
			l.pending = append(batch, l.pending...)
			l.mu.Unlock()
			return err
		}
		l.written.Add(int64(len(batch)))
	}
}

// RecordExposures stores exposures, each once per experiment and unit.
func (s *Service) RecordExposures(ctx context.Context, rows []Exposure) error {
	return s.Store.Update(ctx, func(tx Tx) (err error) {
		w, err := tx.ExposureWriter()
		if err != nil {
			return err
		}
		defer closeWriter(w, &err)
		for chunk := range slices.Chunk(rows, 5000) {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	})
}
