package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
)

// slackServe is `growthbot serve` (in process) over a database, talking to
// the fake Slack, with requests signed as Slack signs them.
type slackServe struct {
	t    *testing.T
	fake *fakeslack.Server
	base string
	stop func() int
}

const serveSecret = "serve-test-signing-secret"

func startSlackServe(t *testing.T, db string, vars map[string]string) *slackServe {
	t.Helper()
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	env := map[string]string{envDB: db, envSigningSecret: serveSecret, envBotToken: "xoxb-test", envSlackAPIURL: fake.APIURL()}
	for k, v := range vars {
		env[k] = v
	}
	base, stop := startServe(t, env)
	return &slackServe{t: t, fake: fake, base: base, stop: stop}
}

// post sends a signed body to one of serve's Slack endpoints and returns
// the reply.
func (s *slackServe) post(path string, body []byte) string {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	fakeslack.Sign(req, body, serveSecret, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("%s: %d %s", path, resp.StatusCode, out)
	}
	return string(out)
}

// command types a slash command as user in channel and returns the
// immediate reply.
func (s *slackServe) command(user, channel, command, text string) string {
	s.t.Helper()
	return s.post("/slack/commands", fakeslack.CommandBody(fakeslack.Command{Command: command, Text: text, UserID: user,
		ChannelID: channel, ResponseURL: s.fake.ResponseURL()}))
}

// wait waits until cond holds in the fake Slack.
func (s *slackServe) wait(what string, cond func(*fakeslack.Server) bool) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.fake.WaitFor(ctx, cond); err != nil {
		s.t.Fatalf("waiting for %s: %v", what, err)
	}
}
