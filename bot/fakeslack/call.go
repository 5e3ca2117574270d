package fakeslack

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Call is one request the server received, failed ones included, so tests can
// count attempts as well as check what was finally delivered.
type Call struct {
	// Method is the Web API method, or MethodUpload, MethodResponse or
	// MethodWebhook for the other URLs the fake serves.
	Method string
	// URL is the request's path and query.
	URL string
	// Params holds form fields and query parameters. A JSON body is flattened
	// one top-level key at a time: a string member as its value, any other
	// member as its raw JSON text.
	Params url.Values
	// Raw is the body exactly as sent.
	Raw    []byte
	Header http.Header
	// Token is the bearer token, or the token form field slack-go sends
	// instead for form-encoded methods.
	Token string
	// Time is when the request arrived.
	Time time.Time
	// Failure is the fault applied to this call, nil if none.
	Failure *Failure
	// Status is the HTTP status answered; 0 when no answer was written
	// (a dropped connection, or a client that gave up during a Delay).
	Status int
	// Error is the Slack error code answered, empty when ok.
	Error string
}

// Calls returns every call, in the order they were answered.
func (s *Server) Calls() []Call {
	return cloned(s, &s.calls, func(c *Call) {
		// url.Values has no Clone; http.Header's deep one fits its type.
		c.Params = url.Values(http.Header(c.Params).Clone())
		c.Header, c.Raw = c.Header.Clone(), bytes.Clone(c.Raw)
	})
}

// CallsTo returns the calls to one method, in the order they were answered.
func (s *Server) CallsTo(method string) []Call {
	return slices.DeleteFunc(s.Calls(), func(c Call) bool { return c.Method != method })
}

// cloned copies a recorded list for a caller outside the lock; own gives an
// element its own copies of what it references, so that the caller cannot
// change the record.
func cloned[T any](s *Server, list *[]T, own func(*T)) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(*list)
	for i := range out {
		own(&out[i])
	}
	return out
}

// record appends a finished call and wakes WaitFor.
func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	s.notify()
}
