package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchEventsFile returns an NDJSON file of n events, written once to
// $TMPDIR/growthbot-bench and kept: 1M units, five event names, in time
// order over January 2025, timestamps alternately RFC 3339 with
// milliseconds and Unix seconds, values on purchases.
func benchEventsFile(tb testing.TB, n int, gz bool) string {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), "growthbot-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	name := fmt.Sprintf("events-%d.ndjson", n)
	if gz {
		name += ".gz"
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := writeEventsFile(path+".tmp", n, gz); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		tb.Fatal(err)
	}
	return path
}

func writeEventsFile(path string, n int, gz bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var w io.Writer = f
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(f)
		w = zw
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	r := rand.New(rand.NewPCG(7, 7))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 31 * 24 * time.Hour / time.Duration(n)
	names := []string{"page_view", "page_view", "page_view", "add_to_cart", "purchase", "checkout_error"}
	var line []byte
	for i := range n {
		at := start.Add(time.Duration(i) * step)
		name := names[r.IntN(len(names))]
		line = append(line[:0], `{"unit_id":"user-`...)
		line = append(line, fmt.Sprintf("%07d", r.IntN(1_000_000))...)
		line = append(line, `","event":"`...)
		line = append(line, name...)
		if name == "purchase" {
			line = append(line, `","value":`...)
			line = strconv.AppendFloat(line, float64(r.IntN(20000))/100, 'f', -1, 64)
			line = append(line, `,"timestamp":`...)
		} else {
			line = append(line, `","timestamp":`...)
		}
		if i%2 == 0 {
			line = append(line, '"')
			line = at.AppendFormat(line, "2006-01-02T15:04:05.000Z07:00")
			line = append(line, '"')
		} else {
			line = strconv.AppendInt(line, at.Unix(), 10)
		}
		line = append(line, "}\n"...)
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	return f.Close()
}

// benchImport runs `growthbot import events FILE` into a fresh database per
// iteration and reports events per second and, on Linux, the peak RSS of
// the import.
func benchImport(b *testing.B, n int, gz bool) {
	benchImportFile(b, "events", benchEventsFile(b, n, gz), n, nil)
}

// benchImportFile runs `growthbot import KIND FILE` of a file of n rows
// into a fresh database per iteration, set up by setup when it is not nil,
// and reports rows per second and, on Linux, the peak RSS of the import.
func benchImportFile(b *testing.B, kind, path string, n int, setup func(b *testing.B, db string)) {
	var elapsed, cpu time.Duration
	var peak int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(b.TempDir(), "bench.db")
		if setup != nil {
			setup(b, db)
		}
		resetPeakRSS()
		b.StartTimer()
		start, startCPU := time.Now(), cpuTime()
		var out, errOut bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
		if code := Main(context.Background(), e, []string{"import", kind, path, "--db", db}); code != 0 {
			b.Fatalf("import exited with %d: %s", code, errOut.String())
		}
		elapsed += time.Since(start)
		cpu += cpuTime() - startCPU
		peak = max(peak, peakRSS())
		if !strings.Contains(out.String(), thousands(int64(n))+" rows read") {
			b.Fatalf("import said: %s", out.String())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), kind+"/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "CPU-s/op")
	if peak > 0 {
		b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
	}
}

// BenchmarkImportEvents1M imports an NDJSON file of 1M events.
func BenchmarkImportEvents1M(b *testing.B) { benchImport(b, 1_000_000, false) }

// BenchmarkImportEvents10M imports a gzipped NDJSON file of 10M events:
// the throughput, and the peak RSS that streaming keeps bounded.
func BenchmarkImportEvents10M(b *testing.B) { benchImport(b, 10_000_000, true) }

// cpuTime returns the CPU time the process has used, user and system:
// unlike the time an import takes, it hardly moves with the machine's load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the process's peak resident set size (Linux), so
// that the benchmark's setup does not count.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the process's peak resident set size in bytes, 0 when
// unknown.
func peakRSS() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
