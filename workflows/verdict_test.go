package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/stats"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

var verdictStart = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

func builtinFramework(t testing.TB, name string) workflows.Framework {
	t.Helper()
	f, err := workflows.ParseFramework(name, templates.Frameworks()[name])
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var (
	purchase = workflows.Metric{Key: "purchase", Name: "Purchase", Type: workflows.MetricProportion, HigherIsBetter: true}
	crash    = workflows.Metric{Key: "crash", Name: "Crash", Type: workflows.MetricProportion}
	revenue  = workflows.Metric{Key: "revenue", Name: "Revenue", Type: workflows.MetricMean, HigherIsBetter: true}
)

// verdictCase is an experiment on day `day` of 14 (min 7) with the given
// per-variant arms of each metric.
type verdictCase struct {
	method     workflows.Method
	day        int
	variants   []string
	primary    workflows.Metric
	guardrails []workflows.Metric
	arms       map[string]map[string]stats.Arm
	state      workflows.State
}

func (v verdictCase) analyze(t *testing.T, f workflows.Framework) workflows.Scorecard {
	t.Helper()
	e := workflows.Experiment{Key: "exp", Name: "Exp", Team: "t", Method: v.method, Alpha: 0.05, MinDays: 7, PlannedDays: 14,
		TargetMDE: 0.05, PrimaryMetrics: []string{v.primary.Key}, State: workflows.StateRunning,
		StartedAt: verdictStart, EndsAt: verdictStart.AddDate(0, 0, 14)}
	if v.state != "" {
		e.State, e.DecidedAt, e.Winner = v.state, verdictStart.AddDate(0, 0, v.day-1), "treatment"
	}
	if v.variants == nil {
		v.variants = []string{"control", "treatment"}
	}
	for _, k := range v.variants {
		e.Variants = append(e.Variants, workflows.Variant{Key: k, Weight: 1})
	}
	metrics := map[string]workflows.Metric{v.primary.Key: v.primary}
	for _, g := range v.guardrails {
		e.GuardrailMetrics = append(e.GuardrailMetrics, g.Key)
		metrics[g.Key] = g
	}
	agg := workflows.Aggregate{Experiment: "exp", Units: map[string]int64{}, Arms: v.arms}
	for _, k := range v.variants {
		agg.Units[k] = int64(v.arms[v.primary.Key][k].N)
	}
	now := verdictStart.Add(time.Duration(v.day)*24*time.Hour - time.Hour)
	return workflows.Analyze(agg, workflows.AnalyzeInput{Experiment: e, Metrics: metrics, Settings: workflows.Settings{},
		Framework: f, Now: now})
}

func prop(n, x float64) stats.Arm { return stats.Arm{N: n, Sum: x} }

func TestClearCutEffectsGetAVerdict(t *testing.T) {
	f := builtinFramework(t, "clear-signals")
	for _, method := range []workflows.Method{workflows.MethodSequential, workflows.MethodBayesian, workflows.MethodFixed} {
		t.Run(string(method)+"/crash only in treatment", func(t *testing.T) {
			sc := verdictCase{method: method, day: 10, primary: purchase, guardrails: []workflows.Metric{crash},
				arms: map[string]map[string]stats.Arm{
					"purchase": {"control": prop(4019, 400), "treatment": prop(3981, 440)},
					"crash":    {"control": prop(4019, 0), "treatment": prop(3981, 82)},
				}}.analyze(t, f)
			r, _ := sc.Result("crash", "treatment")
			if r.Problem != "" || r.Verdict != workflows.VerdictBad || !r.Absolute() {
				t.Errorf("crash: %+v, want a bad verdict on the absolute difference", r)
			}
			if sc.Guardrails != workflows.GuardrailsFailing || sc.Recommendation.Action == workflows.RecommendShip {
				t.Errorf("guardrails %s, recommendation %+v; want failing, not ship", sc.Guardrails, sc.Recommendation)
			}
		})
		t.Run(string(method)+"/zero conversions in treatment", func(t *testing.T) {
			sc := verdictCase{method: method, day: 15, primary: purchase, arms: map[string]map[string]stats.Arm{
				"purchase": {"control": prop(3981, 399), "treatment": prop(4019, 0)},
			}}.analyze(t, f)
			r, _ := sc.Result("purchase", "treatment")
			if r.Problem != "" || r.Verdict != workflows.VerdictBad || r.Lift >= 0 {
				t.Errorf("purchase: %+v, want significant and worse", r)
			}
			if sc.Recommendation.Action != workflows.RecommendKill {
				t.Errorf("recommendation %+v, want kill", sc.Recommendation)
			}
		})
	}
}

// A fixed-horizon test is judged at its planned end; before it the
// estimate is shown, not final.
func TestFixedHorizonWaitsForTheEnd(t *testing.T) {
	f := builtinFramework(t, "clear-signals")
	arms := map[string]map[string]stats.Arm{"purchase": {"control": prop(20000, 2000), "treatment": prop(20000, 2300)}}
	before := verdictCase{method: workflows.MethodFixed, day: 10, primary: purchase, arms: arms}.analyze(t, f)
	r, _ := before.Result("purchase", "treatment")
	if !before.NotFinal || before.Mature || r.Verdict != workflows.VerdictPending || !r.Significant ||
		before.Recommendation.Action != workflows.RecommendKeepRunning {
		t.Errorf("day 10: not final %v, mature %v, verdict %s, recommendation %s", before.NotFinal, before.Mature, r.Verdict, before.Recommendation.Action)
	}
	end := verdictCase{method: workflows.MethodFixed, day: 15, primary: purchase, arms: arms}.analyze(t, f)
	if r, _ := end.Result("purchase", "treatment"); end.NotFinal || r.Verdict != workflows.VerdictGood ||
		end.Recommendation.Action != workflows.RecommendShip {
		t.Errorf("day 15: not final %v, verdict %s, recommendation %s", end.NotFinal, r.Verdict, end.Recommendation.Action)
	}
}

// A Bayesian verdict needs the chance to win corrected for the daily
// looks: 8 looks from day 7 to 14 at α = 0.05 give 1 - 0.05/16.
func TestBayesianVerdictIsProtected(t *testing.T) {
	f := builtinFramework(t, "clear-signals")
	// z = 2.2: chance to win 98.6 %, enough for GrowthBook's 95 % rule,
	// not for 99.6875 %.
	c := prop(20000, 2000)
	tr := prop(20000, 2130)
	sc := verdictCase{method: workflows.MethodBayesian, day: 10, primary: purchase,
		arms: map[string]map[string]stats.Arm{"purchase": {"control": c, "treatment": tr}}}.analyze(t, f)
	r, _ := sc.Result("purchase", "treatment")
	if r.ChanceToWin < 0.95 || r.ChanceToWin > 0.99 {
		t.Fatalf("chance to win %g, want between 95 and 99 %%", r.ChanceToWin)
	}
	if r.Significant || r.Verdict != workflows.VerdictFlat {
		t.Errorf("significant %v verdict %s, want a flat verdict under the protected rule", r.Significant, r.Verdict)
	}
	if !strings.Contains(sc.VerdictRule, "99.69 %") || !strings.Contains(sc.VerdictRule, "8 daily looks") {
		t.Errorf("verdict rule %q", sc.VerdictRule)
	}
}

// A guardrail that cannot be computed is unknown, never healthy, and no
// ship is recommended without a person (clear-signals) or auto-approved
// (any framework).
func TestUnknownGuardrail(t *testing.T) {
	ratio := workflows.Metric{Key: "errors_per_view", Name: "Errors per view", Type: workflows.MetricRatio}
	arms := map[string]map[string]stats.Arm{
		"purchase":        {"control": prop(20000, 2000), "treatment": prop(20000, 2400)},
		"errors_per_view": {"control": {N: 20000}, "treatment": {N: 20000}},
	}
	sc := verdictCase{method: workflows.MethodSequential, day: 10, primary: purchase, guardrails: []workflows.Metric{ratio}, arms: arms}.
		analyze(t, builtinFramework(t, "clear-signals"))
	if sc.Guardrails != workflows.GuardrailsUnknown || !strings.Contains(sc.GuardrailReason, "denominator sums to 0") {
		t.Errorf("guardrails %s (%s), want unknown with its reason", sc.Guardrails, sc.GuardrailReason)
	}
	if sc.Recommendation.Action != workflows.RecommendDiscuss {
		t.Errorf("recommendation %+v, want discuss", sc.Recommendation)
	}
	// A framework that ships on a win alone still says a person must approve.
	shipper, err := workflows.ParseFramework("ship.yaml", []byte("name: shipper\nrules:\n  - when: [primary_winning]\n    recommend: ship\n    reason: Won.\n"))
	if err != nil {
		t.Fatal(err)
	}
	sc = verdictCase{method: workflows.MethodSequential, day: 10, primary: purchase, guardrails: []workflows.Metric{ratio}, arms: arms}.analyze(t, shipper)
	if sc.Recommendation.Action != workflows.RecommendShip || !strings.Contains(sc.Recommendation.Reason, "a person must approve") {
		t.Errorf("recommendation %+v", sc.Recommendation)
	}
}

// Progress counts the units of the two compared arms only: three arms of
// the same data as two arms need the same days.
func TestProgressFromTheComparedArms(t *testing.T) {
	f := builtinFramework(t, "clear-signals")
	arm := prop(3000, 300)
	two := verdictCase{method: workflows.MethodSequential, day: 10, primary: purchase,
		arms: map[string]map[string]stats.Arm{"purchase": {"control": arm, "treatment": arm}}}.analyze(t, f)
	three := verdictCase{method: workflows.MethodSequential, day: 10, primary: purchase, variants: []string{"control", "treatment", "other"},
		arms: map[string]map[string]stats.Arm{"purchase": {"control": arm, "treatment": arm, "other": arm}}}.analyze(t, f)
	if two.DaysToMDE <= 0 || two.DaysToMDE != three.DaysToMDE || two.SampleShare != three.SampleShare {
		t.Errorf("days to target: 2 arms %g (share %g), 3 arms %g (share %g); want equal and positive",
			two.DaysToMDE, two.SampleShare, three.DaysToMDE, three.SampleShare)
	}
}

func TestOutOfReachOverdueAndDecided(t *testing.T) {
	f := builtinFramework(t, "clear-signals")
	small := map[string]map[string]stats.Arm{"purchase": {"control": prop(3000, 300), "treatment": prop(3000, 303)}}
	sc := verdictCase{method: workflows.MethodSequential, day: 20, primary: purchase, arms: small}.analyze(t, f)
	if !sc.OutOfReach || sc.Recommendation.Action != workflows.RecommendDecide || sc.DaysOverdue != 5 {
		t.Errorf("out of reach %v, overdue %d, recommendation %+v; want decide, 5 days overdue", sc.OutOfReach, sc.DaysOverdue, sc.Recommendation)
	}
	shipped := verdictCase{method: workflows.MethodSequential, day: 22, primary: purchase, arms: small, state: workflows.StateShipped}.analyze(t, f)
	if !shipped.Decided || shipped.DaysOverdue != 0 || shipped.Recommendation.Action != workflows.RecommendShip ||
		!strings.Contains(shipped.Recommendation.Reason, "Decided: shipped treatment*") {
		t.Errorf("shipped: decided %v, overdue %d, %+v", shipped.Decided, shipped.DaysOverdue, shipped.Recommendation)
	}
}

// CUPED results show the means their lift comes from.
func TestCUPEDMeansImplyTheLift(t *testing.T) {
	f := builtinFramework(t, "clear-signals")
	// post = pre + noise per unit, treatment +1.
	arm := func(n, pre, post, pre2, post2, prod float64) stats.Arm {
		return stats.Arm{N: n, Sum: post, SumSquares: post2, Post: stats.Moments{Sum: post, SumSquares: post2},
			Pre: stats.Moments{Sum: pre, SumSquares: pre2}, SumProducts: prod}
	}
	sc := verdictCase{method: workflows.MethodSequential, day: 10, primary: revenue, arms: map[string]map[string]stats.Arm{
		"revenue": {"control": arm(1000, 20000, 19150, 500000, 480000, 485000), "treatment": arm(1000, 19500, 22090, 480000, 590000, 520000)},
	}}.analyze(t, f)
	r, _ := sc.Result("revenue", "treatment")
	if !r.CUPED {
		t.Fatalf("result %+v, want CUPED", r)
	}
	if implied := (r.TreatmentMean - r.ControlMean) / r.ControlMean; abs(implied-r.Lift) > 1e-12 {
		t.Errorf("means %g → %g imply %g, lift %g", r.ControlMean, r.TreatmentMean, implied, r.Lift)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
