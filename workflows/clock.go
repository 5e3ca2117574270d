package workflows

import (
	"sync"
	"time"
)

// Clock tells the time. Tests control it; production uses SystemClock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// FakeClock is a clock that only moves when told to. It is safe for
// concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock stopped at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// The one wording of dates and times that people read, in Slack's
// fallbacks, the console and the CLI: a moment is "2 Dec 2026 14:47 UTC", a
// day "2 Dec 2026". Slack messages show moments with Slack's date token so
// that each reader sees their own zone; this wording is its fallback.

// MomentText writes a moment in UTC: "2 Dec 2026 14:47 UTC".
func MomentText(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04") + " UTC" }

// DayText writes the calendar day of t in t's location: "2 Dec 2026".
func DayText(t time.Time) string { return t.Format("2 Jan 2006") }
