package stats

import "math"

// Small counts. The normal approximation behind every method misjudges a
// proportion with few conversions (or few non-conversions): an arm with 0
// of 100 converted has a Bernoulli variance of 0, so the standard error
// comes from the other arm alone and the p-value is far too small (0/100
// against 5/100: Welch p = 0.022, Fisher's exact p = 0.059). With
// Options.Exact a proportion whose counts are small (SmallCounts) is
// compared on the absolute difference with tests that hold at any count:
//
//   - fixed: Fisher's exact test (two-sided, the sum of the probabilities
//     of the tables no more likely than the observed one, as R's
//     fisher.test and scipy), with Newcombe's hybrid score interval for
//     the difference of proportions (Newcombe 1998, method 10);
//   - sequential: the confidence sequence, and the result is significant
//     only when Fisher's exact test agrees (the p-value is the larger of
//     the two), so neither small counts nor daily looks inflate false
//     positives;
//   - bayesian: the Beta-Binomial posterior of each arm's rate, with an
//     exact chance to win (see exactBayesian).
//
// Result.Test names the test; Result.Difference is DifferenceAbsolute.

// Test names, for Result.Test.
const (
	TestWelch        = "Welch t-test"
	TestSequential   = "asymptotic confidence sequence"
	TestBayesian     = "Bayesian normal posterior"
	TestFisher       = "Fisher's exact test"
	TestSeqFisher    = "confidence sequence confirmed by Fisher's exact test"
	TestBetaBinomial = "exact Beta-Binomial posterior"
)

// smallCount is the cell count under which a 2x2 table counts as small:
// the classic rule of thumb for the chi-square and normal approximations.
const smallCount = 5

// SmallCounts reports whether two proportion arms (Sum converted of N)
// are too small for the normal approximation: some cell of the 2x2 table
// (converted or not, per arm), observed or expected under no difference,
// is below 5.
func SmallCounts(control, treatment Arm) bool {
	n := control.N + treatment.N
	x := control.Sum + treatment.Sum
	if n <= 0 {
		return true
	}
	for _, a := range [2]Arm{control, treatment} {
		expConv, expRest := a.N*x/n, a.N*(n-x)/n
		if min(a.Sum, a.N-a.Sum, expConv, expRest) < smallCount {
			return true
		}
	}
	return false
}

// exactProportion compares two proportion arms with small counts (see
// above). The arms are validated by the caller.
func exactProportion(control, treatment Arm, o Options) (Result, error) {
	c, t := proportionCounts(control), proportionCounts(treatment)
	p := fisherExact(c, t)
	pc, pt := c.x/c.n, t.x/t.n
	z := -normalQuantile(o.Alpha / 2)
	lc, uc := wilson(c, z)
	lt, ut := wilson(t, z)
	d := pt - pc
	r := Result{
		Estimate:   d,
		CILow:      d - math.Sqrt((pt-lt)*(pt-lt)+(uc-pc)*(uc-pc)),
		CIHigh:     d + math.Sqrt((ut-pt)*(ut-pt)+(pc-lc)*(pc-lc)),
		PValue:     p,
		Test:       TestFisher,
		Difference: DifferenceAbsolute,
	}
	// The standard error the interval implies: positive even when neither
	// arm converted, where the Wald one is 0.
	r.SE = (r.CIHigh - r.CILow) / (2 * z)
	if o.Method == MethodSequential {
		seq := sequentialTest(diff{estimate: d, se: r.SE}, c.n+t.n, o.Alpha, o.sequentialTuning())
		r.CILow, r.CIHigh = min(r.CILow, seq.CILow), max(r.CIHigh, seq.CIHigh)
		r.PValue = max(p, seq.PValue)
		r.Test = TestSeqFisher
	}
	r.ControlMean, r.TreatmentMean = pc, pt
	if !r.finite() || r.SE <= 0 {
		return Result{}, invalidf("the exact test is not a finite number: the inputs are too extreme")
	}
	return r, nil
}

type counts struct{ x, n float64 }

func proportionCounts(a Arm) counts { return counts{x: math.Round(a.Sum), n: math.Round(a.N)} }

// wilson is the Wilson score interval of one proportion, z standard
// errors wide.
func wilson(a counts, z float64) (lo, hi float64) {
	p := a.x / a.n
	z2 := z * z
	den := 1 + z2/a.n
	mid := (p + z2/(2*a.n)) / den
	hw := z * math.Sqrt(p*(1-p)/a.n+z2/(4*a.n*a.n)) / den
	return max(0, mid-hw), min(1, mid+hw)
}

// fisherExact is the two-sided p-value of Fisher's exact test of the 2x2
// table [[c.x, c.n-c.x], [t.x, t.n-t.x]]: with the margins fixed, the
// control's conversions are hypergeometric, and p sums the probabilities
// of the tables no more likely than the observed one (with R's relative
// tolerance of 1e-7 for ties).
//
// The probabilities are computed relative to the mode by the ratio of
// consecutive terms, walking out from the mode on each side until the
// terms no longer matter, so the cost grows with the spread of the
// distribution, not with the number of units.
func fisherExact(c, t counts) float64 {
	n := c.n + t.n      // units
	k := c.x + t.x      // conversions
	lo := max(0, k-t.n) // support of the control's conversions
	hi := min(k, c.n)
	if hi <= lo {
		return 1
	}
	// ratio(x) = P(x+1)/P(x)
	ratio := func(x float64) float64 { return (k - x) * (c.n - x) / ((x + 1) * (n - k - c.n + x + 1)) }
	mode := math.Floor((k + 1) * (c.n + 1) / (n + 2))
	mode = min(max(mode, lo), hi)
	// Relative probabilities: 1 at the mode. Terms below 1e-300 of the
	// mode's add nothing a p-value can show.
	const negligible = 1e-300
	observed := 1.0
	// relative probability of the observed table
	if c.x > mode {
		for x := mode; x < c.x; x++ {
			observed *= ratio(x)
		}
	} else {
		for x := mode; x > c.x; x-- {
			observed /= ratio(x - 1)
		}
	}
	threshold := observed * (1 + 1e-7)
	total, tail := 1.0, 0.0
	if 1 <= threshold {
		tail = 1
	}
	for x, p := mode, 1.0; x < hi; x++ {
		p *= ratio(x)
		if p < negligible {
			break
		}
		total += p
		if p <= threshold {
			tail += p
		}
	}
	for x, p := mode, 1.0; x > lo; x-- {
		p /= ratio(x - 1)
		if p < negligible {
			break
		}
		total += p
		if p <= threshold {
			tail += p
		}
	}
	return math.Min(1, tail/total)
}

// exactBayesian is the Bayesian comparison of two proportions with small
// counts: each arm's rate has the Beta(1 + x, 1 + n - x) posterior of a
// uniform prior, and
//
//   - ChanceToWin = P(p_t > p_c) is exact, by the closed form for Beta
//     variables with integer parameters (Miller 2015):
//     P(p_B > p_A) = Σ_{i<a_B} B(a_A+i, b_A+b_B) / ((b_B+i)·B(1+i, b_B)·B(a_A, b_A)),
//     summed over the fewest terms the symmetries allow;
//   - Estimate and SE are the mean and standard deviation of p_t - p_c
//     under the posteriors, and the interval and risks are those of the
//     normal with these moments, clipped to the possible range [-1, 1].
//
// A Gaussian prior on the relative effect is not used here.
func exactBayesian(control, treatment Arm, o Options) (Result, error) {
	c, t := proportionCounts(control), proportionCounts(treatment)
	ac, bc := c.x+1, c.n-c.x+1
	at, bt := t.x+1, t.n-t.x+1
	mean := func(a, b float64) float64 { return a / (a + b) }
	variance := func(a, b float64) float64 { return a * b / ((a + b) * (a + b) * (a + b + 1)) }
	mu := mean(at, bt) - mean(ac, bc)
	sd := math.Sqrt(variance(at, bt) + variance(ac, bc))
	z := -normalQuantile(o.Alpha / 2)
	u := mu / sd
	r := Result{
		Estimate:      mu,
		SE:            sd,
		CILow:         max(-1, mu-z*sd),
		CIHigh:        min(1, mu+z*sd),
		ChanceToWin:   betaGreater(ac, bc, at, bt),
		RiskControl:   sd * positivePartMean(u),
		RiskTreatment: sd * positivePartMean(-u),
		ControlMean:   c.x / c.n,
		TreatmentMean: t.x / t.n,
		Test:          TestBetaBinomial,
		Difference:    DifferenceAbsolute,
	}
	if !r.finite() || r.SE <= 0 {
		return Result{}, invalidf("the posterior is not a finite number: the inputs are too extreme")
	}
	return r, nil
}

// betaGreater is P(X_B > X_A) for X_A ~ Beta(aA, bA) and X_B ~ Beta(aB,
// bB) with integer parameters. The closed form sums aB terms; since
// P(X_B > X_A) = 1 - P(X_A > X_B) = P(1-X_A > 1-X_B), it is evaluated
// over whichever of the four parameters is smallest.
func betaGreater(aA, bA, aB, bB float64) float64 {
	switch min(aA, bA, aB, bB) {
	case aB:
		return betaGreaterSum(aA, bA, aB, bB)
	case aA:
		return 1 - betaGreaterSum(aB, bB, aA, bA)
	case bA: // P(1-X_A > 1-X_B): 1-X_A ~ Beta(bA, aA) plays B
		return betaGreaterSum(bB, aB, bA, aA)
	}
	return 1 - betaGreaterSum(bA, aA, bB, aB)
}

func betaGreaterSum(aA, bA, aB, bB float64) float64 {
	lbeta := func(a, b float64) float64 {
		x, _ := math.Lgamma(a)
		y, _ := math.Lgamma(b)
		z, _ := math.Lgamma(a + b)
		return x + y - z
	}
	total := 0.0
	base := lbeta(aA, bA)
	for i := 0.0; i < aB; i++ {
		total += math.Exp(lbeta(aA+i, bA+bB) - math.Log(bB+i) - lbeta(1+i, bB) - base)
	}
	return min(1, max(0, total))
}
