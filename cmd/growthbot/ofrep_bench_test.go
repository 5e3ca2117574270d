package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// percentile returns the nearest-rank percentile p (0 to 1) of sorted
// durations; bot's BenchmarkCommandAck computes its figures the same way.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// ofrepLoad sends n requests from c workers, each request made by body(i),
// paced to rate requests a second when rate > 0, and returns the sorted
// latencies and the elapsed time. Every answer must be 200.
func ofrepLoad(b *testing.B, url string, n, c int, rate float64, body func(i int) string) ([]time.Duration, time.Duration) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var failed atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if rate > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
				}
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body(i)))
				req.Header.Set("Authorization", "Bearer "+ofrepToken)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Store(err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := failed.Load(); err != nil {
		b.Fatalf("a request failed: %v", err)
	}
	slices.Sort(lat)
	return lat, elapsed
}

// reportLatency reports throughput and latency percentiles, and the CPU
// time (server and client together, both in this process) per request
// since cpu0: a figure that does not move with the machine's load.
func reportLatency(b *testing.B, lat []time.Duration, elapsed, cpu0 time.Duration, unit string) {
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(len(lat)), "cpu-µs/req")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), unit+"/s")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkOFREPSingle: single-flag evaluations on loopback, 50 at a time,
// each op 1,000 evaluations of distinct units (their exposures logged).
//
//	go test ./cmd/growthbot -run '^$' -bench OFREPSingle -benchtime 20x
func BenchmarkOFREPSingle(b *testing.B) {
	base, _, _ := startOFREP(b)
	const c, per = 50, 1000
	url := base + "/ofrep/v1/evaluate/flags/checkout-config"
	b.ResetTimer()
	cpu0 := cpuTime()
	lat, elapsed := ofrepLoad(b, url, b.N*per, c, 0, func(i int) string {
		return fmt.Sprintf(`{"context":{"targetingKey":"user-%d","plan":"pro","country":"DE"}}`, i)
	})
	reportLatency(b, lat, elapsed, cpu0, "evals")
}

// BenchmarkOFREPBulk200: bulk evaluations of 200 flags, 10 at a time, each
// op 100 requests.
//
//	go test ./cmd/growthbot -run '^$' -bench OFREPBulk200 -benchtime 10x
func BenchmarkOFREPBulk200(b *testing.B) {
	dir := b.TempDir()
	db := filepath.Join(dir, "g.db")
	var cfg strings.Builder
	cfg.WriteString(`
teams:
  - {key: web, name: Web, channel: C0WEB, lead: U0LEAD, approvers: [U0PM], members: [U0ENG],
     holdout: {share: 0.05, start: "2000-01-01", end: "2999-12-31"}}
metrics:
  - {key: purchase, type: proportion, event: purchase}
experiments:
`)
	var keys []string
	for i := range 200 {
		key := fmt.Sprintf("flag-%03d", i)
		keys = append(keys, key)
		layer := ""
		if i%4 == 0 {
			layer = fmt.Sprintf(", layer: layer-%d, layer_share: 0.25", i/16)
		}
		fmt.Fprintf(&cfg, "  - {key: %s, team: web%s, variants: [{key: a, value: {n: 1}}, {key: b, value: {n: 2}}], primary_metrics: [purchase]}\n", key, layer)
	}
	path := writeFile(b, dir, "g.yaml", cfg.String())
	if res := run(b, "", nil, "apply", "-f", path, "--db", db); res.code != 0 {
		b.Fatal(res)
	}
	withService(b, db, func(svc *workflows.Service) {
		for _, key := range keys {
			if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	base, _ := startServe(b, map[string]string{envAPIToken: ofrepToken}, "--db", db)
	const c, per = 10, 100
	b.ResetTimer()
	cpu0 := cpuTime()
	lat, elapsed := ofrepLoad(b, base+"/ofrep/v1/evaluate/flags", b.N*per, c, 0, func(i int) string {
		return fmt.Sprintf(`{"context":{"targetingKey":"user-%d"}}`, i)
	})
	reportLatency(b, lat, elapsed, cpu0, "bulks")
}

// BenchmarkOFREPExposures evaluates, at 5,000 evaluations a second, 50 at a
// time, units that repeat (each op: 10,000 evaluations of 2,500 units, in
// two experiments), stops serve, and counts the exposure rows: one per
// unit and experiment, none lost, none doubled.
//
//	go test ./cmd/growthbot -run '^$' -bench OFREPExposures -benchtime 3x
func BenchmarkOFREPExposures(b *testing.B) {
	base, stop, db := startOFREP(b)
	const c, per, distinct, rate = 50, 10_000, 2_500, 5000.0
	n := b.N * per
	units := b.N * distinct
	keys := []string{"dark-mode", "max-items"} // max-items logs nothing
	b.ResetTimer()
	cpu0 := cpuTime()
	lat, elapsed := ofrepLoad(b, base+"/ofrep/v1/evaluate/flags/dark-mode", n, c, rate, func(i int) string {
		return fmt.Sprintf(`{"context":{"targetingKey":"unit-%d"}}`, i%units)
	})
	b.StopTimer()
	if code := stop(); code != 0 {
		b.Fatalf("serve exited with %d", code)
	}
	rows := queryInt(b, db, `SELECT count(*) FROM exposures WHERE experiment = 'dark-mode'`)
	distinctRows := queryInt(b, db, `SELECT count(DISTINCT unit) FROM exposures WHERE experiment = 'dark-mode'`)
	other := queryInt(b, db, `SELECT count(*) FROM exposures WHERE experiment = '`+keys[1]+`'`)
	if rows != units || distinctRows != units || other != 0 {
		b.Fatalf("%d evaluations of %d units left %d rows (%d units); want one a unit", n, units, rows, distinctRows)
	}
	reportLatency(b, lat, elapsed, cpu0, "evals")
	b.ReportMetric(float64(units-distinctRows), "lost")
	b.ReportMetric(float64(rows-distinctRows), "doubled")
}
