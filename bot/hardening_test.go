package bot_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
)

// TestReplaysAreKeyedOnContent: the same signed request is a replay however
// its signature's hex is spelled, and a request without a trigger id is
// protected too.
func TestReplaysAreKeyedOnContent(t *testing.T) {
	b := newTestBot(t)
	withTrigger := fakeslack.CommandBody(fakeslack.Command{Command: "/growth", Text: `goal add checkout "Upper case"`, UserID: "U0ENG1"})
	form, _ := url.ParseQuery(string(fakeslack.CommandBody(fakeslack.Command{Command: "/growth", Text: `goal add checkout "No trigger"`, UserID: "U0ENG1"})))
	form.Del("trigger_id")
	noTrigger := []byte(form.Encode())
	tests := []struct {
		name   string
		body   []byte
		mutate func(req *http.Request)
	}{
		{"signature in upper case", withTrigger, upperCaseSignature},
		{"no trigger id, signature in upper case", noTrigger, upperCaseSignature},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signed := time.Now()
			for try, want := range []int{http.StatusOK, http.StatusUnauthorized} {
				req, _ := http.NewRequest(http.MethodPost, b.baseURL+"/slack/commands", strings.NewReader(string(tc.body)))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				fakeslack.Sign(req, tc.body, secret, signed)
				if try > 0 {
					tc.mutate(req)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("delivery %d: %d, want %d", try+1, resp.StatusCode, want)
				}
			}
			if n := goalCount(b); n != i+1 {
				t.Errorf("%d goals, want %d: the replay was applied", n, i+1)
			}
		})
	}
}

func upperCaseSignature(req *http.Request) {
	sig := req.Header.Get("X-Slack-Signature")
	req.Header.Set("X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(sig, "v0=")))
}

// TestPayloadChecks: a payload from another workspace is refused, one with
// several actions runs none, and a response URL off Slack's hosts is never
// posted to.
func TestPayloadChecks(t *testing.T) {
	b := newTestBot(t)
	b.slack.SetTeam(fakeslack.TeamID)
	other := fakeslack.CommandBody(fakeslack.Command{Command: "/growth", Text: `goal add checkout "Other workspace"`, UserID: "U0ENG1", TeamID: "T0OTHER"})
	if r := readReply(t, b.send("/slack/commands", other, time.Now())); r.Status != http.StatusForbidden {
		t.Errorf("a command from another workspace: %d %s", r.Status, r.Plain)
	}
	if n := goalCount(b); n != 0 {
		t.Errorf("a command from another workspace added %d goals", n)
	}

	// Two goals to drop; one payload pressing both Drop buttons.
	b.command("U0ENG1", "/growth", `goal add checkout "First"`)
	b.command("U0ENG1", "/growth", `goal add checkout "Second"`)
	var payload map[string]any
	form, _ := url.ParseQuery(string(fakeslack.BlockActionsBody(fakeslack.Action{ActionID: "goal.drop", Value: "1", UserID: "U0ENG1",
		ChannelID: "C0CHECKOUT", ResponseURL: b.fake.ResponseURL()})))
	json.Unmarshal([]byte(form.Get("payload")), &payload)
	actions := payload["actions"].([]any)
	second := map[string]any{}
	for k, v := range actions[0].(map[string]any) {
		second[k] = v
	}
	second["value"] = "2"
	payload["actions"] = append(actions, second)
	raw, _ := json.Marshal(payload)
	form.Set("payload", string(raw))
	readReply(t, b.send("/slack/interactions", []byte(form.Encode()), time.Now()))
	b.deliver()
	open := 0
	for _, g := range goalsOf(b) {
		if g == "in_progress" {
			open++
		}
	}
	if open != 2 {
		t.Errorf("a payload with two actions changed goals: %d of 2 still open", open)
	}

	// A response URL elsewhere: the slow command is answered in the
	// request instead, and nothing is posted to the address.
	evil := "https://evil.example/hook"
	before := len(b.fake.Responses())
	body := fakeslack.CommandBody(fakeslack.Command{Command: "/exp", Text: "status one-click-checkout", UserID: "U0ENG1", ResponseURL: evil})
	readReply(t, b.send("/slack/commands", body, time.Now()))
	b.deliver()
	db, err := sql.Open("sqlite", "file:"+b.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var posted int
	if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE url LIKE '%evil.example%'`).Scan(&posted); err != nil {
		t.Fatal(err)
	}
	if posted != 0 || len(b.fake.Responses()) != before {
		t.Errorf("%d messages queued for a response URL that is not Slack's", posted)
	}
}

// goalsOf returns the status of each of checkout's goals.
func goalsOf(b *testBot) []string {
	var out []string
	b.view(func(tx workflows.Tx) error {
		goals, err := tx.Goals("checkout", "")
		for _, g := range goals {
			out = append(out, string(g.Status))
		}
		return err
	})
	return out
}

// TestEventAcknowledgedOnlyOnceRecorded: while the database refuses writes
// an event gets 503, so that Slack delivers it again; afterwards, 200.
func TestEventAcknowledgedOnlyOnceRecorded(t *testing.T) {
	b := newTestBot(t)
	body := fakeslack.EventBody(fakeslack.EventCallback{UserID: "U0PM", EventID: "EvRecordMe"})
	if err := b.db.SetWriteFault(context.Background(), store.ReadOnly); err != nil {
		t.Fatal(err)
	}
	if r := readReply(t, b.send("/slack/events", body, time.Now())); r.Status != http.StatusServiceUnavailable {
		t.Errorf("an event that could not be recorded: %d, want 503", r.Status)
	}
	if err := b.db.SetWriteFault(context.Background(), store.NoWriteFault); err != nil {
		t.Fatal(err)
	}
	if r := readReply(t, b.send("/slack/events", body, time.Now().Add(time.Second))); r.Status != http.StatusOK {
		t.Errorf("Slack's retry once the database works: %d, want 200", r.Status)
	}
}

// TestStalledBodiesAreBounded: a body that stalls is cut at the read
// timeout, one declared over the limit is refused before it is read, and
// while stalled bodies hold the budget of unverified bytes other requests
// are refused at once rather than queued.
func TestStalledBodiesAreBounded(t *testing.T) {
	b := newTestBot(t)
	b.slack.ReadTimeout = 300 * time.Millisecond
	b.slack.MaxUnverified = 4 << 10
	addr := strings.TrimPrefix(b.baseURL, "http://")
	stall := func(declared, sent int) (net.Conn, []byte) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /slack/commands HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nX-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: v0=%s\r\n\r\n%s",
			declared, time.Now().Unix(), strings.Repeat("0", 64), strings.Repeat("a", sent))
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		first, _ := io.ReadAll(c) // what the server says before it would cut
		return c, first
	}
	if _, answer := stall(1<<20-1, 100); !strings.Contains(string(answer), "413") {
		t.Errorf("a body declared over the limit: %q", answer)
	}
	held, _ := stall(4000, 10)
	defer held.Close()
	body := fakeslack.CommandBody(fakeslack.Command{Command: "/exp", Text: "list", UserID: "U0ENG1"})
	if r := readReply(t, b.send("/slack/commands", body, time.Now())); r.Status != http.StatusServiceUnavailable {
		t.Errorf("a request past the budget of unverified bytes: %d, want 503", r.Status)
	}
	held.SetReadDeadline(time.Now().Add(3 * time.Second))
	start := time.Now()
	if _, err := held.Read(make([]byte, 1)); err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("the stalled connection was not cut at the read timeout: %v after %v", err, time.Since(start))
	}
	// Slack retries a refused request with a new timestamp.
	if r := readReply(t, b.send("/slack/commands", body, time.Now().Add(time.Second))); r.Status != http.StatusOK {
		t.Errorf("once the stalled body is cut: %d %s", r.Status, r.Plain)
	}
}
