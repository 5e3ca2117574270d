package stats_test

import (
	"math"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

func close(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1e-300, math.Abs(want)) || got == want
}

// Fisher's exact p-values from exact rational arithmetic (Python's
// fractions and math.comb over the hypergeometric distribution), and
// Newcombe's hybrid score intervals from his 1998 paper (Table II).
func TestCompareExact(t *testing.T) {
	tests := []struct {
		name               string
		control, treatment stats.Arm
		p                  float64
		low, high          float64 // 0, 0: not checked
	}{
		{"tea tasting", proportionArm(4, 1), proportionArm(4, 3), 0.4857142857142857, 0, 0},
		{"nobody converted in control", proportionArm(100, 0), proportionArm(100, 5), 0.059383210468586585, 0, 0},
		{"crash only in treatment", proportionArm(4019, 0), proportionArm(3981, 82), 9.164096467414774e-26, 0, 0},
		{"no purchases in treatment", proportionArm(3981, 399), proportionArm(4019, 0), 3.029639271872727e-126, 0, 0},
		{"500 of 5000 against 0", proportionArm(5000, 500), proportionArm(5000, 0), 1.2042866302272874e-156, 0, 0},
		{"0 of 5000 against 82", proportionArm(5000, 0), proportionArm(5000, 82), 2.9590642226497063e-25, 0, 0},
		{"few in both", proportionArm(40, 2), proportionArm(41, 9), 0.04804924570834056, 0, 0},
		{"equal", proportionArm(72, 3), proportionArm(74, 3), 1, 0, 0},
		{"Newcombe 9/10 - 3/10", proportionArm(10, 3), proportionArm(10, 9), 0.019766611097880447, 0.1705, 0.8090},
		{"Newcombe 5/56 - 0/29", proportionArm(29, 0), proportionArm(56, 5), 0.16062144320947108, -0.0381, 0.1926},
		{"Newcombe 0/10 - 0/20", proportionArm(20, 0), proportionArm(10, 0), 1, -0.1611, 0.2775},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := stats.Options{Metric: stats.MetricProportion, Difference: stats.DifferenceRelative, Method: stats.MethodFixed,
				Alpha: 0.05, Exact: true}
			if !stats.SmallCounts(tc.control, tc.treatment) {
				t.Fatalf("SmallCounts = false, want true")
			}
			r, err := stats.Compare(tc.control, tc.treatment, o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Test != stats.TestFisher {
				t.Errorf("test %q, want %q", r.Test, stats.TestFisher)
			}
			if r.Difference != stats.DifferenceAbsolute {
				t.Errorf("difference %q, want absolute", r.Difference)
			}
			if !close(r.PValue, tc.p, 1e-9) {
				t.Errorf("p = %.17g, want %.17g", r.PValue, tc.p)
			}
			if tc.high != 0 && (math.Abs(r.CILow-tc.low) > 5e-5 || math.Abs(r.CIHigh-tc.high) > 5e-5) {
				t.Errorf("interval [%.4f, %.4f], want [%.4f, %.4f]", r.CILow, r.CIHigh, tc.low, tc.high)
			}
			if want := tc.treatment.Sum/tc.treatment.N - tc.control.Sum/tc.control.N; r.Estimate != want {
				t.Errorf("estimate %g, want %g", r.Estimate, want)
			}
			if r.SE <= 0 || r.CILow > r.Estimate || r.CIHigh < r.Estimate {
				t.Errorf("se %g, interval [%g, %g] around %g", r.SE, r.CILow, r.CIHigh, r.Estimate)
			}
			if sig, want := r.Significant(o), tc.p < 0.05; sig != want {
				t.Errorf("significant = %v, want %v", sig, want)
			}
		})
	}
}

// A large table keeps the Welch test, even with Exact.
func TestCompareExactLargeTable(t *testing.T) {
	o := stats.Options{Metric: stats.MetricProportion, Difference: stats.DifferenceRelative, Method: stats.MethodFixed,
		Alpha: 0.05, Exact: true}
	c, tr := proportionArm(80, 48), proportionArm(70, 56)
	if stats.SmallCounts(c, tr) {
		t.Fatal("SmallCounts = true for 48/80 against 56/70")
	}
	r, err := stats.Compare(c, tr, o)
	if err != nil || r.Test != stats.TestWelch || r.Difference != stats.DifferenceRelative {
		t.Errorf("got %+v, %v; want the Welch test on the relative difference", r, err)
	}
}

// The sequential method keeps its confidence sequence at small counts and
// also needs Fisher's exact test to agree.
func TestCompareExactSequential(t *testing.T) {
	o := stats.Options{Metric: stats.MetricProportion, Difference: stats.DifferenceAbsolute, Method: stats.MethodSequential,
		Alpha: 0.05, Exact: true}
	c, tr := proportionArm(100, 0), proportionArm(100, 5)
	r, err := stats.Compare(c, tr, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Test != stats.TestSeqFisher || r.PValue < 0.059383210468586585-1e-12 || r.Significant(o) {
		t.Errorf("got test %q p = %g significant %v, want the larger p of the two, not significant", r.Test, r.PValue, r.Significant(o))
	}
	c, tr = proportionArm(4019, 0), proportionArm(3981, 82)
	if r, err = stats.Compare(c, tr, o); err != nil || !r.Significant(o) || r.Estimate <= 0 {
		t.Errorf("82/3981 against 0/4019: %+v, %v; want significant and worse", r, err)
	}
}

// Without Exact, an arm without variance still gives a result when the
// other arm varies: the normal approximation of the reference engine.
func TestCompareOneArmWithoutVariance(t *testing.T) {
	tests := []struct {
		name               string
		metric             stats.MetricType
		difference         stats.Difference
		control, treatment stats.Arm
		estimate, se       float64
	}{
		// se = sqrt(p(1-p)/n) of the varying arm alone.
		{"0/5000 against 82/5000", stats.MetricProportion, stats.DifferenceAbsolute, proportionArm(5000, 0), proportionArm(5000, 82),
			0.0164, math.Sqrt(0.0164 * (1 - 0.0164) / 5000)},
		{"500/5000 against 0/5000", stats.MetricProportion, stats.DifferenceAbsolute, proportionArm(5000, 500), proportionArm(5000, 0),
			-0.1, math.Sqrt(0.1 * 0.9 / 5000)},
		// Control: 100 units of 5. Treatment: 50 of 4, 50 of 6 (mean 5,
		// variance 100/99).
		{"constant control", stats.MetricMean, stats.DifferenceRelative, meanArm(100, 500, 2500), meanArm(100, 500, 50*16+50*36),
			0, math.Sqrt(100.0/99/100) / 5},
	}
	for _, tc := range tests {
		for _, method := range []stats.Method{stats.MethodFixed, stats.MethodSequential, stats.MethodBayesian} {
			t.Run(tc.name+"/"+string(method), func(t *testing.T) {
				o := stats.Options{Metric: tc.metric, Difference: tc.difference, Method: method, Alpha: 0.05}
				r, err := stats.Compare(tc.control, tc.treatment, o)
				if err != nil {
					t.Fatal(err)
				}
				if !close(r.Estimate, tc.estimate, 1e-12) && math.Abs(r.Estimate-tc.estimate) > 1e-15 {
					t.Errorf("estimate %g, want %g", r.Estimate, tc.estimate)
				}
				if !close(r.SE, tc.se, 1e-12) {
					t.Errorf("se %g, want %g", r.SE, tc.se)
				}
				if wantSig := tc.estimate != 0; r.Significant(o) != wantSig {
					t.Errorf("significant = %v, want %v", r.Significant(o), wantSig)
				}
			})
		}
	}
}

// The Bayesian chance to win of small counts is exact: the closed form's
// direct sum (in Python, over a_B terms) against ours, which sums over the
// smallest parameter by symmetry.
func TestCompareExactBayesian(t *testing.T) {
	tests := []struct {
		control, treatment stats.Arm
		chance             float64
	}{
		{proportionArm(100, 0), proportionArm(100, 5), 0.9855234959554376},
		{proportionArm(40, 2), proportionArm(41, 9), 0.9856155988228485},
		{proportionArm(72, 3), proportionArm(74, 3), 0.4849116400841058},
		{proportionArm(4019, 4), proportionArm(3981, 0), 0.03195947426433838},
		{proportionArm(100, 97), proportionArm(100, 99), 0.8156328908222679},
		{proportionArm(32, 1), proportionArm(32, 1), 0.5},
	}
	o := stats.Options{Metric: stats.MetricProportion, Difference: stats.DifferenceRelative, Method: stats.MethodBayesian,
		Alpha: 0.05, Exact: true}
	for _, tc := range tests {
		r, err := stats.Compare(tc.control, tc.treatment, o)
		if err != nil {
			t.Fatal(err)
		}
		if r.Test != stats.TestBetaBinomial || r.Difference != stats.DifferenceAbsolute || math.Abs(r.ChanceToWin-tc.chance) > 1e-9 {
			t.Errorf("%v against %v: %s on %s, chance to win %.16g, want %.16g", tc.control, tc.treatment, r.Test, r.Difference,
				r.ChanceToWin, tc.chance)
		}
		if r.CILow < -1 || r.CIHigh > 1 || r.CILow > r.Estimate || r.CIHigh < r.Estimate {
			t.Errorf("interval [%g, %g] around %g", r.CILow, r.CIHigh, r.Estimate)
		}
	}
}
