package bot_test

import (
	"strings"
	"testing"
)

// TestErrorRepliesMentionUsers: through Slack, a refusal mentions the
// people it names, as Slack mentions.
func TestErrorRepliesMentionUsers(t *testing.T) {
	b := newTestBot(t)
	r := b.command("U0STRANGER", "/exp", "start one-click-checkout")
	for _, want := range []string{"<@U0STRANGER> is not one", "ask <@U0LEAD>, the team's lead, to add you"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("reply lacks %q: %s", want, r.Text)
		}
	}
	b.command("U0ENG1", "/exp", "start one-click-checkout")
	b.command("U0ENG1", "/exp", "kill one-click-checkout -- errors up")
	r = b.command("U0ENG2", "/exp", "kill one-click-checkout")
	if !strings.Contains(r.Text, "already killed by <@U0ENG1> just now") {
		t.Errorf("killing a killed experiment: %s", r.Text)
	}
}
