package main

import (
	"context"
	"fmt"
	"io"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
)

// localSlack runs growthbot's Slack side against a fake of Slack on
// loopback, for the console and the demo: the same handlers, router and
// outbox as `serve`, with no tokens and no network.
type localSlack struct {
	fake    *fakeslack.Server
	console *console
	words   *bot.Renderer
}

const localSecret = "local-signing-secret"

func newLocalSlack(db *store.DB, svc *workflows.Service, e *env, user, channel, files string, out io.Writer) (*localSlack, error) {
	words, err := newRenderer(e)
	if err != nil {
		return nil, err
	}
	fake := fakeslack.New()
	client := slack.New("xoxb-local", slack.OptionAPIURL(fake.APIURL()))
	outbox := &bot.Outbox{Store: db, Slack: client, Clock: svc.Clock, Log: e.log.With("component", "outbox"),
		PostInterval: -1, Getenv: e.getenv, Renderer: words}
	router := &bot.Router{Service: svc, Views: bot.ClientViews{Client: client}, Log: e.log.With("component", "slack"), Renderer: words}
	srv := bot.NewServer(e.log, db.Ping)
	(&bot.Slack{Router: router, SigningSecret: localSecret, Log: e.log.With("component", "slack"), ResponseHost: apiHost(fake.APIURL())}).Mount(srv)
	return &localSlack{fake: fake, console: &console{handler: srv, secret: localSecret, router: router,
		outbox: outbox, fake: fake, User: user, Channel: channel, files: files, out: out}, words: words}, nil
}

func (l *localSlack) Close() { l.fake.Close() }

// restore tells the local fake of Slack about the posts an earlier process
// (the demo, an earlier console) delivered, so that replies in their
// threads and updates of them reach it. It reports how many it restored.
func (l *localSlack) restore(ctx context.Context, db *store.DB) (int, error) {
	var posts []workflows.Message
	if err := db.View(ctx, func(tx workflows.Tx) error {
		var err error
		posts, err = tx.SentPosts()
		return err
	}); err != nil {
		return 0, err
	}
	tsOf := map[string]string{}
	for _, m := range posts {
		tsOf[m.Key] = m.TS
	}
	n := 0
	// Thread parents first: a reply needs its parent.
	for _, replies := range []bool{false, true} {
		for _, m := range posts {
			if (m.Parent != "") != replies {
				continue
			}
			body, err := l.words.Body(m)
			if err != nil {
				return n, fmt.Errorf("restore post %s: %w", m.Key, err)
			}
			msg := fakeslack.Message{Channel: m.Channel, TS: m.TS, ThreadTS: tsOf[m.Parent], Text: body.Text, Blocks: body.Blocks}
			if replies && msg.ThreadTS == "" {
				continue
			}
			if err := l.fake.AddMessage(msg); err == nil {
				n++
				// Its buttons work, as they would in Slack.
				l.console.keepButtons(m.Channel, m.TS, body.Text, body.Blocks)
			}
		}
	}
	return n, nil
}
