package store

import (
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
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
	// rowsPerStatement: with modernc.org/sqlite, one INSERT of 500 rows
	// costs a fraction of 500 single-row INSERTs, and 500 rows of 4
	// columns stay far below SQLite's limit on parameters.
	rowsPerStatement = 500
	// importCacheKiB is the page cache an import uses (64 MiB, against
	// SQLite's default 2 MiB): exposures and units go to random places in
	// their trees, which then stay in memory instead of being read back.
	importCacheKiB = 64 << 10
	// maxSeenUnits bounds the memory an exposure writer spends remembering
	// the units it has stored; past it, it forgets them and reads the units
	// table again.
	maxSeenUnits = 2 << 20
)

// bulkInsert runs an INSERT of many rows at once, prepared once per number
// of rows.
type bulkInsert struct {
	t     *Tx
	head  string // INSERT INTO t (a, b) VALUES
	tuple string // (?, ?)
	tail  string // ON CONFLICT ...
	width int
	stmts map[int]*sql.Stmt
	args  []any
}

// newBulkInsert prepares "insert (columns) VALUES (...), ... tail", where
// insert is like "INSERT OR IGNORE INTO events".
func newBulkInsert(t *Tx, insert, columns, tail string) *bulkInsert {
	width := strings.Count(columns, ",") + 1
	return &bulkInsert{
		t: t, head: insert + " (" + columns + ") VALUES ", tail: " " + tail, width: width,
		tuple: "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")", stmts: map[int]*sql.Stmt{},
	}
}

// flush inserts the rows whose values were appended to b.args and returns
// how many rows changed.
func (b *bulkInsert) flush() (int64, error) {
	var changed int64
	args := b.args
	b.args = b.args[:0]
	for len(args) > 0 {
		rows := min(len(args)/b.width, rowsPerStatement)
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

func (b *bulkInsert) stmt(rows int) (*sql.Stmt, error) {
	if st := b.stmts[rows]; st != nil {
		return st, nil
	}
	q := b.head + strings.TrimSuffix(strings.Repeat(b.tuple+", ", rows), ", ") + b.tail
	st, err := b.t.tx.PrepareContext(b.t.ctx, q)
	if err != nil {
		return nil, err
	}
	b.stmts[rows] = st
	return st, nil
}

func (b *bulkInsert) close() error {
	var errs []error
	for _, st := range b.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
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
	ins  *bulkInsert
}

func newUnitKeys(t *Tx) *unitKeys {
	return &unitKeys{t: t, seen: map[int64]uint64{}, keys: map[int64]string{}, ins: newBulkInsert(t, "INSERT INTO units", "id, key", "")}
}

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
// earlier imports.
func (u *unitKeys) flush() error {
	for len(u.ids) > 0 {
		n := min(len(u.ids), rowsPerStatement)
		rows, err := u.t.query(`SELECT id, key FROM units WHERE id IN (?`+strings.Repeat(", ?", n-1)+`)`, u.ids[:n]...)
		if err != nil {
			return fmt.Errorf("store: read units: %w", err)
		}
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
			delete(u.keys, id)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("store: read units: %w", err)
		}
		for _, id := range u.ids[:n] {
			if key, ok := u.keys[id.(int64)]; ok {
				u.ins.args = append(u.ins.args, id, key)
			}
		}
		clear(u.keys)
		if _, err := u.ins.flush(); err != nil {
			return fmt.Errorf("store: write units: %w", err)
		}
		u.ids = u.ids[n:]
	}
	u.ids = u.ids[:0]
	return nil
}

type exposureWriter struct {
	*importWriter
	units *unitKeys
}

// ExposureWriter returns a writer of exposures; see workflows.IngestStore.
func (t *Tx) ExposureWriter() (workflows.BatchWriter[workflows.Exposure], error) {
	w, err := newImportWriter(t, "exposures", "INSERT OR IGNORE INTO exposures", "experiment, unit, variant, at", "")
	if err != nil {
		return nil, err
	}
	return exposureWriter{w, newUnitKeys(t)}, nil
}

// Write stores exposures; the first one of an experiment, unit and variant
// wins.
func (w exposureWriter) Write(rows []workflows.Exposure) (int, error) {
	for _, r := range rows {
		unit, err := w.units.id(r.UnitID)
		if err != nil {
			return 0, err
		}
		w.rows.args = append(w.rows.args, r.Experiment, unit, r.Variant, r.At.UnixMilli())
	}
	if err := w.units.flush(); err != nil {
		return 0, err
	}
	return w.flush()
}

// Close closes the writer.
func (w exposureWriter) Close() error {
	return errors.Join(w.units.ins.close(), w.importWriter.Close())
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
}

// EventWriter returns a writer of events; see workflows.IngestStore.
func (t *Tx) EventWriter() (workflows.BatchWriter[workflows.Event], error) {
	w, err := newImportWriter(t, "events", "INSERT OR IGNORE INTO events", "at, unit, event, value", "")
	if err != nil {
		return nil, err
	}
	names, err := t.eventNames()
	if err != nil {
		return nil, errors.Join(err, w.Close())
	}
	return &eventWriter{importWriter: w, names: names}, nil
}

// Write stores events; an event identical to a stored one is skipped.
func (w *eventWriter) Write(rows []workflows.Event) (int, error) {
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
		w.rows.args = append(w.rows.args, r.At.UnixMilli(), unit, name, r.Value)
	}
	return w.flush()
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
