// Package postgres analyses experiments whose data lives in a PostgreSQL
// warehouse: it sends SQL that computes the sufficient statistics inside
// the database (see sql.go) and reads back a few rows per experiment,
// whatever the number of events.
//
// growthbot only reads: every statement runs in a read-only transaction,
// under the source's statement timeout, on one connection pool per source
// with a limit on its connections. The DSN comes from the environment
// variable the source names, and is never stored or logged.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/growthbot/growthbot/workflows"
)

// connectTimeout bounds connecting, apart from the statement timeout.
const connectTimeout = 10 * time.Second

// Warehouses opens PostgreSQL sources and keeps one pool per source; see
// workflows.Warehouses. The zero value is ready to use.
type Warehouses struct {
	// Getenv reads the DSN variables; nil for os.Getenv.
	Getenv func(string) string

	mu    sync.Mutex
	pools map[string]*Source
}

// Open returns the source's warehouse. A source whose definition or DSN
// changed gets a new pool (the old one is closed).
func (ws *Warehouses) Open(src workflows.Source) (workflows.Warehouse, error) {
	return ws.open(src)
}

func (ws *Warehouses) open(src workflows.Source) (*Source, error) {
	if src.Type != workflows.SourcePostgres {
		return nil, &workflows.SourceError{Source: src.Key, Message: fmt.Sprintf("type %q is not supported (supported: %s)", src.Type, workflows.SourcePostgres)}
	}
	getenv := ws.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	dsn := getenv(src.DSNEnv)
	if dsn == "" {
		return nil, &workflows.SourceError{Source: src.Key, Message: fmt.Sprintf("the environment variable %s, which holds its DSN, is not set", src.DSNEnv)}
	}
	def, err := json.Marshal(src)
	if err != nil {
		return nil, err
	}
	id := string(def) + "\x00" + dsn
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if s, ok := ws.pools[src.Key]; ok {
		if s.id == id {
			return s, nil
		}
		s.Close()
		delete(ws.pools, src.Key)
	}
	s, err := New(src, dsn)
	if err != nil {
		return nil, err
	}
	s.id = id
	if ws.pools == nil {
		ws.pools = map[string]*Source{}
	}
	ws.pools[src.Key] = s
	return s, nil
}

// Close closes every pool.
func (ws *Warehouses) Close() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for k, s := range ws.pools {
		s.Close()
		delete(ws.pools, k)
	}
}

// Source is an open PostgreSQL source.
type Source struct {
	src     workflows.Source
	id      string
	pool    *pgxpool.Pool
	dialect Dialect
	read    atomic.Int64
}

// New opens a pool for src on dsn. It does not connect yet.
func New(src workflows.Source, dsn string) (*Source, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included.
		return nil, &workflows.SourceError{Source: src.Key, Message: fmt.Sprintf("the environment variable %s does not hold a valid PostgreSQL DSN (like postgres://user:password@host:5432/db)", src.DSNEnv)}
	}
	timeout := src.StatementTimeout
	if timeout <= 0 {
		timeout = workflows.DefaultStatementTimeout
	}
	conns := src.MaxConnections
	if conns <= 0 {
		conns = workflows.DefaultMaxConnections
	}
	s := &Source{src: src, dialect: PostgresDialect{}}
	cfg.MaxConns = int32(conns)
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > connectTimeout {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	rp := cfg.ConnConfig.RuntimeParams
	rp["default_transaction_read_only"] = "on"
	rp["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	rp["TimeZone"] = "UTC"
	rp["application_name"] = "growthbot"
	cfg.ConnConfig.AfterNetConnect = func(_ context.Context, _ *pgconn.Config, c net.Conn) (net.Conn, error) {
		return &countingConn{Conn: c, n: &s.read}, nil
	}
	s.pool, err = pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, s.problem(err)
	}
	return s, nil
}

// Close closes the pool.
func (s *Source) Close() { s.pool.Close() }

// BytesRead is how many bytes the source's connections have read from the
// server.
func (s *Source) BytesRead() int64 { return s.read.Load() }

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// readOnly runs fn in a read-only, repeatable-read transaction: one
// snapshot for every statement.
func (s *Source) readOnly(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	return fn(tx)
}

// SQL returns the statements Aggregate sends, one per experiment.
func (s *Source) SQL(reqs []workflows.AggregateRequest) (string, error) {
	var b strings.Builder
	for i, req := range reqs {
		p, err := s.plan(req)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(p.sql())
	}
	return b.String(), nil
}

func (s *Source) plan(req workflows.AggregateRequest) (*plan, error) {
	if req.Source == nil {
		src := s.src
		req.Source = &src
	}
	return newPlan(s.dialect, req)
}

// Aggregate sends one statement per experiment and reads back its rows;
// see workflows.AggregateStore.
func (s *Source) Aggregate(ctx context.Context, reqs []workflows.AggregateRequest) ([]workflows.Aggregate, error) {
	plans := make([]*plan, len(reqs))
	for i, req := range reqs {
		p, err := s.plan(req)
		if err != nil {
			return nil, err
		}
		plans[i] = p
	}
	out := make([]workflows.Aggregate, len(plans))
	err := s.readOnly(ctx, func(tx pgx.Tx) error {
		for i, p := range plans {
			a, err := s.run(ctx, tx, p)
			if err != nil {
				return fmt.Errorf("experiment %s: %w", p.req.Experiment.Key, err)
			}
			out[i] = a
		}
		return nil
	})
	if err != nil {
		return nil, s.problem(err)
	}
	return out, nil
}

func (s *Source) run(ctx context.Context, tx pgx.Tx, p *plan) (workflows.Aggregate, error) {
	rows, err := tx.Query(ctx, p.sql())
	if err != nil {
		return workflows.Aggregate{}, err
	}
	defer rows.Close()
	c := p.collector()
	nf := len(p.req.Metrics) * fieldsPerMetric
	for rows.Next() {
		r := resultRow{fields: make([]*float64, nf)}
		dest := []any{&r.kind, &r.variant, &r.day, &r.units, &r.multiple, &r.first, &r.last}
		for i := range r.fields {
			dest = append(dest, &r.fields[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return workflows.Aggregate{}, err
		}
		if err := c.add(r); err != nil {
			return workflows.Aggregate{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return workflows.Aggregate{}, err
	}
	return c.result(), nil
}

// Column types a source's columns may have, by role.
var (
	textTypes  = []string{"text", "character varying", "character", "name", "citext"}
	unitTypes  = append([]string{"smallint", "integer", "bigint", "uuid", "numeric"}, textTypes...)
	timeTypes  = []string{"timestamp with time zone", "timestamp without time zone"}
	valueTypes = []string{"smallint", "integer", "bigint", "real", "double precision", "numeric"}
)

// Check connects, checks the tables' columns and their types, and counts
// their rows and time range.
func (s *Source) Check(ctx context.Context) (workflows.SourceCheck, error) {
	var check workflows.SourceCheck
	err := s.readOnly(ctx, func(tx pgx.Tx) error {
		for _, t := range []struct {
			role string
			st   workflows.SourceTable
			cols [][2]string // field, column
		}{
			{"exposures", s.src.Exposures, [][2]string{{"unit_id", s.src.Exposures.UnitID}, {"experiment", s.src.Exposures.Experiment}, {"variant", s.src.Exposures.Variant}, {"timestamp", s.src.Exposures.Timestamp}}},
			{"events", s.src.Events, [][2]string{{"unit_id", s.src.Events.UnitID}, {"event", s.src.Events.Event}, {"value", s.src.Events.Value}, {"timestamp", s.src.Events.Timestamp}}},
		} {
			tc, err := s.checkTable(ctx, tx, t.role, t.st, t.cols)
			if err != nil {
				return err
			}
			check.Tables = append(check.Tables, tc)
		}
		return nil
	})
	if err != nil {
		return check, s.problem(err)
	}
	return check, nil
}

func (s *Source) checkTable(ctx context.Context, tx pgx.Tx, role string, st workflows.SourceTable, cols [][2]string) (workflows.SourceTableCheck, error) {
	tc := workflows.SourceTableCheck{Role: role, Name: st.Table}
	rel := s.dialect.Ident(st.Table)
	if st.Query != "" {
		tc.Name, rel = "query", "("+strings.TrimRight(st.Query, "; \n\t")+") AS q"
	}
	// The columns' types, from a statement that reads no rows.
	var list []string
	for _, c := range cols {
		if c[1] != "" {
			list = append(list, "pg_typeof("+s.dialect.Ident(c[1])+")::text")
		}
	}
	types := make([]string, len(list))
	dest := make([]any, len(list))
	for i := range types {
		dest[i] = &types[i]
	}
	// LIMIT 0 would tell no types; a row of NULLs (an empty table) still
	// names them.
	q := "SELECT " + strings.Join(list, ", ") + " FROM (SELECT * FROM " + rel + " LIMIT 1) AS t RIGHT JOIN (SELECT 1) AS one ON true"
	if err := tx.QueryRow(ctx, q).Scan(dest...); err != nil {
		return tc, s.tableProblem(role, st, err)
	}
	i := 0
	for _, c := range cols {
		if c[1] == "" {
			continue
		}
		want := textTypes
		switch c[0] {
		case "unit_id":
			want = unitTypes
		case "timestamp":
			want = timeTypes
		case "value":
			want = valueTypes
		}
		if !contains(want, types[i]) {
			return tc, &workflows.SourceError{Source: s.src.Key, Message: fmt.Sprintf("%s column %s (%s) is of type %s, but it must be one of: %s",
				role, c[1], c[0], types[i], strings.Join(want, ", "))}
		}
		i++
	}
	ts := s.dialect.Ident(cols[len(cols)-1][1])
	var first, last *time.Time
	err := tx.QueryRow(ctx, "SELECT count(*), min("+ts+"), max("+ts+") FROM "+rel).Scan(&tc.Rows, &first, &last)
	if err != nil {
		return tc, s.tableProblem(role, st, err)
	}
	if first != nil && last != nil {
		tc.First, tc.Last = first.UTC(), last.UTC()
	}
	return tc, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tableProblem names what is wrong with a table's mapping.
func (s *Source) tableProblem(role string, st workflows.SourceTable, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		name := st.Table
		if st.Query != "" {
			name = "query"
		}
		switch pe.Code {
		case "42P01":
			return &workflows.SourceError{Source: s.src.Key, Message: fmt.Sprintf("%s table %s does not exist (or the user cannot see it)", role, name), Err: err}
		case "42703":
			return &workflows.SourceError{Source: s.src.Key, Message: fmt.Sprintf("%s table %s: %s", role, name, pe.Message), Err: err}
		}
	}
	return err
}

// problem turns an error of the driver or the server into a SourceError
// that says what is wrong, without the DSN.
func (s *Source) problem(err error) error {
	var se *workflows.SourceError
	if errors.As(err, &se) {
		return err
	}
	key := s.src.Key
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "57014":
			return &workflows.SourceError{Source: key, Down: true, Err: err, Message: fmt.Sprintf("a query took longer than the statement timeout (%s); raise statement_timeout, or add an index on the tables' timestamp columns", s.timeout())}
		case pe.Code == "28P01" || pe.Code == "28000":
			return &workflows.SourceError{Source: key, Err: err, Message: fmt.Sprintf("the server refused the login: %s (check the user and password in %s)", pe.Message, s.src.DSNEnv)}
		case pe.Code == "3D000":
			return &workflows.SourceError{Source: key, Err: err, Message: fmt.Sprintf("%s (check the database in %s)", pe.Message, s.src.DSNEnv)}
		case pe.Code == "42501":
			return &workflows.SourceError{Source: key, Err: err, Message: fmt.Sprintf("the user lacks a permission: %s (grant USAGE on the schema and SELECT on the tables)", pe.Message)}
		case pe.Code == "42P01" || pe.Code == "42703" || pe.Code == "42883" || pe.Code == "42804" || strings.HasPrefix(pe.Code, "22"):
			return &workflows.SourceError{Source: key, Err: err, Message: fmt.Sprintf("the tables do not match the source's mapping: %s (run growthbot source test %s)", pe.Message, key)}
		case strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300":
			return &workflows.SourceError{Source: key, Down: true, Err: err, Message: "the server is unavailable: " + pe.Message}
		}
		return &workflows.SourceError{Source: key, Err: err, Message: "the server answered: " + pe.Message}
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.SafeToRetry(err):
		return &workflows.SourceError{Source: key, Down: true, Err: err, Message: fmt.Sprintf("cannot connect to the server (check the host and port in %s, and that it is up): %s", s.src.DSNEnv, connectCause(err))}
	case errors.Is(err, context.DeadlineExceeded):
		return &workflows.SourceError{Source: key, Down: true, Err: err, Message: "the server did not answer in time"}
	}
	return err
}

func (s *Source) timeout() time.Duration {
	if s.src.StatementTimeout > 0 {
		return s.src.StatementTimeout
	}
	return workflows.DefaultStatementTimeout
}

// connectCause is the innermost cause of a connect error, which names the
// address but not the user, database or password.
func connectCause(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err.Error()
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// maxActivityPeriods bounds one MonthlyActivity call, as the embedded
// store does.
const maxActivityPeriods = 32

// MonthlyActivity counts active and retained units per period from the
// source's events; see workflows.ReviewStore.
func (s *Source) MonthlyActivity(ctx context.Context, bounds []time.Time) ([]workflows.Activity, error) {
	n := len(bounds) - 1
	if n < 1 {
		return nil, nil
	}
	if n > maxActivityPeriods {
		return nil, workflows.Errorf(workflows.EINVALID, "at most %d periods at once, not %d", maxActivityPeriods, n)
	}
	out := make([]workflows.Activity, n)
	err := s.readOnly(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, activitySQL(s.dialect, s.src.Events, bounds))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var period int
			var a workflows.Activity
			if err := rows.Scan(&period, &a.Active, &a.Retained); err != nil {
				return err
			}
			if period < 0 || period >= n {
				return fmt.Errorf("activity for period %d of %d", period, n)
			}
			out[period] = a
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.problem(err)
	}
	return out, nil
}

// EventSpan returns the times of the source's first and last events.
func (s *Source) EventSpan(ctx context.Context) (first, last time.Time, err error) {
	ts := s.dialect.Ident(s.src.Events.Timestamp)
	rel := s.dialect.Ident(s.src.Events.Table)
	if s.src.Events.Query != "" {
		rel = "(" + strings.TrimRight(s.src.Events.Query, "; \n\t") + ") AS q"
	}
	var lo, hi *time.Time
	err = s.readOnly(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT min("+ts+"), max("+ts+") FROM "+rel).Scan(&lo, &hi)
	})
	if err != nil {
		return first, last, s.problem(err)
	}
	if lo != nil && hi != nil {
		first, last = lo.UTC(), hi.UTC()
	}
	return first, last, nil
}
