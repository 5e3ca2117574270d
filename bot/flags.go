package bot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/growthbot/growthbot/workflows"
)

// FlagSource is what the flags API needs of the domain; it is
// *workflows.Service.
type FlagSource interface {
	Flags(ctx context.Context) ([]workflows.Flag, error)
	Evaluate(ctx context.Context, key, unit string) (workflows.Assignment, error)
}

// MountFlags mounts the flags API, which makes rollouts real: services poll
// GET /api/v1/flags for every experiment's state, cheaply thanks to its
// ETag, and bucket units themselves, or ask GET
// /api/v1/flags/{key}/evaluate?unit_id=U. It takes the ingestion API's
// bearer token (cfg.Token); without one it is disabled.
func (s *Server) MountFlags(src FlagSource, cfg APIConfig) {
	h := &flagsHandler{src: src, auth: &apiHandler{}, log: s.log.With("component", "flags")}
	if cfg.Token != "" {
		sum := sha256.Sum256([]byte(cfg.Token))
		h.auth.tokenSum = sum[:]
	}
	s.Handle("GET /api/v1/flags", h.guard(h.list))
	s.Handle("GET /api/v1/flags/{key}/evaluate", h.guard(h.evaluate))
}

type flagsHandler struct {
	src  FlagSource
	auth *apiHandler // its bearer-token check
	log  *slog.Logger
}

// guard lets only requests with the API token through.
func (h *flagsHandler) guard(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case h.auth.tokenSum == nil:
			writeJSON(w, http.StatusServiceUnavailable, apiError{Error: "the API is disabled: set GROWTHBOT_API_TOKEN"})
		case !authorized(r, h.auth.tokenSum):
			w.Header().Set("WWW-Authenticate", `Bearer realm="growthbot"`)
			writeJSON(w, http.StatusUnauthorized, apiError{Error: "send the API token as Authorization: Bearer TOKEN"})
		default:
			next(w, r)
		}
	})
}

// list answers with every flag. Its ETag is a digest of the body, so it
// changes exactly when some experiment's state does, and a poller that
// sends it back in If-None-Match gets an empty 304 until then.
func (h *flagsHandler) list(w http.ResponseWriter, r *http.Request) {
	flags, err := h.src.Flags(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string][]workflows.Flag{"flags": flags}); err != nil {
		h.fail(w, err)
		return
	}
	sum := sha256.Sum256(body.Bytes())
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body.Bytes())
}

// etagMatches reports whether an If-None-Match header names etag (weakly
// compared, as RFC 9110 says for If-None-Match) or is "*".
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func (h *flagsHandler) evaluate(w http.ResponseWriter, r *http.Request) {
	a, err := h.src.Evaluate(r.Context(), r.PathValue("key"), r.URL.Query().Get("unit_id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// fail answers with the status of the error's code; internal errors are
// logged and not shown.
func (h *flagsHandler) fail(w http.ResponseWriter, err error) {
	code := workflows.ErrorCode(err)
	status, ok := apiStatus[code]
	if !ok || code == workflows.EINTERNAL {
		h.log.Error("flags API failed", "err", err)
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, apiError{Error: workflows.ErrorMessage(err)})
}
