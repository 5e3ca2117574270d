package workflows

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
)

// Flags: every experiment as the services that assign variants see it, and
// the bucketing that assigns them. Bucketing is deterministic and needs no
// state, so any service or SDK can reproduce it from the flags document:
//
//	bucket(s)  = uint64(first 8 bytes of SHA-256(s), big-endian) >> 11, divided by 2^53: a number in [0, 1)
//	in rollout = bucket(KEY + ":traffic:" + UNIT) < rollout_percent / 100
//	variant    = the first variant whose cumulative weight share exceeds bucket(KEY + ":" + UNIT)
//
// The two hashes are independent, so which units are in the rollout says
// nothing about their variant, and a unit's variant never changes as the
// rollout grows: units only enter. Units outside the rollout, and everyone
// in a draft, get the control; everyone gets the winner of a shipped
// experiment, and the control of a killed one.

// Flag is one experiment's assignment state.
type Flag struct {
	Key            string        `json:"key"`
	State          State         `json:"state"`
	Variants       []FlagVariant `json:"variants"`
	RolloutPercent float64       `json:"rollout_percent"`
	// Winner is the variant everyone gets once the experiment is shipped
	// (the winner) or killed (the control); empty before.
	Winner string `json:"winner"`
}

// FlagVariant is a variant and its weight; weights are relative.
type FlagVariant struct {
	Key    string  `json:"key"`
	Weight float64 `json:"weight"`
}

// Assignment is the variant a unit gets, and why.
type Assignment struct {
	Key            string  `json:"key"`
	UnitID         string  `json:"unit_id"`
	Variant        string  `json:"variant"`
	State          State   `json:"state"`
	RolloutPercent float64 `json:"rollout_percent"`
	// InExperiment is set for units in a running experiment's rollout:
	// the ones whose exposures should be reported.
	InExperiment bool `json:"in_experiment"`
	// Reason is one of "rollout" (in the experiment), "outside_rollout",
	// "draft", "shipped" or "killed".
	Reason string `json:"reason"`
}

// NewFlag returns an experiment's flag.
func NewFlag(e Experiment) Flag {
	f := Flag{Key: e.Key, State: e.State, RolloutPercent: e.RolloutPercent, Variants: []FlagVariant{}}
	for _, v := range e.Variants {
		f.Variants = append(f.Variants, FlagVariant{Key: v.Key, Weight: v.Weight})
	}
	if e.State.Terminal() {
		f.Winner = e.Winner
	}
	return f
}

// Control returns the key of the flag's control variant.
func (f Flag) Control() string {
	if len(f.Variants) == 0 {
		return ""
	}
	return f.Variants[0].Key
}

// Assign returns the variant unit gets.
func (f Flag) Assign(unit string) Assignment {
	a := Assignment{Key: f.Key, UnitID: unit, Variant: f.Control(), State: f.State, RolloutPercent: f.RolloutPercent}
	switch f.State {
	case StateShipped, StateKilled:
		a.Reason = string(f.State)
		if f.Winner != "" {
			a.Variant = f.Winner
		}
	case StateRunning, StateDecisionPending:
		a.Reason = "outside_rollout"
		if Bucket(f.Key+":traffic", unit) < f.RolloutPercent/100 {
			a.Variant, a.InExperiment, a.Reason = f.pick(Bucket(f.Key, unit)), true, "rollout"
		}
	default:
		a.Reason = "draft"
	}
	return a
}

// pick maps a bucket onto the variants' cumulative weight shares.
func (f Flag) pick(u float64) string {
	total := 0.0
	for _, v := range f.Variants {
		total += v.Weight
	}
	cum := 0.0
	for _, v := range f.Variants {
		cum += v.Weight
		if u < cum/total {
			return v.Key
		}
	}
	if len(f.Variants) == 0 {
		return ""
	}
	// Rounding can leave u just above the last share.
	return f.Variants[len(f.Variants)-1].Key
}

// Bucket maps a unit of an experiment to [0, 1): the first 8 bytes of
// SHA-256 of "KEY:UNIT" as a big-endian unsigned integer, keeping its top 53
// bits (which a float64 holds exactly), divided by 2^53.
func Bucket(key, unit string) float64 {
	sum := sha256.Sum256([]byte(key + ":" + unit))
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}

// Flags returns every experiment's flag, by key.
func (s *Service) Flags(ctx context.Context) ([]Flag, error) {
	flags := []Flag{}
	err := s.Store.View(ctx, func(tx Tx) error {
		exps, err := tx.Experiments(ExperimentFilter{})
		for _, e := range exps {
			flags = append(flags, NewFlag(e))
		}
		return err
	})
	return flags, err
}

// Evaluate returns the variant of one unit in an experiment. Errors:
// ENOTFOUND for an unknown experiment, with the closest key as a hint;
// EINVALID for an empty unit id.
func (s *Service) Evaluate(ctx context.Context, key, unit string) (Assignment, error) {
	if unit == "" {
		return Assignment{}, Errorf(EINVALID, "give the unit to evaluate as ?unit_id=U")
	}
	var f Flag
	err := s.Store.View(ctx, func(tx Tx) error {
		e, err := tx.Experiment(key)
		if ErrorCode(err) == ENOTFOUND {
			return unknownExperiment(tx, key)
		} else if err != nil {
			return err
		}
		f = NewFlag(e)
		return nil
	})
	if err != nil {
		return Assignment{}, err
	}
	return f.Assign(unit), nil
}

// unknownExperiment is the not-found error for key, suggesting the closest
// experiment key.
func unknownExperiment(tx Tx, key string) error {
	err := Errorf(ENOTFOUND, "no experiment %q", key)
	exps, lerr := tx.Experiments(ExperimentFilter{})
	if lerr != nil {
		return lerr
	}
	var keys []string
	for _, e := range exps {
		keys = append(keys, e.Key)
	}
	if c := Closest(key, keys); c != "" {
		return err.WithHint("did you mean %q?", c)
	}
	return err
}
