package main

import (
	"context"
	"fmt"
	"io"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/workflows"
)

// localSlack runs growthbot against a fake of Slack on loopback, for the
// console and the demo: the app as `serve` wires it, with no tokens and no
// network.
type localSlack struct {
	*app
	fake    *fakeslack.Server
	console *console
}

// openLocal opens the database at path and wires growthbot to a new fake
// of Slack, with a console that acts as user in channel.
func openLocal(ctx context.Context, e *env, path string, opts appOptions, user, channel, files string, out io.Writer) (*localSlack, error) {
	fake := fakeslack.New()
	opts.fakeSlackURL = fake.APIURL()
	a, err := openApp(ctx, e, path, opts)
	if err != nil {
		fake.Close()
		return nil, err
	}
	return &localSlack{app: a, fake: fake, console: &console{handler: a.server, secret: localSecret, router: a.router,
		outbox: a.outbox, fake: fake, User: user, Channel: channel, files: files, out: out}}, nil
}

// Close stops the fake and closes the app.
func (l *localSlack) Close() {
	l.fake.Close()
	l.app.Close()
}

// restore tells the local fake of Slack about the posts an earlier process
// (the demo, an earlier console) delivered, so that replies in their
// threads and updates of them reach it. It reports how many it restored.
func (l *localSlack) restore(ctx context.Context) (int, error) {
	var posts []workflows.Message
	if err := l.db.View(ctx, func(tx workflows.Tx) error {
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
