package codec_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

// ingestNow is the service clock of the ingestion tests.
var ingestNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// mustIngestService returns a service over a fresh database holding the
// example config, with its experiments started two weeks before
// ingestNow.
func mustIngestService(tb testing.TB) (*workflows.Service, string) {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "g.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	clock := workflows.NewFakeClock(ingestNow.Add(-14 * 24 * time.Hour))
	db.Now = clock.Now
	svc := workflows.NewService(db, nil)
	svc.Clock = clock
	if _, err := svc.ApplyConfig(ctx, "example.yaml", templates.ExampleConfig(), workflows.ActorConfig, false); err != nil {
		tb.Fatal(err)
	}
	for _, key := range []string{"one-click-checkout", "free-shipping-banner", "guided-onboarding"} {
		if _, err := svc.StartExperiment(ctx, workflows.ActorCLI, key); err != nil {
			tb.Fatal(err)
		}
	}
	clock.Set(ingestNow)
	return svc, path
}

func mustImport(tb testing.TB, svc *workflows.Service, kind workflows.ImportKind, data string) workflows.ImportReport {
	tb.Helper()
	report, err := codec.Import(context.Background(), svc, kind, strings.NewReader(data), codec.FormatAuto, "input", workflows.ImportOptions{})
	if err != nil {
		tb.Fatalf("import %s: %v", kind, err)
	}
	return report
}

// fingerprint summarizes everything an import can change, read straight
// from the file, so that a test can tell the database is unchanged.
func fingerprint(tb testing.TB, path string) string {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var parts []string
	for _, q := range []string{
		`SELECT count(*) || ' ' || total(at) || ' ' || total(unit % 1000) || ' ' || total(event) || ' ' || total(value) FROM events`,
		`SELECT count(*) || ' ' || total(at) || ' ' || total(unit % 1000) || ' ' || ifnull(group_concat(experiment || variant, ','), '') FROM exposures`,
		`SELECT count(*) || ' ' || ifnull(group_concat(key, ','), '') FROM units`,
		`SELECT count(*) || ' ' || ifnull(group_concat(name, ','), '') FROM event_names`,
		`SELECT count(*) || ' ' || ifnull(group_concat(team || name || period || value, ','), '') FROM kpis`,
	} {
		var part string
		if err := db.QueryRow(q).Scan(&part); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "|")
}

const goodData = `{"unit_id":"u1","experiment":"one-click-checkout","variant":"control","timestamp":"2025-02-20T10:00:00Z"}
{"unit_id":"u2","experiment":"one-click-checkout","variant":"treatment","timestamp":1740045600}
`

// TestImportRefusesBadInput checks each kind of bad input: its message names
// the line and column, and nothing at all is imported.
func TestImportRefusesBadInput(t *testing.T) {
	svc, path := mustIngestService(t)
	mustImport(t, svc, workflows.ImportExposures, goodData)
	mustImport(t, svc, workflows.ImportEvents, `{"unit_id":"u1","event":"purchase","value":20,"timestamp":"2025-02-21T10:00:00Z"}`)
	before := fingerprint(t, path)

	ev := func(fields string) string { return `{"unit_id":"u3","event":"purchase",` + fields + `}` }
	long := `{"unit_id":"` + strings.Repeat("x", codec.MaxLineBytes) + `"}`
	var many strings.Builder
	for i := range 13 {
		fmt.Fprintf(&many, `{"unit_id":"u%d","event":"e","timestamp":"soon"}`+"\n", i)
	}
	tests := []struct {
		name   string
		kind   workflows.ImportKind
		format codec.Format
		input  string
		want   []string // lines of the error, after its first
	}{
		{"unknown experiment", workflows.ImportExposures, "", goodData +
			`{"unit_id":"u3","experiment":"one-clik-checkout","variant":"control","timestamp":"2025-02-20T10:00:00Z"}`,
			[]string{`input:3:30: experiment "one-clik-checkout" does not exist (did you mean "one-click-checkout"?)`}},
		{"unknown variant", workflows.ImportExposures, "", `{"unit_id":"u3","experiment":"one-click-checkout","variant":"treatmnt","timestamp":1740045600}`,
			[]string{`input:1:61: experiment "one-click-checkout" has no variant "treatmnt" (did you mean "treatment"?)`}},
		{"unknown variant, nothing close", workflows.ImportExposures, "", `{"unit_id":"u3","experiment":"one-click-checkout","variant":"b","timestamp":1740045600}`,
			[]string{`input:1:61: experiment "one-click-checkout" has no variant "b" (variants: control, treatment)`}},
		{"missing unit id", workflows.ImportEvents, "", `{"event":"purchase","timestamp":1740045600}`,
			[]string{`input:1:1: unit_id is missing`}},
		{"empty unit id", workflows.ImportEvents, "", `{"unit_id":"","event":"purchase","timestamp":1740045600}`,
			[]string{`input:1:12: unit_id is empty`}},
		{"null unit id", workflows.ImportEvents, "", `{"unit_id":null,"event":"purchase","timestamp":1740045600}`,
			[]string{`input:1:1: unit_id is missing`}},
		{"bad timestamp", workflows.ImportEvents, "", ev(`"value":1,"timestamp":"yesterday"`),
			[]string{`input:1:58: timestamp "yesterday" is not RFC 3339 or Unix seconds`}},
		{"timestamp in milliseconds", workflows.ImportEvents, "", ev(`"timestamp":1740045600000`),
			[]string{`input:1:48: timestamp 1740045600000 is more than a day in the future: send Unix seconds, not milliseconds`}},
		{"timestamp in the future", workflows.ImportEvents, "", ev(`"timestamp":"2025-03-03T00:00:00Z"`),
			[]string{`input:1:48: timestamp "2025-03-03T00:00:00Z" is more than a day after growthbot's clock (2025-03-01T12:00:00Z): check the sender's clock`}},
		{"timestamp before 2000", workflows.ImportEvents, "", ev(`"timestamp":"1999-12-31T23:59:59Z"`),
			[]string{`input:1:48: timestamp "1999-12-31T23:59:59Z" is before 2000, which growthbot takes for a mistake`}},
		{"timestamp not a date", workflows.ImportEvents, "", ev(`"timestamp":"2025-02-30"`),
			[]string{`input:1:48: timestamp "2025-02-30" is not RFC 3339 or Unix seconds`}},
		{"timestamp of the wrong type", workflows.ImportEvents, "", ev(`"timestamp":true`),
			[]string{`input:1:48: timestamp must be a string or a number, not true`}},
		{"NaN value", workflows.ImportEvents, "", ev(`"value":"NaN","timestamp":1740045600`),
			[]string{`input:1:44: value "NaN" is not a finite number`}},
		{"infinite value", workflows.ImportEvents, "", ev(`"value":1e999,"timestamp":1740045600`),
			[]string{`input:1:44: value 1e999 is not a finite number`}},
		{"value not a number", workflows.ImportEvents, "", ev(`"value":[1],"timestamp":1740045600`),
			[]string{`input:1:44: value must be a number, not an array`}},
		{"unknown column", workflows.ImportEvents, "", ev(`"values":3,"timestamp":1740045600`),
			[]string{`input:1:36: unknown column "values" (did you mean "value"?)`}},
		{"unknown column, nothing close", workflows.ImportEvents, "", ev(`"properties":{"a":1},"timestamp":1740045600`),
			[]string{`input:1:36: unknown column "properties" (columns: unit_id, event, value, timestamp, team)`}},
		{"repeated column", workflows.ImportEvents, "", ev(`"timestamp":1740045600,"timestamp":1740045600`),
			[]string{`input:1:59: timestamp appears twice`}},
		{"not JSON", workflows.ImportEvents, codec.FormatJSON, "{\"unit_id\":\"u3\",\"event\":\"purchase\",\"timestamp\":1740045600}\nunit_id,event\n",
			[]string{`input:2:1: the line is not a JSON object`}},
		{"broken JSON", workflows.ImportEvents, "", `{"unit_id":"u3","event":"purchase","timestamp":1740045600,}`,
			[]string{`input:1:59: expected a field name in double quotes`}},
		{"line too long", workflows.ImportEvents, "", ev(`"timestamp":1740045600`) + "\n" + long + "\n" + ev(`"timestamp":"x"`),
			[]string{`input:2:1: the line is longer than 1048576 bytes`, `input:3:48: timestamp "x" is not RFC 3339 or Unix seconds`}},
		{"many problems", workflows.ImportEvents, "", many.String(),
			[]string{`input:1:41: timestamp "soon" is not RFC 3339 or Unix seconds`, `input:10:41: timestamp "soon"`, `... and 3 more problems`}},
		{"CSV unknown column", workflows.ImportEvents, codec.FormatCSV, "unit_id,event,valu,timestamp\nu3,purchase,2,1740045600\n",
			[]string{`input:1:3: unknown column "valu" (did you mean "value"?)`}},
		{"CSV missing column", workflows.ImportExposures, codec.FormatCSV, "unit_id,experiment,timestamp\nu3,one-click-checkout,1740045600\n",
			[]string{`input:1:1: the header has no "variant" column (columns: unit_id, experiment, variant, timestamp)`}},
		{"CSV bad value", workflows.ImportEvents, "", "unit_id,event,value,timestamp\nu3,purchase,2,1740045600\nu4,purchase,Inf,1740045600\nu5,purchase,1,yesterday\n",
			[]string{`input:3:3: value "Inf" is not a finite number`, `input:4:4: timestamp "yesterday" is not RFC 3339 or Unix seconds`}},
		{"CSV missing unit id", workflows.ImportEvents, "", "unit_id,event,timestamp\n,purchase,1740045600\n",
			[]string{`input:2:1: unit_id is missing`}},
		{"CSV wrong number of fields", workflows.ImportEvents, "", "unit_id,event,timestamp\nu3,purchase\n",
			[]string{`input:2:1: the row has a different number of fields than the header (3)`}},
		{"JSON array", workflows.ImportEvents, "", "[\n  {\"unit_id\": \"u3\", \"event\": \"purchase\", \"timestamp\": 1740045600},\n  {\"unit_id\": \"u4\",\n   \"event\": \"purchase\",\n   \"timestamp\": \"noon\"}\n]",
			[]string{`input:5:17: timestamp "noon" is not RFC 3339 or Unix seconds`}},
		{"JSON array not closed", workflows.ImportEvents, "", `[{"unit_id": "u3", "event": "purchase", "timestamp": 1740045600}`,
			[]string{`input:1:65: the JSON array is not closed with ]`}},
		{"JSON array of numbers", workflows.ImportEvents, "", `[1, 2]`,
			[]string{`input:1:2: each item of the array must be a JSON object`}},
		{"unknown team", workflows.ImportKPIs, "", "team,name,period,value\nchekout,mrr,2025-01,100\n",
			[]string{`input:2:1: team "chekout" does not exist (did you mean "checkout"?)`}},
		{"bad period", workflows.ImportKPIs, "", `{"team":"checkout","name":"mrr","period":"2025-13","value":100}`,
			[]string{`input:1:42: period "2025-13": use YYYY-MM or YYYY-MM-DD`}},
		{"KPI without value", workflows.ImportKPIs, "", `{"team":"checkout","name":"mrr","period":"2025-01"}`,
			[]string{`input:1:1: value is missing`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := codec.Import(context.Background(), svc, tc.kind, strings.NewReader(tc.input), tc.format, "input", workflows.ImportOptions{})
			var ie *workflows.ImportError
			if !errors.As(err, &ie) || workflows.ErrorCode(err) != workflows.EINVALID {
				t.Fatalf("got %v, want an *ImportError", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if !strings.HasPrefix(lines[0], "input: ") || !strings.HasSuffix(lines[0], ", nothing imported:") {
				t.Errorf("first line %q", lines[0])
			}
			if len(lines)-1 != len(tc.want) && !strings.Contains(tc.want[len(tc.want)-1], "more problems") {
				t.Errorf("got %d problems, want %d:\n%s", len(lines)-1, len(tc.want), err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), "\n  "+want) {
					t.Errorf("error does not say %q:\n%s", want, err)
				}
			}
			if after := fingerprint(t, path); after != before {
				t.Errorf("the database changed:\n before %s\n after  %s", before, after)
			}
		})
	}
}

func TestImportProblemsAreStructured(t *testing.T) {
	svc, _ := mustIngestService(t)
	_, err := codec.Import(context.Background(), svc, workflows.ImportEvents, strings.NewReader(`{"unit_id":"u","event":"e","timestamp":"now"}`),
		codec.FormatJSON, "events.ndjson", workflows.ImportOptions{})
	var ie *workflows.ImportError
	if !errors.As(err, &ie) {
		t.Fatal(err)
	}
	want := workflows.RowProblem{Line: 1, Column: 40, Field: "timestamp", Message: `timestamp "now" is not RFC 3339 or Unix seconds`}
	if ie.Total != 1 || len(ie.Problems) != 1 || ie.Problems[0] != want || ie.Source != "events.ndjson" {
		t.Errorf("got %+v, want one problem %+v", ie, want)
	}
}

func TestImportCountsDuplicates(t *testing.T) {
	svc, path := mustIngestService(t)
	tests := []struct {
		name                 string
		kind                 workflows.ImportKind
		input                string
		read, imported, dups int64
	}{
		{"exposures", workflows.ImportExposures, goodData, 2, 2, 0},
		{"exposures again: a later one is a duplicate, an earlier one is stored", workflows.ImportExposures,
			`{"unit_id":"u1","experiment":"one-click-checkout","variant":"control","timestamp":"2025-02-21T10:00:00Z"}` + "\n" +
				`{"unit_id":"u2","experiment":"one-click-checkout","variant":"treatment","timestamp":"2025-02-19T10:00:00Z"}` + "\n" +
				`{"unit_id":"u2","experiment":"one-click-checkout","variant":"treatment","timestamp":"2025-02-19T10:00:00Z"}`, 3, 1, 2},
		{"a second variant", workflows.ImportExposures,
			`{"unit_id":"u1","experiment":"one-click-checkout","variant":"treatment","timestamp":"2025-02-22T10:00:00Z"}`, 1, 1, 0},
		{"events, one repeated within the input", workflows.ImportEvents,
			"unit_id,event,value,timestamp\nu1,purchase,20,2025-02-21T10:00:00Z\nu1,purchase,20,2025-02-21T10:00:00Z\nu1,purchase,,2025-02-21T10:00:00Z\n", 3, 2, 1},
		{"a retried batch of events", workflows.ImportEvents,
			`[{"unit_id":"u1","event":"purchase","value":20,"timestamp":1740132000}, {"unit_id":"u1","event":"purchase","timestamp":"2025-02-21T10:00:00.000Z"}]`, 2, 0, 2},
		{"events differing in a millisecond", workflows.ImportEvents,
			`{"unit_id":"u1","event":"purchase","timestamp":"2025-02-21T10:00:00.001Z"}`, 1, 1, 0},
		{"KPIs", workflows.ImportKPIs, "team,name,period,value\ncheckout,mrr,2025-01,100\ncheckout,mrr,2025-02,110\n", 2, 2, 0},
		{"KPIs again, one corrected", workflows.ImportKPIs, "team,name,period,value\ncheckout,mrr,2025-01,100\ncheckout,mrr,2025-02,111\n", 2, 1, 1},
		{"empty input", workflows.ImportEvents, "", 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustImport(t, svc, tc.kind, tc.input)
			if r.Read != tc.read || r.Imported != tc.imported || r.Duplicates != tc.dups {
				t.Errorf("read %d, imported %d, duplicates %d; want %d, %d, %d", r.Read, r.Imported, r.Duplicates, tc.read, tc.imported, tc.dups)
			}
		})
	}
	// u2's earliest exposure won; u1's second variant makes it a unit
	// exposed twice, which aggregation leaves out.
	got := fingerprint(t, path)
	for _, want := range []string{"one-click-checkoutcontrol,one-click-checkouttreatment,one-click-checkouttreatment", "checkoutmrr2025-02111"} {
		if !strings.Contains(got, want) {
			t.Errorf("stored %s, want %s in it", got, want)
		}
	}
	aggs, err := svc.Aggregate(context.Background(), "one-click-checkout")
	if err != nil {
		t.Fatal(err)
	}
	if a := aggs[0]; a.MultipleExposures != 1 || a.Units["treatment"] != 1 || a.Units["control"] != 0 ||
		!a.FirstExposure.Equal(time.Date(2025, 2, 19, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("aggregate: %d multiple, units %v, first %v", a.MultipleExposures, a.Units, a.FirstExposure)
	}
}

func TestImportLimitsRows(t *testing.T) {
	svc, path := mustIngestService(t)
	before := fingerprint(t, path)
	var input strings.Builder
	for i := range 11 {
		fmt.Fprintf(&input, `{"unit_id":"u%d","event":"e","timestamp":1740045600}`+"\n", i)
	}
	_, err := codec.Import(context.Background(), svc, workflows.ImportEvents, strings.NewReader(input.String()), codec.FormatAuto, "body",
		workflows.ImportOptions{MaxRows: 10})
	var le *workflows.LimitError
	if !errors.As(err, &le) || err.Error() != "body has more than 10 rows, nothing imported: send at most 10 at a time" {
		t.Fatalf("got %v", err)
	}
	if fingerprint(t, path) != before {
		t.Error("a refused import changed the database")
	}
	var seen []int64
	r, err := codec.Import(context.Background(), svc, workflows.ImportEvents, strings.NewReader(input.String()), codec.FormatAuto, "body",
		workflows.ImportOptions{MaxRows: 11, Progress: func(n int64) { seen = append(seen, n) }})
	if err != nil || r.Imported != 11 || len(seen) == 0 || seen[len(seen)-1] != 11 {
		t.Fatalf("import of 11 with a limit of 11: %+v, %v, progress %v", r, err, seen)
	}
}

func TestImportRefusesUnknownKindAndFormat(t *testing.T) {
	svc, _ := mustIngestService(t)
	for _, tc := range []struct {
		kind   workflows.ImportKind
		format codec.Format
		want   string
	}{
		{"event", "", `cannot import "event": import exposures, events or kpis (did you mean "events"?)`},
		{"events", "xml", `format "xml": use ndjson, json or csv`},
	} {
		_, err := codec.Import(context.Background(), svc, tc.kind, strings.NewReader(""), tc.format, "x", workflows.ImportOptions{})
		if workflows.ErrorCode(err) != workflows.EINVALID || workflows.ErrorMessage(err) != tc.want {
			t.Errorf("Import(%q, %q) = %v; want %q", tc.kind, tc.format, err, tc.want)
		}
	}
}

func TestFormatOf(t *testing.T) {
	for name, want := range map[string]codec.Format{
		"events.ndjson": codec.FormatJSON, "events.jsonl.gz": codec.FormatJSON, "x.JSON": codec.FormatJSON,
		"kpis.csv": codec.FormatCSV, "kpis.csv.gz": codec.FormatCSV, "-": codec.FormatAuto, "data.txt": codec.FormatAuto,
	} {
		if got := codec.FormatOf(name); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", name, got, want)
		}
	}
}
