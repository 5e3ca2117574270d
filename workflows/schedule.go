package workflows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
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

// DefaultSchedulerTick is how often `serve` reads teams, schedules and
// channels again and runs the jobs due: a change by apply in another
// process is seen within it.
const DefaultSchedulerTick = 30 * time.Second

// Schedule says when a job fires: a cron schedule, parsed by the
// scheduler's runtime (package workflows/schedule), which the domain does
// not import.
type Schedule interface {
	// Next returns the first time the schedule fires after t, or the zero
	// time if it never does.
	Next(t time.Time) time.Time
}

// ScheduleParser reads a job's cron spec (five fields) for a time zone. It
// is injected (Service.ParseSchedule), so that apply can refuse a bad spec
// by file and line without the domain knowing cron's grammar.
type ScheduleParser func(spec string, loc *time.Location) (Schedule, error)

// ScheduledJob is one job of the table scheduled for one team (or once for
// the workspace): what the scheduler fires and `jobs list` shows.
type ScheduledJob struct {
	Job      Job
	Team     Team // zero for workspace jobs
	Spec     string
	Schedule Schedule
}

// ID names the scheduled job in logs: "pulse checkout", "rollouts".
func (e ScheduledJob) ID() string {
	if e.Team.Key == "" {
		return e.Job.Name
	}
	return e.Job.Name + " " + e.Team.Key
}

// ScheduledJobs returns the schedules of jobs: per-team jobs for each team
// in its time zone, the others in UTC, sorted by ID. Errors: EINVALID for a
// bad cron spec; EINTERNAL when the service has no ParseSchedule.
func (s *Service) ScheduledJobs(ctx context.Context, jobs []Job) ([]ScheduledJob, error) {
	if s.ParseSchedule == nil {
		return nil, Errorf(EINTERNAL, "the service has no schedule parser (Service.ParseSchedule)")
	}
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
	var out []ScheduledJob
	for _, j := range jobs {
		spec := j.Spec(settings)
		add := func(t Team) error {
			sched, err := s.ParseSchedule(spec, t.Location())
			if err != nil {
				return Errorf(EINVALID, "the %s schedule %q: %v", j.Name, spec, err)
			}
			out = append(out, ScheduledJob{Job: j, Team: t, Spec: spec, Schedule: sched})
			return nil
		}
		if !j.PerTeam {
			if err := add(Team{}); err != nil {
				return nil, err
			}
			continue
		}
		for _, t := range teams {
			if err := add(t); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(out, func(a, b ScheduledJob) int { return strings.Compare(a.ID(), b.ID()) })
	return out, nil
}

// Options returns what a run of the scheduled job fired at t covers: its
// team and period.
func (e ScheduledJob) Options(fired time.Time) JobOptions {
	opts := JobOptions{Team: e.Team.Key}
	if e.Job.Period != nil {
		opts.Period = e.Job.Period(fired.In(e.Team.Location()))
	}
	return opts
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
	entries, err := s.ScheduledJobs(ctx, jobs)
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
			if e.Job.Name != out[i].Job {
				continue
			}
			if next := e.Schedule.Next(now); out[i].Next.IsZero() || next.Before(out[i].Next) {
				out[i].Next, out[i].NextTeam = next, e.Team.Key
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
	s := MomentText(j.Next)
	if j.NextTeam != "" {
		s += fmt.Sprintf(" (%s)", j.NextTeam)
	}
	return s
}
