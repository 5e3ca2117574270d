package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

// benchUnits is how many units each experiment exposes, as in the load
// test (cmd/growthbot/load_test.go), which this benchmark mirrors.
const benchUnits = 20_000

// benchMix is the load test's command mix, by weight out of 20: mostly
// reads, a tenth /exp status (acknowledged at once; its analysis runs after
// the acknowledgement, on the same cores) and a tenth writes. want is in
// every reply that did what was asked.
var benchMix = []struct {
	weight                    int
	user, command, text, want string
}{
	{5, "U0ENG1", "/exp", "list", "One-click checkout"},
	{2, "U0ENG3", "/exp", "list onboarding", "Guided onboarding"},
	{2, "U0ENG1", "/exp", "status one-click-checkout", "Working out the scorecard of `one-click-checkout`"},
	{5, "U0ENG2", "/exp", "history free-shipping-banner", "History of Free-shipping banner"},
	{4, "U0ENG1", "/growth", "goals", "Checkout goals"},
	{2, "U0ENG1", "/growth", `goal add checkout "Bench goal %d"`, ":dart: Goal #"},
}

// seedBenchData starts the example's experiments, exposes benchUnits units
// to each and gives the units five events each, so that /exp status has
// an analysis to run; then it moves the clock on, so the data is in the
// window.
func (b *testBot) seedBenchData() {
	b.t.Helper()
	ctx := context.Background()
	for key, owner := range map[string]string{"one-click-checkout": "U0ENG1", "free-shipping-banner": "U0ENG2", "guided-onboarding": "U0ENG3"} {
		if _, err := b.svc.StartExperiment(ctx, owner, key); err != nil {
			b.t.Fatal(err)
		}
	}
	start := b.clock.Now()
	var exposures, events bytes.Buffer
	for key, variants := range map[string][2]string{"one-click-checkout": {"control", "treatment"},
		"free-shipping-banner": {"control", "banner"}, "guided-onboarding": {"control", "guided"}} {
		for u := range benchUnits {
			fmt.Fprintf(&exposures, `{"unit_id":"user-%d","experiment":%q,"variant":%q,"timestamp":%q}`+"\n", u, key, variants[u%2],
				start.Format(time.RFC3339Nano))
		}
	}
	names := []string{"purchase", "checkout_error", "activated", "page_view"}
	for g := range 5 * benchUnits {
		value := ""
		if names[g%4] == "purchase" {
			value = fmt.Sprintf(`"value":%d.%02d,`, 5+g%95, g%100)
		}
		fmt.Fprintf(&events, `{"unit_id":"user-%d","event":%q,%s"timestamp":%q}`+"\n", g%benchUnits, names[g%4], value,
			start.Add(time.Duration(1+g/benchUnits)*time.Millisecond).Format(time.RFC3339Nano))
	}
	for kind, data := range map[workflows.ImportKind]*bytes.Buffer{workflows.ImportExposures: &exposures, workflows.ImportEvents: &events} {
		if _, err := codec.Import(ctx, b.svc, kind, data, codec.FormatJSON, "bench", workflows.ImportOptions{}); err != nil {
			b.t.Fatal(err)
		}
	}
	b.clock.Advance(time.Hour)
}

// BenchmarkCommandAck measures the slash-command acknowledgement path as
// the load test does: 50 clients at once send b.N signed commands of the
// load test's mix over loopback to the real handlers on a real SQLite file
// with the load test's data; each request is verified, recorded against
// replays, parsed, answered from the database and rendered. It reports the
// latency percentiles, computed as the load test computes them, and the
// throughput. ns/op is left out: at concurrency 50 it is neither a
// command's latency nor its cost. Every command's latency counts: one of
// each kind runs before the clock starts, as on a server that has been up
// a while, and a reply that fails or says less than it should fails the
// benchmark.
//
//	go test -run '^$' -bench CommandAck -benchtime 2000x ./bot
func BenchmarkCommandAck(b *testing.B) {
	tb := newTestBot(b)
	tb.seedBenchData()
	responseURL := tb.fake.ResponseURL()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	defer client.CloseIdleConnections()
	var cycle []int
	for i, c := range benchMix {
		for range c.weight {
			cycle = append(cycle, i)
		}
	}
	send := func(i, kind int) (time.Duration, string) {
		c := benchMix[kind]
		text := c.text
		if strings.Contains(text, "%d") {
			text = fmt.Sprintf(text, i)
		}
		// A response URL the server accepts (the fake's): without one, a
		// slow command is not acknowledged but answered in full.
		body := fakeslack.CommandBody(fakeslack.Command{Command: c.command, Text: text, UserID: c.user, ChannelID: "C0CHECKOUT",
			ResponseURL: responseURL})
		req, _ := http.NewRequest(http.MethodPost, tb.baseURL+"/slack/commands", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		fakeslack.Sign(req, body, secret, time.Now())
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return time.Since(start), err.Error()
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		var r struct {
			Text   string          `json:"text"`
			Blocks json.RawMessage `json:"blocks"`
		}
		switch {
		case err != nil:
			return took, err.Error()
		case resp.StatusCode != http.StatusOK:
			return took, fmt.Sprintf("HTTP %d", resp.StatusCode)
		case json.Unmarshal(raw, &r) != nil || (r.Text == "" && len(r.Blocks) == 0):
			return took, "empty reply"
		case !strings.Contains(r.Text, c.want) && !bytes.Contains(r.Blocks, []byte(c.want)):
			return took, fmt.Sprintf("reply without %q: %.200s", c.want, r.Text)
		}
		return took, ""
	}
	for kind := range benchMix {
		if _, problem := send(-1-kind, kind); problem != "" {
			b.Fatalf("warm-up %s: %s", benchMix[kind].text, problem)
		}
	}

	const concurrency = 50
	latencies := make([]time.Duration, b.N)
	problems := make([]string, b.N)
	var next int
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
				// The same interleaving as the load test's commandPlan.
				latencies[i], problems[i] = send(i, cycle[(i*7)%len(cycle)])
			}
		})
	}
	wg.Wait()
	elapsed := b.Elapsed()
	b.StopTimer()
	if i := slices.IndexFunc(problems, func(p string) bool { return p != "" }); i >= 0 {
		b.Fatalf("command %d failed: %s", i, problems[i])
	}
	slices.Sort(latencies)
	// Nearest rank, as the load test's percentile.
	pct := func(p float64) float64 {
		i := max(int(math.Ceil(p*float64(len(latencies))))-1, 0)
		return float64(latencies[i].Microseconds()) / 1000
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "cmds/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.90), "p90-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
