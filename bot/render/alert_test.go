package render_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

func TestRenderDataAlerts(t *testing.T) {
	r, err := render.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	team := workflows.Team{Key: "checkout", Name: "Checkout <b>", Channel: "C0CHECKOUT", Timezone: "UTC"}
	exp := workflows.Experiment{Key: "one-click", Name: "One-click & co", Owner: "U0ENG1"}
	last := time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		alert workflows.DataAlert
		want  []string
	}{
		{"no exposures", workflows.DataAlert{Kind: workflows.AlertNoExposures, Team: team, Experiment: exp, Last: last, Period: 24 * time.Hour},
			[]string{"<@U0ENG1> *One-click &amp; co* has had no new exposures for 24 h (the last at <!date^", "This alert clears when exposures arrive again"}},
		{"no exposures ever", workflows.DataAlert{Kind: workflows.AlertNoExposures, Team: team, Experiment: exp, Period: 48 * time.Hour},
			[]string{"no new exposures for 2 days since it started"}},
		{"no events", workflows.DataAlert{Kind: workflows.AlertNoEvents, Team: team, Experiment: exp, Period: 90 * time.Minute,
			Metric: workflows.Metric{Name: "Checkout errors", Event: "checkout_error"}},
			[]string{"*Checkout errors*", "`checkout_error`, and none has arrived for 90 min since the experiment started", "clears when `checkout_error` events arrive again"}},
		{"kpis missing", workflows.DataAlert{Kind: workflows.AlertKPIsMissing, Team: team, Month: "2026-11", Missing: []string{"MRR", "NPS"},
			ReviewAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Fix: "growthbot import kpis FILE"},
			[]string{"The November 2026 growth review of Checkout &lt;b&gt; posts on <!date^", "^{date_short}|1 Dec 2026>", "*MRR*, *NPS*", "`growthbot import kpis FILE`", "period 2026-11", "clears when they arrive"}},
		{"kpis in", workflows.DataAlert{Kind: workflows.AlertKPIsMissing, Team: team, Month: "2026-11", Cleared: true},
			[]string{"Every KPI of November 2026 is in"}},
		{"srm cleared", workflows.DataAlert{Kind: workflows.AlertSRM, Team: team, Experiment: exp, Cleared: true},
			[]string{"matches the plan again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.RenderContent(tt.alert)
			if err != nil {
				t.Fatal(err)
			}
			var blocks []struct{ Text struct{ Text string } }
			if err := json.Unmarshal(out.Blocks, &blocks); err != nil || len(blocks) != 1 {
				t.Fatalf("blocks %s: %v", out.Blocks, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(blocks[0].Text.Text, w) {
					t.Errorf("lacks %q:\n%s", w, blocks[0].Text.Text)
				}
			}
			if strings.Contains(string(out.Blocks), "(template") {
				t.Errorf("template error: %s", out.Blocks)
			}
		})
	}
}

// TestReviewQuestionsComeFromTheData: breaks from trend and missed targets
// ask questions; a standing question is asked only when one of its numbers
// exists.
func TestReviewQuestionsComeFromTheData(t *testing.T) {
	r, err := render.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	known := func(name string, v float64) workflows.Headline {
		return workflows.Headline{KPIDef: workflows.KPIDefinition(name), Current: workflows.KPIValue{Name: name, Value: v, Known: true}}
	}
	tickets := workflows.KPIDefinition(workflows.KPISupportTickets)
	nps := known(workflows.KPINPS, 31)
	nps.Target = &workflows.TargetCheck{Target: 40, Actual: 31, Known: true, Unit: workflows.UnitScore}
	tests := []struct {
		name      string
		rv        workflows.Review
		want, not []string
	}{
		{"a break, a missed target, customers only",
			workflows.Review{Month: "2026-11", Anomalies: []workflows.Anomaly{{KPIDef: tickets, Value: 667, Expected: 321, Low: 285, High: 357}},
				Headlines: []workflows.Headline{nps, known(workflows.KPISupportTickets, 667)}},
			[]string{"1. *What broke support tickets from its trend?* 667 against about 320 ± 36 expected.",
				"2. *What would close the gap to the NPS target?* 31 against a target of 40.",
				"3. *Are our biggest customers happy users?* NPS 31; support tickets 667."},
			[]string{"churn", "onboarding"}},
		{"no data", workflows.Review{Month: "2026-11"}, []string{"No number broke from its trend"}, []string{"1."}},
		{"the biggest change when nothing broke",
			workflows.Review{Month: "2026-11", Movers: []workflows.Mover{{KPIDef: tickets, Value: 667, Previous: 318, Change: 667.0/318 - 1}}},
			[]string{"1. *What moved support tickets?* +109.7% since last month (318 → 667)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.RenderContent(workflows.ReviewMessage{Review: tt.rv, Section: workflows.SectionQuestions})
			if err != nil {
				t.Fatal(err)
			}
			var blocks []struct{ Text struct{ Text string } }
			if err := json.Unmarshal(out.Blocks, &blocks); err != nil || len(blocks) != 1 {
				t.Fatalf("blocks %s: %v", out.Blocks, err)
			}
			text := blocks[0].Text.Text
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("has %q:\n%s", n, text)
				}
			}
		})
	}
}
