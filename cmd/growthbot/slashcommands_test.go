package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
)

// TestServeRenamedCommands: a workspace where another app owns /exp
// installs growthbot as /gb-exp and /gb-growth. serve answers signed
// requests of the renamed commands, its help and usage lines show the
// names users type, and the usual names are refused as unknown.
func TestServeRenamedCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatalf("apply: %+v", res)
	}
	// The growth command is given without its slash, as an operator may.
	s := startSlackServe(t, db, map[string]string{envExpCommand: "/gb-exp", envGrowthCommand: "gb-growth"})
	text := func(raw string) string {
		t.Helper()
		var r struct{ Text, Blocks json.RawMessage }
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			t.Fatalf("reply %q: %v", raw, err)
		}
		return string(r.Text) + string(r.Blocks)
	}
	tests := []struct {
		name, command, text string
		want                []string
	}{
		{"help", "/gb-exp", "help", []string{"growthbot: /gb-exp commands", "`/gb-exp ship KEY [VARIANT] [-- REASON]`", "`/gb-exp history KEY`"}},
		{"growth help", "/gb-growth", "", []string{"`/gb-growth goal add TEAM \\\"TITLE\\\" [@OWNER] [QUARTER]`"}},
		{"a command", "/gb-exp", "list checkout", []string{"one-click-checkout", "`/gb-exp status KEY` for a scorecard"}},
		{"a reply naming a command", "/gb-growth", `goal add checkout "Faster checkout" <@U0ENG1>`, []string{"Mark it with `/gb-growth goal done 1`"}},
		{"goals", "/gb-growth", "goals checkout", []string{"`/gb-growth goal done ID`"}},
		{"usage of a mistyped subcommand", "/gb-exp", "shp one-click-checkout", []string{`/gb-exp has no subcommand \"shp\"`, "/gb-exp ship KEY [VARIANT] [-- REASON]"}},
		{"usage of a malformed command", "/gb-growth", "goal done twelve", []string{"/gb-growth goal done ID", "/gb-growth goals lists them"}},
		{"the usual name", "/exp", "list", []string{"growthbot does not know the command /exp", "/gb-exp help or /gb-growth help"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := text(s.command("U0ENG1", "C0CHECKOUT", tc.command, tc.text))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s %s: the reply does not say %q:\n%s", tc.command, tc.text, w, got)
				}
			}
			if strings.Contains(got, "`/exp ") || strings.Contains(got, "`/growth ") {
				t.Errorf("%s %s: the reply shows a usual name:\n%s", tc.command, tc.text, got)
			}
		})
	}
	// Messages posted to a channel name the commands as installed too: the
	// decision request's "/gb-exp history KEY".
	s.command("U0ENG1", "C0CHECKOUT", "/gb-exp", "start one-click-checkout")
	s.command("U0ENG1", "C0CHECKOUT", "/gb-exp", "ship one-click-checkout -- looks good")
	s.wait("the decision request", func(f *fakeslack.Server) bool {
		return countTexts(f, "C0CHECKOUT", "`/gb-exp history one-click-checkout` lists every change") == 1
	})
	for _, text := range allTexts(s.fake, "C0CHECKOUT") {
		if strings.Contains(text, "`/exp ") || strings.Contains(text, "`/growth ") {
			t.Errorf("a post shows a usual name:\n%s", text)
		}
	}

	// The App Home points at the help under its installed names.
	s.post("/slack/events", fakeslack.EventBody(fakeslack.EventCallback{UserID: "U0ENG1"}))
	s.wait("App Home", func(f *fakeslack.Server) bool { _, ok := f.HomeViews()["U0ENG1"]; return ok })
	if home := string(s.fake.HomeViews()["U0ENG1"].Blocks); !strings.Contains(home, "`/gb-exp help` and `/gb-growth help` list the commands") {
		t.Errorf("App Home does not name the installed commands:\n%s", home)
	}
}

// TestServeRefusesBadCommandNames: a name Slack would not accept, or one
// name for both commands, stops serve before it starts, naming the flag.
func TestServeRefusesBadCommandNames(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"upper case", map[string]string{envExpCommand: "/Exp"}, nil, `"/Exp" is not a slash command Slack accepts`},
		{"a space", nil, []string{"--growth-command", "/gb growth"}, `"/gb growth" is not a slash command`},
		{"too long", nil, []string{"--exp-command", "/" + strings.Repeat("x", 32)}, "up to 31"},
		{"one name for both", map[string]string{envExpCommand: "/gb", envGrowthCommand: "/gb"}, nil, "both /gb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{envDB: db}
			for k, v := range tc.vars {
				vars[k] = v
			}
			res := run(t, "", vars, append([]string{"serve", "--create-db", "--addr", "127.0.0.1:0"}, tc.args...)...)
			if res.code != 2 || !strings.Contains(res.stderr, tc.want) || !strings.Contains(res.stderr, "--exp-command") {
				t.Errorf("serve: exit %d, stderr %q; want 2 and %q", res.code, res.stderr, tc.want)
			}
		})
	}
}
