package stats_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/growthbot/growthbot/stats"
)

// FuzzCompare throws arbitrary arm statistics and options at Compare and
// the power functions: whatever the input, they must not panic, must
// return one of the package's errors, and on success every number must be
// finite and coherent. Run it with
//
//	go test -run='^$' -fuzz=FuzzCompare ./stats
//
// The arms' fields are mapped onto each metric type: (sum, ss) is the
// mean's sum and sum of squares, the ratio's numerator and CUPED's post;
// (x, xx) is the ratio's denominator and CUPED's pre; sp is the sum of
// products.
func FuzzCompare(f *testing.F) {
	f.Add(3407.0, 1396.87, 52377.9767, 0.0, 0.0, 0.0, 3461.0, 2422.7, 134698.29, 0.0, 0.0, 0.0,
		uint8(0), uint8(0), true, 0.05, 0.0, 0.0, 0.0)
	f.Add(100.0, 49.0, 0.0, 0.0, 0.0, 0.0, 100.0, 51.0, 0.0, 0.0, 0.0, 0.0,
		uint8(1), uint8(2), true, 0.05, 0.0, 0.0, 0.3)
	f.Add(2301.0, 3072.5, 13329.8, 2826.9, 8472.2, 5573.0, 2407.0, 3184.1, 13864.5, 2957.2, 8862.6, 5793.0,
		uint8(2), uint8(1), false, 0.01, 1000.0, 0.0, 0.0)
	f.Add(3092.0, 7438.0, 174788.2, 6694.2, 171388.5, 81779.2, 3021.0, 6902.2, 169061.2, 6540.5, 167451.9, 79110.5,
		uint8(3), uint8(2), true, 0.1, 0.0, 0.05, 0.1)
	f.Add(2.0, 1e-300, 1e300, 0.0, 0.0, 0.0, 2.0, -1e300, 1e300, 0.0, 0.0, 0.0,
		uint8(0), uint8(1), true, 1e-300, 1e-300, 0.0, 0.0)
	f.Add(math.NaN(), 0.0, 0.0, 0.0, 0.0, 0.0, 100.0, 5.0, 30.0, 0.0, 0.0, 0.0,
		uint8(0), uint8(0), false, 0.05, 0.0, 0.0, 0.0)
	f.Fuzz(func(t *testing.T,
		nC, sumC, ssC, xC, xxC, spC float64,
		nT, sumT, ssT, xT, xxT, spT float64,
		metric, method uint8, relative bool, alpha, tuning, priorMean, priorSD float64) {
		arm := func(n, sum, ss, x, xx, sp float64) stats.Arm {
			return stats.Arm{
				N: n, Sum: sum, SumSquares: ss,
				Numerator: stats.Moments{Sum: sum, SumSquares: ss}, Denominator: stats.Moments{Sum: x, SumSquares: xx},
				Post: stats.Moments{Sum: sum, SumSquares: ss}, Pre: stats.Moments{Sum: x, SumSquares: xx},
				SumProducts: sp,
			}
		}
		control, treatment := arm(nC, sumC, ssC, xC, xxC, spC), arm(nT, sumT, ssT, xT, xxT, spT)
		o := stats.Options{
			Metric:           []stats.MetricType{stats.MetricMean, stats.MetricProportion, stats.MetricRatio, stats.MetricCUPED, "other"}[metric%5],
			Method:           []stats.Method{stats.MethodFixed, stats.MethodSequential, stats.MethodBayesian, "other"}[method%4],
			Difference:       stats.DifferenceAbsolute,
			Alpha:            alpha,
			SequentialTuning: tuning,
		}
		if relative {
			o.Difference = stats.DifferenceRelative
		}
		if priorSD != 0 {
			o.Prior = &stats.Prior{Mean: priorMean, StdDev: priorSD}
		}

		r, err := stats.Compare(control, treatment, o)
		checkError(t, err)
		if err == nil {
			checkResult(t, r, o)
		}

		mde, err := stats.MDE(control, treatment, o)
		checkError(t, err)
		if err == nil && (!isFinite(mde) || mde <= 0) {
			t.Fatalf("MDE = %v", mde)
		}
		p, err := stats.Power(control, treatment, priorMean, o)
		checkError(t, err)
		if err == nil && !(p >= 0 && p <= 1) {
			t.Fatalf("Power = %v", p)
		}
		days, err := stats.DaysToMDE(control, treatment, 1000, 0.05, o)
		checkError(t, err)
		if err == nil && !(isFinite(days) && days >= 0) {
			t.Fatalf("DaysToMDE = %v", days)
		}
	})
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func checkError(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, stats.ErrDegenerate) && !errors.Is(err, stats.ErrInvalid) {
		t.Fatalf("error %q (%T) is neither ErrDegenerate nor ErrInvalid", err, err)
	}
}

func checkResult(t *testing.T, r stats.Result, o stats.Options) {
	t.Helper()
	for name, x := range map[string]float64{
		"estimate": r.Estimate, "se": r.SE, "ci_low": r.CILow, "ci_high": r.CIHigh, "p_value": r.PValue,
		"chance_to_win": r.ChanceToWin, "risk_control": r.RiskControl, "risk_treatment": r.RiskTreatment,
		"control_mean": r.ControlMean, "treatment_mean": r.TreatmentMean,
	} {
		if !isFinite(x) {
			t.Fatalf("%s = %v in %+v", name, x, r)
		}
	}
	if !(r.SE > 0) || r.CILow > r.CIHigh {
		t.Fatalf("se %v, interval [%v, %v]", r.SE, r.CILow, r.CIHigh)
	}
	if !(r.PValue >= 0 && r.PValue <= 1 && r.ChanceToWin >= 0 && r.ChanceToWin <= 1) {
		t.Fatalf("p = %v, chance to win = %v", r.PValue, r.ChanceToWin)
	}
	if r.RiskControl < 0 || r.RiskTreatment < 0 {
		t.Fatalf("risks %v, %v", r.RiskControl, r.RiskTreatment)
	}
	_ = r.Significant(o)
}

// FuzzEvaluateCases feeds arbitrary bytes to EvaluateCases: it must not
// panic, and when it accepts the input it must return a valid JSON array
// with one element per case.
//
//	go test -run='^$' -fuzz=FuzzEvaluateCases ./stats
func FuzzEvaluateCases(f *testing.F) {
	// A few reference cases, one of a kind. Not the whole file: the fuzzer
	// minimizes every input that finds new code, one byte at a time, which
	// for 40 kB stalls it for minutes.
	if data, err := os.ReadFile("testdata/stats-cases.json"); err == nil {
		var cases []json.RawMessage
		if err := json.Unmarshal(data, &cases); err == nil && len(cases) > 20 {
			for _, i := range []int{0, 3, 6, 9, 11, 18, 19, 20} {
				f.Add(append(append([]byte("["), cases[i]...), ']'))
			}
		}
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"id": 1, "kind": "srm", "input": {"counts": [1, 2], "weights": [1, 1]}}]`))
	f.Add([]byte(`[{"kind": "adjust", "input": {"method": "bh", "p_values": [0.01, 0.2, null]}}, 3]`))
	f.Add([]byte(`[{"kind": "compare", "input": {"metric_type": "cuped", "difference": "relative", "method": "bayesian",
		"alpha": 0.05, "prior": {"mean": 0, "stddev": 0.3},
		"control": {"n": 100, "post": {"sum": 50, "sum_squares": 60}, "pre": {"sum": 40, "sum_squares": 50}, "sum_products": 45},
		"treatment": {"n": 90, "post": {"sum": 50, "sum_squares": 60}, "pre": {"sum": 40, "sum_squares": 50}, "sum_products": 45}}}]`))
	f.Fuzz(func(t *testing.T, input []byte) {
		out, err := stats.EvaluateCases(input)
		if err != nil {
			return
		}
		var cases, results []json.RawMessage
		if err := json.Unmarshal(input, &cases); err != nil {
			t.Fatalf("accepted input that is not an array: %v", err)
		}
		if !json.Valid(out) || !utf8.Valid(out) {
			t.Fatalf("invalid JSON output:\n%s", out)
		}
		if err := json.Unmarshal(out, &results); err != nil {
			t.Fatalf("output is not an array: %v", err)
		}
		if len(results) != len(cases) {
			t.Fatalf("%d results for %d cases", len(results), len(cases))
		}
	})
}
