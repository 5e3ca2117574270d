package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

const messageColumns = `id, key, op, channel, parent, target, url, user_id, secret_env, kind, payload, body, file, filename, title, state,
	attempts, next_attempt_at, lease_until, ts, last_error, created_at, sent_at`

// messageColumnsNoFile are messageColumns with NULL for the file.
const messageColumnsNoFile = `id, key, op, channel, parent, target, url, user_id, secret_env, kind, payload, body, NULL, filename, title, state,
	attempts, next_attempt_at, lease_until, ts, last_error, created_at, sent_at`

// messageHeadColumns are a message without its body and file: what the
// worker needs to pick the next messages, polled every quarter second.
const messageHeadColumns = `id, key, op, channel, parent, target, url, user_id, secret_env, filename, title, state,
	attempts, next_attempt_at, lease_until, ts, last_error, created_at, sent_at`

func scanMessageHead(s scanner) (workflows.Message, error) {
	var m workflows.Message
	err := s.Scan(&m.ID, &m.Key, &m.Op, &m.Channel, &m.Parent, &m.Target, &m.URL, &m.User, &m.SecretEnv,
		&m.Filename, &m.Title, &m.State, &m.Attempts, scanTime(&m.NextAttemptAt), scanTime(&m.LeaseUntil), &m.TS,
		&m.LastError, scanTime(&m.CreatedAt), scanTime(&m.SentAt))
	return m, err
}

func scanMessage(s scanner) (workflows.Message, error) {
	var m workflows.Message
	var body, payload string
	err := s.Scan(&m.ID, &m.Key, &m.Op, &m.Channel, &m.Parent, &m.Target, &m.URL, &m.User, &m.SecretEnv, &m.Payload.Kind, &payload, &body, &m.File,
		&m.Filename, &m.Title, &m.State, &m.Attempts, scanTime(&m.NextAttemptAt), scanTime(&m.LeaseUntil), &m.TS,
		&m.LastError, scanTime(&m.CreatedAt), scanTime(&m.SentAt))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(body), &m.Body); err != nil {
		return m, fmt.Errorf("message %s: body: %w", m.Key, err)
	}
	if payload != "" {
		m.Payload.Data = json.RawMessage(payload)
	}
	return m, nil
}

// Enqueue adds a pending message unless its key exists.
func (t *Tx) Enqueue(m workflows.Message) (bool, error) {
	if m.Key == "" {
		return false, workflows.Errorf(workflows.EINTERNAL, "message without a key")
	}
	body, err := json.Marshal(m.Body)
	if err != nil {
		return false, fmt.Errorf("store: enqueue %s: %w", m.Key, err)
	}
	res, err := t.exec(`INSERT INTO outbox (key, op, lane, channel, parent, target, url, user_id, secret_env, kind, payload,
		body, file, filename, title, state, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
		ON CONFLICT (key) DO NOTHING`,
		m.Key, m.Op, m.Lane(), m.Channel, m.Parent, m.Target, m.URL, m.User, m.SecretEnv, m.Payload.Kind, string(m.Payload.Data),
		string(body), m.File, m.Filename, m.Title, formatTime(t.now), formatTime(t.now))
	if err != nil {
		return false, fmt.Errorf("store: enqueue %s: %w", m.Key, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MessageByKey returns the message with the key.
func (t *Tx) MessageByKey(key string) (workflows.Message, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+messageColumns+` FROM outbox WHERE key = ?`, key))
	if err != nil {
		return m, notFound(err, "no message %q", key)
	}
	return m, nil
}

// DueMessages returns the due heads of lanes, oldest first.
func (t *Tx) DueMessages(now time.Time, limit int) ([]workflows.Message, error) {
	at := formatTime(now)
	return queryAll(t, "due messages", scanMessageHead, `SELECT `+messageHeadColumns+` FROM outbox m
		WHERE m.state IN ('pending', 'sending')
		AND m.id = (SELECT MIN(h.id) FROM outbox h WHERE h.lane = m.lane AND h.state IN ('pending', 'sending'))
		AND m.next_attempt_at <= ? AND (m.lease_until IS NULL OR m.lease_until <= ?)
		ORDER BY m.id LIMIT ?`, at, at, limit)
}

// ClaimMessage takes a message for delivery until leaseUntil. The message
// comes back as it was before the claim, so the caller sees whether an
// earlier attempt was cut off while sending.
func (t *Tx) ClaimMessage(id int64, leaseUntil time.Time) (workflows.Message, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+messageColumns+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, workflows.Errorf(workflows.ENOTFOUND, "no message %d", id)
	} else if err != nil {
		return m, fmt.Errorf("store: claim message %d: %w", id, err)
	}
	if m.State == workflows.MessageSent || m.State == workflows.MessageFailed ||
		(!m.LeaseUntil.IsZero() && m.LeaseUntil.After(t.now)) {
		return m, workflows.Errorf(workflows.ECONFLICT, "message %s is %s or held by another worker", m.Key, m.State)
	}
	if _, err := t.exec(`UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_until = ? WHERE id = ?`,
		formatTime(leaseUntil), id); err != nil {
		return m, fmt.Errorf("store: claim message %d: %w", id, err)
	}
	return m, nil
}

// MessageSent records a delivery.
func (t *Tx) MessageSent(id int64, ts string) error {
	return t.setMessage(id, `state = 'sent', ts = ?, sent_at = ?, lease_until = NULL, last_error = ''`, ts, formatTime(t.now))
}

// MessageRetry schedules another attempt.
func (t *Tx) MessageRetry(id int64, next time.Time, reason string) error {
	return t.setMessage(id, `state = 'pending', next_attempt_at = ?, lease_until = NULL, last_error = ?`, formatTime(next), reason)
}

// MessageInDoubt schedules another attempt that first looks the message up.
func (t *Tx) MessageInDoubt(id int64, next time.Time, reason string) error {
	at := formatTime(next)
	return t.setMessage(id, `state = 'sending', next_attempt_at = ?, lease_until = ?, last_error = ?`, at, at, reason)
}

// MessageFailed gives up on a message.
func (t *Tx) MessageFailed(id int64, reason string) error {
	return t.setMessage(id, `state = 'failed', lease_until = NULL, last_error = ?`, reason)
}

func (t *Tx) setMessage(id int64, set string, args ...any) error {
	res, err := t.exec(`UPDATE outbox SET `+set+` WHERE id = ?`, append(args, id)...)
	if err != nil {
		return fmt.Errorf("store: update message %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return workflows.Errorf(workflows.ENOTFOUND, "no message %d", id)
	}
	return nil
}

// OutboxCounts counts messages by state.
func (t *Tx) OutboxCounts() (map[workflows.MessageState]int, error) {
	rows, err := t.query(`SELECT state, COUNT(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: outbox counts: %w", err)
	}
	defer rows.Close()
	out := map[workflows.MessageState]int{}
	for rows.Next() {
		var s workflows.MessageState
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("store: outbox counts: %w", err)
		}
		out[s] = n
	}
	return out, rows.Err()
}

// SentPosts returns the posts Slack took, oldest first, without files.
func (t *Tx) SentPosts() ([]workflows.Message, error) {
	return queryAll(t, "sent posts", scanMessage, `SELECT `+messageColumnsNoFile+` FROM outbox
		WHERE op = 'post' AND state = 'sent' AND ts != '' ORDER BY id`)
}

// PostsByKeyPrefix returns the posts whose key starts with prefix and whose
// payload is of one of the kinds, oldest first, without files.
func (t *Tx) PostsByKeyPrefix(prefix string, kinds ...workflows.PayloadKind) ([]workflows.Message, error) {
	if len(kinds) == 0 || prefix == "" {
		return nil, nil
	}
	args := []any{prefix, prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1)}
	for _, k := range kinds {
		args = append(args, string(k))
	}
	return queryAll(t, "posts by key", scanMessage, `SELECT `+messageColumnsNoFile+` FROM outbox
		WHERE key >= ? AND key < ? AND op = 'post' AND kind IN (?`+strings.Repeat(", ?", len(kinds)-1)+`) ORDER BY id`, args...)
}

// prunedBody is what a pruned message's body becomes: an empty rendering.
const prunedBody = `{}`

// PruneOutbox clears the payloads, bodies and files of messages delivered or
// given up before the time, except thread parents and messages that are
// updated. The kind stays, to tell what the message was.
func (t *Tx) PruneOutbox(before time.Time) (int64, error) {
	res, err := t.exec(`UPDATE outbox SET payload = '', body = ?, file = NULL
		WHERE state IN ('sent', 'failed') AND COALESCE(sent_at, created_at) < ?
		AND (body != ? OR payload != '' OR file IS NOT NULL)
		AND key NOT IN (SELECT parent FROM outbox WHERE parent != '')
		AND key NOT IN (SELECT target FROM outbox WHERE target != '')`, prunedBody, formatTime(before), prunedBody)
	if err != nil {
		return 0, fmt.Errorf("store: prune outbox: %w", err)
	}
	return res.RowsAffected()
}

// DropOutboxLeaves deletes the rows of updates, uploads, responses,
// ephemeral messages and webhooks delivered or given up before the time,
// unless another message refers to them.
func (t *Tx) DropOutboxLeaves(before time.Time) (int64, error) {
	res, err := t.exec(`DELETE FROM outbox
		WHERE op IN ('update', 'upload', 'respond', 'ephemeral', 'webhook')
		AND state IN ('sent', 'failed') AND COALESCE(sent_at, created_at) < ?
		AND key NOT IN (SELECT parent FROM outbox WHERE parent != '')
		AND key NOT IN (SELECT target FROM outbox WHERE target != '')`, formatTime(before))
	if err != nil {
		return 0, fmt.Errorf("store: drop delivered outbox leaves: %w", err)
	}
	return res.RowsAffected()
}

// RecordDelivery records an inbound delivery id; false means seen before.
func (t *Tx) RecordDelivery(id string) (bool, error) {
	res, err := t.exec(`INSERT INTO slack_deliveries (id, received_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
		id, formatTime(t.now))
	if err != nil {
		return false, fmt.Errorf("store: record delivery: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ForgetDeliveries removes delivery records received before the time.
func (t *Tx) ForgetDeliveries(before time.Time) error {
	if _, err := t.exec(`DELETE FROM slack_deliveries WHERE received_at < ?`, formatTime(before)); err != nil {
		return fmt.Errorf("store: forget deliveries: %w", err)
	}
	return nil
}
