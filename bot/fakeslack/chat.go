package fakeslack

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"unicode/utf8"
)

// maxTextLen is the longest text chat.postMessage accepts, in characters.
const maxTextLen = 40000

// baseEpoch is a fixed second for the defaults of signed payloads (a
// message's ts, an event's time) that a test does not set.
const baseEpoch = 1700000000

// channelID is the shape of the channel, private group and DM IDs that exist
// until AddChannel restricts them.
var channelID = regexp.MustCompile(`^[CGD][A-Z0-9]+$`)

// Message is a message as the fake holds it. Slices are copies: changing them
// does not change the server.
type Message struct {
	Channel string
	TS      string
	// ThreadTS is the parent's ts for a thread reply, empty at top level.
	ThreadTS string
	Text     string
	// Blocks are the bytes of the blocks field exactly as received, so a test
	// can tell a "+" or "%" the bot sent from one a decoding step produced.
	Blocks      json.RawMessage
	Attachments json.RawMessage
	Metadata    *Metadata
	// User and BotID say who posted: always the fake's bot.
	User  string
	BotID string
	// Broadcast is set on a thread reply also shown in the channel.
	Broadcast bool
	Replies   []Message
	// Edits counts chat.update calls; Revisions holds the versions they
	// replaced, oldest first.
	Edits     int
	Revisions []Revision
	Files     []File
}

// Texts are the texts of messages, in order.
func Texts(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

// Revision is a version of a message that chat.update replaced.
type Revision struct {
	Text   string
	Blocks json.RawMessage
}

// Metadata is message metadata, as chat.postMessage takes it.
type Metadata struct {
	EventType    string          `json:"event_type"`
	EventPayload json.RawMessage `json:"event_payload,omitempty"`
}

// Ephemeral is a message only one user sees. Slack keeps no trace of one, so
// it lives apart from the channel's messages.
type Ephemeral struct {
	Channel  string
	User     string
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
}

// channel is one conversation.
type channel struct {
	top  []*message          // top-level messages and broadcast replies, in post order
	byTS map[string]*message // every message, thread replies included
}

// content is what a message carries.
type content struct {
	text        string
	blocks      json.RawMessage
	attachments json.RawMessage
	metadata    *Metadata
}

// message is a stored message.
type message struct {
	content
	channel   string
	ts        string
	threadTS  string
	broadcast bool
	replies   []*message
	revisions []Revision
	fileIDs   []string
}

// parseContent reads a message's text (from textKey) and its blocks,
// attachments and metadata, enforcing Slack's limits. Blocks keep the bytes
// of the form field: they are checked, never re-encoded.
func parseContent(p url.Values, textKey string) (content, error) {
	c := content{text: p.Get(textKey)}
	if utf8.RuneCountInString(c.text) > maxTextLen {
		return c, errMsgTooLong
	}
	if raw := p.Get("blocks"); raw != "" {
		c.blocks = json.RawMessage(raw)
		if err := checkBlocks(c.blocks, maxMessageBlocks); err != nil {
			return c, detailedError{errInvalidBlocks, err}
		}
	}
	if raw := p.Get("attachments"); raw != "" {
		var list []json.RawMessage
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return c, detailedError{errInvalidAttach, err}
		}
		c.attachments = json.RawMessage(raw)
	}
	if raw := p.Get("metadata"); raw != "" {
		c.metadata = &Metadata{}
		if err := json.Unmarshal([]byte(raw), c.metadata); err != nil || c.metadata.EventType == "" {
			return c, errInvalidMetadata
		}
	}
	return c, nil
}

// newContent reads a new message's content, which Slack refuses with no_text
// when it has nothing to show.
func newContent(p url.Values) (content, error) {
	c, err := parseContent(p, "text")
	if err == nil && c.text == "" && !hasItems(c.blocks) && !hasItems(c.attachments) {
		err = errNoText
	}
	return c, err
}

// hasItems reports whether a validated JSON array has any element.
func hasItems(list json.RawMessage) bool {
	var items []json.RawMessage
	return json.Unmarshal(list, &items) == nil && len(items) > 0
}

// channel returns the channel with this ID, creating its state on first use.
// A channel the bot cannot see is channel_not_found. The caller holds s.mu.
func (s *Server) channel(id string) (*channel, error) {
	if _, err := s.visible(id); err != nil {
		return nil, err
	}
	ch := s.channels[id]
	if ch == nil {
		ch = &channel{byTS: map[string]*message{}}
		s.channels[id] = ch
	}
	return ch, nil
}

// message finds the message p's channel and ts fields name.
func (s *Server) message(p url.Values) (*channel, *message, error) {
	ch, err := s.channel(p.Get("channel"))
	if err != nil {
		return nil, nil, err
	}
	m := ch.byTS[p.Get("ts")]
	if m == nil {
		return nil, nil, errMessageNotFound
	}
	return ch, m, nil
}

// post stores a new message in ch, as a reply when threadTS is set.
func (s *Server) post(ch *channel, id string, c content, threadTS string, broadcast bool) (*message, error) {
	m := &message{content: c, channel: id, threadTS: threadTS}
	var parent *message
	if threadTS != "" {
		// Only a top-level message can start a thread.
		if parent = ch.byTS[threadTS]; parent == nil || parent.threadTS != "" {
			return nil, errThreadNotFound
		}
	}
	m.ts = s.nextTS()
	ch.byTS[m.ts] = m
	if parent != nil {
		parent.replies = append(parent.replies, m)
		m.broadcast = broadcast
	}
	if parent == nil || broadcast {
		ch.top = append(ch.top, m)
	}
	return m, nil
}

// chatPostMessage posts to a channel the bot is in, or to a public one with
// chat:write.public.
func (s *Server) chatPostMessage(req *request) (reply, error) {
	p := req.params
	if err := s.postable(p.Get("channel")); err != nil {
		return nil, err
	}
	ch, err := s.channel(p.Get("channel"))
	if err != nil {
		return nil, err
	}
	c, err := newContent(p)
	if err != nil {
		return nil, err
	}
	m, err := s.post(ch, p.Get("channel"), c, p.Get("thread_ts"), boolParam(p, "reply_broadcast"))
	if err != nil {
		return nil, err
	}
	return reply{"channel": m.channel, "ts": m.ts, "message": s.wire(m, true)}, nil
}

// chatUpdate replaces only the fields the call sends, as Slack does: an
// update with text alone keeps the blocks.
func (s *Server) chatUpdate(req *request) (reply, error) {
	p := req.params
	_, m, err := s.message(p)
	if err != nil {
		return nil, err
	}
	c, err := parseContent(p, "text")
	if err != nil {
		return nil, err
	}
	if !p.Has("text") && c.blocks == nil && c.attachments == nil {
		return nil, errNoText
	}
	m.revisions = append(m.revisions, Revision{Text: m.text, Blocks: m.blocks})
	if p.Has("text") {
		m.text = c.text
	}
	if c.blocks != nil {
		m.blocks = c.blocks
	}
	if c.attachments != nil {
		m.attachments = c.attachments
	}
	if c.metadata != nil {
		m.metadata = c.metadata
	}
	return reply{"channel": m.channel, "ts": m.ts, "text": m.text, "message": s.wire(m, true)}, nil
}

func (s *Server) chatPostEphemeral(req *request) (reply, error) {
	p := req.params
	if _, err := s.channel(p.Get("channel")); err != nil {
		return nil, err
	}
	if p.Get("user") == "" {
		return nil, errUserNotFound
	}
	c, err := newContent(p)
	if err != nil {
		return nil, err
	}
	e := Ephemeral{
		Channel:  p.Get("channel"),
		User:     p.Get("user"),
		TS:       s.nextTS(),
		ThreadTS: p.Get("thread_ts"),
		Text:     c.text,
		Blocks:   c.blocks,
	}
	s.ephemerals = append(s.ephemerals, e)
	return reply{"message_ts": e.TS}, nil
}

// chatDelete removes a message, and a thread's replies with its parent.
func (s *Server) chatDelete(req *request) (reply, error) {
	ch, m, err := s.message(req.params)
	if err != nil {
		return nil, err
	}
	gone := func(x *message) bool {
		return x == m || m.threadTS == "" && x.threadTS == m.ts
	}
	ch.top = slices.DeleteFunc(ch.top, gone)
	if parent := ch.byTS[m.threadTS]; parent != nil {
		parent.replies = slices.DeleteFunc(parent.replies, gone)
	}
	maps.DeleteFunc(ch.byTS, func(_ string, x *message) bool { return gone(x) })
	return reply{"channel": m.channel, "ts": m.ts}, nil
}

// Messages returns a channel's top-level messages in post order, with their
// thread replies. Broadcast replies appear here as well as in their thread.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channel]
	if ch == nil {
		return nil
	}
	return s.snapshots(ch.top)
}

// Thread returns the replies to the message at ts, oldest first, without the
// parent.
func (s *Server) Thread(channel, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.channels[channel]; ch != nil && ch.byTS[ts] != nil {
		return s.snapshots(ch.byTS[ts].replies)
	}
	return nil
}

// Message returns the message at ts, top-level or reply.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.channels[channel]; ch != nil && ch.byTS[ts] != nil {
		return s.snapshot(ch.byTS[ts]), true
	}
	return Message{}, false
}

// Ephemerals returns every ephemeral message, in post order.
func (s *Server) Ephemerals() []Ephemeral {
	return cloned(s, &s.ephemerals, func(e *Ephemeral) { e.Blocks = bytes.Clone(e.Blocks) })
}

// snapshots copies messages for callers outside the lock.
func (s *Server) snapshots(list []*message) []Message {
	var out []Message
	for _, m := range list {
		out = append(out, s.snapshot(m))
	}
	return out
}

func (s *Server) snapshot(m *message) Message {
	out := Message{
		Channel:     m.channel,
		TS:          m.ts,
		ThreadTS:    m.threadTS,
		Text:        m.text,
		Blocks:      bytes.Clone(m.blocks),
		Attachments: bytes.Clone(m.attachments),
		Metadata:    m.metadata,
		User:        BotUserID,
		BotID:       BotID,
		Broadcast:   m.broadcast,
		Replies:     s.snapshots(m.replies),
		Edits:       len(m.revisions),
		Revisions:   slices.Clone(m.revisions),
	}
	if m.metadata != nil {
		md := *m.metadata
		md.EventPayload = bytes.Clone(md.EventPayload)
		out.Metadata = &md
	}
	for _, id := range m.fileIDs {
		if f := s.files[id]; f != nil {
			out.Files = append(out.Files, f.snapshot())
		}
	}
	return out
}

// wireMessage is a message as Slack's API returns it.
type wireMessage struct {
	Type        string          `json:"type"`
	Subtype     string          `json:"subtype,omitempty"`
	User        string          `json:"user"`
	BotID       string          `json:"bot_id"`
	AppID       string          `json:"app_id"`
	Team        string          `json:"team"`
	Text        string          `json:"text"`
	TS          string          `json:"ts"`
	ThreadTS    string          `json:"thread_ts,omitempty"`
	ReplyCount  int             `json:"reply_count,omitempty"`
	LatestReply string          `json:"latest_reply,omitempty"`
	Blocks      json.RawMessage `json:"blocks,omitempty"`
	Attachments json.RawMessage `json:"attachments,omitempty"`
	Metadata    *Metadata       `json:"metadata,omitempty"`
	Files       []wireFile      `json:"files,omitempty"`
	Edited      *wireEdited     `json:"edited,omitempty"`
}

type wireEdited struct {
	User string `json:"user"`
	TS   string `json:"ts"`
}

// wire renders m for an API answer. Metadata is left out unless asked for,
// as conversations.history does without include_all_metadata.
func (s *Server) wire(m *message, withMetadata bool) wireMessage {
	w := wireMessage{
		Type:        "message",
		User:        BotUserID,
		BotID:       BotID,
		AppID:       AppID,
		Team:        TeamID,
		Text:        m.text,
		TS:          m.ts,
		ThreadTS:    m.threadTS,
		Blocks:      m.blocks,
		Attachments: m.attachments,
	}
	if withMetadata {
		w.Metadata = m.metadata
	}
	if m.broadcast {
		w.Subtype = "thread_broadcast"
	}
	if n := len(m.replies); n > 0 {
		w.ThreadTS, w.ReplyCount, w.LatestReply = m.ts, n, m.replies[n-1].ts
	}
	if len(m.revisions) > 0 {
		w.Edited = &wireEdited{User: BotUserID, TS: m.ts}
	}
	for _, id := range m.fileIDs {
		if f := s.files[id]; f != nil {
			w.Files = append(w.Files, f.wire())
		}
	}
	return w
}

// boolParam reads a flag the way Slack does: slack-go sends "true", "1" and
// "0" depending on the method.
func boolParam(p url.Values, key string) bool {
	v := p.Get(key)
	return v == "true" || v == "1"
}

// AddMessage puts a message posted earlier, by another process, into its
// channel's history, so that a fake started on an existing database (the
// console after the demo) knows the threads the database refers to. Channel
// and TS must be set; a reply names its parent in ThreadTS, and the parent
// must be added first. Only Text, Blocks and Metadata are kept of the
// content; the fake's later ts come after TS.
func (s *Server) AddMessage(m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.channel(m.Channel)
	if err != nil {
		return fmt.Errorf("fakeslack: add message to %s: %w", m.Channel, err)
	}
	if micros(m.TS) == 0 || ch.byTS[m.TS] != nil {
		return fmt.Errorf("fakeslack: add message to %s: ts %q is malformed or taken", m.Channel, m.TS)
	}
	stored := &message{content: content{text: m.Text, blocks: bytes.Clone(m.Blocks), metadata: m.Metadata},
		channel: m.Channel, ts: m.TS, threadTS: m.ThreadTS}
	if m.ThreadTS == "" {
		ch.top = append(ch.top, stored)
		slices.SortStableFunc(ch.top, func(a, b *message) int { return cmp.Compare(micros(a.ts), micros(b.ts)) })
	} else {
		parent := ch.byTS[m.ThreadTS]
		if parent == nil || parent.threadTS != "" {
			return fmt.Errorf("fakeslack: add reply to %s: %w", m.ThreadTS, errThreadNotFound)
		}
		parent.replies = append(parent.replies, stored)
		slices.SortStableFunc(parent.replies, func(a, b *message) int { return cmp.Compare(micros(a.ts), micros(b.ts)) })
	}
	ch.byTS[m.TS] = stored
	s.lastTS = max(s.lastTS, micros(m.TS))
	s.notify()
	return nil
}
