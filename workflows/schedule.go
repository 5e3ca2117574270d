package workflows

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// JobFunc runs one job.
type JobFunc func(ctx context.Context, opts JobOptions) (JobReport, error)

// Scheduler runs the jobs on their schedules: the pulse and the digest per
// team in the team's time zone, the rollouts every quarter hour. A run missed
// while growthbot was down is caught up when it starts; every run is
// recorded (runOnce), so a period runs once even across restarts and two
// overlapping processes.
type Scheduler struct {
	Service *Service
	Jobs    map[string]JobFunc
	Log     *slog.Logger

	mu      sync.Mutex
	cron    *cron.Cron
	ctx     context.Context
	running sync.WaitGroup
}

// catchUpWindow is how far back a missed run is still worth running at
// start: yesterday's pulse is, last month's digest is for a while.
var catchUpWindow = map[string]time.Duration{
	JobPulse:    36 * time.Hour,
	JobDigest:   10 * 24 * time.Hour,
	JobRollouts: time.Hour,
}

// entry is one scheduled job for one team (or all, for rollouts).
type entry struct {
	job      string
	team     Team // zero for rollouts
	schedule cron.Schedule
}

// cronParser reads five-field specs with an optional CRON_TZ= prefix.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// entries returns the job schedules: each team's pulse and digest in its
// time zone, and the rollouts. Errors: EINVALID for a bad cron spec.
func (s *Service) entries(ctx context.Context) ([]entry, error) {
	var settings Settings
	var teams []Team
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		if settings, err = tx.Settings(); err != nil {
			return err
		}
		teams, err = tx.Teams()
		return err
	})
	if err != nil {
		return nil, err
	}
	settings = settings.WithDefaults()
	parse := func(job, spec, tz string) (cron.Schedule, error) {
		sched, err := cronParser.Parse("CRON_TZ=" + tz + " " + spec)
		if err != nil {
			return nil, Errorf(EINVALID, "the %s schedule %q: %v", job, spec, err)
		}
		return sched, nil
	}
	var out []entry
	for _, t := range teams {
		for job, spec := range map[string]string{JobPulse: settings.PulseSchedule, JobDigest: settings.DigestSchedule} {
			sched, err := parse(job, spec, t.Location().String())
			if err != nil {
				return nil, err
			}
			out = append(out, entry{job: job, team: t, schedule: sched})
		}
	}
	sched, err := parse(JobRollouts, settings.RolloutsSchedule, "UTC")
	if err != nil {
		return nil, err
	}
	out = append(out, entry{job: JobRollouts, schedule: sched})
	slices.SortFunc(out, func(a, b entry) int {
		if c := cmpString(a.job, b.job); c != 0 {
			return c
		}
		return cmpString(a.team.Key, b.team.Key)
	})
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// options returns what a run of the entry fired at t covers: its team and
// period.
func (e entry) options(fired time.Time) JobOptions {
	opts := JobOptions{Team: e.team.Key}
	local := fired.In(e.team.Location())
	switch e.job {
	case JobPulse:
		opts.Period = local.Format(dayLayout)
	case JobDigest:
		y, m, _ := local.Date()
		opts.Period = time.Date(y, m-1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	}
	return opts
}

// previous returns the last time the schedule fired at or before now,
// looking back at most within, or the zero time.
func previous(sched cron.Schedule, now time.Time, within time.Duration) time.Time {
	var last time.Time
	for t := sched.Next(now.Add(-within)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
	}
	return last
}

// Start schedules the jobs, catches up the runs missed while growthbot was
// down, and returns. Stop ends it.
func (sc *Scheduler) Start(ctx context.Context) error {
	entries, err := sc.Service.entries(ctx)
	if err != nil {
		return err
	}
	logger := cronLogger{sc.Log}
	c := cron.New(cron.WithParser(cronParser), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)), cron.WithLogger(logger))
	sc.mu.Lock()
	sc.cron, sc.ctx = c, ctx
	sc.mu.Unlock()
	now := sc.Service.Clock.Now()
	for _, e := range entries {
		if sc.Jobs[e.job] == nil {
			continue
		}
		c.Schedule(e.schedule, cron.FuncJob(func() { sc.run(e, time.Now()) }))
		if fired := previous(e.schedule, now, catchUpWindow[e.job]); !fired.IsZero() {
			sc.running.Go(func() { sc.run(e, fired) })
		}
	}
	c.Start()
	sc.Log.Info("scheduler started", "entries", len(entries))
	return nil
}

// run runs one entry for the time it fired. Its outcome is logged; the
// job's own records make a repeated period a no-op.
func (sc *Scheduler) run(e entry, fired time.Time) {
	sc.mu.Lock()
	ctx := sc.ctx
	sc.mu.Unlock()
	if ctx == nil || ctx.Err() != nil {
		return
	}
	opts := e.options(fired)
	report, err := sc.Jobs[e.job](ctx, opts)
	for _, line := range report.Lines {
		sc.Log.Info(line, "job", e.job)
	}
	if err != nil {
		sc.Log.Error("job failed", "job", e.job, "team", e.team.Key, "period", opts.Period, "err", err)
	}
}

// Stop stops scheduling and waits for running jobs to finish.
func (sc *Scheduler) Stop() {
	sc.mu.Lock()
	c := sc.cron
	sc.mu.Unlock()
	if c != nil {
		<-c.Stop().Done()
	}
	sc.running.Wait()
}

// cronLogger adapts slog to cron's logger interface.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// JobSummary is what `growthbot jobs list` shows of a job.
type JobSummary struct {
	Job  string
	Last *JobRun
	// Next is the next time any team's schedule fires, and whose.
	Next     time.Time
	NextTeam string
	Schedule string
}

// JobSummaries returns each job's last run and next run.
func (s *Service) JobSummaries(ctx context.Context) ([]JobSummary, error) {
	entries, err := s.entries(ctx)
	if err != nil {
		return nil, err
	}
	var settings Settings
	out := make([]JobSummary, len(Jobs))
	err = s.Store.View(ctx, func(tx Tx) error {
		var err error
		if settings, err = tx.Settings(); err != nil {
			return err
		}
		for i, job := range Jobs {
			out[i].Job = job
			runs, err := tx.JobRuns(job, 1)
			if err != nil {
				return err
			}
			if len(runs) > 0 {
				out[i].Last = &runs[0]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	settings = settings.WithDefaults()
	specs := map[string]string{JobPulse: settings.PulseSchedule, JobRollouts: settings.RolloutsSchedule, JobDigest: settings.DigestSchedule}
	now := s.Clock.Now()
	for i := range out {
		out[i].Schedule = specs[out[i].Job]
		for _, e := range entries {
			if e.job != out[i].Job {
				continue
			}
			if next := e.schedule.Next(now); out[i].Next.IsZero() || next.Before(out[i].Next) {
				out[i].Next, out[i].NextTeam = next, e.team.Key
			}
		}
	}
	return out, nil
}

// Describe says when a job summary's next run is, for people.
func (j JobSummary) Describe() string {
	if j.Next.IsZero() {
		return "not scheduled (no teams)"
	}
	s := j.Next.Format("Mon 2 Jan 15:04 MST")
	if j.NextTeam != "" {
		s += fmt.Sprintf(" (%s)", j.NextTeam)
	}
	return s
}
