package codec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

// benchEvents returns n NDJSON events as the import benchmarks write them.
func benchEvents(n int) []byte {
	var b bytes.Buffer
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i := range n {
		fmt.Fprintf(&b, `{"unit_id":"user-%d","event":"purchase","value":%d.5,"timestamp":%d}`+"\n", i%50000, i%100, start+int64(i))
	}
	return b.Bytes()
}

// BenchmarkDecodeEvents measures decoding alone, the work an import does
// on its decoding core: the hand-written tokenizer this package uses, and
// encoding/json decoding the same lines into a struct (which knows no
// columns for messages, so it is the least the standard library would
// cost).
func BenchmarkDecodeEvents(b *testing.B) {
	const n = 100_000
	data := benchEvents(n)
	b.Run("codec", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		cpu := cpuTime()
		for b.Loop() {
			rows, err := codec.Events(bytes.NewReader(data), codec.FormatJSON)
			if err != nil {
				b.Fatal(err)
			}
			var e workflows.Event
			read := 0
			for rows.Next(&e) {
				read++
			}
			if read != n || rows.Problems().Total != 0 {
				b.Fatalf("%d rows, %d problems", read, rows.Problems().Total)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N*n), "CPU-ns/row")
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		cpu := cpuTime()
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(data))
			read := 0
			for {
				var row struct {
					UnitID    json.RawMessage `json:"unit_id"`
					Event     string          `json:"event"`
					Value     *float64        `json:"value"`
					Timestamp json.Number     `json:"timestamp"`
				}
				err := dec.Decode(&row)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				var unit string
				if err := json.Unmarshal(row.UnitID, &unit); err != nil {
					b.Fatal(err)
				}
				sec, err := strconv.ParseInt(row.Timestamp.String(), 10, 64)
				if err != nil {
					b.Fatal(err)
				}
				_ = workflows.Event{UnitID: unit, Name: row.Event, Value: *row.Value, At: time.Unix(sec, 0).UTC()}
				read++
			}
			if read != n {
				b.Fatalf("%d rows", read)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N*n), "CPU-ns/row")
	})
}

// cpuTime returns the CPU time this process has used, which moves less
// with the machine's load than the time on the wall.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
