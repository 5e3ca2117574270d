package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// allTexts is every message and thread reply in a channel of the fake
// Slack, blocks included (with <, > and & as Slack shows them).
func allTexts(f *fakeslack.Server, channel string) []string {
	unescape := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")
	var out []string
	for _, m := range f.Messages(channel) {
		out = append(out, m.Text+"\n"+unescape.Replace(string(m.Blocks)))
		for _, r := range m.Replies {
			out = append(out, r.Text+"\n"+unescape.Replace(string(r.Blocks)))
		}
	}
	return out
}

func countTexts(f *fakeslack.Server, channel, want string) int {
	n := 0
	for _, s := range allTexts(f, channel) {
		if strings.Contains(s, want) {
			n++
		}
	}
	return n
}

// TestDataMonitoringAlertsOnceAndClears: a running experiment whose
// exposures stopped two days ago, and whose guardrail's event stopped too,
// gets one alert each in its thread from a pulse run with `growthbot jobs
// run pulse`; a second pulse repeats neither; when the data arrives again,
// the next pulse says each cleared, once.
func TestDataMonitoringAlertsOnceAndClears(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", string(templates.ExampleConfig()))
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	// Started outside Slack: its thread, waiting in the outbox, opens in
	// the fake Slack serve talks to.
	withService(t, db, func(svc *workflows.Service) {
		if _, err := svc.StartExperiment(context.Background(), "U0ENG1", "one-click-checkout"); err != nil {
			t.Fatal(err)
		}
	})
	// The experiment started three days ago (as if time had passed).
	now := time.Now().UTC()
	started := now.Add(-72 * time.Hour)
	if _, err := rawDB(t, db).Exec(`UPDATE experiments SET started_at = ?, ends_at = ? WHERE key = 'one-click-checkout'`,
		started.Format(time.RFC3339Nano), started.AddDate(0, 0, 14).Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	importData := func(kind string, at time.Time, rows func(i int, at string) string) {
		t.Helper()
		var b strings.Builder
		for i := range 40 {
			b.WriteString(rows(i, at.Add(time.Duration(i)*time.Second).Format(time.RFC3339)) + "\n")
		}
		file := writeFile(t, dir, fmt.Sprintf("%s-%d.ndjson", kind, at.Unix()), b.String())
		if res := run(t, "", nil, "import", kind, file, "--db", db); res.code != 0 {
			t.Fatal(res)
		}
	}
	exposures := func(at time.Time) {
		importData("exposures", at, func(i int, ts string) string {
			return fmt.Sprintf(`{"unit_id":"u%d-%d","experiment":"one-click-checkout","variant":%q,"timestamp":%q}`,
				i, at.Unix(), []string{"control", "treatment"}[i%2], ts)
		})
	}
	events := func(name string, at time.Time) {
		importData("events", at, func(i int, ts string) string {
			return fmt.Sprintf(`{"unit_id":"u%d","event":%q,"timestamp":%q}`, i, name, ts)
		})
	}
	exposures(now.Add(-50 * time.Hour))
	events("checkout_error", now.Add(-49*time.Hour))
	events("purchase", now.Add(-time.Hour))

	s := startSlackServe(t, db, nil)
	pulse := func() {
		t.Helper()
		if res := run(t, "", nil, "jobs", "run", "pulse", "--team", "checkout", "--force", "--db", db); res.code != 0 {
			t.Fatal(res)
		}
	}
	const (
		noExposures = "*One-click checkout* has had no new exposures for 24 h"
		noEvents    = "the metric *Checkout errors* of *One-click checkout* counts the event `checkout_error`, and none has arrived for 24 h"
		exposedOK   = "*One-click checkout* gets exposures again"
		eventsOK    = "`checkout_error` events arrive again, so *Checkout errors*"
	)
	scorecards := func(n int) func(f *fakeslack.Server) bool {
		return func(f *fakeslack.Server) bool { return countTexts(f, "C0CHECKOUT", "Units:") >= n }
	}
	pulse()
	s.wait("the first scorecard", scorecards(1))
	s.wait("the alerts", func(f *fakeslack.Server) bool {
		return countTexts(f, "C0CHECKOUT", noExposures) == 1 && countTexts(f, "C0CHECKOUT", noEvents) == 1
	})
	if n := countTexts(s.fake, "C0CHECKOUT", "no new exposures"); n != 1 {
		t.Errorf("%d no-exposure alerts, want 1", n)
	}
	if n := countTexts(s.fake, "C0CHECKOUT", "`purchase`, and none has arrived"); n != 0 {
		t.Errorf("an alert for purchase events, which arrive")
	}
	pulse()
	s.wait("the second scorecard", scorecards(2))
	if a, b := countTexts(s.fake, "C0CHECKOUT", noExposures), countTexts(s.fake, "C0CHECKOUT", noEvents); a != 1 || b != 1 {
		t.Errorf("after a second pulse: %d no-exposure and %d no-event alerts, want 1 each", a, b)
	}
	exposures(now.Add(-time.Minute))
	events("checkout_error", now.Add(-time.Minute))
	pulse()
	s.wait("the notes that the alerts cleared", func(f *fakeslack.Server) bool {
		return countTexts(f, "C0CHECKOUT", exposedOK) == 1 && countTexts(f, "C0CHECKOUT", eventsOK) == 1
	})
	pulse()
	s.wait("the fourth scorecard", scorecards(4))
	if a, b := countTexts(s.fake, "C0CHECKOUT", exposedOK), countTexts(s.fake, "C0CHECKOUT", eventsOK); a != 1 || b != 1 {
		t.Errorf("cleared notes: %d and %d, want 1 each", a, b)
	}
	for _, m := range allTexts(s.fake, "C0CHECKOUT") {
		if strings.Contains(m, "no new exposures") && !strings.Contains(m, "This alert clears when exposures arrive again") {
			t.Errorf("the alert does not say when it clears: %s", m)
		}
	}
}

// TestMissingKPIReminderThroughServe: `growthbot serve`, on a clock that
// reads the first minutes of Saturday 31 October 2026 in Berlin, two days
// before checkout's October review (Monday 2 November), reminds the team
// channel of the KPIs sent for the months before but not for October, with
// the command that sends them. Saturday's scheduled pulse does not repeat
// it; once the KPIs are imported, Sunday's pulse says so, once.
func TestMissingKPIReminderThroughServe(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	importKPIs := func(name, csv string) {
		t.Helper()
		if res := run(t, "", nil, "import", "kpis", writeFile(t, dir, name, "team,name,period,value\n"+csv), "--db", db); res.code != 0 {
			t.Fatal(res)
		}
	}
	importKPIs("before.csv", "checkout,mrr,2026-07,100000\ncheckout,mrr,2026-08,104000\ncheckout,mrr,2026-09,108000\n"+
		"checkout,nps,2026-09,31\ncheckout,support_tickets,2026-08,210\n")

	fake := fakeslack.New()
	defer fake.Close()
	clock := newShiftedClock(time.Date(2026, 10, 30, 23, 30, 0, 0, time.UTC)) // 00:30 on Saturday in Berlin
	serveClock = clock
	t.Cleanup(func() { serveClock = nil })
	_, stop, logs := startServeLogged(t, map[string]string{envDB: db, envBotToken: "xoxb-test", envSlackAPIURL: fake.APIURL()},
		"--poll", "20ms")
	const (
		reminder = "growth review of Checkout posts on"
		cleared  = "is in for the Checkout growth review"
	)
	count := func(s string) int { return countTexts(fake, "C0CHECKOUT", s) }
	describe := func() string { return strings.Join(allTexts(fake, "C0CHECKOUT"), "\n---\n") + "\n" + logs.String() }
	pulsed := func(day string) func() bool {
		return func() bool { return slices.Contains(jobRuns(t, db, workflows.JobPulse), "checkout "+day+" done") }
	}
	// Friday's pulse catches up at start, on Saturday's clock.
	waitUntil(t, "the reminder", func() bool { return count(reminder) == 1 }, describe)
	clock.Set(time.Date(2026, 10, 31, 8, 1, 0, 0, time.UTC)) // 09:01 in Berlin
	waitUntil(t, "Saturday's pulse", pulsed("2026-10-31"), describe)
	if n := count(reminder); n != 1 {
		t.Fatalf("%d reminders after two pulses, want 1:\n%s", n, describe())
	}
	for _, s := range allTexts(fake, "C0CHECKOUT") {
		if !strings.Contains(s, reminder) {
			continue
		}
		// The review posts on Monday 2 November, the first weekday, in
		// Berlin as in every reader's zone.
		for _, want := range []string{"*MRR*, *NPS*, *support tickets*", "`growthbot import kpis FILE`", "This reminder clears when they arrive",
			"posts on <!date^" + fmt.Sprint(time.Date(2026, 11, 2, 11, 0, 0, 0, time.UTC).Unix()) + "^{date_short}|2 Nov 2026>"} {
			if !strings.Contains(s, want) {
				t.Errorf("the reminder lacks %q:\n%s", want, s)
			}
		}
	}
	if count(cleared) != 0 {
		t.Fatalf("cleared before the KPIs arrived:\n%s", describe())
	}

	importKPIs("october.csv", "checkout,mrr,2026-10,112000\ncheckout,nps,2026-10,32\ncheckout,support_tickets,2026-10,220\n")
	clock.Set(time.Date(2026, 11, 1, 8, 1, 0, 0, time.UTC)) // 09:01 on Sunday, the day before the review
	waitUntil(t, "Sunday's pulse", pulsed("2026-11-01"), describe)
	waitUntil(t, "the cleared note", func() bool { return count(cleared) == 1 }, describe)
	if n := count(reminder); n != 1 {
		t.Errorf("%d reminders, want 1", n)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d:\n%s", code, logs)
	}
}
