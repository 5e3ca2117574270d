package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
)

// serve checks the team channels when it starts and after apply: it joins
// public ones, and logs what to do about a private one it was not invited
// to.
func TestServeJoinsTeamChannels(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	fake := fakeslack.New()
	defer fake.Close()
	fake.DeclareChannel(fakeslack.Channel{ID: "C0CHECKOUT", Name: "checkout"})
	fake.DeclareChannel(fakeslack.Channel{ID: "C0ONBOARD", Name: "onboarding", Private: true})
	fake.DeclareChannel(fakeslack.Channel{ID: "C0GROWTH", Name: "growth"})
	fake.SetScopes(manifestScopes(t)...) // exactly what the app is granted
	vars := map[string]string{envDB: db, envBotToken: "xoxb-test", envSlackAPIURL: fake.APIURL()}
	_, stop, logs := startServeLogged(t, vars, "--poll", "50ms")

	member := func(id string) bool {
		for _, c := range fake.Channels() {
			if c.ID == id {
				return c.Member
			}
		}
		return false
	}
	waitUntil(t, "joining #checkout and asking for an invite to #onboarding", func() bool {
		return member("C0CHECKOUT") && strings.Contains(logs.String(), "Invite @growthbot to <#C0ONBOARD>")
	}, logs.String)

	team := "teams:\n  - {key: growth, name: Growth, channel: C0GROWTH, lead: U0GLEAD, approvers: [U0GLEAD]}\n"
	if res := run(t, "", vars, "apply", "-f", writeFile(t, dir, "team.yaml", team)); res.code != 0 {
		t.Fatal(res)
	}
	waitUntil(t, "joining the new team's channel", func() bool { return member("C0GROWTH") }, logs.String)
	if member("C0ONBOARD") {
		t.Error("the bot got into a private channel without an invite")
	}
	for _, c := range fake.Calls() {
		if c.Error == "missing_scope" {
			t.Errorf("%s needs a scope the manifest does not ask for", c.Method)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
}
