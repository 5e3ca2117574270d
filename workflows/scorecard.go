package workflows

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
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
	// GuardrailsUnknown: a guardrail could not be computed (see
	// Scorecard.GuardrailReason). It never counts as healthy: no ship is
	// auto-approved and no rollout advances while a guardrail is unknown.
	GuardrailsUnknown GuardrailStatus = "unknown"
)

// MetricResult compares one treatment with the control on one metric.
// Lift and its interval are relative (0.05 = +5 %) unless Difference is
// absolute: when the control mean is 0 a relative lift is undefined, and
// small counts of a proportion are judged on the absolute difference by
// an exact test.
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
	// CUPED: the variance was reduced with the pre-exposure covariate;
	// TreatmentMean is then the CUPED-adjusted one (ControlMean plus the
	// adjusted difference), so that the means imply the lift shown.
	CUPED   bool
	Problem string // why the result cannot be computed
	// Difference is relative or absolute (see above); empty in scorecards
	// stored before it existed, which were relative.
	Difference stats.Difference `json:",omitempty"`
	// Test names the test behind the p-value or chance to win.
	Test string `json:",omitempty"`
}

// Absolute reports whether Lift and its interval are an absolute
// difference (in the metric's unit) rather than a relative one.
func (r MetricResult) Absolute() bool { return r.Difference == stats.DifferenceAbsolute }

// LiftPoint is the primary metric's cumulative lift at the end of a day.
type LiftPoint struct {
	Day       int
	End       time.Time
	Lift      float64
	Low, High float64
	// Judged is set from the day the peeking rules allow a verdict: the
	// experiment's min days have passed and every arm has the minimum
	// sample. The chart starts there; earlier days are noise.
	Judged bool `json:",omitempty"`
	// Absolute is set when the day's comparison is an absolute difference
	// (small counts of a proportion, or a control mean of 0).
	Absolute bool `json:",omitempty"`
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
	// NotFinal is set for a fixed-horizon experiment before its planned
	// end: its estimates are shown, its verdicts wait for the end (it is
	// not Mature either).
	NotFinal bool `json:",omitempty"`
	// VerdictRule says when a result counts as significant under the
	// method, daily looks included: the card states it.
	VerdictRule string `json:",omitempty"`
	Results     []MetricResult
	Guardrails  GuardrailStatus
	// GuardrailReason says why the guardrails are unknown.
	GuardrailReason string `json:",omitempty"`
	// Progress on the first primary metric and treatment, from those two
	// arms: the minimum detectable lift now, the share of the sample
	// needed for TargetMDE reached, and the days still needed (0 once
	// reached, -1 when unknown; ProgressNote then says why).
	MDE          float64
	SampleShare  float64
	DaysToMDE    float64
	ProgressNote string `json:",omitempty"`
	// OutOfReach: the target effect needs more than OutOfReachFactor
	// times the planned days (or more days than can be counted).
	OutOfReach bool `json:",omitempty"`
	// DaysOverdue counts the whole days since the planned end of an
	// experiment still running.
	DaysOverdue int `json:",omitempty"`
	// Decided is set for a shipped or killed experiment: Recommendation
	// is then its decision, not a new recommendation.
	Decided        bool `json:",omitempty"`
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

// OutOfReachFactor is how many times its planned days an experiment may
// need for its target effect before the target counts as out of reach:
// extending it then is no plan, and the framework asks for a decision.
const OutOfReachFactor = 3

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
		MultipleExposures: agg.MultipleExposures, DaysToMDE: -1, SRMPValue: 1, Decided: e.State.Terminal()}
	if sc.Method == "" {
		sc.Method = MethodSequential
	}
	if !sc.Decided && !e.EndsAt.IsZero() && in.Now.After(e.EndsAt) {
		sc.DaysOverdue = int(in.Now.Sub(e.EndsAt) / (24 * time.Hour))
	}
	sc.checkSRM()
	sc.checkMaturity(set)
	opts := stats.Options{Difference: stats.DifferenceRelative, Method: stats.Method(sc.Method), Alpha: e.Alpha,
		SequentialTuning: set.SequentialTuning, Exact: true}
	if opts.Alpha <= 0 || opts.Alpha >= 1 {
		opts.Alpha = DefaultAlpha
	}
	sc.VerdictRule = sc.verdictRule(opts.Alpha)
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
	if sc.Decided {
		sc.Recommendation = decided(e)
	} else {
		sc.Recommendation = in.Framework.Recommend(sc)
	}
	return sc
}

// decided is the recommendation slot of a shipped or killed experiment:
// its decision, not a new recommendation.
func decided(e Experiment) Recommendation {
	on := DayText(e.DecidedAt.UTC())
	if e.State == StateKilled {
		return Recommendation{Action: RecommendKill, Reason: fmt.Sprintf("*Decided: killed* on %s; everyone gets %s. This is the decision taken, not a new recommendation.", on, e.Control())}
	}
	return Recommendation{Action: RecommendShip, Variant: e.Winner,
		Reason: fmt.Sprintf("*Decided: shipped %s* on %s. This is the decision taken, not a new recommendation.", e.Winner, on)}
}

// bayesianLooks is the number of daily looks a Bayesian experiment's
// verdict is protected for: one a day from MinDays to the planned end.
func (sc *Scorecard) bayesianLooks() int {
	e := sc.Experiment
	return max(1, e.PlannedDays-max(e.MinDays, 1)+1)
}

// judgeOptions are the options a result is judged (and progress is
// planned) with. A Bayesian verdict is looked at daily, so its chance-to-
// win threshold is Bonferroni-corrected over the planned looks: with k
// looks, a verdict needs a chance to be better of at least 1 - α/(2k) (or
// at most α/(2k)), so that an A/A experiment gets one with probability at
// most α over all of them. The fixed and sequential methods keep α (the
// fixed one is judged once, at its planned end; the sequential one is
// valid at every look).
func (sc *Scorecard) judgeOptions(o stats.Options) stats.Options {
	if o.Method == stats.MethodBayesian {
		o.Alpha /= float64(2 * sc.bayesianLooks())
	}
	return o
}

// verdictRule states the rule that judges a result, for the card.
func (sc *Scorecard) verdictRule(alpha float64) string {
	switch sc.Method {
	case MethodFixed:
		return fmt.Sprintf("fixed horizon: significant at p < %g, judged once at the planned end (day %d); estimates before it are not final",
			alpha, sc.Experiment.PlannedDays)
	case MethodBayesian:
		k := sc.bayesianLooks()
		a := alpha / float64(2*k)
		return fmt.Sprintf("Bayesian: a verdict needs a chance to be better of at least %s (or at most %s): α = %g split over %d daily look%s",
			formatPercentage(1-a), formatPercentage(a), alpha, k, plural(k))
	}
	return fmt.Sprintf("sequential: significant at p < %g on always-valid confidence sequences, safe to check daily", alpha)
}

func formatPercentage(x float64) string {
	s := strconv.FormatFloat(x*100, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " %"
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
			sc.MatureReason = fmt.Sprintf("not enough data yet: %s has %d of the %d units each arm needs (%d more)", v.Key, n,
				set.MinSamplePerArm, set.MinSamplePerArm-n)
			return
		}
	}
	if sc.Method == MethodFixed && !e.EndsAt.IsZero() && sc.AsOf.Before(e.EndsAt) {
		sc.NotFinal = true
		sc.MatureReason = fmt.Sprintf("a fixed-horizon test, judged at its planned end (day %d); until then its estimates are not final", e.PlannedDays)
		return
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
	if c.N < 2 || t.N < 2 {
		res.Problem = fmt.Sprintf("not enough data yet: %s has %d unit%s and %s %d; a comparison needs at least 2 in each arm (%d more)",
			control, int64(c.N), plural(int(c.N)), variant, int64(t.N), int64(max(0, 2-c.N)+max(0, 2-t.N)))
		return res
	}
	r, kind, err := compareArms(m, c, t, opts)
	if err != nil && errors.Is(err, stats.ErrDegenerate) && constant(m, c) && constant(m, t) && res.ControlMean == res.TreatmentMean {
		// Every unit of both arms has the same value (no checkout error
		// anywhere, say): no difference is observed, which is a result.
		r = stats.Result{ControlMean: res.ControlMean, TreatmentMean: res.TreatmentMean, PValue: 1, ChanceToWin: 0.5,
			Test: TestNoVariation, Difference: stats.DifferenceRelative}
		if res.ControlMean == 0 {
			r.Difference = stats.DifferenceAbsolute
		}
		kind, err = stats.MetricMean, nil
	}
	if err != nil {
		res.Problem = describeStatsError(err)
		return res
	}
	res.CUPED = kind == stats.MetricCUPED
	res.ControlMean, res.TreatmentMean = r.ControlMean, r.TreatmentMean
	res.Difference, res.Test = r.Difference, r.Test
	res.Lift, res.Low, res.High, res.PValue, res.ChanceToWin = r.Estimate, r.CILow, r.CIHigh, r.PValue, r.ChanceToWin
	res.Significant = r.Significant(sc.judgeOptions(opts))
	res.Regressing = !m.Good(res.Lift) && res.Lift != 0 && res.trend(opts.Method)
	res.judge(sc.Mature)
	// A fixed-horizon test is judged at its planned end, but a guardrail
	// that fails even on the always-valid confidence sequence (a crash
	// rate that jumps, say) is not left running until then.
	if sc.NotFinal && role == RoleGuardrail && res.Significant && !m.Good(res.Lift) {
		seq := opts
		seq.Method = stats.MethodSequential
		if rs, _, err := compareArms(m, c, t, seq); err == nil && rs.Significant(seq) && !m.Good(rs.Estimate) {
			res.Verdict = VerdictBad
		}
	}
	return res
}

// confirmByAbsolute makes a relative result's verdict need the absolute
// difference's test too, by reporting the less extreme of the two p-values
// (or chances to win). The delta-method test of a relative lift is
// lopsided: with a skewed metric its false positives pile up on the
// negative side (an A/A simulation of revenue per user, 2,800 units an arm,
// one look: 6.2 % significant at α = 5 %, against 4.8 % for the absolute
// difference), while the absolute difference tests the same hypothesis
// (no difference) at its level. The lift and interval shown stay the
// relative ones, as GrowthBook computes them.
func confirmByAbsolute(rel, abs stats.Result) stats.Result {
	rel.PValue = max(rel.PValue, abs.PValue)
	if math.Abs(abs.ChanceToWin-0.5) < math.Abs(rel.ChanceToWin-0.5) {
		rel.ChanceToWin = abs.ChanceToWin
	}
	return rel
}

// TestNoVariation names the "test" of two arms in which every unit has
// the same value: there is nothing to test, and no difference.
const TestNoVariation = "none: every unit of both arms has the same value"

// compareArms compares two arms of a metric: CUPED when there is
// pre-exposure data that helps, else the plain metric; the relative
// difference unless it is undefined (a control mean of 0, or a delta-
// method standard error of 0, as when the treatment mean is 0 and the
// control does not vary) or unreliable (a proportion with small counts:
// the fixed and sequential methods then use an exact test, the Bayesian
// one the absolute difference). It returns the metric type used.
func compareArms(m Metric, c, t stats.Arm, opts stats.Options) (stats.Result, stats.MetricType, error) {
	kind, c, t := statsMetric(m, c, t)
	opts.Metric = kind
	if controlMeanZero(kind, c) || (kind == stats.MetricProportion && stats.SmallCounts(c, t)) {
		opts.Difference = stats.DifferenceAbsolute
	}
	r, err := stats.Compare(c, t, opts)
	abs := opts
	abs.Difference = stats.DifferenceAbsolute
	if err != nil && errors.Is(err, stats.ErrDegenerate) && opts.Difference == stats.DifferenceRelative {
		if ra, errA := stats.Compare(c, t, abs); errA == nil {
			return ra, kind, nil
		}
	}
	if err == nil && r.Difference == stats.DifferenceRelative {
		if ra, errA := stats.Compare(c, t, abs); errA == nil {
			r = confirmByAbsolute(r, ra)
		}
	}
	if err != nil && kind == stats.MetricCUPED {
		// The covariate did not help (no variance before exposure, say):
		// compare the plain metric instead.
		kind = stats.MetricMean
		if m.Type == MetricProportion {
			kind = stats.MetricProportion
		}
		opts.Metric = kind
		if controlMeanZero(kind, c) {
			opts.Difference = stats.DifferenceAbsolute
		}
		r, err = stats.Compare(c, t, opts)
	}
	return r, kind, err
}

// constant reports whether every unit of an arm has the same value of a
// mean or proportion metric.
func constant(m Metric, a stats.Arm) bool {
	switch m.Type {
	case MetricProportion:
		return a.Sum == 0 || a.Sum == a.N
	case MetricMean:
		return math.Abs(a.SumSquares-a.Sum*a.Sum/a.N) <= 1e-12*math.Max(a.SumSquares, 1)
	}
	return false
}

// controlMeanZero reports whether the control's mean, the denominator of
// a relative difference, is 0.
func controlMeanZero(kind stats.MetricType, c stats.Arm) bool {
	switch kind {
	case stats.MetricRatio:
		return c.Numerator.Sum == 0
	case stats.MetricCUPED:
		return c.Post.Sum == 0
	}
	return c.Sum == 0
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

// describeStatsError says why a comparison could not be computed. Too few
// units are caught before stats is asked, so what is left is about the
// data's shape (no variance at all, a zero denominator) or corrupt input:
// not "not enough data".
func describeStatsError(err error) string {
	var ie *stats.InputError
	if errors.As(err, &ie) {
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

// guardrails sums up the guardrails: failing over regressing over
// unknown over healthy. A guardrail that cannot be computed is unknown,
// never healthy.
func (sc *Scorecard) guardrails() {
	sc.Guardrails = GuardrailsHealthy
	var unknown []string
	for _, r := range sc.Results {
		switch {
		case r.Role != RoleGuardrail:
		case r.Verdict == VerdictBad:
			sc.Guardrails, sc.GuardrailReason = GuardrailsFailing, ""
			return
		case r.Regressing:
			sc.Guardrails = GuardrailsRegressing
		case r.Problem != "":
			unknown = append(unknown, fmt.Sprintf("%s (%s): %s", r.Metric.Name, r.Variant, r.Problem))
		}
	}
	if len(unknown) > 0 && sc.Guardrails == GuardrailsHealthy {
		sc.Guardrails, sc.GuardrailReason = GuardrailsUnknown, strings.Join(unknown, "; ")
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
// the experiment is from detecting its target effect. The rate of new
// units is that of the two compared arms: the other arms' units do not
// shrink this comparison's standard error.
func (sc *Scorecard) progress(agg Aggregate, metrics map[string]Metric, opts stats.Options) {
	e := sc.Experiment
	m, treatment, ok := sc.primaryPair(metrics)
	if !ok {
		return
	}
	c, t := agg.Arms[m.Key][e.Control()], agg.Arms[m.Key][treatment]
	if c.N < 2 || t.N < 2 {
		sc.ProgressNote = fmt.Sprintf("not enough data yet: %s has %d units and %s %d; at least 2 each are needed (%d more)",
			e.Control(), int64(c.N), treatment, int64(t.N), int64(max(0, 2-c.N)+max(0, 2-t.N)))
		return
	}
	kind, c, t := statsMetric(m, c, t)
	opts = sc.judgeOptions(opts)
	opts.Metric = kind
	mde, err := stats.MDE(c, t, opts)
	if err != nil {
		sc.ProgressNote = describeStatsError(err)
		return
	}
	sc.MDE = mde
	elapsed := sc.AsOf.Sub(e.StartedAt).Hours() / 24
	units := c.N + t.N
	target := e.TargetMDE
	if target <= 0 {
		target = DefaultTargetMDE
	}
	if elapsed <= 0 {
		sc.ProgressNote = "the experiment has only just started"
		return
	}
	days, err := stats.DaysToMDE(c, t, units/elapsed, target, opts)
	if err != nil && errors.Is(err, stats.ErrDegenerate) {
		sc.OutOfReach = true
		sc.ProgressNote = fmt.Sprintf("a %s lift is out of reach: it would take more days than can be planned", FormatLift(target))
		return
	}
	if err != nil || math.IsInf(days, 0) || math.IsNaN(days) {
		sc.ProgressNote = "the days needed cannot be estimated from the data so far"
		return
	}
	sc.DaysToMDE = max(days, 0)
	sc.SampleShare = min(elapsed/(elapsed+sc.DaysToMDE), 1)
	sc.OutOfReach = e.PlannedDays > 0 && elapsed+sc.DaysToMDE > OutOfReachFactor*float64(e.PlannedDays)
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
		judged := i+1 >= e.MinDays && len(e.Variants) > 0
		for _, v := range e.Variants {
			judged = judged && d.Units[v.Key] >= sc.MinSamplePerArm
		}
		sc.Lift = append(sc.Lift, LiftPoint{Day: i + 1, End: d.End, Lift: r.Estimate, Low: r.CILow, High: r.CIHigh, Judged: judged,
			Absolute: r.Difference == stats.DifferenceAbsolute})
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
		return sc.Guardrails == GuardrailsRegressing || sc.Guardrails == GuardrailsFailing
	case CondGuardrailUnknown:
		return sc.Guardrails == GuardrailsUnknown
	case CondOutOfReach:
		return sc.OutOfReach
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
		case CondGuardrailUnknown:
			parts = append(parts, "Unknown: "+sc.GuardrailReason+".")
		case CondUnderpowered:
			parts = append(parts, fmt.Sprintf("About %.0f more days are needed to detect a %s lift.", math.Ceil(sc.DaysToMDE), FormatLift(sc.target())))
		case CondOutOfReach:
			if sc.DaysToMDE >= 0 {
				parts = append(parts, fmt.Sprintf("Detecting a %s lift would take about %.0f more days, more than %d times the %d planned.",
					FormatLift(sc.target()), math.Ceil(sc.DaysToMDE), OutOfReachFactor, sc.Experiment.PlannedDays))
			} else {
				parts = append(parts, fmt.Sprintf("Detecting a %s lift would take more days than can be planned.", FormatLift(sc.target())))
			}
		}
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

// target is the lift the experiment is planned to detect.
func (sc Scorecard) target() float64 {
	if t := sc.Experiment.TargetMDE; t > 0 {
		return t
	}
	return DefaultTargetMDE
}

func (sc Scorecard) describe(match func(MetricResult) bool) string {
	var out []string
	for _, r := range sc.Results {
		if match(r) {
			out = append(out, fmt.Sprintf("%s (%s) %s [%s, %s]", r.Metric.Name, r.Variant, r.Format(r.Lift), r.Format(r.Low), r.Format(r.High)))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "; ") + "."
}

// FormatLift prints a relative lift as a signed percent: +4.2%.
func FormatLift(x float64) string { return fmt.Sprintf("%+.1f%%", x*100) }

// Format prints a difference of the result: a relative lift as a signed
// percent, an absolute difference of a proportion in percentage points
// (+1.64 pp) and of another metric in its unit (+0.52).
func (r MetricResult) Format(x float64) string {
	switch {
	case !r.Absolute():
		return FormatLift(x)
	case r.Metric.Type == MetricProportion:
		return fmt.Sprintf("%+.2f pp", x*100)
	}
	return fmt.Sprintf("%+.3g", x)
}

// Result returns the result of a metric for a variant, if any.
func (sc Scorecard) Result(metric, variant string) (MetricResult, bool) {
	for _, r := range sc.Results {
		if r.Metric.Key == metric && r.Variant == variant {
			return r, true
		}
	}
	return MetricResult{}, false
}

// VerdictLift returns the days of the lift series its chart draws: from
// the first day the peeking rules allow a verdict, in the kind of
// difference (relative or absolute) of the last day. Scorecards stored
// before LiftPoint.Judged existed count from the experiment's min days.
func (sc Scorecard) VerdictLift() []LiftPoint {
	if len(sc.Lift) == 0 {
		return nil
	}
	absolute := sc.Lift[len(sc.Lift)-1].Absolute
	marked := slices.ContainsFunc(sc.Lift, func(p LiftPoint) bool { return p.Judged })
	var out []LiftPoint
	for _, p := range sc.Lift {
		if p.Absolute == absolute && (p.Judged || !marked && p.Day >= sc.Experiment.MinDays) {
			out = append(out, p)
		}
	}
	return out
}

// HasIntervals reports whether any metric of the scorecard has an interval
// to draw.
func (sc Scorecard) HasIntervals() bool {
	return slices.ContainsFunc(sc.Results, func(r MetricResult) bool { return r.Problem == "" })
}
