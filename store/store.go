// Package store keeps growthbot's state in one SQLite file, with
// modernc.org/sqlite (pure Go, no cgo). It implements workflows.Store.
//
// Writes go through a single connection, so write transactions are
// serialized inside the process and never see "database is locked" from each
// other; reads use a separate pool and, with WAL, never wait for writers.
// A busy timeout covers a second process on the same file.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/growthbot/growthbot/workflows"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DefaultPath is where the database lives unless --db or GROWTHBOT_DB say.
const DefaultPath = "./growthbot.db"

// DB is an open growthbot database.
type DB struct {
	path  string
	write *sql.DB
	read  *sql.DB
	// stmts caches prepared statements per pool: parsing SQL is a fifth of
	// the cost of a small transaction with modernc.org/sqlite.
	writeStmts, readStmts stmtCache
	// Now tells the time; each transaction reads it once. Tests replace it.
	Now func() time.Time
	// checkpoints copies the write-ahead log into the file, off the
	// writer's path; see checkpointer.
	checkpoints *checkpointer
	// file is the database file as it was opened. SQLite keeps writing to
	// an open file that was deleted or replaced under it, where every
	// write is lost: see CheckFile.
	file os.FileInfo
	// OnFileLost, when set, learns (once) that the file was deleted or
	// replaced, so that it can be logged.
	OnFileLost func(error)
	lostOnce   sync.Once
}

var _ workflows.Store = (*DB)(nil)

// Migration is one schema change, embedded in the binary.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations in the order they apply.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", base)
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(base, ".sql"), SQL: string(body)})
	}
	return out, nil
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date. A database written by a newer growthbot is refused.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		path = DefaultPath
	}
	db := &DB{path: path, Now: time.Now}
	var err error
	if db.write, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetConnMaxIdleTime(0)
	if db.read, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.read.SetMaxOpenConns(max(8, 2*runtime.GOMAXPROCS(0)))
	db.read.SetMaxIdleConns(max(8, 2*runtime.GOMAXPROCS(0)))
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.checkpoints, err = startCheckpointer(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if db.file, err = os.Stat(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return db, nil
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// Take the write lock at BEGIN, so that a transaction that reads then
		// writes never fails halfway through on a lock held by another process.
		q.Add("_txlock", "immediate")
		// The checkpointer copies the log in the background; a commit
		// checkpoints only as a backstop, so that the log still restarts
		// from its beginning during a long burst of writes. See checkpointer.
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", backstopCheckpointPages))
	}
	return "file:" + path + "?" + q.Encode()
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error {
	var errs []error
	if db.checkpoints != nil {
		errs = append(errs, db.checkpoints.close())
	}
	db.writeStmts.close()
	db.readStmts.close()
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers and that its file is still the
// one that was opened.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.CheckFile(); err != nil {
		return err
	}
	return db.read.PingContext(ctx)
}

// Backup writes a consistent copy of the database to a new file at out
// (SQLite's VACUUM INTO), while others go on reading and writing. The copy
// is a complete database: restoring is putting it in place of the file.
func (db *DB) Backup(ctx context.Context, out string) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("store: backup: %s exists; name a new file", out)
	}
	if _, err := db.write.ExecContext(ctx, `VACUUM INTO ?`, out); err != nil {
		return fmt.Errorf("store: back up %s to %s: %w", db.path, out, err)
	}
	return nil
}

// ErrFileLost means the database file was deleted or replaced while it was
// open: writes would go to a file nobody can open again, so none are made.
var ErrFileLost = errors.New("the database file was deleted or replaced while growthbot had it open")

// CheckFile reports ErrFileLost when the file at the database's path is
// gone or is not the file that was opened.
func (db *DB) CheckFile() error {
	if db.file == nil {
		return nil
	}
	fi, err := os.Stat(db.path)
	if err == nil && os.SameFile(fi, db.file) {
		return nil
	}
	what := "replaced"
	if errors.Is(err, fs.ErrNotExist) {
		what = "deleted"
	}
	lost := fmt.Errorf("%w: %s was %s; restart growthbot after restoring it from a backup (README: Backups): %w",
		workflows.Errorf(workflows.EINTERNAL, "growthbot's database file is gone, so nothing was done. The operator must restore it; the logs say how"),
		db.path, what, ErrFileLost)
	db.lostOnce.Do(func() {
		if db.OnFileLost != nil {
			db.OnFileLost(lost)
		}
	})
	return lost
}

// WriteFault is a way for writes to fail, for fault tests and drills.
type WriteFault int

// Write faults.
const (
	NoWriteFault WriteFault = iota // writes work
	ReadOnly                       // every write fails as on a read-only file (SQLITE_READONLY)
	DiskFull                       // the file cannot grow, as on a full disk (SQLITE_FULL)
)

// SetWriteFault makes writes fail as f says until it is set back to
// NoWriteFault, by setting pragmas on the writer's one connection. Tests
// use it because a real read-only file does not stop root, and a small
// filesystem to fill needs privileges.
func (db *DB) SetWriteFault(ctx context.Context, f WriteFault) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: set write fault: %w", err)
	}
	defer conn.Close()
	pragmas := map[WriteFault][]string{
		NoWriteFault: {`PRAGMA query_only = 0`, `PRAGMA max_page_count = 4294967294`},
		ReadOnly:     {`PRAGMA query_only = 1`},
		// The count cannot go below the file's size, so it stops at that.
		DiskFull: {`PRAGMA max_page_count = 1`},
	}[f]
	for _, p := range pragmas {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("store: set write fault: %w", err)
		}
	}
	return nil
}

// Migrate applies the embedded migrations the database lacks, each in its
// own transaction, and returns the ones it applied.
func (db *DB) Migrate(ctx context.Context) ([]Migration, error) {
	migrations, err := Migrations()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", db.path, err)
	}
	current, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	latest := migrations[len(migrations)-1].Version
	if current > latest {
		return nil, workflows.Errorf(workflows.EINVALID,
			"database %s was written by a newer growthbot (schema version %d; this binary knows up to %d): upgrade growthbot, or point --db at another file",
			db.path, current, latest)
	}
	var applied []Migration
	for _, m := range migrations {
		if m.Version <= current {
			continue
		}
		if err := db.apply(ctx, m); err != nil {
			return applied, err
		}
		applied = append(applied, m)
	}
	return applied, nil
}

func (db *DB) apply(ctx context.Context, m Migration) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %s: %w", m.Name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, formatTime(db.Now())); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.Name, err)
	}
	return nil
}

// SchemaVersion returns the version of the newest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := db.write.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version of %s: %w", db.path, err)
	}
	return int(v.Int64), nil
}

// Update runs fn in a write transaction; see workflows.Store.
func (db *DB) Update(ctx context.Context, fn func(workflows.Tx) error) error {
	if err := db.CheckFile(); err != nil {
		return err
	}
	if err := db.run(ctx, db.write, &db.writeStmts, false, fn); err != nil {
		return err
	}
	// The file may have gone during the transaction: then the commit went
	// to a file nobody will open again.
	return db.CheckFile()
}

// View runs fn in a read-only transaction; see workflows.Store.
func (db *DB) View(ctx context.Context, fn func(workflows.Tx) error) error {
	return db.run(ctx, db.read, &db.readStmts, true, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, stmts *stmtCache, readOnly bool, fn func(workflows.Tx) error) error {
	return writeFault(db.runTx(ctx, pool, stmts, readOnly, fn))
}

func (db *DB) runTx(ctx context.Context, pool *sql.DB, stmts *stmtCache, readOnly bool, fn func(workflows.Tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	t := &Tx{ctx: ctx, tx: sqlTx, now: db.Now().UTC(), stmts: stmts}
	defer func() {
		sqlTx.Rollback() // a no-op after Commit
		// Statements first seen in this transaction are prepared for next
		// time only now that it has released its connection: the writer has
		// just one.
		stmts.prepare(context.WithoutCancel(ctx), pool, t.unprepared)
	}()
	if err := fn(t); err != nil {
		return err
	}
	if readOnly {
		return nil
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if db.checkpoints != nil {
		db.checkpoints.committed()
	}
	return nil
}

// Tx is one transaction; it implements workflows.Tx.
type Tx struct {
	ctx        context.Context
	tx         *sql.Tx
	now        time.Time
	stmts      *stmtCache
	unprepared []string
}

var _ workflows.Tx = (*Tx)(nil)

// Now returns the time the transaction began.
func (t *Tx) Now() time.Time { return t.now }

// stmt returns the transaction's handle on the cached prepared statement
// for query, or nil when it is not prepared yet.
func (t *Tx) stmt(query string) *sql.Stmt {
	s := t.stmts.get(query)
	if s == nil {
		t.unprepared = append(t.unprepared, query)
		return nil
	}
	return t.tx.StmtContext(t.ctx, s)
}

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	s := t.stmt(query)
	if s == nil {
		return t.tx.ExecContext(t.ctx, query, args...)
	}
	defer s.Close()
	return s.ExecContext(t.ctx, args...)
}

func (t *Tx) query(query string, args ...any) (*sql.Rows, error) {
	s := t.stmt(query)
	if s == nil {
		return t.tx.QueryContext(t.ctx, query, args...)
	}
	// Closing the transaction's handle leaves the cached statement, and the
	// rows, usable.
	defer s.Close()
	return s.QueryContext(t.ctx, args...)
}

func (t *Tx) queryRow(query string, args ...any) *sql.Row {
	s := t.stmt(query)
	if s == nil {
		return t.tx.QueryRowContext(t.ctx, query, args...)
	}
	defer s.Close()
	return s.QueryRowContext(t.ctx, args...)
}

// stmtCache holds prepared statements by query text. The store's queries are
// a small fixed set, so it is bounded rather than evicted.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

const maxCachedStatements = 256

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// prepare prepares queries on the pool and caches them. It runs with no
// transaction open, so it never waits on itself for the writer's one
// connection. A query that fails to prepare stays unprepared.
func (c *stmtCache) prepare(ctx context.Context, pool *sql.DB, queries []string) {
	for _, q := range queries {
		c.mu.Lock()
		_, done := c.stmts[q]
		full := len(c.stmts) >= maxCachedStatements
		c.mu.Unlock()
		if done || full {
			continue
		}
		s, err := pool.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.stmts == nil {
			c.stmts = map[string]*sql.Stmt{}
		}
		if _, dup := c.stmts[q]; dup {
			s.Close()
		} else {
			c.stmts[q] = s
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
}
