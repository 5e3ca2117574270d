package store_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/growthbot/growthbot/stats"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

// aggTestNow is the clock of the aggregation tests.
var aggTestNow = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// aggMetrics are the metrics of the aggregation tests: every type, a
// winsorized sum with negative values, and a ratio of a winsorized metric.
var aggMetrics = []workflows.Metric{
	{Key: "purchase", Name: "Purchase", Type: workflows.MetricProportion, Event: "purchase", HigherIsBetter: true},
	{Key: "revenue", Name: "Revenue", Type: workflows.MetricMean, Event: "purchase", Value: workflows.ValueSum, Winsorize: 0.95, HigherIsBetter: true},
	{Key: "orders", Name: "Orders", Type: workflows.MetricMean, Event: "purchase", Value: workflows.ValueCount, HigherIsBetter: true},
	{Key: "aov", Name: "AOV", Type: workflows.MetricRatio, Numerator: "revenue", Denominator: "orders", HigherIsBetter: true},
	{Key: "errors", Name: "Errors", Type: workflows.MetricMean, Event: "checkout_error"},
	{Key: "balance", Name: "Balance", Type: workflows.MetricMean, Event: "credit", Value: workflows.ValueSum, Winsorize: 0.9, HigherIsBetter: true},
}

// mustSetUp stores a team, the metrics and running experiments.
func mustSetUp(tb testing.TB, db *store.DB, metrics []workflows.Metric, exps ...workflows.Experiment) {
	tb.Helper()
	putTeam(tb, db, "growth")
	err := db.Update(context.Background(), func(tx workflows.Tx) error {
		for _, m := range metrics {
			if err := tx.PutMetric(m); err != nil {
				return err
			}
		}
		for _, e := range exps {
			e.Team, e.Name, e.Method, e.Alpha, e.MinDays, e.PlannedDays, e.TargetMDE = "growth", e.Key, workflows.MethodSequential, 0.05, 7, 14, 0.05
			e.State, e.CreatedAt, e.UpdatedAt = workflows.StateRunning, e.StartedAt, e.StartedAt
			if err := tx.PutExperiment(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func variants(keys ...string) []workflows.Variant {
	var out []workflows.Variant
	for _, k := range keys {
		out = append(out, workflows.Variant{Key: k, Weight: 1})
	}
	return out
}

// rawEvent is an event as the reference computation sees it.
type rawEvent struct {
	unit, name string
	at         int64 // ms
	value      float64
}

type rawExposure struct {
	unit, experiment, variant string
	at                        int64
}

// randomData makes exposures and events around the experiments' windows:
// exposures before the start and after the end, units exposed twice to one
// variant and to two, events before exposure, in the pre-exposure window
// and after the end, repeated events, negative values.
func randomData(r *rand.Rand, exps []workflows.Experiment, units int) ([]rawExposure, []rawEvent) {
	var exposures []rawExposure
	var events []rawEvent
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	between := func(from, to int64) int64 { return from + r.Int64N(to-from) }
	for u := range units {
		unit := fmt.Sprintf("u%04d", u)
		for _, e := range exps {
			if r.Float64() < 0.15 {
				continue
			}
			v := e.Variants[r.IntN(len(e.Variants))].Key
			at := between(ms(e.StartedAt)-2*86400000, ms(aggTestNow)+3600000)
			exposures = append(exposures, rawExposure{unit, e.Key, v, at})
			switch x := r.Float64(); {
			case x < 0.05:
				other := e.Variants[r.IntN(len(e.Variants))].Key
				exposures = append(exposures, rawExposure{unit, e.Key, other, between(ms(e.StartedAt), ms(aggTestNow))})
			case x < 0.15: // the same variant again, earlier or later
				exposures = append(exposures, rawExposure{unit, e.Key, v, between(ms(e.StartedAt)-86400000, ms(aggTestNow))})
			}
		}
		for range r.IntN(16) {
			ev := rawEvent{unit: unit, at: between(ms(aggTestNow)-30*86400000, ms(aggTestNow)+12*3600000), value: 1}
			switch x := r.Float64(); {
			case x < 0.4:
				ev.name, ev.value = "purchase", math.Round(r.ExpFloat64()*4000)/100
			case x < 0.6:
				ev.name = "checkout_error"
			case x < 0.8:
				ev.name, ev.value = "credit", float64(r.IntN(101)-50)
			default:
				ev.name = "page_view"
			}
			events = append(events, ev)
			if r.Float64() < 0.05 {
				events = append(events, ev) // sent twice
			}
		}
	}
	return exposures, events
}

// importRaw imports the rows through the same path as the CLI and the API,
// alternating the timestamp formats.
func importRaw(tb testing.TB, db *store.DB, exposures []rawExposure, events []rawEvent) {
	tb.Helper()
	importExposures(tb, db, exposures)
	svc := workflows.NewService(db, nil)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i, x := range events {
		enc.Encode(map[string]any{"unit_id": x.unit, "event": x.name, "value": x.value, "timestamp": rawTimestamp(i, x.at)})
	}
	if _, err := codec.Import(context.Background(), svc, workflows.ImportEvents, &buf, codec.FormatJSON, "events.ndjson", workflows.ImportOptions{}); err != nil {
		tb.Fatal(err)
	}
}

// importExposures imports exposures as one file, as importRaw does.
func importExposures(tb testing.TB, db *store.DB, exposures []rawExposure) workflows.ImportReport {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i, x := range exposures {
		enc.Encode(map[string]any{"unit_id": x.unit, "experiment": x.experiment, "variant": x.variant, "timestamp": rawTimestamp(i, x.at)})
	}
	r, err := codec.Import(context.Background(), workflows.NewService(db, nil), workflows.ImportExposures, &buf, codec.FormatJSON, "exposures.ndjson", workflows.ImportOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// rawTimestamp writes the i-th row's time as RFC 3339 or as Unix seconds.
func rawTimestamp(i int, at int64) any {
	if i%2 == 0 {
		return time.UnixMilli(at).UTC().Format(time.RFC3339Nano)
	}
	return json.Number(strconv.FormatFloat(float64(at)/1000, 'f', 3, 64))
}

// reference computes an Aggregate the straightforward way: for every unit
// and every cutoff, go over all the raw rows.
func reference(req workflows.AggregateRequest, exposures []rawExposure, events []rawEvent) workflows.Aggregate {
	start, end := req.Start.UnixMilli(), req.End.UnixMilli()
	type unitInfo struct {
		variants []string
		first    int64
	}
	units := map[string]*unitInfo{}
	out := workflows.Aggregate{Experiment: req.Experiment.Key, Start: req.Start, End: req.End, Units: map[string]int64{}}
	var firstExp, lastExp int64 = math.MaxInt64, math.MinInt64
	// The earliest exposure of a unit to a variant wins, whatever the
	// order of the rows.
	earliest := map[[3]string]int64{}
	var keys [][3]string
	for _, x := range exposures {
		key := [3]string{x.experiment, x.unit, x.variant}
		at, ok := earliest[key]
		if !ok {
			keys = append(keys, key)
		}
		if !ok || x.at < at {
			earliest[key] = x.at
		}
	}
	for _, key := range keys {
		x := rawExposure{experiment: key[0], unit: key[1], variant: key[2], at: earliest[key]}
		if x.experiment != req.Experiment.Key || x.at < start || x.at >= end {
			continue
		}
		firstExp, lastExp = min(firstExp, x.at), max(lastExp, x.at)
		u := units[x.unit]
		if u == nil {
			u = &unitInfo{first: x.at}
			units[x.unit] = u
		}
		u.first = min(u.first, x.at)
		if !slices.Contains(u.variants, x.variant) {
			u.variants = append(u.variants, x.variant)
		}
	}
	if firstExp <= lastExp {
		out.FirstExposure, out.LastExposure = time.UnixMilli(firstExp).UTC(), time.UnixMilli(lastExp).UTC()
	}
	clean := map[string]*unitInfo{}
	for key, u := range units {
		if len(u.variants) > 1 {
			out.MultipleExposures++
			continue
		}
		clean[key] = u
	}
	// Stored events are unique.
	seen := map[rawEvent]bool{}
	byUnit := map[string][]rawEvent{}
	for _, ev := range events {
		if !seen[ev] {
			seen[ev] = true
			byUnit[ev.unit] = append(byUnit[ev.unit], ev)
		}
	}
	metric := map[string]workflows.Metric{}
	for _, m := range req.Metrics {
		metric[m.Key] = m
	}
	// value is a unit's raw value of a mean or proportion metric over
	// [from, to).
	value := func(m workflows.Metric, unit string, from, to int64) float64 {
		var count, sum float64
		for _, ev := range byUnit[unit] {
			if ev.name == m.Event && ev.at >= from && ev.at < to {
				count++
				sum += ev.value
			}
		}
		switch {
		case m.Type == workflows.MetricProportion && count > 0:
			return 1
		case m.Type == workflows.MetricProportion:
			return 0
		case m.Value == workflows.ValueSum:
			return sum
		}
		return count
	}
	caps := map[string]float64{}
	for _, m := range req.Metrics {
		caps[m.Key] = math.Inf(1)
		if m.Type != workflows.MetricMean || m.Winsorize == 0 || len(clean) == 0 {
			continue
		}
		var values []float64
		for key, u := range clean {
			values = append(values, value(m, key, u.first, end))
		}
		slices.Sort(values)
		caps[m.Key] = values[int(math.Ceil(m.Winsorize*float64(len(values))))-1]
	}
	capped := func(m workflows.Metric, unit string, from, to int64) float64 {
		return min(value(m, unit, from, to), caps[m.Key])
	}
	arms := func(cutoff int64) (map[string]int64, map[string]map[string]stats.Arm) {
		n := map[string]int64{}
		out := map[string]map[string]stats.Arm{}
		for _, m := range req.Metrics {
			out[m.Key] = map[string]stats.Arm{}
			for _, v := range req.Experiment.Variants {
				out[m.Key][v.Key] = stats.Arm{}
			}
		}
		for _, v := range req.Experiment.Variants {
			n[v.Key] = 0
		}
		for key, u := range clean {
			if u.first >= cutoff {
				continue
			}
			v := u.variants[0]
			n[v]++
			for _, m := range req.Metrics {
				a := out[m.Key][v]
				a.N++
				if m.Type == workflows.MetricRatio {
					num := capped(metric[m.Numerator], key, u.first, cutoff)
					den := capped(metric[m.Denominator], key, u.first, cutoff)
					a.Numerator.Sum += num
					a.Numerator.SumSquares += num * num
					a.Denominator.Sum += den
					a.Denominator.SumSquares += den * den
					a.SumProducts += num * den
				} else {
					x := capped(m, key, u.first, cutoff)
					pre := capped(m, key, u.first-workflows.PreExposureWindow.Milliseconds(), u.first)
					a.Sum += x
					a.SumSquares += x * x
					a.Pre.Sum += pre
					a.Pre.SumSquares += pre * pre
					a.SumProducts += x * pre
					a.Post = stats.Moments{Sum: a.Sum, SumSquares: a.SumSquares}
				}
				out[m.Key][v] = a
			}
		}
		return n, out
	}
	out.Units, out.Arms = arms(end)
	for c := start + 86400000; ; c += 86400000 {
		cut := min(c, end)
		n, a := arms(cut)
		out.Daily = append(out.Daily, workflows.DailyArms{End: time.UnixMilli(cut).UTC(), Units: n, Arms: a})
		if c >= end {
			break
		}
	}
	return out
}

// TestAggregateMatchesReference aggregates random data sets and compares
// every field with a straightforward computation over the raw rows.
func TestAggregateMatchesReference(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) { testAggregateMatchesReference(t, seed) })
	}
}

func testAggregateMatchesReference(t *testing.T, seed uint64) {
	db := MustOpenDB(t)
	db.Now = func() time.Time { return aggTestNow }
	exps := []workflows.Experiment{
		{Key: "checkout", Variants: variants("control", "treatment", "third"), StartedAt: aggTestNow.Add(-10*24*time.Hour + 5*time.Hour),
			PrimaryMetrics: []string{"purchase"}, GuardrailMetrics: []string{"errors"}, SecondaryMetrics: []string{"revenue", "aov", "balance"}},
		{Key: "banner", Variants: variants("control", "banner"), StartedAt: aggTestNow.Add(-5 * 24 * time.Hour),
			PrimaryMetrics: []string{"purchase"}, GuardrailMetrics: []string{"errors"}},
		{Key: "empty", Variants: variants("a", "b"), StartedAt: aggTestNow.Add(-time.Hour), PrimaryMetrics: []string{"orders"}},
	}
	mustSetUp(t, db, aggMetrics, exps...)
	exposures, events := randomData(rand.New(rand.NewPCG(seed, 2)), exps[:2], 400)
	importRaw(t, db, exposures, events)

	var reqs []workflows.AggregateRequest
	for _, e := range exps {
		reqs = append(reqs, workflows.AggregateRequest{Experiment: e, Start: e.StartedAt, End: aggTestNow})
		for _, key := range e.Metrics() {
			m := aggMetrics[slices.IndexFunc(aggMetrics, func(m workflows.Metric) bool { return m.Key == key })]
			reqs[len(reqs)-1].Metrics = append(reqs[len(reqs)-1].Metrics, m)
		}
	}
	// The ratio's components: "orders" is not among checkout's metrics.
	reqs[0].Metrics = append(reqs[0].Metrics, aggMetrics[2])

	got, err := db.Aggregate(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	// With a budget too small for any two experiments, each gets a pass of
	// its own, with the same results.
	restore := store.SetAggregateBudget(1)
	separately, err := db.Aggregate(context.Background(), reqs)
	restore()
	if err != nil || !reflect.DeepEqual(separately, got) {
		t.Errorf("aggregated one pass per experiment: %v, and the results differ: %v", err, !reflect.DeepEqual(separately, got))
	}
	for i, req := range reqs {
		t.Run(req.Experiment.Key, func(t *testing.T) {
			want := reference(req, exposures, events)
			compareAggregates(t, got[i], want)
			if req.Experiment.Key != "checkout" {
				return
			}
			// The data must exercise what the test claims to check.
			plain := req
			plain.Metrics = nil
			for _, m := range req.Metrics {
				m.Winsorize = 0
				plain.Metrics = append(plain.Metrics, m)
			}
			uncapped := reference(plain, exposures, events)
			for _, key := range []string{"revenue", "balance", "aov"} {
				if closeArms(uncapped.Arms[key]["control"], want.Arms[key]["control"]) {
					t.Errorf("winsorization does not change %s: the test data are too tame", key)
				}
			}
			if want.MultipleExposures == 0 || want.Arms["revenue"]["control"].Pre.Sum == 0 {
				t.Errorf("the test data should have multiply exposed units and pre-exposure revenue")
			}
		})
	}
}

// TestEarliestExposureWinsWhateverTheOrder imports the same exposures in
// their order as one file, and latest first as three files, and then
// again as a retry: each database keeps every unit's earliest exposure to
// each variant, so both aggregate as the reference says, and the retry
// adds nothing.
func TestEarliestExposureWinsWhateverTheOrder(t *testing.T) {
	e := workflows.Experiment{Key: "checkout", Variants: variants("control", "treatment"), StartedAt: aggTestNow.Add(-10 * 24 * time.Hour),
		PrimaryMetrics: []string{"purchase"}, GuardrailMetrics: []string{"errors"}, SecondaryMetrics: []string{"revenue"}}
	req := workflows.AggregateRequest{Experiment: e, Start: e.StartedAt, End: aggTestNow,
		Metrics: []workflows.Metric{aggMetrics[0], aggMetrics[1], aggMetrics[4]}}
	exposures, events := randomData(rand.New(rand.NewPCG(5, 5)), []workflows.Experiment{e}, 400)
	// Every unit also gets a late copy of its exposures, a day later, and
	// some an earlier one, as a backfill would bring.
	r := rand.New(rand.NewPCG(6, 6))
	for _, x := range slices.Clone(exposures) {
		late := x
		late.at += 86400000
		exposures = append(exposures, late)
		if r.Float64() < 0.3 {
			early := x
			early.at -= r.Int64N(2 * 86400000)
			exposures = append(exposures, early)
		}
	}
	want := reference(req, exposures, events)
	latestFirst := slices.SortedStableFunc(slices.Values(exposures), func(a, b rawExposure) int { return cmp.Compare(b.at, a.at) })
	for _, tc := range []struct {
		name  string
		files [][]rawExposure
	}{
		{"in their order, one file", [][]rawExposure{exposures}},
		{"latest first, three files", [][]rawExposure{latestFirst[:len(latestFirst)/3], latestFirst[len(latestFirst)/3 : len(latestFirst)*2/3], latestFirst[len(latestFirst)*2/3:]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpenDB(t)
			db.Now = func() time.Time { return aggTestNow }
			mustSetUp(t, db, aggMetrics, e)
			for _, f := range tc.files {
				importExposures(t, db, f)
			}
			importRaw(t, db, nil, events)
			if r := importExposures(t, db, exposures); r.Imported != 0 || r.Duplicates != int64(len(exposures)) {
				t.Errorf("the retry imported %d, %d duplicates; want 0, %d", r.Imported, r.Duplicates, len(exposures))
			}
			got, err := db.Aggregate(context.Background(), []workflows.AggregateRequest{req})
			if err != nil {
				t.Fatal(err)
			}
			compareAggregates(t, got[0], want)
		})
	}
	// The backfill must matter: with the first file's first exposures
	// winning, the result would differ.
	var firstImported []rawExposure
	seen := map[[3]string]bool{}
	for _, x := range latestFirst {
		if key := [3]string{x.experiment, x.unit, x.variant}; !seen[key] {
			seen[key] = true
			firstImported = append(firstImported, x)
		}
	}
	if old := reference(req, firstImported, events); same(old.Units, want.Units) && old.Arms["purchase"]["control"] == want.Arms["purchase"]["control"] {
		t.Errorf("the test data do not tell the earliest exposure from the first imported")
	}
}

// compareAggregates compares every field, floats to a relative 1e-9.
func compareAggregates(t *testing.T, got, want workflows.Aggregate) {
	t.Helper()
	if got.Experiment != want.Experiment || !got.Start.Equal(want.Start) || !got.End.Equal(want.End) ||
		!got.FirstExposure.Equal(want.FirstExposure) || !got.LastExposure.Equal(want.LastExposure) ||
		got.MultipleExposures != want.MultipleExposures || !same(got.Units, want.Units) {
		t.Errorf("header:\n got %v %v..%v exposures %v..%v multiple %d units %v\nwant %v %v..%v exposures %v..%v multiple %d units %v",
			got.Experiment, got.Start, got.End, got.FirstExposure, got.LastExposure, got.MultipleExposures, got.Units,
			want.Experiment, want.Start, want.End, want.FirstExposure, want.LastExposure, want.MultipleExposures, want.Units)
	}
	compareArms(t, "final", got.Arms, want.Arms)
	if len(got.Daily) != len(want.Daily) {
		t.Fatalf("%d days, want %d", len(got.Daily), len(want.Daily))
	}
	for d := range want.Daily {
		g, w := got.Daily[d], want.Daily[d]
		if !g.End.Equal(w.End) || !same(g.Units, w.Units) {
			t.Errorf("day %d: end %v units %v, want %v %v", d, g.End, g.Units, w.End, w.Units)
		}
		compareArms(t, fmt.Sprintf("day %d", d), g.Arms, w.Arms)
	}
}

func compareArms(t *testing.T, what string, got, want map[string]map[string]stats.Arm) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: metrics %v, want %v", what, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	for metric, byVariant := range want {
		for variant, w := range byVariant {
			g, ok := got[metric][variant]
			if !ok || !closeArms(g, w) {
				t.Errorf("%s %s %s:\n got %+v\nwant %+v", what, metric, variant, g, w)
			}
		}
	}
}

func closeArms(a, b stats.Arm) bool {
	x := []float64{a.N, a.Sum, a.SumSquares, a.Numerator.Sum, a.Numerator.SumSquares, a.Denominator.Sum, a.Denominator.SumSquares,
		a.Post.Sum, a.Post.SumSquares, a.Pre.Sum, a.Pre.SumSquares, a.SumProducts}
	y := []float64{b.N, b.Sum, b.SumSquares, b.Numerator.Sum, b.Numerator.SumSquares, b.Denominator.Sum, b.Denominator.SumSquares,
		b.Post.Sum, b.Post.SumSquares, b.Pre.Sum, b.Pre.SumSquares, b.SumProducts}
	for i := range x {
		if math.Abs(x[i]-y[i]) > 1e-9*math.Max(1, math.Max(math.Abs(x[i]), math.Abs(y[i]))) {
			return false
		}
	}
	return true
}
