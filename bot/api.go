package bot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/growthbot/growthbot/workflows"
)

// API defaults.
const (
	DefaultMaxBody  = 16 << 20
	DefaultMaxItems = 100_000
)

// Importer is what the ingestion API needs of the domain; it is
// *workflows.Service.
type Importer interface {
	Import(ctx context.Context, kind workflows.ImportKind, r io.Reader, format workflows.Format, source string, opts workflows.ImportOptions) (workflows.ImportReport, error)
}

// APIConfig configures the ingestion API.
type APIConfig struct {
	// Token is the bearer token clients send; empty disables the API.
	Token string
	// MaxBody is the largest request body, in bytes.
	MaxBody int64
	// MaxItems is the most rows one request may carry.
	MaxItems int64
}

// apiSource names a request's body in problems ("body:3:12: ...").
const apiSource = "body"

// MountAPI mounts the ingestion API: POST /api/v1/exposures, /api/v1/events
// and /api/v1/kpis, each taking a JSON array or NDJSON (or CSV, sent as
// text/csv) and answering with what it imported.
func (s *Server) MountAPI(imp Importer, cfg APIConfig) {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxItems <= 0 {
		cfg.MaxItems = DefaultMaxItems
	}
	s.metrics.Describe("growthbot_ingested_rows_total", "Rows sent to the ingestion API and accepted, by kind and outcome (imported or duplicate).")
	s.metrics.Describe("growthbot_ingest_refused_total", "Ingestion API requests refused, by kind and reason.")
	h := &apiHandler{imp: imp, cfg: cfg, log: s.log.With("component", "api"), metrics: s.metrics}
	if cfg.Token != "" {
		sum := sha256.Sum256([]byte(cfg.Token))
		h.tokenSum = sum[:]
	}
	for _, kind := range workflows.ImportKinds {
		s.Handle("POST /api/v1/"+string(kind), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.serve(w, r, kind)
		}))
	}
}

type apiHandler struct {
	imp      Importer
	cfg      APIConfig
	tokenSum []byte // SHA-256 of the token
	log      *slog.Logger
	metrics  *Metrics
}

// apiError is the body of every refusal.
type apiError struct {
	Error    string                 `json:"error"`
	Problems []workflows.RowProblem `json:"problems,omitempty"`
	// TotalProblems counts all problems when Problems lists only the
	// first.
	TotalProblems int `json:"total_problems,omitempty"`
}

// apiReport is the body of a successful import.
type apiReport struct {
	Kind       workflows.ImportKind `json:"kind"`
	Read       int64                `json:"read"`
	Imported   int64                `json:"imported"`
	Duplicates int64                `json:"duplicates"`
}

func (h *apiHandler) serve(w http.ResponseWriter, r *http.Request, kind workflows.ImportKind) {
	refuse := func(code int, reason string, body apiError) {
		h.metrics.Add("growthbot_ingest_refused_total", 1, "kind", string(kind), "reason", reason)
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="growthbot"`)
		}
		writeJSON(w, code, body)
	}
	switch {
	case h.tokenSum == nil:
		refuse(http.StatusServiceUnavailable, "disabled", apiError{Error: "the API is disabled: set GROWTHBOT_API_TOKEN"})
		return
	case !authorized(r, h.tokenSum):
		refuse(http.StatusUnauthorized, "unauthorized", apiError{Error: "send the API token as Authorization: Bearer TOKEN"})
		return
	case r.ContentLength > h.cfg.MaxBody:
		refuse(http.StatusRequestEntityTooLarge, "too_large", apiError{Error: h.tooLarge()})
		return
	}
	// The body is read whole (it is bounded) before the import's write
	// transaction begins, so that a slow client cannot hold the database's
	// single writer while it trickles bytes in.
	var body bytes.Buffer
	if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(http.StatusRequestEntityTooLarge, "too_large", apiError{Error: h.tooLarge()})
			return
		}
		refuse(http.StatusBadRequest, "unreadable", apiError{Error: "could not read the request body"})
		return
	}
	format := workflows.FormatAuto
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "text/csv" {
		format = workflows.FormatCSV
	}
	report, err := h.imp.Import(r.Context(), kind, &body, format, apiSource, workflows.ImportOptions{MaxRows: int(h.cfg.MaxItems)})
	if err != nil {
		code, reason, reply := h.errorReply(err)
		if code >= 500 {
			h.log.Error("import failed", "kind", kind, "err", err)
		}
		refuse(code, reason, reply)
		return
	}
	h.log.Info("imported", "kind", kind, "read", report.Read, "imported", report.Imported, "duplicates", report.Duplicates,
		"duration", report.Duration)
	h.metrics.Add("growthbot_ingested_rows_total", float64(report.Imported), "kind", string(kind), "outcome", "imported")
	h.metrics.Add("growthbot_ingested_rows_total", float64(report.Duplicates), "kind", string(kind), "outcome", "duplicate")
	writeJSON(w, http.StatusOK, apiReport{Kind: kind, Read: report.Read, Imported: report.Imported, Duplicates: report.Duplicates})
}

// authorized reports whether r carries the bearer token whose SHA-256 is
// tokenSum. It compares in constant time: SHA-256 digests have equal
// lengths, so even the token's length does not leak.
func authorized(r *http.Request, tokenSum []byte) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(sum[:], tokenSum) == 1
}

func (h *apiHandler) tooLarge() string {
	return fmt.Sprintf("the request body is larger than %d bytes (the server's --max-body): send the rows in smaller requests", h.cfg.MaxBody)
}

// apiStatus maps domain error codes to HTTP statuses: the API's one place
// for it.
var apiStatus = map[string]int{
	workflows.EINVALID:   http.StatusBadRequest,
	workflows.ENOTFOUND:  http.StatusNotFound,
	workflows.ECONFLICT:  http.StatusConflict,
	workflows.EFORBIDDEN: http.StatusForbidden,
	workflows.EINTERNAL:  http.StatusInternalServerError,
}

// errorReply turns an import's error into a status, a reason for the
// metrics and a body.
func (h *apiHandler) errorReply(err error) (int, string, apiError) {
	var bad *workflows.ImportError
	var limit *workflows.LimitError
	switch {
	case errors.As(err, &bad):
		summary, _, _ := strings.Cut(bad.Error(), "\n")
		return http.StatusBadRequest, "invalid", apiError{Error: strings.TrimSuffix(summary, ":"), Problems: bad.Problems, TotalProblems: bad.Total}
	case errors.As(err, &limit):
		return http.StatusRequestEntityTooLarge, "too_many_rows", apiError{Error: limit.Error()}
	}
	code := workflows.ErrorCode(err)
	status, ok := apiStatus[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	return status, code, apiError{Error: workflows.ErrorMessage(err)}
}
