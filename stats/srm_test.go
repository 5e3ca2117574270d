package stats_test

import (
	"testing"

	"github.com/growthbot/growthbot/stats"
)

func TestSRM(t *testing.T) {
	p := func(counts, weights []float64) float64 {
		t.Helper()
		v, err := stats.SRM(counts, weights)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	base := p([]float64{1000, 1100}, []float64{1, 1})
	if base <= 0 || base >= 0.05 {
		t.Fatalf("1000 vs 1100 on a 50/50 split: p = %v, want a mismatch", base)
	}
	tests := []struct {
		name            string
		counts, weights []float64
		want            float64
	}{
		{"weights need not sum to 1", []float64{1000, 1100}, []float64{50, 50}, base},
		{"a zero-weight variant adds nothing", []float64{1000, 5000, 1100}, []float64{1, 0, 1}, base},
		{"a negative weight counts as zero", []float64{1000, 1100, 7}, []float64{1, 1, -1}, base},
		{"no units at all", []float64{0, 0, 0}, []float64{1, 1, 1}, 1},
		{"one variant meant to get units", []float64{10, 5000}, []float64{1, 0}, 1},
		{"exactly the planned split", []float64{300, 100}, []float64{3, 1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p(tc.counts, tc.weights); relErr(got, tc.want) > 1e-12 {
				t.Errorf("p = %v, want %v", got, tc.want)
			}
		})
	}
}
