package fakeslack_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// FormRequest is the request Slack posts to the app with a form body.
func FormRequest(body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// MustParseInteraction decodes an interaction payload as the app would.
func MustParseInteraction(tb testing.TB, body []byte) slack.InteractionCallback {
	tb.Helper()
	ic, err := slack.InteractionCallbackParse(FormRequest(body))
	if err != nil {
		tb.Fatal(err)
	}
	return ic
}

func TestSign(t *testing.T) {
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	body := fakeslack.CommandBody(fakeslack.Command{Text: "start exp+1 50%"})
	req := FormRequest(body)
	fakeslack.Sign(req, body, secret, time.Now())

	tests := []struct {
		name   string
		body   []byte
		secret string
		ok     bool
	}{
		{name: "as signed", body: body, secret: secret, ok: true},
		{name: "tampered body", body: append(bytes.Clone(body), '1'), secret: secret},
		{name: "other secret", body: body, secret: "other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sv, err := slack.NewSecretsVerifier(req.Header, tc.secret)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = sv.Write(tc.body)
			if err := sv.Ensure(); (err == nil) != tc.ok {
				t.Errorf("Ensure() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestCommandBody(t *testing.T) {
	url := "http://127.0.0.1/response/1"
	body := fakeslack.CommandBody(fakeslack.Command{Command: "/exp", Text: "start a+b 100%", UserID: "U0BOB", ChannelID: "C1", ResponseURL: url})
	got, err := slack.SlashCommandParse(FormRequest(body))
	if err != nil {
		t.Fatal(err)
	}
	if got.Command != "/exp" || got.Text != "start a+b 100%" || got.UserID != "U0BOB" || got.UserName != "bob" ||
		got.ChannelID != "C1" || got.ResponseURL != url || got.TeamID != fakeslack.TeamID || got.APIAppID != fakeslack.AppID || got.TriggerID == "" {
		t.Errorf("parsed command = %+v", got)
	}
	again, _ := slack.SlashCommandParse(FormRequest(fakeslack.CommandBody(fakeslack.Command{})))
	if again.TriggerID == got.TriggerID || again.UserID != fakeslack.DefaultUserID || again.Command == "" {
		t.Errorf("defaults = %+v, want a fresh trigger_id and the default user", again)
	}
}

func TestBlockActionsBody(t *testing.T) {
	blocks, _ := json.Marshal(TrickyBlocks())
	ic := MustParseInteraction(t, fakeslack.BlockActionsBody(fakeslack.Action{
		ActionID: "ship", Value: "exp+1%", BlockID: "act", UserID: "U0BOB", ChannelID: "C1",
		MessageTS: "1700000000.000100", MessageText: "Ship?", MessageBlocks: blocks, ResponseURL: "http://x/response/1",
	}))
	if ic.Type != slack.InteractionTypeBlockActions || len(ic.ActionCallback.BlockActions) != 1 {
		t.Fatalf("interaction = %+v", ic)
	}
	a := ic.ActionCallback.BlockActions[0]
	if a.ActionID != "ship" || a.Value != "exp+1%" || a.BlockID != "act" || a.Type != "button" || a.ActionTs == "" {
		t.Errorf("action = %+v", a)
	}
	if ic.User.ID != "U0BOB" || ic.Channel.ID != "C1" || ic.Container.MessageTs != "1700000000.000100" || ic.Container.ChannelID != "C1" ||
		ic.Message.Timestamp != "1700000000.000100" || ic.Message.Text != "Ship?" || ic.ResponseURL != "http://x/response/1" ||
		ic.TriggerID == "" || ic.APIAppID != fakeslack.AppID || ic.Team.ID != fakeslack.TeamID {
		t.Errorf("interaction = %+v", ic)
	}
	if len(ic.Message.Blocks.BlockSet) != len(TrickyBlocks()) {
		t.Errorf("message blocks = %d, want %d", len(ic.Message.Blocks.BlockSet), len(TrickyBlocks()))
	}
}

func TestViewSubmissionBody(t *testing.T) {
	ic := MustParseInteraction(t, fakeslack.ViewSubmissionBody(fakeslack.Submission{
		ViewID: "V1", CallbackID: "new_experiment", PrivateMetadata: `{"c":"C1"}`, UserID: "U0BOB",
		Inputs: []fakeslack.Input{
			{BlockID: "name", ActionID: "name", Value: "Checkout 2.0 + promo"},
			{BlockID: "metric", ActionID: "metric", Type: "static_select", Value: "conversion"},
			{BlockID: "owner", ActionID: "owner", Type: "users_select", Value: "U0CAROL"},
			{BlockID: "end", ActionID: "end", Type: "datepicker", Value: "2024-05-01"},
		},
	}))
	values := ic.View.State.Values
	if ic.Type != slack.InteractionTypeViewSubmission || ic.View.ID != "V1" || ic.View.CallbackID != "new_experiment" ||
		ic.View.PrivateMetadata != `{"c":"C1"}` || ic.User.ID != "U0BOB" || ic.TriggerID == "" {
		t.Errorf("interaction = %+v", ic)
	}
	if values["name"]["name"].Value != "Checkout 2.0 + promo" ||
		values["metric"]["metric"].SelectedOption.Value != "conversion" ||
		values["owner"]["owner"].SelectedUser != "U0CAROL" ||
		values["end"]["end"].SelectedDate != "2024-05-01" {
		t.Errorf("state values = %+v", values)
	}
}

func TestEventBody(t *testing.T) {
	verification, err := slackevents.ParseEvent(fakeslack.EventBody(fakeslack.EventCallback{Type: "url_verification", Challenge: "abc"}), slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := verification.Data.(*slackevents.EventsAPIURLVerificationEvent); verification.Type != slackevents.URLVerification || !ok || v.Challenge != "abc" {
		t.Errorf("url_verification = %+v", verification)
	}

	home, err := slackevents.ParseEvent(fakeslack.EventBody(fakeslack.EventCallback{UserID: "U0BOB"}), slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatal(err)
	}
	opened, ok := home.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if home.Type != slackevents.CallbackEvent || home.TeamID != fakeslack.TeamID || !ok || opened.User != "U0BOB" || opened.Tab != "home" || opened.Channel == "" {
		t.Errorf("app_home_opened = %+v, inner %+v", home, home.InnerEvent.Data)
	}
}
