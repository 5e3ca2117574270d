package bot_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/workflows"
)

func goalCount(b *testBot) int {
	n := 0
	b.view(func(tx workflows.Tx) error {
		goals, err := tx.Goals("checkout", "")
		n = len(goals)
		return err
	})
	return n
}

func TestRequestVerification(t *testing.T) {
	b := newTestBot(t)
	body := fakeslack.CommandBody(fakeslack.Command{Command: "/growth", Text: `goal add checkout "Signed goal"`, UserID: "U0ENG1"})
	send := func(mutate func(req *http.Request)) int {
		req, _ := http.NewRequest(http.MethodPost, b.baseURL+"/slack/commands", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		fakeslack.Sign(req, body, secret, time.Now())
		mutate(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name   string
		mutate func(req *http.Request)
	}{
		{"missing signature", func(req *http.Request) { req.Header.Del("X-Slack-Signature") }},
		{"missing timestamp", func(req *http.Request) { req.Header.Del("X-Slack-Request-Timestamp") }},
		{"wrong secret", func(req *http.Request) { fakeslack.Sign(req, body, "not-the-secret", time.Now()) }},
		{"stale, six minutes old", func(req *http.Request) { fakeslack.Sign(req, body, secret, time.Now().Add(-6*time.Minute)) }},
		{"from the future", func(req *http.Request) { fakeslack.Sign(req, body, secret, time.Now().Add(6*time.Minute)) }},
		{"tampered body", func(req *http.Request) {
			tampered := []byte(strings.Replace(string(body), "Signed+goal", "Evil+goal", 1))
			req.Body = http.NoBody
			req.Body = readCloser(tampered)
			req.ContentLength = int64(len(tampered))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code := send(tc.mutate); code != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", code)
			}
			if n := goalCount(b); n != 0 {
				t.Errorf("a refused request added %d goals", n)
			}
		})
	}
	// The genuine request works once; the same request again is a replay.
	signed := time.Now()
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		code := send(func(req *http.Request) { fakeslack.Sign(req, body, secret, signed) })
		if code != want {
			t.Errorf("delivery %d: status %d, want %d", i+1, code, want)
		}
	}
	if n := goalCount(b); n != 1 {
		t.Errorf("after a genuine request and its replay: %d goals, want 1", n)
	}
}

func TestRetriedDeliveryAppliesOnce(t *testing.T) {
	b := newTestBot(t)
	body := fakeslack.CommandBody(fakeslack.Command{Command: "/growth", Text: `goal add checkout "Only once"`,
		UserID: "U0ENG1", TriggerID: "trigger-1"})
	first := readReply(t, b.send("/slack/commands", body, time.Now()))
	// Slack retries with a new timestamp, so a new signature, and the header.
	retry := readReply(t, b.send("/slack/commands", body, time.Now().Add(time.Second), "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout"))
	if first.Status != 200 || retry.Status != 200 {
		t.Fatalf("statuses %d, %d", first.Status, retry.Status)
	}
	if !strings.Contains(first.Plain, "Goal #1 added") {
		t.Errorf("first reply: %s", first.Plain)
	}
	if n := goalCount(b); n != 1 {
		t.Errorf("%d goals after a retried delivery, want 1", n)
	}
}

func TestCommandsReplyAndNeverStaySilent(t *testing.T) {
	b := newTestBot(t)
	tests := []struct {
		name, user, command, text string
		want                      []string
	}{
		{"help", "U0ENG1", "/exp", "help", []string{"/exp ship KEY [VARIANT] [-- REASON]", "/exp rollout KEY PERCENT|pause|resume|advance"}},
		{"growth help", "U0ENG1", "/growth", "", []string{`/growth goal add TEAM "TITLE" [@OWNER] [QUARTER]`}},
		{"list", "U0ENG1", "/exp", "list", []string{"One-click checkout", "draft, not started", "3 draft"}},
		{"list of a team", "U0ENG1", "/exp", "list onboarding", []string{"Guided onboarding"}},
		{"unknown team", "U0ENG1", "/exp", "list chekout", []string{`no team "chekout"`, "Did you mean `checkout`?", "/exp list [TEAM]"}},
		{"unknown subcommand", "U0ENG1", "/exp", "launch one-click-checkout", []string{`/exp has no subcommand "launch"`, "/exp start KEY"}},
		{"unknown experiment", "U0ENG1", "/exp", "start one-click-chekout", []string{`no experiment "one-click-chekout"`, "Did you mean `one-click-checkout`?", "/exp start KEY"}},
		{"malformed argument", "U0ENG1", "/exp", "extend one-click-checkout soon", []string{`DAYS must be a whole number`, "/exp extend KEY DAYS [-- REASON]"}},
		{"outsider", "U0STRANGER", "/exp", "start one-click-checkout", []string{"only members of team Checkout can do that"}},
		{"start", "U0ENG1", "/exp", "start one-click-checkout", []string{"One-click checkout", "is running: day 1 of 14"}},
		{"start again", "U0ENG1", "/exp", "start one-click-checkout", []string{`experiment "one-click-checkout" is running, so it cannot be started`}},
		{"history", "U0ENG1", "/exp", "history one-click-checkout", []string{"Created by growthbot (config), 16 Nov 2026 09:00 UTC", "Started by @U0ENG1", "State changed from draft to running.", "Planned end set to 30 Nov 2026 09:00 UTC."}},
		{"goal with a mention", "U0ENG2", "/growth", `goal add checkout "Faster checkout" <@U0ENG1|ana>`, []string{"Goal #1 added", "owned by @U0ENG1"}},
		{"goals", "U0ENG1", "/growth", "goals", []string{"Checkout goals for 2026-Q4", "#1", "Faster checkout", "0 of 1 done"}},
		{"goal done by an outsider", "U0STRANGER", "/growth", "goal done 1", []string{"only members of team Checkout"}},
		{"goal done", "U0ENG1", "/growth", "goal done 1", []string{"Goal #1", "is done"}},
		{"goal done twice", "U0ENG1", "/growth", "goal done 1", []string{"goal #1 is already done"}},
		{"unknown goal", "U0ENG1", "/growth", "goal drop 99", []string{"no goal 99"}},
		{"kpis of a team without data", "U0ENG1", "/growth", "kpi checkout", []string{"No KPIs for Checkout yet", "growthbot import kpis"}},
		{"user escapes are kept", "U0ENG1", "/growth", `goal add checkout "A &lt;b&gt; &amp; c"`, []string{"A <b> & c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.command(tc.user, tc.command, tc.text)
			if r.Status != 200 || strings.TrimSpace(r.Text) == "" {
				t.Fatalf("status %d, empty reply %q", r.Status, r.Plain)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Plain, w) {
					t.Errorf("reply does not say %q:\n%s", w, r.Plain)
				}
			}
		})
	}
}

func TestAppHomeAndURLVerification(t *testing.T) {
	b := newTestBot(t)
	resp := b.send("/slack/events", fakeslack.EventBody(fakeslack.EventCallback{Type: "url_verification", Challenge: "abc123"}), time.Now())
	r := readReply(t, resp)
	if r.Status != 200 || !strings.Contains(r.Plain, `"challenge":"abc123"`) {
		t.Fatalf("url_verification: %d %s", r.Status, r.Plain)
	}
	b.command("U0ENG1", "/exp", "start one-click-checkout")
	event := fakeslack.EventBody(fakeslack.EventCallback{UserID: "U0PM", EventID: "Ev1"})
	for i := range 2 { // the second is Slack's retry: the same event, signed anew
		if resp := b.send("/slack/events", event, time.Now().Add(time.Duration(i)*time.Second), "X-Slack-Retry-Num", "1"); resp.StatusCode != 200 {
			t.Fatalf("event status %d", resp.StatusCode)
		}
	}
	b.router.Wait()
	home, ok := b.fake.HomeViews()["U0PM"]
	if !ok {
		t.Fatal("no App Home published for U0PM")
	}
	if n := len(b.fake.CallsTo("views.publish")); n != 1 {
		t.Errorf("views.publish called %d times for one event and its retry, want 1", n)
	}
	for _, want := range []string{"Checkout", "approver", "One-click checkout", "No decision of your teams is waiting."} {
		if !strings.Contains(string(home.Raw), want) {
			t.Errorf("App Home lacks %q", want)
		}
	}
}

// TestSlowCommandsAreAcknowledgedAtOnce: an analysis runs after Slack has
// its acknowledgement, and the scorecard follows through the response URL.
func TestSlowCommandsAreAcknowledgedAtOnce(t *testing.T) {
	b := newTestBot(t)
	b.command("U0ENG1", "/exp", "start one-click-checkout")
	url := b.fake.ResponseURL()
	body := fakeslack.CommandBody(fakeslack.Command{Command: "/exp", Text: "status one-click-checkout", UserID: "U0PM", ResponseURL: url})
	ack := readReply(t, b.send("/slack/commands", body, time.Now()))
	if ack.Status != 200 || !strings.Contains(ack.Plain, "Working out the scorecard of `one-click-checkout`") {
		t.Fatalf("acknowledgement: %d %s", ack.Status, ack.Plain)
	}
	b.deliver()
	var answers []string
	for _, r := range b.fake.Responses() {
		if r.URL == url {
			answers = append(answers, r.Text)
		}
	}
	if len(answers) != 1 || !strings.HasPrefix(answers[0], "One-click checkout: ") {
		t.Errorf("answers through the response URL: %q, want the scorecard once", answers)
	}
}
