package workflows

import "time"

// AuditEntry records one change: who did what, when, why, and the state
// before and after. Entries are only ever appended; the store refuses to
// update or delete them.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string // Slack user id, or "config", "scheduler", "cli"
	Action  string // e.g. "experiment.start", "decision.approve", "config.apply"
	Subject string // what changed, e.g. "experiment:one-click-checkout"
	Reason  string
	Before  string // JSON, empty for a creation
	After   string // JSON, empty for a removal
}
