package workflows

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Layers make experiments mutually exclusive. Every unit has one slot per
// layer, bucket("layer:" + LAYER, UNIT) in [0, 1); an experiment of the
// layer holds a set of ranges of slots, and only units whose slot falls in
// them can enter it. An experiment gets its ranges when it starts, from the
// slots no running experiment of the layer holds (lowest first), and keeps
// them until it ends; so starting or ending an experiment never moves a unit
// from one running experiment of the layer to another.

// LayerRange is a half-open range of a layer's slots, [From, To).
type LayerRange struct {
	From float64 `json:"from"`
	To   float64 `json:"to"`
}

// LayerSlot returns a unit's slot in a layer.
func LayerSlot(layer, unit string) float64 { return bucketOf("layer:", layer, ":", unit) }

// inRanges reports whether slot falls in one of the ranges.
func inRanges(ranges []LayerRange, slot float64) bool {
	for _, r := range ranges {
		if slot >= r.From && slot < r.To {
			return true
		}
	}
	return false
}

// holdsLayer reports whether the experiment holds its layer ranges: it runs.
func (e Experiment) holdsLayer() bool {
	return e.Layer != "" && (e.State == StateRunning || e.State == StateDecisionPending)
}

// allocateLayer gives a starting experiment share of the slots that no
// other running experiment of its layer holds, lowest first.
func allocateLayer(e *Experiment, siblings []Experiment) error {
	if e.Layer == "" {
		return nil
	}
	var taken []LayerRange
	for _, o := range siblings {
		if o.Key != e.Key && o.Layer == e.Layer && o.holdsLayer() {
			taken = append(taken, o.LayerRanges...)
		}
	}
	slices.SortFunc(taken, func(a, b LayerRange) int { return cmpFloat(a.From, b.From) })
	need := e.LayerShare
	var got []LayerRange
	at := 0.0
	take := func(to float64) {
		if need <= 1e-12 || to <= at {
			return
		}
		end := math.Min(to, at+need)
		got = append(got, LayerRange{From: at, To: end})
		need -= end - at
	}
	for _, t := range taken {
		take(t.From)
		at = math.Max(at, t.To)
	}
	take(1)
	if need > 1e-9 {
		return Errorf(ECONFLICT, "experiment %q needs %s of layer %q, but the running experiments of the layer leave only %s", e.Key, percent(e.LayerShare), e.Layer, percent(e.LayerShare-need))
	}
	e.LayerRanges = got
	return nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func percent(f float64) string { return fmt.Sprintf("%.4g %%", f*100) }

// checkLayers refuses layers whose experiments' shares add up to more than
// 1. It counts the experiments that still need or hold their share: drafts
// and running ones.
func checkLayers(file string, lines func(key string) int, exps []Experiment) []Problem {
	layers := map[string][]Experiment{}
	var names []string
	for _, e := range exps {
		if e.Layer == "" || e.State.Terminal() {
			continue
		}
		if layers[e.Layer] == nil {
			names = append(names, e.Layer)
		}
		layers[e.Layer] = append(layers[e.Layer], e)
	}
	slices.Sort(names)
	var problems []Problem
	for _, name := range names {
		sum, line := 0.0, 0
		var parts []string
		for _, e := range layers[name] {
			sum += e.LayerShare
			parts = append(parts, fmt.Sprintf("%s %g", e.Key, e.LayerShare))
			if l := lines(e.Key); l > 0 && (line == 0 || l < line) {
				line = l
			}
		}
		if sum > 1+1e-9 {
			problems = append(problems, Problem{file, line, fmt.Sprintf("layer %q: the layer_share of its experiments add up to %g, more than 1 (%s); lower them, or end one first", name, sum, strings.Join(parts, ", "))})
		}
	}
	return problems
}
