package stats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// EvaluateCases computes a JSON array of cases in the format of
// testdata/stats-cases.json (documented in STATS.md), which
// `growthbot stats FILE` reads. Each case is an object
// {"id", "kind", "input", "expected"}; "expected" is ignored and "id" is
// optional. kind is one of
//
//	compare  input {metric_type, difference, method, alpha,
//	               [sequential_tuning], [prior {mean, stddev}], control, treatment}
//	         → {estimate, se, ci_low, ci_high, p_value}                 (fixed, sequential)
//	         → {estimate, se, ci_low, ci_high, chance_to_win,
//	            risk_control, risk_treatment}                          (bayesian)
//	srm      input {counts, weights}   → {p_value}
//	adjust   input {method, p_values}  → {adjusted}
//
// where an arm is {n, sum, sum_squares} (mean), {n, sum} (proportion),
// {n, numerator {sum, sum_squares}, denominator {…}, sum_products} (ratio)
// or {n, post {sum, sum_squares}, pre {…}, sum_products} (cuped). An absent
// sequential_tuning means DefaultSequentialTuning, an absent prior a flat
// one.
//
// The output is an indented JSON array with one object per case, in order,
// carrying the case's "id" when it had one. A case that cannot be computed
// (unknown kind, a missing, unknown or mistyped field, degenerate data)
// becomes {"error": "<why>"} and does not stop the others. EvaluateCases
// returns an error only when the input is not a JSON array of objects; the
// error names the line and column, e.g.
//
//	stats: line 3, column 14: invalid character '}' looking for beginning of value
func EvaluateCases(input []byte) ([]byte, error) {
	cases, err := splitCases(input)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(cases))
	for i, raw := range cases {
		out[i] = evaluateCase(raw)
	}
	return json.MarshalIndent(out, "", "  ")
}

// splitCases checks that input is a JSON array of objects and returns the
// objects. encoding/json reports positions as byte offsets; people read
// lines and columns.
func splitCases(input []byte) ([]json.RawMessage, error) {
	var all []json.RawMessage
	if err := json.Unmarshal(input, &all); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			// Offset counts the offending byte, except at the end of the input.
			pos := int(syn.Offset)
			if !strings.HasPrefix(syn.Error(), "unexpected end") {
				pos--
			}
			return nil, positionError(input, pos, syn.Error())
		case errors.As(err, &typ):
			pos := skipSeparators(input, 0)
			return nil, positionError(input, pos, "expected a JSON array of cases, found "+typ.Value)
		}
		return nil, fmt.Errorf("stats: %w", err)
	}
	if all == nil { // the input is null
		pos := skipSeparators(input, 0)
		return nil, positionError(input, pos, "expected a JSON array of cases, found null")
	}

	// The input is now known to be a valid array; walk it again to learn
	// where each element starts, for the error about a non-object.
	dec := json.NewDecoder(bytes.NewReader(input))
	if _, err := dec.Token(); err != nil { // [
		return nil, fmt.Errorf("stats: %w", err)
	}
	for i := range all {
		pos := skipSeparators(input, int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("stats: case %d: %w", i+1, err)
		}
		if raw[0] != '{' {
			return nil, positionError(input, pos, fmt.Sprintf("expected a case object, found %s", jsonKind(raw[0])))
		}
	}
	return all, nil
}

// skipSeparators returns the position of the first byte at or after pos
// that is neither white space nor a comma.
func skipSeparators(input []byte, pos int) int {
	for pos < len(input) {
		switch input[pos] {
		case ' ', '\t', '\r', '\n', ',':
			pos++
		default:
			return pos
		}
	}
	return pos
}

// positionError reports msg at byte offset pos as a 1-based line and a
// 1-based column counted in characters.
func positionError(input []byte, pos int, msg string) error {
	pos = max(0, min(pos, len(input)))
	before := input[:pos]
	line := 1 + bytes.Count(before, []byte{'\n'})
	col := 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return fmt.Errorf("stats: line %d, column %d: %s", line, col, msg)
}

func jsonKind(first byte) string {
	switch first {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// Output shapes. The keys are those of "expected" in the case file.
type (
	compareOutput struct {
		ID            json.RawMessage `json:"id,omitempty"`
		Estimate      float64         `json:"estimate"`
		SE            float64         `json:"se"`
		CILow         float64         `json:"ci_low"`
		CIHigh        float64         `json:"ci_high"`
		PValue        *float64        `json:"p_value,omitempty"`
		ChanceToWin   *float64        `json:"chance_to_win,omitempty"`
		RiskControl   *float64        `json:"risk_control,omitempty"`
		RiskTreatment *float64        `json:"risk_treatment,omitempty"`
		// Test and Difference are reported for "exact": true, where they
		// may differ from what was asked.
		Test       string `json:"test,omitempty"`
		Difference string `json:"difference,omitempty"`
	}
	srmOutput struct {
		ID     json.RawMessage `json:"id,omitempty"`
		PValue float64         `json:"p_value"`
	}
	adjustOutput struct {
		ID       json.RawMessage `json:"id,omitempty"`
		Adjusted []float64       `json:"adjusted"`
	}
	errorOutput struct {
		ID    json.RawMessage `json:"id,omitempty"`
		Error string          `json:"error"`
	}
)

// Input shapes. Pointers tell a missing field from a zero.
type (
	momentsInput struct {
		Sum        *float64 `json:"sum"`
		SumSquares *float64 `json:"sum_squares"`
	}
	armInput struct {
		N           *float64      `json:"n"`
		Sum         *float64      `json:"sum"`
		SumSquares  *float64      `json:"sum_squares"`
		Numerator   *momentsInput `json:"numerator"`
		Denominator *momentsInput `json:"denominator"`
		Post        *momentsInput `json:"post"`
		Pre         *momentsInput `json:"pre"`
		SumProducts *float64      `json:"sum_products"`
	}
	priorInput struct {
		Mean   *float64 `json:"mean"`
		StdDev *float64 `json:"stddev"`
	}
	compareInput struct {
		MetricType       *string     `json:"metric_type"`
		Difference       *string     `json:"difference"`
		Method           *string     `json:"method"`
		Alpha            *float64    `json:"alpha"`
		SequentialTuning *float64    `json:"sequential_tuning"`
		Prior            *priorInput `json:"prior"`
		Exact            *bool       `json:"exact"`
		Control          *armInput   `json:"control"`
		Treatment        *armInput   `json:"treatment"`
	}
	srmInput struct {
		Counts  []*float64 `json:"counts"`
		Weights []*float64 `json:"weights"`
	}
	adjustInput struct {
		Method  *string    `json:"method"`
		PValues []*float64 `json:"p_values"`
	}
)

// evaluateCase computes one case object, or describes why it cannot.
func evaluateCase(raw json.RawMessage) any {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return errorOutput{Error: err.Error()} // splitCases checked it is an object
	}
	id := normalizeID(fields["id"])
	out, err := computeCase(fields)
	if err != nil {
		return errorOutput{ID: id, Error: err.Error()}
	}
	switch o := out.(type) {
	case compareOutput:
		o.ID = id
		return o
	case srmOutput:
		o.ID = id
		return o
	case adjustOutput:
		o.ID = id
		return o
	}
	return out
}

// normalizeID re-encodes a case's id, so that the output is valid UTF-8
// even when the id is not (encoding/json copies raw values byte for byte)
// while numbers keep every digit. A null id counts as none.
func normalizeID(raw json.RawMessage) json.RawMessage {
	if raw == nil || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil // cannot happen: raw was decoded from valid JSON
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return out
}

func computeCase(fields map[string]json.RawMessage) (any, error) {
	var kind string
	if err := decodeField(fields, "kind", &kind); err != nil {
		return nil, err
	}
	input, ok := fields["input"]
	if !ok || string(input) == "null" {
		return nil, errors.New(`missing "input"`)
	}
	switch kind {
	case "compare":
		var in compareInput
		if err := decodeInput(input, &in); err != nil {
			return nil, err
		}
		return computeCompare(in)
	case "srm":
		var in srmInput
		if err := decodeInput(input, &in); err != nil {
			return nil, err
		}
		counts, err := numbers("counts", in.Counts)
		if err != nil {
			return nil, err
		}
		weights, err := numbers("weights", in.Weights)
		if err != nil {
			return nil, err
		}
		p, err := SRM(counts, weights)
		if err != nil {
			return nil, err
		}
		return srmOutput{PValue: p}, nil
	case "adjust":
		var in adjustInput
		if err := decodeInput(input, &in); err != nil {
			return nil, err
		}
		if in.Method == nil {
			return nil, errors.New(`input: missing "method"`)
		}
		ps, err := numbers("p_values", in.PValues)
		if err != nil {
			return nil, err
		}
		adjusted, err := Adjust(*in.Method, ps)
		if err != nil {
			return nil, err
		}
		return adjustOutput{Adjusted: adjusted}, nil
	}
	return nil, fmt.Errorf("kind %q is not one of compare, srm, adjust", kind)
}

func computeCompare(in compareInput) (any, error) {
	var missing []string
	need := func(ok bool, name string) {
		if !ok {
			missing = append(missing, `"`+name+`"`)
		}
	}
	need(in.MetricType != nil, "metric_type")
	need(in.Difference != nil, "difference")
	need(in.Method != nil, "method")
	need(in.Alpha != nil, "alpha")
	need(in.Control != nil, "control")
	need(in.Treatment != nil, "treatment")
	if len(missing) > 0 {
		return nil, fmt.Errorf("input: missing %s", strings.Join(missing, ", "))
	}
	o := Options{
		Metric:     MetricType(*in.MetricType),
		Difference: Difference(*in.Difference),
		Method:     Method(*in.Method),
		Alpha:      *in.Alpha,
	}
	if s := in.SequentialTuning; s != nil {
		// In the file, an explicit 0 is a mistake, not a request for the
		// default.
		if !(*s > 0) {
			return nil, fmt.Errorf("input: sequential_tuning = %v, need a positive number", *s)
		}
		o.SequentialTuning = *s
	}
	if p := in.Prior; p != nil {
		if p.Mean == nil || p.StdDev == nil {
			return nil, errors.New(`input: prior needs "mean" and "stddev"`)
		}
		o.Prior = &Prior{Mean: *p.Mean, StdDev: *p.StdDev}
	}
	o.Exact = in.Exact != nil && *in.Exact
	control, err := armFromInput("control", o.Metric, in.Control)
	if err != nil {
		return nil, err
	}
	treatment, err := armFromInput("treatment", o.Metric, in.Treatment)
	if err != nil {
		return nil, err
	}
	r, err := Compare(control, treatment, o)
	if err != nil {
		return nil, err
	}
	out := compareOutput{Estimate: r.Estimate, SE: r.SE, CILow: r.CILow, CIHigh: r.CIHigh}
	if o.Exact {
		out.Test, out.Difference = r.Test, string(r.Difference)
	}
	if o.Method == MethodBayesian {
		out.ChanceToWin, out.RiskControl, out.RiskTreatment = &r.ChanceToWin, &r.RiskControl, &r.RiskTreatment
	} else {
		out.PValue = &r.PValue
	}
	return out, nil
}

// armFromInput converts an arm, requiring the fields its metric type
// reads. An unknown metric type requires nothing here; Compare names it.
func armFromInput(name string, metric MetricType, in *armInput) (Arm, error) {
	var missing []string
	val := func(p *float64, field string) float64 {
		if p == nil {
			missing = append(missing, `"`+field+`"`)
			return 0
		}
		return *p
	}
	moments := func(m *momentsInput, field string) Moments {
		if m == nil {
			missing = append(missing, `"`+field+`"`)
			return Moments{}
		}
		return Moments{Sum: val(m.Sum, field+".sum"), SumSquares: val(m.SumSquares, field+".sum_squares")}
	}
	var a Arm
	switch metric {
	case MetricMean:
		a = Arm{N: val(in.N, "n"), Sum: val(in.Sum, "sum"), SumSquares: val(in.SumSquares, "sum_squares")}
	case MetricProportion:
		a = Arm{N: val(in.N, "n"), Sum: val(in.Sum, "sum")}
	case MetricRatio:
		a = Arm{N: val(in.N, "n"), Numerator: moments(in.Numerator, "numerator"),
			Denominator: moments(in.Denominator, "denominator"), SumProducts: val(in.SumProducts, "sum_products")}
	case MetricCUPED:
		a = Arm{N: val(in.N, "n"), Post: moments(in.Post, "post"),
			Pre: moments(in.Pre, "pre"), SumProducts: val(in.SumProducts, "sum_products")}
	}
	if len(missing) > 0 {
		return Arm{}, fmt.Errorf("input: %s arm: missing %s", name, strings.Join(missing, ", "))
	}
	return a, nil
}

func numbers(field string, in []*float64) ([]float64, error) {
	if in == nil {
		return nil, fmt.Errorf("input: missing %q", field)
	}
	out := make([]float64, len(in))
	for i, p := range in {
		if p == nil {
			return nil, fmt.Errorf("input: %s[%d] is null, need a number", field, i)
		}
		out[i] = *p
	}
	return out, nil
}

func decodeField(fields map[string]json.RawMessage, name string, v any) error {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return fmt.Errorf("missing %q", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return describeJSONError(name, err)
	}
	return nil
}

// decodeInput decodes a case's input strictly: a misspelt key
// ("sequential_tunning") would otherwise be ignored silently and the
// numbers computed with a default.
func decodeInput(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError("input", err)
	}
	return nil
}

// describeJSONError rewrites encoding/json's errors, which speak of Go
// types, in the file's terms.
func describeJSONError(where string, err error) error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		if typ.Field != "" {
			where += "." + typ.Field
		}
		if strings.HasPrefix(typ.Value, "number") && typ.Type != nil && typ.Type.Kind() == reflect.Float64 {
			return fmt.Errorf("%s: %s is out of range", where, typ.Value)
		}
		return fmt.Errorf("%s: expected %s, found %s", where, describeType(typ.Type), typ.Value)
	}
	return fmt.Errorf("%s: %s", where, strings.TrimPrefix(err.Error(), "json: "))
}

func describeType(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}
