package workflows

import (
	"context"
	"time"
)

// HousekeepingSchedule is when the housekeeping job runs: daily at 03:30
// UTC.
const HousekeepingSchedule = "30 3 * * *"

// Retention says how long growthbot keeps what it only needs for a while.
// Zero fields mean the defaults.
type Retention struct {
	// Deliveries is how long the records of Slack's inbound deliveries
	// (signatures, trigger and event ids) are kept to recognise a replay or
	// a retry. Slack retries within minutes and a signature is refused
	// after 5, so an hour is plenty.
	Deliveries time.Duration
	// Messages is how long the body and file (chart) of a message delivered
	// to Slack are kept. The row stays, so the message is never sent again
	// and its thread keeps its ts; thread parents and updated messages keep
	// their bodies.
	Messages time.Duration
}

// Default retention periods.
const (
	DefaultKeepDeliveries = time.Hour
	DefaultKeepMessages   = 30 * 24 * time.Hour
)

// WithDefaults returns r with every zero field set to its default.
func (r Retention) WithDefaults() Retention {
	if r.Deliveries <= 0 {
		r.Deliveries = DefaultKeepDeliveries
	}
	if r.Messages <= 0 {
		r.Messages = DefaultKeepMessages
	}
	return r
}

// RunHousekeeping forgets delivery records older than Retention.Deliveries
// and clears the bodies and files of messages delivered longer than
// Retention.Messages ago. It runs once a day (opts.Period, YYYY-MM-DD UTC).
func (s *Service) RunHousekeeping(ctx context.Context, opts JobOptions) (JobReport, error) {
	var report JobReport
	r := s.Retention.WithDefaults()
	now := s.Clock.Now()
	day := opts.Period
	if day == "" {
		day = now.UTC().Format(dayLayout)
	}
	_, err := s.runOnce(ctx, JobHousekeeping, "*", day, opts.Force, &report, func(ctx context.Context) error {
		return s.Store.Update(ctx, func(tx Tx) error {
			if err := tx.ForgetDeliveries(now.Add(-r.Deliveries)); err != nil {
				return err
			}
			n, err := tx.PruneOutbox(now.Add(-r.Messages))
			if err != nil {
				return err
			}
			report.add("housekeeping %s: forgot Slack delivery records older than %s; cleared the bodies and files of %d messages delivered more than %s ago",
				day, r.Deliveries, n, r.Messages)
			return nil
		})
	})
	return report, err
}
