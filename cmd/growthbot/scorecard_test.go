package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// exposeRollout imports two exposed units in each arm of the example's
// guided-onboarding rollout, at: a rollout advances only while its
// guardrails are computed, and no data at all leaves them unknown.
func exposeRollout(t *testing.T, db string, at time.Time) {
	t.Helper()
	var b strings.Builder
	for i, v := range []string{"control", "control", "guided", "guided"} {
		fmt.Fprintf(&b, `{"unit_id":"rollout-u%d","experiment":"guided-onboarding","variant":%q,"timestamp":%d}`+"\n", i, v, at.Unix())
	}
	path := writeFile(t, filepath.Dir(db), "rollout-exposures.ndjson", b.String())
	if res := run(t, "", nil, "import", "exposures", path, "--db", db); res.code != 0 {
		t.Fatalf("import exposures: %+v", res)
	}
}

// scorecardConfig has experiments whose truth is known, on one team.
const scorecardConfig = `
teams:
  - {key: checkout, name: Checkout, channel: C0CHECKOUT, lead: U0LEAD, approvers: [U0PM, U0LEAD], members: [U0ENG1]}
metrics:
  - {key: purchase, name: Purchase conversion, type: proportion, event: purchase}
  - {key: crash, name: Crash rate, type: proportion, event: app_crash, higher_is_better: false}
experiments:
  - {key: crashy, name: Crashy, team: checkout, owner: U0ENG1, variants: [{key: control, weight: 1}, {key: treatment, weight: 1}],
     primary_metrics: [purchase], guardrail_metrics: [crash], method: sequential, min_days: 7, planned_days: 14}
  - {key: no-buy, name: No buy, team: checkout, owner: U0ENG1, variants: [{key: control, weight: 1}, {key: treatment, weight: 1}],
     primary_metrics: [purchase], method: sequential, min_days: 7, planned_days: 14}
  - {key: two-arms, name: Two arms, team: checkout, owner: U0ENG1, variants: [{key: control, weight: 1}, {key: treatment, weight: 1}],
     primary_metrics: [purchase], method: sequential, min_days: 7, planned_days: 14}
  - {key: three-arms, name: Three arms, team: checkout, owner: U0ENG1,
     variants: [{key: control, weight: 1}, {key: treatment, weight: 1}, {key: other, weight: 1}],
     primary_metrics: [purchase], method: sequential, min_days: 7, planned_days: 14}
  - {key: draft, name: Draft, team: checkout, owner: U0ENG1, variants: [{key: control, weight: 1}, {key: treatment, weight: 1}],
     primary_metrics: [purchase]}
`

// armData is one arm of an experiment: units exposed, and how many of them
// have each event.
type armData struct {
	variant string
	units   int
	events  map[string]int
}

// writeArms writes the exposures and events of an experiment's arms as
// NDJSON, every unit exposed at `at` and its events an hour later.
func writeArms(exposures, events *strings.Builder, key string, at time.Time, arms ...armData) {
	for _, a := range arms {
		for i := range a.units {
			unit := fmt.Sprintf("%s-%s-%d", key, a.variant, i)
			fmt.Fprintf(exposures, `{"unit_id":%q,"experiment":%q,"variant":%q,"timestamp":%d}`+"\n", unit, key, a.variant, at.Unix())
			for event, n := range a.events {
				if i < n {
					fmt.Fprintf(events, `{"unit_id":%q,"event":%q,"timestamp":%d}`+"\n", unit, event, at.Add(time.Hour).Unix())
				}
			}
		}
	}
}

// TestScorecardThroughThePipeline imports data whose truth is known, starts
// the experiments ten days ago, runs the pulse and reads `growthbot
// scorecard --json`: a guardrail only treatment trips fails the
// guardrails and blocks a ship, a treatment nobody converts in is
// significantly worse, and three arms of the same data as two show the
// same days to target.
func TestScorecardThroughThePipeline(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", scorecardConfig), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	started := time.Now().Add(-10 * 24 * time.Hour).Truncate(time.Second)
	withWiredService(t, db, appOptions{clock: workflows.NewFakeClock(started)}, func(svc *workflows.Service) {
		for _, key := range []string{"crashy", "no-buy", "two-arms", "three-arms"} {
			if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, key); err != nil {
				t.Fatal(err)
			}
		}
	})
	var exposures, events strings.Builder
	at := started.Add(time.Hour)
	// 82 of 3,981 treatment units crash, none of 4,019 in control (Fisher
	// p = 9e-26); treatment also wins on purchases.
	writeArms(&exposures, &events, "crashy", at,
		armData{"control", 4019, map[string]int{"purchase": 400}},
		armData{"treatment", 3981, map[string]int{"purchase": 520, "app_crash": 82}})
	writeArms(&exposures, &events, "no-buy", at,
		armData{"control", 3981, map[string]int{"purchase": 399}},
		armData{"treatment", 4019, nil})
	same := func(variant string) armData { return armData{variant, 1500, map[string]int{"purchase": 150}} }
	writeArms(&exposures, &events, "two-arms", at, same("control"), same("treatment"))
	writeArms(&exposures, &events, "three-arms", at, same("control"), same("treatment"), same("other"))
	for kind, data := range map[string]string{"exposures": exposures.String(), "events": events.String()} {
		if res := run(t, "", nil, "import", kind, writeFile(t, dir, kind+".ndjson", data), "--db", db); res.code != 0 {
			t.Fatalf("import %s: %+v", kind, res)
		}
	}
	if res := run(t, "", nil, "jobs", "run", "pulse", "--team", "checkout", "--db", db); res.code != 0 ||
		!strings.Contains(res.stdout, "crashy (scorecard posted)") {
		t.Fatalf("pulse: %+v", res)
	}

	cards := map[string]map[string]any{}
	for _, key := range []string{"crashy", "no-buy", "two-arms", "three-arms"} {
		res := run(t, "", nil, "scorecard", key, "--json", "--db", db)
		if res.code != 0 {
			t.Fatalf("scorecard %s: %+v", key, res)
		}
		var card map[string]any
		if err := json.Unmarshal([]byte(res.stdout), &card); err != nil {
			t.Fatalf("scorecard %s: %v\n%s", key, err, res.stdout)
		}
		checkContract(t, key, card)
		cards[key] = card
	}
	result := func(key, metric string) map[string]any {
		for _, r := range cards[key]["results"].([]any) {
			if r := r.(map[string]any); r["metric"] == metric && r["variant"] == "treatment" {
				return r
			}
		}
		t.Fatalf("%s has no result for %s", key, metric)
		return nil
	}
	crash := result("crashy", "crash")
	if crash["significant"] != true || crash["direction"] != "worse" || crash["difference"] != "absolute" {
		t.Errorf("crash guardrail: %v, want significant, worse, absolute", crash)
	}
	rec := cards["crashy"]["recommendation"].(map[string]any)
	if cards["crashy"]["guardrails"] != "failing" || rec["action"] == "ship" {
		t.Errorf("crashy: guardrails %v, recommendation %v; want failing, not ship", cards["crashy"]["guardrails"], rec)
	}
	if p := result("no-buy", "purchase"); p["significant"] != true || p["direction"] != "worse" {
		t.Errorf("no purchases in treatment: %v, want significant and worse", p)
	}
	two := cards["two-arms"]["progress"].(map[string]any)["days_to_target"]
	three := cards["three-arms"]["progress"].(map[string]any)["days_to_target"]
	// The same, but for the moment each was computed at: "now" moves by
	// milliseconds between the two commands, over ten days.
	if d2, ok := two.(float64); !ok || d2 <= 0 || math.Abs(three.(float64)-d2) > 1e-5*d2 {
		t.Errorf("days to target: two arms %v, three arms %v; want the same positive number", two, three)
	}

	text := run(t, "", nil, "scorecard", "--db", db, "crashy")
	for _, want := range []string{"Crashy", "Guardrails: 🔴 failing", "Crash rate (treatment)", "significant, worse", "Recommendation: kill"} {
		if text.code != 0 || !strings.Contains(text.stdout, want) {
			t.Errorf("scorecard text lacks %q: %+v", want, text)
		}
	}
	for _, bad := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"scorecard", "crashi", "--db", db}, 1, `growthbot scorecard: no experiment "crashi" (did you mean "crashy"?)`},
		{[]string{"scorecard", "draft", "--db", db}, 1, `experiment "draft" has not started`},
		{[]string{"scorecard", "--db", db}, 2, "give one experiment key"},
		{[]string{"scorecard", "crashy", "no-buy", "--db", db}, 2, "give one experiment key"},
	} {
		res := run(t, "", nil, bad.args...)
		if res.code != bad.code || !strings.Contains(res.stderr, bad.want) {
			t.Errorf("growthbot %v: exit %d, stderr %q; want %d and %q", bad.args, res.code, res.stderr, bad.code, bad.want)
		}
	}
}

// checkContract checks that a scorecard JSON has every name of the
// contract, numbers null rather than absent.
func checkContract(t *testing.T, key string, card map[string]any) {
	t.Helper()
	has := func(where string, m map[string]any, names ...string) {
		for _, n := range names {
			if _, ok := m[n]; !ok {
				t.Errorf("%s: %s lacks %q", key, where, n)
			}
		}
	}
	has("scorecard", card, "experiment", "as_of", "state", "method", "units", "srm_p", "guardrails", "recommendation", "progress", "results")
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(card["as_of"])); err != nil {
		t.Errorf("%s: as_of %v is not RFC 3339", key, card["as_of"])
	}
	has("recommendation", card["recommendation"].(map[string]any), "action", "variant", "reason")
	has("progress", card["progress"].(map[string]any), "days_to_target", "sample_share")
	for _, r := range card["results"].([]any) {
		has("result", r.(map[string]any), "metric", "role", "variant", "control_mean", "treatment_mean", "difference", "lift",
			"ci_low", "ci_high", "p_value", "chance_to_win", "significant", "direction", "cuped", "problem")
	}
}
