package store_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
)

// The aggregation benchmarks need databases of ten million events. They
// are built once, with the store's bulk writers (the import path without
// the parsing), and kept in $TMPDIR/growthbot-bench; delete that folder to
// rebuild them. Building one takes a minute or two on 2 cores.

// benchNow is the clock of the fixtures.
var benchNow = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// benchFixture returns the path of a cached fixture database, building it
// with build when it is missing.
func benchFixture(b *testing.B, name string, build func(db *store.DB) error) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "growthbot-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, name+".db")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("building %s (once; kept for later runs)", path)
	tmp := path + ".building"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(p)
	}
	db, err := store.Open(context.Background(), tmp)
	if err != nil {
		b.Fatal(err)
	}
	db.Now = func() time.Time { return benchNow }
	start := time.Now()
	err = build(db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("built in %v", time.Since(start).Round(time.Second))
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// writeEvents stores n events of the given names over [from, to), in time
// order as real imports arrive, for units u0..u(units-1).
func writeEvents(db *store.DB, r *rand.Rand, n, units int, from, to time.Time, names []string, weights []float64) error {
	return db.Update(context.Background(), func(tx workflows.Tx) error {
		w, err := tx.EventWriter()
		if err != nil {
			return err
		}
		defer w.Close()
		step := to.Sub(from) / time.Duration(n)
		batch := make([]workflows.Event, 0, 2000)
		ids := unitNames(units)
		for i := range n {
			ev := workflows.Event{UnitID: ids[r.IntN(units)], At: from.Add(time.Duration(i) * step), Value: 1}
			x := r.Float64()
			for j, wt := range weights {
				if x < wt || j == len(weights)-1 {
					ev.Name = names[j]
					break
				}
				x -= wt
			}
			if ev.Name == "purchase" || ev.Name == names[0] && len(names) > 3 {
				ev.Value = math.Round(r.ExpFloat64()*5000) / 100
			}
			if batch = append(batch, ev); len(batch) == cap(batch) || i == n-1 {
				if _, err := w.Write(batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		return nil
	})
}

func unitNames(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%07d", i)
	}
	return ids
}

// writeExposures exposes each unit to the experiments pick chooses, at a
// random time in each one's window.
func writeExposures(db *store.DB, r *rand.Rand, units int, exps []workflows.Experiment, pick func(unit int) []int) error {
	return db.Update(context.Background(), func(tx workflows.Tx) error {
		w, err := tx.ExposureWriter()
		if err != nil {
			return err
		}
		defer w.Close()
		ids := unitNames(units)
		batch := make([]workflows.Exposure, 0, 2000)
		for u := range units {
			for _, i := range pick(u) {
				e := exps[i]
				at := e.StartedAt.Add(time.Duration(r.Int64N(int64(benchNow.Sub(e.StartedAt)))))
				batch = append(batch, workflows.Exposure{UnitID: ids[u], Experiment: e.Key, Variant: e.Variants[r.IntN(len(e.Variants))].Key, At: at})
			}
			if len(batch) >= 1800 || u == units-1 {
				if _, err := w.Write(batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		return nil
	})
}

// benchRequest is the request for an experiment of a fixture.
func benchRequest(e workflows.Experiment, metrics []workflows.Metric) workflows.AggregateRequest {
	return workflows.AggregateRequest{Experiment: e, Metrics: metrics, Start: e.StartedAt, End: benchNow}
}

// The one-experiment fixture: the example config's checkout metrics plus
// page views, so that every one of its 10M events counts.
var (
	oneMetrics = []workflows.Metric{
		{Key: "purchase", Name: "Purchase", Type: workflows.MetricProportion, Event: "purchase", HigherIsBetter: true},
		{Key: "revenue", Name: "Revenue", Type: workflows.MetricMean, Event: "purchase", Value: workflows.ValueSum, Winsorize: 0.999, HigherIsBetter: true},
		{Key: "orders", Name: "Orders", Type: workflows.MetricMean, Event: "purchase", HigherIsBetter: true},
		{Key: "aov", Name: "AOV", Type: workflows.MetricRatio, Numerator: "revenue", Denominator: "orders", HigherIsBetter: true},
		{Key: "errors", Name: "Errors", Type: workflows.MetricMean, Event: "checkout_error"},
		{Key: "pageviews", Name: "Page views", Type: workflows.MetricMean, Event: "page_view", HigherIsBetter: true},
	}
	oneExperiment = workflows.Experiment{Key: "bench", Variants: variants("control", "treatment"), StartedAt: benchNow.Add(-21 * 24 * time.Hour),
		PrimaryMetrics: []string{"purchase"}, GuardrailMetrics: []string{"errors"}, SecondaryMetrics: []string{"revenue", "orders", "aov", "pageviews"}}
)

// BenchmarkAggregate1MUnits10MEvents aggregates one experiment with 1M
// units and 10M events (over its 21 days and the 14 before), all of which
// feed its six metrics, winsorization and the daily series included.
func BenchmarkAggregate1MUnits10MEvents(b *testing.B) {
	const units, events = 1_000_000, 10_000_000
	path := benchFixture(b, "aggregate-1m-10m-v2", func(db *store.DB) error {
		mustSetUp(b, db, oneMetrics, oneExperiment)
		r := rand.New(rand.NewPCG(1, 1))
		if err := writeExposures(db, r, units, []workflows.Experiment{oneExperiment}, func(int) []int { return []int{0} }); err != nil {
			return err
		}
		return writeEvents(db, r, events, units, oneExperiment.StartedAt.Add(-14*24*time.Hour), benchNow,
			[]string{"page_view", "purchase", "checkout_error"}, []float64{0.7, 0.2, 0.1})
	})
	db, err := store.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	req := benchRequest(oneExperiment, oneMetrics)
	b.ResetTimer()
	for b.Loop() {
		got, err := db.Aggregate(context.Background(), []workflows.AggregateRequest{req})
		if err != nil {
			b.Fatal(err)
		}
		if n := got[0].Units["control"] + got[0].Units["treatment"]; n < units*9/10 {
			b.Fatalf("only %d units analysed", n)
		}
	}
}

// The pulse fixture: 200 running experiments of 10 metrics each over one
// table of 10M events of 20 names; 1M units, each in 4 experiments.
func pulseFixture() ([]workflows.Metric, []workflows.Experiment, []workflows.AggregateRequest) {
	var metrics []workflows.Metric
	var names []string
	for i := range 20 {
		names = append(names, fmt.Sprintf("event_%02d", i))
	}
	for i, name := range names {
		metrics = append(metrics,
			workflows.Metric{Key: name + "_users", Name: name, Type: workflows.MetricProportion, Event: name},
			workflows.Metric{Key: name + "_count", Name: name, Type: workflows.MetricMean, Event: name})
		if i%4 == 0 {
			metrics = append(metrics, workflows.Metric{Key: name + "_value", Name: name, Type: workflows.MetricMean, Event: name, Value: workflows.ValueSum, Winsorize: 0.999})
		}
	}
	byKey := map[string]workflows.Metric{}
	for _, m := range metrics {
		byKey[m.Key] = m
	}
	var exps []workflows.Experiment
	var reqs []workflows.AggregateRequest
	for i := range 200 {
		e := workflows.Experiment{Key: fmt.Sprintf("exp-%03d", i), Variants: variants("control", "treatment"),
			StartedAt: benchNow.Add(-time.Duration(7+i%21) * 24 * time.Hour)}
		// Ten metrics over four event names, one of them winsorized, and a
		// ratio of two of them.
		base := (i * 3) % 20
		for j := range 4 {
			name := names[(base+j*5)%20]
			e.SecondaryMetrics = append(e.SecondaryMetrics, name+"_users", name+"_count")
		}
		e.PrimaryMetrics = []string{names[base] + "_users"}
		e.SecondaryMetrics = e.SecondaryMetrics[1:]
		e.GuardrailMetrics = []string{names[(base/4*4)%20] + "_value"}
		ratio := workflows.Metric{Key: fmt.Sprintf("ratio_%03d", i), Name: "ratio", Type: workflows.MetricRatio,
			Numerator: names[(base+5)%20] + "_count", Denominator: names[base] + "_count"}
		metrics = append(metrics, ratio)
		byKey[ratio.Key] = ratio
		e.SecondaryMetrics = append(e.SecondaryMetrics, ratio.Key)
		req := workflows.AggregateRequest{Experiment: e, Start: e.StartedAt, End: benchNow}
		for _, key := range e.Metrics() {
			req.Metrics = append(req.Metrics, byKey[key])
		}
		exps = append(exps, e)
		reqs = append(reqs, req)
	}
	return metrics, exps, reqs
}

// BenchmarkAggregatePulse aggregates 200 running experiments of 10 metrics
// each over a 10M-event table in one call, as a daily pulse will.
func BenchmarkAggregatePulse(b *testing.B) {
	const units, events = 1_000_000, 10_000_000
	metrics, exps, reqs := pulseFixture()
	path := benchFixture(b, "aggregate-pulse-200x10-v2", func(db *store.DB) error {
		mustSetUp(b, db, metrics, exps...)
		r := rand.New(rand.NewPCG(2, 2))
		pick := func(u int) []int {
			return []int{r.IntN(50), 50 + r.IntN(50), 100 + r.IntN(50), 150 + r.IntN(50)}
		}
		if err := writeExposures(db, r, units, exps, pick); err != nil {
			return err
		}
		var names []string
		var weights []float64
		for i := range 20 {
			names = append(names, fmt.Sprintf("event_%02d", i))
			weights = append(weights, 0.05)
		}
		return writeEvents(db, r, events, units, benchNow.Add(-42*24*time.Hour), benchNow, names, weights)
	})
	db, err := store.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	for b.Loop() {
		got, err := db.Aggregate(context.Background(), reqs)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 200 || got[0].Units["control"] == 0 {
			b.Fatalf("pulse: %d aggregates, %v units", len(got), got[0].Units)
		}
	}
}
