package workflows

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Exposure records that a unit saw a variant of an experiment.
type Exposure struct {
	UnitID     string
	Experiment string
	Variant    string
	At         time.Time
}

// Event is something a unit did, with a value (1 unless it says otherwise).
type Event struct {
	UnitID string
	Name   string
	Value  float64
	At     time.Time
	// Team is the team the event belongs to: the one the input names, or
	// else the one whose teams[].events matches its name or unit (see
	// Team.Events); empty for an event of no team. A team's computed KPIs
	// count its own events.
	Team string
}

// ImportKind names what an import brings in.
type ImportKind string

// Import kinds.
const (
	ImportExposures ImportKind = "exposures"
	ImportEvents    ImportKind = "events"
	ImportKPIs      ImportKind = "kpis"
)

// ImportKinds lists every import kind.
var ImportKinds = []ImportKind{ImportExposures, ImportEvents, ImportKPIs}

// importColumns are the columns of each kind, in the order of the row
// type's fields: the keys of a JSON object or the names in a CSV header,
// and what a problem's Field names.
var importColumns = map[ImportKind][]string{
	ImportExposures: {"unit_id", "experiment", "variant", "timestamp"},
	ImportEvents:    {"unit_id", "event", "value", "timestamp", "team"},
	ImportKPIs:      {"team", "name", "period", "value"},
}

// Columns returns the columns an import of this kind has. Rows.Reject
// and Rows.Decoded number them in this order.
func (k ImportKind) Columns() []string { return importColumns[k] }

// The columns of each kind, by number.
const (
	colUnit, colExperiment, colVariant, colExposureAt = 0, 1, 2, 3
	colEventAt, colEventTeam                          = 3, 4
	colTeam, colKPIName, colPeriod                    = 0, 1, 2
)

// ParseImportKind reads the name of an import kind.
func ParseImportKind(s string) (ImportKind, error) {
	var names []string
	for _, k := range ImportKinds {
		if string(k) == s {
			return k, nil
		}
		names = append(names, string(k))
	}
	err := Errorf(EINVALID, "cannot import %q: import exposures, events or kpis", s)
	if c := Closest(s, names); c != "" {
		return "", err.WithHint("did you mean %q?", c)
	}
	return "", err
}

// Import limits, which the decoders (package workflows/codec) hold rows
// to as they read them.
const (
	MaxUnitIDBytes = 256
	MaxNameBytes   = 200
	// MaxReportedProblems is how many problems an ImportError lists; the
	// rest are counted.
	MaxReportedProblems = 10
	// importBatchRows is how many rows travel together from the decoder to
	// the store, which sorts a batch of events into the table's key order
	// and splits it into multi-row statements of 512 rows. Sorted in
	// batches this large, events that arrive out of time order import with
	// a third less CPU than in batches of 2,048; the four batches in flight
	// take about 12 MB.
	importBatchRows = 32768
	progressEvery   = 1 << 14
)

// Timestamps before 2000, or more than a day after the service's clock, are
// refused: they are almost always milliseconds sent as seconds (or the
// reverse), or a sender's broken clock, and once stored they would silently
// fall outside every analysis window.
var earliestTimestamp = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const futureTolerance = 24 * time.Hour

// Rows are one input's rows of type T (Exposure, Event or KPIPoint),
// decoded from a wire format by package workflows/codec. Import reads them
// on a goroutine of its own while it stores, applies the domain's rules to
// each row, and reports the problems of both by the input's own positions
// (file, line and column; or a Segment call and its field).
type Rows[T any] interface {
	// Next decodes the next row into *row; it returns false at the end of
	// the input, or when reading fails (see Err). A row with a problem in
	// its encoding is returned too, the problem recorded and the column
	// left out (see Decoded), so that the problems of its other columns
	// are found as well.
	Next(row *T) bool
	// Decoded reports whether column col (see ImportKind.Columns) of the
	// last row was decoded without a problem.
	Decoded(col int) bool
	// Reject records a problem with column col of the last row.
	Reject(col int, format string, args ...any)
	// Literal returns column col of the last row as the input wrote it,
	// for messages: a string quoted, a number as it was.
	Literal(col int) string
	// Problems returns the problems recorded so far, by the decoder and
	// by Reject.
	Problems() *ProblemList
	// Err returns the read error that ended Next, if any.
	Err() error
}

// ProblemList collects what is wrong with an input: the first
// MaxReportedProblems in full, the rest only counted, so that a file of
// ten million bad rows costs no memory.
type ProblemList struct {
	List  []RowProblem
	Total int
}

// Add records a problem.
func (p *ProblemList) Add(problem RowProblem) {
	p.Total++
	if len(p.List) < MaxReportedProblems {
		p.List = append(p.List, problem)
	}
}

// ImportOptions tune an import.
type ImportOptions struct {
	// MaxRows refuses an input with more rows than this with a
	// *LimitError; 0 means no limit.
	MaxRows int
	// Progress, when set, is called now and then with the number of rows
	// read so far, from another goroutine.
	Progress func(rows int64)
}

// ImportReport says what an import did.
type ImportReport struct {
	Kind   ImportKind
	Source string
	// Read counts the rows in the input.
	Read int64
	// Imported counts the rows stored, KPI corrections included.
	Imported int64
	// Duplicates counts rows already stored, or repeated in the input.
	Duplicates int64
	Duration   time.Duration
}

// RowProblem is one thing wrong with one row of an import. Column is the
// byte column where the value starts in a JSON line, or the column number
// in a CSV row.
type RowProblem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ImportError refuses an import as a whole: nothing was imported. It lists
// the first problems and counts the rest.
type ImportError struct {
	Source   string
	Problems []RowProblem
	Total    int
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem%s, nothing imported:", e.Source, e.Total, plural(e.Total))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s:%d:%d: %s", e.Source, p.Line, p.Column, p.Message)
	}
	if more := e.Total - len(e.Problems); more > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more problem%s", more, plural(more))
	}
	return b.String()
}

// Unwrap makes an ImportError an EINVALID domain error.
func (e *ImportError) Unwrap() error { return &Error{Code: EINVALID, Message: e.Error()} }

// importError returns the ImportError of an input's problems, sorted by
// where they are; nil when there are none.
func importError(source string, p *ProblemList) error {
	if p.Total == 0 {
		return nil
	}
	list := slices.Clone(p.List)
	slices.SortStableFunc(list, func(a, b RowProblem) int { return cmp.Or(a.Line-b.Line, a.Column-b.Column) })
	return &ImportError{Source: source, Problems: list, Total: p.Total}
}

// LimitError refuses an input with more rows than its caller accepts.
type LimitError struct {
	Source  string
	MaxRows int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s has more than %d rows, nothing imported: send at most %d at a time", e.Source, e.MaxRows, e.MaxRows)
}

// Unwrap makes a LimitError an EINVALID domain error.
func (e *LimitError) Unwrap() error { return &Error{Code: EINVALID, Message: e.Error()} }

// ImportExposures stores decoded exposures in one transaction, streaming:
// memory does not grow with the input. Source names the input in
// messages. Each row's experiment and variant must exist and its timestamp
// must be plausible (see earliestTimestamp). Duplicates are counted, not
// stored again; of a unit's exposures to an experiment the earliest wins.
//
// Errors: an *ImportError (EINVALID) when any row is bad, naming the line
// and column of the first problems, and then nothing is imported; a
// *LimitError (EINVALID) above opts.MaxRows; the input's read error,
// wrapped; ctx's error when it ends while the import waits for its turn.
//
// Imports run one at a time, each waiting for the one before to finish;
// see importGate. The report's Duration leaves the wait out.
func (s *Service) ImportExposures(ctx context.Context, rows Rows[Exposure], source string, opts ImportOptions) (ImportReport, error) {
	return s.importAll(ctx, ImportExposures, source, rows.Problems(), func(tx Tx) (importCounts, error) {
		return importExposures(ctx, tx, rows, opts)
	})
}

// ImportEvents stores decoded events in one transaction, as
// ImportExposures does exposures. An event identical to a stored one is a
// duplicate.
func (s *Service) ImportEvents(ctx context.Context, rows Rows[Event], source string, opts ImportOptions) (ImportReport, error) {
	return s.importAll(ctx, ImportEvents, source, rows.Problems(), func(tx Tx) (importCounts, error) {
		return importEvents(ctx, tx, rows, opts)
	})
}

// ImportKPIs stores decoded KPI points in one transaction, as
// ImportExposures does exposures. Each point's team must exist, its name
// be a key and its period a month or a day; a point with a new value
// replaces the stored one.
func (s *Service) ImportKPIs(ctx context.Context, rows Rows[KPIPoint], source string, opts ImportOptions) (ImportReport, error) {
	return s.importAll(ctx, ImportKPIs, source, rows.Problems(), func(tx Tx) (importCounts, error) {
		return importKPIs(ctx, tx, rows, opts)
	})
}

// importAll runs one import's store in a transaction, after the imports
// before it.
func (s *Service) importAll(ctx context.Context, kind ImportKind, source string, problems *ProblemList,
	store func(Tx) (importCounts, error)) (ImportReport, error) {
	if source == "" {
		source = "input"
	}
	report := ImportReport{Kind: kind, Source: source}
	if err := s.imports.enter(ctx); err != nil {
		return report, err
	}
	defer s.imports.leave()
	start := time.Now()
	var counts importCounts
	err := s.Store.Update(ctx, func(tx Tx) error {
		var err error
		counts, err = store(tx)
		var limit *LimitError
		switch {
		case errors.As(err, &limit):
			limit.Source = source
			return limit
		case err != nil:
			return fmt.Errorf("import %s: %w", source, err)
		}
		return importError(source, problems)
	})
	if err != nil {
		return report, err
	}
	report.Read, report.Imported, report.Duplicates = counts.read, counts.stored, counts.read-counts.stored
	report.Duration = time.Since(start)
	s.Log.Debug("imported", "kind", kind, "source", source, "read", report.Read, "imported", report.Imported,
		"duplicates", report.Duplicates, "duration", report.Duration.Round(time.Millisecond))
	return report, nil
}

func importExposures(ctx context.Context, tx Tx, rows Rows[Exposure], opts ImportOptions) (_ importCounts, err error) {
	exps, err := tx.Experiments(ExperimentFilter{})
	if err != nil {
		return importCounts{}, err
	}
	rules := &exposureRules{now: tx.Now(), experiments: map[string]Experiment{}}
	for _, e := range exps {
		rules.experiments[e.Key] = e
		rules.keys = append(rules.keys, e.Key)
	}
	w, err := tx.ExposureWriter()
	if err != nil {
		return importCounts{}, err
	}
	defer closeWriter(w, &err)
	return importRows(ctx, rows, rules.check, w, opts)
}

func importEvents(ctx context.Context, tx Tx, rows Rows[Event], opts ImportOptions) (_ importCounts, err error) {
	w, err := tx.EventWriter()
	if err != nil {
		return importCounts{}, err
	}
	defer closeWriter(w, &err)
	teams, err := tx.Teams()
	if err != nil {
		return importCounts{}, err
	}
	rules := eventRules{now: tx.Now(), teams: NewEventTeams(teams)}
	return importRows(ctx, rows, rules.check, w, opts)
}

// eventRules check an event's time and team, and attribute an event that
// names no team to the team whose teams[].events matches it.
type eventRules struct {
	now   time.Time
	teams EventTeams
}

func (x *eventRules) check(rows Rows[Event], e *Event) {
	checkTime(rows, colEventAt, e.At, x.now)
	switch {
	case !rows.Decoded(colEventTeam):
	case e.Team != "":
		if !slices.Contains(x.teams.keys, e.Team) {
			rows.Reject(colEventTeam, "%s", suggest(fmt.Sprintf("team %q does not exist", e.Team), e.Team, x.keys(), ""))
		}
	default:
		e.Team = x.teams.Attribute(e.Name, e.UnitID)
	}
}

func (x *eventRules) keys() []string { return x.teams.keys }

func importKPIs(ctx context.Context, tx Tx, rows Rows[KPIPoint], opts ImportOptions) (_ importCounts, err error) {
	teams, err := tx.Teams()
	if err != nil {
		return importCounts{}, err
	}
	rules := &kpiRules{teams: map[string]bool{}}
	for _, t := range teams {
		rules.teams[t.Key] = true
		rules.keys = append(rules.keys, t.Key)
	}
	w, err := tx.KPIWriter()
	if err != nil {
		return importCounts{}, err
	}
	defer closeWriter(w, &err)
	return importRows(ctx, rows, rules.check, w, opts)
}

// importGate lets one import at a time take the store's writer. An import
// holds the writer for all its rows, while a button press or a command
// holds it for a millisecond; and the store's pool hands the writer to a
// random waiter, not the first. With every import of a burst waiting for
// the writer, a press could wait behind all of them, past the three
// seconds Slack gives it. Queued here instead, the imports leave at most
// one of their number in the writer's queue, so a press waits for at most
// about one import.
type importGate struct {
	once sync.Once
	slot chan struct{}
}

// enter waits for the import before to finish, or for ctx to end.
func (g *importGate) enter(ctx context.Context) error {
	g.once.Do(func() { g.slot = make(chan struct{}, 1) })
	select {
	case g.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *importGate) leave() { <-g.slot }

// closeWriter closes a writer, adding a failure to the import's error.
func closeWriter(w interface{ Close() error }, err *error) {
	*err = errors.Join(*err, w.Close())
}

type importCounts struct{ read, stored int64 }

// importRows decodes and checks rows on one goroutine while the caller's
// goroutine stores them, so that decoding and SQLite each get a core. Once
// any row has a problem nothing more is stored (the transaction will roll
// back), but decoding goes on to count the problems.
func importRows[T any](ctx context.Context, rows Rows[T], check func(Rows[T], *T), w BatchWriter[T], opts ImportOptions) (importCounts, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// At most four batches exist: one being filled, two queued, one being
	// written. free never blocks.
	full := make(chan []T, 2)
	free := make(chan []T, 4)
	var read int64
	var readErr error
	go func() {
		defer close(full)
		read, readErr = checkRows(ctx, rows, check, full, free, opts)
	}()
	var stored int64
	var writeErr error
	for batch := range full {
		if writeErr == nil {
			n, err := w.Write(batch)
			stored += int64(n)
			if err != nil {
				writeErr = err
				cancel()
			}
		}
		free <- batch[:0]
	}
	// full is closed: checkRows has returned and its results are visible.
	if writeErr != nil {
		return importCounts{}, writeErr
	}
	if readErr != nil {
		return importCounts{}, readErr
	}
	return importCounts{read: read, stored: stored}, nil
}

func checkRows[T any](ctx context.Context, rows Rows[T], check func(Rows[T], *T), full, free chan []T, opts ImportOptions) (int64, error) {
	take := func() []T {
		select {
		case b := <-free:
			return b
		default:
			return make([]T, 0, importBatchRows)
		}
	}
	send := func(b []T) error {
		select {
		case full <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	problems := rows.Problems()
	batch := take()
	var row T
	var read int64
	for rows.Next(&row) {
		read++
		if opts.MaxRows > 0 && read > int64(opts.MaxRows) {
			return read, &LimitError{MaxRows: opts.MaxRows}
		}
		if read%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return read, err
			}
			if opts.Progress != nil {
				opts.Progress(read)
			}
		}
		check(rows, &row)
		if problems.Total > 0 {
			continue
		}
		batch = append(batch, row)
		if len(batch) == cap(batch) {
			if err := send(batch); err != nil {
				return read, err
			}
			batch = take()
		}
	}
	if err := rows.Err(); err != nil {
		return read, fmt.Errorf("read: %w", err)
	}
	if opts.Progress != nil {
		opts.Progress(read)
	}
	if problems.Total == 0 && len(batch) > 0 {
		return read, send(batch)
	}
	return read, nil
}

// checkTime refuses a decoded timestamp before 2000 or more than a day
// after the clock.
func checkTime[T any](rows Rows[T], col int, t, now time.Time) {
	if !rows.Decoded(col) {
		return
	}
	switch {
	case t.Before(earliestTimestamp):
		rows.Reject(col, "timestamp %s is before 2000, which growthbot takes for a mistake", rows.Literal(col))
	case t.After(now.Add(futureTolerance)):
		rows.Reject(col, "timestamp %s is more than a day after growthbot's clock (%s): check the sender's clock",
			rows.Literal(col), now.UTC().Format(time.RFC3339))
	}
}

// suggest adds to a message about an unknown word the candidate it is
// most likely a typo of or, when there is none and listName is set, the
// list of candidates.
func suggest(msg, word string, candidates []string, listName string) string {
	if c := Closest(word, candidates); c != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", c)
	}
	if listName != "" {
		return msg + " (" + listName + ": " + strings.Join(candidates, ", ") + ")"
	}
	return msg
}

// exposureRules check that an exposure's experiment and variant exist.
type exposureRules struct {
	now         time.Time
	experiments map[string]Experiment
	keys        []string
}

func (x *exposureRules) check(rows Rows[Exposure], row *Exposure) {
	if rows.Decoded(colExperiment) {
		e, found := x.experiments[row.Experiment]
		switch {
		case !found:
			rows.Reject(colExperiment, "%s", suggest(fmt.Sprintf("experiment %q does not exist", row.Experiment), row.Experiment, x.keys, ""))
		case rows.Decoded(colVariant) && !slices.ContainsFunc(e.Variants, func(v Variant) bool { return v.Key == row.Variant }):
			var keys []string
			for _, v := range e.Variants {
				keys = append(keys, v.Key)
			}
			msg := fmt.Sprintf("experiment %q has no variant %q", e.Key, row.Variant)
			rows.Reject(colVariant, "%s", suggest(msg, row.Variant, keys, "variants"))
		}
	}
	checkTime(rows, colExposureAt, row.At, x.now)
}

// kpiRules check that a KPI point's team exists, its name is a key and
// its period a month or a day.
type kpiRules struct {
	teams map[string]bool
	keys  []string
}

func (x *kpiRules) check(rows Rows[KPIPoint], row *KPIPoint) {
	if rows.Decoded(colTeam) && !x.teams[row.Team] {
		rows.Reject(colTeam, "%s", suggest(fmt.Sprintf("team %q does not exist", row.Team), row.Team, x.keys, ""))
	}
	// A KPI name is a key (targets, the review's rows and charts name KPIs
	// by it), so it is held to the shape of keys.
	if rows.Decoded(colKPIName) && !keyPattern.MatchString(row.Name) {
		rows.Reject(colKPIName, "KPI name %q: a KPI name is a key: use lower-case letters, digits, - and _ (at most 63), e.g. new_mrr", row.Name)
	}
	if rows.Decoded(colPeriod) {
		if _, err := ParsePeriod(row.Period); err != nil {
			rows.Reject(colPeriod, "%s", ErrorMessage(err))
		}
	}
}
