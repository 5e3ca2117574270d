package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// ClaimJobRun starts a run of a job for a scope and period; see
// workflows.JobStore. The claim is one statement inside the write
// transaction, so two processes cannot both claim a period.
func (t *Tx) ClaimJobRun(job, scope, period string, force bool, staleAfter time.Duration) (workflows.JobRun, error) {
	run := workflows.JobRun{Job: job, Scope: scope, Period: period, Status: workflows.JobRunning, Attempt: 1, StartedAt: t.now}
	var prev workflows.JobRun
	err := t.queryRow(`SELECT status, attempt, started_at FROM job_runs WHERE job = ? AND scope = ? AND period = ?`,
		job, scope, period).Scan(&prev.Status, &prev.Attempt, scanTime(&prev.StartedAt))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = t.exec(`INSERT INTO job_runs (job, scope, period, status, attempt, started_at) VALUES (?, ?, ?, 'running', 1, ?)`,
			job, scope, period, formatTime(t.now))
		if err != nil {
			return run, fmt.Errorf("store: claim %s %s %s: %w", job, scope, period, err)
		}
		return run, nil
	case err != nil:
		return run, fmt.Errorf("store: claim %s %s %s: %w", job, scope, period, err)
	case prev.Status == workflows.JobDone && !force:
		return prev, workflows.Errorf(workflows.ECONFLICT, "%s for %s, %s, already ran; --force runs it again", job, scope, period)
	case prev.Status == workflows.JobRunning && t.now.Sub(prev.StartedAt) < staleAfter:
		return prev, workflows.Errorf(workflows.ECONFLICT, "%s for %s, %s, is running in another process since %s", job, scope, period,
			prev.StartedAt.Format(time.RFC3339))
	}
	run.Attempt = prev.Attempt + 1
	_, err = t.exec(`UPDATE job_runs SET status = 'running', attempt = ?, started_at = ?, finished_at = NULL, error = ''
		WHERE job = ? AND scope = ? AND period = ?`, run.Attempt, formatTime(t.now), job, scope, period)
	if err != nil {
		return run, fmt.Errorf("store: claim %s %s %s: %w", job, scope, period, err)
	}
	return run, nil
}

// FinishJobRun records a run's outcome.
func (t *Tx) FinishJobRun(job, scope, period, errMsg string) error {
	status := workflows.JobDone
	if errMsg != "" {
		status = workflows.JobFailed
	}
	_, err := t.exec(`UPDATE job_runs SET status = ?, finished_at = ?, error = ? WHERE job = ? AND scope = ? AND period = ?`,
		status, formatTime(t.now), errMsg, job, scope, period)
	if err != nil {
		return fmt.Errorf("store: finish %s %s %s: %w", job, scope, period, err)
	}
	return nil
}

// JobRuns returns a job's newest runs.
func (t *Tx) JobRuns(job string, limit int) ([]workflows.JobRun, error) {
	return queryAll(t, "job runs", func(s scanner) (workflows.JobRun, error) {
		var r workflows.JobRun
		err := s.Scan(&r.Job, &r.Scope, &r.Period, &r.Status, &r.Attempt, scanTime(&r.StartedAt), scanTime(&r.FinishedAt), &r.Error)
		return r, err
	}, `SELECT job, scope, period, status, attempt, started_at, finished_at, error FROM job_runs
		WHERE job = ? ORDER BY started_at DESC LIMIT ?`, job, limit)
}

// PutSnapshot inserts or replaces a day's snapshot.
func (t *Tx) PutSnapshot(s workflows.Snapshot) error {
	sc, err := json.Marshal(s.Scorecard)
	if err != nil {
		return fmt.Errorf("store: snapshot of %s: %w", s.Experiment, err)
	}
	_, err = t.exec(`INSERT INTO snapshots (experiment, day, at, scorecard, posted) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (experiment, day) DO UPDATE SET at = excluded.at, scorecard = excluded.scorecard,
		posted = MAX(snapshots.posted, excluded.posted)`, s.Experiment, s.Day, formatTime(s.At), string(sc), s.Posted)
	if err != nil {
		return fmt.Errorf("store: snapshot of %s: %w", s.Experiment, err)
	}
	return nil
}

func scanSnapshot(s scanner) (workflows.Snapshot, error) {
	var snap workflows.Snapshot
	err := s.Scan(&snap.Experiment, &snap.Day, scanTime(&snap.At), scanJSON(&snap.Scorecard), &snap.Posted)
	return snap, err
}

// Snapshots returns an experiment's snapshots, oldest first.
func (t *Tx) Snapshots(experiment string) ([]workflows.Snapshot, error) {
	return queryAll(t, "snapshots", scanSnapshot, `SELECT experiment, day, at, scorecard, posted FROM snapshots WHERE experiment = ? ORDER BY day`, experiment)
}

// LastSnapshot returns the newest snapshot before a day.
func (t *Tx) LastSnapshot(experiment, beforeDay string, posted bool) (workflows.Snapshot, error) {
	if beforeDay == "" {
		beforeDay = "9999-99-99"
	}
	s, err := scanSnapshot(t.queryRow(`SELECT experiment, day, at, scorecard, posted FROM snapshots
		WHERE experiment = ? AND day < ? AND (? = 0 OR posted = 1) ORDER BY day DESC LIMIT 1`, experiment, beforeDay, posted))
	if err != nil {
		return s, notFound(err, "no snapshot of %q", experiment)
	}
	return s, nil
}

// PruneJobRuns deletes a job's runs started before the time, except the
// newest run of each scope.
func (t *Tx) PruneJobRuns(job string, before time.Time) (int64, error) {
	res, err := t.exec(`DELETE FROM job_runs WHERE job = ? AND started_at < ?
		AND (scope, period) NOT IN (
			SELECT scope, period FROM (
				SELECT scope, period, ROW_NUMBER() OVER (PARTITION BY scope ORDER BY started_at DESC, period DESC) AS n
				FROM job_runs WHERE job = ?)
			WHERE n = 1)`, job, formatTime(before), job)
	if err != nil {
		return 0, fmt.Errorf("store: prune %s runs: %w", job, err)
	}
	return res.RowsAffected()
}

// PruneSnapshots deletes snapshots taken before the time, except each
// experiment's two newest and its newest posted one.
func (t *Tx) PruneSnapshots(before time.Time) (int64, error) {
	res, err := t.exec(`DELETE FROM snapshots WHERE at < ?
		AND (experiment, day) NOT IN (
			SELECT experiment, day FROM (
				SELECT experiment, day,
					ROW_NUMBER() OVER (PARTITION BY experiment ORDER BY day DESC) AS newest,
					ROW_NUMBER() OVER (PARTITION BY experiment, posted ORDER BY day DESC) AS newest_alike,
					posted
				FROM snapshots)
			WHERE newest <= 2 OR (posted = 1 AND newest_alike = 1))`, formatTime(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune snapshots: %w", err)
	}
	return res.RowsAffected()
}
