package fakeslack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/slack-go/slack"
)

// MustStart starts a fake and a slack-go client pointed at it.
func MustStart(tb testing.TB) (*fakeslack.Server, *slack.Client) {
	tb.Helper()
	fake := fakeslack.New()
	tb.Cleanup(fake.Close)
	return fake, slack.New("xoxb-test", slack.OptionAPIURL(fake.APIURL()))
}

// MustPost posts text to channel and returns the ts.
func MustPost(tb testing.TB, api *slack.Client, channel string, options ...slack.MsgOption) string {
	tb.Helper()
	_, ts, err := api.PostMessage(channel, append([]slack.MsgOption{slack.MsgOptionText("hello", false)}, options...)...)
	if err != nil {
		tb.Fatalf("post to %s: %v", channel, err)
	}
	return ts
}

// MustCallRaw calls a Web API method with a hand-made body, for what
// slack-go cannot send, and returns the decoded answer.
func MustCallRaw(tb testing.TB, fake *fakeslack.Server, method, contentType, body, token string) map[string]any {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, fake.APIURL()+method, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatalf("%s: decode answer: %v", method, err)
	}
	return out
}

// WaitCtx bounds a WaitFor so that a broken test fails instead of hanging.
func WaitCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func TestAuthTest(t *testing.T) {
	_, api := MustStart(t)
	got, err := api.AuthTest()
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != fakeslack.BotUserID || got.TeamID != fakeslack.TeamID || got.BotID != fakeslack.BotID {
		t.Errorf("auth.test = %+v, want the fake's bot", got)
	}
}

func TestSetToken(t *testing.T) {
	fake, api := MustStart(t)
	fake.SetToken("xoxb-right")
	if _, err := api.AuthTest(); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("other token: err = %v, want invalid_auth", err)
	}
	right := slack.New("xoxb-right", slack.OptionAPIURL(fake.APIURL()))
	if _, err := right.AuthTest(); err != nil {
		t.Errorf("right token: %v", err)
	}
}

func TestUnknownMethodIsRecorded(t *testing.T) {
	fake, _ := MustStart(t)
	got := MustCallRaw(t, fake, "chat.frobnicate", "application/x-www-form-urlencoded", "channel=C1", "xoxb-test")
	if got["ok"] != false || got["error"] != "unknown_method" {
		t.Errorf("answer = %v, want unknown_method", got)
	}
	calls := fake.CallsTo("chat.frobnicate")
	if len(calls) != 1 || calls[0].Params.Get("channel") != "C1" || calls[0].Error != "unknown_method" {
		t.Errorf("calls = %+v, want one recorded unknown_method call", calls)
	}
}

// A JSON body is accepted for any method, and its blocks, an array rather
// than a string, are kept as sent.
func TestJSONBody(t *testing.T) {
	fake, _ := MustStart(t)
	blocks := `[{"type":"section","text":{"type":"mrkdwn","text":"50% + 1 & <b>"}}]`
	got := MustCallRaw(t, fake, "chat.postMessage", "application/json",
		`{"channel":"C1","text":"hi","blocks":`+blocks+`}`, "xoxb-test")
	if got["ok"] != true {
		t.Fatalf("answer = %v", got)
	}
	msgs := fake.Messages("C1")
	if len(msgs) != 1 || string(msgs[0].Blocks) != blocks {
		t.Errorf("blocks = %s, want %s", msgs[0].Blocks, blocks)
	}
	if c := fake.Calls()[0]; c.Params.Get("blocks") != blocks || c.Token != "xoxb-test" {
		t.Errorf("call params = %v, token %q", c.Params, c.Token)
	}
	if got := MustCallRaw(t, fake, "chat.postMessage", "application/json", `{"channel":`, "xoxb-test"); got["error"] != "invalid_json" {
		t.Errorf("truncated JSON: answer = %v, want invalid_json", got)
	}
}

func TestUserInfo(t *testing.T) {
	fake, api := MustStart(t)
	fake.AddUser("U0BOB", "bob")
	got, err := api.GetUserInfo("U0BOB")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "U0BOB" || got.Name != "bob" {
		t.Errorf("user = %s %s, want U0BOB bob", got.ID, got.Name)
	}
	if _, err := api.GetUserInfo("U0NOBODY"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("unknown user: err = %v, want user_not_found", err)
	}
}

// Concurrent posts all land, with unique increasing timestamps, and WaitFor
// sees them without sleeping.
func TestConcurrentPostsAndWaitFor(t *testing.T) {
	fake, api := MustStart(t)
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { MustPost(t, api, "C1") })
	}
	err := fake.WaitFor(WaitCtx(t), func(s *fakeslack.Server) bool { return len(s.Messages("C1")) == n })
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	msgs := fake.Messages("C1")
	for i := 1; i < len(msgs); i++ {
		if msgs[i].TS <= msgs[i-1].TS {
			t.Errorf("ts %s after %s: not increasing", msgs[i].TS, msgs[i-1].TS)
		}
	}
	// A ts is the wall clock, as Slack's are.
	if sec, _, _ := strings.Cut(msgs[0].TS, "."); sec != strconv.FormatInt(time.Now().Unix(), 10) && sec != strconv.FormatInt(time.Now().Unix()-1, 10) {
		t.Errorf("first ts = %s, want about %d", msgs[0].TS, time.Now().Unix())
	}
}

func TestWaitForGivesUp(t *testing.T) {
	fake, _ := MustStart(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := fake.WaitFor(ctx, func(*fakeslack.Server) bool { return false }); err == nil {
		t.Error("WaitFor on a condition that never holds returned nil")
	}
}

func TestReset(t *testing.T) {
	fake, api := MustStart(t)
	fake.AddChannel("C1")
	before := MustPost(t, api, "C1")
	fake.FailNext("*", 5, fakeslack.Failure{Status: 500})
	fake.Reset()
	if len(fake.Calls()) != 0 || len(fake.Messages("C1")) != 0 {
		t.Fatalf("after Reset: %d calls, %d messages", len(fake.Calls()), len(fake.Messages("C1")))
	}
	after := MustPost(t, api, "C1") // the fault was cleared, the channel kept
	if after <= before {
		t.Errorf("ts after Reset %s, not after %s", after, before)
	}
	if _, _, err := api.PostMessage("C2", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("restriction lost in Reset: err = %v", err)
	}
}

func TestResponseURL(t *testing.T) {
	fake, api := MustStart(t)
	url := fake.ResponseURL()
	blocks := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Rollout 25% + ramp", false, false), nil, nil)
	_, _, err := api.PostMessage("", slack.MsgOptionText("done", false), slack.MsgOptionBlocks(blocks),
		slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel), slack.MsgOptionReplaceOriginal(url))
	if err != nil {
		t.Fatal(err)
	}
	got := fake.Responses()
	if len(got) != 1 {
		t.Fatalf("responses = %d, want 1", len(got))
	}
	want, _ := json.Marshal([]slack.Block{blocks})
	r := got[0]
	if r.URL != url || r.Text != "done" || !r.ReplaceOriginal || string(r.Blocks) != string(want) {
		t.Errorf("response = %+v, want text done, replace_original, blocks %s at %s", r, want, url)
	}
}

// The webhook receiver records any body, even one that is not what its
// Content-Type says, and "*" faults reach it.
func TestWebhook(t *testing.T) {
	fake, _ := MustStart(t)
	url := fake.WebhookURL()
	fake.FailNext("*", 1, fakeslack.Failure{Status: http.StatusServiceUnavailable})
	var statuses []int
	for _, body := range []string{`{"decision":"ship"}`, `{"decision":"ship"}`, `not json`} {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
	got := fake.Webhooks()
	if statuses[0] != http.StatusServiceUnavailable || statuses[1] != http.StatusOK || statuses[2] != http.StatusOK {
		t.Errorf("statuses = %v, want 503 then 200s", statuses)
	}
	if len(got) != 2 || string(got[0].Body) != `{"decision":"ship"}` || string(got[1].Body) != "not json" ||
		got[0].Header.Get("Content-Type") != "application/json" || got[0].URL != url {
		t.Errorf("webhooks = %+v", got)
	}
	if n := len(fake.CallsTo(fakeslack.MethodWebhook)); n != 3 {
		t.Errorf("webhook calls = %d, want 3 with the failed one", n)
	}
}
