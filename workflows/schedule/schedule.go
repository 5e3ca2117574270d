// Package schedule is the runtime that fires the domain's jobs on their
// cron schedules: it parses the specs (with github.com/robfig/cron/v3),
// works out when each job fired, catches up runs missed while growthbot was
// down, and runs each job of Service.Jobs in the background.
//
// The domain (package workflows) owns the table of jobs and what each job
// does, and receives Parse as its Service.ParseSchedule; it never imports
// cron. Nothing but the wiring in cmd/growthbot, and tests, should import
// this package.
package schedule

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/growthbot/growthbot/workflows"
)

// parser reads five-field specs with an optional CRON_TZ= prefix.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// Parse reads a five-field cron spec that fires in the time zone loc. It
// is the domain's workflows.ScheduleParser.
func Parse(spec string, loc *time.Location) (workflows.Schedule, error) {
	return parser.Parse("CRON_TZ=" + loc.String() + " " + spec)
}

var _ workflows.ScheduleParser = Parse

// Scheduler runs the jobs on their schedules: per team in the team's time
// zone, or once for the workspace. A run missed while growthbot was down is
// caught up when it starts; every run is recorded by the job itself, so a
// period runs once even across restarts and two overlapping processes.
// Teams and schedules are read again every Tick, so a team added or a
// schedule changed by `growthbot apply` in another process is scheduled
// without a restart.
type Scheduler struct {
	// Service gives the jobs and their schedules; its ParseSchedule must
	// be set (to Parse).
	Service *workflows.Service
	Log     *slog.Logger
	// Jobs replaces Service.Jobs(), for tests that record runs.
	Jobs []workflows.Job
	// Tick is how often the clock is looked at and the schedules are read
	// again (default workflows.DefaultSchedulerTick).
	Tick time.Duration

	running sync.WaitGroup
	mu      sync.Mutex
	busy    map[string]bool // scheduled jobs with a run in progress
}

// previous returns the last time the schedule fired after from and at or
// before now, or the zero time.
func previous(sched workflows.Schedule, from, now time.Time) time.Time {
	var last time.Time
	for t := sched.Next(from); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
	}
	return last
}

// Run schedules the jobs until ctx is done, then waits for the runs in
// progress. At start it catches up the runs missed while growthbot was
// down; then, every Tick, it reads the schedules again and runs each job
// whose schedule fired since the last tick (once, however many times it
// fired). It fails only if the schedules cannot be read at start.
func (sc *Scheduler) Run(ctx context.Context) error {
	defer sc.running.Wait()
	jobs := sc.Jobs
	if jobs == nil {
		jobs = sc.Service.Jobs()
	}
	tick := sc.Tick
	if tick <= 0 {
		tick = workflows.DefaultSchedulerTick
	}
	entries, err := sc.Service.ScheduledJobs(ctx, jobs)
	if err != nil {
		return err
	}
	last := sc.Service.Clock.Now()
	for _, e := range entries {
		if fired := previous(e.Schedule, last.Add(-e.Job.CatchUp), last); !fired.IsZero() {
			sc.start(ctx, e, fired)
		}
	}
	sc.Log.Info("scheduler started", "entries", len(entries), "tick", tick)
	timer := time.NewTicker(tick)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		if fresh, err := sc.Service.ScheduledJobs(ctx, jobs); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Keep the schedules we have: a bad spec is refused by apply,
			// and a busy database answers next time.
			sc.Log.Error("scheduler: read the schedules", "err", err)
		} else {
			sc.changed(entries, fresh)
			entries = fresh
		}
		now := sc.Service.Clock.Now()
		for _, e := range entries {
			if fired := previous(e.Schedule, last, now); !fired.IsZero() {
				sc.start(ctx, e, fired)
			}
		}
		last = now
	}
}

// changed logs what differs between two readings of the schedules.
func (sc *Scheduler) changed(before, after []workflows.ScheduledJob) {
	describe := func(list []workflows.ScheduledJob) map[string]string {
		m := map[string]string{}
		for _, e := range list {
			m[e.ID()] = e.Spec + " " + e.Team.Location().String()
		}
		return m
	}
	old, now := describe(before), describe(after)
	if maps.Equal(old, now) {
		return
	}
	for _, e := range after {
		if old[e.ID()] != now[e.ID()] {
			sc.Log.Info("scheduler: scheduled", "entry", e.ID(), "schedule", e.Spec, "tz", e.Team.Location().String())
		}
	}
	for id := range old {
		if _, ok := now[id]; !ok {
			sc.Log.Info("scheduler: unscheduled", "entry", id)
		}
	}
}

// start runs the scheduled job for the time it fired, in the background,
// unless a run of the same one is still going.
func (sc *Scheduler) start(ctx context.Context, e workflows.ScheduledJob, fired time.Time) {
	sc.mu.Lock()
	if sc.busy == nil {
		sc.busy = map[string]bool{}
	}
	if sc.busy[e.ID()] {
		sc.mu.Unlock()
		sc.Log.Warn("scheduler: skipped, the previous run is still going", "entry", e.ID())
		return
	}
	sc.busy[e.ID()] = true
	sc.mu.Unlock()
	sc.running.Go(func() {
		defer func() {
			sc.mu.Lock()
			delete(sc.busy, e.ID())
			sc.mu.Unlock()
		}()
		sc.run(ctx, e, fired)
	})
}

// run runs one scheduled job for the time it fired. Its outcome is logged;
// the job's own records make a repeated period a no-op.
func (sc *Scheduler) run(ctx context.Context, e workflows.ScheduledJob, fired time.Time) {
	if ctx.Err() != nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			sc.Log.Error("job panicked", "job", e.Job.Name, "team", e.Team.Key, "panic", r)
		}
	}()
	opts := e.Options(fired)
	report, err := e.Job.Run(ctx, opts)
	for _, line := range report.Lines {
		sc.Log.Info(line, "job", e.Job.Name)
	}
	if err != nil {
		sc.Log.Error("job failed", "job", e.Job.Name, "team", e.Team.Key, "period", opts.Period, "err", err)
	}
}
