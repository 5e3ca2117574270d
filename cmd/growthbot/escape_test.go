package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// hostile is text a user or a data source might put in any name, title or
// reason: every kind of Slack mention and link, and the characters mrkdwn
// treats as control characters.
const hostile = `<!channel> <@UEVIL0> <#CEVIL0|x> <https://evil.example|x> <!date^0^{date}|evil> R&D <beta>`

// injected are what Slack would turn into a notification or a link if
// hostile text reached a payload unescaped. growthbot itself never writes
// them: its mentions name real ids, its links its own threads.
var injected = []string{"<!channel", "<@UEVIL0", "<#CEVIL0", "<https://evil", "<!date^0^"}

// ownDate matches the date tokens growthbot writes itself (slackDate and
// slackDay): a Unix time, a format, and the fallback in the one wording.
// Any other "<!" in a payload was injected.
var ownDate = regexp.MustCompile(`<!date\^(\d+)\^(\{date_short_pretty\} \{time\}|\{date_short\})\|([^<>|]*)>`)

// foreignTokens returns the "<!" tokens of p that growthbot did not write:
// every one but a date token whose fallback is the one wording of its own
// Unix time.
func foreignTokens(p string) []string {
	var bad []string
	rest := ownDate.ReplaceAllStringFunc(p, func(tok string) string {
		m := ownDate.FindStringSubmatch(tok)
		unix, _ := strconv.ParseInt(m[1], 10, 64)
		want := workflows.MomentText(time.Unix(unix, 0))
		if m[2] == "{date_short}" {
			want = workflows.DayText(time.Unix(unix, 0).UTC())
		}
		if m[3] != want {
			bad = append(bad, tok)
		}
		return ""
	})
	for i := strings.Index(rest, "<!"); i >= 0; i = strings.Index(rest, "<!") {
		bad = append(bad, rest[i:min(len(rest), i+40)])
		rest = rest[i+2:]
	}
	return bad
}

// hostileConfig is the example config with every name and hypothesis
// ending in hostile text; keys stay as they are, so that the demo's
// commands still name them.
func hostileConfig() []byte {
	cfg := string(templates.ExampleConfig())
	block := regexp.MustCompile(`(?m)^(\s+(?:- )?(?:name|hypothesis): )([^{\n]+)$`)
	cfg = block.ReplaceAllString(cfg, `$1"$2 `+hostile+`"`)
	flow := regexp.MustCompile(`(\{key: [^,]+, name: )([^,}]+)`)
	return []byte(flow.ReplaceAllString(cfg, `$1"$2 `+hostile+`"`))
}

// recorder keeps the direct answers of the Slack endpoints, which the
// console shows but the fake Slack does not see.
type recorder struct {
	h    http.Handler
	mu   sync.Mutex
	seen []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	r.mu.Lock()
	r.seen = append(r.seen, rec.Body.String())
	r.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// stringsIn returns every string Slack reads as mrkdwn in a payload value: the value itself, or
// when it is JSON (blocks, views, a whole body) every string inside it,
// decoded, since JSON may spell < as \u003c.
func stringsIn(v string) []string {
	var doc any
	if json.Unmarshal([]byte(v), &doc) != nil {
		return []string{v}
	}
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if x["type"] == "plain_text" {
				return // shown as typed: Slack renders no mention or link in it
			}
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	return out
}

// TestEscapingScan runs the demo - every kind of message growthbot posts:
// scorecards, thread headlines, alerts, decisions, rollouts, growth reviews
// and their decisions, App Home - over a config whose every team,
// experiment and metric name and hypothesis carries hostile text, then
// types commands with hostile titles, reasons and arguments. Every payload
// that reached the fake Slack (posts, updates, ephemerals, views, response
// URLs) and every direct answer is scanned: no mention or link may appear
// that growthbot did not write itself.
func TestEscapingScan(t *testing.T) {
	dir := t.TempDir()
	var out syncBuffer
	e := &env{stdout: &out, stderr: &out, getenv: func(string) string { return "" }, stdin: strings.NewReader("")}
	e.log = newLogger(e)
	ctx := context.Background()
	d, err := openDemo(ctx, e, filepath.Join(dir, "demo.db"), filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	d.config = hostileConfig()
	rec := &recorder{h: d.slack.console.handler}
	d.slack.console.handler = rec
	if err := d.run(ctx); err != nil {
		t.Fatalf("the demo over hostile names: %v\n%s", err, out.String())
	}
	for _, line := range []struct{ user, text string }{
		{"U0ENG1", `/growth goal add checkout "` + hostile + `" @U0ENG1`},
		{"U0ENG1", "/growth goals"},
		{"U0ENG1", "/growth goals " + hostile},
		{"U0ENG1", "/growth kpi checkout"},
		{"U0ENG1", "/exp list"},
		{"U0ENG1", "/exp list " + hostile},
		{"U0ENG1", "/exp status " + hostile},
		{"U0ENG1", "/exp status one-click-checkout"},
		{"U0ENG1", "/exp history one-click-checkout"},
		{"U0ENG1", "/exp history guided-onboarding"},
		{"U0ENG1", "/exp extend one-click-checkout 3 -- " + hostile},
		{"U0ENG1", "/exp ship one-click-checkout " + hostile},
		{"U0ENG3", "/exp rollout guided-onboarding pause -- " + hostile},
		{"U0ENG1", "/exp frobnicate " + hostile},
		{"U0ENG1", "/growth review checkout"},
	} {
		d.as(ctx, line.user, line.text)
	}

	// App Home, for the approver and the lead.
	for _, user := range []string{"U0PM", "U0LEAD"} {
		body := fakeslack.EventBody(fakeslack.EventCallback{UserID: user, EventID: "EvHome" + user})
		req := httptest.NewRequest(http.MethodPost, "/slack/events", bytes.NewReader(body))
		fakeslack.Sign(req, body, localSecret, time.Now())
		rec.ServeHTTP(httptest.NewRecorder(), req)
	}
	d.slack.console.router.Wait()

	// KPI names are keys: a hostile one is refused at ingestion.
	kpis := writeFile(t, dir, "kpis.csv", "team,name,period,value\ncheckout,\""+strings.ReplaceAll(hostile, `"`, `""`)+"\",2026-01,1\n")
	if res := run(t, "", nil, "import", "kpis", kpis, "--db", filepath.Join(dir, "demo.db")); res.code == 0 || !strings.Contains(res.stderr, "KPI name") {
		t.Errorf("a KPI named with hostile text was not refused: %+v", res)
	}

	var payloads []string
	methods := map[string]int{}
	for _, c := range d.slack.fake.Calls() {
		for name, values := range c.Params {
			if name == "token" || name == "files" || name == "filename" || name == "alt_txt" {
				continue // an upload's file name and title are plain text, not mrkdwn
			}
			for _, v := range values {
				payloads = append(payloads, stringsIn(v)...)
			}
		}
		methods[c.Method]++
	}
	for _, r := range d.slack.fake.Responses() {
		payloads = append(payloads, stringsIn(string(r.Raw))...)
	}
	for _, s := range rec.seen {
		payloads = append(payloads, stringsIn(s)...)
	}
	escaped, dates := 0, 0
	for _, p := range payloads {
		for _, bad := range injected {
			if i := strings.Index(p, bad); i >= 0 {
				t.Errorf("unescaped %q reached Slack: ...%s...", bad, p[max(0, i-120):min(len(p), i+80)])
			}
		}
		for _, tok := range foreignTokens(p) {
			t.Errorf("a Slack token growthbot did not write reached Slack: %s", tok)
		}
		escaped += strings.Count(p, "&lt;!channel&gt;")
		dates += len(ownDate.FindAllString(p, -1))
	}
	if dates == 0 {
		t.Error("no date of growthbot's own reached Slack: the scan does not see its tokens")
	}
	t.Logf("scanned %d strings from %d calls %v, %d responses and %d direct answers; hostile text appeared escaped %d times; %d dates of growthbot's own",
		len(payloads), len(d.slack.fake.Calls()), methods, len(d.slack.fake.Responses()), len(rec.seen), escaped, dates)
	for _, m := range []string{"chat.postMessage", "chat.update", "views.publish"} {
		if methods[m] == 0 {
			t.Errorf("no %s: the scan does not cover it", m)
		}
	}
	t.Run("times", func(t *testing.T) { checkTimes(t, "Slack", payloads) })
	t.Run("times in the console", func(t *testing.T) { checkTimes(t, "the console", strings.Split(out.String(), "\n")) })
	if escaped < 50 {
		t.Errorf("hostile text appeared escaped only %d times: the names did not reach the messages", escaped)
	}
}

// Times people read: in Slack every moment is growthbot's date token, so
// that each reader sees their own zone; its fallback, the console and the
// CLI write the one wording, "2 Dec 2026 14:47 UTC" or "2 Dec 2026".
var (
	clockTime = regexp.MustCompile(`(^|[^:\w])\d{1,2}:\d{2}\b`)
	isoDate   = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)
	dayMonth  = regexp.MustCompile(`\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b( \d{4}\b)?`)
	oneMoment = regexp.MustCompile(`^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2} UTC`)
	logLine   = regexp.MustCompile(`^time=\S+ level=`)
)

// checkTimes finds times and dates written in another wording than the
// one: a clock time outside a date token (or, in plain text, outside the
// one wording), a day and month without a year, and in Slack an ISO date.
// The CLI names job periods as --period takes them (2026-12-02), and
// strings without a space are ids and keys, not text.
func checkTimes(t *testing.T, where string, texts []string) {
	t.Helper()
	found := 0
	for _, p := range texts {
		if logLine.MatchString(p) || !strings.Contains(p, " ") {
			continue // the log's own timestamps are for machines
		}
		found += len(ownDate.FindAllString(p, -1))
		rest := ownDate.ReplaceAllString(p, "")
		if where != "Slack" {
			for _, i := range dayMonth.FindAllStringIndex(rest, -1) {
				if oneMoment.MatchString(rest[i[0]:]) {
					found++
					rest = rest[:i[0]] + strings.Repeat(" ", 21) + rest[min(len(rest), i[0]+21):]
				}
			}
		}
		show := func(i []int) string { return rest[max(0, i[0]-80):min(len(rest), i[1]+40)] }
		for _, i := range clockTime.FindAllStringIndex(rest, -1) {
			t.Errorf("a time in %s is not in the one wording: ...%s...", where, show(i))
		}
		for _, i := range isoDate.FindAllStringIndex(rest, -1) {
			if where == "Slack" {
				t.Errorf("an ISO date in %s: ...%s...", where, show(i))
			}
		}
		for _, m := range dayMonth.FindAllStringSubmatchIndex(rest, -1) {
			if m[4] < 0 {
				t.Errorf("a date without its year in %s: ...%s...", where, show(m[:2]))
			}
		}
	}
	if found == 0 {
		t.Errorf("no time at all in %s: the check sees nothing", where)
	}
}
