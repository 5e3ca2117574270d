package stats

import "math"

// Power analysis for a two-sided test on the difference Compare reports.
//
// Everything here is in the units of Options.Difference: the lift
// (relative, what scorecards show) or the absolute difference. The
// standard error is the one of the current sample under the null
// hypothesis, the treatment having the control's mean:
//
//	absolute: se = sqrt(v_t/n_t + v_c/n_c)
//	relative: se = sqrt(v_t/n_t + v_c/n_c) / |m_c|
//
// with the arms' means and per-unit variances as Compare computes them
// (for CUPED, the adjusted variances), held at their current values
// whatever the effect. (A proportion's variance p(1-p) moves with its
// rate, which this ignores: at a 10% rate with 20,000 units an arm, the
// realized power at the MDE is about 0.79 rather than 0.8.) A true effect
// δ is then declared significant with probability
//
//	power(δ) = Φ(|δ|/se - c) + Φ(-|δ|/se - c)
//
// where c is the critical value in standard errors, matching
// Result.Significant:
//
//   - fixed: z(1-α/2), the large-sample two-sided z-test;
//   - sequential: the confidence-sequence half-width at N = n_c + n_t units
//     divided by se (see sequentialTest), which grows slowly with N;
//   - bayesian: z(1-α), since a chance to win of at least 1-α (or at most
//     α) is |Δ|/se >= z(1-α) under a flat prior. A prior is ignored: it
//     shrinks small samples, which planning should not count on.
//
// The second term, the chance of a significant result of the wrong sign,
// is kept so that Power(MDE) is exactly the target; at α = 0.05 and power
// 0.8 it moves the MDE by about 1e-6 relative from the textbook
// (z(1-α/2) + z(power))·se.
//
// More units shrink se as 1/sqrt(N): DaysToMDE assumes new units arrive at
// a steady daily rate, split between the arms as they are now, with the
// arms' per-unit variances unchanged.

// MDE returns the minimum detectable effect at the current sample: the
// smallest |δ| with power(δ) = o.Power (DefaultPower when zero) at
// significance o.Alpha, solved by safeguarded Newton iteration from the
// textbook (z(1-α/2) + z(power))·se.
func MDE(control, treatment Arm, o Options) (float64, error) {
	m, err := newPowerModel(control, treatment, o)
	if err != nil {
		return 0, err
	}
	x, err := m.detectable(m.n)
	if err != nil {
		return 0, err
	}
	if mde := x * m.se; isFinite(mde) {
		return mde, nil
	}
	return 0, invalidf("the MDE is not a finite number: the inputs are too extreme")
}

// Power returns the probability that the test declares significance at
// the current sample if the true effect is effect (relative lift or
// absolute difference, per o.Difference), power(effect) above. At
// effect = 0 it is the false-positive rate of one look: Alpha for the
// fixed method, less for the sequential one, 2·Alpha for the Bayesian
// chance-to-win rule.
func Power(control, treatment Arm, effect float64, o Options) (float64, error) {
	if !isFinite(effect) {
		return 0, invalidf("effect is %v, need a finite number", effect)
	}
	m, err := newPowerModel(control, treatment, o)
	if err != nil {
		return 0, err
	}
	c := m.critical(m.n)
	p := powerAt(math.Abs(effect)/m.se, c)
	if !isFinite(c) || !isFinite(p) {
		return 0, invalidf("the power is not a finite number: alpha, the sequential tuning or the effect is too extreme")
	}
	return p, nil
}

// DaysToMDE returns how many more days the experiment must run until its
// MDE (see MDE) is at most mde, when unitsPerDay new units (both arms
// together) arrive each day; 0 if it already is. Days are fractional;
// round up for a calendar.
//
// With N units now and N' = N + unitsPerDay·days, se scales as
// sqrt(N/N'). For the fixed method c is constant, so
//
//	days = N/unitsPerDay · ((MDE_now/mde)² - 1)
//
// For the sequential method c depends on N', so the days are found by
// bisection on MDE(N') = mde (MDE(N') decreases with N'). The sequential
// method needs more days than the fixed one: its interval is wider.
func DaysToMDE(control, treatment Arm, unitsPerDay, mde float64, o Options) (float64, error) {
	if !isFinite(unitsPerDay) || unitsPerDay <= 0 {
		return 0, invalidf("units per day = %v, need a positive number", unitsPerDay)
	}
	if !isFinite(mde) || mde <= 0 {
		return 0, invalidf("target MDE = %v, need a positive number", mde)
	}
	m, err := newPowerModel(control, treatment, o)
	if err != nil {
		return 0, err
	}
	mdeAt := func(n float64) (float64, error) {
		x, err := m.detectable(n)
		return x * m.se * math.Sqrt(m.n/n), err
	}
	now, err := mdeAt(m.n)
	if err != nil {
		return 0, err
	}
	if now <= mde {
		return 0, nil
	}
	if m.method != MethodSequential {
		r := now / mde
		if days := m.n / unitsPerDay * (r*r - 1); isFinite(days) {
			return days, nil
		}
		return 0, invalidf("the number of days is not a finite number: the inputs are too extreme")
	}

	// More than a million years of data is no plan.
	const maxDays = 365e6
	lo, hi := 0.0, 1.0
	for {
		got, err := mdeAt(m.n + unitsPerDay*hi)
		if err != nil {
			return 0, err
		}
		if got <= mde {
			break
		}
		lo, hi = hi, 2*hi
		if hi > maxDays {
			return 0, degeneratef("reaching an MDE of %g would take more than %g days", mde, float64(maxDays))
		}
	}
	for hi-lo > 1e-9*hi {
		mid := (lo + hi) / 2
		got, err := mdeAt(m.n + unitsPerDay*mid)
		if err != nil {
			return 0, err
		}
		if got <= mde {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}

// powerModel is what the power functions need from the data and options.
type powerModel struct {
	se     float64 // of the difference, at n units, under the null
	n      float64 // units in both arms
	method Method
	alpha  float64
	tuning float64
	power  float64
}

func newPowerModel(control, treatment Arm, o Options) (powerModel, error) {
	if err := o.check(); err != nil {
		return powerModel{}, err
	}
	power := o.Power
	if power == 0 {
		power = DefaultPower
	}
	if !(power > 0 && power < 1) {
		return powerModel{}, invalidf("power = %v, need a number strictly between 0 and 1", o.Power)
	}
	c, t, err := summarize(o.Metric, control, treatment)
	if err != nil {
		return powerModel{}, err
	}
	se := math.Sqrt(c.variance/c.n + t.variance/t.n)
	if o.Difference == DifferenceRelative {
		if c.baseline == 0 {
			return powerModel{}, degeneratef("control mean is 0, so a relative difference is undefined")
		}
		se /= math.Abs(c.baseline)
	}
	if !isFinite(se) || se <= 0 {
		return powerModel{}, invalidf("the standard error is %g: the inputs are too extreme", se)
	}
	return powerModel{
		se:     se,
		n:      c.n + t.n,
		method: o.Method,
		alpha:  o.Alpha,
		tuning: o.sequentialTuning(),
		power:  power,
	}, nil
}

// critical is c, the critical value in standard errors, at n units.
func (m powerModel) critical(n float64) float64 {
	switch m.method {
	case MethodSequential:
		return sequentialCritical(n, m.alpha, m.tuning)
	case MethodBayesian:
		return -normalQuantile(m.alpha)
	}
	return -normalQuantile(m.alpha / 2)
}

// powerAt is power(δ) with x = |δ|/se. A critical value <= 0 (the
// Bayesian rule with alpha >= 0.5, where every chance to win is at least
// 1-alpha or at most alpha) declares everything significant; the two
// regions would otherwise overlap and sum to more than 1.
func powerAt(x, c float64) float64 {
	if c <= 0 {
		return 1
	}
	return normalCDF(x-c) + normalCDF(-x-c)
}

// detectable solves powerAt(x, c) = m.power for x >= 0, with c taken at n
// units: the MDE in standard errors of a sample of n units.
func (m powerModel) detectable(n float64) (float64, error) {
	c := m.critical(n)
	if !isFinite(c) {
		return 0, invalidf("the critical value is %v: alpha or the sequential tuning is too extreme", c)
	}
	if floor := powerAt(0, c); m.power <= floor {
		return 0, invalidf("power = %g is not above the false-positive rate %g", m.power, floor)
	}
	// powerAt increases in x from below the target at 0 to above it at
	// c + z(power) + 1, so the root is bracketed; Newton steps that leave
	// the bracket are replaced by bisection.
	zp := normalQuantile(m.power)
	lo, hi := 0.0, c+zp+1
	x := max(lo, c+zp)
	for range 200 {
		h := powerAt(x, c) - m.power
		if h > 0 {
			hi = x
		} else {
			lo = x
		}
		next := x - h/(normalPDF(x-c)-normalPDF(x+c))
		if !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if math.Abs(next-x) <= 1e-15*(1+x) {
			return next, nil
		}
		x = next
	}
	return x, nil
}
