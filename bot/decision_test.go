package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/workflows"
)

// decisionFixture is a running one-click-checkout and what the data says
// about it, fixed so that golden files do not move with the statistics.
func decisionFixture() (workflows.Experiment, workflows.Scorecard) {
	e := experiments()[0]
	e.Hypothesis = "Removing the review step raises purchase conversion without raising errors."
	e.Variants = []workflows.Variant{{Key: "control", Weight: 50}, {Key: "treatment", Weight: 50}}
	e.Framework, e.Alpha, e.EndsAt = "clear-signals", 0.05, started.AddDate(0, 0, 14)
	purchase := workflows.Metric{Key: "purchase", Name: "Purchase conversion", Type: workflows.MetricProportion, HigherIsBetter: true}
	errs := workflows.Metric{Key: "errors", Name: "Checkout errors", Type: workflows.MetricMean}
	sc := workflows.Scorecard{Experiment: e, Method: workflows.MethodSequential, AsOf: started.AddDate(0, 0, 12), Day: 13,
		Units: map[string]int64{"control": 20112, "treatment": 19958}, SRMPValue: 0.44, Mature: true,
		Guardrails: workflows.GuardrailsHealthy, MDE: 0.031,
		Results: []workflows.MetricResult{
			{Metric: purchase, Role: workflows.RolePrimary, Variant: "treatment", ControlMean: 0.101, TreatmentMean: 0.1131,
				Lift: 0.12, Low: 0.06, High: 0.18, PValue: 0.0004, Significant: true, Verdict: workflows.VerdictGood},
			{Metric: errs, Role: workflows.RoleGuardrail, Variant: "treatment", ControlMean: 0.052, TreatmentMean: 0.051,
				Lift: -0.02, Low: -0.09, High: 0.05, PValue: 0.61, Verdict: workflows.VerdictFlat},
		},
		Recommendation: workflows.Recommendation{Action: workflows.RecommendShip, Variant: "treatment", Framework: "clear-signals",
			Reason: "A primary metric won and no guardrail regresses. Purchase conversion (treatment) +12.0% [+6.0%, +18.0%]."},
	}
	return e, sc
}

func TestGoldenDecisionMessages(t *testing.T) {
	renderer, err := bot.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	e, sc := decisionFixture()
	asked, settled := started.AddDate(0, 0, 12), started.AddDate(0, 0, 12).Add(90*time.Minute)
	team := teamCheckout
	team.Approvers = []string{"U0PM", "U0LEAD", "U0ENG2"}
	ship := workflows.Decision{ID: 4, Experiment: e.Key, Action: workflows.ActionShip, Variant: "treatment",
		Reason: "wins on purchase & errors <flat>", Requester: "U0ENG1", Recommendation: "keep_running",
		RecommendationReason: "No clear signal yet.", RequiredApprovals: 2, State: workflows.DecisionPending, CreatedAt: asked,
		Approvals: []workflows.Approval{{User: "U0PM", At: settled}}}
	applied := ship
	applied.State, applied.ResolvedAt = workflows.DecisionApplied, settled
	applied.Approvals = append(applied.Approvals, workflows.Approval{User: "U0LEAD", At: settled})
	auto := workflows.Decision{ID: 5, Experiment: e.Key, Action: workflows.ActionShip, Variant: "treatment", Requester: "U0ENG1",
		Recommendation: "ship", AutoApproved: true, State: workflows.DecisionApplied, CreatedAt: asked, ResolvedAt: asked}
	extend := workflows.Decision{ID: 6, Experiment: e.Key, Action: workflows.ActionExtend, Days: 7, Requester: "U0ENG2",
		RequiredApprovals: 1, State: workflows.DecisionApplied, CreatedAt: asked, ResolvedAt: settled,
		Approvals: []workflows.Approval{{User: "U0LEAD", At: settled}}}
	rejected := ship
	rejected.State, rejected.RejectedBy, rejected.ResolvedAt = workflows.DecisionRejected, "U0LEAD", settled
	withdrawn := rejected
	withdrawn.RejectedBy = "U0ENG1"
	superseded := ship
	superseded.State, superseded.RejectedBy, superseded.ResolvedAt = workflows.DecisionSuperseded, "U0ENG2", settled
	kill := workflows.Decision{ID: 7, Experiment: e.Key, Action: workflows.ActionKill, Reason: "errors up in Safari",
		Requester: "U0ENG2", State: workflows.DecisionApplied, CreatedAt: settled, ResolvedAt: settled}
	shipped, extended, killed := e, e, e
	shipped.State, shipped.Winner, shipped.DecidedAt = workflows.StateShipped, "treatment", settled
	extended.EndsAt = e.EndsAt.AddDate(0, 0, 7)
	killed.State, killed.Winner, killed.DecidedAt = workflows.StateKilled, "control", settled
	failing := sc
	failing.Guardrails = workflows.GuardrailsFailing
	failing.Results = append([]workflows.MetricResult(nil), sc.Results...)
	failing.Results[1].Lift, failing.Results[1].Low, failing.Results[1].High = 0.31, 0.12, 0.5
	failing.Results[1].PValue, failing.Results[1].Significant, failing.Results[1].Verdict = 0.001, true, workflows.VerdictBad

	empty := sc
	empty.Units = map[string]int64{"control": 0, "treatment": 0}
	empty.Results = []workflows.MetricResult{{Metric: sc.Results[0].Metric, Role: workflows.RolePrimary, Variant: "treatment",
		Verdict: workflows.VerdictNoData, Problem: "not enough data yet: control has 0 units and treatment 0; a comparison needs at least 2 in each arm (4 more)"}}
	rollout := experiments()[1]
	rollout.Name, rollout.Owner, rollout.RolloutPaused = "Guided onboarding", "U0ENG3", false
	rollout.Variants = []workflows.Variant{{Key: "control", Weight: 1}, {Key: "guided", Weight: 1}}
	rollout.RolloutStep, rollout.RolloutPercent = 2, 10
	halted := rollout
	halted.RolloutPaused = true
	rolledBack := halted
	rolledBack.RolloutPercent = 0
	done := rollout
	done.RolloutStep, done.RolloutPercent = len(done.RolloutPlan)-1, 100
	rolloutCard := sc
	rolloutCard.Experiment, rolloutCard.Recommendation.Framework = rollout, "do-no-harm"
	rolloutCard.Units = map[string]int64{"control": 604, "guided": 596}
	regressing := rolloutCard
	regressing.Guardrails = workflows.GuardrailsRegressing
	onboarding := workflows.Team{Key: "onboarding", Name: "Onboarding", Channel: "C0ONBOARD", Approvers: []string{"U0PM2"}}
	const why = "Checkout errors (guided) +31.0% [-2.0%, +64.0%]."

	tests := []struct {
		name string
		v    workflows.Content
	}{
		{"decision-request", workflows.DecisionRequest{Decision: ship, Experiment: e, Team: team, Scorecard: &sc}},
		{"decision-request-without-data", workflows.DecisionRequest{Decision: workflows.Decision{ID: 8, Experiment: e.Key,
			Action: workflows.ActionExtend, Days: 3, Requester: "U0PM", RequiredApprovals: 1, State: workflows.DecisionPending,
			RecommendationReason: "The analysis could not run, so the data cannot settle this decision.", CreatedAt: asked},
			Experiment: e, Team: teamCheckout}},
		{"decision-shipped-approved", workflows.DecisionOutcome{Decision: applied, Experiment: shipped, Team: team, Actor: "U0LEAD", Scorecard: &sc}},
		{"decision-shipped-auto", workflows.DecisionOutcome{Decision: auto, Experiment: shipped, Team: team, Actor: "U0ENG1", Scorecard: &sc}},
		{"decision-extended", workflows.DecisionOutcome{Decision: extend, Experiment: extended, Team: team, Actor: "U0LEAD", Scorecard: &sc}},
		{"decision-rejected", workflows.DecisionOutcome{Decision: rejected, Experiment: e, Team: team, Actor: "U0LEAD", Reason: "wait for the <full> week"}},
		{"decision-withdrawn", workflows.DecisionOutcome{Decision: withdrawn, Experiment: e, Team: team, Actor: "U0ENG1"}},
		{"decision-superseded", workflows.DecisionOutcome{Decision: superseded, Experiment: killed, Team: team, Actor: "U0ENG2",
			Reason: "The experiment was killed: errors up in Safari"}},
		{"decision-killed", workflows.DecisionOutcome{Decision: kill, Experiment: killed, Team: team, Actor: "U0ENG2", Scorecard: &failing}},
		{"decision-review-shipped", workflows.ExperimentReview{Experiment: shipped, Team: team, Decision: applied, Scorecard: &sc}},
		{"decision-review-killed", workflows.ExperimentReview{Experiment: killed, Team: team, Decision: kill, Scorecard: &failing}},
		{"decision-review-no-exposures", workflows.ExperimentReview{Experiment: killed, Team: team, Decision: kill, Scorecard: &empty}},
		{"decision-postmortem", workflows.PostMortemAsk{Experiment: killed, Team: team, Decision: kill}},
		{"decision-rollout-advanced", workflows.RolloutAlert{Event: workflows.RolloutAdvanced, Experiment: rollout, Team: onboarding,
			Actor: workflows.ActorScheduler, From: 5, Scorecard: &rolloutCard, Reason: "Guardrails healthy after 25 hours at 5 % with 1200 units."}},
		{"decision-rollout-halted", workflows.RolloutAlert{Event: workflows.RolloutHalted, Experiment: halted, Team: onboarding,
			Actor: workflows.ActorScheduler, From: 10, Scorecard: &regressing, Reason: why}},
		{"decision-rollout-rolled-back", workflows.RolloutAlert{Event: workflows.RolloutRolledBack, Experiment: rolledBack,
			Team: onboarding, Actor: workflows.ActorScheduler, From: 10, Scorecard: &regressing, Reason: why}},
		{"decision-rollout-completed", workflows.RolloutAlert{Event: workflows.RolloutCompleted, Experiment: done, Team: onboarding,
			Actor: workflows.ActorScheduler, From: 100, Scorecard: &rolloutCard}},
		{"decision-rollout-paused", workflows.RolloutAlert{Event: workflows.RolloutSteered, Op: workflows.RolloutPause,
			Experiment: halted, Team: onboarding, Actor: "U0ENG3", From: 10}},
		{"decision-rollout-set", workflows.RolloutAlert{Event: workflows.RolloutSteered, Op: workflows.RolloutSet,
			Experiment: rollout, Team: onboarding, Actor: "U0ENG3", From: 25}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := renderer.RenderContent(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			text, _ := bot.PlainText(r.Text, r.Blocks)
			if strings.Contains(text, "(template ") {
				t.Errorf("a template failed:\n%s", text)
			}
			golden(t, tc.name, r, text)
		})
	}
}

// click presses a button as user, on the message at ts in channel.
func (b *testBot) click(user, actionID, value, channel, ts string) {
	b.t.Helper()
	body := fakeslack.BlockActionsBody(fakeslack.Action{ActionID: actionID, Value: value, UserID: user, ChannelID: channel,
		MessageTS: ts, ResponseURL: b.fake.ResponseURL()})
	resp := b.send("/slack/interactions", body, time.Now())
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.t.Fatalf("button %s: HTTP %d", actionID, resp.StatusCode)
	}
	b.deliver()
}

// lastResponse is the text of the newest ephemeral answer to a button.
func (b *testBot) lastResponse() string {
	b.t.Helper()
	rs := b.fake.Responses()
	if len(rs) == 0 {
		return ""
	}
	text, _ := bot.PlainText(rs[len(rs)-1].Text, rs[len(rs)-1].Blocks)
	return text
}

// threadMessages returns the messages in the channel's first thread.
func (b *testBot) threadMessages(channel string) []fakeslack.Message {
	top := b.fake.Messages(channel)
	if len(top) == 0 {
		b.t.Fatalf("nothing posted in %s", channel)
	}
	return top[0].Replies
}

func TestDecisionsInSlack(t *testing.T) {
	b := newTestBot(t)
	ctx := context.Background()
	if _, err := b.svc.StartExperiment(ctx, "U0ENG1", "one-click-checkout"); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(3 * 24 * time.Hour)

	got := b.command("U0STRANGER", "/exp", "ship one-click-checkout")
	if !strings.Contains(got.Plain, "only members of team Checkout can do that") {
		t.Errorf("an outsider's ship: %s", got.Plain)
	}
	got = b.command("U0ENG1", "/exp", "ship one-click-checkout -- wins on purchase")
	if !strings.Contains(got.Plain, "Decision #1 to ship treatment of `one-click-checkout` waits for 1 approval") {
		t.Fatalf("ship: %s", got.Plain)
	}
	got = b.command("U0ENG2", "/exp", "extend one-click-checkout 7")
	if !strings.Contains(got.Plain, "already waits for decision #1") {
		t.Errorf("a second request: %s", got.Plain)
	}
	b.deliver()
	thread := b.threadMessages("C0CHECKOUT")
	if len(thread) != 1 || !strings.Contains(string(thread[0].Blocks), `"decision.approve"`) || !strings.Contains(thread[0].Text, "<@U0ENG1> asks to ship *treatment* of *One-click checkout*") {
		t.Fatalf("thread after the request: %+v", thread)
	}
	request := thread[0]

	b.click("U0ENG1", bot.ActionApprove, "1", "C0CHECKOUT", request.TS)
	if r := b.lastResponse(); !strings.Contains(r, "only approvers of team Checkout") {
		t.Errorf("a member's approval: %s", r)
	}
	b.click("U0ENG3", bot.ActionApprove, "1", "C0CHECKOUT", request.TS)
	if r := b.lastResponse(); !strings.Contains(r, "only members of team Checkout") {
		t.Errorf("another team's approval: %s", r)
	}
	b.click("U0PM", bot.ActionApprove, "1", "C0CHECKOUT", request.TS)
	if r := b.lastResponse(); !strings.Contains(r, "You approved decision #1 to ship treatment of `one-click-checkout`: it is applied") {
		t.Errorf("the approval: %s", r)
	}
	// A double click, or a click on the old message, says what happened.
	b.click("U0PM", bot.ActionApprove, "1", "C0CHECKOUT", request.TS)
	if r := b.lastResponse(); !strings.Contains(r, "decision #1: already shipped treatment by ") || !strings.Contains(r, "U0PM") ||
		!strings.Contains(r, "U0PM just now") {
		t.Errorf("the double click: %s", r)
	}
	b.click("U0LEAD", bot.ActionReject, "1", "C0CHECKOUT", request.TS)
	if r := b.lastResponse(); !strings.Contains(r, "already shipped treatment by ") {
		t.Errorf("a late reject: %s", r)
	}

	msg, _ := b.fake.Message("C0CHECKOUT", request.TS)
	if msg.Edits != 1 || strings.Contains(string(msg.Blocks), "decision.approve") || !strings.Contains(msg.Text, "Shipped treatment") {
		t.Errorf("the request after the approval (%d edits): %s %s", msg.Edits, msg.Text, msg.Blocks)
	}
	thread = b.threadMessages("C0CHECKOUT")
	if len(thread) != 2 || !strings.Contains(thread[1].Text, "Experiment review: One-click checkout") {
		t.Errorf("thread after the ship: %d replies", len(thread))
	}
	if top := b.fake.Messages("C0CHECKOUT")[0]; !strings.Contains(string(top.Blocks), "shipped treatment") {
		t.Errorf("the thread's headline: %s", top.Blocks)
	}
}

func TestKillAndScorecardButtonsInSlack(t *testing.T) {
	b := newTestBot(t)
	ctx := context.Background()
	for _, key := range []string{"one-click-checkout", "free-shipping-banner"} {
		if _, err := b.svc.StartExperiment(ctx, "U0ENG2", key); err != nil {
			t.Fatal(err)
		}
	}
	// The scorecard's Extend 7 days button opens a request like the command.
	b.click("U0ENG2", bot.ActionExtend, "one-click-checkout", "C0CHECKOUT", "")
	if r := b.lastResponse(); !strings.Contains(r, "Decision #1 to extend `one-click-checkout` by 7 days waits for 1 approval") {
		t.Fatalf("extend button: %s", r)
	}
	b.click("U0ENG2", bot.ActionKill, "one-click-checkout", "C0CHECKOUT", "")
	if r := b.lastResponse(); !strings.Contains(r, "Killed `one-click-checkout`") {
		t.Fatalf("kill button: %s", r)
	}
	got := b.command("U0ENG1", "/exp", "kill one-click-checkout")
	if !strings.Contains(got.Plain, "already killed by ") || !strings.Contains(got.Plain, "U0ENG2") {
		t.Errorf("a second kill: %s", got.Plain)
	}
	thread := b.threadMessages("C0CHECKOUT")
	var texts []string
	for _, m := range thread {
		texts = append(texts, m.Text)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"Superseded: extend by 7 days", "Killed", "Experiment review", "a short post-mortem"} {
		if !strings.Contains(all, want) {
			t.Errorf("the thread lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(string(thread[0].Blocks), "decision.approve") {
		t.Error("the superseded request kept its buttons")
	}
}

func TestRolloutCommand(t *testing.T) {
	b := newTestBot(t)
	if _, err := b.svc.StartExperiment(context.Background(), "U0ENG3", "guided-onboarding"); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ user, text, want string }{
		{"U0ENG1", "rollout guided-onboarding pause", "only members of team Onboarding"},
		{"U0ENG3", "rollout guided-onboarding advance", "is at 25 % (step 2 of 4)"},
		{"U0ENG3", "rollout guided-onboarding pause", "is at 25 % (step 2 of 4, paused)"},
		{"U0ENG3", "rollout guided-onboarding advance", "paused at 25 % (step 2 of 4); resume it first"},
		{"U0ENG3", "rollout guided-onboarding 10", "is at 10 % (step 1 of 4, paused)"},
		{"U0ENG1", "rollout one-click-checkout 10", "is not a phased rollout"},
	}
	for _, tc := range tests {
		if got := b.command(tc.user, "/exp", tc.text); !strings.Contains(got.Plain, tc.want) {
			t.Errorf("/exp %s as %s: %s; want %q", tc.text, tc.user, got.Plain, tc.want)
		}
	}
	b.deliver()
	thread := b.threadMessages("C0ONBOARD")
	if len(thread) != 3 {
		t.Fatalf("%d rollout messages in the thread, want 3", len(thread))
	}
	b.click("U0ENG3", bot.ActionRolloutResume, "guided-onboarding", "C0ONBOARD", thread[2].TS)
	if r := b.lastResponse(); !strings.Contains(r, "is at 10 % (step 1 of 4)") {
		t.Errorf("resume button: %s", r)
	}
}

// TestWebhookDelivery sends a decision to a team's webhook through the
// outbox, signed with the secret its SecretEnv names.
func TestWebhookDelivery(t *testing.T) {
	b := newTestBot(t)
	ctx := context.Background()
	hook := b.fake.WebhookURL()
	if err := b.db.Update(ctx, func(tx workflows.Tx) error {
		team, err := tx.Team("checkout")
		if err != nil {
			return err
		}
		team.Webhook = workflows.Webhook{URL: hook, SecretEnv: "CHECKOUT_WEBHOOK_SECRET"}
		return tx.PutTeam(team)
	}); err != nil {
		t.Fatal(err)
	}
	b.outbox.Getenv = func(name string) string { return map[string]string{"CHECKOUT_WEBHOOK_SECRET": "s3cret"}[name] }
	if _, err := b.svc.StartExperiment(ctx, "U0ENG1", "one-click-checkout"); err != nil {
		t.Fatal(err)
	}
	b.command("U0ENG1", "/exp", "kill one-click-checkout -- errors up")
	b.deliver()
	hooks := b.fake.Webhooks()
	if len(hooks) != 1 {
		t.Fatalf("%d webhooks, want 1", len(hooks))
	}
	var body map[string]any
	if err := json.Unmarshal(hooks[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["action"] != "kill" || body["state"] != "applied" || body["reason"] != "errors up" || body["team"] != "checkout" {
		t.Errorf("webhook body: %s", hooks[0].Body)
	}
	// outbox_test.go checks the signature itself.
	if sig := hooks[0].Header.Get("X-Growthbot-Signature"); !strings.HasPrefix(sig, "v1=") || len(sig) != 67 {
		t.Errorf("webhook not signed with the team's secret: %q", sig)
	}
	if got := hooks[0].Header.Get("X-Growthbot-Delivery"); got != fmt.Sprintf("webhook:decision:%v:applied", body["id"]) {
		t.Errorf("delivery id %q", got)
	}
}
