package workflows_test

import (
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

func TestTransitions(t *testing.T) {
	const (
		draft   = workflows.StateDraft
		running = workflows.StateRunning
		pending = workflows.StateDecisionPending
		shipped = workflows.StateShipped
		killed  = workflows.StateKilled
	)
	// Every legal transition; every other (state, transition) pair must be a
	// conflict.
	legal := map[workflows.State]map[workflows.Transition]workflows.State{
		draft:   {workflows.TransitionStart: running},
		running: {workflows.TransitionRequest: pending, workflows.TransitionKill: killed},
		pending: {
			workflows.TransitionShip:   shipped,
			workflows.TransitionExtend: running,
			workflows.TransitionKill:   killed,
			workflows.TransitionReject: running,
		},
	}
	for _, from := range workflows.States {
		for _, tr := range workflows.Transitions {
			want, ok := legal[from][tr]
			t.Run(string(from)+"/"+string(tr), func(t *testing.T) {
				got, err := workflows.Experiment{Key: "x", State: from}.Next(tr)
				if ok {
					if err != nil || got != want {
						t.Fatalf("Next = %q, %v; want %q", got, err, want)
					}
					return
				}
				if code := workflows.ErrorCode(err); code != workflows.ECONFLICT {
					t.Fatalf("Next = %q, %v (code %q); want a conflict", got, err, code)
				}
			})
		}
	}
}

func TestLifecycleEffects(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	newExp := func() workflows.Experiment {
		return workflows.Experiment{
			Key: "x", State: workflows.StateDraft, PlannedDays: 14,
			Variants: []workflows.Variant{{Key: "control", Weight: 1}, {Key: "treatment", Weight: 1}},
		}
	}
	tests := []struct {
		name    string
		steps   func(e *workflows.Experiment) error
		check   func(t *testing.T, e workflows.Experiment)
		errCode string
	}{
		{
			name:  "start sets dates and full exposure",
			steps: func(e *workflows.Experiment) error { return e.Start(now) },
			check: func(t *testing.T, e workflows.Experiment) {
				if e.State != workflows.StateRunning || !e.StartedAt.Equal(now) || !e.EndsAt.Equal(now.AddDate(0, 0, 14)) || e.RolloutPercent != 100 {
					t.Errorf("after start: %+v", e)
				}
			},
		},
		{
			name: "start of a rollout begins at its first step",
			steps: func(e *workflows.Experiment) error {
				e.RolloutPlan = workflows.DefaultRolloutPlan()
				return e.Start(now)
			},
			check: func(t *testing.T, e workflows.Experiment) {
				if e.RolloutPercent != 1 || e.RolloutStep != 0 {
					t.Errorf("rollout at %v %% step %d, want 1 %% step 0", e.RolloutPercent, e.RolloutStep)
				}
			},
		},
		{
			name: "ship sets the winner at 100 %",
			steps: func(e *workflows.Experiment) error {
				return chain(e.Start(now), e.RequestDecision(), e.Ship("treatment", now.Add(time.Hour)))
			},
			check: func(t *testing.T, e workflows.Experiment) {
				if e.State != workflows.StateShipped || e.Winner != "treatment" || e.RolloutPercent != 100 {
					t.Errorf("after ship: %+v", e)
				}
			},
		},
		{
			name: "ship of an unknown variant is invalid",
			steps: func(e *workflows.Experiment) error {
				return chain(e.Start(now), e.RequestDecision(), e.Ship("purple", now))
			},
			errCode: workflows.EINVALID,
		},
		{
			name: "extend returns to running with a later end",
			steps: func(e *workflows.Experiment) error {
				return chain(e.Start(now), e.RequestDecision(), e.Extend(7, now.AddDate(0, 0, 3)))
			},
			check: func(t *testing.T, e workflows.Experiment) {
				if e.State != workflows.StateRunning || !e.EndsAt.Equal(now.AddDate(0, 0, 21)) {
					t.Errorf("after extend: state %s ends %v", e.State, e.EndsAt)
				}
			},
		},
		{
			name: "extend past the end counts from now",
			steps: func(e *workflows.Experiment) error {
				return chain(e.Start(now), e.RequestDecision(), e.Extend(7, now.AddDate(0, 0, 20)))
			},
			check: func(t *testing.T, e workflows.Experiment) {
				if !e.EndsAt.Equal(now.AddDate(0, 0, 27)) {
					t.Errorf("ends %v, want %v", e.EndsAt, now.AddDate(0, 0, 27))
				}
			},
		},
		{
			name: "extend by zero days is invalid",
			steps: func(e *workflows.Experiment) error {
				return chain(e.Start(now), e.RequestDecision(), e.Extend(0, now))
			},
			errCode: workflows.EINVALID,
		},
		{
			name:  "kill sends everyone to control",
			steps: func(e *workflows.Experiment) error { return chain(e.Start(now), e.Kill(now)) },
			check: func(t *testing.T, e workflows.Experiment) {
				if e.State != workflows.StateKilled || e.Winner != "control" || e.RolloutPercent != 0 {
					t.Errorf("after kill: %+v", e)
				}
			},
		},
		{
			name:    "a killed experiment cannot be shipped",
			steps:   func(e *workflows.Experiment) error { return chain(e.Start(now), e.Kill(now), e.Ship("treatment", now)) },
			errCode: workflows.ECONFLICT,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newExp()
			err := tc.steps(&e)
			if got := workflows.ErrorCode(err); got != tc.errCode {
				t.Fatalf("error %v (code %q), want code %q", err, got, tc.errCode)
			}
			if tc.check != nil {
				tc.check(t, e)
			}
		})
	}
}

// chain returns the first error of steps that already ran, in order, as the
// caller's arguments.
func chain(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func TestDay(t *testing.T) {
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	e := workflows.Experiment{StartedAt: start}
	for _, tc := range []struct {
		at   time.Time
		want int
	}{
		{start.Add(-time.Hour), 0},
		{start, 1},
		{start.Add(23 * time.Hour), 1},
		{start.Add(24 * time.Hour), 2},
		{start.AddDate(0, 0, 13), 14},
	} {
		if got := e.Day(tc.at); got != tc.want {
			t.Errorf("Day(%v) = %d, want %d", tc.at, got, tc.want)
		}
	}
}
