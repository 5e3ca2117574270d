package httpapi

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/growthbot/growthbot/bot/internal/jsonreply"
	"github.com/growthbot/growthbot/workflows"
)

// MountFlags mounts the flags API and OFREP, which make rollouts real.
// Services poll GET /api/v1/flags for every experiment's state, cheaply
// thanks to its ETag, and bucket units themselves, or ask GET
// /api/v1/flags/{key}/evaluate?unit_id=U; any OpenFeature SDK evaluates
// through POST /ofrep/v1/evaluate/flags[/{key}]. Every answer comes from
// the book's snapshot in memory. It takes the ingestion API's bearer token
// (cfg.Token); without one it is disabled.
func (s *Server) MountFlags(book *workflows.FlagBook, cfg APIConfig) {
	h := &flagsHandler{book: book, token: newAPIToken(cfg.Token), log: s.log.With("component", "flags")}
	s.Handle("GET /api/v1/flags", h.guard(h.list))
	s.Handle("GET /api/v1/flags/{key}/evaluate", h.guard(h.evaluate))
	o := &ofrepHandler{flagsHandler: h, maxBody: OFREPMaxBody}
	s.Handle("POST /ofrep/v1/evaluate/flags/{key}", h.guardOFREP(o.single))
	s.Handle("POST /ofrep/v1/evaluate/flags", h.guardOFREP(o.bulk))
}

type flagsHandler struct {
	book  *workflows.FlagBook
	token apiToken
	log   *slog.Logger
}

// guard lets only requests with the API token through.
func (h *flagsHandler) guard(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h.token.check(r, false, ""); err != nil {
			h.fail(w, err)
			return
		}
		next(w, r)
	})
}

// list answers with every flag. Its ETag is a digest of the body, so it
// changes exactly when some experiment's state does, and a poller that
// sends it back in If-None-Match gets an empty 304 until then.
func (h *flagsHandler) list(w http.ResponseWriter, r *http.Request) {
	snap := h.book.Snapshot()
	if snap == nil {
		h.fail(w, workflows.Errorf(workflows.EINTERNAL, "the flags are not loaded yet"))
		return
	}
	body, etag := snap.Body()
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
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

// evaluate buckets one unit; growthbot_log_exposure=false keeps its
// exposure out of the exposure log.
func (h *flagsHandler) evaluate(w http.ResponseWriter, r *http.Request) {
	var opts workflows.EvalOptions
	switch q := r.URL.Query(); q.Get(logExposureAttr) {
	case "", "true":
	case "false":
		opts.NoExposure = true
	default:
		h.fail(w, workflows.Errorf(workflows.EINVALID, "%s must be true or false, not %q", logExposureAttr, q.Get(logExposureAttr)))
		return
	}
	unit := r.URL.Query().Get("unit_id")
	if unit == "" {
		h.fail(w, workflows.Errorf(workflows.EINVALID, "give the unit to evaluate as ?unit_id=U"))
		return
	}
	a, err := h.book.Evaluate(r.PathValue("key"), unit, opts)
	if err != nil {
		h.fail(w, err)
		return
	}
	jsonreply.Write(w, http.StatusOK, a)
}

// fail answers with the API's reply to err (apiReply).
func (h *flagsHandler) fail(w http.ResponseWriter, err error) {
	status, _, body := apiReply(h.log, "flags API failed", err)
	writeAPIError(w, status, body)
}
