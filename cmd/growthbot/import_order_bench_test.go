package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/templates"
)

// The files of the order benchmarks hold the same 1M events of 50k units
// over ten days, each unit's events at random times: once in time order,
// once interleaved (shuffled) as uploads from many devices arrive. They
// are written once to $TMPDIR/growthbot-bench and kept.
const (
	orderEvents = 1_000_000
	orderUnits  = 50_000
)

type orderRow struct {
	unit  int
	name  string
	value float64 // 0 for none
	at    time.Time
	line  int // in generation order: picks the timestamp's format
}

func orderRows() []orderRow {
	r := rand.New(rand.NewPCG(11, 11))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	names := []string{"page_view", "page_view", "page_view", "add_to_cart", "purchase", "checkout_error"}
	rows := make([]orderRow, orderEvents)
	for i := range rows {
		row := orderRow{unit: r.IntN(orderUnits), name: names[r.IntN(len(names))], line: i,
			at: start.Add(time.Duration(r.Int64N(int64(10*24*time.Hour/time.Millisecond))) * time.Millisecond)}
		if row.name == "purchase" {
			row.value = float64(1+r.IntN(20000)) / 100
		}
		rows[i] = row
	}
	return rows
}

// benchOrderFile returns the ordered or the interleaved file.
func benchOrderFile(tb testing.TB, ordered bool) string {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), "growthbot-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	name := "events-50k-units-interleaved.ndjson"
	if ordered {
		name = "events-50k-units-ordered.ndjson"
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	rows := orderRows()
	if ordered {
		slices.SortStableFunc(rows, func(a, b orderRow) int { return a.at.Compare(b.at) })
	}
	if err := writeOrderFile(path+".tmp", rows); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		tb.Fatal(err)
	}
	return path
}

func writeOrderFile(path string, rows []orderRow) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	for _, row := range rows {
		line = append(line[:0], `{"unit_id":"device-`...)
		line = strconv.AppendInt(line, int64(row.unit), 10)
		line = append(line, `","event":"`...)
		line = append(line, row.name...)
		line = append(line, '"')
		if row.value != 0 {
			line = append(line, `,"value":`...)
			line = strconv.AppendFloat(line, row.value, 'f', -1, 64)
		}
		line = append(line, `,"timestamp":`...)
		// Half RFC 3339 with milliseconds, half fractional Unix seconds.
		if row.line%2 == 0 {
			line = append(line, '"')
			line = row.at.AppendFormat(line, "2006-01-02T15:04:05.000Z07:00")
			line = append(line, '"')
		} else {
			line = strconv.AppendFloat(line, float64(row.at.UnixMilli())/1000, 'f', 3, 64)
		}
		line = append(line, "}\n"...)
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// BenchmarkImportOrder imports the same 1M events in time order and
// interleaved, through `growthbot import`, and runs the bare loop on the
// interleaved file: one prepared single-row INSERT per event, in the
// file's order, in one transaction, with the rows parsed beforehand. The
// bare loop is what SQLite alone does with the rows as they come; the
// import, parsing included, should be no slower. Run it with -count to
// alternate the three:
//
//	go test ./cmd/growthbot -run '^$' -bench ImportOrder -benchtime 2x -count 3
func BenchmarkImportOrder(b *testing.B) {
	b.Run("ordered", func(b *testing.B) { benchImportFile(b, "events", benchOrderFile(b, true), orderEvents, nil) })
	b.Run("interleaved", func(b *testing.B) { benchImportFile(b, "events", benchOrderFile(b, false), orderEvents, nil) })
	b.Run("bare-loop", benchBareLoop)
}

type bareRow struct {
	at, unit, event int64
	value           float64
}

// bareRows parses the interleaved file once per process.
var bareRows = sync.OnceValues(func() ([]bareRow, error) {
	f, err := os.Open(filepath.Join(os.TempDir(), "growthbot-bench", "events-50k-units-interleaved.ndjson"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names := map[string]int64{}
	var rows []bareRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v struct {
			Unit      string          `json:"unit_id"`
			Event     string          `json:"event"`
			Value     *float64        `json:"value"`
			Timestamp json.RawMessage `json:"timestamp"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, err
		}
		var at int64
		var ts string
		if json.Unmarshal(v.Timestamp, &ts) == nil {
			t, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				return nil, err
			}
			at = t.UnixMilli()
		} else {
			sec, err := strconv.ParseFloat(string(v.Timestamp), 64)
			if err != nil {
				return nil, err
			}
			at = int64(sec*1000 + 0.5)
		}
		sum := sha256.Sum256([]byte(v.Unit))
		row := bareRow{at: at, unit: int64(binary.BigEndian.Uint64(sum[:8])), value: 1}
		if v.Value != nil {
			row.value = *v.Value
		}
		if row.event = names[v.Event]; row.event == 0 {
			row.event = int64(len(names) + 1)
			names[v.Event] = row.event
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
})

func benchBareLoop(b *testing.B) {
	benchOrderFile(b, false)
	rows, err := bareRows()
	if err != nil {
		b.Fatal(err)
	}
	var elapsed, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "bare.db")
		db, err := store.Open(context.Background(), path) // the schema
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
		b.StartTimer()
		start, startCPU := time.Now(), cpuTime()
		if err := bareLoop(path, rows); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		cpu += cpuTime() - startCPU
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "CPU-s/op")
}

// bareLoop inserts rows with the pragmas an import has.
func bareLoop(path string, rows []bareRow) (err error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -65536"); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for id := range int64(6) {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO event_names (id, name) VALUES (?, ?)`, id+1, fmt.Sprint("e", id+1)); err != nil {
			return err
		}
	}
	st, err := tx.Prepare(`INSERT OR IGNORE INTO events (at, unit, event, value) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := st.Exec(r.at, r.unit, r.event, r.value); err != nil {
			return err
		}
	}
	if err := st.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

// benchExposuresFile returns an NDJSON file of 1M exposures of 500k units
// to the example's one-click-checkout, in no time order (as mobile SDKs
// send them), most units seen twice.
func benchExposuresFile(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), "growthbot-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "exposures-1000000.ndjson")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	r := rand.New(rand.NewPCG(13, 13))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f, err := os.Create(path + ".tmp")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	for range 1_000_000 {
		unit := r.IntN(500_000)
		variant := []string{"control", "treatment"}[unit%2]
		at := start.Add(time.Duration(r.Int64N(int64(10*24*time.Hour/time.Second))) * time.Second)
		fmt.Fprintf(w, `{"unit_id":"device-%d","experiment":"one-click-checkout","variant":%q,"timestamp":%q}`+"\n",
			unit, variant, at.Format(time.RFC3339))
	}
	if err := cmp.Or(w.Flush(), f.Close()); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkImportExposures1M imports 1M exposures into a database with the
// example config applied.
func BenchmarkImportExposures1M(b *testing.B) {
	cfg := filepath.Join(b.TempDir(), "growthbot.yaml")
	if err := os.WriteFile(cfg, templates.ExampleConfig(), 0o644); err != nil {
		b.Fatal(err)
	}
	benchImportFile(b, "exposures", benchExposuresFile(b), 1_000_000, func(b *testing.B, db string) {
		var out, errOut bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
		if code := Main(context.Background(), e, []string{"apply", "-f", cfg, "--db", db}); code != 0 {
			b.Fatalf("apply: %s", errOut.String())
		}
	})
}
