package workflows_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// guided-onboarding's plan (example config): 5 % for a day, 25 % for a day
// with 500 units, 50 % for two days with 1,000 units, then 100 %.

func (d *decideEnv) rollouts() string {
	d.t.Helper()
	report, err := d.svc.RunRollouts(context.Background(), workflows.JobOptions{})
	if err != nil {
		d.t.Fatal(err)
	}
	return strings.Join(report.Lines, "\n")
}

// healthy seeds units of guided-onboarding with equal errors in both arms.
func healthy(n int) []arm {
	return []arm{
		{"control", n, map[string]int{"activated": 4, "checkout_error": 10}},
		{"guided", n, map[string]int{"activated": 3, "checkout_error": 10}},
	}
}

func TestRolloutAdvancesAndHaltsOnAFakeClock(t *testing.T) {
	d := newDecideEnv(t)
	const key = "guided-onboarding"
	d.start(key, "U0ENG3")
	d.seed(key, decideStart, 0, healthy(150)...)
	at := func() (float64, int, bool) {
		e := d.experiment(key)
		return e.RolloutPercent, e.RolloutStep, e.RolloutPaused
	}
	steps := []struct {
		advance time.Duration
		seed    int // units per arm to add first
		want    string
		percent float64
		paused  bool
	}{
		{2 * time.Hour, 0, "holding at 5 % until", 5, false},
		{23 * time.Hour, 0, "advanced from 5 % to 25 % (step 2 of 4)", 25, false},
		{0, 0, "holding at 25 % until", 25, false}, // the same run again changes nothing
		{25 * time.Hour, 0, "holding at 25 %: 300 of the 500 units this step needs", 25, false},
		{time.Hour, 150, "advanced from 25 % to 50 % (step 3 of 4)", 50, false},
		{24 * time.Hour, 300, "holding at 50 % until", 50, false}, // a two-day hold
		{25 * time.Hour, 0, "advanced from 50 % to 100 % (step 4 of 4)", 100, false},
		{0, 0, "holding at 100 % until", 100, false},
		{25 * time.Hour, 0, "complete at 100 %: ship or kill it", 100, false},
		{time.Hour, 0, "complete at 100 %", 100, false},
	}
	for i, s := range steps {
		if s.seed > 0 {
			d.seed(key, d.clock.Now().Add(-3*time.Hour), 1000*i, healthy(s.seed)...)
		}
		d.clock.Advance(s.advance)
		got := d.rollouts()
		pct, _, paused := at()
		if !strings.Contains(got, s.want) || pct != s.percent || paused != s.paused {
			t.Fatalf("step %d: %q at %v %% (paused %v); want %q at %v %%", i, got, pct, paused, s.want, s.percent)
		}
	}
	audit := d.audit(key)
	if n := count(audit, "rollout.advanced"); n != 3 {
		t.Errorf("%d advances audited, want 3: %v", n, audit)
	}
	e := d.experiment(key)
	if !d.hasMessage(e.MessageKey("rollout", "complete", strconv.FormatInt(e.RolloutStepAt.Unix(), 10))) {
		t.Error("no completion alert")
	}

	// A guardrail regression halts the rollout where it is.
	d.seed(key, d.clock.Now().Add(-3*time.Hour), 50000, arm{"control", 400, map[string]int{"checkout_error": 20}},
		arm{"guided", 400, map[string]int{"checkout_error": 2}})
	d.clock.Advance(time.Hour)
	if got := d.rollouts(); !strings.Contains(got, "halted at 100 %: guardrails failing") {
		t.Fatalf("after a regression: %q", got)
	}
	if pct, _, paused := at(); pct != 100 || !paused {
		t.Errorf("halted rollout at %v %%, paused %v", pct, paused)
	}
	if got := d.rollouts(); !strings.Contains(got, "no running rollout") {
		t.Errorf("a halted rollout was looked at again: %q", got)
	}
	if n := count(d.audit(key), "rollout.halted"); n != 1 {
		t.Errorf("%d halts audited, want 1", n)
	}
	// Growing it by hand is refused while the guardrail fails; resuming is
	// a person's call.
	ctx := context.Background()
	if _, err := d.svc.SteerRollout(ctx, "U0ENG3", key, workflows.RolloutSet, 50); err != nil {
		t.Fatal(err)
	}
	_, err := d.svc.SteerRollout(ctx, "U0ENG3", key, workflows.RolloutSet, 100)
	wantCode(t, err, workflows.ECONFLICT)
	if !strings.Contains(err.Error(), "is failing, so its rollout cannot grow") {
		t.Errorf("growing a failing rollout: %v", err)
	}
	e, err = d.svc.SteerRollout(ctx, "U0ENG3", key, workflows.RolloutResume, 0)
	if err != nil || e.RolloutPaused || e.RolloutPercent != 50 || e.RolloutStep != 2 {
		t.Fatalf("resume: %+v, %v", e, err)
	}
	_, err = d.svc.SteerRollout(ctx, "U0ENG3", key, workflows.RolloutAdvance, 0)
	wantCode(t, err, workflows.ECONFLICT)
}

func TestRolloutRollsBackWhenTheFrameworkSaysSo(t *testing.T) {
	d := newDecideEnv(t)
	for i := range d.svc.FrameworkSet {
		if d.svc.FrameworkSet[i].Name == "do-no-harm" {
			d.svc.FrameworkSet[i].RollbackOnRegression = true
		}
	}
	const key = "guided-onboarding"
	d.start(key, "U0ENG3")
	// Early, before min_days: nothing is significant, but errors trend
	// worse, which is enough to roll back.
	d.seed(key, decideStart, 0, arm{"control", 1000, map[string]int{"checkout_error": 10}},
		arm{"guided", 1000, map[string]int{"checkout_error": 4}})
	d.clock.Advance(26 * time.Hour)
	if got := d.rollouts(); !strings.Contains(got, "rolled_back at 5 %: guardrails regressing") {
		t.Fatalf("rollouts: %q", got)
	}
	e := d.experiment(key)
	if e.RolloutPercent != 0 || !e.RolloutPaused || e.RolloutStep != 0 {
		t.Errorf("after a rollback: %v %% step %d paused %v", e.RolloutPercent, e.RolloutStep, e.RolloutPaused)
	}
	e, err := d.svc.SteerRollout(context.Background(), "U0LEAD2", key, workflows.RolloutResume, 0)
	if err != nil || e.RolloutPercent != 5 || e.RolloutPaused {
		t.Errorf("resume after a rollback: %v %% paused %v, %v", e.RolloutPercent, e.RolloutPaused, err)
	}
}

func TestSteerRollout(t *testing.T) {
	ctx := context.Background()
	d := newDecideEnv(t)
	const key = "guided-onboarding"
	_, err := d.svc.SteerRollout(ctx, "U0ENG3", key, workflows.RolloutAdvance, 0)
	wantCode(t, err, workflows.ECONFLICT) // a draft
	d.start(key, "U0ENG3")
	d.start("one-click-checkout", "U0ENG1")
	_, err = d.svc.SteerRollout(ctx, "U0ENG1", "one-click-checkout", workflows.RolloutPause, 0)
	wantCode(t, err, workflows.EINVALID) // no plan
	tests := []struct {
		op      workflows.RolloutOp
		percent float64
		want    float64
		step    int
		paused  bool
		code    string
	}{
		{workflows.RolloutAdvance, 0, 25, 1, false, ""},
		{workflows.RolloutPause, 0, 25, 1, true, ""},
		{workflows.RolloutPause, 0, 25, 1, true, workflows.ECONFLICT},
		{workflows.RolloutAdvance, 0, 25, 1, true, workflows.ECONFLICT},
		{workflows.RolloutResume, 0, 25, 1, false, ""},
		{workflows.RolloutResume, 0, 25, 1, false, workflows.ECONFLICT},
		{workflows.RolloutSet, 60, 60, 2, false, ""},
		{workflows.RolloutSet, 60, 60, 2, false, workflows.ECONFLICT},
		{workflows.RolloutSet, 101, 60, 2, false, workflows.EINVALID},
		{workflows.RolloutAdvance, 0, 100, 3, false, ""},
		{workflows.RolloutAdvance, 0, 100, 3, false, workflows.ECONFLICT},
		{workflows.RolloutSet, 0, 0, 0, false, ""},
	}
	for i, tc := range tests {
		_, err := d.svc.SteerRollout(ctx, "U0ENG3", key, tc.op, tc.percent)
		e := d.experiment(key)
		if workflows.ErrorCode(err) != tc.code || e.RolloutPercent != tc.want || e.RolloutStep != tc.step || e.RolloutPaused != tc.paused {
			t.Errorf("%d: %s %v: %v %% step %d paused %v, %v; want %v %% step %d paused %v, code %q", i, tc.op, tc.percent,
				e.RolloutPercent, e.RolloutStep, e.RolloutPaused, err, tc.want, tc.step, tc.paused, tc.code)
		}
	}
	if n := len(d.audit(key)); n != 8 { // create, start and six changes
		t.Errorf("%d audit entries, want 8", n)
	}
}
