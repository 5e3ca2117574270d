package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/growthbot/growthbot/bot/internal/jsonreply"
)

// Server routes growthbot's HTTP endpoints. Each part mounts its routes on it
// (MountAPI, MountSlack); the server adds health, metrics, panic recovery and
// request accounting to all of them.
type Server struct {
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *Metrics
	ready   func(context.Context) error
}

// NewServer returns a server whose /healthz answers 200 when ready returns
// nil (the database is open and migrated).
func NewServer(log *slog.Logger, ready func(context.Context) error) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: log.With("component", "http"), mux: http.NewServeMux(), metrics: NewMetrics(), ready: ready}
	s.Handle("GET /healthz", http.HandlerFunc(s.health))
	return s
}

// MetricsHandler serves the metrics in Prometheus' exposition format, to
// whoever reaches it: mount it on a listener of its own
// (GROWTHBOT_METRICS_ADDR), or on this server with MountMetrics.
func (s *Server) MetricsHandler() http.Handler {
	return s.instrument("GET /metrics", s.metrics.Handler())
}

// MountMetrics serves GET /metrics on this server (the one Slack reaches)
// only to requests that carry the API token as a bearer token: the
// metrics show traffic and ingestion counts. Without a token it refuses
// every request and says how to reach the metrics.
func (s *Server) MountMetrics(token string) {
	metrics := s.MetricsHandler()
	t := newAPIToken(token)
	s.mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := t.check(r, false, "")
		if errors.Is(err, errAPIDisabled) {
			// Without a token the metrics are not here at all: forbidden, not
			// unavailable, and the answer says where they can be.
			err = &httpError{status: http.StatusForbidden, msg: "metrics are served here only with GROWTHBOT_API_TOKEN set; or set GROWTHBOT_METRICS_ADDR to serve them on an address of their own"}
		}
		if err != nil {
			status, _, body := apiReply(s.log, "metrics failed", err)
			writeAPIError(w, status, body)
			return
		}
		metrics.ServeHTTP(w, r)
	}))
}

// Metrics returns the server's metrics registry, for parts that count their
// own work (rows ingested, messages delivered).
func (s *Server) Metrics() *Metrics { return s.metrics }

// Handle mounts h at pattern (a net/http ServeMux pattern) with recovery and
// accounting.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.instrument(pattern, h))
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			s.log.Error("health check failed", "err", err)
			jsonreply.Write(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database not ready"})
			return
		}
	}
	jsonreply.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (read
// deadlines, hijacking).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				// A bug must cost one request, never the process.
				s.log.Error("panic in handler", "route", route, "panic", p, "stack", string(debug.Stack()))
				if rec.code == 0 {
					jsonreply.Write(rec, http.StatusInternalServerError, map[string]string{"error": "internal error; it has been logged"})
				}
			}
			code := rec.code
			if code == 0 {
				code = http.StatusOK
			}
			s.metrics.request(route, code, time.Since(start))
		}()
		h.ServeHTTP(rec, r)
	})
}
