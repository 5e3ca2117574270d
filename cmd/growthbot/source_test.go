package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/store/postgres/pgtest"
	"github.com/growthbot/growthbot/workflows"
)

// warehouseConfig is a config with a PostgreSQL source that the team uses by
// default; mapping overrides the source's table mapping.
func warehouseConfig(source string) string {
	if source == "" {
		source = `
  - key: warehouse
    type: postgres
    dsn_env: WAREHOUSE_DSN
    statement_timeout: 5s
    max_connections: 2
    exposures: {table: analytics.exposures, unit_id: user_id, experiment: experiment_key, variant: variation, timestamp: ts}
    events:    {table: analytics.events,    unit_id: user_id, event: event_name, value: amount, timestamp: ts}`
	}
	return `sources:` + source + `
teams:
  - key: growth
    channel: C0GROWTH
    lead: U0LEAD
    approvers: [U0PM]
    source: warehouse
metrics:
  - {key: purchase, type: proportion, event: purchase}
  - {key: revenue, type: mean, event: purchase, value: sum, winsorize: 0.99}
  - {key: orders, type: mean, event: purchase}
  - {key: aov, type: ratio, numerator: revenue, denominator: orders}
experiments:
  - key: new-checkout
    team: growth
    owner: U0PM
    variants: [{key: control, weight: 50}, {key: treatment, weight: 50}]
    primary_metrics: [purchase]
    secondary_metrics: [revenue, aov]
    source: warehouse
`
}

// loadWarehouse creates the analytics tables with a few hundred units
// exposed over the last days and their purchases.
func loadWarehouse(t *testing.T, dsn string, now time.Time) {
	t.Helper()
	start := now.Add(-4 * 24 * time.Hour).UTC().Format(time.RFC3339)
	pgtest.Exec(t, dsn, `CREATE SCHEMA analytics`,
		`CREATE TABLE analytics.exposures (user_id TEXT, experiment_key TEXT, variation TEXT, ts TIMESTAMPTZ)`,
		`CREATE TABLE analytics.events (user_id TEXT, event_name TEXT, amount NUMERIC(12,2), ts TIMESTAMPTZ)`,
		fmt.Sprintf(`INSERT INTO analytics.exposures
			SELECT 'u' || i, 'new-checkout', CASE WHEN i %% 2 = 0 THEN 'control' ELSE 'treatment' END,
				TIMESTAMPTZ '%s' + i * INTERVAL '11 minutes'
			FROM generate_series(1, 400) AS i`, start),
		fmt.Sprintf(`INSERT INTO analytics.events
			SELECT 'u' || i, 'purchase', 10 + (i %% 7) * 3.5, TIMESTAMPTZ '%s' + i * INTERVAL '11 minutes' + INTERVAL '1 hour'
			FROM generate_series(1, 400) AS i WHERE i %% 3 <> 0 OR i %% 2 = 1`, start))
}

// startExperiment puts the experiment in its running state, started at.
func startExperiment(t *testing.T, db, key string, at time.Time) {
	t.Helper()
	withService(t, db, func(svc *workflows.Service) {
		err := svc.Store.Update(context.Background(), func(tx workflows.Tx) error {
			e, err := tx.Experiment(key)
			if err != nil {
				return err
			}
			e.State, e.StartedAt = workflows.StateRunning, at
			return tx.PutExperiment(e)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestSourceApplyTestAndSQL(t *testing.T) {
	dsn := pgtest.DSN(t)
	now := time.Now()
	loadWarehouse(t, dsn, now)
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", warehouseConfig(""))
	vars := map[string]string{"WAREHOUSE_DSN": dsn}

	res := run(t, "", vars, "apply", "-f", cfg, "--db", db)
	if res.code != 0 || !strings.Contains(res.stdout, "source warehouse") {
		t.Fatalf("apply: %+v", res)
	}
	// The DSN is not stored.
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var stored int
	if err := raw.QueryRow(`SELECT count(*) FROM sources WHERE definition LIKE '%' || ? || '%'`, pgtest.Password).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the stored source holds the DSN's password (%d rows, %v)", stored, err)
	}

	res = run(t, "", vars, "source", "test", "warehouse", "--db", db)
	if res.code != 0 || !strings.Contains(res.stdout, "source warehouse (postgres, DSN from $WAREHOUSE_DSN)") {
		t.Fatalf("source test: %+v", res)
	}
	for _, want := range []string{"exposures  analytics.exposures  400", "events     analytics.events     334"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("source test lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout+res.stderr, pgtest.Password) {
		t.Errorf("source test shows the password")
	}

	startExperiment(t, db, "new-checkout", now.Add(-5*24*time.Hour))
	res = run(t, "", vars, "source", "sql", "new-checkout", "--db", db)
	if res.code != 0 || !strings.Contains(res.stdout, "WITH") {
		t.Fatalf("source sql: %+v", res)
	}
	// An analyst runs the printed SQL by hand and gets the per-variant rows.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var finals int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM ("+strings.TrimSuffix(strings.TrimSpace(res.stdout), ";")+") r WHERE kind = 'final'").Scan(&finals)
	if err != nil || finals != 2 {
		t.Errorf("the printed SQL run by hand: %d final rows, %v", finals, err)
	}
	if res := run(t, "", vars, "source", "sql", "warehouse", "--db", db); res.code != 0 || !strings.Contains(res.stdout, "experiment new-checkout") {
		t.Errorf("source sql by source key: %+v", res)
	}

	res = run(t, "", vars, "jobs", "run", "pulse", "--team", "growth", "--period", "2026-11-16", "--db", db)
	if res.code != 0 || !strings.Contains(res.stdout, "new-checkout (scorecard posted)") {
		t.Fatalf("pulse from the warehouse: %+v", res)
	}
	withDB(t, db, func(tx workflows.Tx) {
		if _, err := tx.MessageByKey("experiment:new-checkout:scorecard:2026-11-16"); err != nil {
			t.Fatal(err)
		}
		snap, err := tx.LastSnapshot("new-checkout", "2026-11-17", true)
		if err != nil {
			t.Fatal(err)
		}
		// 400 units, half in each arm; 267 of them purchased.
		sc := snap.Scorecard
		if sc.Units["control"] != 200 || sc.Units["treatment"] != 200 {
			t.Errorf("the scorecard's units: %v", sc.Units)
		}
		if r, ok := sc.Result("purchase", "treatment"); !ok || r.TreatmentMean != 1 || r.ControlMean != 0.67 {
			t.Errorf("treatment's purchase rate: %+v", r)
		}
	})
}

// TestSourceBadInput: every way a source can be wrong gets a clear message
// in apply, which then changes nothing.
func TestSourceBadInput(t *testing.T) {
	dsn := pgtest.DSN(t)
	loadWarehouse(t, dsn, time.Now())
	pgtest.Exec(t, dsn, `CREATE TABLE analytics.bad_events (user_id TEXT, event_name TEXT, amount TEXT, ts TIMESTAMPTZ)`)
	u, _ := url.Parse(dsn)
	wrongPassword := *u
	wrongPassword.User = url.UserPassword(u.User.Username(), "not-the-password")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().String()
	l.Close()
	unreachable := *u
	unreachable.Host = closedPort
	// A user who may log in but was granted nothing.
	role := "nogrant_" + strings.TrimPrefix(strings.TrimPrefix(u.Path, "/"), "growthbot_test_")
	pgtest.Exec(t, dsn, "CREATE ROLE "+role+" LOGIN PASSWORD 'pw'")
	t.Cleanup(func() { pgtest.Exec(t, dsn, "DROP OWNED BY "+role, "DROP ROLE "+role) })
	noGrant := *u
	noGrant.User = url.UserPassword(role, "pw")
	source := func(mapping string) string {
		return `
  - key: warehouse
    type: postgres
    dsn_env: WAREHOUSE_DSN
    statement_timeout: 1s
` + mapping
	}
	good := `    exposures: {table: analytics.exposures, unit_id: user_id, experiment: experiment_key, variant: variation, timestamp: ts}
    events:    {table: analytics.events, unit_id: user_id, event: event_name, value: amount, timestamp: ts}`
	for _, c := range []struct {
		name    string
		dsn     string
		mapping string
		want    string
	}{
		{"unset DSN variable", "", good, `source "warehouse": the environment variable WAREHOUSE_DSN, which holds its DSN, is not set`},
		{"unreachable", unreachable.String(), good, `source "warehouse": cannot connect to the server (check the host and port in WAREHOUSE_DSN, and that it is up): connect: connection refused`},
		{"wrong password", wrongPassword.String(), good, `source "warehouse": the server refused the login: password authentication failed for user "postgres" (check the user and password in WAREHOUSE_DSN)`},
		{"lacking permission", noGrant.String(), good, `source "warehouse": the user lacks a permission: permission denied for schema analytics (grant USAGE on the schema and SELECT on the tables)`},
		{"missing table", dsn, strings.Replace(good, "analytics.events", "analytics.evnts", 1), `source "warehouse": events table analytics.evnts does not exist (or the user cannot see it)`},
		{"missing column", dsn, strings.Replace(good, "value: amount", "value: revenue", 1), `source "warehouse": events table analytics.events: column "revenue" does not exist`},
		{"wrong type", dsn, strings.Replace(good, "analytics.events", "analytics.bad_events", 1), `source "warehouse": events column amount (value) is of type text, but it must be one of: smallint, integer, bigint, real, double precision, numeric`},
		{"timestamp of the wrong type", dsn, strings.Replace(good, "timestamp: ts}\n    events", "timestamp: user_id}\n    events", 1), `source "warehouse": exposures column user_id (timestamp) is of type text`},
		{"statement timeout", dsn, strings.Replace(good, "{table: analytics.events,", "{query: 'SELECT e.* FROM analytics.events e CROSS JOIN (SELECT pg_sleep(3)) s',", 1), `source "warehouse": a query took longer than the statement timeout (1s)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "g.db")
			cfg := writeFile(t, dir, "g.yaml", warehouseConfig(source(c.mapping)))
			res := run(t, "", map[string]string{"WAREHOUSE_DSN": c.dsn}, "apply", "-f", cfg, "--db", db)
			if res.code == 0 || !strings.Contains(res.stderr, "g.yaml:2: "+c.want) || !strings.Contains(res.stderr, "nothing applied") {
				t.Errorf("apply: exit %d, want %q in:\n%s", res.code, c.want, res.stderr)
			}
			if strings.Contains(res.stderr, pgtest.Password) || strings.Contains(res.stderr, "not-the-password") {
				t.Errorf("the message shows a password: %s", res.stderr)
			}
			if res := run(t, "", nil, "source", "test", "warehouse", "--db", db); res.code == 0 || !strings.Contains(res.stderr, `no source "warehouse"`) {
				t.Errorf("after a refused apply: %+v", res)
			}
		})
	}
}

// TestPulseSourceDown: a pulse whose source is down says so once in the
// experiment's thread, fails so that the next run tries again, and posts
// the scorecard once the source is back.
func TestPulseSourceDown(t *testing.T) {
	dsn := pgtest.DSN(t)
	now := time.Now()
	loadWarehouse(t, dsn, now)
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", warehouseConfig(""))
	if res := run(t, "", map[string]string{"WAREHOUSE_DSN": dsn}, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	startExperiment(t, db, "new-checkout", now.Add(-5*24*time.Hour))
	u, _ := url.Parse(dsn)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.Host = l.Addr().String()
	l.Close()
	down := map[string]string{"WAREHOUSE_DSN": u.String()}
	pulse := []string{"jobs", "run", "pulse", "--team", "growth", "--period", "2026-11-16", "--db", db}
	countAlerts := func() int {
		raw, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM outbox WHERE key LIKE 'experiment:new-checkout:alert:source:%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for range 2 {
		res := run(t, "", down, pulse...)
		if res.code == 0 || !strings.Contains(res.stderr, `source "warehouse": cannot connect to the server`) {
			t.Fatalf("pulse with the source down: %+v", res)
		}
	}
	if n := countAlerts(); n != 1 {
		t.Errorf("%d source alerts after two failed runs, want 1", n)
	}
	withDB(t, db, func(tx workflows.Tx) {
		m, err := tx.MessageByKey("experiment:new-checkout:alert:source:2026-11-16")
		if err != nil {
			t.Fatal(err)
		}
		words, err := render.NewRenderer("")
		if err != nil {
			t.Fatal(err)
		}
		body, err := words.Body(m)
		if err != nil || m.Parent != "experiment:new-checkout:thread" || !strings.Contains(body.Text, "could not read this experiment's data") ||
			!strings.Contains(body.Text, "cannot connect to the server") {
			t.Errorf("the alert: parent %q, %s, %v", m.Parent, body.Text, err)
		}
		if _, err := tx.MessageByKey("experiment:new-checkout:scorecard:2026-11-16"); workflows.ErrorCode(err) != workflows.ENOTFOUND {
			t.Errorf("a scorecard was posted while the source was down: %v", err)
		}
	})
	// A column gone at run time is named.
	pgtest.Exec(t, dsn, `ALTER TABLE analytics.events RENAME COLUMN amount TO amount_eur`)
	res := run(t, "", map[string]string{"WAREHOUSE_DSN": dsn}, pulse...)
	if res.code == 0 || !strings.Contains(res.stderr, `column "amount" does not exist`) {
		t.Errorf("pulse with a column gone: %+v", res)
	}
	pgtest.Exec(t, dsn, `ALTER TABLE analytics.events RENAME COLUMN amount_eur TO amount`)
	res = run(t, "", map[string]string{"WAREHOUSE_DSN": dsn}, pulse...)
	if res.code != 0 || !strings.Contains(res.stdout, "new-checkout (scorecard posted)") {
		t.Fatalf("pulse with the source back: %+v", res)
	}
	if n := countAlerts(); n != 1 {
		t.Errorf("%d source alerts in all, want 1", n)
	}
}

// TestReviewKPIsFromSource: a team whose source is a warehouse gets its
// computed KPIs (active users, retention) from the warehouse's events.
func TestReviewKPIsFromSource(t *testing.T) {
	dsn := pgtest.DSN(t)
	last := workflows.PreviousMonth(time.Now(), time.UTC)
	m1, _ := time.Parse("2006-01", last)
	m2 := m1.AddDate(0, -1, 0)
	// 250 units active the month before last, 300 last month, 150 of them
	// in both.
	pgtest.Exec(t, dsn, `CREATE SCHEMA analytics`,
		`CREATE TABLE analytics.exposures (user_id TEXT, experiment_key TEXT, variation TEXT, ts TIMESTAMPTZ)`,
		`CREATE TABLE analytics.events (user_id TEXT, event_name TEXT, amount NUMERIC(12,2), ts TIMESTAMPTZ)`,
		fmt.Sprintf(`INSERT INTO analytics.events SELECT 'u' || i, 'visit', 1, TIMESTAMPTZ '%s' + i * INTERVAL '1 hour' FROM generate_series(1, 250) AS i`, m2.Format(time.RFC3339)),
		fmt.Sprintf(`INSERT INTO analytics.events SELECT 'u' || i, 'visit', 1, TIMESTAMPTZ '%s' + i * INTERVAL '1 hour' FROM generate_series(101, 400) AS i`, m1.Format(time.RFC3339)))
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", warehouseConfig(""))
	vars := map[string]string{"WAREHOUSE_DSN": dsn}
	if res := run(t, "", vars, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	res := run(t, "/growth review growth "+last+"\n:quit\n", vars, "console", "--db", db, "--user", "U0LEAD")
	if res.code != 0 {
		t.Fatalf("console exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{"Active users 300 (+20.0% vs last month", "Retention 60%"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the review lacks %q:\n%s", want, res.stdout)
		}
	}
}

// serve closes its warehouse's connection pool when it stops: the
// connections a pulse opened are gone once serve has returned.
func TestServeClosesWarehousePoolsOnShutdown(t *testing.T) {
	dsn := pgtest.DSN(t)
	now := time.Now()
	loadWarehouse(t, dsn, now)
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", warehouseConfig(""))
	vars := map[string]string{"WAREHOUSE_DSN": dsn, envDB: db}
	if res := run(t, "", vars, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	startExperiment(t, db, "new-checkout", now.Add(-5*24*time.Hour))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	growthbotConns := func() int {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'growthbot'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The pulse that fired at 09:00 UTC today (or yesterday) is caught up
	// at start, and reads the warehouse.
	_, stop, logs := startServeLogged(t, vars, "--poll", "20ms")
	waitUntil(t, "the pulse's connections to the warehouse", func() bool { return growthbotConns() > 0 }, logs.String)
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d:\n%s", code, logs)
	}
	// The server notices a closed connection at once, but reports it in
	// pg_stat_activity a moment later.
	deadline := time.Now().Add(5 * time.Second)
	for growthbotConns() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections to the warehouse are still open after serve stopped", growthbotConns())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
