package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

func TestWeeklyUpdateGoalsAtRiskAndQuietWeeks(t *testing.T) {
	// Monday 7 December 2026, week 50: 2026-Q4 is 67 % over.
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	env := newReviewEnv(t, now, team("checkout", "UTC"), team("onboarding", "UTC"))
	env.update(func(tx workflows.Tx) error {
		for _, g := range []workflows.Goal{
			{Team: "checkout", Quarter: "2026-Q4", Title: "Ship one-click", Owner: "U0ENG1", Status: workflows.GoalInProgress},
			{Team: "checkout", Quarter: "2026-Q4", Title: "Done already", Owner: "U0ENG1", Status: workflows.GoalDone},
			{Team: "onboarding", Quarter: "2027-Q1", Title: "Next quarter", Owner: "U0ENG1", Status: workflows.GoalInProgress},
		} {
			if _, err := tx.CreateGoal(g); err != nil {
				return err
			}
		}
		return nil
	})
	for range 2 { // a second run of the week posts nothing
		if _, err := env.svc.RunWeekly(context.Background(), workflows.JobOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	updates := recorded[workflows.WeeklyUpdate](t, env.outbox)
	if len(updates) != 2 {
		t.Fatalf("%d updates, want one per team", len(updates))
	}
	for _, u := range updates {
		if u.Week != "2026-W50" || !u.From.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) || !u.To.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("week %s from %v to %v", u.Week, u.From, u.To)
		}
		switch u.Team.Key {
		case "checkout":
			if len(u.GoalsAtRisk) != 1 || u.GoalsAtRisk[0].Goal.Title != "Ship one-click" || u.GoalsAtRisk[0].QuarterGone < 2.0/3 || u.Quiet() {
				t.Errorf("checkout: goals at risk %+v", u.GoalsAtRisk)
			}
		case "onboarding":
			if !u.Quiet() {
				t.Errorf("onboarding is not quiet: %+v", u)
			}
		}
	}
	if _, ok := env.message(workflows.WeeklyKey("checkout", "2026-W50")); !ok {
		t.Error("no message under the week's key")
	}
	for _, bad := range []string{"2026-W54", "2026-50", "2026-W00"} {
		if _, err := env.svc.RunWeekly(context.Background(), workflows.JobOptions{Period: bad}); workflows.ErrorCode(err) != workflows.EINVALID {
			t.Errorf("period %q: %v", bad, err)
		}
	}
	// 2026-W53 exists: 2026 ends on a Thursday.
	if _, err := env.svc.RunWeekly(context.Background(), workflows.JobOptions{Team: "checkout", Period: "2026-W53"}); err != nil {
		t.Errorf("2026-W53: %v", err)
	}
}
