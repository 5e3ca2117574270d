package workflows

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// The weekly async update (alignment through async updates): on the
// weekday of settings.schedules.weekly, each team channel gets what started
// and what was decided last week, what waits for a decision and on whom,
// and the goals at risk; a quiet week says so in one line.

// ISOWeek returns the ISO week t falls in, as YYYY-Www.
func ISOWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

var weekPattern = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)

// weekStart returns the first instant (Monday 00:00) of an ISO week in loc.
func weekStart(week string, loc *time.Location) (time.Time, error) {
	m := weekPattern.FindStringSubmatch(week)
	if m == nil {
		return time.Time{}, Errorf(EINVALID, "period %q: a weekly update runs for a week, YYYY-Www like 2026-W49", week)
	}
	year, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	// January 4th is always in week 1.
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, loc)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	start := monday.AddDate(0, 0, 7*(n-1))
	if n < 1 || ISOWeek(start) != week {
		return time.Time{}, Errorf(EINVALID, "period %q: %d has no week %d", week, year, n)
	}
	return start, nil
}

// WaitingDecision is a decision request that waits for approvals.
type WaitingDecision struct {
	Decision   Decision
	Experiment Experiment
	// On are the approvers who have not approved yet (the requester does
	// not approve their own request).
	On []string
}

// GoalRisk is a goal of the quarter that may not be done in time.
type GoalRisk struct {
	Goal Goal
	// QuarterGone is the share of the quarter past; Orphaned is set when
	// the owner is no longer in the team.
	QuarterGone float64
	Orphaned    bool
}

// goalRiskShare is the share of a quarter after which a goal still in
// progress is at risk.
const goalRiskShare = 2.0 / 3

// WeeklyUpdate is a team's weekly async update.
type WeeklyUpdate struct {
	Team Team
	Week string // the week it is posted in, YYYY-Www
	// From and To bound last week, the week it reports on.
	From, To time.Time
	Started  []Experiment
	Decided  []Experiment
	Waiting  []WaitingDecision
	// Overdue are running experiments past their planned end with no
	// decision requested: they wait on their owner.
	Overdue     []Experiment
	GoalsAtRisk []GoalRisk
}

// PayloadKind implements Content.
func (WeeklyUpdate) PayloadKind() PayloadKind { return KindWeeklyUpdate }

// Quiet reports whether nothing happened and nothing waits.
func (u WeeklyUpdate) Quiet() bool {
	return len(u.Started)+len(u.Decided)+len(u.Waiting)+len(u.Overdue)+len(u.GoalsAtRisk) == 0
}

// WeeklyKey is the outbox key of a team's update for a week.
func WeeklyKey(team, week string) string { return "weekly:" + team + ":" + week }

// RunWeekly posts the weekly update of each team (or opts.Team) for the
// ISO week now falls in, in the team's time zone (or opts.Period,
// YYYY-Www). Each team and week posts once, across restarts and retries,
// unless opts.Force.
func (s *Service) RunWeekly(ctx context.Context, opts JobOptions) (JobReport, error) {
	var report JobReport
	teams, err := s.jobTeams(ctx, opts)
	if err != nil {
		return report, err
	}
	var errs []error
	for _, t := range teams {
		week := opts.Period
		if week == "" {
			week = ISOWeek(s.Clock.Now().In(t.Location()))
		}
		start, err := weekStart(week, t.Location())
		if err != nil {
			return report, err
		}
		_, err = s.runOnce(ctx, JobWeekly, t.Key, week, opts.Force, &report, func(ctx context.Context) error {
			return s.Store.Update(ctx, func(tx Tx) error {
				u, err := weeklyUpdate(tx, t, week, start)
				if err != nil {
					return err
				}
				key := WeeklyKey(t.Key, week)
				if opts.Force {
					key += ":" + tx.Now().Format("20060102T150405.000")
				}
				if _, err := s.Enqueue(tx, Message{Key: key, Op: OpPost, Channel: t.Channel}, u); err != nil {
					return err
				}
				what := "posted"
				if u.Quiet() {
					what = "posted (a quiet week)"
				}
				report.add("%s %s %s: %s to %s", JobWeekly, t.Key, week, what, t.Channel)
				return nil
			})
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("weekly update of %s for %s: %w", t.Key, week, err))
		}
	}
	return report, errors.Join(errs...)
}

// weeklyUpdate gathers a team's update for the week starting at start: it
// reports on the week before.
func weeklyUpdate(tx Tx, t Team, week string, start time.Time) (WeeklyUpdate, error) {
	u := WeeklyUpdate{Team: t, Week: week, From: start.AddDate(0, 0, -7), To: start}
	exps, err := tx.Experiments(ExperimentFilter{Team: t.Key})
	if err != nil {
		return u, err
	}
	now := tx.Now()
	for _, e := range exps {
		if within(e.StartedAt, u.From, u.To) {
			u.Started = append(u.Started, e)
		}
		if within(e.DecidedAt, u.From, u.To) && (e.State == StateShipped || e.State == StateKilled) {
			u.Decided = append(u.Decided, e)
		}
		if e.State != StateRunning && e.State != StateDecisionPending {
			continue
		}
		decisions, err := tx.Decisions(e.Key)
		if err != nil {
			return u, err
		}
		pending := false
		for _, d := range decisions {
			if d.State != DecisionPending {
				continue
			}
			pending = true
			w := WaitingDecision{Decision: d, Experiment: e}
			for _, a := range t.Approvers {
				if a != d.Requester && !slices.Contains(d.Approvers(), a) {
					w.On = append(w.On, a)
				}
			}
			u.Waiting = append(u.Waiting, w)
		}
		if !pending && e.State == StateRunning && !e.EndsAt.IsZero() && !now.Before(e.EndsAt) {
			u.Overdue = append(u.Overdue, e)
		}
	}
	q := quarterStart(start)
	goals, err := tx.Goals(t.Key, Quarter(q))
	if err != nil {
		return u, err
	}
	gone := float64(start.Sub(q)) / float64(q.AddDate(0, 3, 0).Sub(q))
	for _, g := range goals {
		if g.Status != GoalInProgress {
			continue
		}
		orphaned := g.Owner != "" && !t.IsMember(g.Owner)
		if gone >= goalRiskShare || orphaned {
			u.GoalsAtRisk = append(u.GoalsAtRisk, GoalRisk{Goal: g, QuarterGone: gone, Orphaned: orphaned})
		}
	}
	return u, nil
}
