package stats_test

import (
	"math"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

func TestTrendForecast(t *testing.T) {
	xs := []float64{-6, -5, -4, -3, -2, -1}
	opts := stats.TrendOptions{Level: 0.99, MinScale: 1}
	tests := []struct {
		name      string
		xs, ys    []float64
		opts      stats.TrendOptions
		ok        bool
		predicted float64
	}{
		{"a line predicts its next point", xs, []float64{10, 12, 14, 16, 18, 20}, opts, true, 22},
		{"one outlier does not tilt it", xs, []float64{10, 12, 14, 90, 18, 20}, opts, true, 22},
		{"growth doubles", xs, []float64{1, 2, 4, 8, 16, 32}, stats.TrendOptions{Level: 0.99, Growth: true}, true, 64},
		{"growth with a zero falls back to a line", xs, []float64{0, 2, 4, 6, 8, 10}, stats.TrendOptions{Level: 0.99, Growth: true, MinScale: 1}, true, 12},
		{"two points are too few", xs[:2], []float64{1, 2}, opts, false, 0},
		{"NaN", xs, []float64{1, 2, math.NaN(), 4, 5, 6}, opts, false, 0},
		{"no level", xs, []float64{1, 2, 3, 4, 5, 6}, stats.TrendOptions{}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := stats.TrendForecast(tt.xs, tt.ys, 0, tt.opts)
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if math.Abs(f.Predicted-tt.predicted) > 1e-9 || !f.Contains(tt.predicted) || f.Low >= f.High {
				t.Errorf("forecast %+v, want %v inside", f, tt.predicted)
			}
		})
	}
}
