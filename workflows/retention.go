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
	// JobRuns is how long the records of job runs are kept. A record is
	// what keeps a period from running twice, so none is pruned while its
	// job could still catch the period up (Job.CatchUp, plus a day), the
	// newest run of each job and scope stays (`jobs list` shows it), and the
	// records of jobs marked KeepRuns (the digest) are never pruned.
	JobRuns time.Duration
	// Snapshots is how long the daily scorecards of experiments are kept.
	// Each experiment's two newest and its newest posted scorecard stay:
	// they are what the next pulse compares with and what a growth review
	// shows of a decided experiment.
	Snapshots time.Duration
}

// Default retention periods.
const (
	DefaultKeepDeliveries = time.Hour
	DefaultKeepMessages   = 30 * 24 * time.Hour
	DefaultKeepJobRuns    = 30 * 24 * time.Hour
	DefaultKeepSnapshots  = 90 * 24 * time.Hour
)

// WithDefaults returns r with every zero field set to its default.
func (r Retention) WithDefaults() Retention {
	if r.Deliveries <= 0 {
		r.Deliveries = DefaultKeepDeliveries
	}
	if r.Messages <= 0 {
		r.Messages = DefaultKeepMessages
	}
	if r.JobRuns <= 0 {
		r.JobRuns = DefaultKeepJobRuns
	}
	if r.Snapshots <= 0 {
		r.Snapshots = DefaultKeepSnapshots
	}
	return r
}

// RunHousekeeping bounds what grows with every request, message and job
// run: it forgets delivery records older than Retention.Deliveries; for
// messages delivered longer than Retention.Messages ago it deletes the rows
// no later message can refer to (updates, charts, responses, webhooks) and
// clears the bodies and files of the rest; it prunes job-run records older
// than Retention.JobRuns and daily scorecards older than
// Retention.Snapshots, keeping what exactly-once and the next pulse need.
// It runs once a day (opts.Period, YYYY-MM-DD UTC).
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
			dropped, err := tx.DropOutboxLeaves(now.Add(-r.Messages))
			if err != nil {
				return err
			}
			cleared, err := tx.PruneOutbox(now.Add(-r.Messages))
			if err != nil {
				return err
			}
			var runs int64
			for _, j := range s.Jobs() {
				if j.KeepRuns {
					continue
				}
				n, err := tx.PruneJobRuns(j.Name, now.Add(-max(r.JobRuns, j.CatchUp+24*time.Hour)))
				if err != nil {
					return err
				}
				runs += n
			}
			snaps, err := tx.PruneSnapshots(now.Add(-r.Snapshots))
			if err != nil {
				return err
			}
			report.add("housekeeping %s: forgot Slack delivery records older than %s; of the messages delivered more than %s ago, "+
				"deleted %d updates, charts, responses and webhooks and cleared the bodies of %d; pruned %d job runs older than %s "+
				"and %d daily scorecards older than %s",
				day, r.Deliveries, r.Messages, dropped, cleared, runs, r.JobRuns, snaps, r.Snapshots)
			return nil
		})
	})
	return report, err
}
