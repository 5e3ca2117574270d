package stats_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

func TestSignificant(t *testing.T) {
	fixed := stats.Options{Method: stats.MethodFixed, Alpha: 0.05}
	sequential := stats.Options{Method: stats.MethodSequential, Alpha: 0.05}
	bayesian := stats.Options{Method: stats.MethodBayesian, Alpha: 0.05}
	tests := []struct {
		name string
		r    stats.Result
		o    stats.Options
		want bool
	}{
		{"fixed below alpha", stats.Result{SE: 1, PValue: 0.049}, fixed, true},
		{"fixed at alpha", stats.Result{SE: 1, PValue: 0.05}, fixed, false},
		{"sequential below alpha", stats.Result{SE: 1, PValue: 0.01}, sequential, true},
		{"sequential above alpha", stats.Result{SE: 1, PValue: 0.2}, sequential, false},
		{"bayesian likely better", stats.Result{SE: 1, ChanceToWin: 0.95}, bayesian, true},
		{"bayesian not sure enough", stats.Result{SE: 1, ChanceToWin: 0.949}, bayesian, false},
		{"bayesian likely worse", stats.Result{SE: 1, ChanceToWin: 0.05}, bayesian, true},
		{"bayesian undecided", stats.Result{SE: 1, ChanceToWin: 0.5}, bayesian, false},
		{"bayesian stricter alpha", stats.Result{SE: 1, ChanceToWin: 0.98}, stats.Options{Method: stats.MethodBayesian, Alpha: 0.01}, false},
		{"zero result, fixed", stats.Result{}, fixed, false},
		{"zero result, bayesian", stats.Result{}, bayesian, false},
		{"unknown method", stats.Result{SE: 1, PValue: 0.001}, stats.Options{Method: "other", Alpha: 0.05}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Significant(tc.o); got != tc.want {
				t.Errorf("Significant = %v, want %v", got, tc.want)
			}
		})
	}
}

// For the fixed and sequential methods the interval and the p-value are
// dual: p < alpha exactly when the interval excludes 0.
func TestSignificantMatchesInterval(t *testing.T) {
	_, cases := loadCases(t)
	checked := 0
	for _, c := range cases {
		if c.Kind != "compare" || wantsError(c) {
			continue
		}
		var in refCompare
		if err := json.Unmarshal(c.Input, &in); err != nil {
			t.Fatal(err)
		}
		if in.Method == "bayesian" {
			continue
		}
		o := in.options()
		r, err := stats.Compare(in.Control.arm(), in.Treatment.arm(), o)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		excludesZero := r.CILow > 0 || r.CIHigh < 0
		if r.Significant(o) != excludesZero {
			t.Errorf("%s: significant %v, interval [%v, %v], p = %v", c.ID, r.Significant(o), r.CILow, r.CIHigh, r.PValue)
		}
		checked++
	}
	if checked < 50 {
		t.Fatalf("only %d cases checked", checked)
	}
}

// The means reported for display reproduce the estimate, for every metric
// type (for CUPED by construction of TreatmentMean).
func TestResultMeansReproduceEstimate(t *testing.T) {
	for _, c := range powerConfigs() {
		if c.o.Method == stats.MethodBayesian {
			continue // a flat prior would do, but configs carry none anyway
		}
		t.Run(c.name, func(t *testing.T) {
			r, err := stats.Compare(c.control, c.treatment, c.o)
			if err != nil {
				t.Fatal(err)
			}
			want := r.TreatmentMean - r.ControlMean
			if c.o.Difference == stats.DifferenceRelative {
				want /= math.Abs(r.ControlMean)
			}
			if math.Abs(r.Estimate-want) > 1e-12*(1+math.Abs(want)) {
				t.Errorf("estimate %v, means give %v", r.Estimate, want)
			}
		})
	}
}

// CUPED without a pre-exposure signal has nothing to adjust with: it is
// the plain mean.
func TestCUPEDWithoutPreIsMean(t *testing.T) {
	control, treatment := meanArm(3407, 1396.87, 52377.9767), meanArm(3461, 2422.7, 134698.29)
	asCUPED := func(a stats.Arm) stats.Arm {
		return stats.Arm{N: a.N, Post: stats.Moments{Sum: a.Sum, SumSquares: a.SumSquares}}
	}
	for _, d := range []stats.Difference{stats.DifferenceRelative, stats.DifferenceAbsolute} {
		o := stats.Options{Metric: stats.MetricMean, Difference: d, Method: stats.MethodFixed, Alpha: 0.05}
		want, err := stats.Compare(control, treatment, o)
		if err != nil {
			t.Fatal(err)
		}
		o.Metric = stats.MetricCUPED
		got, err := stats.Compare(asCUPED(control), asCUPED(treatment), o)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: CUPED %+v, mean %+v", d, got, want)
		}
	}
}

// Swapping the arms negates an absolute difference and keeps its p-value.
func TestCompareSwapArms(t *testing.T) {
	a, b := meanArm(500, 2600, 15000), meanArm(450, 2250, 12500)
	for _, m := range []stats.Method{stats.MethodFixed, stats.MethodSequential, stats.MethodBayesian} {
		o := stats.Options{Metric: stats.MetricMean, Difference: stats.DifferenceAbsolute, Method: m, Alpha: 0.05}
		ab, err := stats.Compare(a, b, o)
		if err != nil {
			t.Fatal(err)
		}
		ba, err := stats.Compare(b, a, o)
		if err != nil {
			t.Fatal(err)
		}
		if ab.Estimate != -ba.Estimate || ab.SE != ba.SE || ab.PValue != ba.PValue || ab.RiskControl != ba.RiskTreatment ||
			(m == stats.MethodBayesian && math.Abs(ab.ChanceToWin-(1-ba.ChanceToWin)) > 1e-15) {
			t.Errorf("%s: %+v swapped gives %+v", m, ab, ba)
		}
	}
}

// A proper prior pulls the estimate towards its mean and narrows the
// interval; a very wide one changes nothing that matters.
func TestBayesianPrior(t *testing.T) {
	control, treatment := proportionArm(123, 21), proportionArm(121, 23)
	o := stats.Options{Metric: stats.MetricProportion, Difference: stats.DifferenceRelative, Method: stats.MethodBayesian, Alpha: 0.05}
	flat, err := stats.Compare(control, treatment, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Prior = &stats.Prior{Mean: 0, StdDev: 0.1}
	tight, err := stats.Compare(control, treatment, o)
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(tight.Estimate) < math.Abs(flat.Estimate) && tight.SE < flat.SE) {
		t.Errorf("prior N(0, 0.1²): %+v, flat: %+v", tight, flat)
	}
	o.Prior = &stats.Prior{Mean: 0, StdDev: 1e6}
	wide, err := stats.Compare(control, treatment, o)
	if err != nil {
		t.Fatal(err)
	}
	if relErr(wide.Estimate, flat.Estimate) > 1e-9 || relErr(wide.SE, flat.SE) > 1e-9 {
		t.Errorf("prior N(0, 1e12): %+v, flat: %+v", wide, flat)
	}
	if flat.TreatmentMean != tight.TreatmentMean {
		t.Errorf("the prior moved the displayed means")
	}
}

func ExampleCompare() {
	// 10.0% of 50,000 control users converted, 10.6% of 50,000 treated ones.
	control := stats.Arm{N: 50000, Sum: 5000}
	treatment := stats.Arm{N: 50000, Sum: 5300}
	for _, method := range []stats.Method{stats.MethodFixed, stats.MethodSequential} {
		o := stats.Options{
			Metric:     stats.MetricProportion,
			Difference: stats.DifferenceRelative,
			Method:     method,
			Alpha:      0.05,
		}
		r, err := stats.Compare(control, treatment, o)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-10s lift %+.1f%% [%+.1f%%, %+.1f%%], p = %.4f, significant: %v\n",
			method, 100*r.Estimate, 100*r.CILow, 100*r.CIHigh, r.PValue, r.Significant(o))
	}

	// An arm with a single user is not an experiment yet.
	_, err := stats.Compare(stats.Arm{N: 1, Sum: 1}, treatment, stats.Options{
		Metric: stats.MetricProportion, Difference: stats.DifferenceRelative, Method: stats.MethodFixed, Alpha: 0.05,
	})
	fmt.Println(err, errors.Is(err, stats.ErrDegenerate))
	// Output:
	// fixed      lift +6.0% [+2.1%, +9.9%], p = 0.0024, significant: true
	// sequential lift +6.0% [-0.6%, +12.6%], p = 0.1315, significant: false
	// control arm: n = 1, need at least 2 units true
}
