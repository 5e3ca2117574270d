package fakeslack

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// processTag is drawn once per process and goes into every ID the fake
// makes (files, views, trigger and event IDs, response URLs), so that two
// processes never hand out the same one: the bot remembers trigger and
// event IDs in its database to drop Slack's retries, and a console started
// on the demo's database must not look like a retry of the demo.
var processTag = newProcessTag()

// newProcessTag returns six characters of Slack's ID alphabet.
func newProcessTag() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("fakeslack: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// nextTS hands out the next message timestamp: the wall clock in
// microseconds, as Slack's are, moved on by a microsecond when two messages
// would share one, so a ts is unique and increasing for the server's
// lifetime and later than any ts an earlier process handed out. The caller
// holds s.mu.
func (s *Server) nextTS() string {
	s.lastTS = max(time.Now().UnixMicro(), s.lastTS+1)
	return formatTS(s.lastTS)
}

// formatTS writes microseconds since the epoch as a Slack ts.
func formatTS(us int64) string {
	return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000)
}

// newID hands out a Slack-shaped ID with the given prefix, unique across
// processes. The caller holds s.mu.
func (s *Server) newID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%s%06d", prefix, processTag, s.seq)
}

// newTriggerID returns a trigger_id shaped like Slack's, unique across
// processes.
func newTriggerID() string {
	n := sequence.Add(1)
	return fmt.Sprintf("%d.%d.%s%010x", time.Now().Unix(), n, strings.ToLower(processTag), n)
}

// newEventID returns an event_id shaped like Slack's, unique across
// processes.
func newEventID() string {
	return fmt.Sprintf("Ev%s%08d", processTag, sequence.Add(1))
}

// newActionTS returns a unique action_ts.
func newActionTS() string {
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), sequence.Add(1)%1_000_000)
}
