package bot_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/bot/internal/fixture"
	"github.com/growthbot/growthbot/bot/outbox"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/store/storetest"
	"github.com/growthbot/growthbot/workflows"
)

const secret = "test-signing-secret"

// testBot is growthbot's Slack side on a real loopback listener, over a real
// SQLite file, talking to the recording fake of Slack.
type testBot struct {
	t       testing.TB
	db      *store.DB
	svc     *workflows.Service
	fake    *fakeslack.Server
	server  *httptest.Server
	router  *bot.Router
	slack   *bot.Slack
	outbox  *outbox.Outbox
	clock   *workflows.FakeClock
	dbPath  string
	baseURL string
}

// testNow is a Monday morning in the middle of a month.
var testNow = time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)

func newTestBot(t testing.TB) *testBot {
	t.Helper()
	b := &testBot{t: t, dbPath: filepath.Join(t.TempDir(), "growthbot.db"), clock: workflows.NewFakeClock(testNow)}
	b.fake = fakeslack.New()
	t.Cleanup(b.fake.Close)
	b.open()
	storetest.ApplyExample(t, b.svc)
	return b
}

// open opens (or reopens, after close) the database and starts the server.
func (b *testBot) open() {
	t := b.t
	db, svc := storetest.Open(t, b.dbPath, b.clock)
	b.db, b.svc = db, svc
	renderer, err := render.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	client := slack.New("xoxb-test", slack.OptionAPIURL(b.fake.APIURL()))
	b.outbox = &outbox.Outbox{Store: db, Slack: client, Clock: b.clock, PostInterval: -1, Renderer: renderer}
	b.router = &bot.Router{Service: b.svc, Views: bot.ClientViews{Client: client}, Log: discardLog(), Notify: b.outbox.Notify,
		Renderer: renderer}
	srv := httpapi.NewServer(nil, db.Ping)
	b.slack = &bot.Slack{Router: b.router, SigningSecret: secret, Log: discardLog(), ResponseHost: fakeHost(b.fake)}
	b.slack.Mount(srv)
	b.server = httptest.NewServer(srv)
	b.baseURL = b.server.URL
	t.Cleanup(b.close)
}

func (b *testBot) close() {
	if b.server != nil {
		b.server.Close()
		b.router.Wait()
		b.db.Close()
		b.server = nil
	}
}

// send posts a body signed as Slack signs it at the given time.
func (b *testBot) send(path string, body []byte, at time.Time, header ...string) *http.Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.baseURL+path, strings.NewReader(string(body)))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	fakeslack.Sign(req, body, secret, at)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp
}

// reply is an ephemeral answer in a response body.
type reply struct {
	Status int
	Text   string
	Blocks json.RawMessage
	Plain  string
}

func readReply(t testing.TB, resp *http.Response) reply {
	t.Helper()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r reply
	json.Unmarshal(raw, &r)
	r.Status = resp.StatusCode
	r.Plain, _ = render.PlainText(r.Text, r.Blocks)
	if r.Plain == "\n" {
		r.Plain = string(raw)
	}
	return r
}

// command runs a slash command as user and returns what the user sees: the
// immediate reply, or for a slow command (acknowledged at once) the answer
// that follows through the response URL.
func (b *testBot) command(user, command, text string) reply {
	b.t.Helper()
	url := b.fake.ResponseURL()
	body := fakeslack.CommandBody(fakeslack.Command{Command: command, Text: text, UserID: user, ChannelID: "C0CHECKOUT",
		ResponseURL: url})
	r := readReply(b.t, b.send("/slack/commands", body, time.Now()))
	if _, slow := b.router.Acknowledge(context.Background(), bot.CommandRequest{Command: command, Text: text, ResponseURL: url, UserID: user}); !slow {
		return r
	}
	b.deliver()
	for _, resp := range b.fake.Responses() {
		if resp.URL == url {
			r = reply{Status: r.Status, Text: resp.Text, Blocks: resp.Blocks}
			r.Plain, _ = render.PlainText(r.Text, r.Blocks)
		}
	}
	return r
}

// deliver drains the outbox into the fake.
func (b *testBot) deliver() {
	b.t.Helper()
	b.router.Wait()
	fixture.Deliver(b.t, b.outbox)
}

func (b *testBot) view(fn func(tx workflows.Tx) error) {
	b.t.Helper()
	if err := b.db.View(context.Background(), fn); err != nil {
		b.t.Fatal(err)
	}
}

// fakeHost is the host of the fake Slack, where its response URLs point.
func fakeHost(f *fakeslack.Server) string {
	u, _ := url.Parse(f.APIURL())
	return u.Host
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func readCloser(b []byte) io.ReadCloser { return io.NopCloser(strings.NewReader(string(b))) }

func (b *testBot) enqueue(msgs ...workflows.Message) { fixture.Enqueue(b.t, b.db, msgs...) }

func (b *testBot) message(key string) workflows.Message { return fixture.Message(b.t, b.db, key) }
