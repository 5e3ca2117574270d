package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// TestProgramThroughTheConsole shows `/growth program` and the review of
// November 2026 at the console, over experiments stored with known dates,
// and checks the figures against ones computed by hand (the same example
// as workflows' TestProgramFigures):
//
//	November: started c, d; decided a (30 days, data), b (21 days), c (18
//	days); 3 / (30/7) = 0.7 a week; win rate 2/3; median 21 days; impact on
//	purchase +4 % + 2 % = +6 % ± 1.96 * sqrt(2) * 0.06/3.92 = [+1.8 %, +10.2 %].
//	October: started a, b; decided e (44 days, data): 1 / (31/7) = 0.23.
func TestProgramThroughTheConsole(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", string(templates.ExampleConfig()))
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC) }
	withService(t, db, func(svc *workflows.Service) {
		err := svc.Store.Update(context.Background(), func(tx workflows.Tx) error {
			for _, x := range []struct {
				key        string
				start, end time.Time
				ship, auto bool
				lift       float64 // measured, with an interval of ± 3 pp
			}{
				{"a", day(10, 5), day(11, 4), true, true, 0.04},
				{"b", day(10, 20), day(11, 10), false, false, 0},
				{"c", day(11, 2), day(11, 20), true, false, 0.02},
				{"d", day(11, 15), time.Time{}, false, false, 0},
				{"e", day(9, 1), day(10, 15), false, true, 0},
			} {
				e := workflows.Experiment{Key: "program-" + x.key, Name: "Program " + x.key, Team: "checkout", State: workflows.StateRunning,
					StartedAt: x.start, DecidedAt: x.end, PrimaryMetrics: []string{"purchase"}, Framework: "clear-signals",
					Variants: []workflows.Variant{{Key: "control", Weight: 50}, {Key: "treatment", Weight: 50}}}
				action := workflows.ActionKill
				switch {
				case x.ship:
					e.State, e.Winner, action = workflows.StateShipped, "treatment", workflows.ActionShip
				case !x.end.IsZero():
					e.State = workflows.StateKilled
				}
				if err := tx.PutExperiment(e); err != nil {
					return err
				}
				if x.end.IsZero() {
					continue
				}
				if _, err := tx.CreateDecision(workflows.Decision{Experiment: e.Key, Action: action, Variant: e.Winner,
					State: workflows.DecisionApplied, AutoApproved: x.auto, CreatedAt: x.end, ResolvedAt: x.end}); err != nil {
					return err
				}
				if x.lift == 0 {
					continue
				}
				sc := workflows.Scorecard{Results: []workflows.MetricResult{{Metric: workflows.Metric{Key: "purchase", Name: "Purchase conversion"},
					Role: workflows.RolePrimary, Variant: "treatment", Lift: x.lift, Low: x.lift - 0.03, High: x.lift + 0.03}}}
				if err := tx.PutSnapshot(workflows.Snapshot{Experiment: e.Key, Day: x.end.Format(time.DateOnly), At: x.end.Add(-time.Hour),
					Scorecard: sc}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	res := run(t, "/growth program checkout 2026-11\n/growth review checkout 2026-11\n:quit\n", nil, "console", "--db", db,
		"--files", dir, "--user", "U0LEAD")
	if res.code != 0 {
		t.Fatalf("console: %+v", res)
	}
	program, review, ok := strings.Cut(res.stdout, "Growth review: Checkout")
	if !ok {
		t.Fatalf("no review:\n%s", res.stdout)
	}
	want := []string{
		"November 2026 beside October 2026",
		"started 2 2",
		"decided 3 (2 shipped) 1 (0 shipped)",
		"decisions / week 0.7 0.23",
		"win rate 67% 0%",
		"median days to decide 21 44",
		"settled by data 1 of 3 (33%) 1 of 1 (100%)",
		"November 2026: Purchase conversion +6.0% [+1.8%, +10.2%] from 2 experiments",
		"October 2026: nothing shipped",
	}
	for name, out := range map[string]string{"/growth program": program, "the review": review} {
		flat := strings.Join(strings.Fields(out), " ")
		for _, w := range want {
			if !strings.Contains(flat, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, out)
			}
		}
	}
	// The review's quarter runs to the month's end: Q4 so far is 61 days.
	if flat := strings.Join(strings.Fields(review), " "); !strings.Contains(flat, "2026-Q4 so far beside 2026-Q3") ||
		!strings.Contains(flat, "decided 4 (2 shipped) 0 (0 shipped)") || !strings.Contains(flat, "decisions / week 0.46 0") ||
		!strings.Contains(flat, "median days to decide 25.5 –") {
		t.Errorf("the review's quarter:\n%s", review)
	}
}
