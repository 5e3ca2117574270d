package fakeslack_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/slack-go/slack"
)

// TrickyBlocks holds what a form round trip is most likely to mangle: "+",
// "%" and "%20" (form escapes), "&lt;" (Slack escapes), emoji and non-ASCII.
func TrickyBlocks() []slack.Block {
	mrkdwn := func(s string) *slack.TextBlockObject { return slack.NewTextBlockObject("mrkdwn", s, false, false) }
	return []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", "Ünïcødé ✓ 🚀", true, false)),
		slack.NewSectionBlock(mrkdwn("Lift +12.5% (p=0.03) &lt;b&gt; a+b%20c :tada: 🎉 naïve 日本語"), nil, nil),
		slack.NewContextBlock("ctx", mrkdwn("<https://example.com/?a=1&b=2+3|link> 100%")),
		slack.NewActionBlock("act", slack.NewButtonBlockElement("ship", "exp+1%", slack.NewTextBlockObject("plain_text", "Ship ✓", true, false))),
	}
}

func TestPostMessageKeepsBlockBytes(t *testing.T) {
	fake, api := MustStart(t)
	blocks := TrickyBlocks()
	want, err := json.Marshal(blocks) // what slack-go puts in the blocks field
	if err != nil {
		t.Fatal(err)
	}
	_, ts, msg, err := api.PostMessageWithResponse("C1", slack.MsgOptionText("a+b 100% &lt;", false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatal(err)
	}

	got, ok := fake.Message("C1", ts)
	if !ok {
		t.Fatalf("message %s not stored", ts)
	}
	if !bytes.Equal(got.Blocks, want) {
		t.Errorf("stored blocks:\n got %s\nwant %s", got.Blocks, want)
	}
	if got.Text != "a+b 100% &lt;" {
		t.Errorf("text = %q", got.Text)
	}
	var decoded slack.Blocks
	if err := json.Unmarshal(got.Blocks, &decoded); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(decoded.BlockSet, blocks) {
		t.Errorf("slack-go decodes the stored blocks differently:\n got %#v\nwant %#v", decoded.BlockSet, blocks)
	}
	// The answer's message carries the same blocks.
	if !reflect.DeepEqual(msg.Blocks.BlockSet, blocks) {
		t.Errorf("answered blocks differ: %#v", msg.Blocks.BlockSet)
	}
}

func TestUpdateMessage(t *testing.T) {
	fake, api := MustStart(t)
	ts := MustPost(t, api, "C1", slack.MsgOptionBlocks(TrickyBlocks()...))
	MustPost(t, api, "C1", slack.MsgOptionTS(ts))

	newBlocks := []slack.Block{slack.NewDividerBlock()}
	if _, _, _, err := api.UpdateMessage("C1", ts, slack.MsgOptionText("edited", false), slack.MsgOptionBlocks(newBlocks...)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessage("C1", ts, slack.MsgOptionText("edited again", false)); err != nil {
		t.Fatal(err)
	}

	got, _ := fake.Message("C1", ts)
	wantBlocks, _ := json.Marshal(newBlocks)
	switch {
	case got.Text != "edited again":
		t.Errorf("text = %q, want the last update", got.Text)
	case !bytes.Equal(got.Blocks, wantBlocks):
		t.Errorf("blocks = %s, want %s kept by the text-only update", got.Blocks, wantBlocks)
	case got.Edits != 2 || len(got.Revisions) != 2 || got.Revisions[0].Text != "hello":
		t.Errorf("edits = %d, revisions %+v", got.Edits, got.Revisions)
	case len(got.Replies) != 1:
		t.Errorf("replies = %d, want the reply kept", len(got.Replies))
	}
}

func TestThreads(t *testing.T) {
	fake, api := MustStart(t)
	parent := MustPost(t, api, "C1")
	first := MustPost(t, api, "C1", slack.MsgOptionTS(parent))
	MustPost(t, api, "C1", slack.MsgOptionTS(parent), slack.MsgOptionBroadcast())

	thread := fake.Thread("C1", parent)
	if len(thread) != 2 || thread[0].TS != first || thread[0].ThreadTS != parent || !thread[1].Broadcast {
		t.Errorf("thread = %+v, want two replies, the second broadcast", thread)
	}
	top := fake.Messages("C1")
	if len(top) != 2 || top[0].TS != parent || !top[1].Broadcast {
		t.Errorf("top level = %+v, want the parent and the broadcast reply", top)
	}

	msgs, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: first})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || msgs[0].Timestamp != parent || msgs[0].ReplyCount != 2 {
		t.Errorf("conversations.replies = %d messages, first %+v", len(msgs), msgs[0].Msg)
	}
}

func TestPostEphemeral(t *testing.T) {
	fake, api := MustStart(t)
	ts, err := api.PostEphemeral("C1", "U0BOB", slack.MsgOptionText("only you", false), slack.MsgOptionBlocks(TrickyBlocks()...))
	if err != nil {
		t.Fatal(err)
	}
	got := fake.Ephemerals()
	want, _ := json.Marshal(TrickyBlocks())
	if len(got) != 1 || got[0].TS != ts || got[0].User != "U0BOB" || got[0].Text != "only you" || !bytes.Equal(got[0].Blocks, want) {
		t.Errorf("ephemerals = %+v", got)
	}
	if len(fake.Messages("C1")) != 0 {
		t.Error("ephemeral message stored in the channel")
	}
}

func TestDeleteMessage(t *testing.T) {
	fake, api := MustStart(t)
	keep := MustPost(t, api, "C1")
	gone := MustPost(t, api, "C1")
	reply := MustPost(t, api, "C1", slack.MsgOptionTS(gone))
	if _, _, err := api.DeleteMessage("C1", gone); err != nil {
		t.Fatal(err)
	}
	if msgs := fake.Messages("C1"); len(msgs) != 1 || msgs[0].TS != keep {
		t.Errorf("messages = %+v, want only %s", msgs, keep)
	}
	if _, ok := fake.Message("C1", reply); ok {
		t.Error("reply survived its parent's deletion")
	}
	if _, _, err := api.DeleteMessage("C1", gone); err == nil || err.Error() != "message_not_found" {
		t.Errorf("second delete: err = %v, want message_not_found", err)
	}
}

func TestChatErrors(t *testing.T) {
	text := slack.MsgOptionText("hi", false)
	section := func(n int) slack.MsgOption {
		return slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", strings.Repeat("é", n), false, false), nil, nil))
	}
	tests := []struct {
		name string
		call func(fake *fakeslack.Server, api *slack.Client) error
		want string
	}{{
		name: "channel outside AddChannel",
		call: func(fake *fakeslack.Server, api *slack.Client) error {
			fake.AddChannel("C1")
			_, _, err := api.PostMessage("C2", text)
			return err
		},
		want: "channel_not_found",
	}, {
		name: "malformed channel ID",
		call: func(_ *fakeslack.Server, api *slack.Client) error {
			_, _, err := api.PostMessage("#general", text)
			return err
		},
		want: "channel_not_found",
	}, {
		name: "51 blocks",
		call: func(_ *fakeslack.Server, api *slack.Client) error {
			blocks := make([]slack.Block, 51)
			for i := range blocks {
				blocks[i] = slack.NewDividerBlock()
			}
			_, _, err := api.PostMessage("C1", slack.MsgOptionBlocks(blocks...))
			return err
		},
		want: "invalid_blocks",
	}, {
		name: "section text over 3000 characters",
		call: func(_ *fakeslack.Server, api *slack.Client) error {
			_, _, err := api.PostMessage("C1", section(3001))
			return err
		},
		want: "invalid_blocks",
	}, {
		name: "section text of 3000 multibyte characters",
		call: func(_ *fakeslack.Server, api *slack.Client) error {
			_, _, err := api.PostMessage("C1", section(3000))
			return err
		},
	}, {
		name: "text over 40000 characters",
		call: func(_ *fakeslack.Server, api *slack.Client) error {
			_, _, err := api.PostMessage("C1", slack.MsgOptionText(strings.Repeat("x", 40001), false))
			return err
		},
		want: "msg_too_long",
	}, {
		name: "no text nor blocks",
		call: func(_ *fakeslack.Server, api *slack.Client) error {
			_, _, err := api.PostMessage("C1")
			return err
		},
		want: "no_text",
	}, {
		name: "update of an unknown message",
		call: func(_ *fakeslack.Server, api *slack.Client) error {
			_, _, _, err := api.UpdateMessage("C1", "1700000000.999999", text)
			return err
		},
		want: "message_not_found",
	}, {
		name: "reply to an unknown thread",
		call: func(_ *fakeslack.Server, api *slack.Client) error {
			_, _, err := api.PostMessage("C1", text, slack.MsgOptionTS("1700000000.999999"))
			return err
		},
		want: "thread_not_found",
	}, {
		name: "user token",
		call: func(fake *fakeslack.Server, _ *slack.Client) error {
			_, _, err := slack.New("xoxp-user", slack.OptionAPIURL(fake.APIURL())).PostMessage("C1", text)
			return err
		},
		want: "invalid_auth",
	}, {
		name: "no token",
		call: func(fake *fakeslack.Server, _ *slack.Client) error {
			_, err := slack.New("", slack.OptionAPIURL(fake.APIURL())).AuthTest()
			return err
		},
		want: "not_authed",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, api := MustStart(t)
			err := tc.call(fake, api)
			if got := errorCode(err); got != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			calls := fake.Calls()
			if last := calls[len(calls)-1]; last.Error != tc.want {
				t.Errorf("recorded error = %q, want %q", last.Error, tc.want)
			}
		})
	}
}

// errorCode is the Slack error code of an API error, "" for nil.
func errorCode(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
