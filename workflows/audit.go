package workflows

import (
	"context"
	"time"
)

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

// History returns every change to an experiment, oldest first. Errors:
// ENOTFOUND for an unknown experiment.
func (s *Service) History(ctx context.Context, key string) (Experiment, []AuditEntry, error) {
	var e Experiment
	var entries []AuditEntry
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		if e, err = tx.Experiment(key); err != nil {
			return err
		}
		entries, err = tx.Audit(AuditFilter{Subject: "experiment:" + key})
		return err
	})
	return e, entries, err
}
