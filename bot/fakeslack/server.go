// Package fakeslack is a recording fake of the Slack Web API for growthbot's
// tests, local console and demo.
//
// A Server speaks the wire format slack-go speaks (form posts with JSON
// strings for blocks, JSON bodies for views.*), keeps channel, thread, view
// and file state, answers with Slack's real error codes, and records every
// call so tests can assert on exactly what the bot sent. It can also fail on
// demand (rate limits, 5xx, slow answers, dropped connections) to exercise
// retry and recovery paths. sign.go builds the signed requests Slack sends to
// the app.
//
// It depends only on the standard library: it must not import growthbot's
// packages (it fakes Slack, not the bot) nor slack-go, so that its byte-exact
// recording cannot be affected by the client it checks.
package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The fake workspace the server pretends to be. Fixed IDs keep recorded
// payloads and golden files stable from run to run.
const (
	TeamID            = "T0FAKE"                  // the workspace
	TeamDomain        = "fake"                    // the workspace's subdomain
	AppID             = "A0FAKE"                  // the app the bot belongs to
	BotUserID         = "U0BOT"                   // the bot's user, author of every message
	BotID             = "B0BOT"                   // the bot's bot ID
	DefaultUserID     = "U0ALICE"                 // the human in signed requests, unless set
	DefaultChannelID  = "C0GENERAL"               // the channel of signed requests, unless set
	VerificationToken = "fake-verification-token" // the deprecated token field of payloads
)

// Pseudo-methods name the calls that do not go to the Web API, so they can be
// failed with FailNext and found with CallsTo like any API method.
const (
	MethodUpload   = "upload"   // the upload URL from files.getUploadURLExternal
	MethodResponse = "response" // a URL from ResponseURL
	MethodWebhook  = "webhook"  // a URL from WebhookURL
)

// maxBody bounds what one request may send, so that a runaway test cannot
// exhaust memory through the fake.
const maxBody = 64 << 20

// Server is a fake Slack Web API on a loopback httptest server. It is safe for
// concurrent use. The zero value is not usable: call New.
type Server struct {
	srv       *httptest.Server
	closeOnce sync.Once
	closing   chan struct{} // closed by Close to cut short delayed answers

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever a call is recorded

	// Setup, kept by Reset.
	token      string
	restricted bool
	allowed    map[string]*Channel // declared channels, by ID
	scopes     map[string]bool     // nil: every scope granted
	users      map[string]string

	// Faults, cleared by Reset.
	down     bool
	failures map[string][]Failure

	// Recorded state, cleared by Reset.
	calls      []Call
	channels   map[string]*channel
	ephemerals []Ephemeral
	views      map[string]*View
	homes      map[string]*View
	files      map[string]*File
	fileOrder  []string
	responses  []Response
	webhooks   []Webhook

	// sock is the app's Socket Mode connection.
	sock socket

	// Counters survive Reset so that a ts or ID handed out before a Reset is
	// never handed out again, as in Slack.
	seq    int   // IDs of views, files, response URLs and webhooks
	lastTS int64 // the last ts handed out, in microseconds since the epoch
}

// New starts a fake Slack on 127.0.0.1. Close it when done.
func New() *Server {
	s := &Server{
		closing: make(chan struct{}),
		changed: make(chan struct{}),
		allowed: map[string]*Channel{},
		users:   map[string]string{},
	}
	s.clear()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, r.PathValue("method"), s.api)
	})
	mux.HandleFunc("/upload/{id}", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, MethodUpload, s.upload)
	})
	mux.HandleFunc("/response/{id}", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, MethodResponse, s.respond)
	})
	mux.HandleFunc("/webhook/{id}", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, MethodWebhook, s.webhook)
	})
	mux.HandleFunc("/socket", s.serveSocket)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the server. Answers held back by a Delay failure are abandoned
// so that Close never waits for them.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.closeSocket()
		s.srv.Close()
	})
}

// APIURL is the base URL to give slack-go with slack.OptionAPIURL. It ends
// with "/" because slack-go appends the method name to it.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// AddChannel declares a public channel the bot is in. Once any channel is
// declared, only declared channels exist and any other gets
// channel_not_found; before that, every well-formed channel ID exists and
// the bot is in it. DeclareChannel declares private channels and channels
// the bot is not in.
func (s *Server) AddChannel(id string) {
	s.DeclareChannel(Channel{ID: id, Member: true})
}

// Reset forgets every recorded call, message, view, file, response and
// webhook, and cancels pending faults and SetDown. It keeps the setup made
// with SetToken, SetScopes, AddChannel, DeclareChannel, SetMember and
// AddUser, and keeps counting timestamps and IDs
// from where it was.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	s.notify()
}

// clear empties the recorded state and faults. The caller holds s.mu, or owns
// s exclusively.
func (s *Server) clear() {
	s.down = false
	s.failures = map[string][]Failure{}
	s.calls = nil
	s.channels = map[string]*channel{}
	s.ephemerals = nil
	s.views = map[string]*View{}
	s.homes = map[string]*View{}
	s.files = map[string]*File{}
	s.fileOrder = nil
	s.responses = nil
	s.webhooks = nil
}

// WaitFor blocks until cond holds or ctx is done. cond is checked now and
// after every recorded call, without the server's lock held, so it may call
// any of the server's methods. It lets tests wait for asynchronous deliveries
// without sleeping.
func (s *Server) WaitFor(ctx context.Context, cond func(*Server) bool) error {
	for {
		// Take the channel before checking, so a call recorded between the
		// check and the wait still wakes us.
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond(s) {
			return nil
		}
		select {
		case <-changed:
		case <-s.closing:
			if cond(s) {
				return nil
			}
			return errors.New("fakeslack: wait: server closed")
		case <-ctx.Done():
			return fmt.Errorf("fakeslack: wait: %w", ctx.Err())
		}
	}
}

// notify wakes WaitFor. The caller holds s.mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// request is one inbound call, decoded whatever its encoding.
type request struct {
	method     string
	httpMethod string
	url        string
	id         string // the {id} of an upload, response or webhook URL
	header     http.Header
	raw        []byte
	params     url.Values
	token      string
	upload     []byte // the first file part of a multipart body, if any
	malformed  error  // why the body could not be read, if it could not
}

// response is what a handler answers; serve writes and records it.
type response struct {
	status      int
	contentType string
	body        []byte
	errCode     string // the Slack error code in the body, for Call.Error
	retryAfter  string // the Retry-After header, if any
}

// serve is the one path every request takes: decode, apply a pending fault,
// answer, record.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, method string, handle func(*request) response) {
	call := Call{Method: method, URL: r.URL.String(), Time: time.Now(), Header: r.Header.Clone()}
	req, err := decode(r, method)
	if err != nil {
		s.finish(w, &call, textResponse(http.StatusBadRequest, "invalid_request"))
		return
	}
	call.Raw, call.Params, call.Token = req.raw, req.params, req.token

	f, failing := s.takeFailure(method)
	if failing {
		call.Failure = &f
		if !s.wait(r.Context(), f.Delay) {
			s.record(call) // the client gave up, or the server is closing
			return
		}
		if f.Drop {
			s.record(call)
			drop(w)
			return
		}
		if resp, ok := f.response(); ok {
			s.finish(w, &call, resp)
			return
		}
	}
	s.mu.Lock()
	resp := handle(req)
	s.mu.Unlock()
	s.finish(w, &call, resp)
}

// finish writes resp and records the call with its outcome.
func (s *Server) finish(w http.ResponseWriter, call *Call, resp response) {
	call.Status, call.Error = resp.status, resp.errCode
	s.record(*call)
	w.Header().Set("Content-Type", resp.contentType)
	if resp.retryAfter != "" {
		w.Header().Set("Retry-After", resp.retryAfter)
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// decode reads the whole body and the parameters it carries. The body is
// kept raw for Call.Raw and for byte-exact blocks.
func decode(r *http.Request, method string) (*request, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, err
	}
	req := &request{
		method:     method,
		httpMethod: r.Method,
		url:        r.URL.String(),
		id:         r.PathValue("id"),
		header:     r.Header,
		raw:        raw,
		params:     url.Values{},
	}
	req.malformed = req.parse(r.Header.Get("Content-Type"))
	// getResource sends its parameters in the query string.
	for k, v := range r.URL.Query() {
		req.params[k] = append(req.params[k], v...)
	}
	req.token = req.params.Get("token")
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		req.token = bearer
	}
	return req, nil
}

// parse flattens the body into params, accepting every encoding Slack
// accepts: a form, a multipart form, or a JSON object. It returns the code
// Slack answers a body it cannot read with; only API methods use it, as
// webhooks and response URLs judge their bodies themselves.
func (req *request) parse(contentType string) error {
	mediaType, mediaParams, _ := mime.ParseMediaType(contentType)
	switch {
	case mediaType == "application/json":
		if decodeJSON(req.raw, req.params) != nil {
			return errInvalidJSON
		}
	case strings.HasPrefix(mediaType, "multipart/"):
		if req.decodeMultipart(mediaParams["boundary"]) != nil {
			return errInvalidFormData
		}
	case req.method == MethodUpload:
		// A raw upload body is the file itself, not a form.
		req.upload = req.raw
	default:
		form, err := url.ParseQuery(string(req.raw))
		maps.Copy(req.params, form)
		if err != nil {
			return errInvalidFormData
		}
	}
	return nil
}

// decodeJSON flattens a JSON object into params: a string member becomes its
// value and any other member its raw JSON text, so handlers read
// params.Get("view") the same way whether it came as JSON or as a form field.
func decodeJSON(raw []byte, params url.Values) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil // a method without parameters, as slack-go sends apps.connections.open
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return err
	}
	for k, v := range obj {
		var str string
		if json.Unmarshal(v, &str) == nil {
			params.Set(k, str)
		} else {
			params.Set(k, string(v))
		}
	}
	return nil
}

// decodeMultipart reads form fields into params and keeps the first file part
// as the upload, which is how slack-go's UploadToURL sends a file.
func (req *request) decodeMultipart(boundary string) error {
	mr := multipart.NewReader(bytes.NewReader(req.raw), boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return err
		}
		if part.FileName() == "" {
			req.params.Add(part.FormName(), string(data))
		} else if req.upload == nil {
			req.upload = data
		}
	}
}

// wait holds the answer back for d, and reports false if the client or the
// server gave up first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// drop closes the connection without an answer, which is what a client sees
// when Slack is unreachable mid-request.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // net/http closes the connection for us
}

// reply is the body of a successful API answer, besides "ok".
type reply map[string]any

// slackError is a Slack error code; handlers return it to answer ok:false.
type slackError string

func (e slackError) Error() string { return string(e) }

// detailedError is a Slack error code with the reason Slack explains in
// response_metadata.messages, e.g. which block broke which limit, so that a
// failing test says what to fix.
type detailedError struct {
	code   slackError
	reason error
}

func (e detailedError) Error() string { return string(e.code) }

// The Slack error codes the fake returns.
const (
	errNotAuthed           slackError = "not_authed"
	errInvalidAuth         slackError = "invalid_auth"
	errUnknownMethod       slackError = "unknown_method"
	errChannelNotFound     slackError = "channel_not_found"
	errNotInChannel        slackError = "not_in_channel"
	errIsArchived          slackError = "is_archived"
	errNotSupportedForType slackError = "method_not_supported_for_channel_type"
	errMissingScope        slackError = "missing_scope"
	errNoText              slackError = "no_text"
	errInvalidBlocks       slackError = "invalid_blocks"
	errInvalidAttach       slackError = "invalid_attachments"
	errInvalidMetadata     slackError = "invalid_metadata_format"
	errMsgTooLong          slackError = "msg_too_long"
	errMessageNotFound     slackError = "message_not_found"
	errThreadNotFound      slackError = "thread_not_found"
	errUserNotFound        slackError = "user_not_found"
	errInvalidArguments    slackError = "invalid_arguments"
	errInvalidTriggerID    slackError = "invalid_trigger_id"
	errViewNotFound        slackError = "not_found"
	errHashConflict        slackError = "hash_conflict"
	errDuplicateExternalID slackError = "duplicate_external_id"
	errFileNotFound        slackError = "file_not_found"
	errInvalidCursor       slackError = "invalid_cursor"
	errRateLimited         slackError = "ratelimited"
	errInvalidPayload      slackError = "invalid_payload"
	errInvalidJSON         slackError = "invalid_json"
	errInvalidFormData     slackError = "invalid_form_data"
)

// apiMethods maps each Web API method the fake implements to its handler.
// Handlers run with s.mu held.
var apiMethods = map[string]func(*Server, *request) (reply, error){
	"auth.test":                    (*Server).authTest,
	"apps.connections.open":        (*Server).appsConnectionsOpen,
	"chat.postMessage":             (*Server).chatPostMessage,
	"chat.update":                  (*Server).chatUpdate,
	"chat.postEphemeral":           (*Server).chatPostEphemeral,
	"chat.delete":                  (*Server).chatDelete,
	"conversations.history":        (*Server).conversationsHistory,
	"conversations.replies":        (*Server).conversationsReplies,
	"conversations.info":           (*Server).conversationsInfo,
	"conversations.join":           (*Server).conversationsJoin,
	"views.open":                   (*Server).openModal,
	"views.push":                   (*Server).openModal,
	"views.update":                 (*Server).viewsUpdate,
	"views.publish":                (*Server).viewsPublish,
	"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
	"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
	"users.info":                   (*Server).usersInfo,
}

// api answers a Web API call. Like Slack, it names an unknown method before
// looking at the token.
func (s *Server) api(req *request) response {
	handle, ok := apiMethods[req.method]
	if !ok {
		return apiError(errUnknownMethod)
	}
	if req.malformed != nil {
		return apiError(req.malformed)
	}
	if err := s.authorizeFor(req.method, req.token); err != nil {
		return apiError(err)
	}
	if !s.granted(req.method) {
		return apiError(errMissingScope)
	}
	body, err := handle(s, req)
	if err != nil {
		return apiError(err)
	}
	body["ok"] = true
	return jsonResponse(http.StatusOK, body, "")
}

// apiError answers ok:false with err's code, with HTTP 200 as Slack does.
func apiError(err error) response {
	code := err.Error()
	body := reply{"ok": false, "error": code}
	var detailed detailedError
	if errors.As(err, &detailed) {
		body["response_metadata"] = reply{"messages": []string{"[ERROR] " + detailed.reason.Error()}}
	}
	return jsonResponse(http.StatusOK, body, code)
}

// jsonResponse answers with v as JSON.
func jsonResponse(status int, v any, errCode string) response {
	body, err := marshal(v)
	if err != nil {
		return textResponse(http.StatusInternalServerError, "fakeslack: "+err.Error())
	}
	return response{status: status, contentType: "application/json; charset=utf-8", body: body, errCode: errCode}
}

// marshal encodes v without HTML escaping, so that blocks come back with the
// "<", ">" and "&" they were sent with.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// textResponse answers with a plain-text body, as Slack's upload and webhook
// endpoints do.
func textResponse(status int, body string) response {
	return response{status: status, contentType: "text/plain; charset=utf-8", body: []byte(body)}
}
