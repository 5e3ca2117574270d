package httpapi

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

	"github.com/growthbot/growthbot/bot/internal/jsonreply"
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
	h := &apiHandler{imp: imp, cfg: cfg, token: newAPIToken(cfg.Token), log: s.log.With("component", "api"), metrics: s.metrics}
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
		h.refuse(w, kind, err)
		return
	}
	h.log.Info("imported", "kind", kind, "read", report.Read, "exposures", report.Exposures, "events", report.Events,
		"duplicates", report.Duplicates, "skipped", report.Skipped)
	h.metrics.ingested(string(workflows.ImportExposures), "imported", report.Exposures)
	h.metrics.ingested(string(workflows.ImportEvents), "imported", report.Events)
	h.metrics.ingested(kind, "duplicate", report.Duplicates)
	jsonreply.Write(w, http.StatusOK, report)
}

// refuse answers an ingestion request with its error, and counts it.
func (h *apiHandler) refuse(w http.ResponseWriter, kind string, err error) {
	status, reason, body := apiReply(h.log.With("kind", kind), "import failed", err)
	h.metrics.refused(kind, reason)
	writeAPIError(w, status, body)
}

// readBody checks the token and the size and reads the body whole (it is
// bounded) before any write transaction begins, so that a slow client
// cannot hold the database's single writer while it trickles bytes in. It
// answers the request itself when it returns false.
func (h *apiHandler) readBody(w http.ResponseWriter, r *http.Request, kind string) (*bytes.Buffer, bool) {
	tokenHint := ""
	if strings.HasPrefix(kind, "segment") {
		tokenHint = ", or as the user of HTTP Basic authentication (Segment's write key)"
	}
	if err := h.token.check(r, false, tokenHint); err != nil {
		h.refuse(w, kind, err)
		return nil, false
	}
	if r.ContentLength > h.cfg.MaxBody {
		h.refuse(w, kind, h.tooLarge())
		return nil, false
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(w, kind, h.tooLarge())
			return nil, false
		}
		h.refuse(w, kind, &httpError{status: http.StatusBadRequest, reason: "unreadable", msg: "could not read the request body"})
		return nil, false
	}
	return &body, true
}

type apiHandler struct {
	imp     Importer
	cfg     APIConfig
	token   apiToken
	log     *slog.Logger
	metrics *Metrics
}

// apiReport is the body of a successful import.
type apiReport struct {
	Kind       workflows.ImportKind `json:"kind"`
	Read       int64                `json:"read"`
	Imported   int64                `json:"imported"`
	Duplicates int64                `json:"duplicates"`
}

func (h *apiHandler) serve(w http.ResponseWriter, r *http.Request, kind workflows.ImportKind) {
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
		h.refuse(w, string(kind), err)
		return
	}
	h.log.Info("imported", "kind", kind, "read", report.Read, "imported", report.Imported, "duplicates", report.Duplicates,
		"duration", report.Duration)
	h.metrics.ingested(string(kind), "imported", report.Imported)
	h.metrics.ingested(string(kind), "duplicate", report.Duplicates)
	jsonreply.Write(w, http.StatusOK, apiReport{Kind: kind, Read: report.Read, Imported: report.Imported, Duplicates: report.Duplicates})
}

func (h *apiHandler) tooLarge() error {
	return &httpError{status: http.StatusRequestEntityTooLarge, reason: "too_large",
		msg: fmt.Sprintf("the request body is larger than %d bytes (the server's --max-body): send the rows in smaller requests", h.cfg.MaxBody)}
}

// apiToken is the one token check of the HTTP API (ingestion, the flags
// API, OFREP and /metrics on the main address). It is the API's bearer token, kept as its SHA-256; nil when none
// is set, which disables the API.
type apiToken struct{ sum []byte }

func newAPIToken(token string) apiToken {
	if token == "" {
		return apiToken{}
	}
	sum := sha256.Sum256([]byte(token))
	return apiToken{sum: sum[:]}
}

// errAPIDisabled refuses every request when no token is set.
var errAPIDisabled = &httpError{status: http.StatusServiceUnavailable, reason: "disabled", msg: "the API is disabled: set GROWTHBOT_API_TOKEN"}

// noTokenMessage refuses a request without the token.
const noTokenMessage = "send the API token as Authorization: Bearer TOKEN"

// check returns nil when r carries the token: as a bearer token, as the
// user of HTTP Basic authentication (the way Segment sends a write key)
// or, where apiKey allows it (OFREP), in X-API-Key. Otherwise it returns
// an *httpError: 503 when no token is set, else 401, whose message ends
// with hint. It compares digests in constant time: they have equal
// lengths, so even the token's length does not leak.
func (t apiToken) check(r *http.Request, apiKey bool, hint string) error {
	if t.sum == nil {
		return errAPIDisabled
	}
	if t.authorized(credential(r)) || (apiKey && t.authorized(r.Header.Get("X-API-Key"))) {
		return nil
	}
	return &httpError{status: http.StatusUnauthorized, reason: "unauthorized", msg: noTokenMessage + hint}
}

// authorized reports whether token is the API's token. An empty token
// never is: no token hashes to the digest of an unset one (nil).
func (t apiToken) authorized(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], t.sum) == 1
}

// credential returns the token of an Authorization header: a bearer
// token, or the user of Basic authentication.
func credential(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case !ok:
		return ""
	case strings.EqualFold(scheme, "Basic"):
		user, _, _ := r.BasicAuth()
		return user
	case strings.EqualFold(scheme, "Bearer"):
		return strings.TrimSpace(token)
	}
	return ""
}
