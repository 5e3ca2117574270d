package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/templates"
)

func TestJobsListAndRun(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", string(templates.ExampleConfig()))
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	list := run(t, "", nil, "jobs", "list", "--db", db)
	if list.code != 0 || !strings.Contains(list.stdout, "pulse") || !strings.Contains(list.stdout, "0 9 * * *") || !strings.Contains(list.stdout, "never") {
		t.Fatalf("jobs list: %+v", list)
	}
	first := run(t, "", nil, "jobs", "run", "pulse", "--team", "checkout", "--period", "2026-11-16", "--db", db)
	if first.code != 0 || !strings.Contains(first.stdout, "pulse checkout 2026-11-16: no running experiments") {
		t.Fatalf("jobs run pulse: %+v", first)
	}
	again := run(t, "", nil, "jobs", "run", "pulse", "--team", "checkout", "--period", "2026-11-16", "--db", db)
	if again.code != 0 || !strings.Contains(again.stdout, "skipped, pulse for checkout, 2026-11-16, already ran; --force runs it again") {
		t.Errorf("second run of the same period: %+v", again)
	}
	forced := run(t, "", nil, "jobs", "run", "pulse", "--team", "checkout", "--period", "2026-11-16", "--force", "--db", db)
	if forced.code != 0 || strings.Contains(forced.stdout, "skipped") {
		t.Errorf("--force: %+v", forced)
	}
	list = run(t, "", nil, "jobs", "list", "--db", db)
	if !strings.Contains(list.stdout, "checkout 2026-11-16 done") {
		t.Errorf("jobs list after a run: %s", list.stdout)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"jobs", "run", "pulse", "--period", "yesterday", "--db", db}, `period "yesterday": a pulse runs for a day, YYYY-MM-DD`},
		{[]string{"jobs", "run", "pulse", "--team", "chekout", "--db", db}, `no team "chekout"`},
		{[]string{"jobs", "run", "pulse", "--experiment", "one-click-checkout", "--db", db}, `experiment "one-click-checkout" is draft`},
		{[]string{"jobs", "run", "cleanup", "--db", db}, `unknown job "cleanup"`},
		{[]string{"jobs", "run"}, "name the job to run"},
		{[]string{"jobs", "frobnicate"}, `unknown jobs subcommand "frobnicate"`},
	} {
		res := run(t, "", nil, bad.args...)
		if res.code == 0 || !strings.Contains(res.stderr, bad.want) {
			t.Errorf("growthbot %v: exit %d, want %q in %s", bad.args, res.code, bad.want, res.stderr)
		}
	}
}

func TestStatsCommand(t *testing.T) {
	good := `[{"id":"a","kind":"srm","input":{"counts":[1000,1200],"weights":[1,1]}},
	          {"id":"b","kind":"compare","input":{"metric_type":"mean"}}]`
	res := run(t, good, nil, "stats", "-")
	if res.code != 0 || !strings.Contains(res.stdout, `"p_value": 0.0000200786561`) || !strings.Contains(res.stdout, `"error": "input: missing`) {
		t.Fatalf("stats: %+v", res)
	}
	bad := run(t, "[\n  {\"kind\": }\n]", nil, "stats", "-")
	if bad.code != 1 || !strings.Contains(bad.stderr, "line 2, column 12") {
		t.Errorf("stats of malformed JSON: %+v", bad)
	}
	if res := run(t, "", nil, "stats"); res.code != 2 {
		t.Errorf("stats without a file: exit %d", res.code)
	}
}

// growthbot stats gives a result for clear-cut effects the normal
// approximation used to refuse: one arm without variance.
func TestStatsCommandOneArmWithoutVariance(t *testing.T) {
	in := `[{"id":"0/5000 vs 82/5000","kind":"compare","input":{"metric_type":"proportion","difference":"absolute","method":"fixed","alpha":0.05,"control":{"n":5000,"sum":0},"treatment":{"n":5000,"sum":82}}},
	{"id":"500/5000 vs 0/5000","kind":"compare","input":{"metric_type":"proportion","difference":"absolute","method":"sequential","alpha":0.05,"control":{"n":5000,"sum":500},"treatment":{"n":5000,"sum":0}}},
	{"id":"constant control","kind":"compare","input":{"metric_type":"mean","difference":"relative","method":"bayesian","alpha":0.05,"control":{"n":100,"sum":500,"sum_squares":2500},"treatment":{"n":100,"sum":600,"sum_squares":3700}}},
	{"id":"exact","kind":"compare","input":{"metric_type":"proportion","difference":"absolute","method":"fixed","alpha":0.05,"exact":true,"control":{"n":5000,"sum":0},"treatment":{"n":5000,"sum":82}}}]`
	res := run(t, in, nil, "stats", "-")
	if res.code != 0 {
		t.Fatalf("stats: %+v", res)
	}
	var out []map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || len(out) != 4 {
		t.Fatalf("stats output %s: %v", res.stdout, err)
	}
	for i, want := range []float64{0.0164, -0.1, 0.2, 0.0164} {
		if out[i]["error"] != nil || math.Abs(out[i]["estimate"].(float64)-want) > 1e-12 {
			t.Errorf("case %v: %v, want estimate %g", out[i]["id"], out[i], want)
		}
	}
	// Fisher's exact p from exact rational arithmetic.
	if p := out[3]["p_value"].(float64); math.Abs(p-2.9590642226497063e-25) > 1e-33 || out[3]["test"] != "Fisher's exact test" {
		t.Errorf("exact case: %v", out[3])
	}
}
