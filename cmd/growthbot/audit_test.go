package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/templates"
)

func TestAuditCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "growthbot.yaml", string(templates.ExampleConfig()))
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatalf("apply: %+v", res)
	}
	ctx := context.Background()
	e := &env{getenv: func(string) string { return "" }, log: slog.New(slog.DiscardHandler)}
	a, err := openApp(ctx, e, db, appOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc := a.svc
	if _, err := svc.StartExperiment(ctx, "U0ENG1", "one-click-checkout"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Kill(ctx, "U0ENG2", "one-click-checkout", "errors up\nin Safari"); err != nil {
		t.Fatal(err)
	}
	a.Close()

	table := run(t, "", nil, "audit", "--db", db, "--experiment", "one-click-checkout")
	if table.code != 0 {
		t.Fatalf("audit: %+v", table)
	}
	lines := strings.Split(strings.TrimSpace(table.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "TIME ") {
		t.Fatalf("want a header and 3 changes:\n%s", table.stdout)
	}
	for i, want := range [][]string{
		{"config", "experiment.create", "experiment:one-click-checkout", "created"},
		{"U0ENG1", "experiment.start", "State changed from draft to running. Planned end set to ", " UTC."},
		{"U0ENG2", "experiment.kill", "decision #1: kill: errors up in Safari (kill switch: immediate)", "State changed from running to killed.",
			"Winner set to control.", "Rollout changed from 100 % to 0 %."},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("line %d lacks %q: %s", i+1, w, lines[i+1])
			}
		}
	}
	// People read sentences: no Go field names, no JSON, no RFC 3339.
	for _, bad := range []string{"State:", "RolloutPercent", "EndsAt", "→", "{", "T09:00:00Z", `""`} {
		if strings.Contains(table.stdout, bad) {
			t.Errorf("the table shows %q:\n%s", bad, table.stdout)
		}
	}

	all := run(t, "", nil, "audit", "--db", db, "--limit", "2", "--json")
	var entries []struct {
		Action  string `json:"action"`
		Changes []struct {
			Field  string          `json:"field"`
			Before json.RawMessage `json:"before"`
			After  json.RawMessage `json:"after"`
		} `json:"changes"`
		After map[string]any `json:"after"`
	}
	if err := json.Unmarshal([]byte(all.stdout), &entries); err != nil || all.code != 0 {
		t.Fatalf("audit --json: %v\n%+v", err, all)
	}
	if len(entries) != 2 || entries[1].Action != "experiment.kill" || entries[1].After["State"] != "killed" {
		t.Fatalf("the newest two entries: %+v", entries)
	}
	if c := entries[1].Changes; len(c) == 0 || c[0].Field != "DecidedAt" {
		t.Errorf("changes of the kill: %+v", c)
	}

	typo := run(t, "", nil, "audit", "--db", db, "--experiment", "one-click-chekout")
	if typo.code != 1 || !strings.Contains(typo.stderr, `no experiment "one-click-chekout" (did you mean "one-click-checkout"?)`) {
		t.Errorf("an unknown experiment: %+v", typo)
	}
	if bad := run(t, "", nil, "audit", "--db", db, "--limit", "-1"); bad.code != 2 {
		t.Errorf("a negative limit: %+v", bad)
	}
}
