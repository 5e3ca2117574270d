package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs the README's first Quickstart command end to end: it must
// work with no Slack, no network and no tokens.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	args := []string{"demo", "--db", filepath.Join(dir, "demo.db"), "--out", filepath.Join(dir, "out")}
	for i := range 2 { // a second run replaces the first database
		res := run(t, "", nil, args...)
		if res.code != 0 {
			t.Fatalf("run %d: exit %d\n%s\n%s", i+1, res.code, res.stdout, res.stderr)
		}
		// stderr shares the terminal: a log line would land in the
		// middle of the transcript.
		if res.stderr != "" {
			t.Errorf("run %d: the demo wrote to standard error:\n%s", i+1, res.stderr)
		}
		for _, want := range []string{"applied again: 0 created, 0 updated, 12 unchanged (idempotent)", "nothing applied", "/exp start one-click-checkout -> running",
			// The events name their team: each review computes its own
			// retention, beside the company-wide figure.
			"computed from the team's events", "Checkout's own above count the events attributed to it"} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("run %d: demo output lacks %q:\n%s", i+1, want, res.stdout)
			}
		}
	}
}
