package workflows_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/workflows"
)

// TestErrorsKeepUsersAsData: a domain error's plain message names users as
// @U0PM, never in Slack's syntax, and keeps its arguments as data for the
// adapters that show them their way.
func TestErrorsKeepUsersAsData(t *testing.T) {
	tests := []struct {
		name string
		err  *workflows.Error
		want string
	}{
		{"a user", workflows.Errorf(workflows.EFORBIDDEN, "only %s can, not %s", workflows.User("U0LEAD"), workflows.User("U0X")),
			"only @U0LEAD can, not @U0X"},
		{"users", workflows.Errorf(workflows.EFORBIDDEN, "approvers: %s", workflows.Users{"U0PM", "U0LEAD"}), "approvers: @U0PM, @U0LEAD"},
		{"nobody", workflows.Errorf(workflows.EFORBIDDEN, "approvers: %s", workflows.Users(nil)), "approvers: nobody"},
		{"text as it is", workflows.Errorf(workflows.EINVALID, "team %s <b> & %q", "R&D", "<x>"), `team R&D <b> & "<x>"`},
		{"a hint", workflows.Errorf(workflows.ENOTFOUND, "no experiment %q", "x").WithHint("did you mean %q?", "y"),
			`no experiment "x" (did you mean "y"?)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			wrapped := fmt.Errorf("context: %w", tc.err)
			if got := workflows.ErrorMessage(wrapped); got != tc.want || strings.Contains(got, "<@") {
				t.Errorf("ErrorMessage = %q, want %q", got, tc.want)
			}
			var e *workflows.Error
			if !errors.As(wrapped, &e) || e.Format == "" || fmt.Sprintf(e.Format, e.Args...) != e.Message {
				t.Errorf("the format and arguments do not make the message: %+v", e)
			}
		})
	}
}
