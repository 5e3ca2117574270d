package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/growthbot/growthbot/bot/internal/jsonreply"
	"github.com/growthbot/growthbot/workflows"
)

// The HTTP API's errors: one table from errors to replies for ingestion,
// the flags API, OFREP and /metrics (whose one token check, apiToken, is
// in api.go).

// httpError is a refusal about the request itself rather than the domain
// (no token, a body too large to read): it carries its HTTP status and the
// reason the metrics count it under.
type httpError struct {
	status int
	reason string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// apiError is the body of every refusal of the API (OFREP has its own).
type apiError struct {
	Error    string                 `json:"error"`
	Problems []workflows.RowProblem `json:"problems,omitempty"`
	// TotalProblems counts all problems when Problems lists only the
	// first.
	TotalProblems int `json:"total_problems,omitempty"`
}

// apiStatus maps domain error codes to HTTP statuses.
var apiStatus = map[string]int{
	workflows.EINVALID:   http.StatusBadRequest,
	workflows.ENOTFOUND:  http.StatusNotFound,
	workflows.ECONFLICT:  http.StatusConflict,
	workflows.EFORBIDDEN: http.StatusForbidden,
	workflows.EINTERNAL:  http.StatusInternalServerError,
}

// apiReply is the API's one place where errors become replies: the HTTP
// status, the reason the metrics count a refusal under, and the body.
// Only internal errors are logged, as what failed, and their details are
// not shown.
func apiReply(log *slog.Logger, what string, err error) (int, string, apiError) {
	var refusal *httpError
	var bad *workflows.ImportError
	var limit *workflows.LimitError
	switch {
	case errors.As(err, &refusal):
		return refusal.status, refusal.reason, apiError{Error: refusal.msg}
	case errors.As(err, &bad):
		summary, _, _ := strings.Cut(bad.Error(), "\n")
		return http.StatusBadRequest, "invalid", apiError{Error: strings.TrimSuffix(summary, ":"), Problems: bad.Problems, TotalProblems: bad.Total}
	case errors.As(err, &limit):
		return http.StatusRequestEntityTooLarge, "too_many_rows", apiError{Error: limit.Error()}
	}
	code := workflows.ErrorCode(err)
	status, ok := apiStatus[code]
	if !ok || status >= 500 {
		log.Error(what, "err", err)
		status = http.StatusInternalServerError
	}
	return status, code, apiError{Error: workflows.ErrorMessage(err)}
}

// writeAPIError writes a refusal; a 401 says which scheme to use.
func writeAPIError(w http.ResponseWriter, status int, body any) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="growthbot"`)
	}
	jsonreply.Write(w, status, body)
}
