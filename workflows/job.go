package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Job names.
const (
	JobPulse    = "pulse"
	JobRollouts = "rollouts"
	JobDigest   = "digest"
	// JobHousekeeping prunes what growthbot no longer needs; see Retention.
	JobHousekeeping = "housekeeping"
	JobWeekly       = "weekly"
)

// JobStatus is where a job run is.
type JobStatus string

// Job run statuses.
const (
	JobRunning JobStatus = "running"
	JobDone    JobStatus = "done"
	JobFailed  JobStatus = "failed"
)

// JobRun is one run of a job for a scope (a team, an experiment, or "*")
// and a period (a day, a month, a quarter hour).
type JobRun struct {
	Job        string
	Scope      string
	Period     string
	Status     JobStatus
	Attempt    int
	StartedAt  time.Time
	FinishedAt time.Time
	Error      string
}

// JobStore records job runs.
type JobStore interface {
	// ClaimJobRun starts a run of job for scope and period. It fails with
	// ECONFLICT when the period is done (unless force), or when another
	// process is running it and started less than staleAfter ago.
	ClaimJobRun(job, scope, period string, force bool, staleAfter time.Duration) (JobRun, error)
	// FinishJobRun records the outcome of a claimed run; errMsg empty means
	// done.
	FinishJobRun(job, scope, period, errMsg string) error
	// JobRuns returns the newest runs of a job, newest first.
	JobRuns(job string, limit int) ([]JobRun, error)
	// PruneJobRuns deletes the job's runs started before the time, except
	// the newest run of each scope. It returns how many it deleted.
	PruneJobRuns(job string, before time.Time) (int64, error)
}

// Snapshot is an experiment's scorecard on one day.
type Snapshot struct {
	Experiment string
	Day        string // YYYY-MM-DD in the team's time zone
	At         time.Time
	Scorecard  Scorecard
	// Posted is set when the scorecard was posted to the thread (not only
	// used to update the headline).
	Posted bool
}

// SnapshotStore keeps daily scorecards.
type SnapshotStore interface {
	// PutSnapshot inserts or replaces the experiment's snapshot for its day.
	PutSnapshot(Snapshot) error
	// Snapshots returns an experiment's snapshots, oldest first.
	Snapshots(experiment string) ([]Snapshot, error)
	// LastSnapshot returns the newest snapshot before the given day (a
	// YYYY-MM-DD; "" means any), posted ones only when posted is set.
	// ENOTFOUND when there is none.
	LastSnapshot(experiment, beforeDay string, posted bool) (Snapshot, error)
	// PruneSnapshots deletes snapshots taken before the time, except each
	// experiment's two newest and its newest posted one. It returns how many
	// it deleted.
	PruneSnapshots(before time.Time) (int64, error)
}

// JobOptions narrow a run of a job; zero fields mean everything due.
type JobOptions struct {
	Team       string
	Experiment string
	// Period overrides the period a job works on: a day (pulse) or a month
	// (digest), as YYYY-MM-DD or YYYY-MM.
	Period string
	// Force runs a period that already ran.
	Force bool
}

// JobReport says what a run did, a line per scope, for logs and the CLI.
type JobReport struct {
	Lines []string
}

func (r *JobReport) add(format string, args ...any) {
	r.Lines = append(r.Lines, fmt.Sprintf(format, args...))
}

// staleRun is how long a run may hold its period before another process
// takes over, assuming the first one died.
const staleRun = 30 * time.Minute

// runOnce runs fn for one job, scope and period at most once: it claims the
// period, runs, and records the outcome. A period already done is skipped
// (reported, not an error) unless force is set. It reports whether fn ran.
func (s *Service) runOnce(ctx context.Context, job, scope, period string, force bool, report *JobReport, fn func(ctx context.Context) error) (bool, error) {
	err := s.Store.Update(ctx, func(tx Tx) error {
		_, err := tx.ClaimJobRun(job, scope, period, force, staleRun)
		return err
	})
	if ErrorCode(err) == ECONFLICT {
		report.add("%s %s %s: skipped, %s", job, scope, period, ErrorMessage(err))
		return false, nil
	} else if err != nil {
		return false, err
	}
	runErr := fn(ctx)
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
		s.Log.Error("job failed", "job", job, "scope", scope, "period", period, "err", runErr)
	}
	// Record the outcome even when ctx was cancelled mid-run.
	if err := s.Store.Update(context.WithoutCancel(ctx), func(tx Tx) error { return tx.FinishJobRun(job, scope, period, msg) }); err != nil {
		return true, errors.Join(runErr, err)
	}
	return true, runErr
}
