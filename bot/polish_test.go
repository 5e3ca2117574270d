package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
)

// TestCommandPolish: what a person types the way phones and habits make
// them, and answers that say what to do next.
func TestCommandPolish(t *testing.T) {
	b := newTestBot(t)
	tests := []struct {
		name, user, command, text string
		want                      []string
	}{
		{"a typed @U mention owns the goal", "U0ENG1", "/growth", `goal add checkout "Typed owner" @U0ENG2`, []string{"owned by @U0ENG2"}},
		{"kpi defaults to your team", "U0ENG1", "/growth", "kpi", []string{"No KPIs for Checkout yet"}},
		{"stat is short for status", "U0ENG1", "/exp", "stat one-click-checkout", []string{`did you mean "status"?`}},
		{"an outsider is told whom to ask", "U0STRANGER", "/exp", "start one-click-checkout", []string{"only members of team Checkout", "ask @U0LEAD, the team's lead, to add you"}},
		{"start", "U0ENG1", "/exp", "start one-click-checkout", []string{"is running"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.command(tc.user, tc.command, tc.text)
			for _, w := range tc.want {
				if !strings.Contains(r.Plain, w) {
					t.Errorf("%s %s: reply lacks %q:\n%s", tc.command, tc.text, w, r.Plain)
				}
			}
		})
	}
	if r := b.command("U0ENG1", "/exp", "kill one-click-checkout — errors up in Safari"); !strings.Contains(r.Plain, "Killed") {
		t.Fatalf("kill with an em dash: %s", r.Plain)
	}
	if r := b.command("U0ENG1", "/exp", "history one-click-checkout"); !strings.Contains(r.Plain, "errors up in Safari") {
		t.Errorf("the reason after an em dash was not recorded:\n%s", r.Plain)
	}

	// Refused at once, so answered at once, never "working on it".
	for _, text := range []string{"status one-click-chekout", "scorecard no-such-experiment"} {
		body := fakeslack.CommandBody(fakeslack.Command{Command: "/exp", Text: text, UserID: "U0ENG1", ResponseURL: b.fake.ResponseURL()})
		r := readReply(t, b.send("/slack/commands", body, time.Now()))
		if strings.Contains(r.Plain, "Working out") || !strings.Contains(r.Plain, "no experiment") {
			t.Errorf("/exp %s: %s", text, r.Plain)
		}
	}
}

// TestGoalDoneButton: an open goal has Done and Drop; Done marks it done.
func TestGoalDoneButton(t *testing.T) {
	b := newTestBot(t)
	b.command("U0ENG1", "/growth", `goal add checkout "Faster checkout"`)
	r := b.command("U0ENG1", "/growth", "goals")
	if !strings.Contains(r.Plain, "[ Done ]  [ Drop ]") {
		t.Fatalf("goals:\n%s", r.Plain)
	}
	reply := b.pressAs("U0ENG1", "goal.done", "1")
	if !strings.Contains(reply, "is done") || goalsOf(b)[0] != "done" {
		t.Errorf("Done: %s, goals %v", reply, goalsOf(b))
	}
}
