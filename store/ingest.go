package store

import (
	"cmp"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/growthbot/growthbot/workflows"
)

// unitID returns the integer id of a unit's key (see 0002_ingest.sql) and
// a second, independent 64 bits of the same hash that tell a collision in
// the id from the same key seen again.
func unitID(key string) (id int64, check uint64) {
	sum := sha256.Sum256([]byte(key))
	return int64(binary.BigEndian.Uint64(sum[:8])), binary.BigEndian.Uint64(sum[8:16])
}

// Bulk writes.
const (
	// rowsPerStatement: with modernc.org/sqlite, one INSERT of 512 rows
	// costs a fraction of 512 single-row INSERTs, and 512 rows of 4
	// columns stay far below SQLite's limit on parameters. A power of two:
	// see batchStmt.
	rowsPerStatement = 512
	// importCacheKiB is the page cache an import uses (64 MiB, against
	// SQLite's default 2 MiB): exposures and units go to random places in
	// their trees, which then stay in memory instead of being read back.
	importCacheKiB = 64 << 10
	// maxSeenUnits bounds the memory an exposure writer spends remembering
	// the units it has stored; past it, it forgets them and reads the units
	// table again.
	maxSeenUnits = 2 << 20
)

// batchStmt is a statement with a list of n tuples, head (tuple, ...)
// tail, prepared once per n for the transaction: parsing the SQL again
// for each batch cost an import a tenth of its time. n is a power of two
// up to rowsPerStatement, so that an import prepares at most ten of them:
// each takes memory, and a prepared statement for every n up to 512 once
// took 50 MB.
type batchStmt struct {
	t                 *Tx
	head, tuple, tail string
	stmts             map[int]*sql.Stmt
}

func newBatchStmt(t *Tx, head, tuple, tail string) *batchStmt {
	return &batchStmt{t: t, head: head, tuple: tuple, tail: tail, stmts: map[int]*sql.Stmt{}}
}

func (b *batchStmt) stmt(n int) (*sql.Stmt, error) {
	if st := b.stmts[n]; st != nil {
		return st, nil
	}
	q := b.head + strings.TrimSuffix(strings.Repeat(b.tuple+", ", n), ", ") + b.tail
	st, err := b.t.tx.PrepareContext(b.t.ctx, q)
	if err != nil {
		return nil, err
	}
	b.stmts[n] = st
	return st, nil
}

// rowsOf runs the statement for the values of an IN list, after the fixed
// arguments. It repeats the last value up to a power of two, which leaves
// what the IN list matches as it was.
func (b *batchStmt) rowsOf(fixed, values []any) (*sql.Rows, error) {
	n := powerOfTwo(len(values))
	st, err := b.stmt(n)
	if err != nil {
		return nil, err
	}
	args := append(slices.Clip(fixed), values...)
	for range n - len(values) {
		args = append(args, values[len(values)-1])
	}
	return st.QueryContext(b.t.ctx, args...)
}

// powerOfTwo returns the least power of two at least n, for n >= 1.
func powerOfTwo(n int) int { return 1 << bits.Len(uint(n-1)) }

// lowerPowerOfTwo returns the greatest power of two at most n, for n >= 1.
func lowerPowerOfTwo(n int) int { return 1 << (bits.Len(uint(n)) - 1) }

func (b *batchStmt) close() error {
	var errs []error
	for _, st := range b.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// bulkInsert runs an INSERT of many rows at once.
type bulkInsert struct {
	*batchStmt
	width int
	args  []any
}

// newBulkInsert prepares "insert (columns) VALUES (...), ... tail", where
// insert is like "INSERT OR IGNORE INTO events".
func newBulkInsert(t *Tx, insert, columns, tail string) *bulkInsert {
	width := strings.Count(columns, ",") + 1
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	return &bulkInsert{batchStmt: newBatchStmt(t, insert+" ("+columns+") VALUES ", tuple, " "+tail), width: width}
}

// flush inserts the rows whose values were appended to b.args and returns
// how many rows changed.
func (b *bulkInsert) flush() (int64, error) {
	var changed int64
	args := b.args
	b.args = b.args[:0]
	for len(args) > 0 {
		rows := lowerPowerOfTwo(min(len(args)/b.width, rowsPerStatement))
		st, err := b.stmt(rows)
		if err != nil {
			return changed, err
		}
		res, err := st.ExecContext(b.t.ctx, args[:rows*b.width]...)
		if err != nil {
			return changed, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return changed, err
		}
		changed += n
		args = args[rows*b.width:]
	}
	return changed, nil
}

// importWriter is what the three writers share: the import's page cache,
// and closing.
type importWriter struct {
	t         *Tx
	cacheKiB  int64 // the connection's page cache before the import
	rows      *bulkInsert
	tableName string
}

func newImportWriter(t *Tx, table, insert, columns, tail string) (*importWriter, error) {
	w := &importWriter{t: t, tableName: table, rows: newBulkInsert(t, insert, columns, tail)}
	if err := t.queryRow(`PRAGMA cache_size`).Scan(&w.cacheKiB); err != nil {
		return nil, fmt.Errorf("store: %s writer: %w", table, err)
	}
	if _, err := t.exec(cacheSizePragma(-importCacheKiB)); err != nil {
		return nil, fmt.Errorf("store: %s writer: %w", table, err)
	}
	return w, nil
}

// cacheSizePragma sets the connection's page cache: in KiB when negative,
// in pages when positive. A PRAGMA takes no parameters, so the number is
// written into the statement; it is a number, so it cannot carry SQL.
func cacheSizePragma(n int64) string {
	return "PRAGMA cache_size = " + strconv.FormatInt(n, 10)
}

// flush stores the queued rows and returns how many were stored.
func (w *importWriter) flush() (int, error) {
	n, err := w.rows.flush()
	if err != nil {
		return int(n), fmt.Errorf("store: write %s: %w", w.tableName, err)
	}
	return int(n), nil
}

// Close releases the statements and gives the connection its page cache
// back.
func (w *importWriter) Close() error {
	errs := []error{w.rows.close()}
	// A negative size is in KiB, a positive one in pages: restore it as read.
	if _, err := w.t.exec(cacheSizePragma(w.cacheKiB)); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close %s writer: %w", w.tableName, err)
	}
	return nil
}

// unitKeys records the text of exposed units in the units table, once
// each, and refuses a unit whose id collides with another's.
type unitKeys struct {
	t    *Tx
	seen map[int64]uint64 // id to the check half of the hash
	ids  []any            // ids queued for the next flush
	keys map[int64]string
	// fresh holds the units the last flush stored: new to the database,
	// so that nothing else is stored about them yet.
	fresh map[int64]bool
	read  *batchStmt
	ins   *bulkInsert
}

func newUnitKeys(t *Tx) *unitKeys {
	return &unitKeys{t: t, seen: map[int64]uint64{}, keys: map[int64]string{}, fresh: map[int64]bool{},
		read: newBatchStmt(t, "SELECT id, key FROM units WHERE id IN (", "?", ")"),
		// OR IGNORE, although flush inserts only units it found missing:
		// a plain INSERT of many rows could fail halfway, as far as SQLite
		// knows, so it would keep a statement journal, a tenth of an
		// import's time in write calls.
		ins: newBulkInsert(t, "INSERT OR IGNORE INTO units", "id, key", "")}
}

func (u *unitKeys) close() error { return errors.Join(u.read.close(), u.ins.close()) }

// id returns a unit's id, queueing its key the first time it is seen.
func (u *unitKeys) id(key string) (int64, error) {
	id, check := unitID(key)
	seen, ok := u.seen[id]
	switch {
	case ok && seen != check:
		return 0, fmt.Errorf("store: unit id hash collision on %q; this import cannot be stored", key)
	case ok:
		return id, nil
	}
	if len(u.seen) >= maxSeenUnits {
		clear(u.seen)
	}
	u.seen[id] = check
	u.ids = append(u.ids, id)
	u.keys[id] = key
	return id, nil
}

// flush stores the queued keys that are new. Reading which are stored
// first, rather than INSERT OR IGNORE, finds collisions with units of
// earlier imports. The keys stay until every chunk of ids is done: a later
// chunk needs its own.
func (u *unitKeys) flush() error {
	clear(u.fresh)
	stored := map[int64]bool{}
	for len(u.ids) > 0 {
		n := min(len(u.ids), rowsPerStatement)
		rows, err := u.read.rowsOf(nil, u.ids[:n])
		if err != nil {
			return fmt.Errorf("store: read units: %w", err)
		}
		clear(stored)
		for rows.Next() {
			var id int64
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return fmt.Errorf("store: read units: %w", err)
			}
			if key != u.keys[id] {
				rows.Close()
				return fmt.Errorf("store: unit id hash collision between %q and %q; this import cannot be stored", key, u.keys[id])
			}
			stored[id] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("store: read units: %w", err)
		}
		for _, v := range u.ids[:n] {
			id := v.(int64)
			if !stored[id] && !u.fresh[id] {
				u.ins.args = append(u.ins.args, id, u.keys[id])
				u.fresh[id] = true
			}
		}
		queued := len(u.ins.args) / u.ins.width
		inserted, err := u.ins.flush()
		if err == nil && inserted != int64(queued) {
			err = fmt.Errorf("%d of %d new units were stored already", int64(queued)-inserted, queued)
		}
		if err != nil {
			return fmt.Errorf("store: write units: %w", err)
		}
		u.ids = u.ids[n:]
	}
	u.ids = u.ids[:0]
	clear(u.keys)
	return nil
}

type exposureWriter struct {
	*importWriter
	units *unitKeys
	// Per batch: each row's unit id, and the state of each key.
	ids    []int64
	keys   map[exposureKey]exposureState
	order  []exposureKey // new keys, to insert
	lookup map[string][]any
	read   *batchStmt
	move   *sql.Stmt // prepared when first needed
}

// exposureKey is the key of the exposures table.
type exposureKey struct {
	experiment string
	unit       int64
	variant    string
}

type exposureState struct {
	at     int64 // Unix milliseconds
	stored bool  // before this batch
	moved  bool  // stored, and this batch has an earlier time
}

// ExposureWriter returns a writer of exposures; see workflows.IngestStore.
func (t *Tx) ExposureWriter() (workflows.BatchWriter[workflows.Exposure], error) {
	w, err := newImportWriter(t, "exposures", "INSERT OR IGNORE INTO exposures", "experiment, unit, variant, at", "")
	if err != nil {
		return nil, err
	}
	return &exposureWriter{importWriter: w, units: newUnitKeys(t), keys: map[exposureKey]exposureState{}, lookup: map[string][]any{},
		read: newBatchStmt(t, "SELECT unit, variant, at FROM exposures WHERE experiment = ? AND unit IN (", "?", ")")}, nil
}

// Write stores exposures: the earliest of an experiment, unit and variant
// wins, whatever the order rows come in. An earlier one than stored moves
// the stored time and counts as stored; a later or equal one changes
// nothing, a duplicate.
//
// An upsert (ON CONFLICT DO UPDATE) of many rows would say this in one
// statement, but SQLite keeps a statement journal for it, in a temporary
// file: that doubled the time an import of exposures took. Instead the
// writer reads the stored times of the units the database already knows,
// decides in Go, inserts the new keys with INSERT OR IGNORE, and updates
// the few exposures that move, one statement each.
func (w *exposureWriter) Write(rows []workflows.Exposure) (int, error) {
	w.ids = w.ids[:0]
	for _, r := range rows {
		unit, err := w.units.id(r.UnitID)
		if err != nil {
			return 0, err
		}
		w.ids = append(w.ids, unit)
	}
	if err := w.units.flush(); err != nil {
		return 0, err
	}
	if err := w.readStored(rows); err != nil {
		return 0, err
	}
	// The rows in their order, as one upsert after another would take them.
	var stored int
	for i, r := range rows {
		k := exposureKey{r.Experiment, w.ids[i], r.Variant}
		at := r.At.UnixMilli()
		switch s, ok := w.keys[k]; {
		case !ok:
			w.keys[k] = exposureState{at: at}
			w.order = append(w.order, k)
			stored++
		case at < s.at:
			w.keys[k] = exposureState{at: at, stored: s.stored, moved: s.stored}
			stored++
		}
	}
	if err := w.write(); err != nil {
		return 0, err
	}
	return stored, nil
}

// readStored loads the stored exposures of the batch's units that are not
// new to the database.
func (w *exposureWriter) readStored(rows []workflows.Exposure) error {
	clear(w.keys)
	clear(w.lookup)
	seen := map[exposureKey]bool{} // experiment and unit
	for i, r := range rows {
		k := exposureKey{experiment: r.Experiment, unit: w.ids[i]}
		if w.units.fresh[k.unit] || seen[k] {
			continue
		}
		seen[k] = true
		w.lookup[r.Experiment] = append(w.lookup[r.Experiment], k.unit)
	}
	for experiment, units := range w.lookup {
		for len(units) > 0 {
			n := min(len(units), rowsPerStatement)
			rows, err := w.read.rowsOf([]any{experiment}, units[:n])
			if err != nil {
				return fmt.Errorf("store: read exposures: %w", err)
			}
			for rows.Next() {
				k := exposureKey{experiment: experiment}
				var at int64
				if err := rows.Scan(&k.unit, &k.variant, &at); err != nil {
					rows.Close()
					return fmt.Errorf("store: read exposures: %w", err)
				}
				w.keys[k] = exposureState{at: at, stored: true}
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return fmt.Errorf("store: read exposures: %w", err)
			}
			units = units[n:]
		}
	}
	return nil
}

// write inserts the batch's new keys, in the table's order, and moves the
// stored ones it found earlier times for.
func (w *exposureWriter) write() error {
	slices.SortFunc(w.order, func(a, b exposureKey) int {
		return cmp.Or(strings.Compare(a.experiment, b.experiment), cmp.Compare(a.unit, b.unit), strings.Compare(a.variant, b.variant))
	})
	for _, k := range w.order {
		w.rows.args = append(w.rows.args, k.experiment, k.unit, k.variant, w.keys[k].at)
	}
	inserted, err := w.flush()
	if err == nil && inserted != len(w.order) {
		err = fmt.Errorf("store: write exposures: %d of %d new exposures were stored already", len(w.order)-inserted, len(w.order))
	}
	w.order = w.order[:0]
	if err != nil {
		return err
	}
	for k, s := range w.keys {
		if !s.moved {
			continue
		}
		if w.move == nil {
			if w.move, err = w.t.tx.PrepareContext(w.t.ctx, `UPDATE exposures SET at = ? WHERE experiment = ? AND unit = ? AND variant = ?`); err != nil {
				return fmt.Errorf("store: write exposures: %w", err)
			}
		}
		args := []any{s.at, k.experiment, k.unit, k.variant}
		res, err := w.move.ExecContext(w.t.ctx, args...)
		if err != nil {
			return fmt.Errorf("store: write exposures: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("store: write exposures: moving an exposure changed %d rows: %w", n, err)
		}
	}
	return nil
}

// Close closes the writer.
func (w *exposureWriter) Close() error {
	errs := []error{w.units.close(), w.read.close()}
	if w.move != nil {
		errs = append(errs, w.move.Close())
	}
	return errors.Join(append(errs, w.importWriter.Close())...)
}

// CountExposures counts the units exposed to an experiment; see
// workflows.IngestStore.
func (t *Tx) CountExposures(experiment string) (int, error) {
	var n int
	if err := t.queryRow(`SELECT COUNT(DISTINCT unit) FROM exposures WHERE experiment = ?`, experiment).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count exposures of %s: %w", experiment, err)
	}
	return n, nil
}

type eventWriter struct {
	*importWriter
	names map[string]int64 // event name ids
	teams map[string]int64 // event team ids
	rows  []eventKey       // the batch, to sort
}

// eventKey is a row of the events table: its key, and its team.
type eventKey struct {
	at, unit, event int64
	value           float64
	team            int64
}

func compareEvents(a, b eventKey) int {
	return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.unit, b.unit), cmp.Compare(a.event, b.event), cmp.Compare(a.value, b.value))
}

// EventWriter returns a writer of events; see workflows.IngestStore.
func (t *Tx) EventWriter() (workflows.BatchWriter[workflows.Event], error) {
	w, err := newImportWriter(t, "events", "INSERT OR IGNORE INTO events", "at, unit, event, value, team", "")
	if err != nil {
		return nil, err
	}
	names, err := t.eventNames()
	if err != nil {
		return nil, errors.Join(err, w.Close())
	}
	return &eventWriter{importWriter: w, names: names, teams: map[string]int64{}}, nil
}

// Write stores events; an event identical to a stored one is skipped.
//
// It inserts a batch in the table's key order. Rows in time order append
// to the right edge of the tree, where SQLite finds the place of each
// without a search from the root; rows out of order (uploads from many
// devices, interleaved) each take a search through pages far apart. In
// key order, those searches walk the tree from left to right instead.
func (w *eventWriter) Write(rows []workflows.Event) (int, error) {
	w.rows = w.rows[:0]
	for _, r := range rows {
		unit, _ := unitID(r.UnitID)
		name, ok := w.names[r.Name]
		if !ok {
			var err error
			if name, err = w.t.eventName(r.Name); err != nil {
				return 0, err
			}
			w.names[r.Name] = name
		}
		var team int64
		if r.Team != "" {
			var err error
			if team, err = w.teamID(r.Team); err != nil {
				return 0, err
			}
		}
		w.rows = append(w.rows, eventKey{r.At.UnixMilli(), unit, name, r.Value, team})
	}
	slices.SortFunc(w.rows, compareEvents)
	for _, r := range w.rows {
		w.importWriter.rows.args = append(w.importWriter.rows.args, r.at, r.unit, r.event, r.value, r.team)
	}
	return w.flush()
}

// teamID returns the number of an event's team, numbering it with its
// first event.
func (w *eventWriter) teamID(team string) (int64, error) {
	if id, ok := w.teams[team]; ok {
		return id, nil
	}
	var id int64
	err := w.t.queryRow(`INSERT INTO event_teams (team) VALUES (?)
		ON CONFLICT (team) DO UPDATE SET team = excluded.team RETURNING id`, team).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: event team %q: %w", team, err)
	}
	w.teams[team] = id
	return id, nil
}

// eventNames returns the ids of the event names stored so far.
func (t *Tx) eventNames() (map[string]int64, error) {
	rows, err := t.query(`SELECT id, name FROM event_names`)
	if err != nil {
		return nil, fmt.Errorf("store: event names: %w", err)
	}
	defer rows.Close()
	names := map[string]int64{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("store: event names: %w", err)
		}
		names[name] = id
	}
	return names, rows.Err()
}

// eventName returns the id of an event name, storing it if it is new.
func (t *Tx) eventName(name string) (int64, error) {
	var id int64
	err := t.queryRow(`INSERT INTO event_names (name) VALUES (?)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: event name %q: %w", name, err)
	}
	return id, nil
}

type kpiWriter struct{ *importWriter }

// KPIWriter returns a writer of KPI points; see workflows.IngestStore.
func (t *Tx) KPIWriter() (workflows.BatchWriter[workflows.KPIPoint], error) {
	// The WHERE makes an unchanged value no change at all, so that it
	// counts as a duplicate while a correction counts as stored.
	w, err := newImportWriter(t, "kpis", "INSERT INTO kpis", "team, name, period, value",
		"ON CONFLICT (team, name, period) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value")
	if err != nil {
		return nil, err
	}
	return kpiWriter{w}, nil
}

// Write inserts KPI points or corrects their values.
func (w kpiWriter) Write(rows []workflows.KPIPoint) (int, error) {
	for _, r := range rows {
		w.rows.args = append(w.rows.args, r.Team, r.Name, r.Period, r.Value)
	}
	return w.flush()
}
