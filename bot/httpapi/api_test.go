package httpapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/bot/internal/fixture"
	"github.com/growthbot/growthbot/workflows"
)

// importCall is what the API asked of the domain: the rows it decoded
// from the body, and their problems.
type importCall struct {
	kind     workflows.ImportKind
	rows     []any
	problems []string
	source   string
	opts     workflows.ImportOptions
}

// fakeImporter records what the API asks of the domain and answers with
// its function.
type fakeImporter struct {
	importFn func(importCall) (workflows.ImportReport, error)
}

var _ httpapi.Importer = (*fakeImporter)(nil)

func drain[T any](kind workflows.ImportKind, rows workflows.Rows[T], source string, opts workflows.ImportOptions) importCall {
	call := importCall{kind: kind, source: source, opts: opts}
	var row T
	for rows.Next(&row) {
		call.rows = append(call.rows, row)
	}
	for _, p := range rows.Problems().List {
		call.problems = append(call.problems, p.Message)
	}
	return call
}

func (f *fakeImporter) ImportExposures(_ context.Context, rows workflows.Rows[workflows.Exposure], source string, opts workflows.ImportOptions) (workflows.ImportReport, error) {
	return f.importFn(drain(workflows.ImportExposures, rows, source, opts))
}

func (f *fakeImporter) ImportEvents(_ context.Context, rows workflows.Rows[workflows.Event], source string, opts workflows.ImportOptions) (workflows.ImportReport, error) {
	return f.importFn(drain(workflows.ImportEvents, rows, source, opts))
}

func (f *fakeImporter) ImportKPIs(_ context.Context, rows workflows.Rows[workflows.KPIPoint], source string, opts workflows.ImportOptions) (workflows.ImportReport, error) {
	return f.importFn(drain(workflows.ImportKPIs, rows, source, opts))
}

const apiToken = fixture.APIToken

// startAPI serves the API on a loopback listener.
func startAPI(t *testing.T, imp httpapi.Importer, cfg httpapi.APIConfig) (*httptest.Server, *httpapi.Server) {
	t.Helper()
	srv := httpapi.NewServer(nil, nil)
	srv.MountAPI(imp, cfg)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, srv
}

type apiReply struct {
	status int
	header http.Header
	body   map[string]any
}

func apiPost(t *testing.T, url, token, contentType, body string) apiReply {
	t.Helper()
	status, header, reply := fixture.APIPost(t, url, token, contentType, body)
	return apiReply{status: status, header: header, body: reply}
}

func TestAPIRefusals(t *testing.T) {
	called := false
	imp := &fakeImporter{importFn: func(importCall) (workflows.ImportReport, error) {
		called = true
		return workflows.ImportReport{}, nil
	}}
	disabled, _ := startAPI(t, imp, httpapi.APIConfig{})
	enabled, srv := startAPI(t, imp, httpapi.APIConfig{Token: apiToken, MaxBody: 100})
	tests := []struct {
		name   string
		url    string
		token  string
		body   string
		status int
		error  string
	}{
		{"API disabled", disabled.URL + "/api/v1/events", apiToken, "[]", 503, "the API is disabled: set GROWTHBOT_API_TOKEN"},
		{"no token", enabled.URL + "/api/v1/events", "", "[]", 401, "send the API token as Authorization: Bearer TOKEN"},
		{"wrong token", enabled.URL + "/api/v1/events", "s3cret-tokem", "[]", 401, "send the API token as Authorization: Bearer TOKEN"},
		{"token prefix", enabled.URL + "/api/v1/kpis", "s3cret", "[]", 401, "send the API token as Authorization: Bearer TOKEN"},
		{"body too large", enabled.URL + "/api/v1/exposures", apiToken, strings.Repeat(" ", 101), 413,
			"the request body is larger than 100 bytes (the server's --max-body): send the rows in smaller requests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			called = false
			r := apiPost(t, tc.url, tc.token, "application/json", tc.body)
			if r.status != tc.status || r.body["error"] != tc.error || called {
				t.Errorf("got %d %v (imported: %v); want %d %q", r.status, r.body, called, tc.status, tc.error)
			}
			if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// A body streamed without a length is cut at the limit as well.
	req, _ := http.NewRequest(http.MethodPost, enabled.URL+"/api/v1/events", io.MultiReader(strings.NewReader(strings.Repeat(" ", 150))))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || called {
		t.Errorf("chunked body over the limit: %d, imported %v", resp.StatusCode, called)
	}
	if n := srv.Metrics().Value("growthbot_ingest_refused_total", "kind", "events", "reason", "unauthorized"); n != 2 {
		t.Errorf("refusals counted: %v", n)
	}
}

func TestAPIImports(t *testing.T) {
	var got importCall
	var answer error
	imp := &fakeImporter{importFn: func(call importCall) (workflows.ImportReport, error) {
		got = call
		return workflows.ImportReport{Kind: call.kind, Read: 3, Imported: 2, Duplicates: 1}, answer
	}}
	ts, srv := startAPI(t, imp, httpapi.APIConfig{Token: apiToken})

	r := apiPost(t, ts.URL+"/api/v1/events", apiToken, "application/x-ndjson", `{"unit_id":"u1","event":"signup","timestamp":1740045600}`)
	if r.status != 200 || r.body["imported"] != 2.0 || r.body["duplicates"] != 1.0 || r.body["read"] != 3.0 || r.body["kind"] != "events" {
		t.Errorf("reply %d %v", r.status, r.body)
	}
	want := workflows.Event{UnitID: "u1", Name: "signup", Value: 1, At: time.Unix(1740045600, 0).UTC()}
	if got.kind != workflows.ImportEvents || len(got.rows) != 1 || got.rows[0] != want || len(got.problems) != 0 ||
		got.source != "body" || got.opts.MaxRows != httpapi.DefaultMaxItems {
		t.Errorf("import called with %+v", got)
	}
	if n := srv.Metrics().Value("growthbot_ingested_rows_total", "kind", "events", "outcome", "imported"); n != 2 {
		t.Errorf("rows ingested: %v", n)
	}
	apiPost(t, ts.URL+"/api/v1/kpis", apiToken, "text/csv; charset=utf-8", "team,name,period,value\ncheckout,mrr,2025-01,100\n")
	if got.kind != workflows.ImportKPIs || len(got.rows) != 1 || got.rows[0] != (workflows.KPIPoint{Team: "checkout", Name: "mrr", Period: "2025-01", Value: 100}) {
		t.Errorf("CSV import called with %+v", got)
	}

	tests := []struct {
		name   string
		err    error
		status int
		check  func(map[string]any) bool
	}{
		{"bad rows", &workflows.ImportError{Source: "body", Total: 12, Problems: []workflows.RowProblem{
			{Line: 3, Column: 12, Field: "timestamp", Message: `timestamp "yesterday" is not RFC 3339 or Unix seconds`}}}, 400,
			func(b map[string]any) bool {
				p, _ := b["problems"].([]any)
				first, _ := p[0].(map[string]any)
				return b["error"] == "body: 12 problems, nothing imported" && b["total_problems"] == 12.0 && len(p) == 1 &&
					first["line"] == 3.0 && first["column"] == 12.0 && first["field"] == "timestamp" &&
					first["message"] == `timestamp "yesterday" is not RFC 3339 or Unix seconds`
			}},
		{"too many rows", &workflows.LimitError{Source: "body", MaxRows: 100000}, 413, func(b map[string]any) bool {
			return b["error"] == "body has more than 100000 rows, nothing imported: send at most 100000 at a time"
		}},
		{"unknown kind", workflows.Errorf(workflows.EINVALID, "nope"), 400, func(b map[string]any) bool { return b["error"] == "nope" }},
		{"a bug", errors.New("disk on fire"), 500, func(b map[string]any) bool {
			return b["error"] == "Something went wrong on our side; it has been logged."
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			answer = tc.err
			r := apiPost(t, ts.URL+"/api/v1/exposures", apiToken, "", "[]")
			if r.status != tc.status || !tc.check(r.body) {
				t.Errorf("got %d %v; want %d", r.status, r.body, tc.status)
			}
		})
	}
}
