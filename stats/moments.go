package stats

import (
	"fmt"
	"math"
)

// armStat is what the statistical tests need from an arm: its size, the
// mean being compared and the per-unit variance behind that mean (so the
// mean's variance is variance/n).
type armStat struct {
	n        float64
	mean     float64 // the compared mean; for CUPED, adjusted
	variance float64 // per-unit variance of mean; for CUPED, adjusted

	// The delta-method term of a relative difference needs the moments of
	// the baseline the difference is divided by. For every metric but
	// CUPED the baseline is mean itself (theta = 0). For CUPED it is the
	// unadjusted post mean, and the adjusted mean is
	// baseline - theta*preMean.
	baseline, baselineVar float64
	theta, preMean        float64
	preVar, cov           float64 // var(pre), cov(post, pre)
}

// summarize validates both arms for the metric type and reduces them to
// means and variances. For CUPED the arms share theta, which is why both
// are summarized together.
//
// Formulas (STATS.md), with v the per-unit sample variance (n-1 divisor):
//
//	mean:       m = sum/n, v = (sum_squares - sum²/n)/(n-1)
//	proportion: m = sum/n, v = m(1-m)   (Bernoulli variance, no n-1, as gbstats)
//	ratio:      m = Σnum/Σden,
//	            v = vn/md² + vd·mn²/md⁴ - 2·c·mn/md³   (delta method)
//	cuped:      θ = cov(post, pre)/var(pre) over both arms pooled,
//	            m = post_mean - θ·pre_mean,
//	            v = v_post + θ²·v_pre - 2θ·cov_arm
func summarize(metric MetricType, control, treatment Arm) (c, t armStat, err error) {
	if err = checkArm("control", control); err != nil {
		return c, t, err
	}
	if err = checkArm("treatment", treatment); err != nil {
		return c, t, err
	}
	switch metric {
	case MetricMean:
		if c, err = meanStat("control", control); err != nil {
			return c, t, err
		}
		t, err = meanStat("treatment", treatment)
	case MetricProportion:
		if c, err = proportionStat("control", control); err != nil {
			return c, t, err
		}
		t, err = proportionStat("treatment", treatment)
	case MetricRatio:
		if c, err = ratioStat("control", control); err != nil {
			return c, t, err
		}
		t, err = ratioStat("treatment", treatment)
	case MetricCUPED:
		c, t, err = cupedStats(control, treatment)
	default: // Options.check rules this out
		err = invalidf("metric type %q is not one of mean, proportion, ratio, cuped", metric)
	}
	return c, t, err
}

// checkArm rejects what no metric type accepts: non-finite numbers
// anywhere, a negative unit count and fewer than two units (a variance
// needs two).
func checkArm(name string, a Arm) error {
	fields := [...]struct {
		name string
		v    float64
	}{
		{"n", a.N}, {"sum", a.Sum}, {"sum_squares", a.SumSquares},
		{"numerator.sum", a.Numerator.Sum}, {"numerator.sum_squares", a.Numerator.SumSquares},
		{"denominator.sum", a.Denominator.Sum}, {"denominator.sum_squares", a.Denominator.SumSquares},
		{"post.sum", a.Post.Sum}, {"post.sum_squares", a.Post.SumSquares},
		{"pre.sum", a.Pre.Sum}, {"pre.sum_squares", a.Pre.SumSquares},
		{"sum_products", a.SumProducts},
	}
	for _, f := range fields {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return invalidf("%s arm: %s is %v, need a finite number", name, f.name, f.v)
		}
	}
	if a.N < 0 {
		return invalidf("%s arm: n = %g, cannot be negative", name, a.N)
	}
	if a.N < 2 {
		return degeneratef("%s arm: n = %g, need at least 2 units", name, a.N)
	}
	return nil
}

// sampleVariance is the per-unit sample variance (n-1 divisor), the
// estimator gbstats uses. It tells a variance of zero (every unit has the
// same value, which happens) from a clearly negative one (sum of squares
// below sum²/n, which real data cannot produce) so that the error says
// which.
func sampleVariance(name, field string, n float64, m Moments) (float64, error) {
	if m.SumSquares < 0 {
		return 0, invalidf("%s arm: %ssum_squares = %g, cannot be negative", name, field, m.SumSquares)
	}
	sq := m.Sum * m.Sum / n
	dev := m.SumSquares - sq
	v := dev / (n - 1)
	if math.IsInf(sq, 0) || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, invalidf("%s arm: %ssum and sum_squares are too large to compute a variance", name, field)
	}
	// Rounding makes the variance of constant data a tiny number of either
	// sign: treat it as zero. Only a deficit beyond rounding is impossible
	// data.
	scale := math.Max(m.SumSquares, sq)
	if dev < -1e-9*scale {
		return 0, invalidf("%s arm: %ssum_squares = %g is less than sum²/n = %g, impossible for real data", name, field, m.SumSquares, sq)
	}
	if math.Abs(dev) <= 1e-14*scale {
		return 0, nil
	}
	return v, nil
}

func covariance(n, sumX, sumY, sumXY float64) float64 {
	return (sumXY - sumX*sumY/n) / (n - 1)
}

func meanStat(name string, a Arm) (armStat, error) {
	v, err := sampleVariance(name, "", a.N, Moments{a.Sum, a.SumSquares})
	if err != nil {
		return armStat{}, err
	}
	m := a.Sum / a.N
	return armStat{n: a.N, mean: m, variance: v, baseline: m, baselineVar: v}, nil
}

func proportionStat(name string, a Arm) (armStat, error) {
	if a.Sum < 0 {
		return armStat{}, invalidf("%s arm: sum = %g converted units, cannot be negative", name, a.Sum)
	}
	if a.Sum > a.N {
		return armStat{}, invalidf("%s arm: sum = %g converted units is more than n = %g units", name, a.Sum, a.N)
	}
	m := a.Sum / a.N
	v := m * (1 - m)
	return armStat{n: a.N, mean: m, variance: v, baseline: m, baselineVar: v}, nil
}

func ratioStat(name string, a Arm) (armStat, error) {
	vn, err := sampleVariance(name, "numerator.", a.N, a.Numerator)
	if err != nil {
		return armStat{}, err
	}
	vd, err := sampleVariance(name, "denominator.", a.N, a.Denominator)
	if err != nil {
		return armStat{}, err
	}
	if a.Denominator.Sum == 0 {
		return armStat{}, degeneratef("%s arm: denominator sums to 0, the ratio is undefined", name)
	}
	mn, md := a.Numerator.Sum/a.N, a.Denominator.Sum/a.N
	c := covariance(a.N, a.Numerator.Sum, a.Denominator.Sum, a.SumProducts)
	md2 := md * md
	tn, td, tc := vn/md2, vd*mn*mn/(md2*md2), 2*c*mn/(md2*md)
	v := tn + td - tc
	m := a.Numerator.Sum / a.Denominator.Sum
	if !isFinite(v) || !isFinite(m) {
		return armStat{}, invalidf("%s arm: numbers are too large or too small to compute the ratio's variance", name)
	}
	// A numerator proportional to the denominator leaves only rounding:
	// the ratio has no variance.
	if v <= 1e-12*(tn+td) {
		v = 0
	}
	return armStat{n: a.N, mean: m, variance: v, baseline: m, baselineVar: v}, nil
}

// cupedStats computes theta on both arms pooled, as gbstats does: one
// theta keeps the adjustment identical in both arms, so it cannot create a
// difference, and the pooled sample estimates it better.
func cupedStats(control, treatment Arm) (c, t armStat, err error) {
	type moments struct{ vPost, vPre, cov float64 }
	var arms [2]moments
	for i, a := range [2]Arm{control, treatment} {
		name := [2]string{"control", "treatment"}[i]
		if arms[i].vPost, err = sampleVariance(name, "post.", a.N, a.Post); err != nil {
			return c, t, err
		}
		if arms[i].vPre, err = sampleVariance(name, "pre.", a.N, a.Pre); err != nil {
			return c, t, err
		}
		arms[i].cov = covariance(a.N, a.Post.Sum, a.Pre.Sum, a.SumProducts)
	}

	n := control.N + treatment.N
	pre := Moments{control.Pre.Sum + treatment.Pre.Sum, control.Pre.SumSquares + treatment.Pre.SumSquares}
	vPre, err := sampleVariance("pooled", "pre.", n, pre)
	if err != nil {
		return c, t, err
	}
	cov := covariance(n, control.Post.Sum+treatment.Post.Sum, pre.Sum, control.SumProducts+treatment.SumProducts)
	// Without variance in the pre-exposure metric there is nothing to
	// regress on; theta = 0 makes CUPED the plain mean.
	theta := 0.0
	if vPre > 0 {
		theta = cov / vPre
	}

	for i, a := range [2]Arm{control, treatment} {
		name := [2]string{"control", "treatment"}[i]
		m := arms[i]
		postMean, preMean := a.Post.Sum/a.N, a.Pre.Sum/a.N
		s := armStat{
			n:           a.N,
			mean:        postMean - theta*preMean,
			variance:    m.vPost + theta*theta*m.vPre - 2*theta*m.cov,
			baseline:    postMean,
			baselineVar: m.vPost,
			theta:       theta,
			preMean:     preMean,
			preVar:      m.vPre,
			cov:         m.cov,
		}
		if !isFinite(s.mean) || !isFinite(s.variance) {
			return c, t, invalidf("%s arm: numbers are too large to compute the CUPED-adjusted variance", name)
		}
		// post = a + θ·pre for every unit leaves only rounding: no
		// variance after adjustment.
		if s.variance <= 1e-12*(m.vPost+theta*theta*m.vPre) {
			s.variance = 0
		}
		if i == 0 {
			c = s
		} else {
			t = s
		}
	}
	return c, t, nil
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func invalidf(format string, args ...any) error {
	return &InputError{Kind: ErrInvalid, Msg: fmt.Sprintf(format, args...)}
}

func degeneratef(format string, args ...any) error {
	return &InputError{Kind: ErrDegenerate, Msg: fmt.Sprintf(format, args...)}
}
