package bot_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/workflows"
)

// payloadSamples holds a domain value of every kind of payload the domain
// enqueues, as the outbox stores it.
func payloadSamples(t *testing.T) []workflows.Content {
	t.Helper()
	e, sc := decisionFixture()
	sc.Lift = []workflows.LiftPoint{
		{Day: 1, End: started.AddDate(0, 0, 1), Lift: 0.02, Low: -0.2, High: 0.24},
		{Day: 2, End: started.AddDate(0, 0, 2), Lift: 0.08, Low: -0.05, High: 0.21},
		{Day: 3, End: started.AddDate(0, 0, 3), Lift: 0.12, Low: 0.06, High: 0.18},
	}
	team := teamCheckout
	decision := workflows.Decision{ID: 4, Experiment: e.Key, Action: workflows.ActionShip, Variant: "treatment",
		Requester: "U0ENG1", RequiredApprovals: 1, State: workflows.DecisionPending, CreatedAt: started.AddDate(0, 0, 12)}
	applied := decision
	applied.State, applied.ResolvedAt = workflows.DecisionApplied, started.AddDate(0, 0, 13)
	shipped := e
	shipped.State, shipped.Winner, shipped.DecidedAt = workflows.StateShipped, "treatment", applied.ResolvedAt
	mrr := func(v float64) workflows.KPIValue { return workflows.KPIValue{Name: "MRR", Value: v, Known: true} }
	review := workflows.Review{Team: team, Month: "2026-10", Trend: []workflows.TrendPoint{
		{Month: "2026-08", MRR: mrr(100)}, {Month: "2026-09", MRR: mrr(110)}, {Month: "2026-10", MRR: mrr(125)}}}
	summary, err := workflows.NewPayload(workflows.ReviewMessage{Review: review, Section: workflows.SectionSummary})
	if err != nil {
		t.Fatal(err)
	}
	scorecard, err := workflows.NewPayload(workflows.ScorecardMessage{Scorecard: sc, Team: team, Buttons: true})
	if err != nil {
		t.Fatal(err)
	}
	record := workflows.ReviewRecord{Team: team.Key, Month: "2026-10", Course: workflows.CourseStay, DecidedBy: "U0LEAD",
		DecidedAt: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)}
	return []workflows.Content{
		workflows.ReviewMessage{Review: review, Section: workflows.SectionSummary},
		workflows.ReviewMessage{Review: review, Section: workflows.SectionChart},
		workflows.ReviewDecided{Team: team, Record: record, Original: summary},
		workflows.ReviewDecisionNote{Team: team, Record: record},
		workflows.ThreadHeadline{Experiment: e, Team: team, Scorecard: &sc},
		workflows.ScorecardMessage{Scorecard: sc, Team: team, Buttons: true},
		workflows.LiftChart{Scorecard: sc},
		workflows.IntervalChart{Scorecard: sc},
		workflows.GuardrailAlert{Experiment: e, Result: sc.Results[1]},
		workflows.SRMAlert{Experiment: e, Scorecard: sc},
		workflows.DataAlert{Kind: workflows.AlertSRM, Team: team, Experiment: e, Cleared: true},
		workflows.SourceDown{Experiment: e, Problem: "source warehouse: connection refused"},
		workflows.OverdueReminder{Experiment: e, DaysOver: 2, Recommendation: sc.Recommendation},
		workflows.OwnerEscalation{Experiment: e, Team: team},
		workflows.WeeklyUpdate{Team: team, Week: "2026-W47", From: started, To: started.AddDate(0, 0, 7), Started: []workflows.Experiment{e}},
		workflows.DecisionRequest{Decision: decision, Experiment: e, Team: team, Scorecard: &sc},
		workflows.DecisionOutcome{Decision: applied, Experiment: shipped, Team: team, Actor: "U0ENG1", Scorecard: &sc},
		workflows.ExperimentReview{Experiment: shipped, Team: team, Decision: applied, Scorecard: &sc},
		workflows.PostMortemAsk{Experiment: e, Team: team, Decision: applied},
		workflows.RolloutAlert{Event: workflows.RolloutSteered, Op: workflows.RolloutPause, Experiment: e, Team: team, Actor: "U0ENG3", From: 10},
		workflows.EarlierDecided{Original: scorecard, Experiment: shipped, Decision: applied},
	}
}

// TestEveryPayloadKindRenders runs every kind of payload through the
// renderer the way the outbox delivers it: encoded, decoded and rendered.
// A kind added to the domain without a sample here, or without a case in
// Renderer.Render, fails it.
func TestEveryPayloadKindRenders(t *testing.T) {
	r, err := bot.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[workflows.PayloadKind][]workflows.Content{}
	for _, c := range payloadSamples(t) {
		byKind[c.PayloadKind()] = append(byKind[c.PayloadKind()], c)
	}
	kinds := workflows.PayloadKinds()
	for kind := range byKind {
		if !slices.Contains(kinds, kind) {
			t.Errorf("a sample of kind %q, which workflows.PayloadKinds does not list", kind)
		}
	}
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			samples := byKind[kind]
			if len(samples) == 0 {
				t.Fatalf("no sample of payload kind %q: add one here, and its case to bot.Renderer.Render", kind)
			}
			for _, c := range samples {
				p, err := workflows.NewPayload(c)
				if err != nil {
					t.Fatal(err)
				}
				out, err := r.Render(p)
				if err != nil {
					t.Fatalf("render %T: %v", c, err)
				}
				if out.Text == "" || (len(out.Blocks) == 0 && out.File == nil) {
					t.Errorf("%T renders to nothing: %+v", c, out)
				}
				if text, _ := bot.PlainText(out.Text, out.Blocks); strings.Contains(text, "(template ") {
					t.Errorf("%T: a template failed:\n%s", c, text)
				}
				// The same payload renders to the same bytes: a message
				// rendered again after a crash is the message Slack has.
				again, err := r.Render(p)
				if err != nil || again.Text != out.Text || !bytes.Equal(again.Blocks, out.Blocks) ||
					!bytes.Equal(again.File, out.File) || again.Filename != out.Filename {
					t.Errorf("%T renders differently the second time (%v)", c, err)
				}
			}
		})
	}
}

// TestRenderRefusesBadPayloads: a payload that cannot be rendered is an
// error (the outbox gives the message up), never a panic or an empty post.
func TestRenderRefusesBadPayloads(t *testing.T) {
	r, err := bot.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    workflows.Payload
		want string
	}{
		{"unknown kind", workflows.Payload{Kind: "telegram", Data: []byte(`{}`)}, `no renderer for payload kind "telegram"`},
		{"no kind", workflows.Payload{}, `no renderer for payload kind ""`},
		{"pruned", workflows.Payload{Kind: workflows.KindScorecard}, "empty"},
		{"not JSON", workflows.Payload{Kind: workflows.KindScorecard, Data: []byte(`{"Scorecard":`)}, "decode scorecard payload"},
		{"chart without data", workflows.Payload{Kind: workflows.KindLiftChart, Data: []byte(`{}`)}, "a line needs two"},
		{"decided review of another kind", workflows.Payload{Kind: workflows.KindReviewDecided,
			Data: []byte(`{"Original":{"kind":"scorecard","data":{}}}`)}, "is a scorecard payload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Render(tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestBodyOfMessagesWithoutPayload: a message enqueued with its body is
// sent as it is; one pruned after delivery (its payload cleared, its kind
// kept) has an empty body rather than an error, so that reading old posts
// back (the console's restore) does not fail on them.
func TestBodyOfMessagesWithoutPayload(t *testing.T) {
	r, err := bot.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	body, err := r.Body(workflows.Message{Op: workflows.OpPost, Body: workflows.Rendered{Text: "as it is", Blocks: []byte(`[]`)}})
	if err != nil || body.Text != "as it is" || string(body.Blocks) != `[]` {
		t.Errorf("a message with its body: %+v, %v", body, err)
	}
	body, err = r.Body(workflows.Message{Op: workflows.OpUpload, File: []byte("png"), Filename: "c.png", Title: "Lift"})
	if err != nil || body.Text != "Lift" || string(body.File) != "png" || body.Filename != "c.png" {
		t.Errorf("an upload with its file: %+v, %v", body, err)
	}
	body, err = r.Body(workflows.Message{Op: workflows.OpPost, Payload: workflows.Payload{Kind: workflows.KindScorecard}})
	if err != nil || body.Text != "" || len(body.Blocks) != 0 {
		t.Errorf("a pruned message: %+v, %v", body, err)
	}
}

// TestGoldenEarlierDecided: once an experiment is killed, its earlier
// scorecard is shown as it was, without its Ship, Extend and Kill, with a
// line that says what was decided.
func TestGoldenEarlierDecided(t *testing.T) {
	r, err := bot.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	e, sc := decisionFixture()
	original, err := workflows.NewPayload(workflows.ScorecardMessage{Scorecard: sc, Team: teamCheckout, Buttons: true})
	if err != nil {
		t.Fatal(err)
	}
	before, err := r.Render(original)
	if err != nil {
		t.Fatal(err)
	}
	killed := e
	killed.State, killed.Winner, killed.DecidedAt = workflows.StateKilled, "control", started.AddDate(0, 0, 13)
	kill := workflows.Decision{ID: 5, Experiment: e.Key, Action: workflows.ActionKill, Requester: "U0ENG1",
		State: workflows.DecisionApplied, ResolvedAt: killed.DecidedAt}
	after, err := r.RenderContent(workflows.EarlierDecided{Original: original, Experiment: killed, Decision: kill})
	if err != nil {
		t.Fatal(err)
	}
	beforeText, beforeButtons := bot.PlainText(before.Text, before.Blocks)
	text, buttons := bot.PlainText(after.Text, after.Blocks)
	if len(beforeButtons) == 0 || len(buttons) != 0 {
		t.Errorf("buttons before %v, after %v; want some, then none", beforeButtons, buttons)
	}
	if !strings.HasPrefix(text, strings.Join(strings.SplitAfter(beforeText, "\n")[:3], "")) ||
		!strings.Contains(text, "Decided on 15 Nov 2026: One-click checkout killed, everyone gets control.") {
		t.Errorf("the earlier scorecard after the kill:\n%s", text)
	}
	golden(t, "scorecard-decided-earlier", after, text)
}
