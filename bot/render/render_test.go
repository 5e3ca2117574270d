package render_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/internal/fixture"
	"github.com/growthbot/growthbot/bot/internal/golden"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

func rendered(t *testing.T, m render.Message) (workflows.Rendered, string) {
	t.Helper()
	r, err := m.Rendered()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := render.PlainText(r.Text, r.Blocks)
	return r, text
}

func TestGoldenReplies(t *testing.T) {
	now := fixture.Started.AddDate(0, 0, 9)
	history := []workflows.AuditEntry{
		{At: fixture.Started.Add(-time.Hour), Actor: "config", Action: "experiment.create", Subject: "experiment:one-click-checkout", After: `{"State":"draft"}`},
		{At: fixture.Started, Actor: "U0ENG1", Action: "experiment.start", Subject: "experiment:one-click-checkout",
			Before: `{"State":"draft","EndsAt":null}`, After: `{"State":"running","EndsAt":"2026-11-16T09:00:00Z"}`},
		{At: fixture.Started.AddDate(0, 0, 3), Actor: "U0PM", Action: "decision.request", Reason: "errors <up> & conversion flat",
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
		msg  render.Message
	}{
		{"list", render.ExperimentList(render.CommandNames{}, "", map[string]string{"checkout": "Checkout"}, fixture.Experiments(), now)},
		{"list-empty", render.ExperimentList(render.CommandNames{}, "Checkout", nil, nil, now)},
		{"history", render.History(fixture.Experiments()[0], history)},
		{"goals", render.Goals(render.CommandNames{}, workflows.GoalList{Team: fixture.TeamCheckout, Quarter: "2026-Q4", Goals: goals, Total: 3, Done: 1})},
		{"goals-empty", render.Goals(render.CommandNames{}, workflows.GoalList{Team: fixture.TeamCheckout, Quarter: "2026-Q4"})},
		// A quarter with more goals than a listing reads: the count says so.
		{"goals-unlisted", render.Goals(render.CommandNames{}, workflows.GoalList{Team: fixture.TeamCheckout, Quarter: "2026-Q4", Goals: goals, Total: 140, Done: 61})},
		{"kpis", render.KPIs(fixture.TeamCheckout, kpis, time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, text := rendered(t, tc.msg)
			golden.Check(t, tc.name, r, text)
		})
	}
}

func TestGoldenHomeAndModal(t *testing.T) {
	home := render.HomeView(render.Home{User: "U0PM", Teams: []workflows.Team{fixture.TeamCheckout}, Running: fixture.Experiments()[:2],
		Waiting: []workflows.HomeDecision{
			{Decision: workflows.Decision{ID: 7, Experiment: "one-click-checkout", Action: workflows.ActionShip, Variant: "treatment",
				Requester: "U0ENG1", Reason: "wins on purchase", CreatedAt: fixture.Started.AddDate(0, 0, 8)}, Experiment: fixture.Experiments()[0],
				Request: workflows.Thread{Channel: "C0CHECKOUT", TS: "1795000000.000200"}, Thread: "1795000000.000100", MayApprove: true},
			{Decision: workflows.Decision{ID: 8, Experiment: "one-click-checkout", Action: workflows.ActionExtend, Days: 7,
				Requester: "U0PM", CreatedAt: fixture.Started.AddDate(0, 0, 8)}, Experiment: fixture.Experiments()[0], Mine: true},
		}, Workspace: "https://acme.slack.com/", Now: fixture.Started.AddDate(0, 0, 9)})
	golden.Check(t, "home", home, "")
	modal := render.NewExperimentModal(render.CommandNames{}, []workflows.Team{fixture.TeamCheckout}, []workflows.Metric{
		{Key: "purchase", Name: "Purchase conversion"}, {Key: "errors", Name: "Checkout errors"}}, "C0CHECKOUT")
	golden.Check(t, "modal-new-experiment", modal, "")
}

// TestLimits checks that renderers never exceed Slack's limits and always
// escape user text.
func TestLimits(t *testing.T) {
	long := strings.Repeat("é", 5000)
	var exps []workflows.Experiment
	for i := range 120 {
		e := fixture.Experiments()[0]
		e.Key, e.Name = e.Key+string(rune('a'+i%26)), long
		exps = append(exps, e)
	}
	r, _ := rendered(t, render.ExperimentList(render.CommandNames{}, "", nil, exps, fixture.Started))
	var blocks []map[string]any
	if err := json.Unmarshal(r.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) > render.MaxMessageBlocks {
		t.Errorf("%d blocks, limit %d", len(blocks), render.MaxMessageBlocks)
	}
	for _, b := range blocks {
		if text, ok := b["text"].(map[string]any); ok {
			// Slack counts characters.
			if s, _ := text["text"].(string); utf8.RuneCountInString(s) > render.MaxTextLength {
				t.Errorf("a %s text of %d characters exceeds %d", b["type"], utf8.RuneCountInString(s), render.MaxTextLength)
			}
		}
	}
	many := make([]slack.Block, 120)
	for i := range many {
		many[i] = render.Divider()
	}
	if got := render.Fit(many, render.MaxViewBlocks); len(got) != render.MaxViewBlocks {
		t.Errorf("Fit to views: %d blocks", len(got))
	}
	if got := render.Escape("a < b && c > d"); got != "a &lt; b &amp;&amp; c &gt; d" {
		t.Errorf("Escape: %q", got)
	}
}

// A full listing of goals stays within Slack's limits, shows whole lines,
// and counts every goal it does not show, listed or not.
func TestGoalsListingCountsWhatItDoesNotShow(t *testing.T) {
	var goals []workflows.Goal
	for i := range workflows.GoalsListed {
		goals = append(goals, workflows.Goal{ID: int64(i + 1), Team: "checkout", Quarter: "2026-Q4",
			Title: fmt.Sprintf("Goal number %d with a title long enough to fill the lines", i+1), Owner: "U0ENG1", Status: workflows.GoalDone})
	}
	r, _ := rendered(t, render.Goals(render.CommandNames{}, workflows.GoalList{Team: fixture.TeamCheckout, Quarter: "2026-Q4",
		Goals: goals, Total: 250, Done: 250}))
	var blocks []struct {
		Type string
		Text struct{ Text string }
	}
	if err := json.Unmarshal(r.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) > render.MaxMessageBlocks {
		t.Fatalf("%d blocks, limit %d", len(blocks), render.MaxMessageBlocks)
	}
	shown := 0
	var more string
	for _, b := range blocks {
		if utf8.RuneCountInString(b.Text.Text) > render.MaxTextLength {
			t.Errorf("a %s text of %d characters exceeds %d", b.Type, utf8.RuneCountInString(b.Text.Text), render.MaxTextLength)
		}
		for _, line := range strings.Split(b.Text.Text, "\n") {
			switch {
			case strings.HasPrefix(line, "… and "):
				more = line
			case strings.Contains(line, "with a title long enough to fill the lines*"):
				shown++
			case strings.Contains(line, "Goal number"):
				t.Errorf("a goal's line is cut: %q", line)
			}
		}
	}
	if want := fmt.Sprintf("… and %d more", 250-shown); more != want || shown < 40 {
		t.Errorf("%d goals shown, then %q; want at least 40, then %q", shown, more, want)
	}
}
