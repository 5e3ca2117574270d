package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
)

// TestApplyWarnsOfABigTeam: a team of 8 people applies (exit 0) with a
// warning that names the limit, and its members' App Home says so.
func TestApplyWarnsOfABigTeam(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := strings.Replace(string(templates.ExampleConfig()), "members: [U0ENG1, U0ENG2]",
		"members: [U0ENG1, U0ENG2, U0ENG4, U0ENG5, U0ENG6, U0ENG7]", 1)
	res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", cfg), "--db", db)
	if res.code != 0 {
		t.Fatalf("apply of a big team: %+v", res)
	}
	if !strings.Contains(res.stderr, "warning: ") || !strings.Contains(res.stderr, "team checkout has 8 people") ||
		!strings.Contains(res.stderr, "more than settings.max_team_size of 6") || strings.Contains(res.stderr, "onboarding") {
		t.Errorf("no warning naming the limit for checkout alone: %q", res.stderr)
	}
	// A raised limit: no warning.
	raised := strings.Replace(cfg, "max_team_size: 6", "max_team_size: 8", 1)
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "raised.yaml", raised), "--db", db); res.code != 0 || res.stderr != "" {
		t.Errorf("apply with max_team_size 8: %+v", res)
	}
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "bad.yaml", strings.Replace(cfg, "max_team_size: 6", "max_team_size: -1", 1)),
		"--db", db); res.code == 0 || !strings.Contains(res.stderr, "max_team_size must be 0") {
		t.Errorf("apply with max_team_size -1: %+v", res)
	}
	run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", cfg), "--db", db)

	s := startSlackServe(t, db, nil)
	s.post("/slack/events", fakeslack.EventBody(fakeslack.EventCallback{UserID: "U0ENG4"}))
	s.wait("App Home", func(f *fakeslack.Server) bool { _, ok := f.HomeViews()["U0ENG4"]; return ok })
	home := string(s.fake.HomeViews()["U0ENG4"].Blocks)
	if !strings.Contains(home, "*Checkout* has 8 people, more than the limit of 6 (`settings.max_team_size`)") {
		t.Errorf("App Home does not show the team size:\n%s", home)
	}
	s.post("/slack/events", fakeslack.EventBody(fakeslack.EventCallback{UserID: "U0ENG3"}))
	s.wait("App Home", func(f *fakeslack.Server) bool { _, ok := f.HomeViews()["U0ENG3"]; return ok })
	if home := string(s.fake.HomeViews()["U0ENG3"].Blocks); strings.Contains(home, "max_team_size") {
		t.Errorf("a small team's App Home warns:\n%s", home)
	}
}
