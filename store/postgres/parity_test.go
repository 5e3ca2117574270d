package postgres_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/stats"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/store/postgres"
	"github.com/growthbot/growthbot/store/postgres/pgtest"
	"github.com/growthbot/growthbot/workflows"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var parityNow = time.Date(2025, 3, 1, 6, 30, 0, 0, time.UTC)

// parityMetrics cover every metric type the store computes: a proportion,
// a winsorized sum, a count, a ratio of the two, and a plain count.
var parityMetrics = []workflows.Metric{
	{Key: "purchase", Name: "Purchase", Type: workflows.MetricProportion, Event: "purchase", HigherIsBetter: true},
	{Key: "revenue", Name: "Revenue", Type: workflows.MetricMean, Event: "purchase", Value: workflows.ValueSum, Winsorize: 0.95, HigherIsBetter: true},
	{Key: "orders", Name: "Orders", Type: workflows.MetricMean, Event: "purchase", Value: workflows.ValueCount, HigherIsBetter: true},
	{Key: "aov", Name: "AOV", Type: workflows.MetricRatio, Numerator: "revenue", Denominator: "orders", HigherIsBetter: true},
	{Key: "errors", Name: "Errors", Type: workflows.MetricMean, Event: "checkout_error"},
	{Key: "spend", Name: "Spend", Type: workflows.MetricMean, Event: "credit", Value: workflows.ValueSum},
}

// sourceDef maps the test tables, as the example does.
func sourceDef(key string) workflows.Source {
	return workflows.Source{
		Key: key, Type: workflows.SourcePostgres, DSNEnv: "WAREHOUSE_DSN",
		Exposures:        workflows.SourceTable{Table: "analytics.exposures", UnitID: "user_id", Experiment: "experiment_key", Variant: "variation", Timestamp: "ts"},
		Events:           workflows.SourceTable{Table: "analytics.events", UnitID: "user_id", Event: "event_name", Value: "amount", Timestamp: "ts"},
		StatementTimeout: time.Minute, MaxConnections: 2,
	}
}

// loadSQLite writes the data into a new store with the experiments.
func loadSQLite(tb testing.TB, d pgtest.Dataset, exps []workflows.Experiment) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "growthbot.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	err = db.Update(context.Background(), func(tx workflows.Tx) error {
		if err := tx.PutTeam(workflows.Team{Key: "growth", Name: "Growth", Channel: "C1", Lead: "U1", Timezone: "UTC", Framework: "clear-signals", RequiredApprovals: 1}); err != nil {
			return err
		}
		for _, m := range parityMetrics {
			if err := tx.PutMetric(m); err != nil {
				return err
			}
		}
		for _, e := range exps {
			if err := tx.PutExperiment(e); err != nil {
				return err
			}
		}
		xw, err := tx.ExposureWriter()
		if err != nil {
			return err
		}
		if _, err := xw.Write(d.Exposures); err != nil {
			return err
		}
		if err := xw.Close(); err != nil {
			return err
		}
		ew, err := tx.EventWriter()
		if err != nil {
			return err
		}
		if _, err := ew.Write(d.Events); err != nil {
			return err
		}
		return ew.Close()
	})
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

func parityExperiments() []workflows.Experiment {
	base := workflows.Experiment{Team: "growth", Method: workflows.MethodSequential, Alpha: 0.05, MinDays: 7, PlannedDays: 28, TargetMDE: 0.05, State: workflows.StateRunning}
	two := base
	two.Key, two.Name = "checkout", "Checkout"
	two.Variants = []workflows.Variant{{Key: "control", Weight: 0.5}, {Key: "treatment", Weight: 0.5}}
	two.PrimaryMetrics, two.GuardrailMetrics, two.SecondaryMetrics = []string{"purchase"}, []string{"errors"}, []string{"revenue", "aov", "spend"}
	two.StartedAt = parityNow.Add(-17*24*time.Hour - 5*time.Hour)
	three := base
	three.Key, three.Name, three.Method = "pricing", "Pricing", workflows.MethodBayesian
	three.Variants = []workflows.Variant{{Key: "control", Weight: 0.4}, {Key: "low", Weight: 0.3}, {Key: "high", Weight: 0.3}}
	three.PrimaryMetrics, three.SecondaryMetrics = []string{"revenue"}, []string{"orders", "aov"}
	three.StartedAt = parityNow.Add(-9*24*time.Hour - 90*time.Minute)
	fixed := base
	fixed.Key, fixed.Name, fixed.Method = "banner", "Banner", workflows.MethodFixed
	fixed.Variants = []workflows.Variant{{Key: "off", Weight: 0.5}, {Key: "on", Weight: 0.5}}
	fixed.PrimaryMetrics = []string{"spend"}
	fixed.StartedAt = parityNow.Add(-3 * 24 * time.Hour)
	return []workflows.Experiment{two, three, fixed}
}

// requests builds the aggregation requests the service would: each
// experiment's metrics with its ratios' components, up to now.
func requests(exps []workflows.Experiment, src *workflows.Source) []workflows.AggregateRequest {
	var reqs []workflows.AggregateRequest
	for _, e := range exps {
		req := workflows.AggregateRequest{Experiment: e, Start: e.StartedAt, End: parityNow, Source: src}
		var keys []string
		for _, k := range e.Metrics() {
			keys = append(keys, k)
			m := metricByKey(k)
			if m.Type == workflows.MetricRatio {
				keys = append(keys, m.Numerator, m.Denominator)
			}
		}
		for _, k := range keys {
			if !slices.ContainsFunc(req.Metrics, func(m workflows.Metric) bool { return m.Key == k }) {
				req.Metrics = append(req.Metrics, metricByKey(k))
			}
		}
		reqs = append(reqs, req)
	}
	return reqs
}

func metricByKey(k string) workflows.Metric {
	i := slices.IndexFunc(parityMetrics, func(m workflows.Metric) bool { return m.Key == k })
	return parityMetrics[i]
}

// TestParity computes the same experiments from the same rows in SQLite and
// in PostgreSQL: every number agrees within 1e-9, relative.
func TestParity(t *testing.T) {
	exps := parityExperiments()
	d := pgtest.Generate(1, exps, 3000, parityNow)
	db := loadSQLite(t, d, exps)
	dsn := pgtest.DSN(t)
	pgtest.LoadAnalytics(t, dsn, d)

	want, err := db.Aggregate(context.Background(), requests(exps, nil))
	if err != nil {
		t.Fatal(err)
	}
	src := sourceDef("warehouse")
	pg, err := postgres.New(src, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	got, err := pg.Aggregate(context.Background(), requests(exps, &src))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d aggregates, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.MultipleExposures == 0 || len(w.Daily) < 2 {
			t.Fatalf("%s: the data does not exercise multiple exposures and days: %d, %d days", w.Experiment, w.MultipleExposures, len(w.Daily))
		}
		for _, diff := range compareAggregates(w, g) {
			t.Errorf("%s: %s", w.Experiment, diff)
		}
	}

	// Computed KPIs: active and retained units per period, and the span
	// of the events.
	var bounds []time.Time
	for at := parityNow.Add(-50 * 24 * time.Hour); !at.After(parityNow.Add(time.Hour)); at = at.Add(9 * 24 * time.Hour) {
		bounds = append(bounds, at)
	}
	var wantActivity []workflows.Activity
	var wantFirst, wantLast time.Time
	err = db.View(context.Background(), func(tx workflows.Tx) error {
		var err error
		if wantActivity, err = tx.MonthlyActivity(bounds); err != nil {
			return err
		}
		wantFirst, wantLast, err = tx.EventSpan()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	gotActivity, err := pg.MonthlyActivity(context.Background(), bounds)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotActivity, wantActivity) || wantActivity[len(wantActivity)-1].Retained == 0 {
		t.Errorf("activity %v, want %v", gotActivity, wantActivity)
	}
	first, last, err := pg.EventSpan(context.Background())
	if err != nil || !first.Equal(wantFirst) || !last.Equal(wantLast) {
		t.Errorf("event span %v to %v (%v), want %v to %v", first, last, err, wantFirst, wantLast)
	}
}

// compareAggregates lists every number that differs by more than 1e-9
// relative.
func compareAggregates(want, got workflows.Aggregate) []string {
	var diffs []string
	add := func(format string, args ...any) {
		if len(diffs) < 20 {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	if want.MultipleExposures != got.MultipleExposures {
		add("multiple exposures %d, want %d", got.MultipleExposures, want.MultipleExposures)
	}
	if !want.FirstExposure.Equal(got.FirstExposure) || !want.LastExposure.Equal(got.LastExposure) {
		add("exposures from %v to %v, want %v to %v", got.FirstExposure, got.LastExposure, want.FirstExposure, want.LastExposure)
	}
	units := func(where string, w, g map[string]int64) {
		for v, n := range w {
			if g[v] != n {
				add("%s units of %s: %d, want %d", where, v, g[v], n)
			}
		}
		if len(w) != len(g) {
			add("%s units: %v, want %v", where, g, w)
		}
	}
	arms := func(where string, w, g map[string]map[string]stats.Arm) {
		for m, byVariant := range w {
			for v, wa := range byVariant {
				ga, ok := g[m][v]
				if !ok {
					add("%s %s %s: missing", where, m, v)
					continue
				}
				for _, f := range armFields(wa, ga) {
					if !close(f.want, f.got) {
						add("%s %s %s %s: %.17g, want %.17g", where, m, v, f.name, f.got, f.want)
					}
				}
			}
		}
	}
	units("final", want.Units, got.Units)
	arms("final", want.Arms, got.Arms)
	if len(want.Daily) != len(got.Daily) {
		add("%d days, want %d", len(got.Daily), len(want.Daily))
		return diffs
	}
	for d := range want.Daily {
		where := fmt.Sprintf("day %d", d)
		if !want.Daily[d].End.Equal(got.Daily[d].End) {
			add("%s ends %v, want %v", where, got.Daily[d].End, want.Daily[d].End)
		}
		units(where, want.Daily[d].Units, got.Daily[d].Units)
		arms(where, want.Daily[d].Arms, got.Daily[d].Arms)
	}
	return diffs
}

type armField struct {
	name      string
	want, got float64
}

func armFields(w, g stats.Arm) []armField {
	return []armField{
		{"N", w.N, g.N}, {"Sum", w.Sum, g.Sum}, {"SumSquares", w.SumSquares, g.SumSquares},
		{"Pre.Sum", w.Pre.Sum, g.Pre.Sum}, {"Pre.SumSquares", w.Pre.SumSquares, g.Pre.SumSquares},
		{"Post.Sum", w.Post.Sum, g.Post.Sum}, {"Post.SumSquares", w.Post.SumSquares, g.Post.SumSquares},
		{"SumProducts", w.SumProducts, g.SumProducts},
		{"Numerator.Sum", w.Numerator.Sum, g.Numerator.Sum}, {"Numerator.SumSquares", w.Numerator.SumSquares, g.Numerator.SumSquares},
		{"Denominator.Sum", w.Denominator.Sum, g.Denominator.Sum}, {"Denominator.SumSquares", w.Denominator.SumSquares, g.Denominator.SumSquares},
	}
}

// close reports whether two numbers agree within 1e-9 relative (or 1e-9
// absolute around zero, where relative means nothing).
func close(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Max(math.Abs(a), math.Abs(b)), 1e-3)
}

// TestSQLIsReadable checks what `growthbot source sql` prints runs by hand.
func TestSQLIsReadable(t *testing.T) {
	exps := parityExperiments()
	src := sourceDef("warehouse")
	pg, err := postgres.New(src, "postgres://nobody@127.0.0.1:1/none")
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	text, err := pg.SQL(requests(exps[:1], &src))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"analytics"."exposures"`, `'checkout'`, `'purchase'`, "row_number() OVER (ORDER BY"} {
		if !strings.Contains(text, want) {
			t.Errorf("the SQL lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "$1") {
		t.Errorf("the SQL has parameters; it must run as it is:\n%s", text)
	}
}
