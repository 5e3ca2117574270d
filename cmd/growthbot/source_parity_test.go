package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store/postgres/pgtest"
	"github.com/growthbot/growthbot/workflows"
)

// parityConfig defines three experiments over every kind of metric; with
// source set, they read the warehouse.
func parityConfig(source bool) string {
	var b strings.Builder
	if source {
		b.WriteString(`sources:
  - key: warehouse
    type: postgres
    dsn_env: WAREHOUSE_DSN
    exposures: {table: analytics.exposures, unit_id: user_id, experiment: experiment_key, variant: variation, timestamp: ts}
    events:    {table: analytics.events,    unit_id: user_id, event: event_name, value: amount, timestamp: ts}
`)
	}
	src := ""
	if source {
		src = "\n    source: warehouse"
	}
	b.WriteString(`teams:
  - key: growth
    channel: C0GROWTH
    lead: U0LEAD
    approvers: [U0PM]
metrics:
  - {key: purchase, type: proportion, event: purchase}
  - {key: revenue, type: mean, event: purchase, value: sum, winsorize: 0.95}
  - {key: orders, type: mean, event: purchase}
  - {key: aov, type: ratio, numerator: revenue, denominator: orders}
  - {key: errors, type: mean, event: checkout_error, higher_is_better: false}
  - {key: spend, type: mean, event: credit, value: sum}
experiments:
  - key: checkout
    team: growth
    owner: U0PM
    variants: [{key: control, weight: 50}, {key: treatment, weight: 50}]
    primary_metrics: [purchase]
    guardrail_metrics: [errors]
    secondary_metrics: [revenue, aov, spend]
    method: sequential
    planned_days: 28` + src + `
  - key: pricing
    team: growth
    owner: U0PM
    variants: [{key: control, weight: 40}, {key: low, weight: 30}, {key: high, weight: 30}]
    primary_metrics: [revenue]
    secondary_metrics: [orders, aov]
    method: bayesian
    planned_days: 28` + src + `
  - key: banner
    team: growth
    owner: U0PM
    variants: [{key: "off", weight: 50}, {key: "on", weight: 50}]
    primary_metrics: [spend]
    method: fixed
    min_days: 1
    planned_days: 14` + src + `
`)
	return b.String()
}

// TestScorecardParity loads the same generated data into SQLite through
// `growthbot import` and into PostgreSQL with COPY, runs `growthbot jobs
// run pulse` and `growthbot scorecard KEY --json` on each, and compares
// every number of the stored scorecards (units, means, lifts, intervals,
// p-values, chances to win, SRM, progress, the daily lift series) and of
// the JSON: fixed, sequential and Bayesian experiments, CUPED,
// a ratio, a winsorized metric, three arms, units exposed to several
// variants. Both windows end at the same instant, the experiments' decision
// time, so that the two runs see the same window.
func TestScorecardParity(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	end := now.Add(-time.Hour)
	started := map[string]time.Time{
		"checkout": end.Add(-17*24*time.Hour - 5*time.Hour),
		"pricing":  end.Add(-9*24*time.Hour - 90*time.Minute),
		"banner":   end.Add(-3 * 24 * time.Hour),
	}
	var exps []workflows.Experiment
	for _, e := range []struct {
		key      string
		variants []string
	}{{"checkout", []string{"control", "treatment"}}, {"pricing", []string{"control", "low", "high"}}, {"banner", []string{"off", "on"}}} {
		x := workflows.Experiment{Key: e.key, StartedAt: started[e.key]}
		for _, v := range e.variants {
			x.Variants = append(x.Variants, workflows.Variant{Key: v})
		}
		exps = append(exps, x)
	}
	data := pgtest.Generate(3, exps, 2500, now)
	dsn := pgtest.DSN(t)
	pgtest.LoadAnalytics(t, dsn, data)

	dir := t.TempDir()
	vars := map[string]string{"WAREHOUSE_DSN": dsn}
	setUp := func(name string, source bool) string {
		db := filepath.Join(dir, name+".db")
		cfg := writeFile(t, dir, name+".yaml", parityConfig(source))
		if res := run(t, "", vars, "apply", "-f", cfg, "--db", db); res.code != 0 {
			t.Fatal(res)
		}
		withService(t, db, func(svc *workflows.Service) {
			err := svc.Store.Update(context.Background(), func(tx workflows.Tx) error {
				for key, at := range started {
					e, err := tx.Experiment(key)
					if err != nil {
						return err
					}
					e.State, e.StartedAt, e.DecidedAt = workflows.StateRunning, at, end
					if err := tx.PutExperiment(e); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		return db
	}
	embedded, warehouse := setUp("embedded", false), setUp("warehouse", true)

	exposures := writeNDJSON(t, dir, "exposures.ndjson", len(data.Exposures), func(i int) any {
		x := data.Exposures[i]
		return map[string]any{"unit_id": x.UnitID, "experiment": x.Experiment, "variant": x.Variant, "timestamp": x.At.Format(time.RFC3339Nano)}
	})
	events := writeNDJSON(t, dir, "events.ndjson", len(data.Events), func(i int) any {
		e := data.Events[i]
		return map[string]any{"unit_id": e.UnitID, "event": e.Name, "value": e.Value, "timestamp": e.At.Format(time.RFC3339Nano)}
	})
	for _, args := range [][]string{{"import", "exposures", exposures}, {"import", "events", events}} {
		if res := run(t, "", nil, append(args, "--db", embedded)...); res.code != 0 {
			t.Fatal(res)
		}
	}

	day := now.Format("2006-01-02")
	cards := map[string]map[string]any{}
	for _, db := range []string{embedded, warehouse} {
		res := run(t, "", vars, "jobs", "run", "pulse", "--period", day, "--db", db)
		if res.code != 0 || strings.Count(res.stdout, "(scorecard posted)") != 3 {
			t.Fatalf("pulse of %s: %+v", db, res)
		}
		cards[db] = map[string]any{}
		withDB(t, db, func(tx workflows.Tx) {
			for key := range started {
				snap, err := tx.LastSnapshot(key, now.Add(24*time.Hour).Format("2006-01-02"), true)
				if err != nil {
					t.Fatal(err)
				}
				raw, err := json.Marshal(snap.Scorecard)
				if err != nil {
					t.Fatal(err)
				}
				var v any
				json.Unmarshal(raw, &v)
				cards[db][key] = v
			}
		})
	}
	for key := range started {
		var diffs []string
		numbers := compareJSON("", cards[embedded][key], cards[warehouse][key], &diffs)
		t.Logf("%s: %d numbers agree", key, numbers)
		if numbers < 30 {
			t.Errorf("%s: only %d numbers compared", key, numbers)
		}
		reportDiffs(t, key, diffs)
	}
	// growthbot scorecard KEY --json: every number agrees too.
	for key := range started {
		var out [2]any
		for i, db := range []string{embedded, warehouse} {
			res := run(t, "", vars, "scorecard", key, "--json", "--db", db)
			if res.code != 0 {
				t.Fatalf("scorecard %s --json: %+v", key, res)
			}
			if err := json.Unmarshal([]byte(res.stdout), &out[i]); err != nil {
				t.Fatalf("scorecard %s --json: %v\n%s", key, err, res.stdout)
			}
		}
		var diffs []string
		numbers := compareJSON("", out[0], out[1], &diffs)
		t.Logf("%s: %d numbers of scorecard --json agree", key, numbers)
		if numbers < 10 {
			t.Errorf("%s: only %d numbers in scorecard --json", key, numbers)
		}
		reportDiffs(t, key+" --json", diffs)
	}
	// The data did exercise what the issue lists.
	sc := cards[embedded]["checkout"].(map[string]any)
	if lift, _ := sc["Lift"].([]any); len(lift) < 10 {
		t.Errorf("checkout's daily lift series has %d points", len(lift))
	}
	if n, _ := sc["MultipleExposures"].(float64); n == 0 {
		t.Errorf("no unit exposed to several variants: %v", sc["MultipleExposures"])
	}
	if !strings.Contains(fmt.Sprint(cards[embedded]["checkout"]), "CUPED:true") {
		t.Errorf("no CUPED result in checkout's scorecard")
	}
}

// compareJSON walks two decoded JSON values and records each difference:
// numbers beyond 1e-9 relative, other values unequal. It returns how many
// numbers it compared.
func compareJSON(path string, a, b any, diffs *[]string) int {
	switch path {
	case ".Experiment.Source", ".Experiment.CreatedAt", ".Experiment.UpdatedAt":
		// Set by the two applies.
		return 0
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: %v, want %v", path, b, a))
			return 0
		}
		n := 0
		for k := range x {
			n += compareJSON(path+"."+k, x[k], y[k], diffs)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: unexpected", path, k))
			}
		}
		return n
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %d items, want %d", path, len(y), len(x)))
			return 0
		}
		n := 0
		for i := range x {
			n += compareJSON(fmt.Sprintf("%s[%d]", path, i), x[i], y[i], diffs)
		}
		return n
	case float64:
		y, ok := b.(float64)
		if !ok || !(x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Max(math.Abs(x), math.Abs(y)), 1e-6)) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %v, want %v", path, b, a))
		}
		return 1
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		*diffs = append(*diffs, fmt.Sprintf("%s: %v, want %v", path, b, a))
	}
	return 0
}

func writeNDJSON(t *testing.T, dir, name string, n int, row func(i int) any) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i := range n {
		if err := enc.Encode(row(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// reportDiffs fails the test with the first 20 differences, sorted, and
// counts the rest.
func reportDiffs(t *testing.T, what string, diffs []string) {
	t.Helper()
	sort.Strings(diffs)
	for i, d := range diffs {
		if i == 20 {
			t.Errorf("%s: ... and %d more differences", what, len(diffs)-20)
			return
		}
		t.Errorf("%s: %s", what, d)
	}
}
