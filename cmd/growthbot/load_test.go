//go:build load

package main

// Load tests of `growthbot serve` (issue 9): slash commands at concurrency,
// concurrent ingestion with a retry storm, and buttons and pulses while the
// ingestion runs. Each runs the real server in-process on a real SQLite file,
// with the outbox delivering to the recording fake of Slack. They take a
// minute or two and measure time, so a build tag keeps them out of the
// default run:
//
//	go test -tags load -run Load -v ./cmd/growthbot
//
// The client runs in the same process as the server, so on a small machine
// the two share its cores: the figures are an upper bound of what the server
// alone would take.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
)

const (
	loadSigningSecret = "load-signing-secret"
	loadAPIToken      = "load-api-token"
	// loadUnits is how many units each experiment exposes: enough that an
	// analysis (/exp status, a decision, the pulse) has real work to do.
	loadUnits = 20_000
	// slackLimit is how long Slack waits for an answer to a request.
	slackLimit = 3 * time.Second
)

// loadBot is `growthbot serve` over a fresh database with the example config
// applied, its three experiments started and exposed to loadUnits units
// each, delivering its outbox to a fake Slack.
type loadBot struct {
	t      *testing.T
	dbPath string
	vars   map[string]string
	fake   *fakeslack.Server
	base   string
	stop   func() int
	client *http.Client
	// dataStart is when the experiments had started: exposures are stamped
	// with it and events follow it, so that analyses count them.
	dataStart time.Time
}

func newLoadBot(t *testing.T) *loadBot {
	t.Helper()
	dir := t.TempDir()
	b := &loadBot{t: t, dbPath: filepath.Join(dir, "growthbot.db"), fake: fakeslack.New()}
	t.Cleanup(b.fake.Close)
	b.vars = map[string]string{
		envDB:            b.dbPath,
		envSigningSecret: loadSigningSecret,
		envAPIToken:      loadAPIToken,
		envSlackAPIURL:   b.fake.APIURL(),
		envBotToken:      "xoxb-load",
	}
	cfg := writeFile(t, dir, "growthbot.yaml", string(templates.ExampleConfig()))
	if res := run(t, "", b.vars, "apply", "-f", cfg); res.code != 0 {
		t.Fatalf("apply: %+v", res)
	}
	b.base, b.stop = startServe(t, b.vars)
	// One idle connection per concurrent client, so that no request pays
	// for a new connection after the first round.
	b.client = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	t.Cleanup(b.client.CloseIdleConnections)

	for _, s := range []struct{ user, key string }{
		{"U0ENG1", "one-click-checkout"}, {"U0ENG2", "free-shipping-banner"}, {"U0ENG3", "guided-onboarding"},
	} {
		r, _, err := b.command(s.user, "/exp", "start "+s.key)
		if err != nil || !strings.Contains(r.Text, ":rocket:") {
			t.Fatalf("/exp start %s: %+v, %v", s.key, r, err)
		}
	}
	// Exposures at the start itself: the analysis counts events from the
	// exposure on, and the ingestion's events come after it.
	b.dataStart = time.Now().UTC().Truncate(time.Millisecond)
	for key, variants := range map[string][2]string{
		"one-click-checkout":   {"control", "treatment"},
		"free-shipping-banner": {"control", "banner"},
		"guided-onboarding":    {"control", "guided"},
	} {
		var body bytes.Buffer
		for u := range loadUnits {
			fmt.Fprintf(&body, `{"unit_id":"user-%d","experiment":%q,"variant":%q,"timestamp":%q}`+"\n",
				u, key, variants[u%2], b.dataStart.Format(time.RFC3339Nano))
		}
		res := b.post("/api/v1/exposures", "application/x-ndjson", body.Bytes())
		if res.err != nil || res.status != http.StatusOK || res.report.Imported != loadUnits {
			t.Fatalf("exposures of %s: %+v", key, res)
		}
	}
	return b
}

// send posts a body to one of the Slack endpoints, signed as Slack signs it
// now, and returns the reply and how long it took to arrive, body
// included. Signing is not timed.
func (b *loadBot) send(path string, body []byte) (slackReply, time.Duration, error) {
	req, err := http.NewRequest(http.MethodPost, b.base+path, bytes.NewReader(body))
	if err != nil {
		return slackReply{}, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	fakeslack.Sign(req, body, loadSigningSecret, time.Now())
	return b.do(req)
}

// slackReply is an ephemeral reply in the body of an answer to Slack.
type slackReply struct {
	Status int
	Text   string          `json:"text"`
	Blocks json.RawMessage `json:"blocks"`
}

func (b *loadBot) do(req *http.Request) (slackReply, time.Duration, error) {
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		return slackReply{}, time.Since(start), err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	r := slackReply{Status: resp.StatusCode}
	if err == nil && len(bytes.TrimSpace(raw)) > 0 {
		err = json.Unmarshal(raw, &r)
	}
	return r, took, err
}

// command sends one slash command from user in the checkout channel, with a
// response URL on the fake for a reply that comes late.
func (b *loadBot) command(user, command, text string) (slackReply, time.Duration, error) {
	body := fakeslack.CommandBody(fakeslack.Command{Command: command, Text: text, UserID: user, ChannelID: "C0CHECKOUT",
		ResponseURL: b.fake.ResponseURL()})
	return b.send("/slack/commands", body)
}

// apiResult is the outcome of one request to the ingestion API.
type apiResult struct {
	status int
	raw    string
	report struct {
		Read       int64 `json:"read"`
		Imported   int64 `json:"imported"`
		Duplicates int64 `json:"duplicates"`
	}
	took time.Duration
	err  error
}

func (b *loadBot) post(path, contentType string, body []byte) apiResult {
	req, err := http.NewRequest(http.MethodPost, b.base+path, bytes.NewReader(body))
	if err != nil {
		return apiResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+loadAPIToken)
	req.Header.Set("Content-Type", contentType)
	start := time.Now()
	resp, err := b.client.Do(req)
	if err != nil {
		return apiResult{err: err, took: time.Since(start)}
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	res := apiResult{status: resp.StatusCode, raw: string(raw), took: time.Since(start), err: err}
	if err == nil && resp.StatusCode == http.StatusOK {
		res.err = json.Unmarshal(raw, &res.report)
	}
	return res
}

// readDB opens the database read-only, as a second process would, for the
// tests' own checks.
func (b *loadBot) readDB() *sql.DB {
	b.t.Helper()
	db, err := sql.Open("sqlite", "file:"+b.dbPath+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { db.Close() })
	return db
}

func (b *loadBot) count(db *sql.DB, query string, args ...any) int {
	b.t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		b.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// latencySummary sorts ds and describes them.
func latencySummary(ds []time.Duration) string {
	slices.Sort(ds)
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }
	return fmt.Sprintf("n=%d p50=%s p90=%s p99=%s max=%s ms", len(ds), ms(percentile(ds, 0.50)), ms(percentile(ds, 0.90)),
		ms(percentile(ds, 0.99)), ms(percentile(ds, 1)))
}

// logMachine records what the figures were measured on. Other work on the
// machine shows in its load average.
func logMachine(t *testing.T) {
	load, _ := os.ReadFile("/proc/loadavg")
	fields := strings.Fields(string(load))
	t.Logf("machine: %s/%s, %d CPUs, GOMAXPROCS %d, load average %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(),
		runtime.GOMAXPROCS(0), strings.Join(fields[:min(3, len(fields))], " "))
}

// loadCommand is one kind of slash command in the mix.
type loadCommand struct {
	name          string
	user, command string
	text          func(i int) string
	// want is in every reply of this kind that did what was asked.
	want string
}

// commandMix is what a team sends in a busy hour, by weight out of 20: mostly
// reads, a tenth analyses (status analyses the experiment there and then)
// and a tenth writes. bot's BenchmarkCommandAck sends the same mix.
var commandMix = []struct {
	weight int
	loadCommand
}{
	{5, loadCommand{"exp list", "U0ENG1", "/exp", func(int) string { return "list" }, "One-click checkout"}},
	{2, loadCommand{"exp list TEAM", "U0ENG3", "/exp", func(int) string { return "list onboarding" }, "Guided onboarding"}},
	{2, loadCommand{"exp status", "U0ENG1", "/exp", func(int) string { return "status one-click-checkout" }, "One-click checkout"}},
	{5, loadCommand{"exp history", "U0ENG2", "/exp", func(int) string { return "history free-shipping-banner" }, "History of Free-shipping banner"}},
	{4, loadCommand{"growth goals", "U0ENG1", "/growth", func(int) string { return "goals" }, "Checkout goals"}},
	{2, loadCommand{"growth goal add", "U0ENG1", "/growth", func(i int) string {
		return fmt.Sprintf(`goal add checkout "Load goal %d" <@U0ENG2>`, i)
	}, ":dart: Goal #"}},
}

// commandPlan returns n commands in the mix's proportions, interleaved so
// that every stretch of the run sees the whole mix.
func commandPlan(n int) []loadCommand {
	var cycle []loadCommand
	for _, c := range commandMix {
		for range c.weight {
			cycle = append(cycle, c.loadCommand)
		}
	}
	// A stride coprime with the cycle's length spreads each kind out.
	out := make([]loadCommand, n)
	for i := range out {
		out[i] = cycle[(i*7)%len(cycle)]
	}
	return out
}

// lateReply is what checkReply says of a command acknowledged before its
// answer was ready (an analysis, at once; anything else after the server's
// 2.5 s deadline), which then follows through the response URL.
const lateReply = "late"

// checkReply says what is wrong with a command's reply, or "".
func checkReply(c loadCommand, r slackReply, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case r.Status != http.StatusOK:
		return fmt.Sprintf("HTTP %d: %s", r.Status, r.Text)
	case r.Text == "" && len(r.Blocks) == 0:
		return "empty reply"
	case strings.Contains(r.Text, "Working on it; the answer will appear here"),
		strings.Contains(r.Text, "Working out the scorecard"):
		// Acknowledged first (an analysis is acknowledged at once, anything
		// else after the deadline); the answer must follow.
		return lateReply
	case !strings.Contains(r.Text, c.want) && !bytes.Contains(r.Blocks, []byte(c.want)):
		return fmt.Sprintf("reply without %q: %.200s", c.want, r.Text)
	}
	return ""
}

func TestLoadCommands(t *testing.T) {
	const (
		total       = 2000
		concurrency = 50
		p99Target   = 50 * time.Millisecond
	)
	b := newLoadBot(t)
	// The analyses of /exp status read these: five events per exposed unit.
	b.ingest(t, eventPlan(b.dataStart, 1, 5*loadUnits, 5*loadUnits))

	// Warm up as a server that has been up a while is: one command of each
	// kind, so that each query is prepared once before the clock runs.
	for k, c := range commandMix {
		r, _, err := b.command(c.user, c.command, c.text(total+k))
		if msg := checkReply(c.loadCommand, r, err); msg != "" && msg != lateReply {
			t.Fatalf("warm-up %s: %s", c.name, msg)
		}
	}

	// What acknowledging a status costs with the server to itself (the
	// analysis itself runs after the acknowledgement), for comparison with
	// the figures under load.
	var alone []time.Duration
	for range 20 {
		r, d, err := b.command("U0ENG1", "/exp", "status one-click-checkout")
		if err != nil || r.Status != http.StatusOK {
			t.Fatalf("/exp status: %+v, %v", r, err)
		}
		alone = append(alone, d)
	}
	t.Logf("exp status, one at a time: %s", latencySummary(alone))

	plan := commandPlan(total)
	// Bodies are built before the clock runs, as Slack builds them on its
	// own machines; each is signed as it is sent.
	reqs := make([][]byte, total)
	responseURLs := make([]string, total)
	for i, c := range plan {
		responseURLs[i] = b.fake.ResponseURL()
		reqs[i] = fakeslack.CommandBody(fakeslack.Command{Command: c.command, Text: c.text(i), UserID: c.user,
			ChannelID: "C0CHECKOUT", ResponseURL: responseURLs[i]})
	}
	took := make([]time.Duration, total)
	problems := make([]string, total)
	var next atomic.Int64
	logMachine(t)
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < total; i = int(next.Add(1) - 1) {
				r, d, err := b.send("/slack/commands", reqs[i])
				took[i], problems[i] = d, checkReply(plan[i], r, err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	failed := 0
	var late []int
	byKind := map[string][]time.Duration{}
	for i, p := range problems {
		if p == lateReply {
			late = append(late, i)
		} else if p != "" {
			if failed < 5 {
				t.Errorf("command %d (%s): %s", i, plan[i].name, p)
			}
			failed++
		}
		byKind[plan[i].name] = append(byKind[plan[i].name], took[i])
	}
	var notStatus []time.Duration
	for _, c := range commandMix {
		t.Logf("  %-16s %s", c.name, latencySummary(byKind[c.name]))
		if c.name != "exp status" {
			notStatus = append(notStatus, byKind[c.name]...)
		}
	}
	t.Logf("  %-16s %s", "all but status", latencySummary(notStatus))
	all := slices.Clone(took)
	t.Logf("commands: %s; %d errors, %d answered late; %.0f commands/s at concurrency %d", latencySummary(all), failed,
		len(late), float64(total)/elapsed.Seconds(), concurrency)
	// A late answer is no error (Slack shows the acknowledgement, then the
	// answer), but the answer must come.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := b.fake.WaitFor(ctx, func(s *fakeslack.Server) bool {
		got := map[string]string{}
		for _, r := range s.Responses() {
			got[r.URL] = r.Text + string(r.Blocks)
		}
		for _, i := range late {
			if text, ok := got[responseURLs[i]]; !ok || !strings.Contains(text, plan[i].want) {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Errorf("the answers to commands acknowledged late did not all come: %v", err)
	}
	if failed > 0 {
		t.Errorf("%d of %d commands failed", failed, total)
	}
	if p99 := percentile(all, 0.99); p99 >= p99Target {
		t.Errorf("p99 acknowledgement %v; the target is under %v", p99, p99Target)
	}
	if code := b.stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
}

// ingestBatch is one request body of the ingestion API.
type ingestBatch struct {
	contentType string
	body        []byte
	rows        int
}

// eventPlan returns writers' batches of distinct events, perWriter events
// each, batch rows to a request, alternately as NDJSON and as a JSON array.
// Event g of the whole plan belongs to unit g mod loadUnits and is stamped
// 1+g/loadUnits ms after start, so no two events are the same, every unit
// is an exposed one and every event falls in the experiments' window.
func eventPlan(start time.Time, writers, perWriter, batch int) [][]ingestBatch {
	names := []string{"purchase", "checkout_error", "activated", "page_view"}
	plan := make([][]ingestBatch, writers)
	for w := range writers {
		for first := 0; first < perWriter; first += batch {
			n := min(batch, perWriter-first)
			array := len(plan[w])%2 == 1
			var body bytes.Buffer
			if array {
				body.WriteByte('[')
			}
			for i := range n {
				g := w*perWriter + first + i
				at := start.Add(time.Duration(1+g/loadUnits) * time.Millisecond)
				if array && i > 0 {
					body.WriteByte(',')
				}
				name := names[g%len(names)]
				fmt.Fprintf(&body, `{"unit_id":"user-%d","event":%q,`, g%loadUnits, name)
				if name == "purchase" {
					fmt.Fprintf(&body, `"value":%d.%02d,`, 5+g%95, g%100)
				}
				fmt.Fprintf(&body, `"timestamp":%q}`, at.Format(time.RFC3339Nano))
				if !array {
					body.WriteByte('\n')
				}
			}
			ct := "application/x-ndjson"
			if array {
				body.WriteByte(']')
				ct = "application/json"
			}
			plan[w] = append(plan[w], ingestBatch{contentType: ct, body: body.Bytes(), rows: n})
		}
	}
	return plan
}

// ingestOutcome sums up an ingestion run.
type ingestOutcome struct {
	rows, duplicates int64
	requests         int
	elapsed          time.Duration
	latencies        []time.Duration
}

// ingest posts every writer's batches, the writers at once and each
// writer's batches one after the other, and fails the test for any request
// that is not answered 200 with every row imported (every row a duplicate,
// asRetryStorm), or whose answer mentions a busy or locked database.
func (b *loadBot) ingest(t *testing.T, plan [][]ingestBatch, opts ...ingestOption) ingestOutcome {
	t.Helper()
	var o ingestOptions
	for _, opt := range opts {
		opt(&o)
	}
	var mu sync.Mutex
	var out ingestOutcome
	var firstOnce sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	send := func(w, i int, batch ingestBatch) {
		res := b.post("/api/v1/events", batch.contentType, batch.body)
		want := int64(batch.rows)
		imported, dups := res.report.Imported, res.report.Duplicates
		ok := res.err == nil && res.status == http.StatusOK && res.report.Read == want &&
			((!o.duplicates && imported == want && dups == 0) || (o.duplicates && imported == 0 && dups == want))
		if low := strings.ToLower(res.raw); strings.Contains(low, "busy") || strings.Contains(low, "locked") {
			ok = false
		}
		if !ok {
			t.Errorf("writer %d batch %d (%s): HTTP %d, %v: %.300s", w, i, batch.contentType, res.status, res.err, res.raw)
		}
		if o.started != nil && res.status == http.StatusOK {
			firstOnce.Do(func() { close(o.started) })
		}
		mu.Lock()
		out.rows += imported
		out.duplicates += dups
		out.requests++
		out.latencies = append(out.latencies, res.took)
		mu.Unlock()
	}
	for w, batches := range plan {
		if o.storm {
			// A retry storm: a client that lost its answers sends every batch
			// again, all at once.
			for i, batch := range batches {
				wg.Go(func() { send(w, i, batch) })
			}
			continue
		}
		wg.Go(func() {
			for i, batch := range batches {
				send(w, i, batch)
			}
		})
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	if o.started != nil {
		firstOnce.Do(func() { close(o.started) }) // nothing was stored: do not leave the caller waiting
	}
	return out
}

type ingestOptions struct {
	duplicates bool          // every row was sent before
	storm      bool          // send each writer's batches at once
	started    chan struct{} // closed when the first batch is stored
}

type ingestOption func(*ingestOptions)

// asRetryStorm sends each writer's batches all at once, as a client that
// lost its answers retries, and expects every row to be a duplicate.
func asRetryStorm(o *ingestOptions) { o.duplicates, o.storm = true, true }

// signalStart closes ch once the first batch is stored (or the run ends).
func signalStart(ch chan struct{}) ingestOption { return func(o *ingestOptions) { o.started = ch } }

func (o ingestOutcome) rate() float64 { return float64(o.rows) / o.elapsed.Seconds() }

func (o ingestOutcome) String() string {
	return fmt.Sprintf("%d rows stored, %d duplicates, %d requests in %v; per request %s", o.rows, o.duplicates,
		o.requests, o.elapsed.Round(time.Millisecond), latencySummary(o.latencies))
}

func eventCount(b *loadBot, db *sql.DB) int { return b.count(db, `SELECT COUNT(*) FROM events`) }

// ingestionPlan is issue 9's ingestion: 8 writers of 100,000 events each,
// 5,000 to a request.
func ingestionPlan(start time.Time) [][]ingestBatch { return eventPlan(start, 8, 100_000, 5_000) }

func TestLoadIngestion(t *testing.T) {
	b := newLoadBot(t)
	plan := ingestionPlan(b.dataStart)
	logMachine(t)
	out := b.ingest(t, plan)
	t.Logf("ingestion: %v: %.0f rows/s", out, out.rate())
	// The write-ahead log stays small when checkpoints keep up with the
	// writes; the database file holds the rows.
	if wal, err := os.Stat(b.dbPath + "-wal"); err == nil {
		t.Logf("write-ahead log after the ingestion: %.1f MB", float64(wal.Size())/(1<<20))
	}
	db := b.readDB()
	if n := eventCount(b, db); n != 800_000 || out.rows != 800_000 {
		t.Fatalf("events stored: %d (the API reported %d imported); want 800000", n, out.rows)
	}

	storm := b.ingest(t, plan[:1], asRetryStorm)
	t.Logf("retry storm: %v", storm)
	if n := eventCount(b, db); n != 800_000 || storm.rows != 0 || storm.duplicates != 100_000 {
		t.Errorf("after the retry storm: %d events stored; the API reported %d imported and %d duplicates; want 800000, 0, 100000",
			n, storm.rows, storm.duplicates)
	}
	if code := b.stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
}

// press is one button press and what became of it.
type press struct {
	name        string
	responseURL string
	took        time.Duration
	status      int
	err         error
}

// presser presses buttons as Slack posts their block_actions.
type presser struct {
	b       *loadBot
	mu      sync.Mutex
	presses []*press
}

// press clicks a button as user; its reply goes to a response URL of its
// own on the fake.
func (p *presser) press(user, actionID, value string) *press {
	pr := &press{name: actionID + " " + value + " by " + user, responseURL: p.b.fake.ResponseURL()}
	body := fakeslack.BlockActionsBody(fakeslack.Action{ActionID: actionID, Value: value, UserID: user,
		ChannelID: "C0CHECKOUT", ResponseURL: pr.responseURL})
	r, took, err := p.b.send("/slack/interactions", body)
	pr.took, pr.status, pr.err = took, r.Status, err
	p.mu.Lock()
	p.presses = append(p.presses, pr)
	p.mu.Unlock()
	return pr
}

// together presses several buttons at once, as people do on one message.
func (p *presser) together(fns ...func() *press) []*press {
	out := make([]*press, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { out[i] = fn() })
	}
	wg.Wait()
	return out
}

// replies waits for the replies to presses and returns their texts.
func (p *presser) replies(ctx context.Context, presses ...*press) ([]string, error) {
	texts := make([]string, len(presses))
	err := p.b.fake.WaitFor(ctx, func(s *fakeslack.Server) bool {
		byURL := map[string]string{}
		for _, r := range s.Responses() {
			byURL[r.URL] = r.Text
		}
		for i, pr := range presses {
			text, ok := byURL[pr.responseURL]
			if !ok {
				return false
			}
			texts[i] = text
		}
		return true
	})
	return texts, err
}

var decisionRef = regexp.MustCompile(`Decision #(\d+) to extend`)

func TestLoadMixed(t *testing.T) {
	b := newLoadBot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Goals to drop from their buttons.
	var goals []string
	goalID := regexp.MustCompile(`Goal #(\d+) added`)
	for i := range 40 {
		r, _, err := b.command("U0ENG1", "/growth", fmt.Sprintf(`goal add checkout "Mixed goal %d"`, i))
		m := goalID.FindStringSubmatch(r.Text)
		if err != nil || m == nil {
			t.Fatalf("goal add: %+v, %v", r, err)
		}
		goals = append(goals, m[1])
	}
	plan := ingestionPlan(b.dataStart)
	logMachine(t)

	started, ingested := make(chan struct{}), make(chan struct{})
	var out ingestOutcome
	go func() {
		defer close(ingested)
		out = b.ingest(t, plan, signalStart(started))
	}()
	<-started
	ingesting := func() bool {
		select {
		case <-ingested:
			return false
		default:
			return true
		}
	}

	// Pulses, back to back, as an operator forcing one from the command line
	// while serve runs: a second process on the same file.
	var pulses []string
	pulseDone := make(chan struct{})
	go func() {
		defer close(pulseDone)
		for first := true; first || ingesting(); first = false {
			start := time.Now()
			res := run(t, "", map[string]string{envDB: b.dbPath}, "jobs", "run", "pulse", "--force")
			pulses = append(pulses, fmt.Sprintf("%v (exit %d)", time.Since(start).Round(time.Millisecond), res.code))
			if res.code != 0 {
				t.Errorf("pulse during ingestion: %+v", res)
				return
			}
		}
	}()

	// Buttons: two people ask to extend one experiment and two to kill
	// another at the same moment; the rollout is paused; two approvers
	// approve the extension at once; then goals are dropped, some twice,
	// until the ingestion ends.
	p := &presser{b: b}
	first := p.together(
		func() *press { return p.press("U0ENG1", "exp.extend", "one-click-checkout") },
		func() *press { return p.press("U0ENG2", "exp.extend", "one-click-checkout") },
		func() *press { return p.press("U0ENG2", "exp.kill", "free-shipping-banner") },
		func() *press { return p.press("U0ENG1", "exp.kill", "free-shipping-banner") },
		func() *press { return p.press("U0ENG3", "rollout.pause", "guided-onboarding") },
	)
	texts, err := p.replies(ctx, first...)
	if err != nil {
		t.Fatalf("replies to the first presses: %v", err)
	}
	for i, text := range texts {
		t.Logf("%s: %s", first[i].name, text)
	}
	var approvals []*press
	for _, text := range texts[:2] {
		if m := decisionRef.FindStringSubmatch(text); m != nil {
			approvals = p.together(
				func() *press { return p.press("U0PM", "decision.approve", m[1]) },
				func() *press { return p.press("U0LEAD", "decision.approve", m[1]) },
			)
		}
	}
	if _, err := p.replies(ctx, approvals...); err != nil {
		t.Fatalf("replies to the approvals: %v", err)
	}
	// A steady stream of presses, twenty a second, as people work while the
	// data arrives: each in its own goroutine, so that a slow answer does
	// not hold back the next press. Every goal is dropped once, and most
	// of them again (which is refused).
	tick := time.NewTicker(50 * time.Millisecond)
	var pressing sync.WaitGroup
	for i := 0; ingesting() || i < len(goals); i++ {
		<-tick.C
		goal := goals[i%len(goals)]
		pressing.Go(func() { p.press("U0ENG2", "goal.drop", goal) })
	}
	tick.Stop()
	pressing.Wait()
	<-ingested
	<-pulseDone
	t.Logf("ingestion with buttons and pulses: %v: %.0f rows/s", out, out.rate())
	t.Logf("pulses: %s", strings.Join(pulses, ", "))

	var took []time.Duration
	for _, pr := range p.presses {
		took = append(took, pr.took)
		if pr.err != nil || pr.status != http.StatusOK || pr.took >= slackLimit {
			t.Errorf("%s: HTTP %d in %v, %v", pr.name, pr.status, pr.took, pr.err)
		}
	}
	t.Logf("button presses: %s", latencySummary(took))
	texts, err = p.replies(ctx, p.presses...)
	if err != nil {
		t.Fatalf("replies to the buttons: %v", err)
	}
	for i, text := range texts {
		// Conflicts are expected (a second kill, a goal dropped twice); an
		// internal error is not.
		if strings.Contains(text, ":x:") || strings.Contains(text, "cannot write to its database") {
			t.Errorf("%s: %s", p.presses[i].name, text)
		}
	}

	db := b.readDB()
	if n := eventCount(b, db); n != 800_000 {
		t.Errorf("events stored: %d; want 800000", n)
	}
	b.drainOutbox(ctx, db)
	if code := b.stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
	b.checkDecisions(db, goals)
	b.checkDelivered(db)
}

// drainOutbox waits until the server has delivered every message.
func (b *loadBot) drainOutbox(ctx context.Context, db *sql.DB) {
	b.t.Helper()
	// The outbox is in the database, which says nothing when it changes, so
	// this looks every few milliseconds.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		left := b.count(db, `SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')`)
		if left == 0 {
			return
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("%d messages still undelivered", left)
		case <-tick.C:
		}
	}
}

// checkDecisions checks what the presses decided: at most one applied
// decision per experiment, the kill applied once, and each goal dropped
// once however often its button was pressed.
func (b *loadBot) checkDecisions(db *sql.DB, goals []string) {
	b.t.Helper()
	rows, err := db.Query(`SELECT experiment, action, state FROM decisions ORDER BY id`)
	if err != nil {
		b.t.Fatal(err)
	}
	defer rows.Close()
	applied := map[string][]string{}
	for rows.Next() {
		var exp, action, state string
		if err := rows.Scan(&exp, &action, &state); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("decision: %s %s %s", exp, action, state)
		if state == "applied" {
			applied[exp] = append(applied[exp], action)
		}
	}
	for exp, actions := range applied {
		if len(actions) > 1 {
			b.t.Errorf("experiment %s has %d applied decisions: %v", exp, len(actions), actions)
		}
	}
	if got := applied["free-shipping-banner"]; !slices.Equal(got, []string{"kill"}) {
		b.t.Errorf("free-shipping-banner: applied decisions %v; want one kill", got)
	}
	if n := b.count(db, `SELECT COUNT(*) FROM experiments WHERE key = 'free-shipping-banner' AND state = 'killed'`); n != 1 {
		b.t.Error("free-shipping-banner is not killed")
	}
	for _, id := range goals {
		if n := b.count(db, `SELECT COUNT(*) FROM goals WHERE id = ? AND status = 'dropped'`, id); n != 1 {
			b.t.Errorf("goal %s is not dropped", id)
		}
		if n := b.count(db, `SELECT COUNT(*) FROM audit WHERE action = 'goal.dropped' AND subject = ?`, "goal:"+id); n != 1 {
			b.t.Errorf("goal %s was dropped %d times", id, n)
		}
	}
}

// checkDelivered compares the outbox with what the fake Slack received:
// every message sent, each exactly once.
func (b *loadBot) checkDelivered(db *sql.DB) {
	b.t.Helper()
	rows, err := db.Query(`SELECT key, op, url, state, last_error FROM outbox`)
	if err != nil {
		b.t.Fatal(err)
	}
	defer rows.Close()
	byOp := map[string]int{}
	var postKeys, responseURLs []string
	for rows.Next() {
		var key, op, u, state, lastErr string
		if err := rows.Scan(&key, &op, &u, &state, &lastErr); err != nil {
			b.t.Fatal(err)
		}
		if state != "sent" {
			b.t.Errorf("message %s (%s) is %s: %s", key, op, state, lastErr)
		}
		byOp[op]++
		switch op {
		case "post":
			postKeys = append(postKeys, key)
		case "respond":
			responseURLs = append(responseURLs, u)
		}
	}
	if err := rows.Err(); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("outbox: %v", byOp)

	calls := map[string]int{}
	posted := map[string]int{}
	for _, c := range b.fake.Calls() {
		if c.Status != http.StatusOK || c.Error != "" {
			b.t.Errorf("Slack answered %s with HTTP %d %s", c.Method, c.Status, c.Error)
			continue
		}
		calls[c.Method]++
		if c.Method == "chat.postMessage" {
			var meta struct {
				Payload struct {
					Key string `json:"key"`
				} `json:"event_payload"`
			}
			json.Unmarshal([]byte(c.Params.Get("metadata")), &meta)
			posted[meta.Payload.Key]++
		}
	}
	responded := map[string]int{}
	for _, r := range b.fake.Responses() {
		responded[r.URL]++
	}
	for _, key := range postKeys {
		if posted[key] != 1 {
			b.t.Errorf("post %s reached Slack %d times", key, posted[key])
		}
	}
	for _, u := range responseURLs {
		if responded[u] != 1 {
			b.t.Errorf("response to %s reached Slack %d times", u, responded[u])
		}
	}
	for op, method := range map[string]string{"post": "chat.postMessage", "update": "chat.update", "respond": fakeslack.MethodResponse,
		"ephemeral": "chat.postEphemeral", "upload": "files.completeUploadExternal"} {
		if byOp[op] != calls[method] {
			b.t.Errorf("%d %s messages in the outbox, %d %s calls to Slack", byOp[op], op, calls[method], method)
		}
	}
}
