package workflows

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// JobFunc runs one job.
type JobFunc func(ctx context.Context, opts JobOptions) (JobReport, error)

// Job is one scheduled job. Service.Jobs is the one table of them: `growthbot
// serve` schedules every job in it, `growthbot jobs run` runs them by name and
// `growthbot jobs list` lists them, so a job cannot exist without being wired.
type Job struct {
	Name string
	Run  JobFunc
	// Spec returns the job's cron spec (five fields) from the settings.
	Spec func(Settings) string
	// PerTeam jobs are scheduled for each team, in the team's time zone;
	// the others once for the workspace, in UTC.
	PerTeam bool
	// CatchUp is how far back a run missed while growthbot was down is still
	// worth running when it starts.
	CatchUp time.Duration
	// Period returns the period a run fired at local time covers; nil for
	// a job without periods.
	Period func(local time.Time) string
	// KeepRuns keeps every record of the job's runs: housekeeping prunes
	// none (the digest: a month's growth review is posted once, whenever
	// someone asks for it again).
	KeepRuns bool
}

// Jobs returns the table of scheduled jobs, in the order `jobs list` shows
// them.
func (s *Service) Jobs() []Job {
	return []Job{
		{Name: JobPulse, Run: s.RunPulse, PerTeam: true, CatchUp: 36 * time.Hour,
			Spec:   func(st Settings) string { return st.PulseSchedule },
			Period: func(local time.Time) string { return local.Format(dayLayout) }},
		{Name: JobRollouts, Run: s.RunRollouts, CatchUp: time.Hour,
			Spec: func(st Settings) string { return st.RolloutsSchedule }},
		{Name: JobDigest, Run: s.RunDigest, PerTeam: true, CatchUp: 10 * 24 * time.Hour, KeepRuns: true,
			Spec: func(st Settings) string { return st.DigestSchedule },
			Period: func(local time.Time) string {
				y, m, _ := local.Date()
				return time.Date(y, m-1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
			}},
		{Name: JobHousekeeping, Run: s.RunHousekeeping, CatchUp: 36 * time.Hour,
			Spec:   func(Settings) string { return HousekeepingSchedule },
			Period: func(local time.Time) string { return local.Format(dayLayout) }},
		{Name: JobWeekly, Run: s.RunWeekly, PerTeam: true, CatchUp: 3 * 24 * time.Hour,
			Spec:   func(st Settings) string { return st.WeeklySchedule },
			Period: ISOWeek},
	}
}

// Job returns the job with this name from the table.
func (s *Service) Job(name string) (Job, bool) {
	for _, j := range s.Jobs() {
		if j.Name == name {
			return j, true
		}
	}
	return Job{}, false
}

// JobNames returns the names of the jobs in the table.
func (s *Service) JobNames() []string {
	var names []string
	for _, j := range s.Jobs() {
		names = append(names, j.Name)
	}
	return names
}

// DefaultSchedulerTick is how often the scheduler looks at the clock and
// reads the schedules again.
const DefaultSchedulerTick = 30 * time.Second

// Scheduler runs the jobs on their schedules: per team in the team's time
// zone, or once for the workspace. A run missed while growthbot was down is
// caught up when it starts; every run is recorded (runOnce), so a period
// runs once even across restarts and two overlapping processes. Teams and
// schedules are read again every Tick, so a team added or a schedule
// changed by `growthbot apply` in another process is scheduled without a
// restart.
type Scheduler struct {
	Service *Service
	Log     *slog.Logger
	// Jobs replaces Service.Jobs(), for tests that record runs.
	Jobs []Job
	// Tick is how often the clock is looked at and the schedules are read
	// again (default DefaultSchedulerTick).
	Tick time.Duration

	running sync.WaitGroup
	mu      sync.Mutex
	busy    map[string]bool // entries with a run in progress
}

// entry is one scheduled job for one team (or the workspace).
type entry struct {
	job      Job
	team     Team // zero for workspace jobs
	spec     string
	schedule cron.Schedule
}

// id names the entry in logs and OnChange: "pulse checkout", "rollouts".
func (e entry) id() string {
	if e.team.Key == "" {
		return e.job.Name
	}
	return e.job.Name + " " + e.team.Key
}

// cronParser reads five-field specs with an optional CRON_TZ= prefix.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// entries returns the schedules of jobs: per-team jobs for each team in its
// time zone, the others in UTC. Errors: EINVALID for a bad cron spec.
func (s *Service) entries(ctx context.Context, jobs []Job) ([]entry, error) {
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
	var out []entry
	for _, j := range jobs {
		spec := j.Spec(settings)
		add := func(t Team, tz string) error {
			sched, err := cronParser.Parse("CRON_TZ=" + tz + " " + spec)
			if err != nil {
				return Errorf(EINVALID, "the %s schedule %q: %v", j.Name, spec, err)
			}
			out = append(out, entry{job: j, team: t, spec: spec, schedule: sched})
			return nil
		}
		if !j.PerTeam {
			if err := add(Team{}, "UTC"); err != nil {
				return nil, err
			}
			continue
		}
		for _, t := range teams {
			if err := add(t, t.Location().String()); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return cmpString(a.id(), b.id()) })
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
	if e.job.Period != nil {
		opts.Period = e.job.Period(fired.In(e.team.Location()))
	}
	return opts
}

// previous returns the last time the schedule fired after from and at or
// before now, or the zero time.
func previous(sched cron.Schedule, from, now time.Time) time.Time {
	var last time.Time
	for t := sched.Next(from); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		last = t
	}
	return last
}

// Run schedules the jobs until ctx is done, then waits for the runs in
// progress. At start it catches up the runs missed while growthbot was
// down; then, every Tick, it reads the schedules again and runs each entry
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
		tick = DefaultSchedulerTick
	}
	entries, err := sc.Service.entries(ctx, jobs)
	if err != nil {
		return err
	}
	last := sc.Service.Clock.Now()
	for _, e := range entries {
		if fired := previous(e.schedule, last.Add(-e.job.CatchUp), last); !fired.IsZero() {
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
		if fresh, err := sc.Service.entries(ctx, jobs); err != nil {
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
			if fired := previous(e.schedule, last, now); !fired.IsZero() {
				sc.start(ctx, e, fired)
			}
		}
		last = now
	}
}

// changed logs what differs between two readings of the schedules.
func (sc *Scheduler) changed(before, after []entry) {
	describe := func(list []entry) map[string]string {
		m := map[string]string{}
		for _, e := range list {
			m[e.id()] = e.spec + " " + e.team.Location().String()
		}
		return m
	}
	old, now := describe(before), describe(after)
	if maps.Equal(old, now) {
		return
	}
	for _, e := range after {
		if old[e.id()] != now[e.id()] {
			sc.Log.Info("scheduler: scheduled", "entry", e.id(), "schedule", e.spec, "tz", e.team.Location().String())
		}
	}
	for id := range old {
		if _, ok := now[id]; !ok {
			sc.Log.Info("scheduler: unscheduled", "entry", id)
		}
	}
}

// start runs the entry for the time it fired, in the background, unless a
// run of the same entry is still going.
func (sc *Scheduler) start(ctx context.Context, e entry, fired time.Time) {
	sc.mu.Lock()
	if sc.busy == nil {
		sc.busy = map[string]bool{}
	}
	if sc.busy[e.id()] {
		sc.mu.Unlock()
		sc.Log.Warn("scheduler: skipped, the previous run is still going", "entry", e.id())
		return
	}
	sc.busy[e.id()] = true
	sc.mu.Unlock()
	sc.running.Go(func() {
		defer func() {
			sc.mu.Lock()
			delete(sc.busy, e.id())
			sc.mu.Unlock()
		}()
		sc.run(ctx, e, fired)
	})
}

// run runs one entry for the time it fired. Its outcome is logged; the
// job's own records make a repeated period a no-op.
func (sc *Scheduler) run(ctx context.Context, e entry, fired time.Time) {
	if ctx.Err() != nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			sc.Log.Error("job panicked", "job", e.job.Name, "team", e.team.Key, "panic", r)
		}
	}()
	opts := e.options(fired)
	report, err := e.job.Run(ctx, opts)
	for _, line := range report.Lines {
		sc.Log.Info(line, "job", e.job.Name)
	}
	if err != nil {
		sc.Log.Error("job failed", "job", e.job.Name, "team", e.team.Key, "period", opts.Period, "err", err)
	}
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
	jobs := s.Jobs()
	entries, err := s.entries(ctx, jobs)
	if err != nil {
		return nil, err
	}
	out := make([]JobSummary, len(jobs))
	err = s.Store.View(ctx, func(tx Tx) error {
		settings, err := tx.Settings()
		if err != nil {
			return err
		}
		for i, job := range jobs {
			out[i].Job, out[i].Schedule = job.Name, job.Spec(settings.WithDefaults())
			runs, err := tx.JobRuns(job.Name, 1)
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
	now := s.Clock.Now()
	for i := range out {
		for _, e := range entries {
			if e.job.Name != out[i].Job {
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
