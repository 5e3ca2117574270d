package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// TestMissingKPIReminder: KPIs the team sends monthly, still missing two
// days before the review (Tuesday 1 December 2026), get one reminder in
// the team channel with the command that sends them; it clears once, when
// they arrive.
func TestMissingKPIReminder(t *testing.T) {
	env := newReviewEnv(t, time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), team("checkout", "UTC"))
	alerts := func() []workflows.DataAlert { return recorded[workflows.DataAlert](t, env.outbox) }
	env.kpis("checkout", map[string][]float64{"mrr": {100, 110, 120}, "nps": {30, 31, 32}, "support_tickets": {5, 6, 7}}, "2026-08")
	pulse := func(day string) {
		t.Helper()
		if _, err := env.svc.RunPulse(context.Background(), workflows.JobOptions{Team: "checkout", Period: day}); err != nil {
			t.Fatal(err)
		}
	}
	pulse("2026-11-28") // three days before: not due
	if len(alerts()) != 0 {
		t.Fatalf("a reminder three days before the review: %+v", alerts())
	}
	env.clock.Set(time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC))
	pulse("2026-11-29")
	env.clock.Set(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	pulse("2026-11-30")
	if len(alerts()) != 1 {
		t.Fatalf("%d reminders over two pulses, want 1: %+v", len(alerts()), alerts())
	}
	a := alerts()[0]
	if a.Kind != workflows.AlertKPIsMissing || a.Month != "2026-11" || a.Fix != "growthbot import kpis FILE" ||
		!a.ReviewAt.Equal(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)) || // the day, at its noon
		len(a.Missing) != 3 || a.Missing[0] != "MRR" || a.Missing[1] != "NPS" || a.Missing[2] != "support tickets" {
		t.Errorf("reminder %+v", a)
	}
	env.kpis("checkout", map[string][]float64{"mrr": {130}, "nps": {33}}, "2026-11")
	if _, err := env.svc.RunPulse(context.Background(), workflows.JobOptions{Team: "checkout", Period: "2026-11-30", Force: true}); err != nil {
		t.Fatal(err)
	}
	if len(alerts()) != 1 {
		t.Fatalf("support tickets are still missing, yet: %+v", alerts()[1:])
	}
	env.clock.Set(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	env.kpis("checkout", map[string][]float64{"support_tickets": {8}}, "2026-11")
	pulse("2026-12-01")
	pulse("2026-12-01") // a second run of the day is skipped
	if len(alerts()) != 2 || !alerts()[1].Cleared || alerts()[1].Month != "2026-11" {
		t.Fatalf("after the KPIs arrived: %+v", alerts())
	}
}
