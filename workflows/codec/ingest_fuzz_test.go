package codec_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"iter"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

// fuzzMaxRows keeps fuzzed inputs small enough for thousands of imports a
// second, and exercises the limit.
const fuzzMaxRows = 100

// FuzzImportNDJSON imports arbitrary NDJSON (or a JSON array) of each kind
// into a real database; see checkImport for what must hold. Run it with
//
//	go test -run='^$' -fuzz='^FuzzImportNDJSON$' ./workflows
func FuzzImportNDJSON(f *testing.F) {
	ex := func(unit, variant, ts string) string {
		return `{"unit_id":` + unit + `,"experiment":"one-click-checkout","variant":"` + variant + `","timestamp":` + ts + `}`
	}
	for _, s := range []struct {
		kind workflows.ImportKind
		data string
	}{
		{workflows.ImportExposures, goodData},
		{workflows.ImportExposures, ex(`"u1"`, "control", `"2025-02-19T10:00:00Z"`) + "\n" + ex(`"u1"`, "treatment", `1740045600`) + "\r\n\n"},
		{workflows.ImportExposures, "\xef\xbb\xbf[" + ex(`12345`, "control", `1740045600.25`) + ",\n " + ex(`"u\u00e9"`, "treatmnt", `"2025-02-20T10:00:00+01:00"`) + "]"},
		{workflows.ImportEvents, `{"unit_id":"u1","event":"purchase","value":20.5,"timestamp":"2025-02-21T10:00:00.001Z"}` + "\n" +
			`{"unit_id":"u1","event":"purchase","timestamp":1740132000}`},
		{workflows.ImportEvents, `{"unit_id":"u\"1\\n","event":"e","value":-1e-3,"timestamp":"1740132000","extra":{"a":[1,"]"]}}`},
		{workflows.ImportEvents, `{"unit_id":"u1","event":"e","value":1e400,"timestamp":17401320000000}` + "\n" + `{"unit_id":null}` + "\n" + `[1,2]`},
		{workflows.ImportEvents, `[]`},
		{workflows.ImportEvents, `[{"unit_id":"u1","event":"e","timestamp":1740132000},]`},
		{workflows.ImportKPIs, `{"team":"checkout","name":"mrr","period":"2025-01","value":100}` + "\n" +
			`{"team":"checkout","name":"mrr","period":"2025-01","value":"101"}`},
		{workflows.ImportKPIs, `{"team":"checkot","name":"nps","period":"2025-13","value":true}`},
	} {
		f.Add(uint8(slices.Index(workflows.ImportKinds, s.kind)), []byte(s.data))
	}
	fuzzImport(f, codec.FormatJSON)
}

// FuzzImportCSV imports arbitrary CSV of each kind into a real database;
// see checkImport for what must hold. Run it with
//
//	go test -run='^$' -fuzz='^FuzzImportCSV$' ./workflows
func FuzzImportCSV(f *testing.F) {
	for _, s := range []struct {
		kind workflows.ImportKind
		data string
	}{
		{workflows.ImportExposures, "unit_id,experiment,variant,timestamp\nu1,one-click-checkout,control,2025-02-20T10:00:00Z\nu2,one-click-checkout,treatment,1740045600\n"},
		{workflows.ImportExposures, "\xef\xbb\xbftimestamp, unit_id ,variant,experiment\r\n1740045600,\"u,1\",control,free-shipping-banner\r\n"},
		{workflows.ImportEvents, "unit_id,event,value,timestamp\nu1,purchase,20,2025-02-21T10:00:00Z\nu1,purchase,20,2025-02-21T10:00:00Z\nu1,purchase,,2025-02-21T10:00:00Z\n"},
		{workflows.ImportEvents, "unit_id,event,timestamp\n\"multi\nline\",e,1740132000\n\nu2,e\n"},
		{workflows.ImportEvents, "unit_id,event,value,timestamp,unit_id\nu1,e,NaN,soon,x\n"},
		{workflows.ImportEvents, "unit_id,event,value,timestamp\nu1,e,1,\"1740132000\nu2\n"},
		{workflows.ImportKPIs, "team,name,period,value\ncheckout,mrr,2025-01,100\ncheckout,mrr,2025-02,111\n"},
		{workflows.ImportKPIs, "team,name,period,vlaue\n"},
		{workflows.ImportKPIs, ""},
	} {
		f.Add(uint8(slices.Index(workflows.ImportKinds, s.kind)), []byte(s.data))
	}
	fuzzImport(f, codec.FormatCSV)
}

// fuzzImport runs the import fuzz target for one format. Each fuzz worker
// opens one database and imports into it again and again, so that inputs
// also meet the rows earlier ones stored.
func fuzzImport(f *testing.F, format codec.Format) {
	svc, path := mustIngestService(f)
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, k uint8, data []byte) {
		kind := workflows.ImportKinds[int(k)%len(workflows.ImportKinds)]
		before, exposedBefore := storedRows(t, db), exposureTimes(t, db, kind)
		r, err := codec.Import(context.Background(), svc, kind, bytes.NewReader(data), format, "fuzz", workflows.ImportOptions{MaxRows: fuzzMaxRows})
		after := storedRows(t, db)
		if err != nil {
			checkImportError(t, data, err)
			if after != before {
				t.Fatalf("a refused import changed the database: %+v, then %+v", before, after)
			}
			return
		}
		checkImport(t, kind, format, data, r, before, after)
		if kind == workflows.ImportExposures {
			checkEarliestWins(t, r, exposedBefore, exposureTimes(t, db, kind))
		}
		if kind == workflows.ImportKPIs {
			return // a KPI repeated with another value is a correction each time
		}
		// Everything is stored now, so the same input again is all
		// duplicates: a retried upload never counts twice.
		again, err := codec.Import(context.Background(), svc, kind, bytes.NewReader(data), format, "fuzz", workflows.ImportOptions{MaxRows: fuzzMaxRows})
		if err != nil || again.Imported != 0 || again.Duplicates != r.Read || storedRows(t, db) != after {
			t.Fatalf("importing it again: %+v, %v; first %+v", again, err, r)
		}
	})
}

// rowCounts are the rows an import can add to.
type rowCounts struct {
	exposures, events, units, eventNames, kpis int64
	kpiValues                                  float64 // corrections change no count
}

func storedRows(t *testing.T, db *sql.DB) rowCounts {
	t.Helper()
	var c rowCounts
	err := db.QueryRow(`SELECT (SELECT count(*) FROM exposures), (SELECT count(*) FROM events), (SELECT count(*) FROM units),
		(SELECT count(*) FROM event_names), (SELECT count(*) FROM kpis), (SELECT total(value) FROM kpis)`).
		Scan(&c.exposures, &c.events, &c.units, &c.eventNames, &c.kpis, &c.kpiValues)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exposureTimes returns the stored time of every exposure when kind is
// exposures, nil otherwise.
func exposureTimes(t *testing.T, db *sql.DB, kind workflows.ImportKind) map[[3]any]int64 {
	t.Helper()
	if kind != workflows.ImportExposures {
		return nil
	}
	rows, err := db.Query(`SELECT experiment, unit, variant, at FROM exposures`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[[3]any]int64{}
	for rows.Next() {
		var experiment, variant string
		var unit, at int64
		if err := rows.Scan(&experiment, &unit, &variant, &at); err != nil {
			t.Fatal(err)
		}
		out[[3]any{experiment, unit, variant}] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkEarliestWins checks that an import of exposures only added
// exposures or moved stored ones earlier, and that it counted each as
// imported.
func checkEarliestWins(t *testing.T, r workflows.ImportReport, before, after map[[3]any]int64) {
	t.Helper()
	var changed int64
	for key, at := range before {
		switch now, ok := after[key]; {
		case !ok || now > at:
			t.Fatalf("exposure %v moved from %d to %d (stored: %v)", key, at, now, ok)
		case now < at:
			changed++
		}
	}
	changed += int64(len(after) - len(before))
	if changed != r.Imported {
		t.Fatalf("imported %d exposures, but %d were added or moved earlier", r.Imported, changed)
	}
}

// checkImportError checks a refusal: a limit, or problems that each point
// at a place in the input.
func checkImportError(t *testing.T, data []byte, err error) {
	t.Helper()
	if workflows.ErrorCode(err) != workflows.EINVALID {
		t.Fatalf("code %q: %v", workflows.ErrorCode(err), err)
	}
	var limit *workflows.LimitError
	if errors.As(err, &limit) {
		if limit.MaxRows != fuzzMaxRows || limit.Source != "fuzz" {
			t.Fatalf("limit error %+v", limit)
		}
		return
	}
	var ie *workflows.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("error %T %v, want an *ImportError or a *LimitError", err, err)
	}
	if ie.Source != "fuzz" || len(ie.Problems) == 0 || ie.Total < len(ie.Problems) || len(ie.Problems) > 10 {
		t.Fatalf("%d problems listed of %d: %v", len(ie.Problems), ie.Total, err)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	for i, p := range ie.Problems {
		if p.Line < 1 || p.Line > lines || p.Column < 1 || p.Column > len(data)+1 || strings.TrimSpace(p.Message) == "" {
			t.Fatalf("problem %+v in an input of %d lines, %d bytes", p, lines, len(data))
		}
		if i > 0 && (p.Line < ie.Problems[i-1].Line || p.Line == ie.Problems[i-1].Line && p.Column < ie.Problems[i-1].Column) {
			t.Fatalf("problems out of order: %+v", ie.Problems)
		}
	}
}

// checkImport checks an accepted import's report against the input and
// what the database gained.
func checkImport(t *testing.T, kind workflows.ImportKind, format codec.Format, data []byte, r workflows.ImportReport, before, after rowCounts) {
	t.Helper()
	if r.Kind != kind || r.Source != "fuzz" || r.Read != r.Imported+r.Duplicates || r.Imported < 0 || r.Duplicates < 0 || r.Read > fuzzMaxRows {
		t.Fatalf("report %+v", r)
	}
	switch kind {
	case workflows.ImportExposures:
		// An earlier exposure of a stored unit and variant moves its time
		// and adds no row; checkEarliestWins counts those.
		if n := after.exposures - before.exposures; n < 0 || n > r.Imported || after.events != before.events || after.kpis != before.kpis {
			t.Fatalf("imported %d exposures, stored rows went from %+v to %+v", r.Imported, before, after)
		}
	case workflows.ImportEvents:
		if after.events-before.events != r.Imported || after.exposures != before.exposures || after.kpis != before.kpis {
			t.Fatalf("imported %d events, stored rows went from %+v to %+v", r.Imported, before, after)
		}
	case workflows.ImportKPIs:
		// A correction replaces a value and adds no row.
		if n := after.kpis - before.kpis; n < 0 || n > r.Imported || after.exposures != before.exposures || after.events != before.events {
			t.Fatalf("imported %d KPI points, stored rows went from %+v to %+v", r.Imported, before, after)
		}
	}
	if want, ok := countRows(format, data); ok && r.Read != want {
		t.Fatalf("read %d rows of an input that has %d", r.Read, want)
	}
	// Every value is read as a number or stored as text, which must be
	// UTF-8; so an input that is not is refused somewhere.
	if !utf8.Valid(data) {
		t.Fatalf("accepted an input that is not valid UTF-8")
	}
	// The importer has its own JSON scanner, for speed: whatever it
	// accepts, encoding/json must find valid too.
	if format == codec.FormatJSON && !validJSON(data) {
		t.Fatalf("accepted JSON that encoding/json finds invalid")
	}
}

// countRows counts an accepted input's rows independently of the importer:
// NDJSON's non-blank lines, or CSV's records after the header. It reports
// false for a JSON array, whose items it does not count.
func countRows(format codec.Format, data []byte) (int64, bool) {
	data = bytes.TrimPrefix(data, byteOrderMark)
	if format == codec.FormatCSV {
		records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			return 0, false
		}
		return int64(max(len(records)-1, 0)), true
	}
	if isJSONArray(data) {
		return 0, false
	}
	var n int64
	for range nonBlankLines(data) {
		n++
	}
	return n, true
}

// validJSON reports whether an NDJSON input's every non-blank line, or a
// JSON array input as a whole, is valid JSON.
func validJSON(data []byte) bool {
	data = bytes.TrimPrefix(data, byteOrderMark)
	if isJSONArray(data) {
		return json.Valid(data)
	}
	for line := range nonBlankLines(data) {
		if !json.Valid(line) {
			return false
		}
	}
	return true
}

// byteOrderMark is the UTF-8 BOM, which the importer skips.
var byteOrderMark = []byte("\xef\xbb\xbf")

// isJSONArray reports whether the importer reads data as a JSON array.
func isJSONArray(data []byte) bool {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '['
}

func nonBlankLines(data []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) > 0 && !yield(line) {
				return
			}
		}
	}
}
