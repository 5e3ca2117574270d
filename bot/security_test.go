package bot_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/bot/internal/fixture"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// pressAs presses a button with a signed payload and returns the answer
// the presser got (through the response URL), or "" when none came.
func (b *testBot) pressAs(user, actionID, value string) string {
	b.t.Helper()
	before := len(b.fake.Responses())
	b.click(user, actionID, value, "C0CHECKOUT", "")
	rs := b.fake.Responses()
	if len(rs) != before+1 {
		b.t.Fatalf("%d answers to one press", len(rs)-before)
	}
	text, _ := render.PlainText(rs[len(rs)-1].Text, rs[len(rs)-1].Blocks)
	return text
}

// TestForgedInteractionsAreRefused sends signed button presses whose
// payloads were tampered with: someone outside the team, another team's
// experiment or decision, a key or decision id that does not exist or is
// not a number, an action that does not exist, a user id that is no Slack
// user's. Each is refused with a clear answer to the presser, and nothing
// in the database changes.
func TestForgedInteractionsAreRefused(t *testing.T) {
	b := newRunningBot(t)
	ctx := context.Background()
	if _, err := b.svc.StartExperiment(ctx, "U0ENG3", "guided-onboarding"); err != nil {
		t.Fatal(err)
	}
	checkout, err := b.svc.RequestDecision(ctx, "U0ENG1", "one-click-checkout", workflows.ActionExtend, "", 7, "")
	if err != nil || checkout.State != workflows.DecisionPending {
		t.Fatalf("%+v %v", checkout, err)
	}
	onboarding, err := b.svc.RequestDecision(ctx, "U0ENG3", "guided-onboarding", workflows.ActionExtend, "", 3, "")
	if err != nil || onboarding.State != workflows.DecisionPending {
		t.Fatalf("%+v %v", onboarding, err)
	}
	b.deliver()
	ids := map[string]string{"checkout": fmt.Sprint(checkout.ID), "onboarding": fmt.Sprint(onboarding.ID)}

	tests := []struct {
		name, user, action, value string
		want                      string
	}{
		{"an outsider approves", "U0STRANGER", render.ActionApprove, ids["checkout"], "only members of team Checkout can do that"},
		{"an outsider rejects", "U0STRANGER", render.ActionReject, ids["checkout"], "only members of team Checkout can do that"},
		{"an outsider kills", "U0STRANGER", render.ActionKill, "one-click-checkout", "only members of team Checkout can do that"},
		{"an outsider ships", "U0STRANGER", render.ActionShip, "one-click-checkout", "only members of team Checkout can do that"},
		{"another team's approver approves", "U0PM2", render.ActionApprove, ids["checkout"], "only members of team Checkout can do that"},
		{"a member who is no approver approves", "U0ENG1", render.ActionApprove, ids["checkout"], "only approvers of team Checkout"},
		{"another team's decision id", "U0PM", render.ActionApprove, ids["onboarding"], "only members of team Onboarding can do that"},
		{"another team's decision id, rejected", "U0LEAD", render.ActionReject, ids["onboarding"], "only members of team Onboarding can do that"},
		{"another team's experiment killed", "U0ENG1", render.ActionKill, "guided-onboarding", "only members of team Onboarding can do that"},
		{"another team's rollout paused", "U0ENG1", render.ActionRolloutPause, "guided-onboarding", "only members of team Onboarding can do that"},
		{"an unknown experiment key", "U0ENG1", render.ActionKill, "one-click-checkou", `no experiment "one-click-checkou"`},
		{"SQL in the key", "U0ENG1", render.ActionKill, "one-click-checkout' OR '1'='1", `no experiment "one-click-checkout' OR '1'='1"`},
		{"a decision id that is no number", "U0PM", render.ActionApprove, "1 OR 1=1", `that button names no decision ("1 OR 1=1")`},
		{"a decision id too big for a number", "U0PM", render.ActionApprove, "99999999999999999999999", "that button names no decision"},
		{"the biggest decision id", "U0PM", render.ActionApprove, "9223372036854775807", "no decision 9223372036854775807"},
		{"a negative decision id", "U0PM", render.ActionReject, "-1", "no decision -1"},
		{"no decision id", "U0PM", render.ActionApprove, "", `that button names no decision ("")`},
		{"an action that does not exist", "U0PM", "decision.approve_all", ids["checkout"], "That button belongs to an older version of this message"},
		{"a system actor's name as the user", workflows.ActorScheduler, render.ActionKill, "one-click-checkout", "growthbot acts only for Slack users"},
		{"the CLI's name as the user", workflows.ActorCLI, render.ActionApprove, ids["checkout"], "growthbot acts only for Slack users"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := b.snapshot()
			messages := len(b.outboxMessages())
			got := b.pressAs(tc.user, tc.action, tc.value)
			if !strings.Contains(got, tc.want) {
				t.Errorf("answer %q; want %q", got, tc.want)
			}
			b.unchangedSince(before)
			// The only new message is the answer to the presser.
			if n := len(b.outboxMessages()); n != messages+1 {
				t.Errorf("%d messages enqueued, want just the answer", n-messages)
			}
		})
	}
	// The same payloads pass when nothing was forged.
	if got := b.pressAs("U0PM", render.ActionApprove, ids["checkout"]); !strings.Contains(got, "it is applied") {
		t.Errorf("a genuine approval: %s", got)
	}
}

// TestForgedCommandUser sends a slash command claiming to come from one of
// growthbot's system actors, which pass team checks inside the domain.
func TestForgedCommandUser(t *testing.T) {
	b := newRunningBot(t)
	before := b.snapshot()
	for _, user := range []string{workflows.ActorCLI, workflows.ActorConfig, workflows.ActorScheduler, "u0lowercase", "U0ENG1 "} {
		r := b.command(user, "/exp", "kill one-click-checkout")
		if !strings.Contains(r.Plain, "growthbot acts only for Slack users") {
			t.Errorf("/exp kill as %q: %s", user, r.Plain)
		}
	}
	b.unchangedSince(before)
}

// TestForgedInteractionSignature changes one byte of a signed button
// press: the request is refused before anything reads it.
func TestForgedInteractionSignature(t *testing.T) {
	b := newRunningBot(t)
	before := b.snapshot()
	genuine := fakeslack.BlockActionsBody(fakeslack.Action{ActionID: render.ActionKill, Value: "one-click-checkout", UserID: "U0STRANGER"})
	forged := []byte(strings.Replace(string(genuine), "U0STRANGER", "U0ENG1", 1))
	req, _ := http.NewRequest(http.MethodPost, b.baseURL+"/slack/interactions", strings.NewReader(string(forged)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	fakeslack.Sign(req, genuine, secret, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a forged payload: %d, want 401", resp.StatusCode)
	}
	b.unchangedSince(before)
}

func jsonString(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return b.String(), err
}

// countRows counts a table's rows in the bot's database file.
func (b *testBot) countRows(table string) int {
	b.t.Helper()
	raw, err := sql.Open("sqlite", "file:"+b.dbPath)
	if err != nil {
		b.t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		b.t.Fatal(err)
	}
	return n
}

// TestInputsAreBounded sends inputs over each bound growthbot sets: the
// size of Slack's request bodies, the length of a command, a goal title,
// an experiment's name and hypothesis in the /exp new form, an NDJSON line
// and the number of rows in one API request, and the size of an API body.
// Each is refused with a message that names the bound, and nothing is
// stored.
func TestInputsAreBounded(t *testing.T) {
	b := newRunningBot(t)
	before := b.snapshot()

	t.Run("Slack bodies over 1 MiB", func(t *testing.T) {
		for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
			body := fakeslack.CommandBody(fakeslack.Command{Command: "/growth", Text: `goal add checkout "big"` + strings.Repeat(" ", 1<<20), UserID: "U0ENG1"})
			r := readReply(t, b.send(path, body, time.Now()))
			if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Plain, "request body too large") {
				t.Errorf("%s: %d %s", path, r.Status, r.Plain)
			}
		}
	})
	t.Run("a command over 4,000 characters", func(t *testing.T) {
		r := b.command("U0ENG1", "/growth", `goal add checkout "long"`+strings.Repeat(" x", 2000))
		if !strings.Contains(r.Plain, "that command is 4024 characters long; the limit is 4000") {
			t.Errorf("reply: %s", r.Plain)
		}
	})
	t.Run("a goal title over 200 characters", func(t *testing.T) {
		r := b.command("U0ENG1", "/growth", `goal add checkout "`+strings.Repeat("t", 201)+`"`)
		if !strings.Contains(r.Plain, "the title is 201 characters; keep it under 200") {
			t.Errorf("reply: %s", r.Plain)
		}
	})
	t.Run("the new-experiment form's long texts", func(t *testing.T) {
		for _, tc := range []struct{ name, hypothesis, field, want string }{
			{strings.Repeat("n", workflows.MaxNameLength+1), "ok", "name", "the name is 201 characters long; keep it to 200"},
			{"ok", strings.Repeat("é", workflows.MaxHypothesisLength+1), "hypothesis", "the hypothesis is 2001 characters long; keep it to 2000"},
		} {
			body := fakeslack.ViewSubmissionBody(fakeslack.Submission{CallbackID: "exp.new", UserID: "U0ENG1", PrivateMetadata: "C0CHECKOUT",
				Inputs: []fakeslack.Input{
					{BlockID: "key", ActionID: "key", Value: "long-texts"},
					{BlockID: "name", ActionID: "name", Value: tc.name},
					{BlockID: "team", ActionID: "team", Type: "static_select", Value: "checkout"},
					{BlockID: "hypothesis", ActionID: "hypothesis", Value: tc.hypothesis},
					{BlockID: "variants", ActionID: "variants", Value: "control, treatment"},
					{BlockID: "primary", ActionID: "primary", Type: "static_select", Value: "purchase"},
					{BlockID: "method", ActionID: "method", Type: "static_select", Value: "sequential"},
					{BlockID: "days", ActionID: "days", Type: "number_input", Value: "14"},
				}})
			r := readReply(t, b.send("/slack/interactions", body, time.Now()))
			if r.Status != http.StatusOK || !strings.Contains(r.Plain, `"`+tc.field+`":`) || !strings.Contains(r.Plain, tc.want) {
				t.Errorf("%s: %d %s", tc.field, r.Status, r.Plain)
			}
		}
	})

	// The ingestion API over the real service.
	srv := httpapi.NewServer(nil, nil)
	srv.MountAPI(b.svc, httpapi.APIConfig{Token: fixture.APIToken, MaxBody: 4 << 20, MaxItems: 3})
	api := httptest.NewServer(srv)
	defer api.Close()
	now := b.clock.Now().Add(-time.Hour).Unix()
	event := fmt.Sprintf(`{"unit_id":"u1","event":"purchase","timestamp":%d}`, now)
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"an NDJSON line over 1 MiB", event + "\n" + `{"unit_id":"` + strings.Repeat("u", 1<<20) + `","event":"purchase"}` + "\n", 400,
			`"line":2,"message":"the line is longer than 1048576 bytes"`},
		{"more rows than one request may carry", strings.Repeat(event+"\n", 4), 413,
			`"error":"body has more than 3 rows, nothing imported: send at most 3 at a time"`},
		{"a body over --max-body", strings.Repeat(" ", 4<<20+1), 413, "the request body is larger than 4194304 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := fixture.APIPost(t, api.URL+"/api/v1/events", fixture.APIToken, "application/x-ndjson", tc.body)
			got := fmt.Sprint(body)
			if raw, err := jsonString(body); err == nil {
				got = raw
			}
			if status != tc.status || !strings.Contains(got, tc.want) {
				t.Errorf("%d %s; want %d with %s", status, got, tc.status, tc.want)
			}
		})
	}
	b.unchangedSince(before)
	if n := b.countRows("events"); n != 0 {
		t.Errorf("%d events stored", n)
	}
	if n := b.countRows("experiments"); n != 3 {
		t.Errorf("%d experiments stored, want the config's 3", n)
	}
}
