package bot_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/workflows"
)

var (
	teamCheckout = workflows.Team{Key: "checkout", Name: "Checkout", Channel: "C0CHECKOUT", Lead: "U0LEAD",
		Approvers: []string{"U0PM", "U0LEAD"}, Members: []string{"U0ENG1"}, Timezone: "Europe/Berlin"}
	started = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
)

func experiments() []workflows.Experiment {
	running := workflows.Experiment{Key: "one-click-checkout", Name: "One-click checkout", Team: "checkout", Owner: "U0ENG1",
		State: workflows.StateRunning, StartedAt: started, PlannedDays: 14}
	rollout := workflows.Experiment{Key: "guided-onboarding", Name: "Guided <onboarding> & more", Team: "onboarding",
		Owner: "U0ENG3", State: workflows.StateDecisionPending, StartedAt: started, PlannedDays: 14,
		RolloutPlan: workflows.DefaultRolloutPlan(), RolloutPercent: 25, RolloutPaused: true}
	shipped := workflows.Experiment{Key: "free-shipping-banner", Name: "Free-shipping banner", Team: "checkout",
		State: workflows.StateShipped, Winner: "banner", DecidedAt: started.AddDate(0, 0, 10)}
	draft := workflows.Experiment{Key: "pricing-page", Name: "Pricing page", Team: "checkout", Owner: "U0ENG2", State: workflows.StateDraft}
	return []workflows.Experiment{running, rollout, shipped, draft}
}

func rendered(t *testing.T, m bot.Message) (workflows.Rendered, string) {
	t.Helper()
	r, err := m.Rendered()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := bot.PlainText(r.Text, r.Blocks)
	return r, text
}

func TestGoldenReplies(t *testing.T) {
	now := started.AddDate(0, 0, 9)
	history := []workflows.AuditEntry{
		{At: started.Add(-time.Hour), Actor: "config", Action: "experiment.create", Subject: "experiment:one-click-checkout", After: `{"State":"draft"}`},
		{At: started, Actor: "U0ENG1", Action: "experiment.start", Subject: "experiment:one-click-checkout",
			Before: `{"State":"draft","EndsAt":null}`, After: `{"State":"running","EndsAt":"2026-11-16T09:00:00Z"}`},
		{At: started.AddDate(0, 0, 3), Actor: "U0PM", Action: "decision.request", Reason: "errors <up> & conversion flat",
			Before: `{"State":"running"}`, After: `{"State":"decision_pending"}`},
	}
	goals := []workflows.Goal{
		{ID: 1, Team: "checkout", Quarter: "2026-Q4", Title: "Ship one-click to 100 %", Owner: "U0ENG1", Status: workflows.GoalDone},
		{ID: 2, Team: "checkout", Quarter: "2026-Q4", Title: "Cut checkout errors <50%", Owner: "U0ENG2", Status: workflows.GoalInProgress},
		{ID: 3, Team: "checkout", Quarter: "2026-Q4", Title: "Apple Pay", Status: workflows.GoalDropped},
	}
	kpis := []workflows.KPIPoint{
		{Team: "checkout", Name: "mrr", Period: "2026-08", Value: 120000}, {Team: "checkout", Name: "mrr", Period: "2026-09", Value: 126000},
		{Team: "checkout", Name: "mrr", Period: "2026-10", Value: 131040}, {Team: "checkout", Name: "nps", Period: "2026-10", Value: 41.5},
		{Team: "checkout", Name: "active_users", Period: "2026-10-03", Value: 999},
	}
	tests := []struct {
		name string
		msg  bot.Message
	}{
		{"help-exp", bot.RenderHelp("exp")},
		{"help-growth", bot.RenderHelp("growth")},
		{"list", bot.RenderExperimentList("", map[string]string{"checkout": "Checkout"}, experiments(), now)},
		{"list-empty", bot.RenderExperimentList("Checkout", nil, nil, now)},
		{"history", bot.RenderHistory(experiments()[0], history)},
		{"goals", bot.RenderGoals(teamCheckout, "2026-Q4", goals)},
		{"goals-empty", bot.RenderGoals(teamCheckout, "2026-Q4", nil)},
		{"kpis", bot.RenderKPIs(teamCheckout, kpis, time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, text := rendered(t, tc.msg)
			golden(t, tc.name, r, text)
		})
	}
}

func TestGoldenHomeAndModal(t *testing.T) {
	home := bot.RenderHome(bot.Home{User: "U0PM", Teams: []workflows.Team{teamCheckout}, Running: experiments()[:2],
		Waiting: []workflows.HomeDecision{
			{Decision: workflows.Decision{ID: 7, Experiment: "one-click-checkout", Action: workflows.ActionShip, Variant: "treatment",
				Requester: "U0ENG1", Reason: "wins on purchase", CreatedAt: started.AddDate(0, 0, 8)}, Experiment: experiments()[0],
				Request: workflows.Thread{Channel: "C0CHECKOUT", TS: "1795000000.000200"}, Thread: "1795000000.000100", MayApprove: true},
			{Decision: workflows.Decision{ID: 8, Experiment: "one-click-checkout", Action: workflows.ActionExtend, Days: 7,
				Requester: "U0PM", CreatedAt: started.AddDate(0, 0, 8)}, Experiment: experiments()[0], Mine: true},
		}, Workspace: "https://acme.slack.com/", Now: started.AddDate(0, 0, 9)})
	golden(t, "home", home, "")
	modal := bot.NewExperimentModal([]workflows.Team{teamCheckout}, []workflows.Metric{
		{Key: "purchase", Name: "Purchase conversion"}, {Key: "errors", Name: "Checkout errors"}}, "C0CHECKOUT")
	golden(t, "modal-new-experiment", modal, "")
}

// TestLimits checks that renderers never exceed Slack's limits and always
// escape user text.
func TestLimits(t *testing.T) {
	long := strings.Repeat("é", 5000)
	var exps []workflows.Experiment
	for i := range 120 {
		e := experiments()[0]
		e.Key, e.Name = e.Key+string(rune('a'+i%26)), long
		exps = append(exps, e)
	}
	r, _ := rendered(t, bot.RenderExperimentList("", nil, exps, started))
	var blocks []map[string]any
	if err := json.Unmarshal(r.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) > bot.MaxMessageBlocks {
		t.Errorf("%d blocks, limit %d", len(blocks), bot.MaxMessageBlocks)
	}
	for _, b := range blocks {
		if text, ok := b["text"].(map[string]any); ok {
			// Slack counts characters.
			if s, _ := text["text"].(string); utf8.RuneCountInString(s) > bot.MaxTextLength {
				t.Errorf("a %s text of %d characters exceeds %d", b["type"], utf8.RuneCountInString(s), bot.MaxTextLength)
			}
		}
	}
	many := make([]slack.Block, 120)
	for i := range many {
		many[i] = bot.Divider()
	}
	if got := bot.Fit(many, bot.MaxViewBlocks); len(got) != bot.MaxViewBlocks {
		t.Errorf("Fit to views: %d blocks", len(got))
	}
	if got := bot.Escape("a < b && c > d"); got != "a &lt; b &amp;&amp; c &gt; d" {
		t.Errorf("Escape: %q", got)
	}
}
