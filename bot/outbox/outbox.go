// Package outbox delivers what the domain put in the store's outbox: posts,
// updates and uploads to Slack's Web API, replies to response URLs, and
// webhooks. A message waits there as data (a payload kind and the domain
// value); the outbox renders it (bot/render) when it sends it, outside any
// transaction.
//
// It imports workflows and render, never the Slack router or the store: the
// store is reached through workflows.Store.
package outbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// Meter counts the outbox's deliveries by operation (post, update, upload,
// ...): delivered, retried, given up. The HTTP server's metrics registry is
// one; the outbox does not know where the counts are shown.
type Meter interface {
	Delivered(op string)
	Retried(op string)
	Failed(op string)
}

// noMeter counts nothing.
type noMeter struct{}

func (noMeter) Delivered(string) {}
func (noMeter) Retried(string)   {}
func (noMeter) Failed(string)    {}

// Outbox delivers the store's outbox: posts, updates and uploads to Slack,
// replies to response URLs, and webhooks. It paces posts to one a second per
// channel, honours Retry-After, retries server and network errors with
// backoff, and never sends a message twice: a message whose delivery was cut
// off (a crash, a timeout) is looked up in Slack before it is sent again.
type Outbox struct {
	Store   workflows.Store
	Slack   *slack.Client
	HTTP    *http.Client // for response URLs and webhooks
	Clock   workflows.Clock
	Log     *slog.Logger
	Metrics Meter // nil counts nothing
	// Renderer renders each message's payload when it is delivered, outside
	// any transaction; nil means the embedded wording.
	Renderer *render.Renderer
	// Getenv reads webhook secrets; they are never stored.
	Getenv func(string) string

	// PostInterval is the pace of posts in one channel (default 1 s; a
	// negative interval turns pacing off, for tests and the demo).
	PostInterval time.Duration
	// Poll is how often the worker looks for due messages (default 250 ms).
	Poll time.Duration
	// Lease is how long one delivery attempt may hold a message (default 2 m).
	Lease time.Duration
	// MaxBackoff caps the wait between attempts (default 5 m).
	MaxBackoff time.Duration
	// Workers is how many lanes are delivered at once (default 4).
	Workers int
	// HoldWebAPI keeps the messages that need Slack's Web API (posts,
	// updates, uploads, ephemeral messages) waiting in the outbox, while
	// responses and webhooks go out: serve sets it when SLACK_BOT_TOKEN is
	// not set, rather than send requests Slack can only refuse.
	HoldWebAPI bool

	mu       sync.Mutex
	busy     map[string]bool      // lanes being delivered
	nextPost map[string]time.Time // per channel: when the next post may go
	wake     chan struct{}
	wg       sync.WaitGroup

	lastStoreErr   string // the store failure logged last, and when
	lastStoreErrAt time.Time
	words          render.Lazy
}

func (o *Outbox) init() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.busy != nil {
		return
	}
	o.busy, o.nextPost, o.wake = map[string]bool{}, map[string]time.Time{}, make(chan struct{}, 1)
	if o.Clock == nil {
		o.Clock = workflows.SystemClock{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = noMeter{}
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 15 * time.Second}
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.PostInterval == 0 {
		o.PostInterval = time.Second
	}
	o.Poll = orDuration(o.Poll, 250*time.Millisecond)
	o.Lease = orDuration(o.Lease, 2*time.Minute)
	o.MaxBackoff = orDuration(o.MaxBackoff, 5*time.Minute)
	if o.Workers <= 0 {
		o.Workers = 4
	}
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Notify wakes the worker: a message was just enqueued.
func (o *Outbox) Notify() {
	o.init()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run delivers messages until ctx is done, then waits for deliveries in
// flight to finish and be recorded.
func (o *Outbox) Run(ctx context.Context) error {
	o.init()
	o.Log.Info("outbox started")
	defer o.wg.Wait()
	for {
		wait := o.Poll
		if d, err := o.dispatch(ctx); err != nil {
			o.storeError(o.Log, "outbox: read due messages", err)
		} else if d > 0 && d < wait {
			wait = d
		}
		select {
		case <-ctx.Done():
			o.Log.Info("outbox stopping; finishing deliveries in flight")
			return nil
		case <-o.wake:
		case <-time.After(wait):
		}
	}
}

// DeliverDue delivers every message that is due now, waiting for each, and
// returns how many it delivered or retired. The console and tests use it to
// drain the outbox without a background worker.
func (o *Outbox) DeliverDue(ctx context.Context) (int, error) {
	o.init()
	done := 0
	for {
		msgs, err := o.due(ctx)
		if err != nil || len(msgs) == 0 {
			return done, err
		}
		progress := false
		for _, m := range msgs {
			if o.paced(m) > 0 {
				continue
			}
			if o.deliver(ctx, m) {
				done++
				progress = true
			}
		}
		if !progress {
			return done, nil
		}
	}
}

func (o *Outbox) due(ctx context.Context) ([]workflows.Message, error) {
	var msgs []workflows.Message
	err := o.Store.View(ctx, func(tx workflows.Tx) error {
		var err error
		msgs, err = tx.DueMessages(o.Clock.Now(), 100)
		return err
	})
	if o.HoldWebAPI {
		msgs = slices.DeleteFunc(msgs, func(m workflows.Message) bool {
			return m.Op != workflows.OpRespond && m.Op != workflows.OpWebhook
		})
	}
	return msgs, err
}

// dispatch starts deliveries of due messages on free lanes and returns how
// long until a paced channel may post again (0 when none waits).
func (o *Outbox) dispatch(ctx context.Context) (time.Duration, error) {
	msgs, err := o.due(ctx)
	if err != nil {
		return 0, err
	}
	var soonest time.Duration
	for _, m := range msgs {
		if d := o.paced(m); d > 0 {
			if soonest == 0 || d < soonest {
				soonest = d
			}
			continue
		}
		lane := m.Lane()
		o.mu.Lock()
		running := 0
		for _, b := range o.busy {
			if b {
				running++
			}
		}
		if o.busy[lane] || running >= o.Workers {
			o.mu.Unlock()
			continue
		}
		o.busy[lane] = true
		o.mu.Unlock()
		o.wg.Go(func() {
			// Shutdown waits for this delivery; its outcome must be recorded
			// even though the worker's context is ending.
			o.deliver(context.WithoutCancel(ctx), m)
			o.mu.Lock()
			delete(o.busy, lane)
			o.mu.Unlock()
			o.Notify()
		})
	}
	return soonest, nil
}

// paced returns how long m must wait for its channel's pace, or 0.
func (o *Outbox) paced(m workflows.Message) time.Duration {
	if (m.Op != workflows.OpPost && m.Op != workflows.OpUpload) || o.PostInterval < 0 {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.nextPost[m.Channel].Sub(o.Clock.Now())
}

func (o *Outbox) markPosted(channel string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.nextPost[channel] = o.Clock.Now().Add(o.PostInterval)
}

// storeError logs a failure to read or write the outbox. While the
// database refuses writes (it is read-only, the disk is full) every attempt
// on every message fails the same way: that is logged once a minute, not
// once per message four times a second.
func (o *Outbox) storeError(log *slog.Logger, msg string, err error, args ...any) {
	what := msg + ": " + err.Error()
	var de *workflows.Error
	if errors.As(err, &de) {
		what = msg + ": " + de.Message
	}
	now := o.Clock.Now()
	o.mu.Lock()
	repeat := what == o.lastStoreErr && now.Sub(o.lastStoreErrAt) < time.Minute
	if !repeat {
		o.lastStoreErr, o.lastStoreErrAt = what, now
	}
	o.mu.Unlock()
	if !repeat {
		log.Error(msg, append([]any{"err", err}, args...)...)
	}
}

// errNotReady means a message waits for another one (its thread parent, the
// message it updates) to be delivered first.
var errNotReady = errors.New("waiting for an earlier message")

// deliver makes one delivery attempt of m and records its outcome. It
// reports whether the message left the queue (sent or failed for good).
func (o *Outbox) deliver(ctx context.Context, m workflows.Message) bool {
	log := o.Log.With("key", m.Key, "op", m.Op, "channel", m.Channel)
	var prior workflows.Message
	var ref workflows.Message // the thread parent or the update target
	err := o.Store.Update(ctx, func(tx workflows.Tx) error {
		var err error
		if ref, err = o.dependency(tx, m); err != nil {
			return err
		}
		prior, err = tx.ClaimMessage(m.ID, o.Clock.Now().Add(o.Lease))
		return err
	})
	switch {
	case errors.Is(err, errNotReady):
		return false
	case workflows.ErrorCode(err) == workflows.ECONFLICT || workflows.ErrorCode(err) == workflows.ENOTFOUND:
		return false // another worker has it, or it is done
	case errors.Is(err, errDependencyFailed):
		o.finish(ctx, log, m, "", err, false)
		return true
	case err != nil:
		o.storeError(log, "outbox: claim", err)
		return false
	}

	// The due list carries messages without their bodies; the claim read
	// the whole message, as it was before the claim. It is rendered now,
	// with no transaction open: a chart takes milliseconds to draw.
	m = prior
	if err := o.render(&m); err != nil {
		o.finish(ctx, log, m, "", err, false)
		return true
	}
	var ts string
	// An earlier attempt that was cut off (a crash, a timeout) may have
	// reached Slack: it stays in doubt until Slack says it has not.
	doubt := prior.State == workflows.MessageSending
	if doubt {
		var found bool
		ts, found, err = o.alreadyDelivered(ctx, m, ref)
		if slackCode(err) == "not_in_channel" && o.join(ctx, log, m.Channel) {
			ts, found, err = o.alreadyDelivered(ctx, m, ref)
		}
		if slackCode(err) == "not_in_channel" {
			// The bot may post to the channel (chat:write.public) but not
			// read it, so it cannot tell whether the attempt arrived.
			// Dropping the message would lose it for sure; sending it
			// risks a repeat only if the attempt did arrive.
			log.Warn("outbox: cannot read the channel to check an interrupted delivery; sending it again "+
				"(invite @growthbot to the channel to rule out repeats)", "err", err)
			err = nil
		}
		if err == nil && found {
			log.Info("outbox: interrupted delivery had reached Slack; not sending again", "ts", ts)
			o.finish(ctx, log, m, ts, nil, false)
			return true
		}
	}
	if err == nil {
		ts, err = o.send(ctx, m, ref)
		// A post without chat:write.public, or a file shared to a public
		// channel the bot is not in: join it and try once more.
		if slackCode(err) == "not_in_channel" && (m.Op == workflows.OpPost || m.Op == workflows.OpUpload) && o.join(ctx, log, m.Channel) {
			ts, err = o.send(ctx, m, ref)
		}
		doubt = mayHaveArrived(err)
	}
	return o.finish(ctx, log, m, ts, err, doubt)
}

// join puts the bot in a public channel (channels:join) and reports whether
// it is in it now. A private channel cannot be joined: the bot has to be
// invited.
func (o *Outbox) join(ctx context.Context, log *slog.Logger, channel string) bool {
	if _, _, _, err := o.Slack.JoinConversationContext(ctx, channel); err != nil {
		log.Warn("outbox: cannot join the channel; invite @growthbot to it", "err", err)
		return false
	}
	log.Info("outbox: joined the channel")
	return true
}

// mayHaveArrived reports whether a failed attempt may have reached Slack
// all the same: the connection broke or timed out after the request went
// out, or Slack's edge answered 5xx. A refused connection, a rate limit or
// an error Slack answered with mean it did not.
func mayHaveArrived(err error) bool {
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	var he *httpStatusError
	var op *net.OpError
	switch {
	case err == nil, errors.Is(err, errDependencyFailed), errors.Is(err, errUnrenderable), errors.As(err, &rl), errors.As(err, &se):
		return false
	case errors.As(err, &sc):
		return sc.Code >= 500
	case errors.As(err, &he):
		return he.code >= 500
	case errors.As(err, &op) && op.Op == "dial":
		return false
	}
	return true
}

var errDependencyFailed = errors.New("an earlier message it depends on could not be delivered")

// errUnrenderable means a message's payload cannot be rendered (it does not
// decode, a chart cannot be drawn): no retry can fix it.
var errUnrenderable = errors.New("cannot render the message")

// render fills in m's body (and, for an upload, its file and title) from its
// payload.
func (o *Outbox) render(m *workflows.Message) error {
	words, err := o.words.Get(o.Renderer)
	if err == nil {
		var body workflows.Rendered
		if body, err = words.Body(*m); err == nil {
			m.Body = body
			if body.File != nil {
				m.File, m.Filename, m.Title = body.File, body.Filename, body.Text
				m.Body.File = nil
			}
			return nil
		}
	}
	return fmt.Errorf("%w: %w", errUnrenderable, err)
}

// dependency returns the delivered message m refers to (its thread parent or
// the message it updates), errNotReady while that one is on its way, or
// errDependencyFailed when it failed for good.
func (o *Outbox) dependency(tx workflows.Tx, m workflows.Message) (workflows.Message, error) {
	key := m.Parent
	if m.Op == workflows.OpUpdate {
		key = m.Target
	}
	if key == "" {
		return workflows.Message{}, nil
	}
	ref, err := tx.MessageByKey(key)
	switch {
	case workflows.ErrorCode(err) == workflows.ENOTFOUND:
		return ref, fmt.Errorf("%w: %s does not exist", errDependencyFailed, key)
	case err != nil:
		return ref, err
	case ref.State == workflows.MessageFailed:
		return ref, fmt.Errorf("%w: %s", errDependencyFailed, key)
	case ref.State != workflows.MessageSent || ref.TS == "":
		return ref, errNotReady
	}
	return ref, nil
}

// finish records the outcome of an attempt; it reports whether the message
// left the queue. doubt says the failed attempt may have reached Slack.
func (o *Outbox) finish(ctx context.Context, log *slog.Logger, m workflows.Message, ts string, sendErr error, doubt bool) bool {
	op := string(m.Op)
	retryAfter, permanent := classify(sendErr)
	err := o.Store.Update(ctx, func(tx workflows.Tx) error {
		switch {
		case sendErr == nil:
			return tx.MessageSent(m.ID, ts)
		case permanent:
			return tx.MessageFailed(m.ID, sendErr.Error())
		}
		next := o.Clock.Now().Add(o.backoff(m.Attempts+1, retryAfter))
		if doubt {
			return tx.MessageInDoubt(m.ID, next, sendErr.Error())
		}
		return tx.MessageRetry(m.ID, next, sendErr.Error())
	})
	if err != nil {
		// The lease runs out and the message is recovered by the next attempt,
		// which first asks Slack whether it arrived.
		o.storeError(log, "outbox: record delivery outcome", err, "send_err", sendErr)
		return false
	}
	switch {
	case sendErr == nil:
		o.Metrics.Delivered(op)
		log.Debug("outbox: delivered", "ts", ts)
		return true
	case permanent:
		o.Metrics.Failed(op)
		log.Error("outbox: giving up on message", "err", sendErr, "attempts", m.Attempts+1)
		return true
	}
	o.Metrics.Retried(op)
	log.Warn("outbox: delivery failed; will retry", "err", sendErr, "attempts", m.Attempts+1, "retry_after", retryAfter)
	return false
}

// backoff is the wait before attempt n: Retry-After when Slack gave one,
// else exponential from 1 s with jitter, capped at MaxBackoff.
func (o *Outbox) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	d := time.Second << min(attempt-1, 16)
	d = min(d, o.MaxBackoff)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// permanentErrors are Slack error codes that no retry can fix.
var permanentErrors = []string{
	"channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text", "invalid_blocks",
	"invalid_blocks_format", "too_many_attachments", "message_not_found", "cant_update_message",
	"edit_window_closed", "thread_not_found", "user_not_found", "restricted_action", "invalid_arguments",
	"expired_url", "used_url",
}

// classify says whether an error is worth retrying, and after how long Slack
// asked us to wait.
func classify(err error) (retryAfter time.Duration, permanent bool) {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	var he *httpStatusError
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, errDependencyFailed), errors.Is(err, errUnrenderable):
		return 0, true
	case errors.As(err, &rl):
		return rl.RetryAfter, false
	case errors.As(err, &sc):
		return 0, sc.Code < 500 && sc.Code != http.StatusRequestTimeout && sc.Code != http.StatusTooManyRequests
	case errors.As(err, &he):
		return he.retryAfter, he.code < 500 && he.code != http.StatusRequestTimeout && he.code != http.StatusTooManyRequests
	case errors.As(err, &se):
		return 0, slices.Contains(permanentErrors, se.Err)
	}
	// Network errors, timeouts and anything unknown: retry rather than lose
	// the message.
	return 0, false
}

// messageMetadata tags every post with its outbox key, so that after a crash
// the worker can find out whether Slack already has it.
func messageMetadata(key string) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: "growthbot_message", EventPayload: map[string]any{"key": key}}
}

func (o *Outbox) send(ctx context.Context, m workflows.Message, ref workflows.Message) (string, error) {
	if o.Slack == nil && m.Op != workflows.OpRespond && m.Op != workflows.OpWebhook {
		return "", fmt.Errorf("no Slack client configured (set SLACK_BOT_TOKEN)")
	}
	switch m.Op {
	case workflows.OpPost:
		opts, err := msgOptions(m.Body)
		if err != nil {
			return "", err
		}
		opts = append(opts, slack.MsgOptionMetadata(messageMetadata(m.Key)))
		if ref.TS != "" {
			opts = append(opts, slack.MsgOptionTS(ref.TS))
		}
		o.markPosted(m.Channel)
		_, ts, err := o.Slack.PostMessageContext(ctx, m.Channel, opts...)
		return ts, err
	case workflows.OpUpdate:
		opts, err := msgOptions(m.Body)
		if err != nil {
			return "", err
		}
		_, _, _, err = o.Slack.UpdateMessageContext(ctx, ref.Channel, ref.TS, opts...)
		return ref.TS, err
	case workflows.OpEphemeral:
		opts, err := msgOptions(m.Body)
		if err != nil {
			return "", err
		}
		_, err = o.Slack.PostEphemeralContext(ctx, m.Channel, m.User, opts...)
		return "", err
	case workflows.OpUpload:
		o.markPosted(m.Channel)
		_, err := o.Slack.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader: bytes.NewReader(m.File), FileSize: len(m.File), Filename: m.Filename, Title: m.Title,
			AltTxt: m.Title, Channel: m.Channel, ThreadTimestamp: ref.TS,
		})
		return "", err
	case workflows.OpRespond:
		body, err := json.Marshal(map[string]any{"response_type": "ephemeral", "replace_original": false,
			"text": m.Body.Text, "blocks": m.Body.Blocks})
		if err != nil {
			return "", err
		}
		return "", o.postJSON(ctx, m.URL, body, nil)
	case workflows.OpWebhook:
		return "", o.postJSON(ctx, m.URL, m.Body.JSON, o.signWebhook(m))
	}
	return "", fmt.Errorf("%w: unknown operation %q", errDependencyFailed, m.Op)
}

// msgOptions turns a rendered body into slack-go message options.
func msgOptions(body workflows.Rendered) ([]slack.MsgOption, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(body.Text, false)}
	if len(body.Blocks) > 0 {
		var blocks slack.Blocks
		if err := json.Unmarshal(body.Blocks, &blocks); err != nil {
			return nil, slack.SlackErrorResponse{Err: "invalid_blocks_format"}
		}
		opts = append(opts, slack.MsgOptionBlocks(blocks.BlockSet...))
	}
	return opts, nil
}

// signWebhook returns the headers that let a receiver check a webhook came
// from us and drop a repeat: X-Growthbot-Signature is
// v1=hex(HMAC-SHA256(secret, timestamp + "." + body)).
func (o *Outbox) signWebhook(m workflows.Message) http.Header {
	ts := strconv.FormatInt(o.Clock.Now().Unix(), 10)
	h := http.Header{}
	h.Set("X-Growthbot-Delivery", m.Key)
	h.Set("X-Growthbot-Timestamp", ts)
	if secret := o.Getenv(m.SecretEnv); secret != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "."))
		mac.Write(m.Body.JSON)
		h.Set("X-Growthbot-Signature", "v1="+hex.EncodeToString(mac.Sum(nil)))
	}
	return h
}

// httpStatusError is a non-2xx answer from a response URL or webhook.
type httpStatusError struct {
	code       int
	retryAfter time.Duration
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("HTTP %d", e.code) }

func (o *Outbox) postJSON(ctx context.Context, url string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", errDependencyFailed, err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := o.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &httpStatusError{code: resp.StatusCode, retryAfter: time.Duration(secs) * time.Second}
	}
	return nil
}

// alreadyDelivered looks in Slack for a post or upload whose earlier attempt
// was cut off. It pages back from the newest messages of the channel or
// thread until it passes the time the message was enqueued (with an hour's
// margin for clock skew), so a long outage with a busy channel is covered.
func (o *Outbox) alreadyDelivered(ctx context.Context, m workflows.Message, ref workflows.Message) (string, bool, error) {
	if o.Slack == nil || (m.Op != workflows.OpPost && m.Op != workflows.OpUpload) {
		return "", false, nil // updates are idempotent; responses and webhooks carry their key
	}
	bound := float64(m.CreatedAt.Add(-time.Hour).Unix())
	cursor := ""
	for page := 0; page < 20; page++ {
		var msgs []slack.Message
		var more bool
		var err error
		if ref.TS != "" {
			msgs, more, cursor, err = o.Slack.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: m.Channel, Timestamp: ref.TS, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
		} else {
			var hist *slack.GetConversationHistoryResponse
			hist, err = o.Slack.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: m.Channel, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
			if hist != nil {
				msgs, more, cursor = hist.Messages, hist.HasMore, hist.ResponseMetaData.NextCursor
			}
		}
		if err != nil {
			return "", false, err
		}
		oldest := bound + 1
		for _, msg := range msgs {
			if key, _ := msg.Metadata.EventPayload["key"].(string); m.Op == workflows.OpPost && key == m.Key {
				return msg.Timestamp, true, nil
			}
			for _, f := range msg.Files {
				if m.Op == workflows.OpUpload && f.Title == m.Title {
					return "", true, nil
				}
			}
			if ts, err := strconv.ParseFloat(msg.Timestamp, 64); err == nil {
				oldest = min(oldest, ts)
			}
		}
		if !more || cursor == "" || oldest < bound {
			break
		}
	}
	return "", false, nil
}

// slackCode returns the error code of a Slack ok:false answer, "" for any
// other error.
func slackCode(err error) string {
	se, _ := errors.AsType[slack.SlackErrorResponse](err)
	return se.Err
}
