package fakeslack_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/fakeslack"
)

// errCode returns the Slack error code of err, "" for nil.
func errCode(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Each call against the four kinds of channel answers what Slack answers:
// a public channel the bot is not in takes posts (chat:write.public) but not
// reads or file shares; a private one it is not in does not exist to it.
func TestMembership(t *testing.T) {
	ctx := context.Background()
	calls := []struct {
		name string
		call func(api *slack.Client, ch string) error
	}{
		{"post", func(api *slack.Client, ch string) error {
			_, _, err := api.PostMessage(ch, slack.MsgOptionText("hi", false))
			return err
		}},
		{"history", func(api *slack.Client, ch string) error {
			_, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch})
			return err
		}},
		{"replies", func(api *slack.Client, ch string) error {
			_, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: "1.000001"})
			return err
		}},
		{"upload", func(api *slack.Client, ch string) error {
			_, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Content: "x", FileSize: 1, Filename: "x.png", Channel: ch})
			return err
		}},
		{"info", func(api *slack.Client, ch string) error {
			_, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: ch})
			return err
		}},
	}
	tests := []struct {
		channel fakeslack.Channel
		want    map[string]string // call name → error code; missing means ok
	}{
		{fakeslack.Channel{ID: "C1", Member: true}, map[string]string{"replies": "thread_not_found"}},
		{fakeslack.Channel{ID: "C2"}, map[string]string{"history": "not_in_channel", "replies": "not_in_channel", "upload": "not_in_channel"}},
		{fakeslack.Channel{ID: "G3", Private: true, Member: true}, map[string]string{"replies": "thread_not_found"}},
		{fakeslack.Channel{ID: "G4", Private: true}, map[string]string{"post": "channel_not_found", "history": "channel_not_found",
			"replies": "channel_not_found", "upload": "channel_not_found", "info": "channel_not_found"}},
		{fakeslack.Channel{ID: "C5", Member: true, Archived: true}, map[string]string{"post": "is_archived", "replies": "thread_not_found"}},
	}
	for _, tc := range tests {
		fake, api := MustStart(t)
		fake.DeclareChannel(tc.channel)
		for _, c := range calls {
			got, want := errCode(c.call(api, tc.channel.ID)), tc.want[c.name]
			if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
				t.Errorf("%+v: %s: error %q, want %q", tc.channel, c.name, got, want)
			}
		}
	}
}

func TestJoinAndInvite(t *testing.T) {
	fake, api := MustStart(t)
	fake.DeclareChannel(fakeslack.Channel{ID: "C0PUBLIC", Name: "growth"})
	fake.DeclareChannel(fakeslack.Channel{ID: "G0SECRET", Private: true})

	info, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0PUBLIC"})
	if err != nil || info.IsMember || info.Name != "growth" || info.IsPrivate {
		t.Fatalf("info before join = %+v, %v", info, err)
	}
	if _, _, _, err := api.JoinConversation("C0PUBLIC"); err != nil {
		t.Fatal(err)
	}
	if _, warning, _, err := api.JoinConversation("C0PUBLIC"); err != nil || warning != "already_in_channel" {
		t.Errorf("second join: warning %q, err %v", warning, err)
	}
	if info, _ = api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0PUBLIC"}); !info.IsMember {
		t.Error("not a member after joining")
	}
	if _, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C0PUBLIC"}); err != nil {
		t.Errorf("history after joining: %v", err)
	}

	if _, _, _, err := api.JoinConversation("G0SECRET"); errCode(err) != "channel_not_found" {
		t.Errorf("join a private channel: %v, want channel_not_found", err)
	}
	fake.SetMember("G0SECRET", true) // someone types /invite @growthbot
	info, err = api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "G0SECRET"})
	if err != nil || !info.IsMember || !info.IsPrivate {
		t.Errorf("info after the invite = %+v, %v", info, err)
	}
	if _, _, _, err := api.JoinConversation("G0SECRET"); errCode(err) != "method_not_supported_for_channel_type" {
		t.Errorf("join a private channel: %v", err)
	}
}

func TestScopes(t *testing.T) {
	fake, api := MustStart(t)
	fake.DeclareChannel(fakeslack.Channel{ID: "C1"})
	fake.SetScopes("chat:write", "channels:read")
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false)); errCode(err) != "not_in_channel" {
		t.Errorf("post without chat:write.public to a channel the bot is not in: %v", err)
	}
	if _, _, _, err := api.JoinConversation("C1"); errCode(err) != "missing_scope" {
		t.Errorf("join without channels:join: %v", err)
	}
	if _, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C1"}); err != nil {
		t.Errorf("info with channels:read: %v", err)
	}
	fake.SetScopes("chat:write", "chat:write.public", "channels:join")
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("post with chat:write.public: %v", err)
	}
	if _, _, _, err := api.JoinConversation("C1"); err != nil {
		t.Errorf("join with channels:join: %v", err)
	}
}

// History keeps what was posted, and AddMessage brings back what an earlier
// process posted, so that its threads can be replied to.
func TestAddMessage(t *testing.T) {
	fake, api := MustStart(t)
	old := "1600000000.000100"
	if err := fake.AddMessage(fakeslack.Message{Channel: "C1", TS: old, Text: "scorecard"}); err != nil {
		t.Fatal(err)
	}
	if err := fake.AddMessage(fakeslack.Message{Channel: "C1", TS: "1600000000.000200", ThreadTS: old, Text: "decision"}); err != nil {
		t.Fatal(err)
	}
	if err := fake.AddMessage(fakeslack.Message{Channel: "C1", TS: "1600000000.000300", ThreadTS: "1.2"}); err == nil {
		t.Error("a reply to a missing parent was added")
	}
	reply := MustPost(t, api, "C1", slack.MsgOptionTS(old))
	replies, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: old})
	if err != nil || len(replies) != 3 || replies[0].Text != "scorecard" || replies[1].Text != "decision" || replies[2].Timestamp != reply {
		t.Errorf("replies = %+v, %v", replies, err)
	}
	hist, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1", Latest: "1700000000", Limit: 1})
	if err != nil || len(hist.Messages) != 1 || hist.Messages[0].Timestamp != old || hist.Messages[0].ReplyCount != 2 {
		t.Errorf("history before 1700000000 = %+v, %v", hist, err)
	}
}

// Two processes never hand out the same ID: the bot stores trigger IDs, and
// a console on the demo's database would otherwise see its first commands
// as Slack's retries of the demo's.
func TestIDsUniqueAcrossProcesses(t *testing.T) {
	if os.Getenv("FAKESLACK_PRINT_IDS") != "" {
		fake, api := MustStart(t)
		ts := MustPost(t, api, "C1")
		v, err := api.OpenView("trigger", slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "t", false, false)})
		if err != nil {
			t.Fatal(err)
		}
		cmd := string(fakeslack.CommandBody(fakeslack.Command{}))
		trigger := cmd[strings.Index(cmd, "trigger_id="):]
		os.Stdout.WriteString(strings.Join([]string{ts, v.ID, trigger, fake.ResponseURL()[len(fake.APIURL())-5:]}, "\n") + "\n")
		return
	}
	var runs [][]string
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestIDsUniqueAcrossProcesses$")
		cmd.Env = append(os.Environ(), "FAKESLACK_PRINT_IDS=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		runs = append(runs, strings.Fields(string(out))[:4])
		time.Sleep(time.Millisecond)
	}
	for i, name := range []string{"ts", "view ID", "trigger ID", "response URL"} {
		if runs[0][i] == runs[1][i] {
			t.Errorf("both processes made %s %s", name, runs[0][i])
		}
	}
	if runs[1][0] <= runs[0][0] {
		t.Errorf("ts of the later process %s is not after %s", runs[1][0], runs[0][0])
	}
}
