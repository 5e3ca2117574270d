package stats

import (
	"slices"
)

// The multiple-testing corrections Adjust knows.
const (
	// AdjustHolm is Holm-Bonferroni's step-down correction; it controls
	// the family-wise error rate (any false positive).
	AdjustHolm = "holm"
	// AdjustBH is Benjamini-Hochberg's; it controls the false discovery
	// rate (the expected share of false positives among the significant),
	// the usual choice for scorecards with many metrics.
	AdjustBH = "bh"
)

// Adjust corrects p-values for testing several hypotheses at once and
// returns the adjusted p-values in the input's order, each capped at 1.
// With p₍₁₎ <= … <= p₍ₘ₎ sorted:
//
//	holm: p̃₍ᵢ₎ = max over j <= i of (m - j + 1)·p₍ⱼ₎
//	bh:   p̃₍ᵢ₎ = min over j >= i of m·p₍ⱼ₎/j
//
// (the running max and min keep the adjusted values in the order of the
// raw ones, as statsmodels' multipletests does). Each p-value must be in
// [0, 1]; an empty list is an error.
func Adjust(method string, pValues []float64) ([]float64, error) {
	if method != AdjustHolm && method != AdjustBH {
		return nil, invalidf("adjust: method %q is not one of holm, bh", method)
	}
	m := len(pValues)
	if m == 0 {
		return nil, invalidf("adjust: no p-values")
	}
	for i, p := range pValues {
		if !(p >= 0 && p <= 1) { // also true for NaN
			return nil, invalidf("adjust: p-value %d is %v, need a number in [0, 1]", i+1, p)
		}
	}
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	// A stable sort keeps ties in input order; they get the same adjusted
	// value either way.
	slices.SortStableFunc(order, func(a, b int) int {
		switch pa, pb := pValues[a], pValues[b]; {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return 0
	})

	adjusted := make([]float64, m)
	switch method {
	case AdjustHolm:
		running := 0.0
		for rank, i := range order {
			running = max(running, float64(m-rank)*pValues[i])
			adjusted[i] = min(1, running)
		}
	case AdjustBH:
		running := 1.0
		for rank := m - 1; rank >= 0; rank-- {
			i := order[rank]
			// m/(rank+1) >= 1 first, so that rounding cannot take an
			// adjusted p-value below the raw one.
			running = min(running, pValues[i]*(float64(m)/float64(rank+1)))
			adjusted[i] = running
		}
	}
	return adjusted, nil
}
