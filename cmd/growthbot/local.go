package main

import (
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
	console *bot.Console
}

const localSecret = "local-signing-secret"

func newLocalSlack(db *store.DB, svc *workflows.Service, e *env, user, channel, files string, out io.Writer) *localSlack {
	fake := fakeslack.New()
	client := slack.New("xoxb-local", slack.OptionAPIURL(fake.APIURL()))
	outbox := &bot.Outbox{Store: db, Slack: client, Clock: svc.Clock, Log: e.log.With("component", "outbox"),
		PostInterval: -1, Getenv: e.getenv}
	router := &bot.Router{Service: svc, Views: bot.ClientViews{Client: client}, Log: e.log.With("component", "slack")}
	srv := bot.NewServer(e.log, db.Ping)
	(&bot.Slack{Router: router, SigningSecret: localSecret, Log: e.log.With("component", "slack"), ResponseHost: apiHost(fake.APIURL())}).Mount(srv)
	return &localSlack{fake: fake, console: &bot.Console{Handler: srv, Secret: localSecret, Router: router,
		Outbox: outbox, Fake: fake, User: user, Channel: channel, Files: files, Out: out}}
}

func (l *localSlack) Close() { l.fake.Close() }
