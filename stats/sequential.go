package stats

import "math"

// sequentialTest is the asymptotic confidence sequence of Waudby-Smith et
// al. (2023, arXiv 2103.06476, eqs. 9 and 155), as gbstats implements it.
// Unlike the fixed-horizon interval it holds at every sample size
// simultaneously, so a scorecard may be checked daily without inflating
// false positives. With N = n_c + n_t units, the per-unit variance
// s² = se²·N and the tuning N*:
//
//	ρ = sqrt((-2·ln α + ln(-2·ln α + 1)) / N*)
//	half-width = sqrt(s²) · sqrt(2(Nρ² + 1)/(N²ρ²) · ln(sqrt(Nρ² + 1)/α))
//	p = min(1, 1/E),  E = exp(ρ²·N·(Δ/se)² / (2(Nρ² + 1))) / sqrt(Nρ² + 1)
//
// The interval is tightest near N = N*.
func sequentialTest(d diff, n, alpha, tuning float64) Result {
	hw := d.se * sequentialCritical(n, alpha, tuning)
	rho2 := sequentialRho2(alpha, tuning)
	tr2p1 := n*rho2 + 1
	z := d.estimate / d.se
	// 1/E in logarithms: E overflows long before p underflows, and p-values
	// like 1e-44 must keep their relative precision.
	logP := 0.5*math.Log(tr2p1) - rho2*n*z*z/(2*tr2p1)
	return Result{
		Estimate: d.estimate,
		SE:       d.se,
		CILow:    d.estimate - hw,
		CIHigh:   d.estimate + hw,
		PValue:   math.Exp(math.Min(0, logP)),
	}
}

// sequentialRho2 is ρ² for the tuning N*.
func sequentialRho2(alpha, tuning float64) float64 {
	l := -2 * math.Log(alpha)
	return (l + math.Log(l+1)) / tuning
}

// sequentialCritical is the confidence-sequence half-width in standard
// errors at N units: the sequential counterpart of the normal quantile
// z(1-α/2). It is what the power functions use in its place.
func sequentialCritical(n, alpha, tuning float64) float64 {
	rho2 := sequentialRho2(alpha, tuning)
	tr2p1 := n*rho2 + 1
	// sqrt(N)·sqrt(2(Nρ²+1)/(N²ρ²)·…) with one N cancelled, so that N² cannot
	// overflow.
	return math.Sqrt(2 * tr2p1 / (n * rho2) * math.Log(math.Sqrt(tr2p1)/alpha))
}
