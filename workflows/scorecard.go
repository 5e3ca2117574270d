package workflows

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/growthbot/growthbot/stats"
)

// Role is the part a metric plays in an experiment.
type Role string

// Metric roles.
const (
	RolePrimary   Role = "primary"
	RoleGuardrail Role = "guardrail"
	RoleSecondary Role = "secondary"
)

// Verdict is what one metric's result says.
type Verdict string

// Verdicts. Nothing is good or bad before the experiment is mature
// (peeking discipline): early results are pending.
const (
	VerdictGood    Verdict = "good"    // significant, in the metric's good direction
	VerdictBad     Verdict = "bad"     // significant, in its bad direction
	VerdictFlat    Verdict = "flat"    // not significant
	VerdictPending Verdict = "pending" // too early to judge
	VerdictNoData  Verdict = "no_data" // cannot be computed yet
)

// GuardrailStatus sums up an experiment's guardrails.
type GuardrailStatus string

// Guardrail statuses.
const (
	GuardrailsHealthy    GuardrailStatus = "healthy"
	GuardrailsRegressing GuardrailStatus = "regressing" // trending bad, not yet significant
	GuardrailsFailing    GuardrailStatus = "failing"    // significantly bad
)

// MetricResult compares one treatment with the control on one metric.
// Lift and its interval are relative (0.05 = +5 %).
type MetricResult struct {
	Metric         Metric
	Role           Role
	Variant        string
	ControlMean    float64
	TreatmentMean  float64
	ControlUnits   int64
	TreatmentUnits int64
	Lift           float64
	Low, High      float64
	// PValue (fixed, sequential; for secondary metrics adjusted for
	// multiple testing) or ChanceToWin (bayesian, P(lift > 0)).
	PValue      float64
	ChanceToWin float64
	Significant bool
	Verdict     Verdict
	// Regressing is set when the metric moves in its bad direction with a
	// trend (p < 0.2, or a 80 % chance of being worse) short of significance.
	Regressing bool
	CUPED      bool   // the variance was reduced with the pre-exposure covariate
	Problem    string // why the result cannot be computed yet
}

// LiftPoint is the primary metric's cumulative lift at the end of a day.
type LiftPoint struct {
	Day       int
	End       time.Time
	Lift      float64
	Low, High float64
}

// Scorecard is what the data says about an experiment, and what to do.
type Scorecard struct {
	Experiment Experiment
	Method     Method
	AsOf       time.Time
	Day        int // day n of PlannedDays
	Units      map[string]int64
	// MultipleExposures counts units left out for seeing several variants.
	MultipleExposures int64
	SRMPValue         float64
	SRM               bool // p < SRMThreshold
	// Mature is false before MinDays or while an arm is below the minimum
	// sample; MatureReason says which.
	Mature       bool
	MatureReason string
	// MinSamplePerArm is the sample each arm needs before a verdict.
	MinSamplePerArm int64
	Results         []MetricResult
	Guardrails      GuardrailStatus
	// Progress on the first primary metric: the minimum detectable lift
	// now, the share of the sample needed for TargetMDE reached, and the
	// days still needed (0 once reached, -1 when unknown).
	MDE            float64
	SampleShare    float64
	DaysToMDE      float64
	Recommendation Recommendation
	// Lift is the first primary metric's daily cumulative lift for the
	// first treatment, for the chart.
	Lift []LiftPoint
}

// SRMThreshold is the p-value under which a sample ratio mismatch is
// reported.
const SRMThreshold = 0.001

// regressingP is the p-value under which a bad trend counts as regressing.
const regressingP = 0.2

// AnalyzeInput is what Analyze needs besides the aggregate.
type AnalyzeInput struct {
	Experiment Experiment
	Metrics    map[string]Metric
	Settings   Settings
	Framework  Framework
	Now        time.Time
}

// Analyze turns an experiment's sufficient statistics into its scorecard.
// It is pure: the same input always gives the same scorecard.
func Analyze(agg Aggregate, in AnalyzeInput) Scorecard {
	e := in.Experiment
	set := in.Settings.WithDefaults()
	sc := Scorecard{Experiment: e, Method: e.Method, AsOf: in.Now, Day: e.Day(in.Now), Units: agg.Units,
		MultipleExposures: agg.MultipleExposures, DaysToMDE: -1, SRMPValue: 1}
	if sc.Method == "" {
		sc.Method = MethodSequential
	}
	sc.checkSRM()
	sc.checkMaturity(set)
	opts := stats.Options{Difference: stats.DifferenceRelative, Method: stats.Method(sc.Method), Alpha: e.Alpha,
		SequentialTuning: set.SequentialTuning}
	if opts.Alpha <= 0 || opts.Alpha >= 1 {
		opts.Alpha = DefaultAlpha
	}
	roles := []struct {
		role Role
		keys []string
	}{{RolePrimary, e.PrimaryMetrics}, {RoleGuardrail, e.GuardrailMetrics}, {RoleSecondary, e.SecondaryMetrics}}
	for _, r := range roles {
		for _, key := range r.keys {
			m, ok := in.Metrics[key]
			if !ok {
				continue
			}
			for _, v := range e.Variants[1:] {
				sc.Results = append(sc.Results, sc.compare(agg, m, r.role, v.Key, opts))
			}
		}
	}
	sc.adjustSecondary(opts)
	sc.guardrails()
	sc.progress(agg, in.Metrics, opts)
	sc.lift(agg, in.Metrics, opts)
	sc.Recommendation = in.Framework.Recommend(sc)
	return sc
}

func (sc *Scorecard) checkSRM() {
	var counts, weights []float64
	total := 0.0
	for _, v := range sc.Experiment.Variants {
		n := float64(sc.Units[v.Key])
		counts, weights = append(counts, n), append(weights, v.Weight)
		total += n
	}
	if total == 0 {
		return
	}
	if p, err := stats.SRM(counts, weights); err == nil {
		sc.SRMPValue, sc.SRM = p, p < SRMThreshold
	}
}

func (sc *Scorecard) checkMaturity(set Settings) {
	e := sc.Experiment
	sc.MinSamplePerArm = set.MinSamplePerArm
	if sc.Day < e.MinDays {
		sc.MatureReason = fmt.Sprintf("only day %d of the %d it must run first", sc.Day, e.MinDays)
		return
	}
	for _, v := range e.Variants {
		if n := sc.Units[v.Key]; n < set.MinSamplePerArm {
			sc.MatureReason = fmt.Sprintf("%s has only %d of the %d units each arm needs", v.Key, n, set.MinSamplePerArm)
			return
		}
	}
	sc.Mature = true
}

// statsMetric picks how stats compares a metric: CUPED for mean and
// proportion metrics when there is pre-exposure data to learn from.
func statsMetric(m Metric, c, t stats.Arm) (stats.MetricType, stats.Arm, stats.Arm) {
	switch m.Type {
	case MetricRatio:
		return stats.MetricRatio, c, t
	case MetricProportion:
		if hasPre(c) && hasPre(t) {
			return stats.MetricCUPED, c, t
		}
		return stats.MetricProportion, c, t
	}
	if hasPre(c) && hasPre(t) {
		return stats.MetricCUPED, c, t
	}
	return stats.MetricMean, c, t
}

func hasPre(a stats.Arm) bool { return a.Pre.SumSquares > 0 && a.Pre.Sum != 0 }

func (sc *Scorecard) compare(agg Aggregate, m Metric, role Role, variant string, opts stats.Options) MetricResult {
	control := sc.Experiment.Control()
	c, t := agg.Arms[m.Key][control], agg.Arms[m.Key][variant]
	res := MetricResult{Metric: m, Role: role, Variant: variant, ControlMean: agg.Mean(m, control),
		TreatmentMean: agg.Mean(m, variant), ControlUnits: int64(c.N), TreatmentUnits: int64(t.N), Verdict: VerdictNoData}
	kind, c, t := statsMetric(m, c, t)
	opts.Metric = kind
	r, err := stats.Compare(c, t, opts)
	if err != nil && kind == stats.MetricCUPED {
		// The covariate did not help (no variance before exposure, say):
		// compare the plain metric instead.
		opts.Metric = stats.MetricMean
		if m.Type == MetricProportion {
			opts.Metric = stats.MetricProportion
		}
		r, err = stats.Compare(c, t, opts)
	}
	if err != nil {
		res.Problem = describeStatsError(err)
		return res
	}
	res.CUPED = opts.Metric == stats.MetricCUPED
	res.Lift, res.Low, res.High, res.PValue, res.ChanceToWin = r.Estimate, r.CILow, r.CIHigh, r.PValue, r.ChanceToWin
	res.Significant = r.Significant(opts)
	res.Regressing = !m.Good(res.Lift) && res.Lift != 0 && res.trend(opts.Method)
	res.judge(sc.Mature)
	return res
}

// trend reports a movement short of significance worth watching.
func (r MetricResult) trend(method stats.Method) bool {
	if method == stats.MethodBayesian {
		bad := r.ChanceToWin
		if r.Metric.HigherIsBetter {
			bad = 1 - r.ChanceToWin
		}
		return bad >= 0.8
	}
	return r.PValue < regressingP
}

func (r *MetricResult) judge(mature bool) {
	switch {
	case !mature:
		r.Verdict = VerdictPending
	case !r.Significant:
		r.Verdict = VerdictFlat
	case r.Metric.Good(r.Lift):
		r.Verdict = VerdictGood
	default:
		r.Verdict = VerdictBad
	}
}

func describeStatsError(err error) string {
	var ie *stats.InputError
	if errors.As(err, &ie) {
		if errors.Is(err, stats.ErrDegenerate) {
			return "not enough data yet: " + ie.Msg
		}
		return ie.Msg
	}
	return err.Error()
}

// adjustSecondary corrects secondary metrics' p-values for testing many
// (Benjamini-Hochberg), so that a dozen secondary metrics do not produce a
// "significant" one by chance. Primary and guardrail metrics are few and
// chosen up front; they are not adjusted.
func (sc *Scorecard) adjustSecondary(opts stats.Options) {
	if sc.Method == MethodBayesian {
		return
	}
	var idx []int
	var ps []float64
	for i, r := range sc.Results {
		if r.Role == RoleSecondary && r.Problem == "" {
			idx, ps = append(idx, i), append(ps, r.PValue)
		}
	}
	if len(ps) < 2 {
		return
	}
	adj, err := stats.Adjust("bh", ps)
	if err != nil {
		return
	}
	for j, i := range idx {
		r := &sc.Results[i]
		r.PValue = adj[j]
		r.Significant = r.Significant && adj[j] < opts.Alpha
		r.judge(sc.Mature)
	}
}

func (sc *Scorecard) guardrails() {
	sc.Guardrails = GuardrailsHealthy
	for _, r := range sc.Results {
		switch {
		case r.Role != RoleGuardrail:
		case r.Verdict == VerdictBad:
			sc.Guardrails = GuardrailsFailing
			return
		case r.Regressing:
			sc.Guardrails = GuardrailsRegressing
		}
	}
}

// primaryPair returns the comparison progress and the chart are about: the
// first primary metric and the first treatment.
func (sc *Scorecard) primaryPair(metrics map[string]Metric) (Metric, string, bool) {
	e := sc.Experiment
	if len(e.PrimaryMetrics) == 0 || len(e.Variants) < 2 {
		return Metric{}, "", false
	}
	m, ok := metrics[e.PrimaryMetrics[0]]
	return m, e.Variants[1].Key, ok
}

// progress estimates, on the first primary metric and treatment, how far
// the experiment is from detecting its target effect.
func (sc *Scorecard) progress(agg Aggregate, metrics map[string]Metric, opts stats.Options) {
	e := sc.Experiment
	m, treatment, ok := sc.primaryPair(metrics)
	if !ok {
		return
	}
	kind, c, t := statsMetric(m, agg.Arms[m.Key][e.Control()], agg.Arms[m.Key][treatment])
	opts.Metric = kind
	mde, err := stats.MDE(c, t, opts)
	if err != nil {
		return
	}
	sc.MDE = mde
	elapsed := sc.AsOf.Sub(e.StartedAt).Hours() / 24
	total := 0.0
	for _, n := range agg.Units {
		total += float64(n)
	}
	target := e.TargetMDE
	if target <= 0 {
		target = DefaultTargetMDE
	}
	if elapsed <= 0 || total == 0 {
		return
	}
	days, err := stats.DaysToMDE(c, t, total/elapsed, target, opts)
	if err != nil || math.IsInf(days, 0) || math.IsNaN(days) {
		return
	}
	sc.DaysToMDE = max(days, 0)
	sc.SampleShare = min(elapsed/(elapsed+sc.DaysToMDE), 1)
}

// lift computes the daily cumulative lift of the first primary metric.
func (sc *Scorecard) lift(agg Aggregate, metrics map[string]Metric, opts stats.Options) {
	e := sc.Experiment
	m, treatment, ok := sc.primaryPair(metrics)
	if !ok {
		return
	}
	for i, d := range agg.Daily {
		kind, c, t := statsMetric(m, d.Arms[m.Key][e.Control()], d.Arms[m.Key][treatment])
		opts.Metric = kind
		r, err := stats.Compare(c, t, opts)
		if err != nil {
			continue
		}
		sc.Lift = append(sc.Lift, LiftPoint{Day: i + 1, End: d.End, Lift: r.Estimate, Low: r.CILow, High: r.CIHigh})
	}
}

// Holds reports whether a framework condition holds for the scorecard.
func (sc Scorecard) Holds(c Condition) bool {
	primary := func(v Verdict) bool {
		return slices.ContainsFunc(sc.Results, func(r MetricResult) bool { return r.Role == RolePrimary && r.Verdict == v })
	}
	switch c {
	case CondSRM:
		return sc.SRM
	case CondNotMature:
		return !sc.Mature
	case CondGuardrailFailing:
		return sc.Guardrails == GuardrailsFailing
	case CondGuardrailRegressing:
		return sc.Guardrails != GuardrailsHealthy
	case CondPrimaryWinning:
		return primary(VerdictGood)
	case CondPrimaryLosing:
		return primary(VerdictBad)
	case CondUnderpowered:
		left := sc.Experiment.EndsAt.Sub(sc.AsOf).Hours() / 24
		return sc.DaysToMDE > max(left, 0)
	case CondPastEnd:
		return !sc.Experiment.EndsAt.IsZero() && !sc.AsOf.Before(sc.Experiment.EndsAt)
	}
	return false
}

// Winner returns the variant a ship should pick: the treatment with the
// best good primary result, else the first treatment.
func (sc Scorecard) Winner() string {
	best, lift := "", math.Inf(-1)
	for _, r := range sc.Results {
		if r.Role == RolePrimary && r.Verdict == VerdictGood {
			l := r.Lift
			if !r.Metric.HigherIsBetter {
				l = -l
			}
			if l > lift {
				best, lift = r.Variant, l
			}
		}
	}
	if best == "" && len(sc.Experiment.Variants) > 1 {
		best = sc.Experiment.Variants[1].Key
	}
	return best
}

// Detail names the results behind the conditions of a matched rule.
func (sc Scorecard) Detail(terms []Term) string {
	var parts []string
	for _, t := range terms {
		if t.Not {
			continue
		}
		switch t.Condition {
		case CondSRM:
			parts = append(parts, fmt.Sprintf("Sample ratio mismatch: p = %.2g.", sc.SRMPValue))
		case CondNotMature:
			parts = append(parts, "It is "+sc.MatureReason+".")
		case CondGuardrailFailing, CondGuardrailRegressing:
			parts = append(parts, sc.describe(func(r MetricResult) bool {
				return r.Role == RoleGuardrail && (r.Verdict == VerdictBad || r.Regressing)
			}))
		case CondPrimaryWinning:
			parts = append(parts, sc.describe(func(r MetricResult) bool { return r.Role == RolePrimary && r.Verdict == VerdictGood }))
		case CondPrimaryLosing:
			parts = append(parts, sc.describe(func(r MetricResult) bool { return r.Role == RolePrimary && r.Verdict == VerdictBad }))
		case CondUnderpowered:
			parts = append(parts, fmt.Sprintf("About %.0f more days are needed to detect a %s lift.", math.Ceil(sc.DaysToMDE), FormatLift(sc.Experiment.TargetMDE)))
		}
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

func (sc Scorecard) describe(match func(MetricResult) bool) string {
	var out []string
	for _, r := range sc.Results {
		if match(r) {
			out = append(out, fmt.Sprintf("%s (%s) %s [%s, %s]", r.Metric.Name, r.Variant, FormatLift(r.Lift), FormatLift(r.Low), FormatLift(r.High)))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "; ") + "."
}

// FormatLift prints a relative lift as a signed percent: +4.2%.
func FormatLift(x float64) string { return fmt.Sprintf("%+.1f%%", x*100) }

// Result returns the result of a metric for a variant, if any.
func (sc Scorecard) Result(metric, variant string) (MetricResult, bool) {
	for _, r := range sc.Results {
		if r.Metric.Key == metric && r.Variant == variant {
			return r, true
		}
	}
	return MetricResult{}, false
}
