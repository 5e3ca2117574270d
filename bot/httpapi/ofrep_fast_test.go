package httpapi

import (
	"testing"
	"unicode/utf8"
)

// ofrepBodies are request bodies that the fast path must read as
// encoding/json does, or leave to it.
var ofrepBodies = []struct {
	body string
	fast bool // read by fastContext
}{
	{`{"context":{"targetingKey":"user-1"}}`, true},
	{` { "context" : { "plan" : "pro", "targetingKey" : "user-1", "n": [1, {"a": "}"}], "o": {"x": [true, null]} } } `, true},
	{`{"context":{"targetingKey":"u","growthbot_log_exposure":false}}`, true},
	{`{"context":{"targetingKey":"u","growthbot_log_exposure":true}}`, true},
	{`{"flags":["a"],"context":{"targetingKey":"ünïcode ✓"}}`, true},
	{`{"context":{"targetingKey":"u\"q"}}`, false},
	{`{"context":{"targetingKey":"\u0075"}}`, false},
	{`{"\u0063ontext":{"targetingKey":"u"}}`, false},
	{`{"Context":{"targetingKey":"u"}}`, false},
	{`{"context":{"TargetingKey":"u"}}`, false},
	{`{"context":{"targetingKey":"u","targetingKey":"v"}}`, false},
	{`{"context":{"targetingKey":"u"},"context":{"targetingKey":"v"}}`, false},
	{`{"context":{"targetingKey":"u","GROWTHBOT_LOG_EXPOSURE":false}}`, false},
	{`{"context":{"targetingKey":"u","growthbot_log_exposure":"no"}}`, false},
	{`{"context":{"targetingKey":"u","growthbot_log_exposure":0}}`, false},
	{`{"context":{"targetingKey":""}}`, false},
	{`{"context":{"targetingKey":null}}`, false},
	{`{"context":{"targetingKey":42}}`, false},
	{`{"context":{"plan":"pro"}}`, false},
	{`{"context":{}}`, false},
	{`{"context":null}`, false},
	{`{"context":"user-1"}`, false},
	{`{"context":["user-1"]}`, false},
	{`{}`, false},
	{`[1]`, false},
	{`"x"`, false},
	{``, false},
	{`{"context":`, false},
	{`{"context":{"targetingKey":"u"}} x`, false},
	{`{"context":{"targetingKey":"u"}}{}`, false},
	{"{\"context\":{\"targetingKey\":\"\xff\"}}", false},
	{`{"context":{"targetingK\u0065y":"u"}}`, false},
	{"{\"context\":{\"targetingKey\":\"u\", \"\u212aey\":1}}", false}, // the Kelvin sign
}

// TestFastContextAgrees: wherever the fast path reads a body, encoding/json
// reads the same unit and option, and every body the fast path leaves
// gets the general decoder's answer.
func TestFastContextAgrees(t *testing.T) {
	for _, tc := range ofrepBodies {
		unit, noExposure, ok := fastContext([]byte(tc.body))
		if ok != tc.fast {
			t.Errorf("%s: fast %v, want %v", tc.body, ok, tc.fast)
		}
		checkFastContext(t, []byte(tc.body), unit, noExposure, ok)
	}
}

func checkFastContext(t *testing.T, body []byte, unit string, noExposure, ok bool) {
	t.Helper()
	if !ok {
		return
	}
	want, status, failure := slowContext(body)
	switch {
	case failure != nil:
		t.Errorf("%q: fast path read unit %q; encoding/json: %d %+v", body, unit, status, failure)
	case want.unit != unit || want.opts.NoExposure != noExposure:
		t.Errorf("%q: fast path read %q (no exposure %v); encoding/json %q (%v)", body, unit, noExposure, want.unit, want.opts.NoExposure)
	}
}

// FuzzFastContext: go test ./bot/httpapi -run '^$' -fuzz FuzzFastContext
func FuzzFastContext(f *testing.F) {
	for _, tc := range ofrepBodies {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		unit, noExposure, ok := fastContext(body)
		if ok && (unit == "" || !utf8.ValidString(unit)) {
			t.Fatalf("%q: unit %q", body, unit)
		}
		checkFastContext(t, body, unit, noExposure, ok)
	})
}
