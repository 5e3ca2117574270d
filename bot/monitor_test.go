package bot_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/workflows"
)

func TestRenderDataAlerts(t *testing.T) {
	r, err := bot.NewRenderer("")
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
			[]string{"The November 2026 growth review of Checkout &lt;b&gt; posts on Tuesday 1 December", "*MRR*, *NPS*", "`growthbot import kpis FILE`", "period 2026-11", "clears when they arrive"}},
		{"kpis in", workflows.DataAlert{Kind: workflows.AlertKPIsMissing, Team: team, Month: "2026-11", Cleared: true},
			[]string{"Every KPI of November 2026 is in"}},
		{"srm cleared", workflows.DataAlert{Kind: workflows.AlertSRM, Team: team, Experiment: exp, Cleared: true},
			[]string{"matches the plan again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Render(tt.alert)
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
