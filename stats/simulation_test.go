package stats_test

import (
	"math/rand/v2"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

// TestAAPeeking simulates A/A experiments (no true effect) checked every
// day, the way scorecards are read. Declaring a winner the first day a
// fixed-horizon test is significant inflates false positives far beyond
// alpha; the sequential method's confidence sequences are built to keep
// the share of experiments ever declared significant at or below alpha.
//
// Each arm gets 200 new units a day for 14 days (5,600 units in all at the
// end). N* is GrowthBook's default, 5,000, close to that final sample,
// where the sequence is tightest; any N* keeps the guarantee, it only
// moves where the power is spent.
func TestAAPeeking(t *testing.T) {
	const (
		experiments = 2000
		days        = 14
		perDay      = 200
		alpha       = 0.05
	)
	tests := []struct {
		name   string
		metric stats.MetricType
		// addUnit adds one unit's value to an arm's sufficient statistics.
		addUnit func(rng *rand.Rand, a *stats.Arm)
	}{
		{"mean of normal values", stats.MetricMean, func(rng *rand.Rand, a *stats.Arm) {
			x := 10 + 3*rng.NormFloat64()
			a.Sum += x
			a.SumSquares += x * x
		}},
		{"proportion converting at 5%", stats.MetricProportion, func(rng *rand.Rand, a *stats.Arm) {
			if rng.Float64() < 0.05 {
				a.Sum++
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(20240601, 7))
			fixed := stats.Options{Metric: tc.metric, Difference: stats.DifferenceRelative, Method: stats.MethodFixed, Alpha: alpha}
			sequential := fixed
			sequential.Method, sequential.SequentialTuning = stats.MethodSequential, 5000

			var everFixed, everSequential, lastDayFixed int
			for range experiments {
				var control, treatment stats.Arm
				var fixedHit, sequentialHit bool
				for day := range days {
					for _, a := range []*stats.Arm{&control, &treatment} {
						for range perDay {
							tc.addUnit(rng, a)
						}
						a.N += perDay
					}
					rf, err := stats.Compare(control, treatment, fixed)
					if err != nil {
						t.Fatal(err)
					}
					rs, err := stats.Compare(control, treatment, sequential)
					if err != nil {
						t.Fatal(err)
					}
					fixedHit = fixedHit || rf.Significant(fixed)
					sequentialHit = sequentialHit || rs.Significant(sequential)
					if day == days-1 && rf.Significant(fixed) {
						lastDayFixed++
					}
				}
				if fixedHit {
					everFixed++
				}
				if sequentialHit {
					everSequential++
				}
			}
			shareFixed := float64(everFixed) / experiments
			shareSequential := float64(everSequential) / experiments
			shareOnce := float64(lastDayFixed) / experiments
			t.Logf("ever significant over %d daily looks: fixed %.4f, sequential %.4f; fixed looked at once: %.4f",
				days, shareFixed, shareSequential, shareOnce)

			// Looked at once, the fixed test is calibrated: this checks the
			// simulation itself (binomial sd at 2,000 experiments ≈ 0.005).
			if shareOnce < 0.035 || shareOnce > 0.065 {
				t.Errorf("fixed test at day %d alone: %.4f significant, want about %v", days, shareOnce, alpha)
			}
			if shareSequential > alpha+0.01 {
				t.Errorf("sequential: %.4f ever significant, want at most %v", shareSequential, alpha+0.01)
			}
			if shareFixed <= 0.12 {
				t.Errorf("fixed with peeking: %.4f ever significant, want well above alpha (> 0.12)", shareFixed)
			}
		})
	}
}
