//go:build load

package workflows_test

import (
	"math"
	"testing"

	"github.com/growthbot/growthbot/workflows"
)

// TestAASimulationLarge is TestAASimulation at 4,000 A/A experiments per
// metric and method, for the figures in README's Statistics section:
//
//	go test -tags load -run TestAASimulationLarge -v ./workflows
func TestAASimulationLarge(t *testing.T) {
	const experiments = 4000
	for _, m := range aaMetrics {
		for _, method := range []workflows.Method{workflows.MethodFixed, workflows.MethodSequential, workflows.MethodBayesian} {
			t.Run(m.metric.Key+"/"+string(method), func(t *testing.T) {
				o := simulateAA(t, method, m, experiments, 200, 20261202)
				p := o.share()
				se := math.Sqrt(p * (1 - p) / float64(o.experiments))
				t.Logf("%s, %s: %d of %d A/A experiments ever got ship or kill: %.2f %% (95 %% interval %.2f-%.2f %%)",
					m.metric.Key, method, o.decided, o.experiments, 100*p, 100*(p-1.96*se), 100*(p+1.96*se))
				if limit := 0.05 + 2*math.Sqrt(0.05*0.95/experiments); p > limit {
					t.Errorf("%.4f of A/A experiments got a ship or kill recommendation, want at most α (%.4f with simulation noise)", p, limit)
				}
			})
		}
	}
}
