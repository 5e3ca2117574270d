package workflows

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"time"
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
	Team           string        `json:"team"`
	State          State         `json:"state"`
	Variants       []FlagVariant `json:"variants"`
	RolloutPercent float64       `json:"rollout_percent"`
	// Winner is the variant everyone gets once the experiment is shipped
	// (the winner) or killed (the control); empty before.
	Winner string `json:"winner"`
	// Layer, when set, makes the experiment exclusive with the layer's
	// others: only units whose layer slot falls in LayerRanges can enter
	// it while it runs. LayerShare is the part of the layer it takes.
	Layer       string       `json:"layer,omitempty"`
	LayerShare  float64      `json:"layer_share,omitempty"`
	LayerRanges []LayerRange `json:"layer_ranges,omitempty"`
	// Holdout is the team's holdout, when it has one.
	Holdout *FlagHoldout `json:"holdout,omitempty"`
	// LogExposures says whether evaluating the flag through growthbot
	// records exposures.
	LogExposures bool `json:"log_exposures"`
}

// FlagVariant is a variant, its weight (weights are relative) and its
// value (a JSON boolean, string, number or object; its key when unset).
type FlagVariant struct {
	Key    string          `json:"key"`
	Weight float64         `json:"weight"`
	Value  json.RawMessage `json:"value"`
}

// FlagHoldout is a team's holdout as the flags document shows it.
type FlagHoldout struct {
	Share float64   `json:"share"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"` // exclusive
	// name is the holdout's experiment, HoldoutExperiment(team), made
	// once rather than at each exposure.
	name string
}

// experiment returns the holdout's experiment key.
func (h *FlagHoldout) experiment(team string) string {
	if h.name == "" {
		return HoldoutExperiment(team)
	}
	return h.name
}

// Assignment is the variant a unit gets, and why.
type Assignment struct {
	Key            string          `json:"key"`
	UnitID         string          `json:"unit_id"`
	Variant        string          `json:"variant"`
	Value          json.RawMessage `json:"value"`
	State          State           `json:"state"`
	RolloutPercent float64         `json:"rollout_percent"`
	Layer          string          `json:"layer,omitempty"`
	// InExperiment is set for units in a running experiment's rollout:
	// the ones whose exposures should be reported.
	InExperiment bool `json:"in_experiment"`
	// Reason is one of "rollout" (in the experiment), "outside_rollout",
	// "outside_layer", "holdout", "draft", "shipped" or "killed".
	Reason string `json:"reason"`
	// InHoldout is set for units in the team's active holdout; they get
	// the control whatever the state.
	InHoldout bool `json:"in_holdout,omitempty"`
	// HoldoutActive is set when the team's holdout applies now: every
	// evaluated unit then counts for the holdout comparison.
	HoldoutActive bool `json:"-"`
	// Team is the experiment's team.
	Team string `json:"-"`
}

// Assignment reasons.
const (
	ReasonRollout        = "rollout"
	ReasonOutsideRollout = "outside_rollout"
	ReasonOutsideLayer   = "outside_layer"
	ReasonHoldout        = "holdout"
	ReasonDraft          = "draft"
	ReasonShipped        = "shipped"
	ReasonKilled         = "killed"
)

// NewFlag returns an experiment's flag; team is its team.
func NewFlag(e Experiment, team Team) Flag {
	f := Flag{Key: e.Key, Team: e.Team, State: e.State, RolloutPercent: e.RolloutPercent, Variants: []FlagVariant{},
		Layer: e.Layer, LayerShare: e.LayerShare, LogExposures: !e.NoExposureLogging}
	for _, v := range e.Variants {
		value := v.Value
		if len(value) == 0 {
			value, _ = json.Marshal(v.Key)
		}
		f.Variants = append(f.Variants, FlagVariant{Key: v.Key, Weight: v.Weight, Value: value})
	}
	if e.State.Terminal() {
		f.Winner = e.Winner
	}
	if e.holdsLayer() {
		f.LayerRanges = e.LayerRanges
	}
	if team.Holdout.Share > 0 {
		f.Holdout = &FlagHoldout{Share: team.Holdout.Share, Start: team.Holdout.Start, End: team.Holdout.End, name: HoldoutExperiment(team.Key)}
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

// value returns a variant's value.
func (f Flag) value(key string) json.RawMessage {
	for _, v := range f.Variants {
		if v.Key == key {
			return v.Value
		}
	}
	return nil
}

// Assign returns the variant unit gets now.
func (f Flag) Assign(unit string) Assignment { return f.AssignAt(unit, time.Now()) }

// AssignAt returns the variant unit gets at now (which only the team's
// holdout period depends on).
func (f Flag) AssignAt(unit string, now time.Time) Assignment {
	a := Assignment{Key: f.Key, UnitID: unit, Variant: f.Control(), State: f.State, RolloutPercent: f.RolloutPercent,
		Layer: f.Layer, Team: f.Team}
	h := f.Holdout
	a.HoldoutActive = h != nil && !now.Before(h.Start) && now.Before(h.End)
	a.InHoldout = a.HoldoutActive && bucketOf(holdoutPrefix, f.Team, ":", unit) < h.Share
	switch {
	case f.State == StateKilled:
		a.Reason = ReasonKilled
	case a.InHoldout:
		a.Reason = ReasonHoldout
	case f.State == StateShipped:
		a.Reason = ReasonShipped
		if f.Winner != "" {
			a.Variant = f.Winner
		}
	case f.State == StateRunning || f.State == StateDecisionPending:
		switch {
		case f.Layer != "" && !inRanges(f.LayerRanges, LayerSlot(f.Layer, unit)):
			a.Reason = ReasonOutsideLayer
		case bucketOf(f.Key, ":traffic", ":", unit) >= f.RolloutPercent/100:
			a.Reason = ReasonOutsideRollout
		default:
			a.Variant, a.InExperiment, a.Reason = f.pick(Bucket(f.Key, unit)), true, ReasonRollout
		}
	default:
		a.Reason = ReasonDraft
	}
	a.Value = f.value(a.Variant)
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
func Bucket(key, unit string) float64 { return bucketOf("", key, ":", unit) }

// bucketOf is the bucket of the string a+b+c+d, hashed without allocating
// for the usual lengths (evaluations call it a few times each).
func bucketOf(a, b, c, d string) float64 {
	var buf [192]byte
	s := append(append(append(append(buf[:0], a...), b...), c...), d...)
	sum := sha256.Sum256(s)
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}
