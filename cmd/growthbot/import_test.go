package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// countRows counts a table's rows straight from the file.
func countRows(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// mustRunningExample returns a database with the example config applied
// and one-click-checkout started.
func mustRunningExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	withService(t, db, func(svc *workflows.Service) {
		if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, "one-click-checkout"); err != nil {
			t.Fatal(err)
		}
	})
	return db
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.WriteString(zw, s)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestImportCommand(t *testing.T) {
	db := mustRunningExample(t)
	dir := filepath.Dir(db)
	ts := time.Now().Add(-time.Hour).UTC()
	exposures := fmt.Sprintf(`{"unit_id":"u1","experiment":"one-click-checkout","variant":"control","timestamp":%q}
{"unit_id":"u2","experiment":"one-click-checkout","variant":"treatment","timestamp":%d}
`, ts.Format(time.RFC3339), ts.Unix())
	events := fmt.Sprintf("unit_id,event,value,timestamp\nu1,purchase,12.5,%s\nu2,purchase,,%d\nu2,purchase,,%d\n", ts.Format(time.RFC3339Nano), ts.Unix(), ts.Unix())
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"NDJSON file, flags after", "", []string{"exposures", writeFile(t, dir, "x.ndjson", exposures), "--db", db}, 0,
			"imported exposures from " + filepath.Join(dir, "x.ndjson") + " into " + db + ": 2 rows read, 2 imported, 0 duplicates ("},
		{"the same again", "", []string{"--db", db, "exposures", filepath.Join(dir, "x.ndjson")}, 0, "2 rows read, 0 imported, 2 duplicates"},
		{"gzipped CSV", "", []string{"events", writeFile(t, dir, "e.csv.gz", gzipped(t, events)), "--db", db}, 0,
			"3 rows read, 2 imported, 1 duplicate ("},
		{"standard input", exposures, []string{"exposures", "-", "--db", db}, 0, "imported exposures from <stdin>"},
		{"gzipped standard input, told CSV", gzipped(t, events), []string{"events", "-", "--format", "csv", "--db", db}, 0, "0 imported, 3 duplicates"},
		{"KPIs", "", []string{"kpis", writeFile(t, dir, "k.json", `[{"team":"checkout","name":"mrr","period":"2025-01","value":1000}]`), "--db", db}, 0,
			"1 row read, 1 imported"},
		{"bad rows", "", []string{"events", writeFile(t, dir, "bad.ndjson", `{"unit_id":"u1","event":"purchase","timestamp":"yesterday"}`), "--db", db}, 1,
			"growthbot import: " + filepath.Join(dir, "bad.ndjson") + ": 1 problem, nothing imported:\n  " + filepath.Join(dir, "bad.ndjson") +
				`:1:48: timestamp "yesterday" is not RFC 3339 or Unix seconds`},
		{"missing file", "", []string{"events", filepath.Join(dir, "nope.ndjson"), "--db", db}, 1, "cannot read " + filepath.Join(dir, "nope.ndjson")},
		{"not gzip", "", []string{"events", writeFile(t, dir, "plain.ndjson.gz", "{}"), "--db", db}, 1, "is not gzip"},
		{"no file", "", []string{"events"}, 2, "give what to import (exposures, events or kpis) and a file (- for standard input)"},
		{"unknown kind", "", []string{"event", "x.ndjson"}, 2, `cannot import "event": import exposures, events or kpis (did you mean "events"?)`},
		{"unknown format", "", []string{"events", "x", "--format", "xml"}, 2, `format "xml": use ndjson, json or csv`},
		{"help", "", []string{"--help"}, 0, "usage: growthbot import exposures|events|kpis FILE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, tc.stdin, nil, append([]string{"import"}, tc.args...)...)
			if res.code != tc.code || !strings.Contains(res.stdout+res.stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q:\nstdout: %s\nstderr: %s", res.code, tc.code, tc.want, res.stdout, res.stderr)
			}
		})
	}
	if n := countRows(t, db, "events"); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}
}

func TestImportShowsProgress(t *testing.T) {
	defer func(d time.Duration) { progressInterval = d }(progressInterval)
	progressInterval = time.Millisecond
	db := filepath.Join(t.TempDir(), "g.db")
	var input strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&input, `{"unit_id":"u%d","event":"e","timestamp":%d}`+"\n", i, time.Now().Unix()-int64(i))
	}
	path := writeFile(t, filepath.Dir(db), "e.ndjson", input.String())
	res := run(t, "", nil, "import", "events", path, "--db", db, "--progress")
	if res.code != 0 || !strings.Contains(res.stderr, "import "+path+": ") || !strings.Contains(res.stderr, "% of the file\n") {
		t.Errorf("progress with --progress: %+v", res)
	}
	if res := run(t, "", nil, "import", "events", path, "--db", db); res.stderr != "" {
		t.Errorf("progress without a terminal or --progress: %q", res.stderr)
	}
}

// TestImportKilledMidway kills a real import process while its transaction
// is writing, as a crash or an OOM killer would, and checks that the
// database is exactly as it was.
func TestImportKilledMidway(t *testing.T) {
	if testing.Short() {
		t.Skip("builds growthbot and imports millions of events")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "growthbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "g.db")
	small := writeFile(t, dir, "small.ndjson", `{"unit_id":"u1","event":"purchase","timestamp":1735689600}`+"\n")
	if res := run(t, "", nil, "import", "events", small, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	before := countRows(t, db, "events")
	// Big enough that the import spills uncommitted pages to the WAL file
	// (past its 64 MiB page cache) well before it ends.
	big := filepath.Join(dir, "big.ndjson")
	if err := writeEventsFile(big, 4_000_000, false); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "import", "events", big, "--db", db)
	cmd.Env = append(os.Environ(), "GROWTHBOT_LOG_LEVEL=error")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var walSize int64
	deadline := time.After(2 * time.Minute)
wait:
	for {
		select {
		case err := <-exited:
			t.Fatalf("the import ended (%v) before it could be killed; WAL reached %d bytes:\n%s", err, walSize, stderr.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatal("the WAL never grew")
		case <-time.After(10 * time.Millisecond):
		}
		if st, err := os.Stat(db + "-wal"); err == nil && st.Size() > 16<<20 {
			walSize = st.Size()
			break wait
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if err := <-exited; !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the import was not killed: %v", err)
	}
	t.Logf("killed with %d bytes of uncommitted pages in the WAL", walSize)

	if after := countRows(t, db, "events"); after != before {
		t.Errorf("events: %d after the kill, %d before", after, before)
	}
	raw, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var check string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity check: %q, %v", check, err)
	}
	// And the database takes the next import.
	if res := run(t, "", nil, "import", "events", small, "--db", db); res.code != 0 || !strings.Contains(res.stdout, "1 duplicate") {
		t.Errorf("import after the kill: %+v", res)
	}
}

// TestServeIngestionAPI posts to `growthbot serve` on a loopback port.
func TestServeIngestionAPI(t *testing.T) {
	db := mustRunningExample(t)
	base, stop := startServe(t, map[string]string{envDB: db, envAPIToken: "tok"}, "--max-body", "4096", "--max-items", "3")
	ts := time.Now().Add(-time.Minute).Unix()
	send := func(path, token, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var reply map[string]any
		json.NewDecoder(resp.Body).Decode(&reply)
		return resp.StatusCode, reply
	}
	tests := []struct {
		name, path, token, body string
		status                  int
		want                    string // in the reply's JSON
	}{
		{"exposures as an array", "/api/v1/exposures", "tok", fmt.Sprintf(`[{"unit_id":"a","experiment":"one-click-checkout","variant":"control","timestamp":%d},
			{"unit_id":"b","experiment":"one-click-checkout","variant":"treatment","timestamp":%d}]`, ts, ts), 200, `"imported":2`},
		{"events as NDJSON, one repeated", "/api/v1/events", "tok", fmt.Sprintf(`{"unit_id":"a","event":"purchase","value":3,"timestamp":%d}
{"unit_id":"a","event":"purchase","value":3,"timestamp":%d}`, ts, ts), 200, `"duplicates":1,"imported":1,"kind":"events","read":2`},
		{"events of a team", "/api/v1/events", "tok", fmt.Sprintf(`{"unit_id":"t","event":"purchase","timestamp":%d,"team":"checkout"}`, ts),
			200, `"imported":1`},
		{"events of a team that does not exist", "/api/v1/events", "tok",
			fmt.Sprintf(`{"unit_id":"t","event":"purchase","timestamp":%d}`+"\n"+`{"unit_id":"u","event":"purchase","timestamp":%d,"team":"chekout"}`, ts, ts), 400,
			`"problems":[{"column":65,"field":"team","line":2,"message":"team \"chekout\" does not exist (did you mean \"checkout\"?)"}]`},
		{"a bad row", "/api/v1/events", "tok", `{"unit_id":"a","event":"purchase","timestamp":"yesterday"}`, 400,
			`"problems":[{"column":47,"field":"timestamp","line":1,"message":"timestamp \"yesterday\" is not RFC 3339 or Unix seconds"}]`},
		{"too many rows", "/api/v1/events", "tok", strings.Repeat(`{"unit_id":"a","event":"e","timestamp":1735689600}`+"\n", 4), 413,
			`"error":"body has more than 3 rows, nothing imported: send at most 3 at a time"`},
		{"too large", "/api/v1/events", "tok", strings.Repeat(" ", 4097), 413, `larger than 4096 bytes`},
		{"wrong token", "/api/v1/kpis", "nope", `[]`, 401, `"error":"send the API token as Authorization: Bearer TOKEN"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, reply := send(tc.path, tc.token, tc.body)
			got, _ := json.Marshal(reply)
			if status != tc.status || !strings.Contains(string(got), tc.want) {
				t.Errorf("got %d %s; want %d with %s", status, got, tc.status, tc.want)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`growthbot_ingested_rows_total{kind="events",outcome="imported"} 2`,
		`growthbot_ingested_rows_total{kind="exposures",outcome="imported"} 2`,
		`growthbot_http_requests_total{code="400",route="POST /api/v1/events"} 2`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
	if n := countRows(t, db, "exposures"); n != 2 {
		t.Errorf("%d exposures stored, want 2", n)
	}
}

func TestServeWithoutTokenDisablesTheAPI(t *testing.T) {
	base, stop := startServe(t, map[string]string{envDB: filepath.Join(t.TempDir(), "g.db")}, "--create-db")
	defer stop()
	resp, err := http.Post(base+"/api/v1/events", "application/json", strings.NewReader("[]"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), `"error":"the API is disabled: set GROWTHBOT_API_TOKEN"`) {
		t.Errorf("got %d %s", resp.StatusCode, body)
	}
}

func TestAPIFlags(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		want    httpapi.APIConfig
		warning bool
	}{
		{"defaults, no token", nil, nil, httpapi.APIConfig{MaxBody: httpapi.DefaultMaxBody, MaxItems: httpapi.DefaultMaxItems}, true},
		{"environment", map[string]string{envAPIToken: "t", envMaxBody: "1000", envMaxItems: "10"}, nil, httpapi.APIConfig{Token: "t", MaxBody: 1000, MaxItems: 10}, false},
		{"flags win", map[string]string{envAPIToken: "t", envMaxBody: "1000"}, []string{"--max-body", "2000"}, httpapi.APIConfig{Token: "t", MaxBody: 2000, MaxItems: httpapi.DefaultMaxItems}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			e := &env{stderr: &logs, getenv: func(k string) string { return tc.vars[k] }}
			e.log = newLogger(e)
			fs := newFlags(e, "serve")
			config := apiFlags(e, fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			got, err := config()
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if warned := strings.Contains(logs.String(), "the HTTP API is disabled: set GROWTHBOT_API_TOKEN"); warned != tc.warning {
				t.Errorf("warning logged: %v, want %v:\n%s", warned, tc.warning, logs.String())
			}
		})
	}
}

func TestServeRefusesBadAPIFlags(t *testing.T) {
	res := run(t, "", nil, "serve", "--max-body", "lots")
	if res.code != 2 || !strings.Contains(res.stderr, `--max-body "lots": give a positive whole number`) {
		t.Errorf("%+v", res)
	}
}

// TestBackfilledExposureMovesTheStart imports a unit's exposures latest
// first, as a mobile SDK's backfill brings them, through `growthbot
// import`: the unit counts from its earliest exposure, so its purchases in
// between count in the metric, not in the CUPED pre-period. Retrying both
// files adds nothing.
func TestBackfilledExposureMovesTheStart(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	now := time.Now().UTC().Truncate(time.Second)
	started := now.Add(-3 * 24 * time.Hour)
	withWiredService(t, db, appOptions{clock: workflows.NewFakeClock(started)}, func(svc *workflows.Service) {
		if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, "one-click-checkout"); err != nil {
			t.Fatal(err)
		}
	})
	exposure := func(unit, variant string, at time.Time) string {
		return fmt.Sprintf(`{"unit_id":%q,"experiment":"one-click-checkout","variant":%q,"timestamp":%q}`+"\n", unit, variant, at.Format(time.RFC3339))
	}
	early, late := now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	var lateFile, earlyFile, events strings.Builder
	for i := range 20 {
		c, tr := fmt.Sprintf("c%02d", i), fmt.Sprintf("t%02d", i)
		lateFile.WriteString(exposure(c, "control", early))
		lateFile.WriteString(exposure(tr, "treatment", late))
		earlyFile.WriteString(exposure(tr, "treatment", early))
		// Three in four treated units buy between their two exposures;
		// half the control units buy then too.
		if i%4 != 3 {
			fmt.Fprintf(&events, "%s,purchase,%d,%d\n", tr, 10+i, now.Add(-36*time.Hour).Unix())
		}
		if i%2 == 0 {
			fmt.Fprintf(&events, "%s,purchase,%d,%d\n", c, 10+i, now.Add(-36*time.Hour).Unix())
		}
	}
	lateExposures := writeFile(t, dir, "late.ndjson", lateFile.String())
	earlyExposures := writeFile(t, dir, "early.ndjson", earlyFile.String())
	for _, step := range []struct {
		kind, file, want string
	}{
		{"exposures", lateExposures, "40 rows read, 40 imported, 0 duplicates"},
		{"exposures", earlyExposures, "20 rows read, 20 imported, 0 duplicates"},
		{"events", writeFile(t, dir, "events.csv", "unit_id,event,value,timestamp\n"+events.String()), "25 rows read, 25 imported"},
		{"exposures", lateExposures, "40 rows read, 0 imported, 40 duplicates"},
		{"exposures", earlyExposures, "20 rows read, 0 imported, 20 duplicates"},
	} {
		if res := run(t, "", nil, "import", step.kind, step.file, "--db", db); res.code != 0 || !strings.Contains(res.stdout, step.want) {
			t.Fatalf("import %s %s: want %q, got %+v", step.kind, filepath.Base(step.file), step.want, res)
		}
	}

	// The store's aggregate: every treated unit converted after its start.
	withService(t, db, func(svc *workflows.Service) {
		aggs, err := svc.Aggregate(context.Background(), "one-click-checkout")
		if err != nil {
			t.Fatal(err)
		}
		a := aggs[0]
		treated := a.Arms["purchase"]["treatment"]
		if a.Units["treatment"] != 20 || a.Units["control"] != 20 || treated.Sum != 15 || treated.Pre.Sum != 0 ||
			a.Arms["purchase"]["control"].Sum != 10 || !a.FirstExposure.Equal(early) || !a.LastExposure.Equal(early) {
			t.Errorf("aggregate: units %v, treatment purchases %v since exposure and %v before, control %v, exposures %v..%v",
				a.Units, treated.Sum, treated.Pre.Sum, a.Arms["purchase"]["control"].Sum, a.FirstExposure, a.LastExposure)
		}
	})
	// The scorecard, computed now, as JSON.
	res := run(t, "", nil, "scorecard", "one-click-checkout", "--json", "--db", db)
	type result struct {
		Metric        string   `json:"metric"`
		ControlMean   *float64 `json:"control_mean"`
		TreatmentMean *float64 `json:"treatment_mean"`
	}
	var card struct {
		Units   map[string]int64 `json:"units"`
		Results []result         `json:"results"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &card); err != nil || res.code != 0 {
		t.Fatalf("scorecard --json: %v\n%+v", err, res)
	}
	purchase := slices.IndexFunc(card.Results, func(r result) bool { return r.Metric == "purchase" })
	if card.Units["treatment"] != 20 || card.Units["control"] != 20 || purchase < 0 || card.Results[purchase].TreatmentMean == nil ||
		*card.Results[purchase].TreatmentMean != 0.75 || *card.Results[purchase].ControlMean != 0.5 {
		t.Errorf("scorecard --json should count 15 of 20 treated units as converted: %s", res.stdout)
	}
	// And what the team sees: the status card, through the console.
	res = run(t, "/exp status one-click-checkout\n:quit\n", nil, "console", "--db", db, "--files", dir)
	var conversion string
	for line := range strings.Lines(res.stdout) {
		if strings.Contains(line, "Purchase conversion (treatment)") {
			conversion = line
		}
	}
	if res.code != 0 || !strings.Contains(conversion, "75.00%") || !strings.Contains(res.stdout, "Units: control 20 · treatment 20") {
		t.Errorf("the status card should count 15 of 20 treated units as converted:\n%s%s", res.stdout, res.stderr)
	}
}
