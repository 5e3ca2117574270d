package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// SRM tests for a sample ratio mismatch: whether units were split between
// variants in the planned proportions. It returns the p-value of Pearson's
// chi-square goodness-of-fit test,
//
//	χ² = Σ (o_i - e_i)²/e_i,  e_i = w_i/Σw · Σo,  k - 1 degrees of freedom
//
// over the k variants with a positive weight. A variant with weight <= 0
// was not meant to receive units and adds nothing: not to the statistic,
// the total or the degrees of freedom. With no units at all, or fewer than
// two variants with a positive weight, there is nothing to test and the
// p-value is 1. A small p-value (GrowthBook warns below 0.001) means the
// assignment is broken and the experiment's results cannot be trusted.
//
// counts and weights must have the same length, at least two; counts must
// be non-negative, and everything finite.
func SRM(counts, weights []float64) (float64, error) {
	if len(counts) != len(weights) {
		return 0, invalidf("srm: %d counts but %d weights, need one weight per variant", len(counts), len(weights))
	}
	if len(counts) < 2 {
		return 0, invalidf("srm: %d variants, need at least 2", len(counts))
	}
	var total, weight float64
	k := 0
	for i, o := range counts {
		w := weights[i]
		if !isFinite(o) || o < 0 {
			return 0, invalidf("srm: count %d is %v, need a non-negative number", i+1, o)
		}
		if !isFinite(w) {
			return 0, invalidf("srm: weight %d is %v, need a finite number", i+1, w)
		}
		if w > 0 {
			total += o
			weight += w
			k++
		}
	}
	if k == 0 {
		return 0, invalidf("srm: no variant has a positive weight")
	}
	if total == 0 || k < 2 {
		return 1, nil
	}
	var x float64
	for i, o := range counts {
		if w := weights[i]; w > 0 {
			e := w / weight * total
			x += (o - e) * (o - e) / e
		}
	}
	if !isFinite(x) {
		return 0, invalidf("srm: the counts are too large to compute the statistic")
	}
	p := distuv.ChiSquared{K: float64(k - 1)}.Survival(x)
	return math.Min(1, math.Max(0, p)), nil
}
