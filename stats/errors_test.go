package stats_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

func meanArm(n, sum, sumSquares float64) stats.Arm {
	return stats.Arm{N: n, Sum: sum, SumSquares: sumSquares}
}

func proportionArm(n, converted float64) stats.Arm {
	return stats.Arm{N: n, Sum: converted}
}

// baseOptions are the options the error cases start from.
func baseOptions() stats.Options {
	return stats.Options{
		Metric:     stats.MetricMean,
		Difference: stats.DifferenceRelative,
		Method:     stats.MethodFixed,
		Alpha:      0.05,
	}
}

// expectError checks that err says what is wrong and is of the right kind.
func expectError(t *testing.T, err error, kind error, substring string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", substring)
	}
	if !strings.Contains(err.Error(), substring) {
		t.Errorf("error %q, want it to contain %q", err, substring)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not %v", err, kind)
	}
	var ie *stats.InputError
	if !errors.As(err, &ie) {
		t.Errorf("error %q is a %T, want *stats.InputError", err, err)
	}
}

func TestCompareErrors(t *testing.T) {
	good := meanArm(100, 520, 3000)
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name               string
		control, treatment stats.Arm
		options            func(*stats.Options)
		kind               error
		want               string
	}{
		{"one unit", meanArm(1, 5, 25), good, nil, stats.ErrDegenerate, "control arm: n = 1, need at least 2 units"},
		{"empty treatment", good, meanArm(0, 0, 0), nil, stats.ErrDegenerate, "treatment arm: n = 0, need at least 2 units"},
		{"negative n", meanArm(-5, 0, 0), good, nil, stats.ErrInvalid, "control arm: n = -5, cannot be negative"},
		{"NaN sum", meanArm(100, nan, 3000), good, nil, stats.ErrInvalid, "control arm: sum is NaN"},
		{"infinite sum of squares", good, meanArm(100, 520, inf), nil, stats.ErrInvalid, "treatment arm: sum_squares is +Inf"},
		{"NaN in a field the metric does not use", good, stats.Arm{N: 100, Sum: 5, SumSquares: 30, Post: stats.Moments{Sum: nan}}, nil, stats.ErrInvalid, "treatment arm: post.sum is NaN"},
		{"zero variance in both arms", meanArm(100, 500, 2500), meanArm(100, 500, 2500), nil, stats.ErrDegenerate, "neither arm varies"},
		{"constant non-integer values in both arms", constantArm(100, 0.1), constantArm(50, 0.3), nil, stats.ErrDegenerate, "neither arm varies"},
		{"sum of squares too small", meanArm(100, 500, 2000), good, nil, stats.ErrInvalid, "sum_squares = 2000 is less than sum²/n = 2500"},
		{"negative sum of squares", good, meanArm(100, 5, -1), nil, stats.ErrInvalid, "treatment arm: sum_squares = -1, cannot be negative"},
		{"more conversions than units", proportionArm(100, 101), proportionArm(100, 5), metric(stats.MetricProportion), stats.ErrInvalid, "control arm: sum = 101 converted units is more than n = 100 units"},
		{"negative conversions", proportionArm(100, 5), proportionArm(100, -1), metric(stats.MetricProportion), stats.ErrInvalid, "treatment arm: sum = -1 converted units, cannot be negative"},
		{"everyone converted in both arms", proportionArm(100, 100), proportionArm(80, 80), metric(stats.MetricProportion), stats.ErrDegenerate, "neither arm varies"},
		{"nobody converted in control", proportionArm(100, 0), proportionArm(100, 3), metric(stats.MetricProportion), stats.ErrDegenerate, "control mean is 0, so a relative difference is undefined"},
		{"zero control mean", meanArm(100, 0, 50), good, nil, stats.ErrDegenerate, "control mean is 0, so a relative difference is undefined"},
		{"ratio denominator zero", ratioArm(100, 50, 40, 0, 10, 5), ratioArm(100, 50, 40, 20, 10, 5), metric(stats.MetricRatio), stats.ErrDegenerate, "control arm: denominator sums to 0"},
		// Numerator = 2 × denominator for every unit: the ratio is exactly 2.
		{"ratio without variance", ratioArm(100, 100, 200, 50, 50, 100), ratioArm(100, 100, 200, 50, 50, 100), metric(stats.MetricRatio), stats.ErrDegenerate, "neither arm varies"},
		// post = pre for every unit: theta is 1 and nothing is left.
		{"CUPED nothing left after adjustment", cupedArm(100, 500, 2600, 500, 2600, 2600), cupedArm(100, 520, 2800, 520, 2800, 2800), metric(stats.MetricCUPED), stats.ErrDegenerate, "neither arm varies"},
		{"alpha zero", good, good, func(o *stats.Options) { o.Alpha = 0 }, stats.ErrInvalid, "alpha = 0, need a number strictly between 0 and 1"},
		{"alpha one", good, good, func(o *stats.Options) { o.Alpha = 1 }, stats.ErrInvalid, "alpha = 1"},
		{"alpha NaN", good, good, func(o *stats.Options) { o.Alpha = nan }, stats.ErrInvalid, "alpha = NaN"},
		{"unknown metric type", good, good, metric("median"), stats.ErrInvalid, `metric type "median" is not one of mean, proportion, ratio, cuped`},
		{"unknown method", good, good, func(o *stats.Options) { o.Method = "frequentist" }, stats.ErrInvalid, `method "frequentist" is not one of fixed, sequential, bayesian`},
		{"missing difference", good, good, func(o *stats.Options) { o.Difference = "" }, stats.ErrInvalid, `difference "" is not one of relative, absolute`},
		{"negative tuning", good, good, func(o *stats.Options) { o.Method, o.SequentialTuning = stats.MethodSequential, -1 }, stats.ErrInvalid, "sequential tuning N* = -1"},
		{"tuning below one unit", good, good, func(o *stats.Options) { o.Method, o.SequentialTuning = stats.MethodSequential, 1e-300 }, stats.ErrInvalid, "sequential tuning N* = 1e-300, need a number of units >= 1"},
		{"prior without spread", good, good, func(o *stats.Options) {
			o.Method, o.Prior = stats.MethodBayesian, &stats.Prior{Mean: 0, StdDev: 0}
		}, stats.ErrInvalid, "prior standard deviation is 0"},
		{"prior on an absolute difference from a zero control mean", meanArm(100, 0, 50), good, func(o *stats.Options) {
			o.Method, o.Difference, o.Prior = stats.MethodBayesian, stats.DifferenceAbsolute, &stats.Prior{Mean: 0, StdDev: 0.3}
		}, stats.ErrDegenerate, "control mean is 0, so the prior on the relative effect cannot be scaled"},
		{"overflowing sums", meanArm(100, 1e200, 1e300), good, nil, stats.ErrInvalid, "control arm: sum and sum_squares are too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions()
			if tc.options != nil {
				tc.options(&o)
			}
			r, err := stats.Compare(tc.control, tc.treatment, o)
			expectError(t, err, tc.kind, tc.want)
			if r != (stats.Result{}) {
				t.Errorf("result %+v alongside an error, want the zero Result", r)
			}
		})
	}
}

// A zero control mean only rules out the relative difference.
func TestCompareAbsoluteFromZeroControlMean(t *testing.T) {
	o := baseOptions()
	o.Difference = stats.DifferenceAbsolute
	r, err := stats.Compare(meanArm(100, 0, 50), meanArm(100, 20, 60), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Estimate != 0.2 {
		t.Errorf("estimate %v, want 0.2", r.Estimate)
	}
}

func metric(m stats.MetricType) func(*stats.Options) {
	return func(o *stats.Options) { o.Metric = m }
}

func ratioArm(n, numSum, numSq, denSum, denSq, sumProducts float64) stats.Arm {
	return stats.Arm{N: n,
		Numerator:   stats.Moments{Sum: numSum, SumSquares: numSq},
		Denominator: stats.Moments{Sum: denSum, SumSquares: denSq},
		SumProducts: sumProducts}
}

func cupedArm(n, postSum, postSq, preSum, preSq, sumProducts float64) stats.Arm {
	return stats.Arm{N: n,
		Post:        stats.Moments{Sum: postSum, SumSquares: postSq},
		Pre:         stats.Moments{Sum: preSum, SumSquares: preSq},
		SumProducts: sumProducts}
}

func TestSRMErrors(t *testing.T) {
	tests := []struct {
		name            string
		counts, weights []float64
		want            string
	}{
		{"mismatched lengths", []float64{10, 20}, []float64{1, 1, 1}, "srm: 2 counts but 3 weights"},
		{"one variant", []float64{10}, []float64{1}, "srm: 1 variants, need at least 2"},
		{"empty", nil, nil, "srm: 0 variants, need at least 2"},
		{"negative count", []float64{10, -1}, []float64{1, 1}, "srm: count 2 is -1, need a non-negative number"},
		{"NaN count", []float64{math.NaN(), 1}, []float64{1, 1}, "srm: count 1 is NaN"},
		{"infinite weight", []float64{10, 10}, []float64{1, math.Inf(1)}, "srm: weight 2 is +Inf"},
		{"no positive weight", []float64{10, 10}, []float64{0, -1}, "srm: no variant has a positive weight"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stats.SRM(tc.counts, tc.weights)
			expectError(t, err, stats.ErrInvalid, tc.want)
		})
	}
}

func TestAdjustErrors(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		pValues []float64
		want    string
	}{
		{"unknown method", "bonferroni", []float64{0.1}, `adjust: method "bonferroni" is not one of holm, bh`},
		{"empty", "bh", nil, "adjust: no p-values"},
		{"above one", "holm", []float64{0.1, 1.5}, "adjust: p-value 2 is 1.5, need a number in [0, 1]"},
		{"negative", "bh", []float64{-0.1}, "adjust: p-value 1 is -0.1"},
		{"NaN", "bh", []float64{0.2, math.NaN()}, "adjust: p-value 2 is NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stats.Adjust(tc.method, tc.pValues)
			expectError(t, err, stats.ErrInvalid, tc.want)
		})
	}
}

func TestPowerErrors(t *testing.T) {
	c, tr := proportionArm(1000, 100), proportionArm(1000, 110)
	o := baseOptions()
	o.Metric = stats.MetricProportion
	withPower := func(p float64) stats.Options { o := o; o.Power = p; return o }
	tests := []struct {
		name string
		call func() error
		kind error
		want string
	}{
		{"power one", func() error { _, err := stats.MDE(c, tr, withPower(1)); return err }, stats.ErrInvalid, "power = 1, need a number strictly between 0 and 1"},
		{"power negative", func() error { _, err := stats.MDE(c, tr, withPower(-0.2)); return err }, stats.ErrInvalid, "power = -0.2"},
		{"power below alpha", func() error { _, err := stats.MDE(c, tr, withPower(0.01)); return err }, stats.ErrInvalid, "power = 0.01 is not above the false-positive rate 0.05"},
		{"effect NaN", func() error { _, err := stats.Power(c, tr, math.NaN(), o); return err }, stats.ErrInvalid, "effect is NaN"},
		{"no units per day", func() error { _, err := stats.DaysToMDE(c, tr, 0, 0.05, o); return err }, stats.ErrInvalid, "units per day = 0, need a positive number"},
		{"target zero", func() error { _, err := stats.DaysToMDE(c, tr, 100, 0, o); return err }, stats.ErrInvalid, "target MDE = 0, need a positive number"},
		{"degenerate arm", func() error { _, err := stats.MDE(proportionArm(1, 0), tr, o); return err }, stats.ErrDegenerate, "control arm: n = 1, need at least 2 units"},
		{"bad alpha", func() error { o := o; o.Alpha = 2; _, err := stats.Power(c, tr, 0.1, o); return err }, stats.ErrInvalid, "alpha = 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, tc.call(), tc.kind, tc.want)
		})
	}
}

// constantArm sums n units of value v one by one, as a database would,
// rounding included.
func constantArm(n int, v float64) stats.Arm {
	a := stats.Arm{N: float64(n)}
	for range n {
		a.Sum += v
		a.SumSquares += v * v
	}
	return a
}
