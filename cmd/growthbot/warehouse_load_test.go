//go:build load

package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/store/postgres"
	"github.com/growthbot/growthbot/store/postgres/pgtest"
	"github.com/growthbot/growthbot/workflows"
)

// TestWarehousePulseLoad measures the daily pulse of 20 running
// experiments with 5 metrics each over the same data twice: in the
// embedded SQLite store, and in PostgreSQL through a source (the SQL push-
// down). Each pulse runs as `growthbot jobs run pulse`, a process of its
// own, whose wall time and peak RSS are reported; the bytes read from
// PostgreSQL are measured in-process by the source's connection counter.
//
//	go test -tags load ./cmd/growthbot -run TestWarehousePulseLoad -v -timeout 60m
//
// GROWTHBOT_LOAD_EVENTS and GROWTHBOT_LOAD_UNITS set the size (10M events
// of 1M units by default).
func TestWarehousePulseLoad(t *testing.T) {
	events, units := envInt("GROWTHBOT_LOAD_EVENTS", 10_000_000), envInt("GROWTHBOT_LOAD_UNITS", 1_000_000)
	bin := buildGrowthbot(t)
	dsn := pgtest.DSN(t)
	now := time.Now().UTC()
	dir := t.TempDir()
	gen := loadData{units: units, events: events, now: now}

	start := time.Now()
	gen.toPostgres(t, dsn)
	t.Logf("loaded %d events of %d units into PostgreSQL in %v", events, units, time.Since(start).Round(time.Second))

	embedded, warehouse := filepath.Join(dir, "embedded.db"), filepath.Join(dir, "warehouse.db")
	vars := map[string]string{"WAREHOUSE_DSN": dsn}
	for _, c := range []struct {
		path   string
		source bool
	}{{embedded, false}, {warehouse, true}} {
		cfg := writeFile(t, dir, "load.yaml", gen.config(c.source))
		if res := run(t, "", vars, "apply", "-f", cfg, "--db", c.path); res.code != 0 {
			t.Fatal(res)
		}
		for i := range loadExperiments {
			startExperiment(t, c.path, fmt.Sprintf("exp-%02d", i), gen.started(i))
		}
	}
	start = time.Now()
	gen.toSQLite(t, embedded)
	t.Logf("loaded the same into SQLite in %v", time.Since(start).Round(time.Second))

	for _, c := range []struct {
		name, path string
	}{{"SQLite (embedded)", embedded}, {"PostgreSQL (push-down)", warehouse}} {
		// /usr/bin/time measures the pulse's own peak RSS: the rusage of a
		// child of this process would start from this process's, which
		// holds the generated data.
		rssFile := filepath.Join(dir, "rss")
		cmd := exec.Command("/usr/bin/time", "-f", "%M", "-o", rssFile, bin, "jobs", "run", "pulse", "--db", c.path, "--period", now.Format("2006-01-02"))
		cmd.Env = append(os.Environ(), "WAREHOUSE_DSN="+dsn)
		began := time.Now()
		out, err := cmd.CombinedOutput()
		wall := time.Since(began)
		if err != nil {
			t.Fatalf("%s pulse: %v\n%s", c.name, err, out)
		}
		if n := strings.Count(string(out), "(scorecard posted)"); n != loadExperiments {
			t.Fatalf("%s pulse posted %d scorecards, want %d:\n%s", c.name, n, loadExperiments, out)
		}
		kib, err := os.ReadFile(rssFile)
		if err != nil {
			t.Fatal(err)
		}
		rss, _ := strconv.Atoi(strings.TrimSpace(string(kib)))
		t.Logf("%-24s pulse of %d experiments x %d metrics: %v wall, peak RSS %.0f MB", c.name, loadExperiments, 5,
			wall.Round(100*time.Millisecond), float64(rss)/1024)
	}

	// The bytes the push-down reads: a few rows per variant and day,
	// whatever the number of events.
	var src workflows.Source
	var reqs []workflows.AggregateRequest
	withService(t, warehouse, func(svc *workflows.Service) {
		err := svc.Store.View(context.Background(), func(tx workflows.Tx) error {
			var err error
			if src, err = tx.Source("warehouse"); err != nil {
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	reqs = gen.requests(&src)
	pg, err := postgres.New(src, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	aggs, err := pg.Aggregate(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	var analysed int64
	for _, a := range aggs {
		for _, n := range a.Units {
			analysed += n
		}
	}
	t.Logf("bytes read from PostgreSQL for the 20 experiments: %d (%.1f KB), %d units analysed", pg.BytesRead(), float64(pg.BytesRead())/1024, analysed)
}

const loadExperiments = 20

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// loadData generates the load test's rows, the same every time.
type loadData struct {
	units, events int
	now           time.Time
}

func (g loadData) started(i int) time.Time {
	return g.now.Add(-time.Duration(7+i%21)*24*time.Hour - time.Hour)
}

func (g loadData) config(source bool) string {
	var b strings.Builder
	if source {
		b.WriteString(`sources:
  - key: warehouse
    type: postgres
    dsn_env: WAREHOUSE_DSN
    statement_timeout: 10m
    exposures: {table: analytics.exposures, unit_id: user_id, experiment: experiment_key, variant: variation, timestamp: ts}
    events:    {table: analytics.events,    unit_id: user_id, event: event_name, value: amount, timestamp: ts}
`)
	}
	b.WriteString(`teams:
  - key: growth
    channel: C0GROWTH
    lead: U0LEAD
    approvers: [U0PM]
`)
	if source {
		b.WriteString("    source: warehouse\n")
	}
	b.WriteString(`metrics:
  - {key: purchase, type: proportion, event: purchase}
  - {key: revenue, type: mean, event: purchase, value: sum, winsorize: 0.99}
  - {key: orders, type: mean, event: purchase}
  - {key: aov, type: ratio, numerator: revenue, denominator: orders}
  - {key: errors, type: mean, event: checkout_error, higher_is_better: false}
experiments:
`)
	for i := range loadExperiments {
		fmt.Fprintf(&b, `  - key: exp-%02d
    team: growth
    owner: U0PM
    variants: [{key: control, weight: 50}, {key: treatment, weight: 50}]
    primary_metrics: [purchase]
    guardrail_metrics: [errors]
    secondary_metrics: [revenue, aov]
    planned_days: 28
`, i)
	}
	return b.String()
}

func (g loadData) requests(src *workflows.Source) []workflows.AggregateRequest {
	metrics := []workflows.Metric{
		{Key: "purchase", Type: workflows.MetricProportion, Event: "purchase"},
		{Key: "errors", Type: workflows.MetricMean, Event: "checkout_error"},
		{Key: "revenue", Type: workflows.MetricMean, Event: "purchase", Value: workflows.ValueSum, Winsorize: 0.99},
		{Key: "aov", Type: workflows.MetricRatio, Numerator: "revenue", Denominator: "orders"},
		{Key: "orders", Type: workflows.MetricMean, Event: "purchase"},
	}
	var reqs []workflows.AggregateRequest
	for i := range loadExperiments {
		e := workflows.Experiment{Key: fmt.Sprintf("exp-%02d", i), Variants: []workflows.Variant{{Key: "control", Weight: 50}, {Key: "treatment", Weight: 50}}}
		reqs = append(reqs, workflows.AggregateRequest{Experiment: e, Metrics: metrics, Start: g.started(i), End: g.now, Source: src})
	}
	return reqs
}

// each calls fn with every exposure, then every event.
func (g loadData) each(exposure func(workflows.Exposure) error, event func(workflows.Event) error) error {
	r := rand.New(rand.NewPCG(16, 16))
	for u := range g.units {
		unit := "u" + strconv.Itoa(u)
		// Each unit sees 4 of the 20 experiments.
		for k := range 4 {
			i := k*5 + r.IntN(5)
			start := g.started(i)
			at := start.Add(time.Duration(r.Float64() * float64(g.now.Sub(start)))).Truncate(time.Millisecond)
			v := "control"
			if r.IntN(2) == 1 {
				v = "treatment"
			}
			if err := exposure(workflows.Exposure{UnitID: unit, Experiment: fmt.Sprintf("exp-%02d", i), Variant: v, At: at}); err != nil {
				return err
			}
		}
	}
	// Events come in time order, as a pipeline delivers them.
	from := g.now.Add(-42 * 24 * time.Hour)
	step := float64(g.now.Sub(from)) / float64(g.events)
	for i := range g.events {
		ev := workflows.Event{UnitID: "u" + strconv.Itoa(r.IntN(g.units)), Value: 1,
			At: from.Add(time.Duration((float64(i) + r.Float64()) * step)).Truncate(time.Millisecond)}
		switch k := r.IntN(10); {
		case k < 2:
			ev.Name, ev.Value = "purchase", math.Round(math.Exp(r.NormFloat64()+3)*100)/100
		case k < 3:
			ev.Name = "checkout_error"
		case k < 6:
			ev.Name = "add_to_cart"
		default:
			ev.Name = "page_view"
		}
		if err := event(ev); err != nil {
			return err
		}
	}
	return nil
}

func (g loadData) toPostgres(t *testing.T, dsn string) {
	pgtest.Exec(t, dsn, `CREATE SCHEMA analytics`,
		`CREATE TABLE analytics.exposures (user_id TEXT NOT NULL, experiment_key TEXT NOT NULL, variation TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL)`,
		`CREATE TABLE analytics.events (user_id TEXT NOT NULL, event_name TEXT NOT NULL, amount DOUBLE PRECISION, ts TIMESTAMPTZ NOT NULL)`)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows := make(chan []any, 10_000)
	errc := make(chan error, 1)
	go func() {
		defer close(rows)
		var table string
		errc <- g.each(func(x workflows.Exposure) error {
			rows <- []any{"x", x.UnitID, x.Experiment, x.Variant, x.At}
			return nil
		}, func(e workflows.Event) error {
			if table == "" {
				table = "e"
				rows <- nil // the exposures end here
			}
			rows <- []any{"e", e.UnitID, e.Name, e.Value, e.At}
			return nil
		})
	}()
	copyPart := func(table string, cols []string) {
		src := pgx.CopyFromFunc(func() ([]any, error) {
			row, ok := <-rows
			if !ok || row == nil {
				return nil, nil
			}
			return row[1:], nil
		})
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"analytics", table}, cols, src); err != nil {
			t.Fatal(err)
		}
	}
	copyPart("exposures", []string{"user_id", "experiment_key", "variation", "ts"})
	copyPart("events", []string{"user_id", "event_name", "amount", "ts"})
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, dsn, `CREATE INDEX ON analytics.exposures (experiment_key)`, `ANALYZE analytics.exposures`, `ANALYZE analytics.events`)
}

func (g loadData) toSQLite(t *testing.T, path string) {
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const batch = 50_000
	var xs []workflows.Exposure
	var es []workflows.Event
	err = db.Update(context.Background(), func(tx workflows.Tx) error {
		xw, err := tx.ExposureWriter()
		if err != nil {
			return err
		}
		ew, err := tx.EventWriter()
		if err != nil {
			return err
		}
		err = g.each(func(x workflows.Exposure) error {
			if xs = append(xs, x); len(xs) == batch {
				_, err := xw.Write(xs)
				xs = xs[:0]
				return err
			}
			return nil
		}, func(e workflows.Event) error {
			if es = append(es, e); len(es) == batch {
				_, err := ew.Write(es)
				es = es[:0]
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		if _, err := xw.Write(xs); err != nil {
			return err
		}
		if _, err := ew.Write(es); err != nil {
			return err
		}
		if err := xw.Close(); err != nil {
			return err
		}
		return ew.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}
