package fakeslack

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Failure is a fault to inject into a call, to test retries, backoff and
// crash recovery. Fields combine: Delay is waited first, then Drop, Status or
// Error decide the answer; with only Delay the call is then answered normally.
type Failure struct {
	// Status is an HTTP status to answer with. 429 comes with a Retry-After
	// header and {"ok":false,"error":"ratelimited"}, as Slack's rate limiter
	// answers; any other status with a short HTML page, as Slack's edge does.
	Status int
	// RetryAfter is sent with a 429, rounded up to whole seconds because the
	// header carries seconds and slack-go parses it as an integer.
	RetryAfter time.Duration
	// Error is a Slack error code to answer with HTTP 200 and ok:false.
	Error string
	// Delay holds the answer back, or until the client gives up, to simulate
	// a slow Slack and exercise client timeouts.
	Delay time.Duration
	// Drop closes the connection without an answer, as SetDown does.
	Drop bool
}

// FailNext makes the next n calls to method fail as f. method "*" matches any
// call, uploads, response URLs and webhooks included; a method's own queue is
// used before the "*" queue. Faults queue up in the order they were added.
func (s *Server) FailNext(method string, n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], f)
	}
}

// SetDown makes Slack unreachable: while down, every connection is closed
// without an answer. Calls are still recorded, with a Drop failure.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// takeFailure pops the fault for the next call to method, if there is one.
func (s *Server) takeFailure(method string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return Failure{Drop: true}, true
	}
	for _, key := range []string{method, "*"} {
		if q := s.failures[key]; len(q) > 0 {
			s.failures[key] = q[1:]
			return q[0], true
		}
	}
	return Failure{}, false
}

// response is the answer the failure dictates, if it dictates one.
func (f Failure) response() (response, bool) {
	switch {
	case f.Status == http.StatusTooManyRequests:
		resp := apiError(errRateLimited)
		resp.status = f.Status
		resp.retryAfter = strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds())))
		return resp, true
	case f.Status != 0:
		page := "<html><body><h1>" + strconv.Itoa(f.Status) + " " + http.StatusText(f.Status) + "</h1></body></html>"
		return response{status: f.Status, contentType: "text/html; charset=utf-8", body: []byte(page)}, true
	case f.Error != "":
		return apiError(slackError(f.Error)), true
	}
	return response{}, false
}
