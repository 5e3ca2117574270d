package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/internal/fixture"
	"github.com/growthbot/growthbot/workflows"
)

// A delivery whose answer was lost is looked up in the channel's history
// before it is sent again. In a public channel the bot posted to without
// being in it, that look-up answers not_in_channel: the outbox joins the
// channel and looks; if it cannot join, it sends rather than drop the
// message.
func TestOutboxInDoubtInAChannelTheBotIsNotIn(t *testing.T) {
	tests := []struct {
		name     string
		scopes   []string // nil: all
		copies   int
		joinedIn bool
	}{
		{"joins, then finds the message", nil, 1, true},
		{"cannot join, sends again", []string{"chat:write", "chat:write.public", "channels:history"}, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBot(t)
			b.fake.DeclareChannel(fakeslack.Channel{ID: "C0CHECKOUT"})
			if tc.scopes != nil {
				b.fake.SetScopes(tc.scopes...)
			}
			wire := wireOutbox(b, time.Second)
			b.enqueue(fixture.Post("m1", "C0CHECKOUT", "", "posted once"))
			wire.loseNext(1, false)
			b.deliver()
			if m := b.message("m1"); m.State != workflows.MessageSending {
				t.Fatalf("after a lost answer: %s %q; want in doubt", m.State, m.LastError)
			}
			b.drain(time.Second, 10*time.Minute)
			if m := b.message("m1"); m.State != workflows.MessageSent {
				t.Fatalf("message %s (%q), want sent", m.State, m.LastError)
			}
			if got := len(b.fake.Messages("C0CHECKOUT")); got != tc.copies {
				t.Errorf("Slack has %d copies, want %d", got, tc.copies)
			}
			if member := b.fake.Channels()[0].Member; member != tc.joinedIn {
				t.Errorf("bot in the channel: %v, want %v", member, tc.joinedIn)
			}
		})
	}
}

// A chart shared to a public channel the bot is not in answers
// not_in_channel; the outbox joins and shares it. A private channel it was
// not invited to fails for good, with Slack's reason.
func TestOutboxJoinsToShareAFile(t *testing.T) {
	b := newTestBot(t)
	b.fake.DeclareChannel(fakeslack.Channel{ID: "C0CHECKOUT"})
	b.fake.DeclareChannel(fakeslack.Channel{ID: "C0SECRET", Private: true})
	for _, ch := range []string{"C0CHECKOUT", "C0SECRET"} {
		b.enqueue(workflows.Message{Key: "chart-" + ch, Op: workflows.OpUpload, Channel: ch, File: []byte("png"),
			Filename: "chart.png", Title: "Chart"})
	}
	b.drain(time.Second, time.Minute)
	if m := b.message("chart-C0CHECKOUT"); m.State != workflows.MessageSent {
		t.Errorf("chart to a public channel: %s %q, want sent after joining", m.State, m.LastError)
	}
	if msgs := b.fake.Messages("C0CHECKOUT"); len(msgs) != 1 || len(msgs[0].Files) != 1 {
		t.Errorf("C0CHECKOUT has %+v, want the shared chart", msgs)
	}
	if m := b.message("chart-C0SECRET"); m.State != workflows.MessageFailed || !strings.Contains(m.LastError, "channel_not_found") {
		t.Errorf("chart to a private channel: %s %q, want failed with channel_not_found", m.State, m.LastError)
	}
}

// Channels joins the public team channels the bot is not in, and tells the
// App Home of a team's people to invite the bot to a private one.
func TestChannelsJoinPublicAndAskForInvites(t *testing.T) {
	b := newTestBot(t)
	b.fake.DeclareChannel(fakeslack.Channel{ID: "C0CHECKOUT", Name: "checkout"})
	b.fake.DeclareChannel(fakeslack.Channel{ID: "C0ONBOARD", Name: "onboarding", Private: true})
	client := slack.New("xoxb-test", slack.OptionAPIURL(b.fake.APIURL()))
	channels := &bot.Channels{Slack: client, Service: b.svc, Log: discardLog(), Recheck: time.Nanosecond}
	if err := channels.CheckTeams(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := b.fake.Channels(); !got[0].Member || got[1].Member {
		t.Fatalf("channels after the check: %+v, want C0CHECKOUT joined", got)
	}
	b.router.ChannelProblems = channels.Problems
	home := func(user string) string {
		if err := b.router.HomeOpened(context.Background(), user); err != nil {
			t.Fatal(err)
		}
		return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(b.fake.HomeViews()[user].Blocks))
	}
	if got := home("U0ENG3"); !strings.Contains(got, "Invite @growthbot to <#C0ONBOARD>") {
		t.Errorf("onboarding member's App Home lacks the invite:\n%s", got)
	}
	if got := home("U0ENG1"); strings.Contains(got, "Invite @growthbot") {
		t.Errorf("checkout member's App Home has another team's problem:\n%s", got)
	}
	b.fake.SetMember("C0ONBOARD", true) // someone invited the bot
	if err := channels.CheckTeams(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := home("U0ENG3"); strings.Contains(got, "Invite @growthbot") {
		t.Errorf("the invite is still asked for after the bot was invited:\n%s", got)
	}
	if n := len(b.fake.CallsTo("conversations.info")); n != 3 {
		t.Errorf("%d conversations.info calls, want 3: a channel that works is not checked again", n)
	}
}
