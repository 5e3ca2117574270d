package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Forecast is what a series' own trend predicts for its next point, with
// a prediction interval: a new point outside [Low, High] breaks from the
// trend.
type Forecast struct {
	Predicted float64
	Low, High float64
	// Growth is set when the trend is a constant growth rate (a line
	// through the logarithms) rather than a constant increment.
	Growth bool
	// N is how many points the trend was fitted to.
	N int
}

// Contains reports whether y is inside the prediction interval.
func (f Forecast) Contains(y float64) bool { return y >= f.Low && y <= f.High }

// TrendOptions tune TrendForecast.
type TrendOptions struct {
	// Level is the prediction interval's coverage, like 0.99.
	Level float64
	// MinScale is the least residual scale, in the series' units: a series
	// that has been a perfect line so far still has some noise ahead.
	MinScale float64
	// MinRelScale is the least residual scale relative to the predicted
	// level (0.03 is 3 %), for series whose noise grows with them.
	MinRelScale float64
	// Growth fits a constant growth rate (a line through the logarithms)
	// when every value is positive: amounts that grow by a share of
	// themselves, with noise in proportion. Otherwise the trend is a
	// constant increment.
	Growth bool
}

// madScale turns a median absolute deviation into a standard deviation
// for normal noise.
const madScale = 1.4826

// TrendForecast fits a robust trend to ys, observed at xs (increasing),
// and predicts the value at x0 with a prediction interval. The trend is a
// Theil-Sen line (the median of pairwise slopes, the median intercept), so
// that one odd month neither tilts nor shifts it; the noise around it is
// the residuals' scaled median absolute deviation, floored by opts. With
// opts.Growth and every y positive, the line goes through the logarithms:
// a constant growth rate.
// It needs at least three points; ok is false otherwise or for
// non-finite input.
func TrendForecast(xs, ys []float64, x0 float64, opts TrendOptions) (f Forecast, ok bool) {
	n := len(xs)
	if n < 3 || len(ys) != n || !(opts.Level > 0 && opts.Level < 1) {
		return Forecast{}, false
	}
	positive := true
	for i := range n {
		if math.IsNaN(xs[i]) || math.IsInf(xs[i], 0) || math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) {
			return Forecast{}, false
		}
		positive = positive && ys[i] > 0
	}
	fit, growth := lineFit{}, opts.Growth && positive
	if growth {
		logs := make([]float64, n)
		for i, y := range ys {
			logs[i] = math.Log(y)
		}
		fit = fitLine(xs, logs, x0)
	} else {
		fit = fitLine(xs, ys, x0)
	}
	// Residuals of a line fitted to n points are smaller than the noise
	// by about sqrt((n-2)/n).
	sigma := madScale * fit.mad * math.Sqrt(float64(n)/float64(n-2))
	level := fit.pred
	if growth {
		level = math.Exp(fit.pred)
	}
	floor := max(opts.MinScale, opts.MinRelScale*math.Abs(level))
	if growth {
		// The floors are in the series' units; on the log scale a scale s
		// at level L is about s/L.
		floor = max(opts.MinRelScale, opts.MinScale/level)
	}
	sigma = max(sigma, floor)
	// The prediction interval of a line fitted to n points, with Student's
	// t for an estimated scale.
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(n)
	sxx := 0.0
	for _, x := range xs {
		sxx += (x - mean) * (x - mean)
	}
	se := sigma * math.Sqrt(1+1/float64(n)+(x0-mean)*(x0-mean)/sxx)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Quantile((1 + opts.Level) / 2)
	lo, hi := fit.pred-t*se, fit.pred+t*se
	if growth {
		return Forecast{Predicted: math.Exp(fit.pred), Low: math.Exp(lo), High: math.Exp(hi), Growth: true, N: n}, true
	}
	return Forecast{Predicted: fit.pred, Low: lo, High: hi, N: n}, true
}

type lineFit struct {
	pred float64 // the line at x0
	mad  float64 // median absolute residual
}

// fitLine is the Theil-Sen line through (xs, ys), evaluated at x0.
func fitLine(xs, ys []float64, x0 float64) lineFit {
	n := len(xs)
	slopes := make([]float64, 0, n*(n-1)/2)
	for i := range n {
		for j := i + 1; j < n; j++ {
			if xs[j] != xs[i] {
				slopes = append(slopes, (ys[j]-ys[i])/(xs[j]-xs[i]))
			}
		}
	}
	slope := median(slopes)
	intercepts := make([]float64, n)
	for i := range n {
		intercepts[i] = ys[i] - slope*xs[i]
	}
	icpt := median(intercepts)
	res := make([]float64, n)
	for i := range n {
		res[i] = math.Abs(ys[i] - (icpt + slope*xs[i]))
	}
	return lineFit{pred: icpt + slope*x0, mad: median(res)}
}

// median returns the median of xs (0 for none); it sorts xs.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}
