package stats

import "math"

// Compare compares treatment with control for one metric.
//
// The arms are first reduced to means and per-unit variances (see the
// MetricType constants), then to a difference with its standard error:
//
//	absolute: Δ = m_t - m_c,          se² = v_t/n_t + v_c/n_c
//	relative: Δ = (m_t - m_c)/|m_c|,  se² = v_t/(n_t·m_c²) + m_t²·v_c/(n_c·m_c⁴)
//
// (the relative form by the delta method; for CUPED the denominator is the
// unadjusted control mean and the control term carries its delta-method
// term too, see relativeSE). The method then turns Δ and se into an
// interval and a p-value or posterior summaries: fixedTest,
// sequentialTest, bayesianTest.
//
// Errors are *InputError wrapping ErrDegenerate (for example an arm with
// fewer than two units, no variance, a zero control mean under a relative
// difference) or ErrInvalid (non-finite or negative input, alpha outside
// (0, 1), unknown options). On success no field of Result is NaN or
// infinite.
func Compare(control, treatment Arm, o Options) (Result, error) {
	if err := o.check(); err != nil {
		return Result{}, err
	}
	c, t, err := summarize(o.Metric, control, treatment)
	if err != nil {
		return Result{}, err
	}
	if o.Exact && o.Metric == MetricProportion && SmallCounts(control, treatment) {
		if o.Method == MethodBayesian {
			return exactBayesian(control, treatment, o)
		}
		return exactProportion(control, treatment, o)
	}
	d, err := difference(c, t, o.Difference)
	if err != nil {
		return Result{}, err
	}

	var r Result
	switch o.Method {
	case MethodFixed:
		r = fixedTest(d, c, t, o.Alpha)
		r.Test = TestWelch
	case MethodSequential:
		r = sequentialTest(d, c.n+t.n, o.Alpha, o.sequentialTuning())
		r.Test = TestSequential
	case MethodBayesian:
		if r, err = bayesianTest(d, c, o); err != nil {
			return Result{}, err
		}
		r.Test = TestBayesian
	}
	r.Difference = o.Difference
	r.ControlMean = c.baseline
	r.TreatmentMean = c.baseline + (t.mean - c.mean)
	if !r.finite() {
		return Result{}, invalidf("the result is not a finite number: the inputs are too extreme (se = %g)", d.se)
	}
	return r, nil
}

// Significant reports whether r is a significant result under o: for the
// fixed and sequential methods p < Alpha (equivalently, the interval
// excludes 0); for the Bayesian method, GrowthBook's rule, a chance to win
// of at least 1-Alpha or at most Alpha (95% / 5% for Alpha = 0.05). The
// zero Result, which comes with an error, is never significant.
func (r Result) Significant(o Options) bool {
	if r.SE == 0 { // every computed Result has SE > 0
		return false
	}
	switch o.Method {
	case MethodFixed, MethodSequential:
		return r.PValue < o.Alpha
	case MethodBayesian:
		return r.ChanceToWin >= 1-o.Alpha || r.ChanceToWin <= o.Alpha
	}
	return false
}

func (r Result) finite() bool {
	for _, x := range [...]float64{r.Estimate, r.SE, r.CILow, r.CIHigh, r.PValue,
		r.ChanceToWin, r.RiskControl, r.RiskTreatment, r.ControlMean, r.TreatmentMean} {
		if !isFinite(x) {
			return false
		}
	}
	return true
}

// check validates everything in Options that Compare uses, before the
// arms, whose requirements depend on the options.
func (o Options) check() error {
	switch o.Metric {
	case MetricMean, MetricProportion, MetricRatio, MetricCUPED:
	default:
		return invalidf("metric type %q is not one of mean, proportion, ratio, cuped", o.Metric)
	}
	switch o.Difference {
	case DifferenceRelative, DifferenceAbsolute:
	default:
		return invalidf("difference %q is not one of relative, absolute", o.Difference)
	}
	switch o.Method {
	case MethodFixed, MethodSequential, MethodBayesian:
	default:
		return invalidf("method %q is not one of fixed, sequential, bayesian", o.Method)
	}
	if err := checkAlpha(o.Alpha); err != nil {
		return err
	}
	// N* is a sample size; below one unit the formulas overflow.
	if s := o.SequentialTuning; !isFinite(s) || s < 0 || (s > 0 && s < 1) {
		return invalidf("sequential tuning N* = %v, need a number of units >= 1 (or 0 for the default %d)", s, DefaultSequentialTuning)
	}
	if p := o.Prior; p != nil && o.Method == MethodBayesian {
		if !isFinite(p.Mean) {
			return invalidf("prior mean is %v, need a finite number", p.Mean)
		}
		if !isFinite(p.StdDev) || p.StdDev <= 0 {
			return invalidf("prior standard deviation is %v, need a positive number", p.StdDev)
		}
	}
	return nil
}

func checkAlpha(alpha float64) error {
	if !(alpha > 0 && alpha < 1) { // also false for NaN
		return invalidf("alpha = %v, need a number strictly between 0 and 1", alpha)
	}
	return nil
}

func (o Options) sequentialTuning() float64 {
	if o.SequentialTuning == 0 {
		return DefaultSequentialTuning
	}
	return o.SequentialTuning
}

// diff is a difference between the arms with its standard error, plus the
// per-arm variances of the means that the Welch degrees of freedom need.
type diff struct {
	estimate, se float64
	varC, varT   float64 // v/n of each arm's mean
}

// difference computes the estimate and its standard error (see Compare).
func difference(c, t armStat, kind Difference) (diff, error) {
	d := diff{varC: c.variance / c.n, varT: t.variance / t.n}
	switch kind {
	case DifferenceAbsolute:
		d.estimate = t.mean - c.mean
		d.se = math.Sqrt(d.varC + d.varT)
	case DifferenceRelative:
		if c.baseline == 0 {
			return diff{}, degeneratef("control mean is 0, so a relative difference is undefined")
		}
		d.estimate = (t.mean - c.mean) / math.Abs(c.baseline)
		d.se = relativeSE(c, t)
	}
	if !isFinite(d.estimate) || !isFinite(d.se) {
		return diff{}, invalidf("the difference is not a finite number: the inputs are too extreme")
	}
	// One arm without variance is fine (no unit of the control crashed,
	// say): the other arm's variance carries the comparison. Neither arm
	// varying leaves nothing to test.
	if d.se <= 0 {
		return diff{}, degeneratef("neither arm varies (every unit has the same value), so the difference has no standard error")
	}
	return d, nil
}

// relativeSE is the delta-method standard error of
// g = (T - C)/|Y|, where T is the treatment mean, C = Y - θX the control
// mean, Y the control baseline and X the control's pre-exposure mean (θ = 0
// except for CUPED, where C is adjusted and Y is not). The gradient is
//
//	∂g/∂T = 1/|Y|,  ∂g/∂Y = -sign(Y)·(T + θX)/Y²,  ∂g/∂X = θ/|Y|
//
// so with a = (T + θX)/Y² and b = θ/Y
//
//	se² = v_t/(n_t·Y²) + (a²·var(Y) - 2ab·cov(Y, X) + b²·var(X))/n_c
//
// which for θ = 0 is the familiar v_t/(n_t·m_c²) + m_t²·v_c/(n_c·m_c⁴).
func relativeSE(c, t armStat) float64 {
	y := c.baseline
	y2 := y * y
	a := (t.mean + c.theta*c.preMean) / y2
	b := c.theta / y
	vc := (a*a*c.baselineVar - 2*a*b*c.cov + b*b*c.preVar) / c.n
	vt := t.variance / (t.n * y2)
	return math.Sqrt(vt + vc)
}

// fixedTest is the fixed-horizon Welch t-test: the interval is
// Δ ± t(1-α/2, dof)·se and p = 2·P(T_dof > |Δ/se|), with the
// Welch-Satterthwaite degrees of freedom
//
//	dof = (v_t/n_t + v_c/n_c)² / ((v_t/n_t)²/(n_t-1) + (v_c/n_c)²/(n_c-1))
//
// computed from the arms' own variances, as gbstats does, also for a
// relative difference.
func fixedTest(d diff, c, t armStat, alpha float64) Result {
	s := d.varC + d.varT
	dof := s * s / (d.varC*d.varC/(c.n-1) + d.varT*d.varT/(t.n-1))
	if !isFinite(dof) {
		// Only when the squares underflow, which needs enormous arms:
		// the large-sample limit is the normal.
		dof = math.Inf(1)
	}
	q := tUpperQuantile(alpha/2, dof)
	return Result{
		Estimate: d.estimate,
		SE:       d.se,
		CILow:    d.estimate - q*d.se,
		CIHigh:   d.estimate + q*d.se,
		PValue:   math.Min(1, 2*tSF(math.Abs(d.estimate/d.se), dof)),
	}
}
