package render_test

import (
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/internal/golden"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/stats"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// TestGoldenVerdicts renders scorecards at the edges the verdict rules
// care about: a guardrail only treatment trips (absolute difference, exact
// test), an unknown guardrail, a fixed-horizon test before its end with a
// CUPED metric, an out-of-reach target past the end, a shipped experiment.
func TestGoldenVerdicts(t *testing.T) {
	framework, err := workflows.ParseFramework("clear-signals", templates.Frameworks()["clear-signals"])
	if err != nil {
		t.Fatal(err)
	}
	purchase := workflows.Metric{Key: "purchase", Name: "Purchase", Type: workflows.MetricProportion, HigherIsBetter: true}
	crash := workflows.Metric{Key: "crash", Name: "Crash", Type: workflows.MetricProportion}
	errs := workflows.Metric{Key: "errors_per_view", Name: "Errors per view", Type: workflows.MetricRatio}
	revenue := workflows.Metric{Key: "revenue", Name: "Revenue", Type: workflows.MetricMean, HigherIsBetter: true}
	prop := func(n, x float64) stats.Arm { return stats.Arm{N: n, Sum: x} }
	cuped := func(n, pre, post, pre2, post2, prod float64) stats.Arm {
		return stats.Arm{N: n, Sum: post, SumSquares: post2, Post: stats.Moments{Sum: post, SumSquares: post2},
			Pre: stats.Moments{Sum: pre, SumSquares: pre2}, SumProducts: prod}
	}
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		method    workflows.Method
		day       int
		state     workflows.State
		primary   workflows.Metric
		guardrail *workflows.Metric
		arms      map[string]map[string]stats.Arm
	}{
		{"verdict-crash", workflows.MethodSequential, 10, "", purchase, &crash, map[string]map[string]stats.Arm{
			"purchase": {"control": prop(4019, 400), "treatment": prop(3981, 440)},
			"crash":    {"control": prop(4019, 0), "treatment": prop(3981, 82)}}},
		{"verdict-bayesian-unknown", workflows.MethodBayesian, 10, "", purchase, &errs, map[string]map[string]stats.Arm{
			"purchase":        {"control": prop(20000, 2000), "treatment": prop(20000, 2400)},
			"errors_per_view": {"control": {N: 20000}, "treatment": {N: 20000}}}},
		{"verdict-fixed-not-final", workflows.MethodFixed, 10, "", revenue, nil, map[string]map[string]stats.Arm{
			"revenue": {"control": cuped(1000, 20000, 19150, 500000, 480000, 485000), "treatment": cuped(1000, 19500, 22090, 480000, 590000, 520000)}}},
		{"verdict-out-of-reach", workflows.MethodSequential, 20, "", purchase, nil, map[string]map[string]stats.Arm{
			"purchase": {"control": prop(3000, 300), "treatment": prop(3000, 303)}}},
		{"verdict-shipped", workflows.MethodSequential, 22, workflows.StateShipped, purchase, nil, map[string]map[string]stats.Arm{
			"purchase": {"control": prop(20000, 2000), "treatment": prop(20000, 2400)}}},
	}
	renderer, err := render.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := workflows.Experiment{Key: "one-click", Name: "One-click checkout", Team: "checkout", Owner: "U0ENG1", Method: tc.method,
				Alpha: 0.05, MinDays: 7, PlannedDays: 14, TargetMDE: 0.05, PrimaryMetrics: []string{tc.primary.Key},
				Variants: []workflows.Variant{{Key: "control", Weight: 1}, {Key: "treatment", Weight: 1}},
				State:    workflows.StateRunning, StartedAt: start, EndsAt: start.AddDate(0, 0, 14)}
			if tc.state != "" {
				e.State, e.Winner, e.DecidedAt = tc.state, "treatment", start.AddDate(0, 0, tc.day-1)
			}
			metrics := map[string]workflows.Metric{tc.primary.Key: tc.primary}
			if g := tc.guardrail; g != nil {
				e.GuardrailMetrics, metrics[g.Key] = []string{g.Key}, *g
			}
			agg := workflows.Aggregate{Experiment: e.Key, Arms: tc.arms, Units: map[string]int64{
				"control": int64(tc.arms[tc.primary.Key]["control"].N), "treatment": int64(tc.arms[tc.primary.Key]["treatment"].N)}}
			sc := workflows.Analyze(agg, workflows.AnalyzeInput{Experiment: e, Metrics: metrics, Framework: framework,
				Now: start.Add(time.Duration(tc.day)*24*time.Hour - time.Hour)})
			msg, err := renderer.RenderContent(workflows.ScorecardMessage{Scorecard: sc, Team: workflows.Team{Key: "checkout", Name: "Checkout"}, Buttons: true})
			if err != nil {
				t.Fatal(err)
			}
			text, _ := render.PlainText(msg.Text, msg.Blocks)
			golden.Check(t, tc.name, msg, text)
		})
	}
}
