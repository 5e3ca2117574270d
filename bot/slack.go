package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/growthbot/growthbot/bot/internal/jsonreply"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// Slack connects the router to Slack, over HTTP (always) and Socket Mode
// (when an app token is set). Both feed the same router.
type Slack struct {
	Router        *Router
	SigningSecret string
	Log           *slog.Logger
	// MaxBody bounds a request body; Slack's are a few kilobytes, an
	// interaction that carries its whole message a few tens (default 128 KiB).
	MaxBody int64
	// MaxUnverified bounds the bytes of all request bodies being read
	// before their signatures are checked (default 32 MiB): past it a
	// request is refused with 503 at once, so that connections which send
	// part of a body and stall cannot exhaust memory.
	MaxUnverified int64
	// ReadTimeout bounds the time to read one request's body (default 5 s):
	// Slack sends a few kilobytes at once.
	ReadTimeout time.Duration
	// AckDeadline is how long a command may take before Slack gets an
	// acknowledgement and the answer follows through the response URL.
	// Slack gives up after three seconds.
	AckDeadline time.Duration

	// ResponseHost is a host besides Slack's own (hooks.slack.com) that
	// response URLs may point at: the host of SLACK_API_URL, where tests
	// and the console run a fake of Slack. A response URL elsewhere is
	// ignored, so a request cannot make growthbot post to any address.
	ResponseHost string

	recorder recorder
	// team is the workspace the bot token belongs to (auth.test's
	// team_id); once known, a payload from another workspace is refused.
	team atomic.Pointer[string]
	// unverified counts the body bytes reserved by requests whose
	// signatures are not checked yet.
	unverified atomic.Int64
}

func (s *Slack) maxBody() int64 {
	if s.MaxBody > 0 {
		return s.MaxBody
	}
	return 128 << 10
}

func (s *Slack) maxUnverified() int64 {
	if s.MaxUnverified > 0 {
		return s.MaxUnverified
	}
	return 32 << 20
}

func (s *Slack) readTimeout() time.Duration {
	if s.ReadTimeout > 0 {
		return s.ReadTimeout
	}
	return 5 * time.Second
}

// readSigned reads a request's body while checking its signature. What can
// be checked before the body is, first: the signature headers, the
// timestamp's age and the declared length. The body is then read within
// the read timeout, reserving its length from the budget of unverified
// bytes, and hashed as it arrives. It returns the HTTP status of a refusal,
// or 0.
func (s *Slack) readSigned(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	sv, err := slack.NewSecretsVerifier(r.Header, s.SigningSecret)
	if err != nil {
		return nil, http.StatusUnauthorized, err
	}
	limit := s.maxBody()
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body of %d bytes is over the limit of %d", r.ContentLength, limit)
	}
	reserve := limit
	if r.ContentLength >= 0 {
		reserve = r.ContentLength
	}
	if s.unverified.Add(reserve) > s.maxUnverified() {
		s.unverified.Add(-reserve)
		w.Header().Set("Retry-After", "1")
		return nil, http.StatusServiceUnavailable, errors.New("too many request bodies being read at once")
	}
	defer s.unverified.Add(-reserve)
	// A connection that stalls mid-body is cut at the deadline.
	// A request made in-process (the console, the demo) has no connection
	// to cut: not an error to print in their transcripts.
	if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.readTimeout())); errors.Is(err, http.ErrNotSupported) {
		s.Log.Debug("no connection to bound the time to read a request body", "err", err)
	} else if err != nil {
		s.Log.Error("cannot bound the time to read a request body", "err", err)
	}
	in := io.TeeReader(http.MaxBytesReader(w, r.Body, limit), &sv)
	var body []byte
	if r.ContentLength >= 0 {
		// The declared length, exactly: a buffer that grows as it reads
		// would hold up to twice what arrived.
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(in, body)
	} else {
		body, err = io.ReadAll(in)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, http.StatusRequestEntityTooLarge, err
		}
		return nil, http.StatusBadRequest, fmt.Errorf("read the body: %w", err)
	}
	if err := sv.Ensure(); err != nil {
		return nil, http.StatusUnauthorized, err
	}
	return body, 0, nil
}

func (s *Slack) ackDeadline() time.Duration {
	if s.AckDeadline > 0 {
		return s.AckDeadline
	}
	return 2500 * time.Millisecond
}

// SetTeam sets the workspace payloads must come from, as auth.test names it.
func (s *Slack) SetTeam(id string) { s.team.Store(&id) }

// LearnTeam asks Slack (auth.test) which workspace the bot token belongs to,
// and from then on refuses payloads from any other. Until it succeeds, it
// retries every interval; payloads are checked only once it knows.
func (s *Slack) LearnTeam(ctx context.Context, client *slack.Client, interval time.Duration) error {
	for {
		resp, err := client.AuthTestContext(ctx)
		if err == nil && resp.TeamID != "" {
			s.SetTeam(resp.TeamID)
			if s.Router != nil {
				s.Router.SetWorkspaceURL(resp.URL)
			}
			s.Log.Info("Slack workspace known; payloads from other workspaces are refused", "team_id", resp.TeamID)
			return nil
		}
		s.Log.Warn("auth.test failed: the workspace of payloads cannot be checked yet", "err", err, "retry_in", interval)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// wrongTeam reports whether a payload names a workspace other than the bot's.
func (s *Slack) wrongTeam(team string) bool {
	want := s.team.Load()
	return want != nil && team != *want
}

// responseURL returns u when it is a Slack response URL (https on
// hooks.slack.com, or on ResponseHost), else "" (and logs it).
func (s *Slack) responseURL(u string) string {
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	ok := err == nil && (p.Scheme == "https" && (p.Host == "hooks.slack.com" || strings.HasSuffix(p.Host, ".slack.com")) ||
		s.ResponseHost != "" && p.Host == s.ResponseHost && (p.Scheme == "http" || p.Scheme == "https"))
	if !ok {
		s.Log.Warn("ignored a response URL that is not Slack's", "host", hostOf(p))
		return ""
	}
	return u
}

func hostOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Host
}

// Mux is where Slack's endpoints are mounted: the HTTP server
// (httpapi.Server), which adds health, metrics, panic recovery and request
// accounting to every route.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount adds Slack's endpoints to the server.
func (s *Slack) Mount(srv Mux) {
	srv.Handle("POST /slack/commands", s.verified(s.commands))
	srv.Handle("POST /slack/interactions", s.verified(s.interactions))
	srv.Handle("POST /slack/events", s.verified(s.events))
}

// verified checks a request's signature before anything reads it: a
// missing, wrong or stale signature (older than five minutes) gets 401 and
// changes nothing. next gets the body and a digest of the signature, for
// accept.
func (s *Slack) verified(next func(w http.ResponseWriter, r *http.Request, body []byte, sig string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.SigningSecret == "" {
			jsonreply.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "Slack is not configured: set SLACK_SIGNING_SECRET"})
			return
		}
		body, code, err := s.readSigned(w, r)
		if err != nil && code == http.StatusBadRequest {
			// The body did not arrive (a stalled or broken connection): hang
			// up, rather than leave the connection to the server's cleanup,
			// which would wait on it.
			s.Log.Warn("refused a Slack request whose body did not arrive", "path", r.URL.Path, "reason", err)
			if conn, _, herr := http.NewResponseController(w).Hijack(); herr == nil {
				conn.Close()
				return
			}
		}
		if err != nil {
			s.Log.Warn("refused a Slack request", "path", r.URL.Path, "status", code, "reason", err)
			msg := map[int]string{http.StatusUnauthorized: "invalid or stale signature", http.StatusRequestEntityTooLarge: "request body too large",
				http.StatusServiceUnavailable: "busy; try again", http.StatusBadRequest: "the body could not be read"}[code]
			if code == http.StatusRequestEntityTooLarge || code == http.StatusBadRequest || code == http.StatusServiceUnavailable {
				w.Header().Set("Connection", "close")
			}
			jsonreply.Write(w, code, map[string]string{"error": msg})
			return
		}
		next(w, r, body, requestDigest(r, body))
	})
}

// requestDigest names a verified request by what it says, not by how its
// signature is spelled: the same signed request again (with the signature's
// hex in another case, say) has the same digest, so it is caught as a
// replay. The timestamp is part of it: Slack's retries of a delivery carry
// a new one and are told apart by their delivery id instead.
func requestDigest(r *http.Request, body []byte) string {
	h := sha256.New()
	io.WriteString(h, r.URL.Path+"\n"+r.Header.Get("X-Slack-Request-Timestamp")+"\n")
	h.Write(body)
	return "request:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// verdict is what accept decided about an inbound delivery.
type verdict int

const (
	fresh   verdict = iota // apply it
	replay                 // the same signed request again: refuse it
	retried                // Slack's retry of a delivery already applied: ignore it
	failed                 // the database could not record it: apply nothing
)

// accept records a verified request: its signature, which a legitimate
// request never repeats (a repeat is a replay), and its delivery id (a
// trigger or event id), which Slack's retry repeats under a new signature.
// An empty id records only the signature.
func (s *Slack) accept(ctx context.Context, sig, id string) (verdict, error) {
	v, err := s.recorder.record(ctx, s.Router.Service, sig, id)
	if err != nil {
		if workflows.ErrorCode(err) == workflows.EINTERNAL && !errors.As(err, new(*workflows.Error)) {
			// Not a cause the store could name (read-only, disk full).
			err = fmt.Errorf("%w: %w", workflows.Errorf(workflows.EINTERNAL,
				"growthbot cannot write to its database right now, so nothing was done. Please try again shortly; the operator can see why in the logs"), err)
		}
		return failed, fmt.Errorf("record a Slack request: %w", err)
	}
	return v, nil
}

// recorder writes delivery records with group commit: requests that arrive
// while a write is under way are written together in the next transaction.
// Every request needs a record before it is answered, and the database has
// one writer; one transaction per request made them queue there under load,
// while an idle recorder adds no delay at all.
type recorder struct {
	mu      sync.Mutex
	pending []*recording
	running bool
}

type recording struct {
	sig, id string
	verdict verdict
	err     error
	done    chan struct{}
}

func (r *recorder) record(ctx context.Context, domain Domain, sig, id string) (verdict, error) {
	rec := &recording{sig: sig, id: id, done: make(chan struct{})}
	r.mu.Lock()
	r.pending = append(r.pending, rec)
	if !r.running {
		r.running = true
		go r.write(context.WithoutCancel(ctx), domain)
	}
	r.mu.Unlock()
	select {
	case <-rec.done:
		return rec.verdict, rec.err
	case <-ctx.Done():
		return failed, ctx.Err()
	}
}

// write commits what is pending, batch after batch, until nothing is.
func (r *recorder) write(ctx context.Context, domain Domain) {
	for {
		r.mu.Lock()
		batch := r.pending
		r.pending = nil
		if len(batch) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		ds := make([]workflows.InboundDelivery, len(batch))
		for i, rec := range batch {
			ds[i] = workflows.InboundDelivery{Request: rec.sig, ID: rec.id}
		}
		outcomes, err := domain.RecordDeliveries(ctx, ds)
		for i, rec := range batch {
			switch {
			case err != nil:
				rec.verdict, rec.err = failed, err
			case outcomes[i] == workflows.DeliveryReplay:
				rec.verdict = replay
			case outcomes[i] == workflows.DeliveryRetry:
				rec.verdict = retried
			default:
				rec.verdict = fresh
			}
			close(rec.done)
		}
	}
}

// refuseTeam answers a payload from a workspace other than the bot's.
func (s *Slack) refuseTeam(w http.ResponseWriter, r *http.Request, team string) {
	s.Log.Warn("refused a Slack request from another workspace", "path", r.URL.Path, "team_id", team)
	jsonreply.Write(w, http.StatusForbidden, map[string]string{"error": "this app does not serve that workspace"})
}

// answered writes the reply a request gets when accept did not say fresh,
// and reports whether it did. A request that could not be recorded gets
// an ephemeral answer that says why, and its error is logged.
func (s *Slack) answered(w http.ResponseWriter, r *http.Request, v verdict, err error) bool {
	switch v {
	case replay:
		s.Log.Warn("refused a replayed Slack request", "path", r.URL.Path)
		jsonreply.Write(w, http.StatusUnauthorized, map[string]string{"error": "replayed request"})
	case retried:
		w.WriteHeader(http.StatusOK)
	case failed:
		writeMessage(w, s.Router.errorReply(r.Context(), err, Command{}))
	default:
		return false
	}
	return true
}

// deliveryID names an inbound delivery for retry detection; "" when the
// request carries no id.
func deliveryID(kind, id string) string {
	if id == "" {
		return ""
	}
	return kind + ":" + id
}

func (s *Slack) commands(w http.ResponseWriter, r *http.Request, body []byte, sig string) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		jsonreply.Write(w, http.StatusBadRequest, map[string]string{"error": "malformed form body"})
		return
	}
	if s.wrongTeam(form.Get("team_id")) {
		s.refuseTeam(w, r, form.Get("team_id"))
		return
	}
	req := CommandRequest{Command: form.Get("command"), Text: form.Get("text"), UserID: form.Get("user_id"),
		ChannelID: form.Get("channel_id"), ResponseURL: s.responseURL(form.Get("response_url")), TriggerID: form.Get("trigger_id")}
	if v, err := s.accept(r.Context(), sig, deliveryID("command", req.TriggerID)); s.answered(w, r, v, err) {
		return
	}
	writeMessage(w, s.command(r.Context(), req))
}

// command answers within the ack deadline. A slow command (an analysis) is
// acknowledged at once; any other reply that takes longer than the deadline
// is too, and either way the answer is delivered through the response URL.
func (s *Slack) command(ctx context.Context, req CommandRequest) render.Message {
	ctx = context.WithoutCancel(ctx) // the work outlives the HTTP request when it is slow
	call := s.Router.parse(req)
	if ack, slow := s.Router.acknowledge(ctx, call); slow {
		s.Router.background.Go(func() {
			if err := s.Router.respond(ctx, req.ResponseURL, "respond:"+req.TriggerID, s.Router.answer(ctx, call)); err != nil {
				s.Log.Error("deliver a reply", "err", err)
			}
		})
		return ack
	}
	done := make(chan render.Message, 1)
	go func() { done <- s.Router.answer(ctx, call) }()
	select {
	case msg := <-done:
		return msg
	case <-time.After(s.ackDeadline()):
	}
	s.Router.background.Go(func() {
		msg := <-done
		if err := s.Router.respond(ctx, req.ResponseURL, "respond:"+req.TriggerID+":late", msg); err != nil {
			s.Log.Error("deliver a late reply", "err", err)
		}
	})
	return render.Reply(":hourglass_flowing_sand: Working on it; the answer will appear here in a moment.")
}

// writeMessage writes an ephemeral reply as the body of Slack's request;
// an empty message acknowledges without a reply.
func writeMessage(w http.ResponseWriter, msg render.Message) {
	if msg.Text == "" && len(msg.Blocks) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	body, err := msg.Rendered()
	if err != nil {
		body = workflows.Rendered{Text: msg.Text}
	}
	jsonreply.Write(w, http.StatusOK, map[string]any{"response_type": "ephemeral", "text": body.Text, "blocks": body.Blocks})
}

func (s *Slack) interactions(w http.ResponseWriter, r *http.Request, body []byte, sig string) {
	form, err := url.ParseQuery(string(body))
	var cb slack.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &cb)
	}
	if err != nil {
		jsonreply.Write(w, http.StatusBadRequest, map[string]string{"error": "malformed interaction payload"})
		return
	}
	if s.wrongTeam(cb.Team.ID) {
		s.refuseTeam(w, r, cb.Team.ID)
		return
	}
	cb.ResponseURL = s.responseURL(cb.ResponseURL)
	if v, err := s.accept(r.Context(), sig, interactionID(cb)); s.answered(w, r, v, err) {
		return
	}
	if resp := s.Router.Interaction(r.Context(), cb); resp != nil {
		jsonreply.Write(w, http.StatusOK, resp)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// interactionID identifies one interaction for retry detection.
func interactionID(cb slack.InteractionCallback) string {
	return deliveryID("interaction", cb.TriggerID)
}

func (s *Slack) events(w http.ResponseWriter, r *http.Request, body []byte, sig string) {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		jsonreply.Write(w, http.StatusBadRequest, map[string]string{"error": "malformed event"})
		return
	}
	var outer struct {
		EventID string `json:"event_id"`
		TeamID  string `json:"team_id"`
	}
	json.Unmarshal(body, &outer)
	if ev.Type == slackevents.CallbackEvent && s.wrongTeam(outer.TeamID) {
		s.refuseTeam(w, r, outer.TeamID)
		return
	}
	v, err := s.accept(r.Context(), sig, deliveryID("event", outer.EventID))
	if v == failed {
		// Not recorded, so not acknowledged: Slack delivers it again.
		s.Log.Error("could not record a Slack event; answering 503 so that Slack retries", "err", err)
		jsonreply.Write(w, http.StatusServiceUnavailable, map[string]string{"error": "the event could not be recorded; retry"})
		return
	}
	if s.answered(w, r, v, err) {
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		var v slackevents.ChallengeResponse
		json.Unmarshal(body, &v)
		jsonreply.Write(w, http.StatusOK, map[string]string{"challenge": v.Challenge})
		return
	case slackevents.CallbackEvent:
		w.WriteHeader(http.StatusOK)
		s.handleEvent(r.Context(), ev)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleEvent acts on an Events API event after it was acknowledged.
func (s *Slack) handleEvent(ctx context.Context, ev slackevents.EventsAPIEvent) {
	if e, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok && e.Tab == "home" {
		user := e.User
		s.Router.background.Go(func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := s.Router.HomeOpened(ctx, user); err != nil {
				s.Log.Error("publish App Home", "user", user, "err", err)
			}
		})
	}
}

// RunSocketMode connects to Slack over Socket Mode with the client (which
// carries the app-level token) and serves until ctx is done.
func (s *Slack) RunSocketMode(ctx context.Context, client *slack.Client) error {
	sm := socketmode.New(client)
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	s.Log.Info("Socket Mode connecting")
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("socket mode: %w", err)
		case evt, ok := <-sm.Events:
			if !ok {
				return nil
			}
			s.socketEvent(ctx, sm, evt)
		}
	}
}

func (s *Slack) socketEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		s.Log.Info("Socket Mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		s.Log.Error("Socket Mode connection problem", "type", evt.Type, "data", fmt.Sprint(evt.Data))
	case socketmode.EventTypeSlashCommand:
		c, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		if s.wrongTeam(c.TeamID) {
			s.Log.Warn("refused a Socket Mode command from another workspace", "team_id", c.TeamID)
			sm.Ack(*evt.Request)
			return
		}
		req := CommandRequest{Command: c.Command, Text: c.Text, UserID: c.UserID, ChannelID: c.ChannelID,
			ResponseURL: s.responseURL(c.ResponseURL), TriggerID: c.TriggerID}
		if !s.seen(ctx, "command:"+c.TriggerID) {
			sm.Ack(*evt.Request) // a redelivery: answered the first time
			return
		}
		msg := s.command(ctx, req)
		body, _ := msg.Rendered()
		sm.Ack(*evt.Request, map[string]any{"response_type": "ephemeral", "text": body.Text, "blocks": body.Blocks})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		if s.wrongTeam(cb.Team.ID) {
			s.Log.Warn("refused a Socket Mode interaction from another workspace", "team_id", cb.Team.ID)
			sm.Ack(*evt.Request)
			return
		}
		cb.ResponseURL = s.responseURL(cb.ResponseURL)
		if !s.seen(ctx, interactionID(cb)) {
			sm.Ack(*evt.Request)
			return
		}
		if resp := s.Router.Interaction(ctx, cb); resp != nil {
			sm.Ack(*evt.Request, resp)
			return
		}
		sm.Ack(*evt.Request)
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return
		}
		if s.wrongTeam(ev.TeamID) {
			s.Log.Warn("refused a Socket Mode event from another workspace", "team_id", ev.TeamID)
			sm.Ack(*evt.Request)
			return
		}
		var outer struct {
			EventID string `json:"event_id"`
		}
		json.Unmarshal(evt.Request.Payload, &outer)
		// Acknowledged only once recorded: unacknowledged, Slack sends it again.
		isNew, err := s.record(ctx, "event:"+outer.EventID)
		if err != nil {
			s.Log.Error("could not record a Slack event; not acknowledging it, so that Slack sends it again", "err", err)
			return
		}
		sm.Ack(*evt.Request)
		if isNew {
			s.handleEvent(ctx, ev)
		}
	}
}

// seen records a Socket Mode delivery and reports whether it is new (true)
// or a redelivery (false). An empty id is always new.
func (s *Slack) seen(ctx context.Context, id string) bool {
	isNew, err := s.record(ctx, id)
	if err != nil {
		s.Log.Error("record Slack delivery", "err", err)
		return true
	}
	return isNew
}

// record records a Socket Mode delivery id and reports whether it is new.
func (s *Slack) record(ctx context.Context, id string) (bool, error) {
	if id == "" || id == "command:" || id == "event:" {
		return true, nil
	}
	outcomes, err := s.Router.Service.RecordDeliveries(ctx, []workflows.InboundDelivery{{Request: id}})
	if err != nil {
		return false, err
	}
	return outcomes[0] == workflows.DeliveryNew, nil
}

// ClientViews opens and publishes views with a Slack Web API client.
type ClientViews struct{ Client *slack.Client }

// OpenView opens a modal.
func (v ClientViews) OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) error {
	_, err := v.Client.OpenViewContext(ctx, triggerID, view)
	return err
}

// PublishView publishes a user's App Home.
func (v ClientViews) PublishView(ctx context.Context, userID string, view slack.HomeTabViewRequest) error {
	_, err := v.Client.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: view})
	return err
}
