package bot_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/bot/fakeslack"
)

// formJSON turns a form body Slack would POST into the JSON object Socket
// Mode carries instead.
func formJSON(t *testing.T, body []byte) json.RawMessage {
	t.Helper()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	if p := form.Get("payload"); p != "" {
		return json.RawMessage(p)
	}
	obj := map[string]string{}
	for k := range form {
		obj[k] = form.Get(k)
	}
	raw, _ := json.Marshal(obj)
	return raw
}

// TestSocketMode drives the router over Socket Mode: the same commands,
// buttons and events as HTTP, acknowledged on the socket, with Slack's
// redeliveries recognised.
func TestSocketMode(t *testing.T) {
	b := newTestBot(t)
	client := slack.New("xoxb-test", slack.OptionAPIURL(b.fake.APIURL()), slack.OptionAppLevelToken("xapp-test"))
	adapter := &bot.Slack{Router: b.router, SigningSecret: secret, Log: discardLog(), ResponseHost: fakeHost(b.fake)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- adapter.RunSocketMode(ctx, client) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Socket Mode did not stop")
		}
	}()
	wait := func(what string, cond func(*fakeslack.Server) bool) {
		t.Helper()
		wctx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		if err := b.fake.WaitFor(wctx, cond); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	wait("the connection", (*fakeslack.Server).SocketConnected)

	send := func(kind string, payload json.RawMessage, retry int) json.RawMessage {
		t.Helper()
		id, err := b.fake.SocketSend(kind, payload, retry)
		if err != nil {
			t.Fatal(err)
		}
		var ack json.RawMessage
		wait("the ack of "+id, func(f *fakeslack.Server) bool {
			var ok bool
			ack, ok = f.SocketAck(id)
			return ok
		})
		return ack
	}

	cmd := formJSON(t, fakeslack.CommandBody(fakeslack.Command{Command: "/growth", Text: `goal add checkout "Via the socket"`,
		UserID: "U0ENG1", TriggerID: "socket-trigger-1"}))
	if ack := send(fakeslack.EnvelopeSlashCommand, cmd, 0); !strings.Contains(string(ack), "Goal #1 added") {
		t.Errorf("the command's ack carries %s, want the reply", ack)
	}
	send(fakeslack.EnvelopeSlashCommand, cmd, 1) // Slack's redelivery of the same command
	if n := goalCount(b); n != 1 {
		t.Errorf("%d goals after a redelivered command, want 1", n)
	}

	press := formJSON(t, fakeslack.BlockActionsBody(fakeslack.Action{ActionID: "goal.drop", Value: "1", UserID: "U0ENG1",
		ResponseURL: b.fake.ResponseURL()}))
	send(fakeslack.EnvelopeInteractive, press, 0)
	b.deliver()
	if got := b.fake.Responses(); len(got) == 0 || !strings.Contains(got[len(got)-1].Text, "is dropped") {
		t.Errorf("the button's answer: %+v", got)
	}

	event := json.RawMessage(fakeslack.EventBody(fakeslack.EventCallback{UserID: "U0PM", EventID: "EvSocket"}))
	send(fakeslack.EnvelopeEvent, event, 0)
	send(fakeslack.EnvelopeEvent, event, 1)
	b.router.Wait()
	if n := len(b.fake.CallsTo("views.publish")); n != 1 {
		t.Errorf("views.publish called %d times for an event and its redelivery, want 1", n)
	}
}
