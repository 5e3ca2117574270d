package bot

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

// API defaults.
const (
	DefaultMaxBody  = 16 << 20
	DefaultMaxItems = 100_000
)

// Importer is what the ingestion API needs of the domain; it is
// *workflows.Service. The API decodes bodies into rows with package codec.
type Importer interface{ codec.Importer }

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
	if si, ok := imp.(SegmentImporter); ok {
		for _, call := range []string{"track", "batch"} {
			s.Handle("POST /api/v1/segment/"+call, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.serveSegment(w, r, si, call == "batch")
			}))
		}
	}
}

// SegmentImporter is what the Segment endpoints need of the domain; it is
// *workflows.Service.
type SegmentImporter interface{ codec.SegmentImporter }

// serveSegment takes a Segment track or batch call: the same token, limits
// and all-or-nothing rules as the other endpoints. The token comes as a
// bearer token or, the way Segment sends a write key, as the user of HTTP
// Basic authentication.
func (h *apiHandler) serveSegment(w http.ResponseWriter, r *http.Request, imp SegmentImporter, batch bool) {
	kind := "segment_track"
	if batch {
		kind = "segment_batch"
	}
	body, ok := h.readBody(w, r, kind)
	if !ok {
		return
	}
	report, err := codec.ImportSegment(r.Context(), imp, body, batch, workflows.ImportOptions{MaxRows: int(h.cfg.MaxItems)})
	if err != nil {
		code, reason, reply := h.errorReply(err)
		if code >= 500 {
			h.log.Error("segment import failed", "kind", kind, "err", err)
		}
		h.refuse(w, kind, code, reason, reply)
		return
	}
	h.log.Info("imported", "kind", kind, "read", report.Read, "exposures", report.Exposures, "events", report.Events,
		"duplicates", report.Duplicates, "skipped", report.Skipped)
	h.metrics.ingested(string(workflows.ImportExposures), "imported", report.Exposures)
	h.metrics.ingested(string(workflows.ImportEvents), "imported", report.Events)
	h.metrics.ingested(kind, "duplicate", report.Duplicates)
	writeJSON(w, http.StatusOK, report)
}

func (h *apiHandler) refuse(w http.ResponseWriter, kind string, code int, reason string, body apiError) {
	h.metrics.refused(kind, reason)
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="growthbot"`)
	}
	writeJSON(w, code, body)
}

// readBody checks the token and the size and reads the body whole (it is
// bounded) before any write transaction begins, so that a slow client
// cannot hold the database's single writer while it trickles bytes in. It
// answers the request itself when it returns false.
func (h *apiHandler) readBody(w http.ResponseWriter, r *http.Request, kind string) (*bytes.Buffer, bool) {
	switch {
	case h.tokenSum == nil:
		h.refuse(w, kind, http.StatusServiceUnavailable, "disabled", apiError{Error: "the API is disabled: set GROWTHBOT_API_TOKEN"})
		return nil, false
	case !authorized(r, h.tokenSum):
		msg := "send the API token as Authorization: Bearer TOKEN"
		if strings.HasPrefix(kind, "segment") {
			msg += ", or as the user of HTTP Basic authentication (Segment's write key)"
		}
		h.refuse(w, kind, http.StatusUnauthorized, "unauthorized", apiError{Error: msg})
		return nil, false
	case r.ContentLength > h.cfg.MaxBody:
		h.refuse(w, kind, http.StatusRequestEntityTooLarge, "too_large", apiError{Error: h.tooLarge()})
		return nil, false
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(w, kind, http.StatusRequestEntityTooLarge, "too_large", apiError{Error: h.tooLarge()})
			return nil, false
		}
		h.refuse(w, kind, http.StatusBadRequest, "unreadable", apiError{Error: "could not read the request body"})
		return nil, false
	}
	return &body, true
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
	refuse := func(code int, reason string, body apiError) { h.refuse(w, string(kind), code, reason, body) }
	body, ok := h.readBody(w, r, string(kind))
	if !ok {
		return
	}
	format := codec.FormatAuto
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "text/csv" {
		format = codec.FormatCSV
	}
	report, err := codec.Import(r.Context(), h.imp, kind, body, format, apiSource, workflows.ImportOptions{MaxRows: int(h.cfg.MaxItems)})
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
	h.metrics.ingested(string(kind), "imported", report.Imported)
	h.metrics.ingested(string(kind), "duplicate", report.Duplicates)
	writeJSON(w, http.StatusOK, apiReport{Kind: kind, Read: report.Read, Imported: report.Imported, Duplicates: report.Duplicates})
}

// authorized reports whether r carries the bearer token whose SHA-256 is
// tokenSum. It compares in constant time: SHA-256 digests have equal
// lengths, so even the token's length does not leak.
func authorized(r *http.Request, tokenSum []byte) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case !ok:
		return false
	case strings.EqualFold(scheme, "Basic"):
		user, _, ok := r.BasicAuth()
		if !ok {
			return false
		}
		token = user
	case !strings.EqualFold(scheme, "Bearer"):
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
