package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

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
	text, _ := render.PlainText(rs[len(rs)-1].Text, rs[len(rs)-1].Blocks)
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

	b.click("U0ENG1", render.ActionApprove, "1", "C0CHECKOUT", request.TS)
	if r := b.lastResponse(); !strings.Contains(r, "only approvers of team Checkout") {
		t.Errorf("a member's approval: %s", r)
	}
	b.click("U0ENG3", render.ActionApprove, "1", "C0CHECKOUT", request.TS)
	if r := b.lastResponse(); !strings.Contains(r, "only members of team Checkout") {
		t.Errorf("another team's approval: %s", r)
	}
	b.click("U0PM", render.ActionApprove, "1", "C0CHECKOUT", request.TS)
	if r := b.lastResponse(); !strings.Contains(r, "You approved decision #1 to ship treatment of `one-click-checkout`: it is applied") {
		t.Errorf("the approval: %s", r)
	}
	// A double click, or a click on the old message, says what happened.
	b.click("U0PM", render.ActionApprove, "1", "C0CHECKOUT", request.TS)
	if r := b.lastResponse(); !strings.Contains(r, "decision #1: already shipped treatment by ") || !strings.Contains(r, "U0PM") ||
		!strings.Contains(r, "U0PM just now") {
		t.Errorf("the double click: %s", r)
	}
	b.click("U0LEAD", render.ActionReject, "1", "C0CHECKOUT", request.TS)
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
	b.click("U0ENG2", render.ActionExtend, "one-click-checkout", "C0CHECKOUT", "")
	if r := b.lastResponse(); !strings.Contains(r, "Decision #1 to extend `one-click-checkout` by 7 days waits for 1 approval") {
		t.Fatalf("extend button: %s", r)
	}
	b.click("U0ENG2", render.ActionKill, "one-click-checkout", "C0CHECKOUT", "")
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
	b.click("U0ENG3", render.ActionRolloutResume, "guided-onboarding", "C0ONBOARD", thread[2].TS)
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
