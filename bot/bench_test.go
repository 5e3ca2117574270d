package bot_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
)

// BenchmarkCommandAck measures the slash-command acknowledgement path: 50
// clients at once send signed /exp list and /growth goals commands over
// loopback to the real handlers on a real SQLite file; each request is
// verified, recorded against replays, parsed, answered from the database
// and rendered. It reports the latency percentiles Slack cares about (its
// limit is 3 s).
//
//	go test -run '^$' -bench CommandAck -benchtime 2000x ./bot
func BenchmarkCommandAck(b *testing.B) {
	tb := newTestBot(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	texts := []struct{ command, text string }{{"/exp", "list"}, {"/growth", "goals checkout"}, {"/exp", "history one-click-checkout"}}
	const concurrency = 50
	latencies := make([]time.Duration, b.N)
	var next, failures int
	var mu sync.Mutex
	b.ResetTimer()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= b.N {
					return
				}
				c := texts[i%len(texts)]
				body := fakeslack.CommandBody(fakeslack.Command{Command: c.command, Text: c.text, UserID: "U0ENG1"})
				req, _ := http.NewRequest(http.MethodPost, tb.baseURL+"/slack/commands", strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				fakeslack.Sign(req, body, secret, time.Now())
				start := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				latencies[i] = time.Since(start)
				if err != nil || resp.StatusCode != http.StatusOK {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if failures > 0 {
		b.Fatalf("%d of %d commands failed", failures, b.N)
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
