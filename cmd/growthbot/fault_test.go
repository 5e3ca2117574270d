package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/store/postgres/pgtest"
	"github.com/growthbot/growthbot/workflows"
)

// The secrets the subprocess tests run growthbot with.
const (
	faultSigningSecret = "fault-test-signing-secret"
	faultBotToken      = "xoxb-fault-test-bot-token"
)

// built is the growthbot binary the subprocess tests share, built once.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// TestMain removes the shared binary after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildGrowthbot builds the binary, once for all the tests that run it.
func buildGrowthbot(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds growthbot and runs it as a process")
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "growthbot-test-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "growthbot")
		if out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// serveProcess is `growthbot serve` running as a process of its own.
type serveProcess struct {
	t      testing.TB
	cmd    *exec.Cmd
	base   string
	secret string      // signs requests to the Slack endpoints
	logs   *syncBuffer // standard error and output
	exited chan error
}

var servingAddr = regexp.MustCompile(`msg="growthbot serving" addr=(\S+)`)

// startServeProcess runs bin serve on a loopback port over db, with the
// environment vars on top of an empty one, and waits until it listens.
func startServeProcess(t testing.TB, bin, db string, vars map[string]string) *serveProcess {
	t.Helper()
	if vars[envSlackAPIURL] == "" {
		vars = withOfflineSlack(t, vars)
	}
	p := &serveProcess{t: t, logs: &syncBuffer{}, exited: make(chan error, 1), secret: vars[envSigningSecret]}
	p.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
	for k, v := range vars {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout = p.logs
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.logs.Write(append(sc.Bytes(), '\n'))
			if m := servingAddr.FindSubmatch(sc.Bytes()); m != nil {
				addr <- string(m[1])
			}
		}
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
		}
	})
	select {
	case a := <-addr:
		p.base = "http://" + a
	case err := <-p.exited:
		t.Fatalf("serve exited (%v) before listening:\n%s", err, p.logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start:\n%s", p.logs)
	}
	return p
}

// kill SIGKILLs the process, as a crash or the OOM killer would.
func (p *serveProcess) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if err := <-p.exited; !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		p.t.Fatalf("serve was not killed: %v", err)
	}
}

// stop stops the process as its service manager would, with SIGTERM.
func (p *serveProcess) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			p.t.Errorf("serve exited with %v after SIGTERM:\n%s", err, p.logs)
		}
	case <-time.After(40 * time.Second):
		p.t.Fatal("serve did not stop")
	}
}

// slack sends a body to one of the process's Slack endpoints, signed as
// Slack signs it, and returns the status and the reply's text.
func (p *serveProcess) slack(path string, body []byte) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, p.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	fakeslack.Sign(req, body, p.secret, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var reply struct{ Text string }
	json.Unmarshal(raw, &reply)
	return resp.StatusCode, reply.Text, nil
}

func (p *serveProcess) command(user, text string) string {
	p.t.Helper()
	code, reply, err := p.slack("/slack/commands", fakeslack.CommandBody(fakeslack.Command{Command: "/exp", Text: text, UserID: user, ChannelID: "C0CHECKOUT"}))
	if err != nil || code != http.StatusOK {
		p.t.Fatalf("/exp %s: %d %v", text, code, err)
	}
	return reply
}

// slackProxy stands between growthbot and the fake Slack, where it can
// hold posts back to time a crash: after Slack took them (the answer is
// lost with the process) or before (Slack never sees them).
type slackProxy struct {
	fake *fakeslack.Server
	srv  *httptest.Server

	mu   sync.Mutex
	mode proxyMode
	held chan struct{} // a post was held back
}

type proxyMode int

const (
	passThrough    proxyMode = iota
	holdAfterPost            // Slack posts it; the answer never comes
	holdBeforePost           // Slack never sees it
)

func newSlackProxy(t *testing.T, fake *fakeslack.Server) *slackProxy {
	p := &slackProxy{fake: fake, held: make(chan struct{}, 100)}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *slackProxy) setMode(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
}

func (p *slackProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	mode := p.mode
	p.mu.Unlock()
	post := path.Base(r.URL.Path) == "chat.postMessage"
	if post && mode == holdBeforePost {
		p.held <- struct{}{}
		<-r.Context().Done() // until the process dies
		return
	}
	req, _ := http.NewRequest(r.Method, p.fake.APIURL()+path.Base(r.URL.Path), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if post && mode == holdAfterPost {
		p.held <- struct{}{}
		<-r.Context().Done()
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

// waitHeld waits for n posts to be held back.
func (p *slackProxy) waitHeld(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-p.held:
		case <-time.After(20 * time.Second):
			t.Fatalf("no post reached Slack")
		}
	}
}

// rawDB opens the database file for the test's own queries.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// expireLeases lets the leases of interrupted deliveries run out, as the
// two minutes of a lease would if the test waited for them.
func expireLeases(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	res, err := db.Exec(`UPDATE outbox SET lease_until = '2000-01-01T00:00:00Z' WHERE state = 'sending'`)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := res.RowsAffected()
	return n
}

// waitDrained polls the outbox of a running process until nothing is left
// to deliver.
func waitDrained(t *testing.T, db *sql.DB, p *serveProcess) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still undelivered:\n%s", n, p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// outboxRow is a message as the test reads it from the database.
type outboxRow struct {
	key, op, state, channel, parent, target, text, lastError string
}

func outboxRows(t *testing.T, db *sql.DB) []outboxRow {
	t.Helper()
	words, err := render.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT key, op, state, channel, parent, target, kind, payload, body, last_error FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var m workflows.Message
		var payload, body string
		if err := rows.Scan(&r.key, &r.op, &r.state, &r.channel, &r.parent, &r.target, &m.Payload.Kind, &payload, &body, &r.lastError); err != nil {
			t.Fatal(err)
		}
		// The text the message is delivered with: its payload rendered.
		m.Payload.Data = json.RawMessage(payload)
		json.Unmarshal([]byte(body), &m.Body)
		b, err := words.Body(m)
		if err != nil {
			t.Fatalf("message %s: %v", r.key, err)
		}
		r.text = b.Text
		out = append(out, r)
	}
	return out
}

// slackKey is the outbox key a message in Slack carries in its metadata.
func slackKey(m fakeslack.Message) string {
	if m.Metadata == nil {
		return ""
	}
	var p struct{ Key string }
	json.Unmarshal(m.Metadata.EventPayload, &p)
	return p.Key
}

// checkSlackHasEachPostOnce checks that every message in the outbox was
// delivered, every post is in Slack exactly once, in its thread in the
// order it was enqueued, and every updated message shows its last update.
func checkSlackHasEachPostOnce(t *testing.T, db *sql.DB, fake *fakeslack.Server) {
	t.Helper()
	rows := outboxRows(t, db)
	inSlack := map[string][]fakeslack.Message{}
	threads := map[string][]string{} // channel + " " + parent key ("" at top level) -> keys in Slack
	channels := map[string]bool{}
	for _, r := range rows {
		channels[r.channel] = true
	}
	total := 0
	for ch := range channels {
		for _, top := range fake.Messages(ch) {
			inSlack[slackKey(top)] = append(inSlack[slackKey(top)], top)
			threads[ch+" "] = append(threads[ch+" "], slackKey(top))
			total++
			for _, r := range top.Replies {
				if len(r.Files) > 0 {
					continue // a chart, which carries no key
				}
				inSlack[slackKey(r)] = append(inSlack[slackKey(r)], r)
				threads[ch+" "+slackKey(top)] = append(threads[ch+" "+slackKey(top)], slackKey(r))
				total++
			}
		}
	}
	posts := map[string][]string{}
	lastUpdate := map[string]outboxRow{}
	npost := 0
	for _, r := range rows {
		if r.state != "sent" {
			t.Errorf("%s is %s (%s)", r.key, r.state, r.lastError)
		}
		switch r.op {
		case "post":
			if n := len(inSlack[r.key]); n != 1 {
				t.Errorf("Slack has %s %d times, want once", r.key, n)
			}
			posts[r.channel+" "+r.parent] = append(posts[r.channel+" "+r.parent], r.key)
			npost++
		case "update":
			lastUpdate[r.target] = r
		}
	}
	if total != npost {
		t.Errorf("Slack has %d messages, the outbox %d posts", total, npost)
	}
	for lane, want := range posts {
		if got := threads[lane]; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("thread %q in Slack %q, enqueued %q", lane, got, want)
		}
	}
	for target, u := range lastUpdate {
		if msgs := inSlack[target]; len(msgs) != 1 || msgs[0].Text != u.text {
			t.Errorf("%s does not show its last update %q", target, u.text)
		}
	}
}

// TestServeKilledDuringDelivery kills growthbot twice while it is posting
// to Slack: once after Slack took a post whose answer never came back, and
// once before Slack saw it. After each restart the outbox asks Slack what
// arrived; in the end every message is in Slack exactly once.
func TestServeKilledDuringDelivery(t *testing.T) {
	bin := buildGrowthbot(t)
	db := mustRunningExample(t)
	withService(t, db, func(svc *workflows.Service) {
		if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, "guided-onboarding"); err != nil {
			t.Fatal(err)
		}
	})
	raw := rawDB(t, db)
	fake := fakeslack.New()
	defer fake.Close()
	fake.SetToken(faultBotToken)
	proxy := newSlackProxy(t, fake)
	vars := map[string]string{envSigningSecret: faultSigningSecret, envBotToken: faultBotToken, envSlackAPIURL: proxy.srv.URL + "/api/"}

	// 1. Slack takes the first posts of two channels; their answers are
	// lost with the process.
	proxy.setMode(holdAfterPost)
	p := startServeProcess(t, bin, db, vars)
	if r := p.command("U0ENG1", "kill one-click-checkout -- errors up in Safari"); !strings.Contains(r, "Killed") {
		t.Fatalf("kill: %s", r)
	}
	if r := p.command("U0ENG3", "rollout guided-onboarding advance"); !strings.Contains(r, "The rollout of") {
		t.Fatalf("rollout: %s", r)
	}
	proxy.waitHeld(t, 2)
	p.kill()
	if n := len(fake.Messages("C0CHECKOUT")) + len(fake.Messages("C0ONBOARD")); n != 2 {
		t.Fatalf("Slack has %d messages at the crash, want the 2 held back", n)
	}
	if n := expireLeases(t, raw); n != 2 {
		t.Fatalf("%d deliveries were interrupted, want 2", n)
	}

	// 2. The restart finds both in Slack; the next post is held back before
	// Slack sees it when the process dies again.
	proxy.setMode(holdBeforePost)
	p = startServeProcess(t, bin, db, vars)
	proxy.waitHeld(t, 1)
	p.kill()
	if !strings.Contains(p.logs.String(), "interrupted delivery had reached Slack; not sending again") {
		t.Errorf("the restart did not look the interrupted posts up:\n%s", p.logs)
	}
	expireLeases(t, raw)

	// 3. The last restart delivers the rest.
	proxy.setMode(passThrough)
	p = startServeProcess(t, bin, db, vars)
	waitDrained(t, raw, p)
	p.stop()
	checkSlackHasEachPostOnce(t, raw, fake)
	if n := len(outboxRows(t, raw)); n < 6 {
		t.Errorf("only %d messages: the test should cover a thread's replies and updates", n)
	}
}

// waitApplied polls the database until the decision is applied.
func waitApplied(t *testing.T, db *sql.DB, id string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var state string
		if err := db.QueryRow(`SELECT state FROM decisions WHERE id = ?`, id).Scan(&state); err == nil && state == "applied" {
			return
		}
	}
	t.Fatalf("decision %s was not applied", id)
}

// decisionConfig has n teams, each with its own channel and one
// experiment, so that Slack's pace of a post a second per channel does
// not slow the test down.
func decisionConfig(n int) string {
	var b strings.Builder
	b.WriteString("teams:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {key: team-%02d, name: Team %d, channel: C0T%02d, lead: U0LEAD, approvers: [U0PM, U0LEAD], members: [U0ENG1]}\n", i, i, i)
	}
	b.WriteString("metrics:\n  - {key: purchase, name: Purchase conversion, type: proportion, event: purchase}\nexperiments:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {key: exp-%02d, name: Experiment %d, team: team-%02d, owner: U0ENG1, primary_metrics: [purchase],\n"+
			"     variants: [{key: control, weight: 1}, {key: treatment, weight: 1}]}\n", i, i, i)
	}
	return b.String()
}

var decisionNumber = regexp.MustCompile(`Decision #(\d+) to ship`)

// TestServeKilledBetweenApprovalAndOutcome streams decision requests and
// approvals at a running growthbot and kills it at a random moment, twice:
// inside an approval's transaction, between its commit and the post of its
// outcome, or during that post. After the restarts every decision is
// either fully applied (the experiment shipped, its audit entries, its
// outcome and review in the outbox and then in Slack exactly once) or not
// at all (still pending, no trace of an approval).
func TestServeKilledBetweenApprovalAndOutcome(t *testing.T) {
	bin := buildGrowthbot(t)
	const n = 12
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", decisionConfig(n)), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	withService(t, db, func(svc *workflows.Service) {
		for i := range n {
			if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, fmt.Sprintf("exp-%02d", i)); err != nil {
				t.Fatal(err)
			}
		}
	})
	raw := rawDB(t, db)
	fake := fakeslack.New()
	defer fake.Close()
	vars := map[string]string{envSigningSecret: faultSigningSecret, envBotToken: faultBotToken, envSlackAPIURL: fake.APIURL()}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)

	// Two rounds, each killed at a random point of its stream of requests
	// and approvals.
	next := 0
	for round := range 2 {
		p := startServeProcess(t, bin, db, vars)
		stream := []func() error{}
		ids := map[int]string{}
		first := next
		for ; next < n*(round+1)/2; next++ {
			i, key := next, fmt.Sprintf("exp-%02d", next)
			stream = append(stream, func() error {
				_, reply, err := p.slack("/slack/commands", fakeslack.CommandBody(fakeslack.Command{Command: "/exp", Text: "ship " + key, UserID: "U0ENG1"}))
				if m := decisionNumber.FindStringSubmatch(reply); m != nil {
					ids[i] = m[1]
				}
				return err
			}, func() error {
				if ids[i] == "" {
					return nil
				}
				_, _, err := p.slack("/slack/interactions", fakeslack.BlockActionsBody(fakeslack.Action{ActionID: "decision.approve", Value: ids[i],
					UserID: "U0PM", ChannelID: fmt.Sprintf("C0T%s", key[4:]), ResponseURL: fake.ResponseURL()}))
				return err
			})
		}
		// The round's first decision is approved and applied before the
		// kill can come, so that each round has one applied for sure.
		killAt := 2 + rng.IntN(len(stream)-1)
		for j, send := range stream[:killAt] {
			if err := send(); err != nil {
				t.Fatal(err)
			}
			if j == 1 {
				waitApplied(t, raw, ids[first])
			}
		}
		time.Sleep(time.Duration(rng.IntN(5000)) * time.Microsecond) // somewhere in the work the last request started
		p.kill()
		t.Logf("round %d: killed after %d of %d requests; %d interrupted deliveries", round+1, killAt, len(stream), expireLeases(t, raw))
	}
	p := startServeProcess(t, bin, db, vars)
	waitDrained(t, raw, p)
	p.stop()

	applied, pending := 0, 0
	messages := map[string]outboxRow{}
	for _, r := range outboxRows(t, raw) {
		messages[r.key] = r
	}
	withDB(t, db, func(tx workflows.Tx) {
		audit, err := tx.Audit(workflows.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		has := func(action, subject, reason string) bool {
			for _, a := range audit {
				if a.Action == action && a.Subject == subject && strings.Contains(a.Reason, reason) {
					return true
				}
			}
			return false
		}
		for i := range n {
			key := fmt.Sprintf("exp-%02d", i)
			e, err := tx.Experiment(key)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := tx.Decisions(key)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) == 0 {
				if e.State != workflows.StateRunning || has("decision.request", "experiment:"+key, "") {
					t.Errorf("%s: no decision, but it is %s", key, e.State)
				}
				continue
			}
			d := ds[0]
			which := fmt.Sprintf("decision #%d", d.ID)
			request := fmt.Sprintf("experiment:%s:decision:%d", key, d.ID)
			if !has("decision.request", "experiment:"+key, which) || messages[request].op != "post" {
				t.Errorf("%s: requested without its audit entry or request message", which)
			}
			approved := has("decision.approve", "experiment:"+key, which) || d.AutoApproved
			shipped := has("experiment.ship", "experiment:"+key, which)
			_, outcome := messages[request+":outcome"]
			_, review := messages["experiment:"+key+":review"]
			switch {
			case d.State == workflows.DecisionApplied && e.State == workflows.StateShipped && e.Winner == "treatment" &&
				approved && shipped && outcome && review:
				applied++
			case d.State == workflows.DecisionPending && e.State == workflows.StateDecisionPending && !approved && !shipped && !outcome && !review:
				pending++
			default:
				t.Errorf("%s half applied: decision %s, experiment %s, audit approve %v ship %v, outcome %v, review %v",
					which, d.State, e.State, approved, shipped, outcome, review)
			}
		}
	})
	checkSlackHasEachPostOnce(t, raw, fake)
	t.Logf("%d decisions applied, %d left pending by the kills, %d never requested", applied, pending, n-applied-pending)
	if applied < 2 {
		t.Errorf("%d decisions applied, want at least one a round", applied)
	}
}
