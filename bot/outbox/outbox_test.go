package outbox_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/internal/fixture"
	"github.com/growthbot/growthbot/bot/outbox"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
)

// testOutbox is the outbox over a real SQLite file, delivering to the
// recording fake of Slack.
type testOutbox struct {
	t      testing.TB
	db     *store.DB
	fake   *fakeslack.Server
	outbox *outbox.Outbox
	clock  *workflows.FakeClock
	dbPath string
}

func newTestOutbox(t testing.TB) *testOutbox {
	t.Helper()
	b := &testOutbox{t: t, dbPath: filepath.Join(t.TempDir(), "growthbot.db"),
		clock: workflows.NewFakeClock(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))}
	b.fake = fakeslack.New()
	t.Cleanup(b.fake.Close)
	b.open()
	t.Cleanup(b.close)
	return b
}

// open opens (or reopens, after close) the database and a new outbox.
func (b *testOutbox) open() {
	db, err := store.Open(context.Background(), b.dbPath)
	if err != nil {
		b.t.Fatal(err)
	}
	db.Now = b.clock.Now
	b.db = db
	client := slack.New("xoxb-test", slack.OptionAPIURL(b.fake.APIURL()))
	b.outbox = &outbox.Outbox{Store: db, Slack: client, Clock: b.clock, PostInterval: -1}
}

func (b *testOutbox) close() {
	if b.db != nil {
		b.db.Close()
		b.db = nil
	}
}

// deliver drains the outbox into the fake.
func (b *testOutbox) deliver() {
	b.t.Helper()
	fixture.Deliver(b.t, b.outbox)
}

func (b *testOutbox) enqueue(msgs ...workflows.Message) { fixture.Enqueue(b.t, b.db, msgs...) }

func (b *testOutbox) message(key string) workflows.Message { return fixture.Message(b.t, b.db, key) }

func TestOutboxThreadsInOrderAndUpdates(t *testing.T) {
	b := newTestOutbox(t)
	b.enqueue(
		fixture.Post("parent", "C0CHECKOUT", "", "headline v1"),
		fixture.Post("r1", "C0CHECKOUT", "parent", "reply 1"),
		fixture.Post("r2", "C0CHECKOUT", "parent", "reply 2 with + and % and <escaped> & more"),
		workflows.Message{Key: "u1", Op: workflows.OpUpdate, Target: "parent", Body: workflows.Rendered{Text: "headline v2"}},
		fixture.Post("r3", "C0CHECKOUT", "parent", "reply 3"),
	)
	b.enqueue(fixture.Post("parent", "C0CHECKOUT", "", "a duplicate key is ignored"))
	b.deliver()
	top := b.fake.Messages("C0CHECKOUT")
	if len(top) != 1 {
		t.Fatalf("top-level messages %q, want just the parent", fakeslack.Texts(top))
	}
	if top[0].Text != "headline v2" || top[0].Edits != 1 {
		t.Errorf("parent %q edited %d times, want the update applied once", top[0].Text, top[0].Edits)
	}
	if got := strings.Join(fakeslack.Texts(top[0].Replies), " | "); got != "reply 1 | reply 2 with + and % and <escaped> & more | reply 3" {
		t.Errorf("thread replies in order: %s", got)
	}
	if !strings.Contains(string(top[0].Replies[1].Blocks), "+ and %") {
		t.Errorf("blocks mangled: %s", top[0].Replies[1].Blocks)
	}
	parent := b.message("parent")
	if parent.State != workflows.MessageSent || parent.TS != top[0].TS {
		t.Errorf("parent recorded as %s with ts %q, Slack has %q", parent.State, parent.TS, top[0].TS)
	}
	if n := len(b.fake.CallsTo("chat.postMessage")); n != 4 {
		t.Errorf("%d posts, want 4 (exactly once each)", n)
	}
}

func TestOutboxRetriesRateLimitsAndServerErrors(t *testing.T) {
	b := newTestOutbox(t)
	b.fake.FailNext("chat.postMessage", 1, fakeslack.Failure{Status: 429, RetryAfter: 30 * time.Second})
	b.fake.FailNext("chat.postMessage", 1, fakeslack.Failure{Status: 500})
	b.enqueue(fixture.Post("m1", "C0CHECKOUT", "", "hello"))

	b.deliver()
	m := b.message("m1")
	if m.State != workflows.MessagePending || !strings.Contains(m.LastError, "rate limit") {
		t.Fatalf("after a 429: %s %q", m.State, m.LastError)
	}
	if wait := m.NextAttemptAt.Sub(b.clock.Now()); wait != 30*time.Second {
		t.Errorf("next attempt in %v, want Retry-After's 30s", wait)
	}
	b.clock.Advance(29 * time.Second)
	b.deliver()
	if n := len(b.fake.CallsTo("chat.postMessage")); n != 1 {
		t.Fatalf("retried before Retry-After: %d calls", n)
	}
	b.clock.Advance(time.Second)
	b.deliver() // the 500
	// Slack's edge may answer 500 after the post went through, so the
	// message stays in doubt (sending) and the next attempt looks it up.
	if m := b.message("m1"); m.State != workflows.MessageSending || m.Attempts != 2 {
		t.Fatalf("after a 500: %s, %d attempts", m.State, m.Attempts)
	}
	b.clock.Advance(5 * time.Minute)
	b.deliver()
	if m := b.message("m1"); m.State != workflows.MessageSent {
		t.Fatalf("not delivered after the faults: %s %q", m.State, m.LastError)
	}
	if got := fakeslack.Texts(b.fake.Messages("C0CHECKOUT")); len(got) != 1 {
		t.Errorf("messages in Slack %q, want exactly one", got)
	}
}

func TestOutboxSurvivesRestartWhileSlackIsDown(t *testing.T) {
	b := newTestOutbox(t)
	b.fake.SetDown(true)
	b.enqueue(fixture.Post("a", "C0CHECKOUT", "", "first"), fixture.Post("b", "C0CHECKOUT", "", "second"))
	b.deliver()
	// The fake drops connections after reading the request, so each post
	// may have arrived: it stays in doubt (sending) until Slack says no.
	if m := b.message("a"); m.State != workflows.MessageSending || m.Attempts != 1 {
		t.Fatalf("while Slack is down: %s after %d attempts", m.State, m.Attempts)
	}
	b.close() // the process stops with both messages undelivered
	b.fake.SetDown(false)
	b.clock.Advance(10 * time.Minute)
	b.open()
	b.deliver()
	b.deliver()
	if got := strings.Join(fakeslack.Texts(b.fake.Messages("C0CHECKOUT")), ","); got != "first,second" {
		t.Errorf("after restart Slack has %q, want first,second exactly once, in order", got)
	}
}

func TestOutboxDoesNotResendWhatSlackAlreadyHas(t *testing.T) {
	b := newTestOutbox(t)
	b.enqueue(fixture.Post("m1", "C0CHECKOUT", "", "posted just before a crash"))
	// A worker claimed the message and Slack accepted it, then the process
	// died before it could record the delivery.
	m := b.message("m1")
	err := b.db.Update(context.Background(), func(tx workflows.Tx) error {
		_, err := tx.ClaimMessage(m.ID, b.clock.Now().Add(2*time.Minute))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	client := slack.New("xoxb-test", slack.OptionAPIURL(b.fake.APIURL()))
	_, ts, err := client.PostMessage("C0CHECKOUT", slack.MsgOptionText("posted just before a crash", false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "growthbot_message", EventPayload: map[string]any{"key": "m1"}}))
	if err != nil {
		t.Fatal(err)
	}
	b.deliver()
	if m := b.message("m1"); m.State != workflows.MessageSending {
		t.Fatalf("delivered while another worker's lease holds it: %s", m.State)
	}
	b.clock.Advance(3 * time.Minute) // the lease runs out
	b.deliver()
	if m := b.message("m1"); m.State != workflows.MessageSent || m.TS != ts {
		t.Errorf("recovered message %s with ts %q, want sent with %q", m.State, m.TS, ts)
	}
	if got := fakeslack.Texts(b.fake.Messages("C0CHECKOUT")); len(got) != 1 {
		t.Errorf("Slack has %d copies, want 1", len(got))
	}
}

func TestOutboxPermanentFailureDoesNotBlockTheLane(t *testing.T) {
	b := newTestOutbox(t)
	b.fake.FailNext("chat.postMessage", 1, fakeslack.Failure{Error: "channel_not_found"})
	b.enqueue(fixture.Post("p", "C0GONE", "", "to a deleted channel"), fixture.Post("p-reply", "C0GONE", "p", "its reply"),
		fixture.Post("next", "C0GONE", "", "the next post"))
	b.deliver()
	if m := b.message("p"); m.State != workflows.MessageFailed || !strings.Contains(m.LastError, "channel_not_found") {
		t.Errorf("p: %s %q, want failed for good", m.State, m.LastError)
	}
	if m := b.message("p-reply"); m.State != workflows.MessageFailed {
		t.Errorf("a reply to a failed parent: %s, want failed", m.State)
	}
	if m := b.message("next"); m.State != workflows.MessageSent {
		t.Errorf("the next message in the lane: %s, want sent", m.State)
	}
}

func TestOutboxPacesPostsPerChannel(t *testing.T) {
	b := newTestOutbox(t)
	b.outbox.PostInterval = time.Second
	b.enqueue(fixture.Post("1", "C0CHECKOUT", "", "one"), fixture.Post("2", "C0CHECKOUT", "", "two"), fixture.Post("3", "C0ONBOARD", "", "other channel"))
	b.deliver()
	if n := len(b.fake.CallsTo("chat.postMessage")); n != 2 {
		t.Fatalf("%d posts in the first second, want one per channel (2)", n)
	}
	b.clock.Advance(time.Second)
	b.deliver()
	if got := strings.Join(fakeslack.Texts(b.fake.Messages("C0CHECKOUT")), ","); got != "one,two" {
		t.Errorf("C0CHECKOUT has %q", got)
	}
}

func TestOutboxSignsWebhooks(t *testing.T) {
	b := newTestOutbox(t)
	b.outbox.Getenv = func(name string) string {
		if name == "HOOK_SECRET" {
			return "s3cret"
		}
		return ""
	}
	url := b.fake.WebhookURL()
	doc := json.RawMessage(`{"decision":"ship"}`)
	b.enqueue(workflows.Message{Key: "hook1", Op: workflows.OpWebhook, URL: url, SecretEnv: "HOOK_SECRET", Body: workflows.Rendered{JSON: doc}})
	b.deliver()
	hooks := b.fake.Webhooks()
	if len(hooks) != 1 {
		t.Fatalf("%d webhooks delivered, want 1", len(hooks))
	}
	h := hooks[0]
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(h.Header.Get("X-Growthbot-Timestamp") + "."))
	mac.Write(h.Body)
	if want := "v1=" + hex.EncodeToString(mac.Sum(nil)); h.Header.Get("X-Growthbot-Signature") != want || string(h.Body) != string(doc) {
		t.Errorf("webhook %s signed %q, want %q", h.Body, h.Header.Get("X-Growthbot-Signature"), want)
	}
	if h.Header.Get("X-Growthbot-Delivery") != "hook1" {
		t.Errorf("delivery id %q, want the message key", h.Header.Get("X-Growthbot-Delivery"))
	}
}
