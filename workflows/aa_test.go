package workflows_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/growthbot/growthbot/stats"
	"github.com/growthbot/growthbot/workflows"
)

// aaMetric draws one unit's value of an A/A experiment's primary metric.
type aaMetric struct {
	metric workflows.Metric
	draw   func(rng *rand.Rand) float64
}

// The metrics of the A/A simulation: a proportion, and a skewed revenue
// per user (9 in 10 units spend nothing; spenders' amounts are log-normal
// with a long right tail, σ = 1.2).
var aaMetrics = []aaMetric{
	{workflows.Metric{Key: "purchase", Name: "Purchase", Type: workflows.MetricProportion, HigherIsBetter: true},
		func(rng *rand.Rand) float64 {
			if rng.Float64() < 0.05 {
				return 1
			}
			return 0
		}},
	{workflows.Metric{Key: "revenue", Name: "Revenue", Type: workflows.MetricMean, HigherIsBetter: true},
		func(rng *rand.Rand) float64 {
			if rng.Float64() < 0.1 {
				return math.Exp(3 + 1.2*rng.NormFloat64())
			}
			return 0
		}},
}

// aaOutcome is what an A/A simulation found.
type aaOutcome struct {
	experiments, decided int // decided: ever recommended ship or kill
}

func (o aaOutcome) share() float64 { return float64(o.decided) / float64(o.experiments) }

// simulateAA runs A/A experiments (no true difference) through the pulse's
// own rules: Analyze with the clear-signals framework, looked at once a
// day from min_days (7) to the planned end (14), perDay new units in each
// arm every day. It counts the experiments that ever get a ship or kill
// recommendation.
func simulateAA(t testing.TB, method workflows.Method, m aaMetric, experiments, perDay int, seed uint64) aaOutcome {
	t.Helper()
	f := builtinFramework(t, "clear-signals")
	const minDays, plannedDays = 7, 14
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	e := workflows.Experiment{Key: "aa", Name: "A/A", Team: "t", Method: method, Alpha: 0.05, MinDays: minDays,
		PlannedDays: plannedDays, TargetMDE: 0.05, PrimaryMetrics: []string{m.metric.Key}, State: workflows.StateRunning,
		Variants:  []workflows.Variant{{Key: "control", Weight: 1}, {Key: "treatment", Weight: 1}},
		StartedAt: start, EndsAt: start.AddDate(0, 0, plannedDays)}
	in := workflows.AnalyzeInput{Experiment: e, Metrics: map[string]workflows.Metric{m.metric.Key: m.metric}, Framework: f}
	rng := rand.New(rand.NewPCG(seed, uint64(len(method))))
	out := aaOutcome{experiments: experiments}
	for range experiments {
		arms := map[string]stats.Arm{}
		decided := false
		for day := 1; day <= plannedDays; day++ {
			for _, v := range []string{"control", "treatment"} {
				a := arms[v]
				for range perDay {
					x := m.draw(rng)
					a.N++
					a.Sum += x
					a.SumSquares += x * x
				}
				arms[v] = a
			}
			if day < minDays || decided {
				continue
			}
			// The look after the day-th day: day+1 of the plan, the last
			// one at the planned end.
			in.Now = start.AddDate(0, 0, day)
			agg := workflows.Aggregate{Experiment: "aa", Units: map[string]int64{"control": int64(arms["control"].N),
				"treatment": int64(arms["treatment"].N)}, Arms: map[string]map[string]stats.Arm{m.metric.Key: {
				"control": arms["control"], "treatment": arms["treatment"]}}}
			switch workflows.Analyze(agg, in).Recommendation.Action {
			case workflows.RecommendShip, workflows.RecommendKill:
				decided = true
			}
		}
		if decided {
			out.decided++
		}
	}
	return out
}

// TestAASimulation: with daily looks, the share of A/A experiments that
// ever get a ship or kill recommendation stays at or below α = 0.05 for
// every method, for a proportion and for skewed revenue. This run is
// small (300 experiments each, seconds); `go test -tags load -run
// TestAASimulationLarge ./workflows` runs 4,000 each for the README's
// figures. The seeds are fixed, so the result is the same every run.
func TestAASimulation(t *testing.T) {
	for _, m := range aaMetrics {
		for _, method := range []workflows.Method{workflows.MethodFixed, workflows.MethodSequential, workflows.MethodBayesian} {
			t.Run(m.metric.Key+"/"+string(method), func(t *testing.T) {
				o := simulateAA(t, method, m, 300, 200, 2026)
				// A binomial standard error above the true rate: the fixed
				// test, judged once, is at α itself.
				limit := 0.05 + 2*math.Sqrt(0.05*0.95/float64(o.experiments))
				t.Logf("%d of %d A/A experiments ever got ship or kill: %.1f %%", o.decided, o.experiments, 100*o.share())
				if o.share() > limit {
					t.Errorf("%.3f of A/A experiments got a ship or kill recommendation, want at most α (%.3f with simulation noise)", o.share(), limit)
				}
			})
		}
	}
}
