package stats

import "math"

// bayesianTest summarizes the normal posterior of the effect, as gbstats'
// EffectBayesianABTest does.
//
// With a flat prior the posterior is N(Δ, se²). A proper prior N(μ₀, σ₀²)
// is on the relative effect; for an absolute difference it is scaled by
// |m_c| (μ₀·|m_c|, σ₀·|m_c|). The posterior is then precision-weighted:
//
//	1/σ² = 1/se² + 1/σ₀²,  μ = σ²·(Δ/se² + μ₀/σ₀²)
//
// and the result reports μ and σ as Estimate and SE, the interval
// μ ± z(1-α/2)·σ, ChanceToWin = P(effect > 0) = Φ(μ/σ) and the risks, the
// expected effect forgone by each decision (truncated-normal means):
//
//	RiskControl   = P(effect > 0)·E[effect | effect > 0]  = E[max(effect, 0)]
//	RiskTreatment = -P(effect < 0)·E[effect | effect < 0] = E[max(-effect, 0)]
func bayesianTest(d diff, c armStat, o Options) (Result, error) {
	mu, sd := d.estimate, d.se
	if p := o.Prior; p != nil {
		pm, psd := p.Mean, p.StdDev
		if o.Difference == DifferenceAbsolute {
			scale := math.Abs(c.baseline)
			if scale == 0 {
				return Result{}, degeneratef("control mean is 0, so the prior on the relative effect cannot be scaled to an absolute difference")
			}
			pm, psd = pm*scale, psd*scale
		}
		precData, precPrior := 1/(sd*sd), 1/(psd*psd)
		prec := precData + precPrior
		mu = (d.estimate*precData + pm*precPrior) / prec
		sd = math.Sqrt(1 / prec)
	}
	if !isFinite(mu) || !isFinite(sd) || sd <= 0 {
		return Result{}, invalidf("the posterior is not a finite normal distribution (standard error %g)", d.se)
	}
	z := -normalQuantile(o.Alpha / 2)
	u := mu / sd
	return Result{
		Estimate:      mu,
		SE:            sd,
		CILow:         mu - z*sd,
		CIHigh:        mu + z*sd,
		ChanceToWin:   normalCDF(u),
		RiskControl:   sd * positivePartMean(u),
		RiskTreatment: sd * positivePartMean(-u),
	}, nil
}

// positivePartMean is E[max(X, 0)] for X ~ N(u, 1): φ(u) + u·Φ(u). Both
// terms are accurate in the tails; for u << 0 they nearly cancel, leaving a
// tiny positive number that rounding must not turn negative.
func positivePartMean(u float64) float64 {
	return math.Max(0, normalPDF(u)+u*normalCDF(u))
}
