package workflows_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// seedProgram stores six experiments of team checkout (UTC) with known
// dates, decisions and measured lifts: the hand-computed example of the
// program's figures (see TestProgramFigures).
func seedProgram(t *testing.T, env *reviewEnv) {
	t.Helper()
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC) }
	type lift struct{ lift, low, high float64 }
	for _, x := range []struct {
		key        string
		state      workflows.State
		start, end time.Time
		auto       bool
		lift       *lift
	}{
		{"a", workflows.StateShipped, day(10, 5), day(11, 4), true, &lift{0.04, 0.01, 0.07}},
		{"b", workflows.StateKilled, day(10, 20), day(11, 10), false, nil},
		{"c", workflows.StateShipped, day(11, 2), day(11, 20), false, &lift{0.02, -0.01, 0.05}},
		{"d", workflows.StateRunning, day(11, 15), time.Time{}, false, nil},
		{"e", workflows.StateKilled, day(9, 1), day(10, 15), true, nil},
		{"f", workflows.StateShipped, day(8, 1), day(9, 10), true, nil},
	} {
		e := workflows.Experiment{Key: x.key, Name: "Experiment " + x.key, Team: "checkout", State: x.state, StartedAt: x.start,
			DecidedAt: x.end, PrimaryMetrics: []string{"purchase"}, Framework: "clear-signals",
			Variants: []workflows.Variant{{Key: "control", Weight: 50}, {Key: "treatment", Weight: 50}}}
		action := workflows.ActionKill
		if x.state == workflows.StateShipped {
			e.Winner, action = "treatment", workflows.ActionShip
		}
		env.update(func(tx workflows.Tx) error {
			if err := tx.PutExperiment(e); err != nil {
				return err
			}
			if x.end.IsZero() {
				return nil
			}
			// An extension first, then the decision that ended it.
			if _, err := tx.CreateDecision(workflows.Decision{Experiment: e.Key, Action: workflows.ActionExtend, Days: 7,
				State: workflows.DecisionApplied, AutoApproved: !x.auto, CreatedAt: x.start, ResolvedAt: x.start}); err != nil {
				return err
			}
			if _, err := tx.CreateDecision(workflows.Decision{Experiment: e.Key, Action: action, Variant: e.Winner,
				State: workflows.DecisionApplied, AutoApproved: x.auto, CreatedAt: x.end, ResolvedAt: x.end}); err != nil {
				return err
			}
			if x.lift == nil {
				return nil
			}
			sc := workflows.Scorecard{Results: []workflows.MetricResult{{Metric: workflows.Metric{Key: "purchase", Name: "Purchase conversion"},
				Role: workflows.RolePrimary, Variant: "treatment", Lift: x.lift.lift, Low: x.lift.low, High: x.lift.high}}}
			return tx.PutSnapshot(workflows.Snapshot{Experiment: e.Key, Day: x.end.Format(time.DateOnly), At: x.end.Add(-time.Hour), Scorecard: sc})
		})
	}
}

// TestProgramFigures checks the program against figures computed by hand:
//
//	November 2026 (30 days): started c, d = 2; decided a (30 days, data),
//	b (21 days, judgement), c (18 days, judgement): 3, 2 shipped; 3 / (30/7)
//	= 0.70 a week; win rate 2/3; median 21 days; data 1 : judgement 2; summed
//	impact on purchase +4 % + 2 % = +6 %, half-width 1.96 * sqrt(2) * 0.06/3.92
//	= 4.24 pp.
//	October (31 days): started a, b = 2; decided e (44 days, data, killed):
//	1 / (31/7) = 0.226 a week; win rate 0; median 44 days.
//	2026-Q4 so far (Oct 1 - Dec 1, 61 days): started a, b, c, d = 4; decided
//	a, b, c, e = 4, 2 shipped; 4 / (61/7) = 0.459 a week; median (21+30)/2 =
//	25.5; data 2 : judgement 2.
//	2026-Q3 (92 days): started e, f = 2; decided f (40 days, data), shipped
//	without a scorecard: unmeasured 1.
func TestProgramFigures(t *testing.T) {
	env := newReviewEnv(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), team("checkout", "UTC"))
	seedProgram(t, env)
	p, err := env.svc.Program(context.Background(), "checkout", "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		label                               string
		started, decided, shipped           int
		perWeek, winRate, median            float64
		data, judgement, unmeasured, totals int
		partial                             bool
	}
	for _, tt := range []struct {
		got  workflows.ProgramPeriod
		want want
	}{
		{p.Month, want{"November 2026", 2, 3, 2, 3 / (30.0 / 7), 2.0 / 3, 21, 1, 2, 0, 1, false}},
		{p.PreviousMonth, want{"October 2026", 2, 1, 0, 1 / (31.0 / 7), 0, 44, 1, 0, 0, 0, false}},
		{p.Quarter, want{"2026-Q4", 4, 4, 2, 4 / (61.0 / 7), 0.5, 25.5, 2, 2, 0, 1, true}},
		{p.PreviousQuart, want{"2026-Q3", 2, 1, 1, 1 / (92.0 / 7), 1, 40, 1, 0, 1, 0, false}},
	} {
		g, w := tt.got, tt.want
		if g.Label != w.label || g.Started != w.started || g.Decided() != w.decided || g.Shipped != w.shipped ||
			math.Abs(g.DecisionsPerWeek-w.perWeek) > 1e-9 || math.Abs(g.WinRate()-w.winRate) > 1e-9 ||
			math.Abs(g.MedianDays-w.median) > 1e-9 || g.DataSettled != w.data || g.Judgement != w.judgement ||
			g.Unmeasured != w.unmeasured || len(g.Impacts) != w.totals || g.Partial != w.partial {
			t.Errorf("%s\n got %+v\nwant %+v", w.label, g, w)
		}
	}
	if len(p.Month.Impacts) == 1 {
		im := p.Month.Impacts[0]
		half := 1.96 * math.Sqrt(2) * 0.06 / 3.92
		if im.Metric != "purchase" || im.MetricName != "Purchase conversion" || im.Experiments != 2 || math.Abs(im.Lift-0.06) > 1e-12 ||
			math.Abs(im.Low-(0.06-half)) > 1e-12 || math.Abs(im.High-(0.06+half)) > 1e-12 {
			t.Errorf("November's impact %+v, want +6 %% ± %.4f", im, half)
		}
	}
}
