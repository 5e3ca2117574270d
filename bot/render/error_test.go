package render_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// TestErrorMrkdwn: Slack shows a domain error with its text escaped and its
// users mentioned; the domain wrote neither.
func TestErrorMrkdwn(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"users are mentioned", workflows.Errorf(workflows.EFORBIDDEN, "only %s (%s), or %s who asked",
			workflows.Users{"U0PM", "U0LEAD"}, "Checkout", workflows.User("U0ENG1")),
			"only <@U0PM>, <@U0LEAD> (Checkout), or <@U0ENG1> who asked"},
		{"no users", workflows.Errorf(workflows.EFORBIDDEN, "approvers: %s", workflows.Users{}), "approvers: nobody"},
		{"hostile text is escaped", workflows.Errorf(workflows.ENOTFOUND, "no team %q in %s", "<!channel>", "R&D <x>"),
			`no team "&lt;!channel&gt;" in R&amp;D &lt;x&gt;`},
		{"a named string type is text too", workflows.Errorf(workflows.ECONFLICT, "state %s", workflows.State("<@UEVIL>")),
			"state &lt;@UEVIL&gt;"},
		{"an error argument", workflows.Errorf(workflows.EINVALID, "bad: %v", errors.New("a<b")), "bad: a&lt;b"},
		{"numbers stay numbers", workflows.Errorf(workflows.ECONFLICT, "decision #%d waits %d day%s", int64(4), 2, "s"),
			"decision #4 waits 2 days"},
		{"the hint is escaped", workflows.Errorf(workflows.ENOTFOUND, "no %s", "x").WithHint("did you mean %q?", "<y>"),
			`no x (did you mean "&lt;y&gt;"?)`},
		{"wrapped", fmt.Errorf("ctx: %w", workflows.Errorf(workflows.EFORBIDDEN, "ask %s", workflows.User("U0LEAD"))), "ask <@U0LEAD>"},
		{"a domain error not made by Errorf", &workflows.Error{Code: workflows.EINVALID, Message: "a <b>"}, "a &lt;b&gt;"},
		{"not the domain's", errors.New("disk <full>"), "Something went wrong on our side; it has been logged."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := render.ErrorMrkdwn(tc.err); got != tc.want {
				t.Errorf("ErrorMrkdwn = %q, want %q", got, tc.want)
			}
		})
	}
}
