package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/templates"
)

// TestConsole types slash commands and presses a button by its label, as a
// person would at the console, against a real database and no network.
func TestConsole(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", string(templates.ExampleConfig()))
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	script := strings.Join([]string{
		"/exp start one-click-checkout",
		`/growth goal add checkout "Ship one-click" <@U0ENG2>`,
		"/growth goals checkout",
		"Drop",          // the goal's Drop button, pressed by its label
		"/exp lsit",     // a typo
		"Launch rocket", // no such button
		":user U0STRANGER",
		"/exp kill one-click-checkout",
		":quit",
	}, "\n")
	res := run(t, script, nil, "console", "--db", db, "--files", dir)
	if res.code != 0 {
		t.Fatalf("console exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{
		"One-click checkout is running: day 1 of 14",
		"Goal #1 added for",
		"[ Drop ]",
		"Goal #1, Ship one-click, is dropped",
		`/exp has no subcommand "lsit" (did you mean "list"?)`,
		`"Launch rocket" is neither a slash command nor the label of a button on screen`,
		"now acting as U0STRANGER",
		"only members of team Checkout",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("console output lacks %q:\n%s", want, res.stdout)
		}
	}
}
