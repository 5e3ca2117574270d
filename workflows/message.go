package workflows

import (
	"encoding/json"
	"time"
)

// MessageOp is what delivering a message does.
type MessageOp string

// Message operations.
const (
	// OpPost posts to Channel, as a reply in the thread of the message with
	// key Parent when Parent is set (chat.postMessage).
	OpPost MessageOp = "post"
	// OpUpdate replaces the message with key Target (chat.update).
	OpUpdate MessageOp = "update"
	// OpRespond answers a slash command or button through its response_url.
	OpRespond MessageOp = "respond"
	// OpEphemeral shows a message only to User in Channel (chat.postEphemeral).
	OpEphemeral MessageOp = "ephemeral"
	// OpUpload shares File into Channel, in the thread of Parent.
	OpUpload MessageOp = "upload"
	// OpWebhook POSTs the body to URL, HMAC-signed with the secret in the
	// environment variable SecretEnv.
	OpWebhook MessageOp = "webhook"
)

// MessageState is where a message is in delivery.
type MessageState string

// Message states. A message is sending while a worker holds it; one that
// stays sending past its lease was interrupted and is recovered, checking
// first whether Slack already has it.
const (
	MessagePending MessageState = "pending"
	MessageSending MessageState = "sending"
	MessageSent    MessageState = "sent"
	MessageFailed  MessageState = "failed"
)

// Rendered is a message body ready to send: for Slack, fallback text and
// Block Kit blocks (a JSON array); for a webhook, the JSON document.
type Rendered struct {
	Text   string          `json:"text"`
	Blocks json.RawMessage `json:"blocks,omitempty"`
	JSON   json.RawMessage `json:"json,omitempty"`
	// File is a picture to upload (a chart), with its file name; the text
	// is its title. Enqueue moves it into the message.
	File     []byte `json:"-"`
	Filename string `json:"-"`
}

// Renderer turns a domain value (a scorecard, a decision request, a digest
// section) into a message body. The Slack adapter implements it; rendering
// is pure, so it is safe inside a transaction.
type Renderer interface {
	Render(v any) (Rendered, error)
}

// Message is one thing growthbot sends. It is written to the outbox in the
// same transaction as the change it reports, then delivered by a worker, so
// that a change and its message happen together or not at all.
type Message struct {
	ID int64
	// Key is unique: enqueueing a key that exists keeps the first message.
	// That is what makes posts exactly-once across retries and restarts.
	Key       string
	Op        MessageOp
	Channel   string
	Parent    string // key of the thread's parent message
	Target    string // key of the message an update replaces
	URL       string // response_url or webhook URL
	User      string // ephemeral: who sees it
	SecretEnv string // webhook: the environment variable with the HMAC secret
	Body      Rendered
	// Upload: the file's bytes, name and title.
	File     []byte
	Filename string
	Title    string

	State         MessageState
	Attempts      int
	NextAttemptAt time.Time
	LeaseUntil    time.Time
	TS            string // the Slack timestamp of a delivered post or upload
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time
}

// Lane returns the delivery lane of the message: messages in one lane are
// delivered one at a time, in the order they were enqueued. A lane is a
// channel's top level, one thread, one message's updates, one response URL
// or one webhook.
func (m Message) Lane() string {
	switch m.Op {
	case OpUpdate:
		return "update:" + m.Target
	case OpRespond:
		return "respond:" + m.URL
	case OpWebhook:
		return "webhook:" + m.URL
	}
	return "slack:" + m.Channel + ":" + m.Parent
}

// OutboxStore keeps the outbox.
type OutboxStore interface {
	// Enqueue adds a pending message due now, unless one with its key
	// exists; it reports whether it added it.
	Enqueue(Message) (bool, error)
	// MessageByKey returns the message with the key.
	MessageByKey(key string) (Message, error)
	// DueMessages returns up to limit messages that may be delivered at now:
	// the first undelivered message of each lane, when its time has come and
	// no live lease holds it. They come without Body and File, which
	// ClaimMessage reads.
	DueMessages(now time.Time, limit int) ([]Message, error)
	// ClaimMessage takes the message for delivery until leaseUntil. It fails
	// with ECONFLICT when another worker holds it or it was delivered.
	ClaimMessage(id int64, leaseUntil time.Time) (Message, error)
	// MessageSent records a delivery and, for posts, Slack's timestamp.
	MessageSent(id int64, ts string) error
	// MessageRetry puts the message back with its next attempt time.
	MessageRetry(id int64, next time.Time, reason string) error
	// MessageInDoubt puts the message back after an attempt that may have
	// reached Slack all the same (a timeout, a connection cut after the
	// request went out): it stays sending, held until next, so that the
	// next attempt first asks Slack whether it arrived.
	MessageInDoubt(id int64, next time.Time, reason string) error
	// MessageFailed gives up on the message for good.
	MessageFailed(id int64, reason string) error
	// OutboxCounts returns the number of messages in each state.
	OutboxCounts() (map[MessageState]int, error)
	// SentPosts returns the posts Slack took, oldest first, without File:
	// what a local fake of Slack needs to know the threads and buttons the
	// database refers to.
	SentPosts() ([]Message, error)
	// PruneOutbox clears the body and file of messages delivered (or given
	// up) before the time, keeping the row (its key keeps the message from
	// being sent again; its ts keeps its thread) and the bodies of messages
	// that others reply to or update. It returns how many it cleared.
	PruneOutbox(before time.Time) (int64, error)
	// DropOutboxLeaves deletes the rows of updates, uploads (charts),
	// responses, ephemeral messages and webhooks delivered (or given up)
	// before the time: no later message replies to or updates them, and
	// sending one again would repeat it, not double it (an update, a
	// response) or needs its period run again (a chart), so their keys need
	// not be kept. A row another message refers to stays. It returns how
	// many it deleted.
	DropOutboxLeaves(before time.Time) (int64, error)
}

// Enqueue renders v with the service's renderer and adds the message to the
// outbox in tx. It reports whether the message was new.
func (s *Service) Enqueue(tx Tx, m Message, v any) (bool, error) {
	if v != nil {
		if s.Renderer == nil {
			return false, Errorf(EINTERNAL, "no renderer configured")
		}
		body, err := s.Renderer.Render(v)
		if err != nil {
			return false, err
		}
		if body.File != nil {
			m.File, m.Filename, m.Title = body.File, body.Filename, body.Text
			body.File = nil
		}
		m.Body = body
	}
	return tx.Enqueue(m)
}
