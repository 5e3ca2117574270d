package workflows_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// judge runs the anomaly rule on a series whose last value is the judged
// month and the others are the months before it, oldest first.
func judge(def workflows.KPIDef, series []float64) (workflows.Anomaly, bool) {
	prior := series[:len(series)-1]
	months := make([]int, len(prior))
	for i := range prior {
		months[i] = i - len(prior)
	}
	return workflows.TrendAnomaly(def, months, prior, series[len(series)-1])
}

// shape builds 13 months (12 before the judged one, then it) from f(i).
func shape(f func(i int) float64) []float64 {
	out := make([]float64, 13)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func TestAnomalyShapes(t *testing.T) {
	tickets := workflows.KPIDefinition(workflows.KPISupportTickets)
	retention := workflows.KPIDefinition(workflows.KPIRetention)
	// wobble is a fixed, small irregularity (±2 %), so that the series are
	// not perfect lines.
	wobble := []float64{0.01, -0.02, 0.015, 0, -0.01, 0.02, -0.015, 0.005, -0.005, 0.01, -0.02, 0.015, 0}
	tests := []struct {
		name   string
		def    workflows.KPIDef
		series []float64
		judged bool // enough history to judge
		breaks bool
		above  bool
	}{
		{"steady linear growth", tickets, shape(func(i int) float64 { return (200 + 10*float64(i)) * (1 + wobble[i]) }), true, false, false},
		{"steady 8% monthly growth", tickets, shape(func(i int) float64 { return 1000 * math.Pow(1.08, float64(i)) * (1 + wobble[i]) }), true, false, false},
		{"perfectly flat", tickets, shape(func(int) float64 { return 500 }), true, false, false},
		{"steady decline", tickets, shape(func(i int) float64 { return (900 - 20*float64(i)) * (1 + wobble[i]) }), true, false, false},
		{"seasonal swing ±15% on growth", tickets, shape(func(i int) float64 {
			return (300 + 5*float64(i)) * (1 + 0.15*math.Sin(2*math.Pi*float64(i)/12))
		}), true, false, false},
		{"spike in the last month", tickets, append(shape(func(i int) float64 { return (200 + 10*float64(i)) * (1 + wobble[i]) })[:12], 667), true, true, true},
		{"step down in the last month", tickets, append(shape(func(i int) float64 { return 1000 * (1 + wobble[i]) })[:12], 700), true, true, false},
		{"spike on a seasonal series", tickets, append(shape(func(i int) float64 {
			return 300 * (1 + 0.15*math.Sin(2*math.Pi*float64(i)/12))
		})[:12], 700), true, true, true},
		{"one odd month earlier does not hide a break", tickets, []float64{300, 305, 310, 900, 320, 325, 330, 335, 340, 345, 350, 355, 700}, true, true, true},
		{"one odd month earlier is not a trend", tickets, []float64{300, 305, 310, 900, 320, 325, 330, 335, 340, 345, 350, 355, 360}, true, false, false},
		{"retention steady", retention, shape(func(i int) float64 { return 0.62 + 0.003*wobble[i]*100 }), true, false, false},
		{"retention drops 8 points", retention, append(shape(func(i int) float64 { return 0.62 + 0.003*wobble[i]*100 })[:12], 0.54), true, true, false},
		{"short history: 5 months", tickets, []float64{100, 110, 120, 130, 140, 900}, false, false, false},
		{"6 months is enough", tickets, []float64{100, 110, 120, 130, 140, 150, 900}, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := judge(tt.def, tt.series)
			if ok != tt.judged {
				t.Fatalf("judged %v, want %v", ok, tt.judged)
			}
			if !ok {
				return
			}
			if a.Breaks() != tt.breaks || (tt.breaks && a.Above() != tt.above) {
				t.Errorf("%v: expected %.4g in [%.4g, %.4g]: breaks %v (above %v), want %v (above %v)",
					tt.series[len(tt.series)-1], a.Expected, a.Low, a.High, a.Breaks(), a.Above(), tt.breaks, tt.above)
			}
		})
	}
}

// anomalyRates measures the rule on simulated KPIs: the false-alarm rate
// on trend-following months (growth, decline, seasonality, each with
// multiplicative noise), and the detection rate of a jump of each size in
// the judged month.
type anomalyRate struct {
	name   string
	noise  float64 // month-to-month noise, relative
	jump   float64 // relative change of the judged month; 0 for none
	season float64 // seasonal amplitude, relative
	growth float64 // monthly growth rate
}

func simulateAnomalies(r anomalyRate, runs int, rng *rand.Rand) float64 {
	def := workflows.KPIDefinition(workflows.KPISupportTickets)
	flagged := 0
	for range runs {
		phase := rng.Float64() * 2 * math.Pi
		series := shape(func(i int) float64 {
			level := 1000 * math.Pow(1+r.growth, float64(i)) * (1 + r.season*math.Sin(phase+2*math.Pi*float64(i)/12))
			return level * math.Exp(r.noise*rng.NormFloat64())
		})
		series[12] *= 1 + r.jump
		if a, ok := judge(def, series); ok && a.Breaks() {
			flagged++
		}
	}
	return float64(flagged) / float64(runs)
}

// TestAnomalyRates prints the false-alarm and detection figures the README
// quotes (go test ./workflows -run TestAnomalyRates -v) and holds the rule
// to them.
func TestAnomalyRates(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 2026))
	const runs = 2000
	for _, tt := range []struct {
		anomalyRate
		atMost, atLeast float64
	}{
		{anomalyRate{name: "false alarms: flat, 5% noise", noise: 0.05}, 0.03, 0},
		{anomalyRate{name: "false alarms: +5%/month growth, 5% noise", noise: 0.05, growth: 0.05}, 0.03, 0},
		{anomalyRate{name: "false alarms: -3%/month decline, 5% noise", noise: 0.05, growth: -0.03}, 0.03, 0},
		{anomalyRate{name: "false alarms: +3%/month growth, 1% noise", noise: 0.01, growth: 0.03}, 0.03, 0},
		{anomalyRate{name: "false alarms: ±10% seasonality, +2%/month, 3% noise", noise: 0.03, growth: 0.02, season: 0.10}, 0.10, 0},
		{anomalyRate{name: "detected: +25% jump, 5% noise", noise: 0.05, growth: 0.05, jump: 0.25}, 1, 0.6},
		{anomalyRate{name: "detected: +50% jump, 5% noise", noise: 0.05, growth: 0.05, jump: 0.5}, 1, 0.85},
		{anomalyRate{name: "detected: +100% jump, 5% noise", noise: 0.05, growth: 0.05, jump: 1}, 1, 0.99},
		{anomalyRate{name: "detected: -30% drop, 5% noise", noise: 0.05, growth: 0.05, jump: -0.3}, 1, 0.85},
		{anomalyRate{name: "detected: +25% jump, 1% noise", noise: 0.01, growth: 0.03, jump: 0.25}, 1, 0.99},
	} {
		rate := simulateAnomalies(tt.anomalyRate, runs, rng)
		t.Logf("%-55s %5.1f%%", tt.name, rate*100)
		if rate > tt.atMost || rate < tt.atLeast {
			t.Errorf("%s: %.1f%%, want within [%.0f%%, %.0f%%]", tt.name, rate*100, tt.atLeast*100, tt.atMost*100)
		}
	}
}

// TestSteadyGrowthReviewFlagsNothing is the first "done when" at
// the service: twelve months of steady growth in every KPI, then the same
// with a spike in support tickets.
func TestSteadyGrowthReviewFlagsNothing(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	for _, spike := range []bool{false, true} {
		env := newReviewEnv(t, now, team("checkout", "UTC"))
		env.kpis("checkout", steadyKPIs(spike), "2025-10")
		rv, err := env.svc.Review(context.Background(), "checkout", "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !spike && len(rv.Anomalies) != 0:
			t.Errorf("steady growth flagged: %+v", rv.Anomalies)
		case spike && (len(rv.Anomalies) != 1 || rv.Anomalies[0].Name != workflows.KPISupportTickets):
			t.Errorf("spike: anomalies %+v, want support tickets alone", rv.Anomalies)
		}
		if rv.Baselines < 8 {
			t.Errorf("only %d KPIs judged", rv.Baselines)
		}
	}
}

// steadyKPIs is 13 months (Oct 2025 - Oct 2026) of steadily growing KPIs,
// with a doubled support-ticket count in the last month when spike.
func steadyKPIs(spike bool) map[string][]float64 {
	wobble := []float64{0.01, -0.02, 0.015, 0, -0.01, 0.02, -0.015, 0.005, -0.005, 0.01, -0.02, 0.015, 0.005}
	grow := func(start, rate float64) []float64 {
		return shape(func(i int) float64 { return math.Round(start * math.Pow(1+rate, float64(i)) * (1 + wobble[i])) })
	}
	kpis := map[string][]float64{
		"mrr":              grow(100000, 0.06),
		"new_mrr":          grow(8000, 0.05),
		"churned_mrr":      grow(2000, 0.05),
		"paying_customers": grow(400, 0.04),
		"active_users":     grow(5000, 0.05),
		"new_users":        grow(900, 0.05),
		"support_tickets":  grow(200, 0.04),
		"nps":              shape(func(i int) float64 { return 30 + 0.5*float64(i) + 2*wobble[i]*50 }),
		"retention":        shape(func(i int) float64 { return 0.60 + 0.002*float64(i) + wobble[i]/5 }),
	}
	if spike {
		kpis["support_tickets"][12] *= 2.1
	}
	return kpis
}
