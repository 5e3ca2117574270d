package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/internal/golden"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
	"github.com/growthbot/growthbot/workflows/schedule"
)

// seedExperiment starts one-click-checkout ten days before testNow and
// imports data in which treatment lifts purchase conversion from 10 % to
// 13 % and triples checkout errors: a guardrail regression.
func seedExperiment(t *testing.T, b *testBot) {
	t.Helper()
	ctx := context.Background()
	start := testNow.AddDate(0, 0, -10)
	b.clock.Set(start)
	if _, err := b.svc.StartExperiment(ctx, "U0ENG1", "one-click-checkout"); err != nil {
		t.Fatal(err)
	}
	b.clock.Set(testNow)
	// The seeded data end up to a day before now: data monitoring (tested
	// in cmd/growthbot) would rightly say so in the thread these tests count.
	if err := b.svc.Store.Update(ctx, func(tx workflows.Tx) error {
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		s.NoExposures, s.NoEvents = 72*time.Hour, 72*time.Hour
		return tx.PutSettings(s)
	}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var exposures, events bytes.Buffer
	for i := range 6000 {
		variant, purchase, errRate := "control", 0.10, 0.10
		if i%2 == 1 {
			variant, purchase, errRate = "treatment", 0.13, 0.30
		}
		unit := fmt.Sprintf("u%05d", i)
		at := start.Add(time.Duration(rng.Int64N(int64(9 * 24 * time.Hour))))
		fmt.Fprintf(&exposures, `{"unit_id":%q,"experiment":"one-click-checkout","variant":%q,"timestamp":%q}`+"\n", unit, variant, at.Format(time.RFC3339))
		if rng.Float64() < purchase {
			fmt.Fprintf(&events, `{"unit_id":%q,"event":"purchase","value":%.2f,"timestamp":%q}`+"\n", unit, 20+rng.Float64()*80, at.Add(time.Hour).Format(time.RFC3339))
		}
		if rng.Float64() < errRate {
			fmt.Fprintf(&events, `{"unit_id":%q,"event":"checkout_error","timestamp":%q}`+"\n", unit, at.Add(30*time.Minute).Format(time.RFC3339))
		}
	}
	for _, in := range []struct {
		kind workflows.ImportKind
		data *bytes.Buffer
	}{{workflows.ImportExposures, &exposures}, {workflows.ImportEvents, &events}} {
		if _, err := codec.Import(ctx, b.svc, in.kind, in.data, codec.FormatJSON, string(in.kind)+".ndjson", workflows.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func (b *testBot) pulse(opts workflows.JobOptions) workflows.JobReport {
	b.t.Helper()
	report, err := b.svc.RunPulse(context.Background(), opts)
	if err != nil {
		b.t.Fatal(err)
	}
	b.deliver()
	return report
}

// threadReplies returns the texts of the replies in the experiment's thread.
func (b *testBot) threadReplies() []string {
	top := b.fake.Messages("C0CHECKOUT")
	if len(top) == 0 {
		return nil
	}
	var out []string
	for _, r := range top[0].Replies {
		if len(r.Files) == 0 {
			out = append(out, r.Text)
		}
	}
	return out
}

func TestPulsePostsOnceADayAndOnlyWhatIsNew(t *testing.T) {
	b := newTestBot(t)
	seedExperiment(t, b)

	b.pulse(workflows.JobOptions{Team: "checkout"})
	top := b.fake.Messages("C0CHECKOUT")
	if len(top) != 1 {
		t.Fatalf("top-level messages %q: the first pulse should open one thread", fakeslack.Texts(top))
	}
	replies := b.threadReplies()
	if len(replies) != 2 || !strings.HasPrefix(replies[0], "One-click checkout: ") || !strings.Contains(replies[1], "guardrail") {
		t.Fatalf("first pulse's thread: %q, want the scorecard and a guardrail alert", replies)
	}
	files := b.fake.Files()
	if len(files) != 2 {
		t.Fatalf("want two PNG charts uploaded into the thread (every metric's interval, the lift), got %d files", len(files))
	}
	for i, suffix := range []string{"-metrics-day-", "-lift-day-"} {
		if !strings.Contains(files[i].Name, suffix) || !bytes.HasPrefix(files[i].Bytes, []byte("\x89PNG")) {
			t.Errorf("file %d is %q, want a PNG named *%s*", i, files[i].Name, suffix)
		}
	}

	report := b.pulse(workflows.JobOptions{Team: "checkout"})
	if got := strings.Join(report.Lines, "\n"); !strings.Contains(got, "skipped") {
		t.Errorf("a second pulse the same day should be skipped: %s", got)
	}
	if n := len(b.threadReplies()); n != 2 {
		t.Errorf("a second pulse the same day posted: %d replies", n)
	}

	b.clock.Advance(24 * time.Hour) // nothing new in the data
	b.pulse(workflows.JobOptions{Team: "checkout"})
	if n := len(b.threadReplies()); n != 2 {
		t.Errorf("a pulse with nothing material posted again: %q", b.threadReplies())
	}
	if top := b.fake.Messages("C0CHECKOUT"); top[0].Edits < 1 {
		t.Errorf("the thread's headline was not updated (%d edits)", top[0].Edits)
	}

	b.clock.Advance(7 * 24 * time.Hour) // the weekly cadence is due
	b.pulse(workflows.JobOptions{Team: "checkout"})
	if n := len(b.threadReplies()); n < 3 {
		t.Errorf("the weekly cadence posted no new scorecard: %d replies", n)
	}
}

func TestPulseRestartPostsNothingTwice(t *testing.T) {
	b := newTestBot(t)
	seedExperiment(t, b)
	b.pulse(workflows.JobOptions{})
	before := len(b.fake.CallsTo("chat.postMessage"))
	b.close()
	b.open() // a new process on the same database
	b.pulse(workflows.JobOptions{})
	if after := len(b.fake.CallsTo("chat.postMessage")); after != before {
		t.Errorf("after a restart the pulse posted %d more messages", after-before)
	}
	// --force repeats the day on purpose.
	b.pulse(workflows.JobOptions{Force: true})
	if after := len(b.fake.CallsTo("chat.postMessage")); after <= before {
		t.Errorf("a forced pulse posted nothing")
	}
}

func TestGuardrailAlertAndGoldenScorecard(t *testing.T) {
	b := newTestBot(t)
	seedExperiment(t, b)
	sc, team, err := b.svc.Scorecard(context.Background(), "one-click-checkout")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Guardrails != workflows.GuardrailsFailing || sc.Recommendation.Action != workflows.RecommendKill {
		t.Fatalf("seeded regression: guardrails %s, recommendation %+v", sc.Guardrails, sc.Recommendation)
	}
	primary, _ := sc.Result("purchase", "treatment")
	if primary.Verdict != workflows.VerdictGood {
		t.Errorf("purchase: %+v, want a significant win", primary)
	}
	b.pulse(workflows.JobOptions{})
	var alert string
	for _, r := range b.fake.Messages("C0CHECKOUT")[0].Replies {
		if strings.Contains(r.Text, "guardrail") {
			var blocks any
			json.Unmarshal(r.Blocks, &blocks)
			raw, _ := json.Marshal(blocks)
			alert = r.Text + strings.ReplaceAll(string(raw), `\u003c`, "<")
		}
	}
	for _, want := range []string{"<@U0ENG1>", "Checkout errors", `"action_id":"exp.kill"`} {
		if !strings.Contains(alert, want) {
			t.Errorf("guardrail alert lacks %s: %s", want, alert)
		}
	}
	renderer, err := render.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := renderer.RenderContent(workflows.ScorecardMessage{Scorecard: sc, Team: team, Buttons: true})
	if err != nil {
		t.Fatal(err)
	}
	text, buttons := render.PlainText(msg.Text, msg.Blocks)
	if len(buttons) != 3 {
		t.Errorf("buttons %+v, want Ship, Extend 7 days, Kill", buttons)
	}
	golden.Check(t, "scorecard", msg, text)
}

func TestSchedulerCatchesUpAMissedPulseOnce(t *testing.T) {
	b := newTestBot(t)
	seedExperiment(t, b)
	// Berlin's 09:00 pulse fired an hour ago while growthbot was down.
	b.clock.Set(time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC))
	var mu sync.Mutex // catch-up runs each team's job in its own goroutine
	ran := 0
	pulse, _ := b.svc.Job(workflows.JobPulse)
	pulse.Run = func(ctx context.Context, o workflows.JobOptions) (workflows.JobReport, error) {
		defer func() {
			mu.Lock()
			ran++
			mu.Unlock()
		}()
		return b.svc.RunPulse(ctx, o)
	}
	for i := range 2 { // a restart, or a second process, must not post twice
		sched := &schedule.Scheduler{Service: b.svc, Jobs: []workflows.Job{pulse}, Log: discardLog()}
		runScheduler(t, sched, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return ran >= 2*(i+1) // both teams' catch-up runs
		})
		b.deliver()
		if n := len(b.threadReplies()); n != 2 {
			t.Fatalf("start %d: %d thread replies, want the caught-up scorecard and alert once", i+1, n)
		}
	}
	if ran < 2 {
		t.Errorf("the catch-up ran %d times; both starts should have tried", ran)
	}
	var runs []workflows.JobRun
	b.view(func(tx workflows.Tx) error {
		var err error
		runs, err = tx.JobRuns(workflows.JobPulse, 10)
		return err
	})
	runs = slices.DeleteFunc(runs, func(r workflows.JobRun) bool { return r.Scope != "checkout" })
	if len(runs) != 1 || runs[0].Period != "2026-11-16" || runs[0].Status != workflows.JobDone {
		t.Errorf("checkout's job runs %+v, want 2026-11-16 done once", runs)
	}
}

func TestSchedulerPeriodsInTeamTimeZones(t *testing.T) {
	b := newTestBot(t)
	// Monday 2 Nov, 10:00 UTC: 11:00 in Berlin, where today's 09:00 pulse
	// and digest fired; 05:00 in New York, where the last pulse fired
	// yesterday and the digest on Sunday the 1st. The digest covers October.
	b.clock.Set(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	var mu sync.Mutex // catch-up runs each job in its own goroutine
	var got []string
	record := func(line string) (workflows.JobReport, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, line)
		return workflows.JobReport{}, nil
	}
	var jobs []workflows.Job
	for _, name := range []string{workflows.JobPulse, workflows.JobDigest} {
		j, _ := b.svc.Job(name)
		j.Run = func(ctx context.Context, o workflows.JobOptions) (workflows.JobReport, error) {
			return record(name + " " + o.Team + " " + o.Period)
		}
		jobs = append(jobs, j)
	}
	sched := &schedule.Scheduler{Service: b.svc, Jobs: jobs, Log: discardLog()}
	runScheduler(t, sched, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 4
	})
	want := []string{"digest checkout 2026-10", "digest onboarding 2026-10", "pulse checkout 2026-11-02", "pulse onboarding 2026-11-01"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("caught-up runs %q, want %q", got, want)
	}
}

// runScheduler runs sched until done holds (checked every few
// milliseconds), then stops it and waits for its runs to finish.
func runScheduler(t *testing.T, sched *schedule.Scheduler, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- sched.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !done() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if !done() {
		t.Fatal("the scheduler did not do what was expected within 10 s")
	}
}

// seedExposures starts an experiment at start and imports exposures split
// control:treatment as given (no events).
func seedExposures(t *testing.T, b *testBot, key string, start time.Time, control, treatment int) {
	t.Helper()
	ctx := context.Background()
	b.clock.Set(start)
	if _, err := b.svc.StartExperiment(ctx, workflows.ActorCLI, key); err != nil {
		t.Fatal(err)
	}
	variant := map[string]string{"one-click-checkout": "treatment", "free-shipping-banner": "banner"}[key]
	var buf bytes.Buffer
	for i := range control + treatment {
		v := "control"
		if i >= control {
			v = variant
		}
		at := start.Add(time.Duration(i) * time.Minute)
		fmt.Fprintf(&buf, `{"unit_id":"u%d","experiment":%q,"variant":%q,"timestamp":%q}`+"\n", i, key, v, at.Format(time.RFC3339))
	}
	b.clock.Set(testNow)
	if _, err := codec.Import(ctx, b.svc, workflows.ImportExposures, &buf, codec.FormatJSON, "exposures.ndjson", workflows.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
}

// alerts returns the thread replies of the experiment whose text has the
// substring.
func (b *testBot) alerts(substring string) []string {
	var out []string
	for _, top := range b.fake.Messages("C0CHECKOUT") {
		for _, r := range top.Replies {
			if strings.Contains(r.Text, substring) {
				out = append(out, r.Text)
			}
		}
	}
	return out
}

func TestSRMAlertFiresOnceWhileItLasts(t *testing.T) {
	b := newTestBot(t)
	seedExposures(t, b, "one-click-checkout", testNow.AddDate(0, 0, -3), 700, 300)
	for range 3 {
		b.pulse(workflows.JobOptions{})
		b.clock.Advance(24 * time.Hour)
	}
	got := b.alerts("sample ratio mismatch")
	if len(got) != 1 || !strings.Contains(got[0], "control 700") || !strings.Contains(got[0], "<@U0ENG1>") {
		t.Errorf("SRM alerts %q, want one naming the counts and the owner", got)
	}
}

func TestOverdueReminderIsWeekly(t *testing.T) {
	b := newTestBot(t)
	// Planned for 21 days, started 21 days ago: it ends today.
	seedExposures(t, b, "free-shipping-banner", testNow.AddDate(0, 0, -21), 500, 500)
	for day := range 9 {
		b.pulse(workflows.JobOptions{})
		want := 1
		if day >= 7 {
			want = 2
		}
		if got := b.alerts("passed its planned end"); len(got) != want {
			t.Fatalf("day %d after the end: %d reminders %q, want %d", day, len(got), got, want)
		}
		b.clock.Advance(24 * time.Hour)
	}
	if got := b.alerts("passed its planned end"); !strings.Contains(got[0], "<@U0ENG2>") || !strings.Contains(got[0], "today") ||
		!strings.Contains(got[1], "7 days ago") {
		t.Errorf("reminders %q: want the owner mentioned, today then 7 days ago", got)
	}
}

func TestEscalationWhenTheOwnerLeftTheTeam(t *testing.T) {
	b := newTestBot(t)
	ctx := context.Background()
	err := b.db.Update(ctx, func(tx workflows.Tx) error {
		e, err := tx.Experiment("one-click-checkout")
		if err != nil {
			return err
		}
		e.Owner = "U0GONE" // no longer in team checkout
		return tx.PutExperiment(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	seedExposures(t, b, "one-click-checkout", testNow.AddDate(0, 0, -2), 100, 100)
	b.pulse(workflows.JobOptions{})
	b.clock.Advance(24 * time.Hour)
	b.pulse(workflows.JobOptions{})
	got := b.alerts("no longer in team")
	if len(got) != 1 || !strings.Contains(got[0], "<@U0LEAD>") || !strings.Contains(got[0], "<@U0GONE>") {
		t.Errorf("escalations %q, want one to the lead naming the former owner", got)
	}
}
