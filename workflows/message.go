package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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
// Block Kit blocks (a JSON array); for a webhook, the JSON document. The
// domain stores one only for what an adapter rendered itself (a reply to a
// command), for webhooks, and in rows from before messages carried data;
// everything else carries a Payload, rendered when it is delivered.
type Rendered struct {
	Text   string          `json:"text"`
	Blocks json.RawMessage `json:"blocks,omitempty"`
	JSON   json.RawMessage `json:"json,omitempty"`
	// File is a picture to upload (a chart), with its file name; the text
	// is its title.
	File     []byte `json:"-"`
	Filename string `json:"-"`
}

// PayloadKind names the domain value a message carries. Kinds are stored
// with messages waiting in the outbox, so a kind is never renamed.
type PayloadKind string

// The kinds of payload: one per domain value the service posts.
const (
	KindReview             PayloadKind = "review"
	KindReviewDecided      PayloadKind = "review.decided"
	KindReviewDecisionNote PayloadKind = "review.decision_note"
	KindThreadHeadline     PayloadKind = "thread.headline"
	KindScorecard          PayloadKind = "scorecard"
	KindLiftChart          PayloadKind = "chart.lift"
	KindIntervalChart      PayloadKind = "chart.intervals"
	KindGuardrailAlert     PayloadKind = "alert.guardrail"
	KindSRMAlert           PayloadKind = "alert.srm"
	KindDataAlert          PayloadKind = "alert.data"
	KindSourceDown         PayloadKind = "alert.source_down"
	KindOverdueReminder    PayloadKind = "alert.overdue"
	KindOwnerEscalation    PayloadKind = "alert.escalation"
	KindWeeklyUpdate       PayloadKind = "weekly"
	KindDecisionRequest    PayloadKind = "decision.request"
	KindDecisionOutcome    PayloadKind = "decision.outcome"
	KindExperimentReview   PayloadKind = "experiment.review"
	KindPostMortemAsk      PayloadKind = "experiment.postmortem"
	KindRolloutAlert       PayloadKind = "rollout.alert"
	KindEarlierDecided     PayloadKind = "experiment.earlier_decided"
)

// PayloadKinds returns every kind of payload. An adapter renders each; its
// tests range over this list, so a kind cannot be added without a renderer.
func PayloadKinds() []PayloadKind {
	return []PayloadKind{
		KindReview, KindReviewDecided, KindReviewDecisionNote, KindThreadHeadline, KindScorecard, KindLiftChart,
		KindIntervalChart, KindGuardrailAlert, KindSRMAlert, KindDataAlert, KindSourceDown, KindOverdueReminder, KindOwnerEscalation,
		KindWeeklyUpdate, KindDecisionRequest, KindDecisionOutcome, KindExperimentReview, KindPostMortemAsk,
		KindRolloutAlert, KindEarlierDecided,
	}
}

// Content is a domain value a message carries: a scorecard, a decision
// request, a section of a review.
type Content interface {
	PayloadKind() PayloadKind
}

// Payload is a message's content as data: its kind and the domain value as
// JSON. It holds no Slack syntax; the adapter renders it when it delivers,
// outside any write transaction.
type Payload struct {
	Kind PayloadKind     `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// NewPayload encodes c as a payload.
func NewPayload(c Content) (Payload, error) {
	kind := c.PayloadKind()
	if !slices.Contains(PayloadKinds(), kind) {
		return Payload{}, Errorf(EINTERNAL, "payload kind %q is not in PayloadKinds", kind)
	}
	data, err := json.Marshal(c)
	if err != nil {
		return Payload{}, fmt.Errorf("workflows: encode %s payload: %w", kind, err)
	}
	return Payload{Kind: kind, Data: data}, nil
}

// DecodePayload decodes a payload of T's kind.
func DecodePayload[T Content](p Payload) (T, error) {
	var v T
	if p.Kind != v.PayloadKind() {
		return v, fmt.Errorf("workflows: a %s payload is not a %s", p.Kind, v.PayloadKind())
	}
	if len(p.Data) == 0 {
		return v, fmt.Errorf("workflows: the %s payload is empty (pruned)", p.Kind)
	}
	if err := json.Unmarshal(p.Data, &v); err != nil {
		return v, fmt.Errorf("workflows: decode %s payload: %w", p.Kind, err)
	}
	return v, nil
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
	// Payload is what the message says, as data; the adapter renders it
	// when it delivers. Empty for a message enqueued with its Body.
	Payload Payload
	// Body is a message already rendered: a reply an adapter rendered, a
	// webhook's document, or a row from before messages carried data.
	Body Rendered
	// Upload (rows from before messages carried data): the file's bytes,
	// name and title.
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
	// no live lease holds it. They come without Payload, Body and File, which
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
	// PostsByKeyPrefix returns the posts whose key starts with prefix and
	// whose payload is of one of the kinds, oldest first, without files.
	PostsByKeyPrefix(prefix string, kinds ...PayloadKind) ([]Message, error)
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

// Enqueue adds the message to the outbox in tx, carrying c as its payload
// (or, when c is nil, the body m already has). Nothing is rendered here:
// the writer is held only to store data. It reports whether the message was
// new.
func (s *Service) Enqueue(tx Tx, m Message, c Content) (bool, error) {
	if c != nil {
		p, err := NewPayload(c)
		if err != nil {
			return false, err
		}
		m.Payload = p
	}
	return tx.Enqueue(m)
}

// Reply adds a message an adapter rendered itself (an answer to a command or
// a button, through its response URL or as an ephemeral message) to the
// outbox, so that it is delivered, once, like every other message.
func (s *Service) Reply(ctx context.Context, m Message) error {
	if m.Op != OpRespond && m.Op != OpEphemeral {
		return Errorf(EINTERNAL, "a reply is a response or an ephemeral message, not a %s", m.Op)
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		_, err := tx.Enqueue(m)
		return err
	})
}
