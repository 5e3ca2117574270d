package stats_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

// refCase is one case of testdata/stats-cases.json, computed by GrowthBook's
// gbstats 0.8 and statsmodels (see STATS.md).
type refCase struct {
	ID       string                     `json:"id"`
	Kind     string                     `json:"kind"`
	Input    json.RawMessage            `json:"input"`
	Expected map[string]json.RawMessage `json:"expected"`
}

// The test decodes inputs with its own plain structs rather than through
// EvaluateCases, so that the Go API and the JSON layer are checked
// independently against the same expectations.
type (
	refMoments struct {
		Sum        float64 `json:"sum"`
		SumSquares float64 `json:"sum_squares"`
	}
	refArm struct {
		N           float64    `json:"n"`
		Sum         float64    `json:"sum"`
		SumSquares  float64    `json:"sum_squares"`
		Numerator   refMoments `json:"numerator"`
		Denominator refMoments `json:"denominator"`
		Post        refMoments `json:"post"`
		Pre         refMoments `json:"pre"`
		SumProducts float64    `json:"sum_products"`
	}
	refCompare struct {
		MetricType       string  `json:"metric_type"`
		Difference       string  `json:"difference"`
		Method           string  `json:"method"`
		Alpha            float64 `json:"alpha"`
		SequentialTuning float64 `json:"sequential_tuning"`
		Prior            *struct {
			Mean   float64 `json:"mean"`
			StdDev float64 `json:"stddev"`
		} `json:"prior"`
		Control, Treatment refArm
	}
	refSRM struct {
		Counts  []float64 `json:"counts"`
		Weights []float64 `json:"weights"`
	}
	refAdjust struct {
		Method  string    `json:"method"`
		PValues []float64 `json:"p_values"`
	}
)

func (a refArm) arm() stats.Arm {
	return stats.Arm{
		N: a.N, Sum: a.Sum, SumSquares: a.SumSquares,
		Numerator:   stats.Moments(a.Numerator),
		Denominator: stats.Moments(a.Denominator),
		Post:        stats.Moments(a.Post),
		Pre:         stats.Moments(a.Pre),
		SumProducts: a.SumProducts,
	}
}

func (c refCompare) options() stats.Options {
	o := stats.Options{
		Metric:           stats.MetricType(c.MetricType),
		Difference:       stats.Difference(c.Difference),
		Method:           stats.Method(c.Method),
		Alpha:            c.Alpha,
		SequentialTuning: c.SequentialTuning,
	}
	if c.Prior != nil {
		o.Prior = &stats.Prior{Mean: c.Prior.Mean, StdDev: c.Prior.StdDev}
	}
	return o
}

func loadCases(tb testing.TB) ([]byte, []refCase) {
	tb.Helper()
	data, err := os.ReadFile("testdata/stats-cases.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []refCase
	if err := json.Unmarshal(data, &cases); err != nil {
		tb.Fatal(err)
	}
	return data, cases
}

// within is the contract's tolerance: |got - want| <= 1e-6 + 1e-6·|want|.
func within(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6+1e-6*math.Abs(want)
}

func wantsError(c refCase) bool {
	return string(c.Expected["error"]) == "true"
}

// expectNumbers checks each expected key against got, which maps the same
// keys to the computed values.
func expectNumbers(t *testing.T, expected map[string]json.RawMessage, got map[string]json.RawMessage) {
	t.Helper()
	for key, rawWant := range expected {
		rawGot, ok := got[key]
		if !ok {
			t.Errorf("%s: missing", key)
			continue
		}
		var want, have any
		if err := json.Unmarshal(rawWant, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(rawGot, &have); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		switch w := want.(type) {
		case float64:
			h, ok := have.(float64)
			if !ok || !within(h, w) {
				t.Errorf("%s = %v, want %v", key, have, w)
			}
		case []any:
			h, ok := have.([]any)
			if !ok || len(h) != len(w) {
				t.Errorf("%s = %v, want %v", key, have, w)
				continue
			}
			for i := range w {
				hi, ok := h[i].(float64)
				if !ok || !within(hi, w[i].(float64)) {
					t.Errorf("%s[%d] = %v, want %v", key, i, h[i], w[i])
				}
			}
		default:
			t.Fatalf("%s: unexpected expected value %s", key, rawWant)
		}
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReferenceCasesAPI reproduces every reference case through Compare,
// SRM and Adjust.
func TestReferenceCasesAPI(t *testing.T) {
	_, cases := loadCases(t)
	if len(cases) != 115 {
		t.Fatalf("%d reference cases, want 115", len(cases))
	}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			got := map[string]json.RawMessage{}
			var err error
			switch c.Kind {
			case "compare":
				var in refCompare
				if err := json.Unmarshal(c.Input, &in); err != nil {
					t.Fatal(err)
				}
				var r stats.Result
				r, err = stats.Compare(in.Control.arm(), in.Treatment.arm(), in.options())
				got["estimate"] = mustJSON(t, r.Estimate)
				got["se"] = mustJSON(t, r.SE)
				got["ci_low"] = mustJSON(t, r.CILow)
				got["ci_high"] = mustJSON(t, r.CIHigh)
				if in.Method == "bayesian" {
					got["chance_to_win"] = mustJSON(t, r.ChanceToWin)
					got["risk_control"] = mustJSON(t, r.RiskControl)
					got["risk_treatment"] = mustJSON(t, r.RiskTreatment)
				} else {
					got["p_value"] = mustJSON(t, r.PValue)
				}
			case "srm":
				var in refSRM
				if err := json.Unmarshal(c.Input, &in); err != nil {
					t.Fatal(err)
				}
				var p float64
				p, err = stats.SRM(in.Counts, in.Weights)
				got["p_value"] = mustJSON(t, p)
			case "adjust":
				var in refAdjust
				if err := json.Unmarshal(c.Input, &in); err != nil {
					t.Fatal(err)
				}
				var adj []float64
				adj, err = stats.Adjust(in.Method, in.PValues)
				got["adjusted"] = mustJSON(t, adj)
			default:
				t.Fatalf("unknown kind %q", c.Kind)
			}
			if wantsError(c) {
				if err == nil {
					t.Fatalf("no error, want one")
				}
				if !errors.Is(err, stats.ErrDegenerate) && !errors.Is(err, stats.ErrInvalid) {
					t.Errorf("error %q wraps neither ErrDegenerate nor ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			expectNumbers(t, c.Expected, got)
		})
	}
}

// TestReferenceCasesJSON runs the whole reference file through
// EvaluateCases, the path `growthbot stats FILE` takes.
func TestReferenceCasesJSON(t *testing.T) {
	data, cases := loadCases(t)
	out, err := stats.EvaluateCases(data)
	if err != nil {
		t.Fatal(err)
	}
	var results []map[string]json.RawMessage
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("output is not a JSON array of objects: %v", err)
	}
	if len(results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(results), len(cases))
	}
	for i, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			got := results[i]
			var id string
			if err := json.Unmarshal(got["id"], &id); err != nil || id != c.ID {
				t.Errorf("id = %s, want %q", got["id"], c.ID)
			}
			delete(got, "id")
			if wantsError(c) {
				var msg string
				if err := json.Unmarshal(got["error"], &msg); err != nil || msg == "" {
					t.Fatalf("result %v, want an error message", got)
				}
				return
			}
			if e, ok := got["error"]; ok {
				t.Fatalf("error %s", e)
			}
			// Exactly the keys of expected: the file format is the contract.
			keys := func(m map[string]json.RawMessage) []string {
				var k []string
				for key := range m {
					k = append(k, key)
				}
				slices.Sort(k)
				return k
			}
			if g, w := keys(got), keys(c.Expected); !slices.Equal(g, w) {
				t.Errorf("keys %v, want %v", g, w)
			}
			expectNumbers(t, c.Expected, got)
		})
	}
	if !strings.HasPrefix(string(out), "[\n  {") {
		t.Errorf("output is not indented with two spaces: %.20q", out)
	}
}
