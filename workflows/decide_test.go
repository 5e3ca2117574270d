package workflows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

// decideStart is when the decision tests' experiments start.
var decideStart = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// decideEnv is the domain over a real SQLite file with the example config
// applied, the embedded frameworks and a fake clock.
type decideEnv struct {
	t     testing.TB
	db    *store.DB
	svc   *workflows.Service
	clock *workflows.FakeClock
}

func newDecideEnv(t testing.TB) *decideEnv {
	t.Helper()
	ctx := context.Background()
	clock := workflows.NewFakeClock(decideStart)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "growthbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = clock.Now
	svc := workflows.NewService(db, nil)
	svc.Clock = clock
	svc.Frameworks = templates.FrameworkNames()
	for name, data := range templates.Frameworks() {
		f, err := workflows.ParseFramework(name, data)
		if err != nil {
			t.Fatal(err)
		}
		svc.FrameworkSet = append(svc.FrameworkSet, f)
	}
	if _, err := svc.ApplyConfig(ctx, "example.yaml", templates.ExampleConfig(), workflows.ActorConfig, false); err != nil {
		t.Fatal(err)
	}
	return &decideEnv{t: t, db: db, svc: svc, clock: clock}
}

func (d *decideEnv) start(key, actor string) {
	d.t.Helper()
	if _, err := d.svc.StartExperiment(context.Background(), actor, key); err != nil {
		d.t.Fatal(err)
	}
}

// arm describes the data of one variant: n units, and every k-th of them
// doing each event (0: never).
type arm struct {
	variant string
	n       int
	every   map[string]int
}

// seed imports exposures and events for an experiment: units exposed an
// hour after at, their events an hour later. Unit ids start at from, so
// that seeding again adds new units.
func (d *decideEnv) seed(key string, at time.Time, from int, arms ...arm) {
	d.t.Helper()
	var exposures, events bytes.Buffer
	for _, a := range arms {
		for i := range a.n {
			unit := fmt.Sprintf("%s-%s-%d", key, a.variant, from+i)
			fmt.Fprintf(&exposures, `{"unit_id":%q,"experiment":%q,"variant":%q,"timestamp":%q}`+"\n", unit, key, a.variant,
				at.Add(time.Hour).Format(time.RFC3339))
			for event, k := range a.every {
				if k > 0 && i%k == 0 {
					fmt.Fprintf(&events, `{"unit_id":%q,"event":%q,"value":10,"timestamp":%q}`+"\n", unit, event,
						at.Add(2*time.Hour).Format(time.RFC3339))
				}
			}
		}
	}
	for _, in := range []struct {
		kind workflows.ImportKind
		data *bytes.Buffer
	}{{workflows.ImportExposures, &exposures}, {workflows.ImportEvents, &events}} {
		if in.data.Len() == 0 {
			continue
		}
		if _, err := codec.Import(context.Background(), d.svc, in.kind, in.data, codec.FormatJSON, "seed", workflows.ImportOptions{}); err != nil {
			d.t.Fatal(err)
		}
	}
}

// runCheckout starts one-click-checkout and moves the clock 15 days on. With
// wins, treatment doubles purchase conversion with errors unchanged, so
// clear-signals recommends shipping it; without, there is no data and it
// recommends keeping it running.
func (d *decideEnv) runCheckout(wins bool) {
	d.t.Helper()
	d.start("one-click-checkout", "U0ENG1")
	if wins {
		d.seed("one-click-checkout", decideStart, 0,
			arm{"control", 2000, map[string]int{"purchase": 10, "checkout_error": 20}},
			arm{"treatment", 2000, map[string]int{"purchase": 5, "checkout_error": 20}})
	}
	d.clock.Advance(15 * 24 * time.Hour)
}

func (d *decideEnv) experiment(key string) workflows.Experiment {
	d.t.Helper()
	var e workflows.Experiment
	d.view(func(tx workflows.Tx) (err error) {
		e, err = tx.Experiment(key)
		return err
	})
	return e
}

func (d *decideEnv) view(fn func(tx workflows.Tx) error) {
	d.t.Helper()
	if err := d.db.View(context.Background(), fn); err != nil {
		d.t.Fatal(err)
	}
}

// audit returns the actions of an experiment's audit entries, in order.
func (d *decideEnv) audit(key string) []string {
	d.t.Helper()
	var actions []string
	d.view(func(tx workflows.Tx) error {
		entries, err := tx.Audit(workflows.AuditFilter{Subject: "experiment:" + key})
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		return err
	})
	return actions
}

// message returns the outbox message with the key, or fails.
func (d *decideEnv) message(key string) workflows.Message {
	d.t.Helper()
	var m workflows.Message
	d.view(func(tx workflows.Tx) (err error) {
		m, err = tx.MessageByKey(key)
		return err
	})
	return m
}

func (d *decideEnv) hasMessage(key string) bool {
	d.t.Helper()
	found := false
	d.view(func(tx workflows.Tx) error {
		_, err := tx.MessageByKey(key)
		found = err == nil
		if workflows.ErrorCode(err) == workflows.ENOTFOUND {
			return nil
		}
		return err
	})
	return found
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := workflows.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
}

func TestWhoMayDoWhat(t *testing.T) {
	ctx := context.Background()
	const key = "one-click-checkout"
	// Team checkout: lead U0LEAD, approvers U0PM and U0LEAD, members U0ENG1
	// and U0ENG2. U0ENG3 and U0PM2 are in team onboarding; U0STRANGER is in
	// no team. Each action on a pending decision acts on one U0ENG1 asked for.
	pending := func(d *decideEnv) int64 {
		dec, err := d.svc.RequestDecision(ctx, "U0ENG1", key, workflows.ActionShip, "", 0, "")
		if err != nil {
			d.t.Fatal(err)
		}
		return dec.ID
	}
	requestBy := func(user string) func(d *decideEnv) error {
		return func(d *decideEnv) error {
			_, err := d.svc.RequestDecision(ctx, user, key, workflows.ActionShip, "", 0, "")
			return err
		}
	}
	approveBy := func(user string) func(d *decideEnv) error {
		return func(d *decideEnv) error { _, err := d.svc.Approve(ctx, user, pending(d)); return err }
	}
	rejectBy := func(user string) func(d *decideEnv) error {
		return func(d *decideEnv) error { _, err := d.svc.Reject(ctx, user, pending(d), "not yet"); return err }
	}
	killBy := func(user string) func(d *decideEnv) error {
		return func(d *decideEnv) error { _, err := d.svc.Kill(ctx, user, key, "errors"); return err }
	}
	pauseBy := func(user string) func(d *decideEnv) error {
		return func(d *decideEnv) error {
			_, err := d.svc.SteerRollout(ctx, user, "guided-onboarding", workflows.RolloutPause, 0)
			return err
		}
	}
	tests := []struct {
		name string
		act  func(d *decideEnv) error
		code string // "" for allowed
	}{
		{"a member requests", requestBy("U0ENG1"), ""},
		{"an approver requests", requestBy("U0PM"), ""},
		{"the lead requests", requestBy("U0LEAD"), ""},
		{"another team's member requests", requestBy("U0ENG3"), workflows.EFORBIDDEN},
		{"an outsider requests", requestBy("U0STRANGER"), workflows.EFORBIDDEN},
		{"an approver approves", approveBy("U0PM"), ""},
		{"the lead, an approver, approves", approveBy("U0LEAD"), ""},
		{"a member who is no approver approves", approveBy("U0ENG2"), workflows.EFORBIDDEN},
		{"the requester approves", approveBy("U0ENG1"), workflows.EFORBIDDEN},
		{"an approver approves their own request", func(d *decideEnv) error {
			dec, err := d.svc.RequestDecision(ctx, "U0PM", key, workflows.ActionShip, "", 0, "")
			if err != nil {
				return err
			}
			_, err = d.svc.Approve(ctx, "U0PM", dec.ID)
			return err
		}, workflows.EFORBIDDEN},
		{"an outsider approves", approveBy("U0STRANGER"), workflows.EFORBIDDEN},
		{"another team's approver approves", approveBy("U0PM2"), workflows.EFORBIDDEN},
		{"an approver rejects", rejectBy("U0LEAD"), ""},
		{"the requester withdraws", rejectBy("U0ENG1"), ""},
		{"another member rejects", rejectBy("U0ENG2"), workflows.EFORBIDDEN},
		{"an outsider rejects", rejectBy("U0STRANGER"), workflows.EFORBIDDEN},
		{"a member kills", killBy("U0ENG2"), ""},
		{"an approver kills", killBy("U0PM"), ""},
		{"the lead kills", killBy("U0LEAD"), ""},
		{"an outsider kills", killBy("U0STRANGER"), workflows.EFORBIDDEN},
		{"another team's member kills", killBy("U0ENG3"), workflows.EFORBIDDEN},
		{"the owner, who left the team, kills", func(d *decideEnv) error {
			if err := d.db.Update(ctx, func(tx workflows.Tx) error {
				e, err := tx.Experiment(key)
				e.Owner = "U0FORMER"
				return chain(err, tx.PutExperiment(e))
			}); err != nil {
				return err
			}
			return killBy("U0FORMER")(d)
		}, ""},
		{"a member pauses a rollout", pauseBy("U0ENG3"), ""},
		{"an outsider pauses a rollout", pauseBy("U0ENG1"), workflows.EFORBIDDEN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDecideEnv(t)
			d.runCheckout(false)
			d.start("guided-onboarding", "U0ENG3")
			err := tc.act(d)
			wantCode(t, err, tc.code)
			if tc.code == workflows.EFORBIDDEN && !strings.Contains(err.Error(), "only") && !strings.Contains(err.Error(), "another approver") {
				t.Errorf("refusal %q does not say who may", err)
			}
		})
	}
}

func TestShipMatchingTheRecommendationIsAutoApproved(t *testing.T) {
	ctx := context.Background()
	d := newDecideEnv(t)
	d.runCheckout(true)
	sc, _, err := d.svc.Scorecard(ctx, "one-click-checkout")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Recommendation.Action != workflows.RecommendShip || sc.Recommendation.Variant != "treatment" {
		t.Fatalf("the seeded data should recommend shipping treatment: %+v", sc.Recommendation)
	}

	// Extend does not match the recommendation: it needs an approval.
	ext, err := d.svc.RequestDecision(ctx, "U0ENG1", "one-click-checkout", workflows.ActionExtend, "", 7, "more data")
	if err != nil || ext.State != workflows.DecisionPending || ext.AutoApproved || ext.RequiredApprovals != 1 {
		t.Fatalf("extend: %+v, %v; want pending for 1 approval", ext, err)
	}
	if _, err := d.svc.Reject(ctx, "U0ENG1", ext.ID, "changed my mind"); err != nil {
		t.Fatal(err)
	}

	_, err = d.svc.RequestDecision(ctx, "U0ENG1", "one-click-checkout", workflows.ActionShip, "control", 0, "")
	wantCode(t, err, workflows.EINVALID)

	dec, err := d.svc.RequestDecision(ctx, "U0ENG1", "one-click-checkout", workflows.ActionShip, "", 0, "wins on purchase")
	if err != nil {
		t.Fatal(err)
	}
	if dec.State != workflows.DecisionApplied || !dec.AutoApproved || dec.Variant != "treatment" || dec.Recommendation != "ship" {
		t.Fatalf("ship: %+v; want applied at once, treatment, auto-approved", dec)
	}
	e := d.experiment("one-click-checkout")
	if e.State != workflows.StateShipped || e.Winner != "treatment" || e.RolloutPercent != 100 {
		t.Errorf("after the ship: %s, winner %q, %v %%", e.State, e.Winner, e.RolloutPercent)
	}
	if got := d.audit("one-click-checkout"); count(got, "experiment.ship") != 1 || count(got, "decision.request") != 2 {
		t.Errorf("audit: %v", got)
	}
	// The outcome is posted (there was no request to update), the review
	// closes the thread, and the headline shows the final state.
	req := d.message(e.MessageKey("decision", fmt.Sprint(dec.ID)))
	if req.Op != workflows.OpPost || req.Parent != e.ThreadKey() || req.Payload.Kind != workflows.KindDecisionOutcome {
		t.Errorf("outcome message: %+v", req)
	}
	for _, key := range []string{e.MessageKey("review"), e.ThreadKey(), e.MessageKey("headline", "decision", fmt.Sprint(dec.ID))} {
		if !d.hasMessage(key) {
			t.Errorf("no message %s", key)
		}
	}
	if d.hasMessage(e.MessageKey("postmortem")) {
		t.Error("a ship asked for a post-mortem")
	}

	_, err = d.svc.RequestDecision(ctx, "U0ENG2", "one-click-checkout", workflows.ActionShip, "", 0, "")
	wantCode(t, err, workflows.ECONFLICT)
	if !strings.Contains(err.Error(), "already shipped treatment by @U0ENG1 just now") {
		t.Errorf("a ship of a shipped experiment says %q", err)
	}
}

func TestApprovalFlow(t *testing.T) {
	ctx := context.Background()
	d := newDecideEnv(t)
	d.runCheckout(false)
	// Two approvals, and a webhook.
	if err := d.db.Update(ctx, func(tx workflows.Tx) error {
		team, err := tx.Team("checkout")
		team.RequiredApprovals = 2
		team.Approvers = []string{"U0PM", "U0LEAD", "U0ENG2"}
		team.Webhook = workflows.Webhook{URL: "https://hooks.example.com/g", SecretEnv: "CHECKOUT_SECRET"}
		return chain(err, tx.PutTeam(team))
	}); err != nil {
		t.Fatal(err)
	}
	dec, err := d.svc.RequestDecision(ctx, "U0ENG1", "one-click-checkout", workflows.ActionShip, "", 0, "good enough")
	if err != nil || dec.State != workflows.DecisionPending || dec.RequiredApprovals != 2 || dec.Variant != "treatment" {
		t.Fatalf("request: %+v, %v", dec, err)
	}
	_, err = d.svc.RequestDecision(ctx, "U0ENG2", "one-click-checkout", workflows.ActionExtend, "", 3, "")
	wantCode(t, err, workflows.ECONFLICT)
	if !strings.Contains(err.Error(), "already waits for decision #1 to ship treatment, asked by @U0ENG1") {
		t.Errorf("second request: %v", err)
	}

	if dec, err = d.svc.Approve(ctx, "U0PM", dec.ID); err != nil || dec.State != workflows.DecisionPending || len(dec.Approvals) != 1 {
		t.Fatalf("first approval: %+v, %v", dec, err)
	}
	_, err = d.svc.Approve(ctx, "U0PM", dec.ID)
	wantCode(t, err, workflows.ECONFLICT)
	if dec, err = d.svc.Approve(ctx, "U0LEAD", dec.ID); err != nil || dec.State != workflows.DecisionApplied {
		t.Fatalf("second approval: %+v, %v", dec, err)
	}
	e := d.experiment("one-click-checkout")
	if e.State != workflows.StateShipped || e.Winner != "treatment" {
		t.Errorf("after two approvals: %s %q", e.State, e.Winner)
	}
	_, err = d.svc.Approve(ctx, "U0ENG2", dec.ID)
	wantCode(t, err, workflows.ECONFLICT)
	if !strings.Contains(err.Error(), "already shipped treatment by @U0LEAD") {
		t.Errorf("a late approval says %q", err)
	}

	request := e.MessageKey("decision", "1")
	if m := d.message(request); m.Op != workflows.OpPost || m.Payload.Kind != workflows.KindDecisionRequest {
		t.Errorf("request message: %+v", m)
	} else if v, err := workflows.DecodePayload[workflows.DecisionRequest](m.Payload); err != nil ||
		v.Decision.ID != 1 || v.Decision.State != workflows.DecisionPending || v.Experiment.Key != e.Key {
		t.Errorf("request payload: %+v, %v", v, err)
	}
	if m := d.message(request + ":approvals:1"); m.Op != workflows.OpUpdate || m.Target != request {
		t.Errorf("progress update: %+v", m)
	}
	outcome := d.message(request + ":outcome")
	if outcome.Op != workflows.OpUpdate || outcome.Target != request || outcome.Payload.Kind != workflows.KindDecisionOutcome {
		t.Errorf("outcome update: %+v", outcome)
	} else if v, err := workflows.DecodePayload[workflows.DecisionOutcome](outcome.Payload); err != nil ||
		v.Decision.State != workflows.DecisionApplied || v.Actor != "U0LEAD" || v.Experiment.State != workflows.StateShipped {
		t.Errorf("outcome payload: %+v, %v", v, err)
	}
	var hook workflows.DecisionWebhook
	m := d.message("webhook:decision:1:applied")
	if err := json.Unmarshal(m.Body.JSON, &hook); err != nil {
		t.Fatal(err)
	}
	if m.URL != "https://hooks.example.com/g" || m.SecretEnv != "CHECKOUT_SECRET" || hook.State != "applied" ||
		strings.Join(hook.Approvers, ",") != "U0PM,U0LEAD" || hook.DecidedAt == nil || hook.Recommendation.Action != "keep_running" {
		t.Errorf("webhook: %+v %s", m, m.Body.JSON)
	}
	var raw map[string]any
	json.Unmarshal(m.Body.JSON, &raw)
	for _, k := range []string{"id", "experiment", "team", "action", "variant", "days", "reason", "requester", "approvers",
		"auto_approved", "state", "decided_at", "recommendation"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("webhook JSON lacks %q: %s", k, m.Body.JSON)
		}
	}
	if !d.hasMessage("webhook:decision:1:pending") {
		t.Error("no webhook for the pending request")
	}
	if got := d.audit("one-click-checkout"); strings.Join(got[len(got)-4:], " ") != "decision.request decision.approve decision.approve experiment.ship" {
		t.Errorf("audit: %v", got)
	}
}

func TestRejectAndKill(t *testing.T) {
	ctx := context.Background()
	d := newDecideEnv(t)
	d.runCheckout(false)
	dec, err := d.svc.RequestDecision(ctx, "U0ENG1", "one-click-checkout", workflows.ActionShip, "", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if dec, err = d.svc.Reject(ctx, "U0PM", dec.ID, "too early"); err != nil || dec.State != workflows.DecisionRejected || dec.RejectedBy != "U0PM" {
		t.Fatalf("reject: %+v, %v", dec, err)
	}
	if e := d.experiment("one-click-checkout"); e.State != workflows.StateRunning {
		t.Errorf("a rejected decision left the experiment %s", e.State)
	}
	_, err = d.svc.Approve(ctx, "U0LEAD", dec.ID)
	wantCode(t, err, workflows.ECONFLICT)
	if !strings.Contains(err.Error(), "already rejected by @U0PM") {
		t.Errorf("approving a rejected decision says %q", err)
	}

	// A kill supersedes the pending decision, at once.
	pending, err := d.svc.RequestDecision(ctx, "U0ENG2", "one-click-checkout", workflows.ActionExtend, "", 7, "")
	if err != nil {
		t.Fatal(err)
	}
	kill, err := d.svc.Kill(ctx, "U0ENG1", "one-click-checkout", "errors up")
	if err != nil || kill.State != workflows.DecisionApplied || kill.Action != workflows.ActionKill {
		t.Fatalf("kill: %+v, %v", kill, err)
	}
	e := d.experiment("one-click-checkout")
	if e.State != workflows.StateKilled || e.Winner != "control" || e.RolloutPercent != 0 {
		t.Errorf("after the kill: %s %q %v %%", e.State, e.Winner, e.RolloutPercent)
	}
	_, err = d.svc.Approve(ctx, "U0PM", pending.ID)
	wantCode(t, err, workflows.ECONFLICT)
	if !strings.Contains(err.Error(), "already superseded: @U0ENG1 killed the experiment") {
		t.Errorf("approving a superseded decision says %q", err)
	}
	for _, key := range []string{e.MessageKey("decision", fmt.Sprint(pending.ID), "outcome"), e.MessageKey("decision", fmt.Sprint(kill.ID)),
		e.MessageKey("review"), e.MessageKey("postmortem")} {
		if !d.hasMessage(key) {
			t.Errorf("no message %s", key)
		}
	}
	_, err = d.svc.Kill(ctx, "U0ENG2", "one-click-checkout", "")
	wantCode(t, err, workflows.ECONFLICT)
	if !strings.Contains(err.Error(), "already killed by @U0ENG1") {
		t.Errorf("a second kill says %q", err)
	}
	want := "decision.request decision.reject decision.request decision.supersede experiment.kill"
	if got := d.audit("one-click-checkout"); strings.Join(got[len(got)-5:], " ") != want {
		t.Errorf("audit %v, want it to end with %s", got, want)
	}
}

// TestConcurrentDecisionsApplyOnce races requests, approvals and double
// clicks on a real SQLite file: exactly one decision must open, and exactly
// one must apply, once.
func TestConcurrentDecisionsApplyOnce(t *testing.T) {
	ctx := context.Background()
	d := newDecideEnv(t)
	d.runCheckout(false)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var opened []workflows.Decision
	var conflicts int
	for i := range 10 {
		wg.Go(func() {
			user := []string{"U0ENG1", "U0ENG2"}[i%2]
			dec, err := d.svc.RequestDecision(ctx, user, "one-click-checkout", workflows.ActionShip, "", 0, "")
			mu.Lock()
			defer mu.Unlock()
			switch workflows.ErrorCode(err) {
			case "":
				opened = append(opened, dec)
			case workflows.ECONFLICT:
				conflicts++
			default:
				t.Errorf("request: %v", err)
			}
		})
	}
	wg.Wait()
	if len(opened) != 1 || conflicts != 9 {
		t.Fatalf("10 requests at once opened %d decisions (%d conflicts); want 1 and 9", len(opened), conflicts)
	}

	var applied int
	for i := range 20 {
		wg.Go(func() {
			dec, err := d.svc.Approve(ctx, []string{"U0PM", "U0LEAD"}[i%2], opened[0].ID)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && dec.State == workflows.DecisionApplied:
				applied++
			case workflows.ErrorCode(err) != workflows.ECONFLICT:
				t.Errorf("approve: %+v, %v", dec, err)
			}
		})
	}
	wg.Wait()
	if applied != 1 {
		t.Errorf("%d approvals applied the decision; want 1", applied)
	}
	var decisions []workflows.Decision
	var outcomes int
	d.view(func(tx workflows.Tx) error {
		var err error
		decisions, err = tx.Decisions("one-click-checkout")
		for _, dec := range decisions {
			if _, err := tx.MessageByKey(d.experiment("one-click-checkout").MessageKey("decision", fmt.Sprint(dec.ID), "outcome")); err == nil {
				outcomes++
			}
		}
		return err
	})
	if len(decisions) != 1 || decisions[0].State != workflows.DecisionApplied || len(decisions[0].Approvals) != 1 {
		t.Errorf("decisions: %+v", decisions)
	}
	audit := d.audit("one-click-checkout")
	if n := count(audit, "experiment.ship"); n != 1 {
		t.Errorf("%d ship transitions in the audit log; want 1: %v", n, audit)
	}
	if n := count(audit, "decision.approve"); n != 1 {
		t.Errorf("%d approvals in the audit log; want 1: %v", n, audit)
	}
	if outcomes != 1 {
		t.Errorf("%d outcome updates; want 1", outcomes)
	}
	if e := d.experiment("one-click-checkout"); e.State != workflows.StateShipped {
		t.Errorf("experiment is %s", e.State)
	}
}
