package stats_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/stats"
)

// TestEvaluateCasesNotAnArray covers the only inputs EvaluateCases rejects
// as a whole, each with the position a person would look at.
func TestEvaluateCasesNotAnArray(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"syntax error", "[\n  {\"kind\": }\n]", "stats: line 2, column 12: invalid character '}' looking for beginning of value"},
		{"syntax error after non-ASCII", "[\n {\"id\": \"é\",, }]", "stats: line 2, column 13: invalid character ',' looking for beginning of object key string"},
		{"truncated", "[\n  {\"kind\": \"srm\"},\n", "stats: line 3, column 1: unexpected end of JSON input"},
		{"empty input", "", "stats: line 1, column 1: unexpected end of JSON input"},
		{"trailing data", "[]\n x", "stats: line 2, column 2: invalid character 'x' after top-level value"},
		{"object", "\n  {\"kind\": \"srm\"}", "stats: line 2, column 3: expected a JSON array of cases, found object"},
		{"null", " null", "stats: line 1, column 2: expected a JSON array of cases, found null"},
		{"number element", "[{\"kind\": \"srm\"},\n  5]", "stats: line 2, column 3: expected a case object, found number"},
		{"null element", "[null]", "stats: line 1, column 2: expected a case object, found null"},
		{"nested array", "[[{}]]", "stats: line 1, column 2: expected a case object, found array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := stats.EvaluateCases([]byte(tc.input))
			if err == nil {
				t.Fatalf("no error, output %s", out)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n%q, want\n%q", err, tc.want)
			}
		})
	}
}

// TestEvaluateCasesPerCaseErrors checks that a case that cannot be computed
// becomes {"error": …} with its id, and that the cases around it are still
// computed.
func TestEvaluateCasesPerCaseErrors(t *testing.T) {
	const good = `{"metric_type": "proportion", "difference": "relative", "method": "fixed", "alpha": 0.05,
		"control": {"n": 100, "sum": 10}, "treatment": {"n": 100, "sum": 12}}`
	tests := []struct {
		name, input, want string
	}{
		{"unknown kind", `{"kind": "anova", "input": {}}`, `kind "anova" is not one of compare, srm, adjust`},
		{"missing kind", `{"input": {}}`, `missing "kind"`},
		{"kind not a string", `{"kind": 3, "input": {}}`, `kind: expected a string, found number`},
		{"missing input", `{"kind": "srm"}`, `missing "input"`},
		{"input not an object", `{"kind": "srm", "input": [1]}`, `input: expected an object, found array`},
		{"missing options", `{"kind": "compare", "input": {"metric_type": "mean", "control": {}, "treatment": {}}}`,
			`input: missing "difference", "method", "alpha"`},
		{"missing arm field", `{"kind": "compare", "input": {"metric_type": "mean", "difference": "relative", "method": "fixed", "alpha": 0.05,
			"control": {"n": 100, "sum": 5}, "treatment": {"n": 100, "sum": 5, "sum_squares": 9}}}`,
			`input: control arm: missing "sum_squares"`},
		{"missing ratio fields", `{"kind": "compare", "input": {"metric_type": "ratio", "difference": "relative", "method": "fixed", "alpha": 0.05,
			"control": {"n": 100, "numerator": {"sum": 5}}, "treatment": {}}}`,
			`input: control arm: missing "numerator.sum_squares", "denominator", "sum_products"`},
		{"unknown metric type", strings.Replace(`{"kind": "compare", "input": GOOD}`, "GOOD", strings.Replace(good, `"proportion"`, `"median"`, 1), 1),
			`metric type "median" is not one of mean, proportion, ratio, cuped`},
		{"unknown method", strings.Replace(`{"kind": "compare", "input": GOOD}`, "GOOD", strings.Replace(good, `"fixed"`, `"frequentist"`, 1), 1),
			`method "frequentist" is not one of fixed, sequential, bayesian`},
		{"mistyped number", `{"kind": "compare", "input": {"metric_type": "proportion", "difference": "relative", "method": "fixed", "alpha": 0.05,
			"control": {"n": "100", "sum": 10}, "treatment": {"n": 100, "sum": 12}}}`, `input.control.n: expected a number, found string`},
		{"number out of range", `{"kind": "srm", "input": {"counts": [1e999, 1], "weights": [1, 1]}}`, `input.counts: number 1e999 is out of range`},
		{"misspelt key", strings.Replace(`{"kind": "compare", "input": GOOD}`, "GOOD", strings.Replace(good, `"alpha": 0.05`, `"alpha": 0.05, "sequential_tunning": 100`, 1), 1),
			`input: unknown field "sequential_tunning"`},
		{"zero tuning", strings.Replace(`{"kind": "compare", "input": GOOD}`, "GOOD", strings.Replace(good, `"alpha": 0.05`, `"alpha": 0.05, "sequential_tuning": 0`, 1), 1),
			`input: sequential_tuning = 0, need a positive number`},
		{"prior without stddev", strings.Replace(`{"kind": "compare", "input": GOOD}`, "GOOD", strings.Replace(good, `"alpha": 0.05`, `"alpha": 0.05, "prior": {"mean": 0}`, 1), 1),
			`input: prior needs "mean" and "stddev"`},
		{"degenerate arm", `{"kind": "compare", "input": {"metric_type": "proportion", "difference": "relative", "method": "fixed", "alpha": 0.05,
			"control": {"n": 1, "sum": 1}, "treatment": {"n": 100, "sum": 12}}}`, `control arm: n = 1, need at least 2 units`},
		{"null p-value", `{"kind": "adjust", "input": {"method": "bh", "p_values": [0.1, null]}}`, `input: p_values[1] is null, need a number`},
		{"missing weights", `{"kind": "srm", "input": {"counts": [1, 2]}}`, `input: missing "weights"`},
		{"missing adjust method", `{"kind": "adjust", "input": {"p_values": [0.1]}}`, `input: missing "method"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The failing case sits between two good ones.
			input := `[{"id": "before", "kind": "compare", "input": ` + good + `},` +
				strings.Replace(tc.input, "{", `{"id": 7, `, 1) +
				`, {"kind": "srm", "input": {"counts": [100, 100], "weights": [1, 1]}}]`
			out, err := stats.EvaluateCases([]byte(input))
			if err != nil {
				t.Fatal(err)
			}
			var results []map[string]any
			if err := json.Unmarshal(out, &results); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if len(results) != 3 {
				t.Fatalf("%d results, want 3:\n%s", len(results), out)
			}
			if results[0]["id"] != "before" || results[0]["p_value"] == nil {
				t.Errorf("case before the bad one: %v", results[0])
			}
			if results[2]["p_value"] != 1.0 {
				t.Errorf("case after the bad one: %v", results[2])
			}
			if _, ok := results[2]["id"]; ok {
				t.Errorf("case without an id got one: %v", results[2])
			}
			bad := results[1]
			if bad["id"] != 7.0 {
				t.Errorf("id = %v, want 7", bad["id"])
			}
			msg, _ := bad["error"].(string)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want it to contain %q", msg, tc.want)
			}
			if len(bad) != 2 {
				t.Errorf("error result %v has keys besides id and error", bad)
			}
		})
	}
}

func TestEvaluateCasesEmpty(t *testing.T) {
	out, err := stats.EvaluateCases([]byte(" [ ] "))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "[]" {
		t.Errorf("output %s, want []", out)
	}
}

// The output for a case computed twice, once through EvaluateCases and
// once through Compare, is the same number to the last bit: the JSON layer
// must not round.
func TestEvaluateCasesFullPrecision(t *testing.T) {
	out, err := stats.EvaluateCases([]byte(`[{"kind": "compare", "input": {"metric_type": "mean",
		"difference": "relative", "method": "bayesian", "alpha": 0.05, "prior": {"mean": 0, "stddev": 0.3},
		"control": {"n": 1000, "sum": 5000, "sum_squares": 30000},
		"treatment": {"n": 1000, "sum": 5100, "sum_squares": 31000}}}]`))
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]float64
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	o := baseOptions()
	o.Method, o.Prior = stats.MethodBayesian, &stats.Prior{Mean: 0, StdDev: 0.3}
	r, err := stats.Compare(meanArm(1000, 5000, 30000), meanArm(1000, 5100, 31000), o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"estimate": r.Estimate, "se": r.SE, "ci_low": r.CILow, "ci_high": r.CIHigh,
		"chance_to_win": r.ChanceToWin, "risk_control": r.RiskControl, "risk_treatment": r.RiskTreatment,
	}
	if len(got[0]) != len(want) {
		t.Errorf("keys %v, want those of %v", got[0], want)
	}
	for k, w := range want {
		if got[0][k] != w {
			t.Errorf("%s = %v, want %v", k, got[0][k], w)
		}
	}
}

// An id comes back as it went in, as valid UTF-8, big numbers intact.
func TestEvaluateCasesIDs(t *testing.T) {
	input := "[" +
		`{"id": 12345678901234567890, "kind": "srm", "input": {"counts": [1, 2], "weights": [1, 1]}},` +
		`{"id": {"run": 2, "name": "b"}, "kind": "srm", "input": {"counts": [1, 2], "weights": [1, 1]}},` +
		"{\"id\": \"caf\xe9\", \"kind\": \"srm\", \"input\": {\"counts\": [1, 2], \"weights\": [1, 1]}}," +
		`{"id": null, "kind": "srm", "input": {"counts": [1, 2], "weights": [1, 1]}}]`
	out, err := stats.EvaluateCases([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	var results []map[string]json.RawMessage
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatal(err)
	}
	want := []string{`12345678901234567890`, `{"name":"b","run":2}`, "\"caf\ufffd\"", ``}
	for i, w := range want {
		var compact bytes.Buffer
		if id := results[i]["id"]; id != nil {
			if err := json.Compact(&compact, id); err != nil {
				t.Fatal(err)
			}
		}
		if compact.String() != w {
			t.Errorf("case %d: id %s, want %s", i, compact.String(), w)
		}
	}
}
