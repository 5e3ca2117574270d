package workflows

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The experiment program: how fast a team learns (seed "In The Loop":
// hypothesis velocity), per month and per quarter, each beside the period
// before.

// ProgramPeriod is a team's experiment program over one month or quarter.
type ProgramPeriod struct {
	Label      string // "November 2026", "2026-Q4"
	Start, End time.Time
	// Partial is set when the period was not over at the time of asking;
	// rates then cover the days so far.
	Partial bool
	Started int
	Shipped int
	Killed  int
	// DecisionsPerWeek is Decided() over the period's weeks (so far).
	DecisionsPerWeek float64
	// MedianDays is the median of the days from start to decision of the
	// experiments decided in the period; valid when Decided() > 0.
	MedianDays float64
	// DataSettled counts the decisions the data settled (the framework
	// recommended the action, so no approval was needed); Judgement the
	// ones approvers took on judgement.
	DataSettled int
	Judgement   int
	// Impacts are the summed impacts of the shipped winners on their
	// primary metrics, per metric; Unmeasured counts shipped experiments
	// with no measured impact.
	Impacts    []ImpactTotal
	Unmeasured int
}

// Decided counts the experiments shipped or killed in the period.
func (p ProgramPeriod) Decided() int { return p.Shipped + p.Killed }

// WinRate is shipped / decided; valid when Decided() > 0.
func (p ProgramPeriod) WinRate() float64 {
	if p.Decided() == 0 {
		return 0
	}
	return float64(p.Shipped) / float64(p.Decided())
}

// DataShare is the share of decisions the data settled; valid when
// DataSettled+Judgement > 0.
func (p ProgramPeriod) DataShare() float64 {
	if n := p.DataSettled + p.Judgement; n > 0 {
		return float64(p.DataSettled) / float64(n)
	}
	return 0
}

// Program is a team's experiment program this month and this quarter,
// each with the period before.
type Program struct {
	Team                   Team
	AsOf                   time.Time
	Month, PreviousMonth   ProgramPeriod
	Quarter, PreviousQuart ProgramPeriod
}

// programInput is what a program is computed from.
type programInput struct {
	experiments []Experiment
	decisions   map[string][]Decision // by experiment
	snapshots   map[string]Snapshot   // shipped experiments: the last scorecard before the decision
}

// Program returns a team's experiment program for the month now falls in
// (or month, YYYY-MM) and its quarter, each beside the period before.
// Errors: ENOTFOUND for an unknown team, EINVALID for a malformed month.
func (s *Service) Program(ctx context.Context, team, month string) (Program, error) {
	var p Program
	err := s.Store.View(ctx, func(tx Tx) error {
		t, err := tx.Team(team)
		if err != nil {
			return err
		}
		loc, now := t.Location(), s.Clock.Now()
		if month == "" {
			month = Month(now.In(loc))
		} else if err := checkMonth(month); err != nil {
			return err
		}
		in, err := readProgram(tx, t)
		if err != nil {
			return err
		}
		p = buildProgram(t, month, now, in)
		return nil
	})
	return p, err
}

func readProgram(tx Tx, t Team) (programInput, error) {
	in := programInput{decisions: map[string][]Decision{}, snapshots: map[string]Snapshot{}}
	var err error
	if in.experiments, err = tx.Experiments(ExperimentFilter{Team: t.Key}); err != nil {
		return in, err
	}
	for _, e := range in.experiments {
		if e.DecidedAt.IsZero() {
			continue
		}
		if in.decisions[e.Key], err = tx.Decisions(e.Key); err != nil {
			return in, err
		}
		if e.State != StateShipped {
			continue
		}
		snap, err := snapshotBefore(tx, e, t.Location())
		if err == nil {
			in.snapshots[e.Key] = snap
		} else if ErrorCode(err) != ENOTFOUND {
			return in, err
		}
	}
	return in, nil
}

// buildProgram computes the program of the month and its quarter; it is
// pure.
func buildProgram(t Team, month string, now time.Time, in programInput) Program {
	loc := t.Location()
	start := monthStart(month, 0, loc)
	q := quarterStart(start)
	period := func(label string, from, to time.Time) ProgramPeriod {
		return programPeriod(label, from, to, now, in)
	}
	prevMonth := monthStart(month, -1, loc)
	return Program{
		Team: t, AsOf: now,
		Month:         period(start.Format("January 2006"), start, start.AddDate(0, 1, 0)),
		PreviousMonth: period(prevMonth.Format("January 2006"), prevMonth, start),
		Quarter:       period(Quarter(q), q, q.AddDate(0, 3, 0)),
		PreviousQuart: period(Quarter(q.AddDate(0, -3, 0)), q.AddDate(0, -3, 0), q),
	}
}

// quarterStart returns the first instant of t's quarter, in t's zone.
func quarterStart(t time.Time) time.Time {
	m := (t.Month()-1)/3*3 + 1
	return time.Date(t.Year(), m, 1, 0, 0, 0, 0, t.Location())
}

func programPeriod(label string, start, end, now time.Time, in programInput) ProgramPeriod {
	p := ProgramPeriod{Label: label, Start: start, End: end, Partial: now.Before(end)}
	var days []float64
	var impacts []Impact
	for _, e := range in.experiments {
		if within(e.StartedAt, start, end) {
			p.Started++
		}
		if !within(e.DecidedAt, start, end) || (e.State != StateShipped && e.State != StateKilled) {
			continue
		}
		if e.State == StateShipped {
			p.Shipped++
			im := impact(e, in.snapshots)
			if im.Measured {
				impacts = append(impacts, im)
			} else {
				p.Unmeasured++
			}
		} else {
			p.Killed++
		}
		if !e.StartedAt.IsZero() {
			days = append(days, e.DecidedAt.Sub(e.StartedAt).Hours()/24)
		}
		if settledByData(e, in.decisions[e.Key]) {
			p.DataSettled++
		} else {
			p.Judgement++
		}
	}
	if len(days) > 0 {
		p.MedianDays = medianOf(days)
	}
	elapsed := end.Sub(start)
	if now.Before(end) {
		elapsed = max(now.Sub(start), 0)
	}
	if weeks := elapsed.Hours() / (24 * 7); weeks > 0 {
		p.DecisionsPerWeek = float64(p.Decided()) / weeks
	}
	p.Impacts = sumImpacts(impacts)
	return p
}

// settledByData reports whether the decision that ended e was the one its
// decision framework recommended (auto-approved): the data settled it.
// A decision approvers took, or an ending with no decision on record, is
// judgement.
func settledByData(e Experiment, decisions []Decision) bool {
	want := ActionKill
	if e.State == StateShipped {
		want = ActionShip
	}
	for _, d := range decisions { // newest first
		if d.State == DecisionApplied && d.Action == want {
			return d.AutoApproved
		}
	}
	return false
}

// medianOf returns the median of xs; it sorts a copy.
func medianOf(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// String is a period's figures in one line, for logs and tests.
func (p ProgramPeriod) String() string {
	return fmt.Sprintf("%s: started %d, decided %d (%d shipped), %.2f/week, median %.1f days, data %d/judgement %d",
		p.Label, p.Started, p.Decided(), p.Shipped, p.DecisionsPerWeek, p.MedianDays, p.DataSettled, p.Judgement)
}
