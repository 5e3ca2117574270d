package bot_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/bot/internal/fixture"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
)

// slackWire sits between the outbox's Slack client and the fake. It notes
// every call at the fake clock's time, and it can lose the answer to a post
// the fake has taken, as a timeout does when Slack accepted the request but
// its answer never came back.
type slackWire struct {
	clock *workflows.FakeClock

	mu          sync.Mutex
	calls       []wireCall
	loseAnswers int  // answers to successful chat.postMessage calls still to lose
	onlyReplies bool // lose only answers to posts in threads
}

// wireCall is one call as the client saw it.
type wireCall struct {
	at         time.Time // on the fake clock
	method     string
	key        string // the outbox key in a post's metadata
	status     int    // 0 when there was no answer
	retryAfter time.Duration
	lost       bool // Slack answered ok, and the client got a timeout instead
}

// errAnswerLost is what the client sees instead of an answer that was lost.
type errAnswerLost struct{}

func (errAnswerLost) Error() string   { return "timeout awaiting response headers (the answer was lost)" }
func (errAnswerLost) Timeout() bool   { return true }
func (errAnswerLost) Temporary() bool { return true }

func (w *slackWire) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	c := wireCall{at: w.clock.Now(), method: path.Base(req.URL.Path)}
	reply := false
	if form, err := url.ParseQuery(string(body)); err == nil {
		reply = form.Get("thread_ts") != ""
		var md struct {
			EventPayload struct{ Key string } `json:"event_payload"`
		}
		json.Unmarshal([]byte(form.Get("metadata")), &md)
		c.key = md.EventPayload.Key
		if c.key == "" { // an update, or a look-up: the message it is about
			c.key = form.Get("channel") + " " + form.Get("ts")
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		c.status = resp.StatusCode
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		c.retryAfter = time.Duration(secs) * time.Second
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		w.mu.Lock()
		if c.method == "chat.postMessage" && bytes.Contains(raw, []byte(`"ok":true`)) && w.loseAnswers > 0 && (reply || !w.onlyReplies) {
			w.loseAnswers--
			c.lost = true
		}
		w.mu.Unlock()
	}
	w.mu.Lock()
	w.calls = append(w.calls, c)
	w.mu.Unlock()
	if c.lost {
		return nil, errAnswerLost{}
	}
	return resp, err
}

// loseNext loses the answers to the next n posts Slack takes, or to the
// next n thread replies.
func (w *slackWire) loseNext(n int, onlyReplies bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.loseAnswers, w.onlyReplies = w.loseAnswers+n, onlyReplies
}

func (w *slackWire) log() []wireCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.calls)
}

// wireOutbox gives the outbox a Slack client that gives up after timeout
// and goes through a slackWire.
func wireOutbox(b *testBot, timeout time.Duration) *slackWire {
	w := &slackWire{clock: b.clock}
	b.outbox.Slack = slack.New("xoxb-test", slack.OptionAPIURL(b.fake.APIURL()),
		slack.OptionHTTPClient(&http.Client{Timeout: timeout, Transport: w}))
	return w
}

// outboxMessages returns every message in the outbox, in enqueue order,
// with the body (and, for an upload, the title) it is delivered with.
func (b *testBot) outboxMessages() []workflows.Message {
	b.t.Helper()
	raw, err := sql.Open("sqlite", "file:"+b.dbPath)
	if err != nil {
		b.t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT key FROM outbox ORDER BY id`)
	if err != nil {
		b.t.Fatal(err)
	}
	var keys []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	rows.Close()
	var out []workflows.Message
	for _, k := range keys {
		m := b.message(k)
		body, err := b.outbox.Renderer.Body(m)
		if err != nil {
			b.t.Fatalf("render %s: %v", k, err)
		}
		m.Body = body
		if body.File != nil {
			m.Title = body.Text
		}
		out = append(out, m)
	}
	return out
}

// drain delivers what is due, a simulated step at a time, until nothing is
// left to deliver or the simulated time runs out.
func (b *testBot) drain(step, limit time.Duration) {
	b.t.Helper()
	b.router.Wait()
	for end := b.clock.Now().Add(limit); b.clock.Now().Before(end); b.clock.Advance(step) {
		if _, err := b.outbox.DeliverDue(context.Background()); err != nil {
			b.t.Fatal(err)
		}
		var counts map[workflows.MessageState]int
		b.view(func(tx workflows.Tx) error {
			var err error
			counts, err = tx.OutboxCounts()
			return err
		})
		if counts[workflows.MessagePending]+counts[workflows.MessageSending] == 0 {
			return
		}
	}
	b.t.Fatalf("the outbox did not drain in %v of simulated time", limit)
}

// slackIdentity names what Slack holds for a delivered message: its
// outbox key from the metadata, or the title of a shared file.
func slackIdentity(m fakeslack.Message) string {
	if m.Metadata != nil {
		var p struct{ Key string }
		json.Unmarshal(m.Metadata.EventPayload, &p)
		return p.Key
	}
	if len(m.Files) > 0 {
		return "file:" + m.Files[0].Title
	}
	return "?" + m.Text
}

func outboxIdentity(m workflows.Message) string {
	if m.Op == workflows.OpUpload {
		return "file:" + m.Title
	}
	return m.Key
}

// checkDeliveredOnceInOrder compares Slack with the outbox: every post and
// upload is in Slack exactly once, every thread (and every channel's top
// level) holds its messages in the order they were enqueued, and every
// message shows its last update.
func checkDeliveredOnceInOrder(t *testing.T, b *testBot) {
	t.Helper()
	msgs := b.outboxMessages()
	byKey := map[string]workflows.Message{}
	lanes := map[string][]string{} // channel + " " + parent ts -> identities in enqueue order
	updates := map[string][]workflows.Message{}
	channels := map[string]bool{}
	posts := 0
	for _, m := range msgs {
		byKey[m.Key] = m
		if m.State != workflows.MessageSent {
			t.Errorf("message %s is %s (%s), want sent", m.Key, m.State, m.LastError)
		}
	}
	for _, m := range msgs {
		switch m.Op {
		case workflows.OpPost, workflows.OpUpload:
			posts++
			channels[m.Channel] = true
			lane := m.Channel + " " + byKey[m.Parent].TS
			lanes[lane] = append(lanes[lane], outboxIdentity(m))
		case workflows.OpUpdate:
			updates[m.Target] = append(updates[m.Target], m)
		}
	}
	inSlack := map[string][]string{}
	seen := map[string]int{}
	for ch := range channels {
		for _, top := range b.fake.Messages(ch) {
			inSlack[ch+" "] = append(inSlack[ch+" "], slackIdentity(top))
			seen[slackIdentity(top)]++
			for _, r := range top.Replies {
				inSlack[ch+" "+top.TS] = append(inSlack[ch+" "+top.TS], slackIdentity(r))
				seen[slackIdentity(r)]++
			}
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("Slack has %s %d times, want exactly once", id, n)
		}
	}
	if len(seen) != posts {
		t.Errorf("Slack has %d messages, the outbox %d posts and uploads", len(seen), posts)
	}
	for lane, want := range lanes {
		if got := inSlack[lane]; !slices.Equal(got, want) {
			t.Errorf("thread %q in Slack:\n  %q\nin the outbox:\n  %q", lane, got, want)
		}
	}
	for target, ups := range updates {
		m, ok := b.fake.Message(byKey[target].Channel, byKey[target].TS)
		last := ups[len(ups)-1]
		if !ok || m.Text != last.Body.Text || m.Edits != len(ups) {
			t.Errorf("%s: %d edits, text %q; want %d, the last update's %q", target, m.Edits, m.Text, len(ups), last.Body.Text)
		}
	}
	t.Logf("%d posts and uploads, %d updated messages, %d threads and channels checked", posts, len(updates), len(lanes))
}

// TestOutboxLongOutage keeps Slack unreachable for ten simulated minutes
// while pulses, decisions, rollouts and a burst of thread replies and
// updates enqueue messages. When Slack comes back it rate-limits, fails
// with 500s, times out and loses answers to posts it took; the outbox must
// still deliver everything exactly once and in order per thread, and never
// call before a Retry-After has passed.
func TestOutboxLongOutage(t *testing.T) {
	b := newTestBot(t)
	seedExperiment(t, b)
	wire := wireOutbox(b, 200*time.Millisecond)
	ctx := context.Background()
	for _, key := range []string{"free-shipping-banner", "guided-onboarding"} {
		if _, err := b.svc.StartExperiment(ctx, "U0ENG2", key); err != nil && !strings.Contains(err.Error(), "only members") {
			t.Fatal(err)
		}
	}
	if _, err := b.svc.StartExperiment(ctx, "U0ENG3", "guided-onboarding"); err != nil {
		t.Fatal(err)
	}

	b.fake.SetDown(true)
	const step = 15 * time.Second
	var decision int64
	for i := range int(10 * time.Minute / step) {
		switch i {
		case 0:
			if _, err := b.svc.RunPulse(ctx, workflows.JobOptions{Team: "checkout"}); err != nil {
				t.Fatal(err)
			}
		case 4:
			b.command("U0ENG3", "/exp", "rollout guided-onboarding advance")
		case 8:
			d, err := b.svc.RequestDecision(ctx, "U0ENG2", "free-shipping-banner", workflows.ActionExtend, "", 7, "more data")
			if err != nil || d.State != workflows.DecisionPending {
				t.Fatalf("request: %+v, %v", d, err)
			}
			decision = d.ID
		case 12:
			if _, err := b.svc.Approve(ctx, "U0PM", decision); err != nil {
				t.Fatal(err)
			}
		case 16:
			b.command("U0ENG1", "/exp", "kill one-click-checkout -- errors up")
		case 20:
			b.command("U0ENG3", "/exp", "rollout guided-onboarding pause")
		case 24:
			b.command("U0ENG3", "/exp", "rollout guided-onboarding resume")
		}
		// A burst in three threads of their own: parents, replies and
		// updates of the parents, interleaved.
		thread := fmt.Sprintf("outage-%d", i%3)
		if i < 3 {
			b.enqueue(fixture.Post(thread, "C0OUTAGE", "", thread+" v0"))
		}
		b.enqueue(fixture.Post(fmt.Sprintf("%s-r%02d", thread, i), "C0OUTAGE", thread, fmt.Sprintf("%s reply %d", thread, i)))
		if i%4 == 3 {
			b.enqueue(workflows.Message{Key: fmt.Sprintf("%s-u%02d", thread, i), Op: workflows.OpUpdate, Target: thread,
				Body: workflows.Rendered{Text: fmt.Sprintf("%s v%d", thread, i)}})
		}
		b.router.Wait()
		if _, err := b.outbox.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(step)
	}
	if n := len(b.fake.Messages("C0OUTAGE")) + len(b.fake.Messages("C0CHECKOUT")); n != 0 {
		t.Fatalf("%d messages reached Slack while it was down", n)
	}
	attempts := len(b.fake.Calls())

	// Slack is back, but unsteady.
	b.fake.SetDown(false)
	b.fake.FailNext("chat.postMessage", 2, fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second})
	b.fake.FailNext("chat.postMessage", 2, fakeslack.Failure{Status: http.StatusInternalServerError})
	b.fake.FailNext("chat.postMessage", 2, fakeslack.Failure{Delay: 5 * time.Second}) // beyond the client's timeout
	b.fake.FailNext("chat.update", 1, fakeslack.Failure{Status: http.StatusServiceUnavailable})
	b.fake.FailNext("chat.update", 1, fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 20 * time.Second})
	b.fake.FailNext("conversations.replies", 1, fakeslack.Failure{Status: http.StatusBadGateway})
	wire.loseNext(3, true)
	b.drain(5*time.Second, time.Hour)

	checkDeliveredOnceInOrder(t, b)
	log := wire.log()
	faults := map[string]int{}
	for i, c := range log {
		switch {
		case c.lost:
			faults["lost answer"]++
		case c.status == 0:
			faults["no answer"]++
		case c.status == http.StatusTooManyRequests:
			faults["429"]++
			// Nothing for the same message before Retry-After is over.
			for _, later := range log[i+1:] {
				if later.method == c.method && later.key == c.key && later.at.Before(c.at.Add(c.retryAfter)) {
					t.Errorf("%s %s called again %v after a 429 that asked for %v", c.method, c.key, later.at.Sub(c.at), c.retryAfter)
				}
			}
		case c.status >= 500:
			faults["5xx"]++
			faults[c.method+" 5xx"]++
		}
	}
	if faults["lost answer"] != 3 || faults["429"] != 3 || faults["5xx"] != 4 || faults["no answer"] != attempts+2 {
		t.Errorf("faults met after the outage: %v", faults)
	}
	methods := map[string]int{}
	for _, c := range log {
		methods[c.method]++
	}
	t.Logf("%d calls while Slack was down, %d in all (%v); faults after: %v", attempts, len(log), methods, faults)
}

// TestOutboxAnswerLostAfterSlackPosted is a timeout after Slack accepted a
// post: the next attempt must find the message in Slack, not post it again.
func TestOutboxAnswerLostAfterSlackPosted(t *testing.T) {
	for _, parent := range []string{"", "p"} {
		t.Run(map[string]string{"": "top level", "p": "thread reply"}[parent], func(t *testing.T) {
			b := newTestBot(t)
			wire := wireOutbox(b, time.Second)
			if parent != "" {
				b.enqueue(fixture.Post("p", "C0CHECKOUT", "", "parent"))
				b.drain(time.Second, time.Minute)
			}
			b.enqueue(fixture.Post("m1", "C0CHECKOUT", parent, "posted once"))
			wire.loseNext(1, false)
			b.deliver()
			if m := b.message("m1"); m.State != workflows.MessageSending || !strings.Contains(m.LastError, "answer was lost") {
				t.Fatalf("after a lost answer: %s %q; want in doubt (sending)", m.State, m.LastError)
			}
			b.drain(time.Second, 10*time.Minute)
			var copies []fakeslack.Message
			for _, top := range b.fake.Messages("C0CHECKOUT") {
				for _, m := range append([]fakeslack.Message{top}, top.Replies...) {
					if m.Text == "posted once" {
						copies = append(copies, m)
					}
				}
			}
			if m := b.message("m1"); len(copies) != 1 || m.TS != copies[0].TS {
				t.Fatalf("Slack has %d copies; the outbox recorded ts %q", len(copies), m.TS)
			}
			if n := len(b.fake.CallsTo("chat.postMessage")); n != map[string]int{"": 1, "p": 2}[parent] {
				t.Errorf("%d posts", n)
			}
		})
	}
}

// lockedBuffer collects a server's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logTo serves b's Slack endpoints again, logging to the returned buffer.
func (b *testBot) logTo() *lockedBuffer {
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	b.router.Log = log
	srv := httpapi.NewServer(log, b.db.Ping)
	(&bot.Slack{Router: b.router, SigningSecret: secret, Log: log, ResponseHost: fakeHost(b.fake)}).Mount(srv)
	hs := httptest.NewServer(srv)
	b.t.Cleanup(hs.Close)
	b.baseURL = hs.URL
	return &logs
}

// snapshot is what a test compares to show that nothing changed.
type snapshot struct {
	Audit       int
	Goals       int
	Experiments []workflows.Experiment
	Decisions   []workflows.Decision
}

func (b *testBot) snapshot() snapshot {
	b.t.Helper()
	var s snapshot
	b.view(func(tx workflows.Tx) error {
		entries, err := tx.Audit(workflows.AuditFilter{})
		if err != nil {
			return err
		}
		s.Audit = len(entries)
		if s.Experiments, err = tx.Experiments(workflows.ExperimentFilter{}); err != nil {
			return err
		}
		for _, e := range s.Experiments {
			ds, err := tx.Decisions(e.Key)
			if err != nil {
				return err
			}
			s.Decisions = append(s.Decisions, ds...)
		}
		for _, team := range []string{"checkout", "onboarding"} {
			goals, err := tx.Goals(team, "")
			if err != nil {
				return err
			}
			s.Goals += len(goals)
		}
		return nil
	})
	return s
}

func (b *testBot) unchangedSince(before snapshot) {
	b.t.Helper()
	after := b.snapshot()
	if after.Audit != before.Audit || after.Goals != before.Goals {
		b.t.Errorf("audit entries %d -> %d, goals %d -> %d", before.Audit, after.Audit, before.Goals, after.Goals)
	}
	if !jsonEqual(before.Experiments, after.Experiments) || !jsonEqual(before.Decisions, after.Decisions) {
		b.t.Errorf("experiments or decisions changed:\n%+v\n%+v", before, after)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// newRunningBot is a test bot with one-click-checkout running.
func newRunningBot(t *testing.T) *testBot {
	t.Helper()
	b := newTestBot(t)
	if _, err := b.svc.StartExperiment(context.Background(), "U0ENG1", "one-click-checkout"); err != nil {
		t.Fatal(err)
	}
	b.deliver() // its thread opens in the team's channel
	return b
}

// TestDatabaseReadOnlyOrFull makes the database refuse writes, as a
// read-only file or a full disk does, and checks that slash commands and
// buttons still get an answer that says what is wrong, that the log names
// the cause, and that nothing was half done.
func TestDatabaseReadOnlyOrFull(t *testing.T) {
	tests := []struct {
		name  string
		fault store.WriteFault
		why   string // in the reply
		log   string // in the log
	}{
		{"read-only", store.ReadOnly, "growthbot cannot write to its database right now (it is read-only)", "attempt to write a readonly database"},
		{"disk full", store.DiskFull, "growthbot cannot write to its database right now (the disk is full)", "database or disk is full"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newRunningBot(t)
			ctx := context.Background()
			logs := b.logTo()
			if err := b.db.SetWriteFault(ctx, tc.fault); err != nil {
				t.Fatal(err)
			}
			if tc.fault == store.DiskFull {
				// The file may not grow, but its last pages still have room:
				// use it up, as the writes before a disk fills do.
				for i := 0; ; i++ {
					_, err := b.svc.AddGoal(ctx, "U0ENG1", "checkout", fmt.Sprintf("filler %d", i), "", "")
					if err != nil {
						if !strings.Contains(err.Error(), tc.why) {
							t.Fatalf("filling up: %v", err)
						}
						break
					}
				}
			}
			before := b.snapshot()
			for _, c := range []struct{ user, command, text string }{
				{"U0ENG1", "/growth", `goal add checkout "Faster checkout"`},
				{"U0ENG1", "/exp", "kill one-click-checkout -- errors up"},
				{"U0ENG1", "/exp", "ship one-click-checkout"},
			} {
				r := b.command(c.user, c.command, c.text)
				if r.Status != http.StatusOK || !strings.Contains(r.Plain, tc.why) || strings.Contains(r.Plain, "goroutine") {
					t.Errorf("%s %s: %d %q; want 200 saying %q", c.command, c.text, r.Status, r.Plain, tc.why)
				}
			}
			press := fakeslack.BlockActionsBody(fakeslack.Action{ActionID: render.ActionKill, Value: "one-click-checkout", UserID: "U0ENG1",
				ChannelID: "C0CHECKOUT", ResponseURL: b.fake.ResponseURL()})
			r := readReply(t, b.send("/slack/interactions", press, time.Now()))
			b.deliver()
			if answers := b.fake.Responses(); r.Status != http.StatusOK || !strings.Contains(r.Plain+fmt.Sprint(answers), tc.why) {
				t.Errorf("a button: %d %q, answers %v; want 200 saying %q", r.Status, r.Plain, answers, tc.why)
			}
			b.unchangedSince(before)
			if strings.Count(logs.String(), tc.log) < 4 || !strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("the log does not name the cause (%q) of each failure:\n%s", tc.log, logs)
			}

			// Writes work again once the fault is gone.
			if err := b.db.SetWriteFault(ctx, store.NoWriteFault); err != nil {
				t.Fatal(err)
			}
			if r := b.command("U0ENG1", "/exp", "kill one-click-checkout -- errors up"); !strings.Contains(r.Plain, "Killed `one-click-checkout`") {
				t.Errorf("after the fault: %s", r.Plain)
			}
		})
	}
}

// TestOutboxOnReadOnlyDatabase runs the outbox while nothing can be
// written: it sends nothing it could not record, says why in the log once
// a minute rather than for every message on every poll, and delivers
// everything once writes work again.
func TestOutboxOnReadOnlyDatabase(t *testing.T) {
	b := newTestBot(t)
	var logs lockedBuffer
	b.outbox.Log = slog.New(slog.NewTextHandler(&logs, nil))
	for i := range 5 {
		b.enqueue(fixture.Post(fmt.Sprintf("m%d", i), fmt.Sprintf("C0CH%d", i), "", "hello"))
	}
	ctx := context.Background()
	if err := b.db.SetWriteFault(ctx, store.ReadOnly); err != nil {
		t.Fatal(err)
	}
	for range 20 { // five seconds of polls
		if _, err := b.outbox.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(250 * time.Millisecond)
	}
	if n := len(b.fake.Calls()); n != 0 {
		t.Errorf("%d calls to Slack while the outbox could not record them", n)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 || !strings.Contains(logs.String(), "growthbot cannot write to its database right now (it is read-only)") {
		t.Errorf("%d errors logged, want 1 naming the cause:\n%s", n, logs.String())
	}
	b.clock.Advance(time.Minute)
	b.outbox.DeliverDue(ctx)
	if n := strings.Count(logs.String(), "level=ERROR"); n != 2 {
		t.Errorf("%d errors logged after a minute more, want a second one", n)
	}
	if err := b.db.SetWriteFault(ctx, store.NoWriteFault); err != nil {
		t.Fatal(err)
	}
	b.deliver()
	for i := range 5 {
		if m := b.message(fmt.Sprintf("m%d", i)); m.State != workflows.MessageSent {
			t.Errorf("m%d is %s after writes came back", i, m.State)
		}
	}
}
