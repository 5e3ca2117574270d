package fakeslack

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// History pages hold 100 messages unless limit says otherwise, and at most
// 999, as in Slack.
const (
	defaultPageSize = 100
	maxPageSize     = 999
)

// conversationsHistory lists top-level messages newest first. The bot reads
// it after a crash to find out whether a message was already posted, so
// oldest, latest, inclusive, limit, cursor and include_all_metadata all work.
// Only a member may read a channel: a public channel the bot posted to with
// chat:write.public answers not_in_channel, as in Slack.
func (s *Server) conversationsHistory(req *request) (reply, error) {
	if err := s.readable(req.params.Get("channel")); err != nil {
		return nil, err
	}
	ch, err := s.channel(req.params.Get("channel"))
	if err != nil {
		return nil, err
	}
	newest := slices.Clone(ch.top)
	slices.Reverse(newest)
	return s.page(newest, req.params)
}

// conversationsReplies lists a thread oldest first, parent included. A reply's
// ts stands for its whole thread, as in Slack.
func (s *Server) conversationsReplies(req *request) (reply, error) {
	if err := s.readable(req.params.Get("channel")); err != nil {
		return nil, err
	}
	ch, err := s.channel(req.params.Get("channel"))
	if err != nil {
		return nil, err
	}
	parent := ch.byTS[req.params.Get("ts")]
	if parent != nil && parent.threadTS != "" {
		parent = ch.byTS[parent.threadTS]
	}
	if parent == nil {
		return nil, errThreadNotFound
	}
	return s.page(append([]*message{parent}, parent.replies...), req.params)
}

// page filters msgs by oldest and latest and cuts one page from the cursor.
// A cursor is the ts of the first message of the next page, opaque as
// Slack's are.
func (s *Server) page(msgs []*message, p url.Values) (reply, error) {
	inclusive := boolParam(p, "inclusive")
	in := func(m *message) bool {
		ts := micros(m.ts)
		if o := p.Get("oldest"); o != "" && (ts < micros(o) || ts == micros(o) && !inclusive) {
			return false
		}
		if l := p.Get("latest"); l != "" && (ts > micros(l) || ts == micros(l) && !inclusive) {
			return false
		}
		return true
	}
	msgs = slices.DeleteFunc(slices.Clone(msgs), func(m *message) bool { return !in(m) })

	if cursor := p.Get("cursor"); cursor != "" {
		next, err := base64.StdEncoding.DecodeString(cursor)
		ts, ok := strings.CutPrefix(string(next), "next_ts:")
		start := slices.IndexFunc(msgs, func(m *message) bool { return m.ts == ts })
		if err != nil || !ok || start < 0 {
			return nil, errInvalidCursor
		}
		msgs = msgs[start:]
	}

	limit, err := strconv.Atoi(p.Get("limit"))
	if err != nil || limit <= 0 {
		limit = defaultPageSize
	}
	limit = min(limit, maxPageSize)
	nextCursor := ""
	if len(msgs) > limit {
		nextCursor = base64.StdEncoding.EncodeToString([]byte("next_ts:" + msgs[limit].ts))
		msgs = msgs[:limit]
	}

	withMetadata := boolParam(p, "include_all_metadata")
	out := []wireMessage{}
	for _, m := range msgs {
		out = append(out, s.wire(m, withMetadata))
	}
	return reply{
		"messages":          out,
		"has_more":          nextCursor != "",
		"response_metadata": reply{"next_cursor": nextCursor},
	}, nil
}

// micros reads a ts ("1700000000.000100", or whole seconds) as microseconds,
// because floats cannot hold sixteen significant digits exactly. A malformed
// ts reads as 0, the start of time.
func micros(ts string) int64 {
	sec, frac, _ := strings.Cut(ts, ".")
	whole, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return 0
	}
	part, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return whole*1_000_000 + part
}
