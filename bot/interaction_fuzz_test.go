package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/workflows"
)

// FuzzInteraction posts arbitrary interaction payloads, signed, to the real
// /slack/interactions endpoint of a test bot over a real database. Whatever
// the payload, the bot must answer 200, 400 (only for a payload that is not
// an interaction) or 401 (only for a replay), never fail with a 500, and
// leave the database consistent: see checkInvariants. Run it with
//
//	go test -run='^$' -fuzz='^FuzzInteraction$' ./bot
//
// fresh gives the payload a new trigger_id, so that the bot takes it for a
// new interaction rather than Slack's retry of one it has seen.
func FuzzInteraction(f *testing.F) {
	for _, p := range interactionSeeds() {
		f.Add(p, true)
	}
	f.Add(`{"type":"block_actions","actions":[{}]}`, true)
	f.Add(`{"type":"view_submission","user":{"id":"U0ENG1"},"view":{"callback_id":"exp.new","state":{"values":{"key":null}}}}`, true)
	f.Add(`{"type":"view_submission","user":{"id":"U0LEAD"},"view":{"callback_id":"review.change","private_metadata":"checkout:2026-10"}}`, false)
	f.Add(`null`, false)
	f.Add(`{`, false)

	w := &workerTB{F: f}
	f.Cleanup(w.cleanup)
	b, pristine := newFuzzBot(w)
	var runs int
	var audit auditMark
	f.Fuzz(func(t *testing.T, payload string, fresh bool) {
		w.t = t
		defer func() { w.t = nil }()
		// A few hundred presses kill and ship every experiment; starting
		// over from the pristine database keeps the buttons meaningful.
		if runs++; runs%200 == 0 {
			b.reset(pristine)
			audit = auditMark{}
		}
		if fresh {
			payload = withTriggerID(payload, fmt.Sprintf("fuzz.%d.%d", os.Getpid(), runs))
		}
		body := []byte(url.Values{"payload": {payload}}.Encode())
		resp := b.send("/slack/interactions", body, time.Now())
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		b.router.Wait() // decisions are settled after the answer
		var cb slack.InteractionCallback
		malformed := json.Unmarshal([]byte(payload), &cb) != nil
		switch {
		case resp.StatusCode == http.StatusBadRequest && malformed,
			resp.StatusCode == http.StatusUnauthorized && !fresh,
			resp.StatusCode == http.StatusOK && !malformed:
		default:
			t.Fatalf("status %d (payload malformed: %v, fresh: %v)", resp.StatusCode, malformed, fresh)
		}
		audit = checkInvariants(t, b, audit)
	})
}

// auditMark is how far the audit log went: its length and last entry.
type auditMark struct {
	n    int
	last workflows.AuditEntry
}

// checkInvariants checks what no interaction may break: the audit log only
// grows, an experiment waits for a decision exactly when it has one pending
// (never more), and an applied ship or kill left its experiment shipped or
// killed with the winner it names.
func checkInvariants(t *testing.T, b *testBot, before auditMark) auditMark {
	t.Helper()
	var mark auditMark
	err := b.db.View(context.Background(), func(tx workflows.Tx) error {
		entries, err := tx.Audit(workflows.AuditFilter{})
		if err != nil {
			return err
		}
		mark.n = len(entries)
		if mark.n > 0 {
			mark.last = entries[mark.n-1]
		}
		if mark.n < before.n || (before.n > 0 && entries[before.n-1] != before.last) {
			t.Fatalf("the audit log went from %d entries to %d, or its entry %d changed", before.n, mark.n, before.n)
		}
		exps, err := tx.Experiments(workflows.ExperimentFilter{})
		if err != nil {
			return err
		}
		for _, e := range exps {
			decisions, err := tx.Decisions(e.Key)
			if err != nil {
				return err
			}
			checkDecisions(t, e, decisions)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return mark
}

func checkDecisions(t *testing.T, e workflows.Experiment, decisions []workflows.Decision) {
	t.Helper()
	pending, ended := 0, 0
	for _, d := range decisions {
		switch {
		case d.State == workflows.DecisionPending:
			pending++
		case d.State == workflows.DecisionApplied && d.Action == workflows.ActionShip:
			ended++
			if e.State != workflows.StateShipped || e.Winner != d.Variant {
				t.Fatalf("decision #%d shipped %s, but %s is %s with winner %q", d.ID, d.Variant, e.Key, e.State, e.Winner)
			}
		case d.State == workflows.DecisionApplied && d.Action == workflows.ActionKill:
			ended++
			if e.State != workflows.StateKilled || e.Winner != e.Control() {
				t.Fatalf("decision #%d killed %s, but it is %s with winner %q", d.ID, e.Key, e.State, e.Winner)
			}
		}
	}
	// The fixture ships an experiment without a decision, so an ended one
	// need not have one.
	if pending > 1 || (pending == 1) != (e.State == workflows.StateDecisionPending) || ended > 1 || (ended == 1 && !e.State.Terminal()) {
		t.Fatalf("%s is %s with %d pending decisions and %d that ended it", e.Key, e.State, pending, ended)
	}
}

// withTriggerID sets the top-level trigger_id of a JSON object payload by
// appending it: encoding/json keeps the last of repeated keys.
func withTriggerID(payload, id string) string {
	body, ok := strings.CutSuffix(strings.TrimRight(payload, " \t\r\n"), "}")
	if !ok {
		return payload
	}
	sep := ","
	if strings.TrimSpace(body) == "{" {
		sep = ""
	}
	return body + sep + `"trigger_id":"` + id + `"}`
}

// newFuzzBot returns a test bot in the middle of things: experiments
// running (one a rollout), one shipped, a decision waiting for approval,
// goals, a posted growth review; and a copy of its database to start over
// from.
func newFuzzBot(w *workerTB) (*testBot, string) {
	b := newTestBot(w)
	seedReview(b)
	b.runDigest(workflows.JobOptions{})
	ctx := context.Background()
	if _, err := b.svc.StartExperiment(ctx, "U0ENG3", "guided-onboarding"); err != nil {
		w.Fatal(err)
	}
	b.clock.Advance(3 * 24 * time.Hour)
	if _, err := b.svc.RequestDecision(ctx, "U0ENG1", "one-click-checkout", workflows.ActionShip, "treatment", 0, "wins"); err != nil {
		w.Fatal(err)
	}
	if _, err := b.svc.AddGoal(ctx, "U0ENG1", "checkout", "Faster checkout", "", ""); err != nil {
		w.Fatal(err)
	}
	b.close()
	pristine := b.dbPath + ".pristine"
	copyFile(w, b.dbPath, pristine)
	b.open()
	return b, pristine
}

// reset starts the bot over on a copy of the pristine database.
func (b *testBot) reset(pristine string) {
	b.close()
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(b.dbPath + suffix)
	}
	copyFile(b.t, pristine, b.dbPath)
	b.open()
}

func copyFile(tb testing.TB, from, to string) {
	data, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, data, 0o600)
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// workerTB is what a fuzz worker's test bot fails and cleans up through.
// The bot is built on the F before fuzzing starts, but most F methods
// panic inside the fuzz function; there, failures go to the current
// input's T, and cleanups wait for the end of the worker.
type workerTB struct {
	*testing.F
	t        *testing.T // the input being run, nil outside the fuzz function
	cleanups []func()
}

func (w *workerTB) Helper() {}

func (w *workerTB) Fatal(args ...any) {
	if w.t != nil {
		w.t.Fatal(args...)
	}
	w.F.Fatal(args...)
}

func (w *workerTB) Fatalf(format string, args ...any) {
	if w.t != nil {
		w.t.Fatalf(format, args...)
	}
	w.F.Fatalf(format, args...)
}

func (w *workerTB) Cleanup(fn func()) { w.cleanups = append(w.cleanups, fn) }

func (w *workerTB) cleanup() {
	for i := len(w.cleanups) - 1; i >= 0; i-- {
		w.cleanups[i]()
	}
}

// interactionSeeds are payloads of every button and form growthbot has,
// pressed by people allowed to press them (and some who are not), on the
// fuzz bot's state. Each button comes as Slack sends it and in the fewest
// fields growthbot reads, which the fuzzer mutates more to the point.
func interactionSeeds() []string {
	const ref = "checkout:2026-10"
	var bodies [][]byte
	var payloads []string
	for _, a := range []struct{ id, value, user string }{
		{"exp.ship", "one-click-checkout", "U0ENG1"},
		{"exp.ship", "guided-onboarding", "U0ENG3"},
		{"exp.extend", "guided-onboarding", "U0ENG3"},
		{"exp.kill", "one-click-checkout", "U0ENG1"},
		{"exp.kill", "free-shipping-banner", "U0ENG2"},
		{"decision.approve", "1", "U0PM"},
		{"decision.reject", "1", "U0LEAD"},
		{"rollout.pause", "guided-onboarding", "U0ENG3"},
		{"rollout.resume", "guided-onboarding", "U0ENG3"},
		{"review.post", ref, "U0ENG1"},
		{"review.stay", ref, "U0LEAD"},
		{"review.change", ref, "U0LEAD"},
		{"goal.drop", "4", "U0ENG1"},
		{"goal.drop", "2", "U0ENG2"},
		{"exp.launch", "one-click-checkout", "U0ENG1"},
		{"decision.approve", "1", "U0ENG1"},
		{"decision.reject", "1", "U0ENG1"},
		{"exp.ship", "one-click-checkout", "U0STRANGER"},
	} {
		bodies = append(bodies, fakeslack.BlockActionsBody(fakeslack.Action{ActionID: a.id, Value: a.value, UserID: a.user, ChannelID: "C0CHECKOUT"}))
		payloads = append(payloads, fmt.Sprintf(`{"type":"block_actions","user":{"id":%q},"channel":{"id":"C0CHECKOUT"},"actions":[{"action_id":%q,"block_id":"b","value":%q}]}`,
			a.user, a.id, a.value))
	}
	bodies = append(bodies,
		fakeslack.ViewSubmissionBody(fakeslack.Submission{CallbackID: "exp.new", PrivateMetadata: "C0CHECKOUT", UserID: "U0ENG1",
			Inputs: []fakeslack.Input{
				{BlockID: "key", ActionID: "key", Value: "faster-search"},
				{BlockID: "name", ActionID: "name", Value: "Faster search"},
				{BlockID: "team", ActionID: "team", Type: "static_select", Value: "checkout"},
				{BlockID: "hypothesis", ActionID: "hypothesis", Value: "Faster search raises purchases."},
				{BlockID: "variants", ActionID: "variants", Value: "control, fast"},
				{BlockID: "primary", ActionID: "primary", Type: "static_select", Value: "purchase"},
				{BlockID: "method", ActionID: "method", Type: "static_select", Value: "fixed"},
				{BlockID: "days", ActionID: "days", Type: "number_input", Value: "21"},
			}}),
		fakeslack.ViewSubmissionBody(fakeslack.Submission{CallbackID: "review.change", PrivateMetadata: ref, UserID: "U0LEAD",
			Inputs: []fakeslack.Input{{BlockID: "changes", ActionID: "changes", Value: "Pause pricing tests & fix <onboarding>."}}}),
		fakeslack.ViewSubmissionBody(fakeslack.Submission{CallbackID: "old.form", UserID: "U0ENG1"}),
	)
	for _, body := range bodies {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			panic(err)
		}
		payloads = append(payloads, form.Get("payload"))
	}
	return payloads
}
