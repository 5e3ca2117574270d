package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/workflows"
)

// The OFREP benchmarks run `growthbot serve` as a process of its own and
// load it from this one with a lean HTTP/1.1 client (like wrk: keep-alive
// connections over net.Conn, every request built before the clock starts),
// so that the figures are the server's, and the CPU time of each side is
// reported apart: server-cpu-µs/req is what growthbot spends on a request.

// percentile returns the nearest-rank percentile p (0 to 1) of sorted
// durations; bot's BenchmarkCommandAck computes its figures the same way.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// ofrepRequests builds n POST requests to path, each with the body body(i)
// and the API token.
func ofrepRequests(path string, n int, body func(i int) string) [][]byte {
	reqs := make([][]byte, n)
	for i := range reqs {
		b := body(i)
		reqs[i] = fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: growthbot\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, ofrepToken, len(b), b)
	}
	return reqs
}

// loadResult is what a load run measured.
type loadResult struct {
	lat     []time.Duration // sorted
	elapsed time.Duration
	// client and server are the CPU time the load generator (this
	// process) used during the run, and the server process until it was
	// quiet again (with the exposures the run left written).
	client, server time.Duration
}

// ofrepLoad sends the requests over c keep-alive connections to the
// server, one at a time on each, paced to rate requests a second when
// rate > 0 (a request's latency then counts from when it was due, so a
// server that falls behind is not excused), and measures them. Every
// answer must be wantStatus.
func ofrepLoad(b *testing.B, p *serveProcess, reqs [][]byte, c int, rate float64, wantStatus int) loadResult {
	b.Helper()
	u, err := url.Parse(p.base)
	if err != nil {
		b.Fatal(err)
	}
	conns := make([]net.Conn, c)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", u.Host); err != nil {
			b.Fatal(err)
		}
		defer conns[i].Close()
	}
	lat := make([]time.Duration, len(reqs))
	var next atomic.Int64
	var failed atomic.Value
	if out := os.Getenv("GROWTHBOT_BENCH_PERF"); out != "" {
		// Profile the server while it is loaded: perf record -g into out.
		perf := exec.Command("perf", "record", "-F", "2000", "-g", "-o", out, "-p", strconv.Itoa(p.cmd.Process.Pid))
		if err := perf.Start(); err != nil {
			b.Fatalf("GROWTHBOT_BENCH_PERF: %v", err)
		}
		time.Sleep(time.Second) // until perf has attached
		defer func() { perf.Process.Signal(os.Interrupt); perf.Wait() }()
	}
	cpu0, server0 := cpuTime(), processCPU(b, p.cmd.Process.Pid)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Go(func() {
			br := bufio.NewReaderSize(conn, 64<<10)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				t0 := time.Now()
				if rate > 0 {
					due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					if wait := time.Until(due); wait > 0 {
						time.Sleep(wait)
						t0 = time.Now()
					} else {
						t0 = due // behind: the wait counts
					}
				}
				status, err := roundTrip(conn, br, reqs[i])
				lat[i] = time.Since(t0)
				if err == nil && status != wantStatus {
					err = fmt.Errorf("status %d, want %d", status, wantStatus)
				}
				if err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	res := loadResult{elapsed: time.Since(start)}
	b.StopTimer()
	// The server's CPU counts until it is quiet again: the exposures the
	// requests left are written by then.
	res.client, res.server = cpuTime()-cpu0, waitQuiet(b, p)-server0
	if err := failed.Load(); err != nil {
		b.Fatalf("a request failed: %v", err)
	}
	slices.Sort(lat)
	res.lat = lat
	return res
}

// roundTrip writes one request and reads its response (HTTP/1.1, with a
// Content-Length or chunked), returning the status code.
func roundTrip(conn net.Conn, br *bufio.Reader, req []byte) (int, error) {
	if _, err := conn.Write(req); err != nil {
		return 0, err
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status := atoi(line[9:12])
	length, chunked := -1, false
	for {
		if line, err = br.ReadSlice('\n'); err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length = atoi(value)
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			return 0, errors.New("the server closes the connection")
		}
	}
	switch {
	case chunked:
		for {
			if line, err = br.ReadSlice('\n'); err != nil {
				return 0, err
			}
			size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("bad chunk size %q", line)
			}
			if _, err := br.Discard(int(size) + 2); err != nil {
				return 0, err
			}
			if size == 0 {
				return status, nil
			}
		}
	case length >= 0:
		_, err = br.Discard(length)
		return status, err
	case status == 304 || status == 204:
		return status, nil
	}
	return 0, errors.New("a response without a length")
}

// atoi parses a small decimal number; -1 when b is not one.
func atoi(b []byte) int {
	if len(b) == 0 || len(b) > 9 {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// processCPU returns the CPU time (user and system, all threads) that the
// process pid has used, from /proc/PID/stat, in clock ticks of 10 ms.
func processCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("the server's CPU time: %v", err)
	}
	// The fields after the command's name, which is in parentheses:
	// state is the first, utime the 12th and stime the 13th.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("the server's CPU time: cannot parse %q", raw)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// report reports throughput and latency percentiles, and the CPU time per
// request of the server and of the load generator: figures that hardly
// move with the machine's load.
func (r loadResult) report(b *testing.B, unit string) {
	n := float64(len(r.lat))
	b.ReportMetric(float64(r.server.Nanoseconds())/1000/n, "server-cpu-µs/req")
	b.ReportMetric(float64(r.client.Nanoseconds())/1000/n, "client-cpu-µs/req")
	b.ReportMetric(n/r.elapsed.Seconds(), unit+"/s")
	b.ReportMetric(float64(percentile(r.lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(r.lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// startOFREPProcess serves db with growthbot serve as a process of its
// own, which posts to a fake Slack, and waits until the work it does on
// starting (the scheduler's first round of jobs, the outbox) is done, so
// that what the benchmark measures is the evaluations.
func startOFREPProcess(b *testing.B, db string) *serveProcess {
	b.Helper()
	fake := fakeslack.New()
	b.Cleanup(fake.Close)
	for _, ch := range []string{"C0WEB", "C0APP"} {
		fake.DeclareChannel(fakeslack.Channel{ID: ch, Name: strings.ToLower(ch[2:])})
	}
	p := startServeProcess(b, buildGrowthbot(b), db, map[string]string{envAPIToken: ofrepToken,
		envBotToken: "xoxb-bench", envSlackAPIURL: fake.APIURL()})
	waitQuiet(b, p)
	return p
}

// waitQuiet waits until the server process is quiet, less than 20 ms of
// CPU in half a second twice in a row, and returns the CPU time it has
// used.
func waitQuiet(b *testing.B, p *serveProcess) time.Duration {
	deadline, quiet := time.Now().Add(2*time.Minute), 0
	last := processCPU(b, p.cmd.Process.Pid)
	for quiet < 2 {
		if time.Now().After(deadline) {
			b.Fatalf("serve is still busy after two minutes:\n%s", p.logs)
		}
		time.Sleep(500 * time.Millisecond)
		now := processCPU(b, p.cmd.Process.Pid)
		if quiet++; now-last >= 20*time.Millisecond {
			quiet = 0
		}
		last = now
	}
	return last
}

// BenchmarkOFREPSingle: single-flag evaluations on loopback over 50
// connections, each op 1,000 evaluations of new units of a flag in a layer,
// with a team holdout. c50-max sends them as fast as they come back
// (closed loop: the server saturated); c50-5000/s paces them at the
// target rate; c50-5000/s-unlogged too, with growthbot_log_exposure:
// false, which shows what logging a new unit's exposures costs.
//
//	go test ./cmd/growthbot -run '^$' -bench OFREPSingle -benchtime 20x
//
// With GROWTHBOT_BENCH_WRK=1, c50-max's load comes from wrk
// (github.com/wg/wrk, the Debian package wrk; optional, not needed
// otherwise) instead: 50 connections on 2 threads for 20 s.
func BenchmarkOFREPSingle(b *testing.B) {
	const c, per, path = 50, 1000, "/ofrep/v1/evaluate/flags/checkout-config"
	for _, run := range []struct {
		name     string
		rate     float64
		unlogged bool
	}{{"c50-max", 0, false}, {"c50-5000/s", 5000, false}, {"c50-5000/s-unlogged", 5000, true}} {
		b.Run(run.name, func(b *testing.B) {
			p := startOFREPProcess(b, ofrepFixture(b))
			if run.rate == 0 && os.Getenv("GROWTHBOT_BENCH_WRK") != "" {
				wrkLoad(b, p, path, c, 20*time.Second)
				return
			}
			option := ""
			if run.unlogged {
				option = `,"growthbot_log_exposure":false`
			}
			reqs := ofrepRequests(path, b.N*per, func(i int) string {
				return fmt.Sprintf(`{"context":{"targetingKey":"user-%d","plan":"pro","country":"DE"%s}}`, i, option)
			})
			ofrepLoad(b, p, reqs, c, run.rate, 200).report(b, "evals")
		})
	}
}

// BenchmarkOFREPBulk200: bulk evaluations of 200 flags, 10 at a time, each
// op 100 requests, a new unit each. c10-max sends them as fast as they come
// back (the server saturated); c10-500/s paces them at 500 bulks a second
// (100,000 flag evaluations a second, about 80,000 exposures written).
//
//	go test ./cmd/growthbot -run '^$' -bench OFREPBulk200 -benchtime 20x
func BenchmarkOFREPBulk200(b *testing.B) {
	for _, run := range []struct {
		name string
		rate float64
	}{{"c10-max", 0}, {"c10-500/s", 500}} {
		b.Run(run.name, func(b *testing.B) {
			p := startOFREPProcess(b, bulkFixture(b))
			const c, per = 10, 100
			reqs := ofrepRequests("/ofrep/v1/evaluate/flags", b.N*per, func(i int) string {
				return fmt.Sprintf(`{"context":{"targetingKey":"user-%d"}}`, i)
			})
			ofrepLoad(b, p, reqs, c, run.rate, 200).report(b, "bulks")
		})
	}
}

// bulkFixture is a database of 200 running experiments of team web, which
// has a holdout, 50 of them in layers.
func bulkFixture(b *testing.B) string {
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
	return db
}

// BenchmarkOFREPExposures evaluates, at 5,000 evaluations a second, 50 at a
// time, units that repeat (each op: 10,000 evaluations, 8,000 of them of
// 2,000 units four times each in an experiment that logs exposures, the
// rest in one that logs none), stops serve, and counts the exposure rows:
// one per unit of the first, none lost, none doubled, none of the second.
//
//	go test ./cmd/growthbot -run '^$' -bench OFREPExposures -benchtime 3x
func BenchmarkOFREPExposures(b *testing.B) {
	db := ofrepFixture(b)
	p := startOFREPProcess(b, db)
	const c, per, distinct, rate = 50, 10_000, 2_000, 5000.0
	n := b.N * per
	units := b.N * distinct
	logged, silent := "dark-mode", "max-items" // max-items logs nothing
	reqs := make([][]byte, 0, n)
	for i := range n {
		key, unit := logged, (i-i/5)%units // the i-th request of the logged flag
		if i%5 == 4 {
			key, unit = silent, (i/5)%units
		}
		reqs = append(reqs, ofrepRequests("/ofrep/v1/evaluate/flags/"+key, 1, func(int) string {
			return fmt.Sprintf(`{"context":{"targetingKey":"unit-%d"}}`, unit)
		})...)
	}
	res := ofrepLoad(b, p, reqs, c, rate, 200)
	p.stop()
	rows := queryInt(b, db, `SELECT count(*) FROM exposures WHERE experiment = '`+logged+`'`)
	distinctRows := queryInt(b, db, `SELECT count(DISTINCT unit) FROM exposures WHERE experiment = '`+logged+`'`)
	other := queryInt(b, db, `SELECT count(*) FROM exposures WHERE experiment = '`+silent+`'`)
	if rows != units || distinctRows != units || other != 0 {
		b.Fatalf("%d evaluations of %d units left %d rows (%d units), and %d of %s; want one a unit, none of %s",
			n, units, rows, distinctRows, other, silent, silent)
	}
	res.report(b, "evals")
	b.ReportMetric(float64(units-distinctRows), "lost")
	b.ReportMetric(float64(rows-distinctRows), "doubled")
}

// wrkScript makes wrk send OFREP evaluations, a new unit each.
const wrkScript = `
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("prefix", "wrk" .. counter .. "-")
end
local n = 0
function request()
  n = n + 1
  local body = '{"context":{"targetingKey":"' .. prefix .. n .. '","plan":"pro","country":"DE"}}'
  return wrk.format("POST", nil, {["Authorization"] = "Bearer %s", ["Content-Type"] = "application/json"}, body)
end
`

// wrkLoad loads the server with wrk for d over c connections and reports
// wrk's rate and latency percentiles, and the server's CPU per request.
func wrkLoad(b *testing.B, p *serveProcess, path string, c int, d time.Duration) {
	script := filepath.Join(b.TempDir(), "ofrep.lua")
	if err := os.WriteFile(script, fmt.Appendf(nil, wrkScript, ofrepToken), 0o644); err != nil {
		b.Fatal(err)
	}
	server0 := processCPU(b, p.cmd.Process.Pid)
	b.ResetTimer()
	out, err := exec.Command("wrk", "-t2", fmt.Sprintf("-c%d", c), fmt.Sprintf("-d%ds", int(d.Seconds())), "--latency",
		"-s", script, p.base+path).CombinedOutput()
	b.StopTimer()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	server := waitQuiet(b, p) - server0
	b.Logf("wrk:\n%s", out)
	// "  123456 requests in 20.00s, ...", "Requests/sec: 6172.80", "     99%    4.56ms"
	field := func(re string) float64 {
		m := regexp.MustCompile(re).FindSubmatch(out)
		if m == nil {
			b.Fatalf("wrk's output has no %s:\n%s", re, out)
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		if len(m) > 2 {
			v *= map[string]float64{"us": 0.001, "ms": 1, "s": 1000}[string(m[2])]
		}
		return v
	}
	if bytes.Contains(out, []byte("Non-2xx")) || bytes.Contains(out, []byte("Socket errors")) {
		b.Fatalf("wrk saw failures:\n%s", out)
	}
	n := field(`(\d+) requests in`)
	b.ReportMetric(float64(server.Nanoseconds())/1000/n, "server-cpu-µs/req")
	b.ReportMetric(field(`Requests/sec:\s+([\d.]+)`), "evals/s")
	b.ReportMetric(field(`\s50%\s+([\d.]+)(us|ms|s)`), "p50-ms")
	b.ReportMetric(field(`\s99%\s+([\d.]+)(us|ms|s)`), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
