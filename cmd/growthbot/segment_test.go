package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeSegment posts Segment track and batch calls to `growthbot serve`
// on a loopback port, authenticated as Segment does (HTTP Basic, the write
// key as user) and with a bearer token.
func TestServeSegment(t *testing.T) {
	db := mustRunningExample(t)
	base, stop := startServe(t, map[string]string{envDB: db, envAPIToken: "tok"}, "--max-body", "8192", "--max-items", "4")
	ts := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	send := func(path, auth, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var reply map[string]any
		json.NewDecoder(resp.Body).Decode(&reply)
		out, _ := json.Marshal(reply)
		return resp.StatusCode, string(out)
	}
	basic := func(user string) string {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(user, "")
		return req.Header.Get("Authorization")
	}
	viewed := func(user, variant string) string {
		return fmt.Sprintf(`{"type":"track","event":"Experiment Viewed","userId":%q,"timestamp":%q,
			"properties":{"experiment_id":"one-click-checkout","variation_id":%q}}`, user, ts, variant)
	}
	tests := []struct {
		name, path, auth, body string
		status                 int
		want                   string
	}{
		{"a track call becomes an exposure", "/api/v1/segment/track", basic("tok"), viewed("seg-a", "control"), 200,
			`"events":0,"exposures":1,"read":1,"skipped":0`},
		{"a batch: exposure, events valued by value or revenue, anonymous unit, an identify skipped", "/api/v1/segment/batch", "Bearer tok",
			`{"batch":[` + viewed("seg-b", "treatment") + `,
			{"type":"track","event":"purchase","userId":"seg-a","timestamp":"` + ts + `","properties":{"revenue":42.5}},
			{"type":"track","event":"purchase","anonymousId":"anon-1","timestamp":"` + ts + `","properties":{"value":3}},
			{"type":"identify","userId":"seg-a","traits":{"plan":"pro"}}]}`, 200,
			`"duplicates":0,"events":2,"exposures":1,"read":4,"skipped":1`},
		{"the same batch again is all duplicates", "/api/v1/segment/batch", "Bearer tok",
			`{"batch":[` + viewed("seg-b", "treatment") + `]}`, 200, `"duplicates":1,"events":0,"exposures":0`},
		{"one bad call refuses the batch", "/api/v1/segment/batch", "Bearer tok",
			`{"batch":[{"type":"track","event":"purchase","userId":"seg-c","timestamp":"` + ts + `","properties":{"value":1}},
			{"type":"track","event":"Experiment Viewed","userId":"seg-c","timestamp":"` + ts + `","properties":{"experiment_id":"one-click-checkout","variation_id":"treatmnt"}},
			{"type":"track","event":"purchase","userId":"seg-c","timestamp":"yesterday"}]}`, 400,
			`"problems":[{"column":0,"field":"properties.variation_id","line":2,"message":"call 2, properties.variation_id: experiment \"one-click-checkout\" has no variant \"treatmnt\" (did you mean \"treatment\"?)"}`},
		{"the bad timestamp is named too", "/api/v1/segment/batch", "Bearer tok",
			`{"batch":[{"type":"track","event":"purchase","userId":"seg-c","timestamp":"yesterday"}]}`, 400,
			`"field":"timestamp","line":1,"message":"call 1, timestamp: timestamp \"yesterday\" is not RFC 3339 or Unix seconds"`},
		{"no unit", "/api/v1/segment/track", "Bearer tok", `{"event":"purchase","timestamp":"` + ts + `"}`, 400,
			`call 1: needs a userId or an anonymousId (a string) for its unit`},
		{"an exposure without its properties", "/api/v1/segment/track", "Bearer tok",
			`{"event":"Experiment Viewed","userId":"x","timestamp":"` + ts + `","properties":{"experiment_id":"one-click-checkout"}}`, 400,
			`call 1: an \"Experiment Viewed\" call needs properties experiment_id and variation_id`},
		{"not JSON", "/api/v1/segment/batch", "Bearer tok", `{"batch": [`, 400, `not valid JSON`},
		{"a batch without its array", "/api/v1/segment/batch", "Bearer tok", `{"calls":[]}`, 400, `a batch call is an object with a \"batch\" array of calls`},
		{"too many calls", "/api/v1/segment/batch", "Bearer tok", `{"batch":[{},{},{},{},{}]}`, 413, `batch has more than 4 rows, nothing imported`},
		{"too large", "/api/v1/segment/batch", "Bearer tok", strings.Repeat(" ", 8193), 413, `larger than 8192 bytes`},
		{"wrong write key", "/api/v1/segment/track", basic("nope"), viewed("seg-z", "control"), 401, `or as the user of HTTP Basic authentication`},
		{"no credentials", "/api/v1/segment/track", "", viewed("seg-z", "control"), 401, `send the API token`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, got := send(tc.path, tc.auth, tc.body)
			if status != tc.status || !strings.Contains(got, tc.want) {
				t.Errorf("got %d %s; want %d with %s", status, got, tc.status, tc.want)
			}
		})
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
	// Nothing of the refused batches was stored: two exposures (seg-a,
	// seg-b) and two events.
	if n := countRows(t, db, "exposures"); n != 2 {
		t.Errorf("%d exposures stored, want 2", n)
	}
	if n := countRows(t, db, "events"); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}
}
