package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// dayLayout is the period of a daily job.
const dayLayout = "2006-01-02"

// RunPulse analyses running experiments and posts their scorecards, once per
// team and day (in the team's time zone): opts narrow it to a team or an
// experiment, set the day (Period, YYYY-MM-DD) or repeat a day (Force).
func (s *Service) RunPulse(ctx context.Context, opts JobOptions) (JobReport, error) {
	var report JobReport
	teams, exps, err := s.pulseTargets(ctx, opts)
	if err != nil {
		return report, err
	}
	for _, team := range teams {
		day := opts.Period
		if day == "" {
			day = s.Clock.Now().In(team.Location()).Format(dayLayout)
		} else if _, err := time.Parse(dayLayout, day); err != nil {
			return report, Errorf(EINVALID, "period %q: a pulse runs for a day, YYYY-MM-DD", day)
		}
		var keys []string
		for _, e := range exps {
			if e.Team == team.Key {
				keys = append(keys, e.Key)
			}
		}
		scope := team.Key
		if opts.Experiment != "" {
			scope = "experiment:" + opts.Experiment
		}
		ran, err := s.runOnce(ctx, JobPulse, scope, day, opts.Force, &report, func(ctx context.Context) error {
			return s.pulseTeam(ctx, team, day, keys, opts.Force, &report)
		})
		if err != nil {
			return report, err
		}
		if ran && len(keys) == 0 {
			report.add("pulse %s %s: no running experiments", scope, day)
		}
	}
	return report, nil
}

// pulseTargets returns the teams a pulse covers and their running
// experiments.
func (s *Service) pulseTargets(ctx context.Context, opts JobOptions) ([]Team, []Experiment, error) {
	var teams []Team
	var exps []Experiment
	err := s.Store.View(ctx, func(tx Tx) error {
		running := ExperimentFilter{States: []State{StateRunning, StateDecisionPending}}
		switch {
		case opts.Experiment != "":
			e, err := tx.Experiment(opts.Experiment)
			if err != nil {
				return err
			}
			if e.State != StateRunning && e.State != StateDecisionPending {
				return Errorf(ECONFLICT, "experiment %q is %s; the pulse covers running experiments", e.Key, e.State)
			}
			t, err := tx.Team(e.Team)
			if err != nil {
				return err
			}
			teams, exps = []Team{t}, []Experiment{e}
			return nil
		case opts.Team != "":
			t, err := tx.Team(opts.Team)
			if err != nil {
				return err
			}
			teams = []Team{t}
			running.Team = t.Key
		default:
			var err error
			if teams, err = tx.Teams(); err != nil {
				return err
			}
		}
		var err error
		exps, err = tx.Experiments(running)
		return err
	})
	return teams, exps, err
}

func (s *Service) pulseTeam(ctx context.Context, team Team, day string, keys []string, force bool, report *JobReport) error {
	if err := s.Store.Update(ctx, func(tx Tx) error { return s.monitorTeam(tx, team) }); err != nil {
		return fmt.Errorf("monitor %s: %w", team.Key, err)
	}
	cards, _, failed, err := s.scorecardsEach(ctx, keys)
	if err != nil {
		return err
	}
	var down []error
	for i, sc := range cards {
		if failed[i] != nil {
			if err := s.reportSourceDown(ctx, team, keys[i], day, failed[i]); err != nil {
				return err
			}
			report.add("pulse %s %s: %s (source failed, will retry: %s)", team.Key, day, keys[i], ErrorMessage(failed[i]))
			down = append(down, failed[i])
			continue
		}
		posted, err := s.publishScorecard(ctx, team, sc, day, force)
		if err != nil {
			return fmt.Errorf("publish %s: %w", sc.Experiment.Key, err)
		}
		what := "headline updated, nothing material changed"
		if posted {
			what = "scorecard posted"
		}
		report.add("pulse %s %s: %s (%s)", team.Key, day, sc.Experiment.Key, what)
	}
	// The run fails, so that the next scheduled run tries again; the
	// experiments that were posted are not posted twice (their snapshots
	// and messages are keyed by day).
	return errors.Join(down...)
}

// reportSourceDown says in the experiment's thread, once a day, that its
// source could not be read.
func (s *Service) reportSourceDown(ctx context.Context, team Team, key, day string, cause error) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		e, err := tx.Experiment(key)
		if err != nil {
			return err
		}
		if err := s.ensureThread(tx, e, team, nil); err != nil {
			return err
		}
		msg := Message{Key: e.MessageKey("alert", "source", day), Op: OpPost, Channel: team.Channel, Parent: e.ThreadKey()}
		_, err = s.Enqueue(tx, msg, SourceDown{Experiment: e, Problem: ErrorMessage(cause)})
		return err
	})
}

// publishScorecard stores the day's snapshot of a scorecard and enqueues its
// messages, all in one transaction. The thread gets a new reply only when
// something material changed since the last posted scorecard, or the
// cadence is due; the headline is updated every time. It reports whether a
// reply was posted.
func (s *Service) publishScorecard(ctx context.Context, team Team, sc Scorecard, day string, force bool) (bool, error) {
	e := sc.Experiment
	var posted bool
	err := s.Store.Update(ctx, func(tx Tx) error {
		settings, err := tx.Settings()
		if err != nil {
			return err
		}
		settings = settings.WithDefaults()
		lastPosted, errPosted := tx.LastSnapshot(e.Key, day, true)
		previous, errPrev := tx.LastSnapshot(e.Key, day, false)
		for _, err := range []error{errPosted, errPrev} {
			if err != nil && ErrorCode(err) != ENOTFOUND {
				return err
			}
		}
		first := errPosted != nil
		if err := s.ensureThread(tx, e, team, &sc); err != nil {
			return err
		}
		suffix := ""
		if force {
			suffix = ":" + tx.Now().Format("150405.000")
		}
		posted = force || first || MaterialChange(lastPosted.Scorecard, sc) || daysBetween(lastPosted.Day, day) >= settings.PulseCadenceDays
		if !first || force {
			if _, err := s.Enqueue(tx, Message{Key: e.MessageKey("headline", day+suffix), Op: OpUpdate, Target: e.ThreadKey()},
				ThreadHeadline{Experiment: e, Team: team, Scorecard: &sc}); err != nil {
				return err
			}
		}
		if posted {
			reply := Message{Key: e.MessageKey("scorecard", day+suffix), Op: OpPost, Channel: team.Channel, Parent: e.ThreadKey()}
			if _, err := s.Enqueue(tx, reply, ScorecardMessage{Scorecard: sc, Team: team, Buttons: true}); err != nil {
				return err
			}
			if err := s.enqueueCharts(tx, team, sc, day+suffix); err != nil {
				return err
			}
		}
		var prev *Scorecard
		if errPrev == nil {
			prev = &previous.Scorecard
		}
		if err := s.alerts(tx, team, sc, prev, day); err != nil {
			return err
		}
		if err := s.monitorExperiment(tx, team, e, settings); err != nil {
			return err
		}
		return tx.PutSnapshot(Snapshot{Experiment: e.Key, Day: day, At: tx.Now(), Scorecard: sc, Posted: posted})
	})
	return posted, err
}

// alerts enqueues the thread alerts a scorecard calls for. A guardrail or SRM
// alert fires when the problem appears (not on every pulse while it lasts);
// reminders and escalations repeat weekly until someone acts.
func (s *Service) alerts(tx Tx, team Team, sc Scorecard, prev *Scorecard, day string) error {
	e := sc.Experiment
	inThread := func(parts ...string) Message {
		return Message{Key: e.MessageKey(append([]string{"alert"}, parts...)...), Op: OpPost, Channel: team.Channel, Parent: e.ThreadKey()}
	}
	for _, r := range sc.Results {
		if r.Role != RoleGuardrail || r.Verdict != VerdictBad {
			continue
		}
		if prev != nil {
			if p, ok := prev.Result(r.Metric.Key, r.Variant); ok && p.Verdict == VerdictBad {
				continue
			}
		}
		if _, err := s.Enqueue(tx, inThread("guardrail", r.Metric.Key, r.Variant, day), GuardrailAlert{Experiment: e, Result: r}); err != nil {
			return err
		}
	}
	if sc.SRM && (prev == nil || !prev.SRM) {
		if _, err := s.Enqueue(tx, inThread("srm", day), SRMAlert{Experiment: e, Scorecard: sc}); err != nil {
			return err
		}
	}
	if !sc.SRM && prev != nil && prev.SRM {
		note := DataAlert{Kind: AlertSRM, Team: team, Experiment: e, Cleared: true, At: tx.Now()}
		if _, err := s.Enqueue(tx, inThread("srm", "cleared", day), note); err != nil {
			return err
		}
	}
	now := tx.Now()
	if e.State == StateRunning && !e.EndsAt.IsZero() && !now.Before(e.EndsAt) {
		due, err := weekly(tx, e.MessageKey("alert", "overdue", ""), day)
		if err != nil {
			return err
		}
		if due {
			r := OverdueReminder{Experiment: e, DaysOver: int(now.Sub(e.EndsAt) / (24 * time.Hour)), Recommendation: sc.Recommendation}
			if _, err := s.Enqueue(tx, inThread("overdue", day), r); err != nil {
				return err
			}
		}
	}
	if e.Owner == "" || !team.IsMember(e.Owner) {
		due, err := weekly(tx, e.MessageKey("alert", "escalate", ""), day)
		if err != nil {
			return err
		}
		if due {
			if _, err := s.Enqueue(tx, inThread("escalate", day), OwnerEscalation{Experiment: e, Team: team}); err != nil {
				return err
			}
		}
	}
	return nil
}

// weekly reports whether no message with the key prefix was enqueued for any
// of the six days before day: a weekly reminder is due.
func weekly(tx Tx, prefix, day string) (bool, error) {
	d, err := time.Parse(dayLayout, day)
	if err != nil {
		return false, err
	}
	for i := 1; i <= 6; i++ {
		_, err := tx.MessageByKey(prefix + d.AddDate(0, 0, -i).Format(dayLayout))
		if err == nil {
			return false, nil
		} else if ErrorCode(err) != ENOTFOUND {
			return false, err
		}
	}
	return true, nil
}

// daysBetween returns the days from a to b (YYYY-MM-DD); a large number when
// a is empty.
func daysBetween(a, b string) int {
	ta, errA := time.Parse(dayLayout, a)
	tb, errB := time.Parse(dayLayout, b)
	if errA != nil || errB != nil {
		return 1 << 30
	}
	return int(tb.Sub(ta) / (24 * time.Hour))
}

// MaterialChange reports whether a scorecard says something the previous
// posted one did not: another recommendation, a guardrail status, a sample
// ratio mismatch, maturity, or a metric whose verdict changed.
func MaterialChange(prev, cur Scorecard) bool {
	if prev.Recommendation.Action != cur.Recommendation.Action || prev.Recommendation.Variant != cur.Recommendation.Variant ||
		prev.Guardrails != cur.Guardrails || prev.SRM != cur.SRM || prev.Mature != cur.Mature || len(prev.Results) != len(cur.Results) {
		return true
	}
	return slices.ContainsFunc(cur.Results, func(r MetricResult) bool {
		p, ok := prev.Result(r.Metric.Key, r.Variant)
		return !ok || p.Verdict != r.Verdict
	})
}

// PostScorecard posts an experiment's scorecard to its thread now, on behalf
// of a member of its team (/exp scorecard). Errors: ENOTFOUND, EFORBIDDEN,
// ECONFLICT when it has not started.
func (s *Service) PostScorecard(ctx context.Context, actor, key string) (Scorecard, Team, error) {
	sc, team, err := s.Scorecard(ctx, key)
	if err != nil {
		return sc, team, err
	}
	if err := mayAct(actor, team); err != nil {
		return sc, team, err
	}
	e := sc.Experiment
	err = s.Store.Update(ctx, func(tx Tx) error {
		if err := s.ensureThread(tx, e, team, &sc); err != nil {
			return err
		}
		stamp := tx.Now().Format("20060102T150405.000")
		if _, err := s.Enqueue(tx, Message{Key: e.MessageKey("headline", "manual", stamp), Op: OpUpdate, Target: e.ThreadKey()},
			ThreadHeadline{Experiment: e, Team: team, Scorecard: &sc}); err != nil {
			return err
		}
		reply := Message{Key: e.MessageKey("scorecard", "manual", stamp), Op: OpPost, Channel: team.Channel, Parent: e.ThreadKey()}
		if _, err := s.Enqueue(tx, reply, ScorecardMessage{Scorecard: sc, Team: team, Buttons: true}); err != nil {
			return err
		}
		if err := s.enqueueCharts(tx, team, sc, "manual", stamp); err != nil {
			return err
		}
		return audit(tx, actor, "scorecard.post", "experiment:"+key, "", nil, nil)
	})
	return sc, team, err
}

// enqueueCharts enqueues the pictures posted with a scorecard, in its
// thread: every metric's interval, and the primary metric's lift day by
// day once two days allow a verdict. Their keys end in parts, as the
// scorecard's do.
func (s *Service) enqueueCharts(tx Tx, team Team, sc Scorecard, parts ...string) error {
	e := sc.Experiment
	charts := []struct {
		name  string
		ready bool
		value Content
	}{
		{"intervals", sc.HasIntervals(), IntervalChart{Scorecard: sc}},
		{"chart", len(sc.VerdictLift()) >= 2, LiftChart{Scorecard: sc}},
	}
	for _, c := range charts {
		if !c.ready {
			continue
		}
		m := Message{Key: e.MessageKey(append([]string{c.name}, parts...)...), Op: OpUpload, Channel: team.Channel, Parent: e.ThreadKey()}
		if _, err := s.Enqueue(tx, m, c.value); err != nil {
			return err
		}
	}
	return nil
}
