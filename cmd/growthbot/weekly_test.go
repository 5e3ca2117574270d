package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// TestWeeklyUpdate runs the weekly job through the binary: it is in the
// job table (`jobs list`), posts each team's update once per week however
// often it runs, says what started and what waits on whom, and a quiet
// week in one line.
func TestWeeklyUpdate(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", string(templates.ExampleConfig()))
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	script := "/exp start one-click-checkout\n/exp ship one-click-checkout treatment -- the early numbers look good\n:quit\n"
	if res := run(t, script, nil, "console", "--db", db, "--files", dir); res.code != 0 || !strings.Contains(res.stdout, "approv") {
		t.Fatalf("console: %+v", res)
	}
	if list := run(t, "", nil, "jobs", "list", "--db", db); !strings.Contains(list.stdout, "weekly") || !strings.Contains(list.stdout, "0 9 * * 1") {
		t.Errorf("jobs list has no weekly job:\n%s", list.stdout)
	}
	// Next week's update reports on this week, when the experiment started.
	week := workflows.ISOWeek(time.Now().In(mustLoad(t, "Europe/Berlin")).AddDate(0, 0, 7))
	for i, want := range []string{"weekly checkout " + week + ": posted to C0CHECKOUT", "skipped"} {
		res := run(t, "", nil, "jobs", "run", "weekly", "--team", "checkout", "--period", week, "--db", db)
		if res.code != 0 || !strings.Contains(res.stdout, want) {
			t.Errorf("run %d: %+v, want %q", i+1, res, want)
		}
	}
	if res := run(t, "", nil, "jobs", "run", "weekly", "--team", "onboarding", "--period", week, "--db", db); res.code != 0 ||
		!strings.Contains(res.stdout, "posted (a quiet week) to C0ONBOARD") {
		t.Errorf("onboarding: %+v", res)
	}
	if res := run(t, "", nil, "jobs", "run", "weekly", "--period", "2026-W60", "--db", db); res.code == 0 ||
		!strings.Contains(res.stderr, `period "2026-W60"`) {
		t.Errorf("a bad week: %+v", res)
	}
	s := startSlackServe(t, db, nil)
	s.wait("the updates", func(f *fakeslack.Server) bool {
		return countTexts(f, "C0CHECKOUT", "Waiting for a decision") == 1 && countTexts(f, "C0ONBOARD", "A quiet week for Onboarding") == 1
	})
	for _, want := range []string{"*Started:* *One-click checkout* (`one-click-checkout`)",
		"*ship* of *One-click checkout* (`one-click-checkout`), requested by <@U0ENG1>", "waits on <@U0PM> or <@U0LEAD>"} {
		if countTexts(s.fake, "C0CHECKOUT", want) != 1 {
			t.Errorf("the checkout update lacks %q:\n%s", want, strings.Join(allTexts(s.fake, "C0CHECKOUT"), "\n"))
		}
	}
	if n := len(s.fake.Messages("C0ONBOARD")); n != 1 {
		t.Errorf("%d messages in the quiet channel, want the one line", n)
	}
}
