package workflows

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Phased rollouts. An experiment with a rollout plan exposes a growing share
// of units (RolloutPercent, see flags.go) step by step. The rollouts job
// advances a step once its hold time has passed, its minimum sample is in
// and the guardrails are healthy; a guardrail regression halts the rollout,
// or rolls it back to 0 % when the framework says so. People steer it with
// /exp rollout.

// RolloutEvent is what happened to a rollout.
type RolloutEvent string

// Rollout events.
const (
	RolloutAdvanced   RolloutEvent = "advanced"    // the job moved it to the next step
	RolloutHalted     RolloutEvent = "halted"      // the job paused it on a guardrail regression
	RolloutRolledBack RolloutEvent = "rolled_back" // the job paused it at 0 % on a regression
	RolloutCompleted  RolloutEvent = "completed"   // the last step held with healthy guardrails
	RolloutSteered    RolloutEvent = "steered"     // someone paused, resumed, advanced or set it
)

// RolloutOp is what someone does to a rollout with /exp rollout.
type RolloutOp string

// Rollout operations.
const (
	RolloutPause   RolloutOp = "pause"
	RolloutResume  RolloutOp = "resume"
	RolloutAdvance RolloutOp = "advance"
	RolloutSet     RolloutOp = "set" // to a percent
)

// RolloutAlert tells an experiment's thread what happened to its rollout,
// with buttons that fit: Resume and Kill after a halt, Ship and Kill once it
// completes, Pause while it moves.
type RolloutAlert struct {
	Event      RolloutEvent
	Op         RolloutOp // for RolloutSteered
	Experiment Experiment
	Team       Team
	Actor      string
	From       float64 // the percent before the change
	// Scorecard is the data an automatic change was made on.
	Scorecard *Scorecard
	Reason    string
}

// PayloadKind implements Content.
func (RolloutAlert) PayloadKind() PayloadKind { return KindRolloutAlert }

// RunRollouts moves every running, unpaused rollout (of opts.Team, or just
// opts.Experiment) along its plan. Each change is audited and announced in
// the experiment's thread in the same transaction, and made only if the
// experiment is as it was analysed, so that running it twice, or in two
// processes at once, changes nothing twice.
func (s *Service) RunRollouts(ctx context.Context, opts JobOptions) (JobReport, error) {
	var report JobReport
	err := s.Store.View(ctx, func(tx Tx) error {
		if opts.Team != "" {
			if _, err := tx.Team(opts.Team); err != nil {
				return err
			}
		}
		if opts.Experiment != "" {
			if _, err := tx.Experiment(opts.Experiment); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return report, err
	}
	// Recorded per quarter hour, so that `jobs list` shows the last run.
	// Moving a rollout is safe to repeat, so a repeat runs again; the
	// record keeps two processes from moving rollouts at the same time.
	scope := cmp.Or(opts.Experiment, opts.Team, "*")
	period := s.Clock.Now().UTC().Truncate(15 * time.Minute).Format("2006-01-02T15:04")
	_, err = s.runOnce(ctx, JobRollouts, scope, period, true, &report, func(ctx context.Context) error {
		return s.moveRollouts(ctx, opts, &report)
	})
	return report, err
}

// moveRollouts is RunRollouts' work, inside its record.
func (s *Service) moveRollouts(ctx context.Context, opts JobOptions, report *JobReport) error {
	var keys []string
	err := s.Store.View(ctx, func(tx Tx) error {
		exps, err := tx.Experiments(ExperimentFilter{Team: opts.Team, States: []State{StateRunning, StateDecisionPending}})
		for _, e := range exps {
			if len(e.RolloutPlan) > 0 && !e.RolloutPaused && (opts.Experiment == "" || e.Key == opts.Experiment) {
				keys = append(keys, e.Key)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		report.add("rollouts: no running rollout to move")
		return nil
	}
	cards, _, err := s.scorecards(ctx, keys)
	if err != nil {
		return err
	}
	var errs []error
	for _, sc := range cards {
		line, err := s.stepRollout(ctx, sc)
		if err != nil {
			s.Log.Error("rollout step failed", "experiment", sc.Experiment.Key, "err", err)
			errs = append(errs, fmt.Errorf("rollout %s: %w", sc.Experiment.Key, err))
			line = "failed: " + ErrorMessage(err)
		}
		report.add("rollouts %s: %s", sc.Experiment.Key, line)
	}
	return errors.Join(errs...)
}

// stepRollout makes the move the scorecard calls for and says what it did.
func (s *Service) stepRollout(ctx context.Context, sc Scorecard) (string, error) {
	var line string
	err := s.Store.Update(ctx, func(tx Tx) error {
		e, team, err := experimentAndTeam(tx, sc.Experiment.Key)
		if err != nil {
			return err
		}
		was := sc.Experiment
		if e.State.Terminal() || e.RolloutPaused || e.RolloutStep != was.RolloutStep || !e.RolloutStepAt.Equal(was.RolloutStepAt) ||
			len(e.RolloutPlan) == 0 {
			line = "changed while it was analysed; the next run looks again"
			return nil
		}
		now := tx.Now()
		current := e.currentStep()
		step := e.RolloutPlan[current]
		due := e.RolloutStepAt.Add(step.Hold)
		units := int64(0)
		for _, n := range sc.Units {
			units += n
		}
		alert := RolloutAlert{Experiment: e, Team: team, Actor: ActorScheduler, From: e.RolloutPercent, Scorecard: &sc}
		last := current == len(e.RolloutPlan)-1
		switch {
		case sc.Guardrails == GuardrailsUnknown:
			line = fmt.Sprintf("holding at %s %%: a guardrail is unknown (%s)", formatPercent(e.RolloutPercent), sc.GuardrailReason)
			return nil
		case sc.Guardrails != GuardrailsHealthy:
			alert.Event, alert.Reason = RolloutHalted, sc.Detail([]Term{{Condition: CondGuardrailRegressing}})
			e.RolloutPaused = true
			if s.framework(e, team).RollbackOnRegression {
				alert.Event, e.RolloutPercent = RolloutRolledBack, 0
			}
			line = fmt.Sprintf("%s at %s %%: guardrails %s", alert.Event, formatPercent(alert.From), sc.Guardrails)
		case sc.SRM:
			line = fmt.Sprintf("holding at %s %%: sample ratio mismatch (p = %.2g)", formatPercent(e.RolloutPercent), sc.SRMPValue)
			return nil
		case now.Before(due):
			line = fmt.Sprintf("holding at %s %% until %s", formatPercent(e.RolloutPercent), MomentText(due))
			return nil
		case units < step.MinSample:
			line = fmt.Sprintf("holding at %s %%: %d of the %d units this step needs", formatPercent(e.RolloutPercent), units, step.MinSample)
			return nil
		case last:
			line = fmt.Sprintf("complete at %s %%: ship or kill it", formatPercent(e.RolloutPercent))
			alert.Event = RolloutCompleted
			if err := s.ensureThread(tx, e, team, &sc); err != nil {
				return err
			}
			// Nothing changes, so the key alone keeps it to one message.
			m := Message{Key: e.MessageKey("rollout", "complete", strconv.FormatInt(e.RolloutStepAt.Unix(), 10)), Op: OpPost,
				Channel: team.Channel, Parent: e.ThreadKey()}
			_, err := s.Enqueue(tx, m, alert)
			return err
		default:
			e.RolloutStep = current + 1
			e.RolloutPercent, e.RolloutStepAt = e.RolloutPlan[e.RolloutStep].Percent, now
			alert.Event = RolloutAdvanced
			alert.Reason = fmt.Sprintf("Guardrails healthy after %s at %s %% with %d units.", formatHold(now.Sub(was.RolloutStepAt)),
				formatPercent(alert.From), units)
			line = fmt.Sprintf("advanced from %s %% to %s %% (step %d of %d)", formatPercent(alert.From), formatPercent(e.RolloutPercent),
				e.RolloutStep+1, len(e.RolloutPlan))
		}
		return s.changeRollout(tx, e, alert, "rollout."+string(alert.Event))
	})
	return line, err
}

// SteerRollout pauses, resumes, advances or sets (to percent) a rollout on
// behalf of actor, a member of its team. Resuming a rollout rolled back to
// 0 % brings it back to its current step; advancing or raising it is
// refused while a guardrail fails.
//
// Errors: ENOTFOUND, EFORBIDDEN for an outsider, EINVALID for an
// experiment without a rollout plan or a percent out of 0-100, ECONFLICT
// when the rollout is over, already in that state, or a guardrail fails.
func (s *Service) SteerRollout(ctx context.Context, actor, key string, op RolloutOp, percent float64) (Experiment, error) {
	var sc *Scorecard
	if op == RolloutAdvance || op == RolloutSet {
		sc = s.decisionScorecard(ctx, key)
	}
	var out Experiment
	err := s.Store.Update(ctx, func(tx Tx) error {
		e, team, err := experimentAndTeam(tx, key)
		if err != nil {
			return err
		}
		if err := mayAct(actor, team); err != nil {
			return err
		}
		if len(e.RolloutPlan) == 0 {
			return Errorf(EINVALID, "experiment %q is not a phased rollout: its config has no rollout plan", key)
		}
		if e.State != StateRunning && e.State != StateDecisionPending {
			return Errorf(ECONFLICT, "experiment %q is %s, so its rollout cannot change", key, describeState(e.State))
		}
		alert := RolloutAlert{Event: RolloutSteered, Op: op, Experiment: e, Team: team, Actor: actor, From: e.RolloutPercent, Scorecard: sc}
		if err := steer(&e, op, percent, sc, tx.Now()); err != nil {
			return err
		}
		out = e
		return s.changeRollout(tx, e, alert, "rollout."+string(op))
	})
	return out, err
}

// steer applies a rollout operation to e, or says why it cannot.
func steer(e *Experiment, op RolloutOp, percent float64, sc *Scorecard, now time.Time) error {
	current := e.currentStep()
	at := fmt.Sprintf("%s %% (step %d of %d)", formatPercent(e.RolloutPercent), current+1, len(e.RolloutPlan))
	failing := func() error {
		if sc != nil && sc.Guardrails == GuardrailsFailing {
			return Errorf(ECONFLICT, "a guardrail of %q is failing, so its rollout cannot grow: %s Pause or kill it instead", e.Key,
				sc.Detail([]Term{{Condition: CondGuardrailFailing}}))
		}
		return nil
	}
	switch op {
	case RolloutPause:
		if e.RolloutPaused {
			return Errorf(ECONFLICT, "the rollout of %q is already paused at %s", e.Key, at)
		}
		e.RolloutPaused = true
		return nil
	case RolloutResume:
		if !e.RolloutPaused {
			return Errorf(ECONFLICT, "the rollout of %q is not paused; it is at %s", e.Key, at)
		}
		e.RolloutPaused = false
		if e.RolloutPercent == 0 {
			e.RolloutStep, e.RolloutPercent = current, e.RolloutPlan[current].Percent
		}
	case RolloutAdvance:
		switch {
		case e.RolloutPaused:
			return Errorf(ECONFLICT, "the rollout of %q is paused at %s; resume it first", e.Key, at)
		case current >= len(e.RolloutPlan)-1:
			return Errorf(ECONFLICT, "the rollout of %q is at its last step, %s: ship it to finish", e.Key, at)
		}
		if err := failing(); err != nil {
			return err
		}
		e.RolloutStep = current + 1
		e.RolloutPercent = e.RolloutPlan[e.RolloutStep].Percent
	case RolloutSet:
		switch {
		case math.IsNaN(percent) || percent < 0 || percent > 100:
			return Errorf(EINVALID, "%v is not a percent from 0 to 100", percent)
		case percent == e.RolloutPercent:
			return Errorf(ECONFLICT, "the rollout of %q is already at %s", e.Key, at)
		case percent > e.RolloutPercent:
			if err := failing(); err != nil {
				return err
			}
		}
		// The plan goes on from the last step at or below the new percent.
		e.RolloutStep = 0
		for i, st := range e.RolloutPlan {
			if st.Percent <= percent {
				e.RolloutStep = i
			}
		}
		e.RolloutPercent = percent
	default:
		return Errorf(EINVALID, "a rollout can be paused, resumed, advanced or set to a percent, not %q", op)
	}
	e.RolloutStepAt = now
	return nil
}

// changeRollout stores a rollout's new state with its audit entry and
// announces it in the thread. The message's key is the audit entry's, so
// each change is announced exactly once.
func (s *Service) changeRollout(tx Tx, e Experiment, alert RolloutAlert, action string) error {
	before := alert.Experiment
	if err := putExperiment(tx, &e); err != nil {
		return err
	}
	reason := alert.Reason
	if reason == "" {
		reason = fmt.Sprintf("%s %% → %s %%", formatPercent(alert.From), formatPercent(e.RolloutPercent))
	}
	entry, err := tx.AppendAudit(AuditEntry{At: tx.Now(), Actor: alert.Actor, Action: action, Subject: "experiment:" + e.Key,
		Reason: reason, Before: auditJSON(before), After: auditJSON(e)})
	if err != nil {
		return err
	}
	alert.Experiment = e
	if err := s.ensureThread(tx, e, alert.Team, alert.Scorecard); err != nil {
		return err
	}
	m := Message{Key: e.MessageKey("rollout", strconv.FormatInt(entry.ID, 10)), Op: OpPost, Channel: alert.Team.Channel,
		Parent: e.ThreadKey()}
	_, err = s.Enqueue(tx, m, alert)
	return err
}

// currentStep is the index of the rollout's step in its plan. The config
// may shorten the plan of a running rollout; a step past its end is the
// last one. The plan must not be empty.
func (e Experiment) currentStep() int { return min(e.RolloutStep, len(e.RolloutPlan)-1) }

// formatPercent prints a percent without trailing zeros: 2.5, 25.
func formatPercent(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

// formatHold prints a duration in days or hours.
func formatHold(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%.0f days", d.Hours()/24)
	}
	return fmt.Sprintf("%.0f hours", d.Hours())
}
