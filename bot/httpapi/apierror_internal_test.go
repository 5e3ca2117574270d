package httpapi

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/workflows"
)

// TestAPIReply is the API's table from errors to replies: each kind of
// error gets its status, metrics reason and message, and only internal
// errors are logged.
func TestAPIReply(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		reason string
		msg    string
		logged bool
	}{
		{"no token set", errAPIDisabled, http.StatusServiceUnavailable, "disabled", "the API is disabled: set GROWTHBOT_API_TOKEN", false},
		{"wrong token", newAPIToken("t").check(&http.Request{Header: http.Header{}}, false, ""), http.StatusUnauthorized, "unauthorized", noTokenMessage, false},
		{"invalid", workflows.Errorf(workflows.EINVALID, "unit_id is empty"), http.StatusBadRequest, workflows.EINVALID, "unit_id is empty", false},
		{"not found, wrapped", fmt.Errorf("evaluate: %w", workflows.Errorf(workflows.ENOTFOUND, "no flag %q", "x")), http.StatusNotFound, workflows.ENOTFOUND, `no flag "x"`, false},
		{"conflict", workflows.Errorf(workflows.ECONFLICT, "busy"), http.StatusConflict, workflows.ECONFLICT, "busy", false},
		{"forbidden", workflows.Errorf(workflows.EFORBIDDEN, "no"), http.StatusForbidden, workflows.EFORBIDDEN, "no", false},
		{"internal, coded", workflows.Errorf(workflows.EINTERNAL, "the flags are not loaded yet"), http.StatusInternalServerError, workflows.EINTERNAL, "the flags are not loaded yet", true},
		{"internal, plain", fmt.Errorf("disk I/O error at /var/lib/x"), http.StatusInternalServerError, workflows.EINTERNAL, "Something went wrong on our side", true},
		{"rows", &workflows.ImportError{Problems: []workflows.RowProblem{{Line: 2, Message: "bad"}}, Total: 1}, http.StatusBadRequest, "invalid", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			status, reason, body := apiReply(slog.New(slog.NewTextHandler(&logs, nil)), "it failed", tc.err)
			if status != tc.status || reason != tc.reason || !strings.Contains(body.Error, tc.msg) {
				t.Errorf("got %d %q %q, want %d %q %q", status, reason, body.Error, tc.status, tc.reason, tc.msg)
			}
			if logged := strings.Contains(logs.String(), "it failed"); logged != tc.logged {
				t.Errorf("logged %v, want %v: %s", logged, tc.logged, logs.String())
			}
			if strings.Contains(body.Error, "/var/lib") {
				t.Errorf("an internal error's details are shown: %q", body.Error)
			}
		})
	}
}
