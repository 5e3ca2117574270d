package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/workflows"
)

// TestServeLogsNoSecrets runs growthbot serve with distinctive secrets and
// debug logging, and takes it through everything that might log or echo
// one: slash commands and buttons over HTTP and Socket Mode, refused
// signatures, API calls with good and bad tokens, the outbox posting to
// Slack and to a signed webhook, and Slack failing (errors, a rate limit,
// an outage). Neither its log nor any answer it gives may contain a secret
// or the first nine characters of one.
func TestServeLogsNoSecrets(t *testing.T) {
	bin := buildGrowthbot(t)
	secrets := map[string]string{
		envBotToken:            "xoxb-4242424242-SECRETBOT-7f3a9c1e5b2d",
		envAppToken:            "xapp-1-A0FAKE-SECRETAPP-2d8e4f6a0c1b",
		envSigningSecret:       "SIGNSECRET-a1b2c3d4e5f60718",
		envAPIToken:            "APISECRET-0f9e8d7c6b5a4938",
		"CHECKOUT_HOOK_SECRET": "HOOKSECRET-5e6f7a8b9c0d1e2f",
	}
	db := mustRunningExample(t)
	fake := fakeslack.New()
	defer fake.Close()
	fake.SetToken(secrets[envBotToken])
	withService(t, db, func(svc *workflows.Service) {
		ctx := context.Background()
		for _, key := range []string{"free-shipping-banner", "guided-onboarding"} {
			if _, err := svc.StartExperiment(ctx, workflows.ActorCLI, key); err != nil {
				t.Fatal(err)
			}
		}
		err := svc.Store.Update(ctx, func(tx workflows.Tx) error {
			team, err := tx.Team("checkout")
			if err != nil {
				return err
			}
			team.Webhook = workflows.Webhook{URL: fake.WebhookURL(), SecretEnv: "CHECKOUT_HOOK_SECRET"}
			return tx.PutTeam(team)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	vars := map[string]string{envSlackAPIURL: fake.APIURL(), envLogLevel: "debug"}
	for k, v := range secrets {
		vars[k] = v
	}
	p := startServeProcess(t, bin, db, vars)
	raw := rawDB(t, db)
	var answers bytes.Buffer // every answer growthbot gave, headers included
	keep := func(resp *http.Response) []byte {
		t.Helper()
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		resp.Header.Write(&answers)
		answers.Write(body)
		return body
	}
	wait := func(what string, cond func(*fakeslack.Server) bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := fake.WaitFor(ctx, cond); err != nil {
			t.Fatalf("waiting for %s: %v\n%s", what, err, p.logs)
		}
	}
	signed := func(path string, body []byte, secret string, at time.Time) []byte {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, p.base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		fakeslack.Sign(req, body, secret, at)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return keep(resp)
	}
	command := func(user, command, text string) string {
		return string(signed("/slack/commands", fakeslack.CommandBody(fakeslack.Command{Command: command, Text: text, UserID: user,
			ChannelID: "C0CHECKOUT", ResponseURL: fake.ResponseURL()}), secrets[envSigningSecret], time.Now()))
	}
	api := func(method, path, token, body string) {
		req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		keep(resp)
	}

	// Socket Mode, with the app-level token.
	wait("the Socket Mode connection", (*fakeslack.Server).SocketConnected)
	payload, _ := json.Marshal(map[string]string{"command": "/growth", "text": `goal add checkout "Over the socket"`, "user_id": "U0ENG1",
		"channel_id": "C0CHECKOUT", "trigger_id": "socket-1", "response_url": fake.ResponseURL()})
	id, err := fake.SocketSend(fakeslack.EnvelopeSlashCommand, payload, 0)
	if err != nil {
		t.Fatal(err)
	}
	wait("the socket's ack", func(f *fakeslack.Server) bool {
		ack, ok := f.SocketAck(id)
		answers.Write(ack)
		return ok
	})

	// Slack over HTTP: commands that post, a button, an event, and
	// requests signed with the wrong secret or too long ago.
	if r := command("U0ENG1", "/exp", "kill one-click-checkout -- errors up"); !strings.Contains(r, "Killed") {
		t.Fatalf("kill: %s", r)
	}
	command("U0ENG1", "/exp", "list")
	r := command("U0ENG2", "/exp", "extend free-shipping-banner 3")
	decision := ""
	if i := strings.Index(r, "Decision #"); i >= 0 {
		decision = strings.Fields(r[i+len("Decision #"):])[0]
	}
	body := fakeslack.CommandBody(fakeslack.Command{Command: "/exp", Text: "list", UserID: "U0ENG1"})
	signed("/slack/commands", body, "not-the-secret", time.Now())
	signed("/slack/commands", body, secrets[envSigningSecret], time.Now().Add(-time.Hour))
	signed("/slack/events", fakeslack.EventBody(fakeslack.EventCallback{UserID: "U0PM", EventID: "EvSecrets"}), secrets[envSigningSecret], time.Now())

	// The API, with the token, a wrong one and none.
	api(http.MethodPost, "/api/v1/events", secrets[envAPIToken], `{"unit_id":"u1","event":"purchase","timestamp":1735689600}`)
	api(http.MethodPost, "/api/v1/events", "APISECRET-wrong", `[]`)
	api(http.MethodPost, "/api/v1/kpis", "", `[]`)
	api(http.MethodGet, "/api/v1/flags", secrets[envAPIToken], "")
	api(http.MethodGet, "/api/v1/flags", secrets[envAPIToken][:9], "")

	// Slack fails while the outbox works: errors, a rate limit, then an
	// outage.
	fake.FailNext("chat.update", 1, fakeslack.Failure{Status: http.StatusInternalServerError})
	fake.FailNext("chat.postMessage", 1, fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	fake.FailNext("chat.postMessage", 1, fakeslack.Failure{Error: "not_authed"})
	fake.FailNext("views.publish", 1, fakeslack.Failure{Error: "invalid_auth"})
	signed("/slack/events", fakeslack.EventBody(fakeslack.EventCallback{UserID: "U0LEAD", EventID: "EvSecrets2"}), secrets[envSigningSecret], time.Now())
	signed("/slack/interactions", fakeslack.BlockActionsBody(fakeslack.Action{ActionID: "decision.approve", Value: decision, UserID: "U0PM",
		ChannelID: "C0CHECKOUT", ResponseURL: fake.ResponseURL()}), secrets[envSigningSecret], time.Now())
	command("U0ENG3", "/exp", "rollout guided-onboarding advance")
	wait("the failures", func(f *fakeslack.Server) bool {
		failed := 0
		for _, c := range f.Calls() {
			if c.Failure != nil {
				failed++
			}
		}
		return failed >= 4
	})
	fake.SetDown(true)
	command("U0ENG3", "/exp", "rollout guided-onboarding pause")
	wait("a dropped call", func(f *fakeslack.Server) bool {
		for _, c := range f.Calls() {
			if c.Failure != nil && c.Failure.Drop {
				return true
			}
		}
		return false
	})
	fake.SetDown(false)
	waitDrained(t, raw, p)
	p.stop()
	if len(fake.Webhooks()) == 0 || fake.Webhooks()[0].Header.Get("X-Growthbot-Signature") == "" {
		t.Error("the webhook was not delivered signed")
	}

	logs := p.logs.String()
	for _, want := range []string{"level=DEBUG", "level=WARN", "level=ERROR", "refused a Slack request", "outbox: delivery failed; will retry", "Socket Mode connected"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q: the run did not go where the test means it to", want)
		}
	}
	if calls := fake.CallsTo("chat.postMessage"); len(calls) == 0 || calls[0].Token != secrets[envBotToken] {
		t.Error("growthbot did not use the bot token")
	}
	for name, secret := range secrets {
		for what, text := range map[string]string{"the log": logs, "an answer": answers.String()} {
			for _, s := range []string{secret, url.QueryEscape(secret), secret[:9]} {
				if i := strings.Index(text, s); i >= 0 {
					t.Errorf("%s shows %s (%q): ...%s...", what, name, s, text[max(0, i-200):min(len(text), i+100)])
				}
			}
		}
	}
	t.Logf("%d bytes of log and %d of answers checked", len(logs), answers.Len())
}

// TestServeWorkspaceCheck: growthbot serve asks Slack (auth.test) which
// workspace its token belongs to, and from then on refuses commands,
// buttons and events that name another workspace, while its own
// workspace's requests work.
func TestServeWorkspaceCheck(t *testing.T) {
	db := exampleDB(t)
	s := startSlackServe(t, db, nil)
	s.wait("auth.test", func(f *fakeslack.Server) bool { return len(f.CallsTo("auth.test")) > 0 })
	send := func(path string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, s.base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		fakeslack.Sign(req, body, serveSecret, time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	other := func(text string) []byte {
		return fakeslack.CommandBody(fakeslack.Command{Command: "/growth", Text: text, UserID: "U0ENG1", ChannelID: "C0CHECKOUT",
			TeamID: "T0OTHER", ResponseURL: s.fake.ResponseURL()})
	}
	// auth.test was called; its answer lands a moment later.
	deadline := time.Now().Add(10 * time.Second)
	for code, _ := send("/slack/commands", other("goals checkout")); code != http.StatusForbidden; code, _ = send("/slack/commands", other("goals checkout")) {
		if time.Now().After(deadline) {
			t.Fatalf("a command from another workspace is still answered %d after auth.test", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := send("/slack/commands", other(`goal add checkout "From another workspace" @U0ENG1`)); code != http.StatusForbidden ||
		!strings.Contains(body, "does not serve that workspace") {
		t.Errorf("a goal from another workspace: %d %s", code, body)
	}
	form, _ := url.ParseQuery(string(fakeslack.BlockActionsBody(fakeslack.Action{ActionID: "goal.drop", Value: "1", UserID: "U0ENG1",
		ChannelID: "C0CHECKOUT", ResponseURL: s.fake.ResponseURL()})))
	var payload map[string]any
	json.Unmarshal([]byte(form.Get("payload")), &payload)
	payload["team"] = map[string]any{"id": "T0OTHER", "domain": "other"}
	raw, _ := json.Marshal(payload)
	form.Set("payload", string(raw))
	if code, body := send("/slack/interactions", []byte(form.Encode())); code != http.StatusForbidden {
		t.Errorf("a button from another workspace: %d %s", code, body)
	}
	var event map[string]any
	json.Unmarshal(fakeslack.EventBody(fakeslack.EventCallback{UserID: "U0ENG1", EventID: "EvOther"}), &event)
	event["team_id"] = "T0OTHER"
	raw, _ = json.Marshal(event)
	if code, body := send("/slack/events", raw); code != http.StatusForbidden {
		t.Errorf("an event from another workspace: %d %s", code, body)
	}

	// The bot's own workspace is served, and nothing from the other one
	// happened.
	if reply := s.command("U0ENG1", "C0CHECKOUT", "/growth", `goal add checkout "From our workspace" @U0ENG1`); !strings.Contains(reply, "From our workspace") {
		t.Errorf("a goal from our workspace: %s", reply)
	}
	goals := s.command("U0ENG1", "C0CHECKOUT", "/growth", "goals checkout")
	if !strings.Contains(goals, "From our workspace") || strings.Contains(goals, "From another workspace") {
		t.Errorf("the goals of checkout after a goal from each workspace:\n%s", goals)
	}
	for _, r := range s.fake.Responses() {
		if strings.Contains(string(r.Raw), "From another workspace") {
			t.Errorf("a goal from another workspace was added: %s", r.Raw)
		}
	}
	if n := len(s.fake.HomeViews()); n != 0 {
		t.Errorf("an event from another workspace published %d App Homes", n)
	}
}
