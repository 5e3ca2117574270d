package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// State is where an experiment is in its lifecycle.
type State string

// Experiment states. The lifecycle is
//
//	draft -> running -> decision_pending -> shipped | killed
//
// where an approved extend, or a rejected decision, returns to running, and a
// kill is immediate from running or decision_pending.
const (
	StateDraft           State = "draft"
	StateRunning         State = "running"
	StateDecisionPending State = "decision_pending"
	StateShipped         State = "shipped"
	StateKilled          State = "killed"
)

// Transition is an event that moves an experiment between states.
type Transition string

// Transitions.
const (
	TransitionStart   Transition = "start"
	TransitionRequest Transition = "request_decision"
	TransitionShip    Transition = "ship"
	TransitionExtend  Transition = "extend"
	TransitionKill    Transition = "kill"
	TransitionReject  Transition = "reject"
)

// transitions is the whole state machine: from a state, what each transition
// leads to. Anything not listed is illegal.
var transitions = map[State]map[Transition]State{
	StateDraft: {
		TransitionStart: StateRunning,
	},
	StateRunning: {
		TransitionRequest: StateDecisionPending,
		TransitionKill:    StateKilled,
	},
	StateDecisionPending: {
		TransitionShip:   StateShipped,
		TransitionExtend: StateRunning,
		TransitionKill:   StateKilled,
		TransitionReject: StateRunning,
	},
}

// States lists every state in lifecycle order.
var States = []State{StateDraft, StateRunning, StateDecisionPending, StateShipped, StateKilled}

// Transitions lists every transition.
var Transitions = []Transition{TransitionStart, TransitionRequest, TransitionShip, TransitionExtend, TransitionKill, TransitionReject}

// Terminal reports whether no transition leaves s.
func (s State) Terminal() bool { return len(transitions[s]) == 0 }

// Method is the statistical method of an experiment's analysis.
type Method string

// Methods. Sequential is the default because a daily pulse looks every day.
const (
	MethodFixed      Method = "fixed"
	MethodSequential Method = "sequential"
	MethodBayesian   Method = "bayesian"
)

// Variant is one arm of an experiment. The first variant is the control.
type Variant struct {
	Key    string
	Weight float64
	// Value is what the variant evaluates to (a dynamic config): a JSON
	// boolean, string, number or object. Empty: the variant's key.
	Value json.RawMessage `json:",omitempty"`
}

// RolloutStep is one step of a phased rollout.
type RolloutStep struct {
	Percent float64
	// Hold is how long the step lasts at least before the next.
	Hold time.Duration
	// MinSample is the number of exposed units the step needs before the next.
	MinSample int64
}

// DefaultRolloutPlan is 1, 5, 10, 25, 50, 100 %, a day each.
func DefaultRolloutPlan() []RolloutStep {
	var plan []RolloutStep
	for _, p := range []float64{1, 5, 10, 25, 50, 100} {
		plan = append(plan, RolloutStep{Percent: p, Hold: 24 * time.Hour})
	}
	return plan
}

// Thread is a Slack message that opens a thread (channel and timestamp).
type Thread struct {
	Channel string
	TS      string
}

// Experiment defaults.
const (
	DefaultAlpha       = 0.05
	DefaultMinDays     = 7
	DefaultPlannedDays = 14
	DefaultTargetMDE   = 0.05 // relative lift the experiment should be able to detect
)

// Bounds of an experiment's texts, in characters: they come from people
// (the /exp new form), and Slack shows them in messages of bounded size.
const (
	MaxNameLength       = 200
	MaxHypothesisLength = 2000
)

// Experiment is an A/B test or a rollout, from its definition (owned by the
// config file) to its lifecycle (owned by growthbot).
type Experiment struct {
	// Definition, from config as code.
	Key              string
	Name             string
	Team             string
	Owner            string
	Hypothesis       string
	Variants         []Variant
	PrimaryMetrics   []string
	GuardrailMetrics []string
	SecondaryMetrics []string
	Method           Method
	Alpha            float64
	Framework        string // empty: the team's default
	MinDays          int
	PlannedDays      int
	TargetMDE        float64
	RolloutPlan      []RolloutStep
	// Layer names the layer the experiment belongs to, if any: experiments
	// of one layer never share a unit. LayerShare is the fraction of the
	// layer's units it may take.
	Layer      string
	LayerShare float64
	// NoExposureLogging switches off recording exposures at evaluation.
	NoExposureLogging bool
	// Source is the key of the source its data is read from; empty for
	// the team's default, which is empty for the embedded store.
	Source string

	// Lifecycle, owned by growthbot.
	State          State
	StartedAt      time.Time
	EndsAt         time.Time
	DecidedAt      time.Time
	Winner         string
	RolloutPercent float64
	RolloutStep    int // index into RolloutPlan of the current step
	RolloutPaused  bool
	RolloutStepAt  time.Time // when the current step began
	// LayerRanges is the part of its layer the experiment holds while it
	// runs, allocated when it starts and released when it ends.
	LayerRanges []LayerRange
	// Thread is the experiment's thread in its team's channel, once the
	// first scorecard opened it. It is read-only: the store derives it from
	// the delivered message with key ThreadKey().
	Thread Thread

	CreatedAt time.Time
	UpdatedAt time.Time
}

// ThreadKey is the outbox key of the message that opens the experiment's
// thread; every scorecard and decision of the experiment replies under it.
func (e Experiment) ThreadKey() string { return e.MessageKey("thread") }

// MessageKey returns the outbox key of one of the experiment's messages:
// experiment:KEY:part:part...
func (e Experiment) MessageKey(parts ...string) string {
	return "experiment:" + e.Key + ":" + strings.Join(parts, ":")
}

// Control returns the key of the control variant.
func (e Experiment) Control() string {
	if len(e.Variants) == 0 {
		return ""
	}
	return e.Variants[0].Key
}

// Variant reports whether key names one of the experiment's variants.
func (e Experiment) HasVariant(key string) bool {
	for _, v := range e.Variants {
		if v.Key == key {
			return true
		}
	}
	return false
}

// Metrics returns every metric key of the experiment: primary, guardrail, then
// secondary.
func (e Experiment) Metrics() []string {
	var all []string
	all = append(all, e.PrimaryMetrics...)
	all = append(all, e.GuardrailMetrics...)
	return append(all, e.SecondaryMetrics...)
}

// Next returns the state that t leads to from the experiment's state, or a
// conflict error saying why the transition is illegal.
func (e Experiment) Next(t Transition) (State, error) {
	if to, ok := transitions[e.State][t]; ok {
		return to, nil
	}
	return "", Errorf(ECONFLICT, "experiment %q is %s, so it cannot %s", e.Key, describeState(e.State), describeTransition(t))
}

// Start moves a draft experiment to running: it starts now and is planned to
// end after PlannedDays. A rollout begins at the plan's first step.
func (e *Experiment) Start(now time.Time) error {
	to, err := e.Next(TransitionStart)
	if err != nil {
		return err
	}
	e.State = to
	e.StartedAt = now
	e.EndsAt = now.AddDate(0, 0, e.PlannedDays)
	e.RolloutStepAt = now
	if len(e.RolloutPlan) > 0 {
		e.RolloutStep = 0
		e.RolloutPercent = e.RolloutPlan[0].Percent
	} else {
		e.RolloutPercent = 100
	}
	return nil
}

// RequestDecision marks the experiment as waiting for a decision.
func (e *Experiment) RequestDecision() error {
	to, err := e.Next(TransitionRequest)
	if err != nil {
		return err
	}
	e.State = to
	return nil
}

// Ship ends the experiment with variant as the winner, at 100 %.
func (e *Experiment) Ship(variant string, now time.Time) error {
	to, err := e.Next(TransitionShip)
	if err != nil {
		return err
	}
	if !e.HasVariant(variant) {
		return Errorf(EINVALID, "experiment %q has no variant %q", e.Key, variant)
	}
	e.State, e.Winner, e.DecidedAt, e.RolloutPercent = to, variant, now, 100
	return nil
}

// Extend returns the experiment to running with an end date days later.
func (e *Experiment) Extend(days int, now time.Time) error {
	to, err := e.Next(TransitionExtend)
	if err != nil {
		return err
	}
	if days < 1 || days > 365 {
		return Errorf(EINVALID, "extend by %d days: give a number of days from 1 to 365", days)
	}
	base := e.EndsAt
	if base.Before(now) {
		base = now
	}
	e.State = to
	e.EndsAt = base.AddDate(0, 0, days)
	return nil
}

// Kill ends the experiment at once: everyone gets the control.
func (e *Experiment) Kill(now time.Time) error {
	to, err := e.Next(TransitionKill)
	if err != nil {
		return err
	}
	e.State, e.Winner, e.DecidedAt, e.RolloutPercent = to, e.Control(), now, 0
	return nil
}

// Reject returns an experiment whose pending decision was rejected to running.
func (e *Experiment) Reject() error {
	to, err := e.Next(TransitionReject)
	if err != nil {
		return err
	}
	e.State = to
	return nil
}

// Day returns the experiment's day number at now, counting the start day as
// day 1; 0 before it starts.
func (e Experiment) Day(now time.Time) int {
	if e.StartedAt.IsZero() || now.Before(e.StartedAt) {
		return 0
	}
	return int(now.Sub(e.StartedAt)/(24*time.Hour)) + 1
}

func describeState(s State) string {
	switch s {
	case StateDecisionPending:
		return "waiting for a decision"
	case "":
		return "in no known state"
	}
	return string(s)
}

func describeTransition(t Transition) string {
	switch t {
	case TransitionRequest:
		return "get a decision request"
	case TransitionReject:
		return "have a decision rejected"
	case TransitionStart, TransitionShip, TransitionExtend, TransitionKill:
		return "be " + map[Transition]string{TransitionStart: "started", TransitionShip: "shipped", TransitionExtend: "extended", TransitionKill: "killed"}[t]
	}
	return fmt.Sprintf("take transition %q", t)
}

// withLifecycleOf returns e, a definition from config, carrying the
// lifecycle fields of the stored experiment old.
func (e Experiment) withLifecycleOf(old Experiment) Experiment {
	e.State, e.StartedAt, e.EndsAt, e.DecidedAt, e.Winner = old.State, old.StartedAt, old.EndsAt, old.DecidedAt, old.Winner
	e.RolloutPercent, e.RolloutStep, e.RolloutPaused, e.RolloutStepAt = old.RolloutPercent, old.RolloutStep, old.RolloutPaused, old.RolloutStepAt
	e.LayerRanges = old.LayerRanges
	e.Thread, e.CreatedAt, e.UpdatedAt = old.Thread, old.CreatedAt, old.UpdatedAt
	return e
}

// StartExperiment starts a draft experiment on behalf of actor, a member of
// its team. Errors: ENOTFOUND for an unknown key, EFORBIDDEN for an outsider,
// ECONFLICT when the experiment is not a draft.
func (s *Service) StartExperiment(ctx context.Context, actor, key string) (Experiment, error) {
	return s.changeExperiment(ctx, actor, key, "experiment.start", "", func(tx Tx, team Team, e *Experiment) error {
		if err := mayAct(actor, team); err != nil {
			return err
		}
		if err := e.Start(tx.Now()); err != nil {
			return err
		}
		if e.Layer != "" {
			siblings, err := tx.Experiments(ExperimentFilter{States: []State{StateRunning, StateDecisionPending}})
			if err != nil {
				return err
			}
			if err := allocateLayer(e, siblings); err != nil {
				return err
			}
		}
		// The team's channel hears that it started: the experiment's
		// thread opens, once.
		return s.ensureThread(tx, *e, team, nil)
	})
}

// ListExperiments returns the experiments of a team, or of every team when
// team is empty. Errors: ENOTFOUND for an unknown team.
func (s *Service) ListExperiments(ctx context.Context, team string) ([]Experiment, error) {
	var out []Experiment
	err := s.Store.View(ctx, func(tx Tx) error {
		if team != "" {
			if _, err := tx.Team(team); err != nil {
				return err
			}
		}
		var err error
		out, err = tx.Experiments(ExperimentFilter{Team: team})
		return err
	})
	return out, err
}

// ExperimentDraft is an experiment defined in Slack (/exp new) rather than
// in the config file.
type ExperimentDraft struct {
	Key              string
	Name             string
	Team             string
	Hypothesis       string
	Variants         []string // the first is the control; equal weights
	PrimaryMetric    string
	GuardrailMetrics []string
	Method           string
	PlannedDays      int
}

// CreateExperiment stores a draft experiment defined by a member of its
// team. It is checked by the same rules as the config file. Errors:
// EFORBIDDEN for an outsider, ECONFLICT when the key exists, EINVALID with
// every problem found.
func (s *Service) CreateExperiment(ctx context.Context, actor string, d ExperimentDraft) (Experiment, error) {
	var out Experiment
	err := s.Store.Update(ctx, func(tx Tx) error {
		team, err := tx.Team(d.Team)
		if err != nil {
			return err
		}
		if err := mayAct(actor, team); err != nil {
			return err
		}
		if _, err := tx.Experiment(d.Key); err == nil {
			return Errorf(ECONFLICT, "an experiment with key %q exists; pick another key", d.Key)
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		env := ConfigEnv{Frameworks: s.Frameworks, Teams: []string{team.Key}}
		metrics, err := tx.Metrics()
		if err != nil {
			return err
		}
		for _, m := range metrics {
			env.Metrics = append(env.Metrics, m.Key)
		}
		raw := experimentYAML{Key: d.Key, Name: d.Name, Team: d.Team, Owner: actor, Hypothesis: d.Hypothesis,
			GuardrailMetrics: d.GuardrailMetrics, Method: d.Method}
		if d.PrimaryMetric != "" {
			raw.PrimaryMetrics = []string{d.PrimaryMetric}
		}
		if d.PlannedDays > 0 {
			days := d.PlannedDays
			minDays := min(DefaultMinDays, days)
			raw.PlannedDays, raw.MinDays = &days, &minDays
		}
		for _, v := range d.Variants {
			raw.Variants = append(raw.Variants, variantYAML{Key: v})
		}
		p := &configParser{file: "/exp new", env: env, cfg: &Config{lines: map[string]int{}}}
		p.experiments([]experimentYAML{raw}, nil)
		if len(p.problems) > 0 {
			var msgs []string
			for _, pr := range p.problems {
				msgs = append(msgs, pr.Message)
			}
			return Errorf(EINVALID, "%s", strings.Join(msgs, "; "))
		}
		out = p.cfg.Experiments[0]
		out.CreatedAt, out.UpdatedAt = tx.Now(), tx.Now()
		if err := tx.PutExperiment(out); err != nil {
			return err
		}
		return audit(tx, actor, "experiment.create", "experiment:"+out.Key, "defined in Slack", nil, out)
	})
	return out, err
}

// DraftChoices returns what a user may choose from when defining an
// experiment in Slack: the teams they belong to and every metric. Errors:
// EFORBIDDEN for a user in no team, EINVALID when no metric is defined.
func (s *Service) DraftChoices(ctx context.Context, user string) ([]Team, []Metric, error) {
	var teams []Team
	var metrics []Metric
	err := s.Store.View(ctx, func(tx Tx) error {
		all, err := tx.Teams()
		if err != nil {
			return err
		}
		for _, t := range all {
			if t.IsMember(user) {
				teams = append(teams, t)
			}
		}
		metrics, err = tx.Metrics()
		return err
	})
	switch {
	case err != nil:
		return nil, nil, err
	case len(teams) == 0:
		return nil, nil, Errorf(EFORBIDDEN, "you are not in any team, so you cannot define experiments; ask your operator to add you in the config file")
	case len(metrics) == 0:
		return nil, nil, Errorf(EINVALID, "no metrics are defined yet; add them to the config file first")
	}
	return teams, metrics, nil
}

// Exists reports whether the experiment (when key is set) or else the team
// exists: a cheap read before slow work. It says true when it cannot tell,
// so that the work goes ahead and reports the error.
func (s *Service) Exists(ctx context.Context, key, team string) bool {
	found := true
	s.Store.View(ctx, func(tx Tx) error {
		var err error
		switch {
		case key != "":
			_, err = tx.Experiment(key)
		case team != "":
			_, err = tx.Team(team)
		}
		found = ErrorCode(err) != ENOTFOUND
		return nil
	})
	return found
}
