package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/bot/internal/golden"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// seedReview gives team checkout (Europe/Berlin, targets 5 % MRR growth
// and NPS 40) a year of KPIs up to October 2026 with an anomaly in support
// tickets and no NPS for October, events that end on 24 October (so the
// computed numbers are partial), experiments, goals and last month's
// decision.
func seedReview(b *testBot) {
	b.t.Helper()
	months := func(values ...float64) map[string]float64 {
		out := map[string]float64{}
		for i, v := range values {
			if v >= 0 {
				out[fmt.Sprintf("%04d-%02d", 2025+(9+i)/12, (9+i)%12+1)] = v
			}
		}
		return out
	}
	kpis := map[string]map[string]float64{ // 2025-10 .. 2026-10; -1 means none
		"mrr":              months(80000, 83500, 85000, 89500, 90000, 94500, 94000, 101000, 98000, 108000, 103000, 112000, 115000),
		"new_mrr":          months(5200, 5600, 5100, 6000, 5400, 6200, 5900, 6100, 5800, 6600, 6000, 6900, 6800),
		"expansion_mrr":    months(1200, 1300, 1250, 1400, 1350, 1500, 1450, 1500, 1550, 1600, 1650, 1700, 1720),
		"churned_mrr":      months(1900, 2100, 2000, 2200, 2000, 2300, 2100, 2200, 2400, 2300, 2500, 2400, 2550),
		"paying_customers": months(400, 410, 418, 430, 436, 448, 455, 466, 471, 486, 490, 505, 512),
		"new_users":        months(900, 950, 920, 1010, 980, 1040, 990, 1060, 1020, 1080, 1050, 1100, 1120),
		"new_orgs":         months(40, 44, 41, 47, 45, 48, 46, 50, 49, 52, 51, 54, 55),
		"support_tickets":  months(1000, 1040, 990, 1010, 1050, 980, 800, 1250, 950, 1300, 780, 1040, 1870),
		"nps":              months(38, 39, 37, 40, 41, 39, 42, 40, 43, 41, 44, 42, -1),
	}
	ctx := context.Background()
	err := b.db.Update(ctx, func(tx workflows.Tx) error {
		for name, byMonth := range kpis {
			for period, v := range byMonth {
				if err := tx.PutKPI(workflows.KPIPoint{Team: "checkout", Name: name, Period: period, Value: v}); err != nil {
					return err
				}
			}
		}
		var events []workflows.Event
		add := func(from, to int, at time.Time) {
			for u := from; u < to; u++ {
				events = append(events, workflows.Event{UnitID: fmt.Sprintf("user-%03d", u), Name: "page_view", Value: 1, At: at})
			}
		}
		add(0, 180, time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC))
		add(20, 220, time.Date(2026, 9, 10, 12, 0, 0, 0, time.UTC))
		add(100, 250, time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC))
		w, err := tx.EventWriter()
		if err != nil {
			return err
		}
		if _, err := w.Write(events); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, time.UTC) }
		banner, err := tx.Experiment("free-shipping-banner")
		if err != nil {
			return err
		}
		banner.State, banner.StartedAt, banner.DecidedAt, banner.Winner = workflows.StateShipped, at(9, 28), at(10, 20), "banner"
		one, err := tx.Experiment("one-click-checkout")
		if err != nil {
			return err
		}
		one.State, one.StartedAt = workflows.StateRunning, at(10, 12)
		for _, e := range []workflows.Experiment{banner, one} {
			if err := tx.PutExperiment(e); err != nil {
				return err
			}
		}
		sc := workflows.Scorecard{Results: []workflows.MetricResult{{Metric: workflows.Metric{Key: "revenue", Name: "Revenue per user"},
			Role: workflows.RolePrimary, Variant: "banner", Lift: 0.031, Low: 0.004, High: 0.058}}}
		if err := tx.PutSnapshot(workflows.Snapshot{Experiment: "free-shipping-banner", Day: "2026-10-19", At: at(10, 19), Scorecard: sc}); err != nil {
			return err
		}
		for _, g := range []workflows.Goal{
			{Title: "Ship one-click checkout to 100 %", Owner: "U0ENG1", Status: workflows.GoalDone},
			{Title: "Cut checkout errors in half", Owner: "U0ENG2", Status: workflows.GoalInProgress},
			{Title: "Apple Pay", Status: workflows.GoalDropped},
		} {
			g.Team, g.Quarter, g.CreatedAt, g.UpdatedAt = "checkout", "2026-Q4", at(10, 1), at(10, 1)
			if _, err := tx.CreateGoal(g); err != nil {
				return err
			}
		}
		return tx.PutReviewRecord(workflows.ReviewRecord{Team: "checkout", Month: "2026-09", MessageKey: "review:checkout:2026-09",
			PostedAt: at(10, 1), Course: workflows.CourseStay, DecidedBy: "U0LEAD", DecidedAt: at(10, 2)})
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

// postedMessage is a message of the channel as the golden files hold it.
type postedMessage struct {
	Thread bool            `json:"thread,omitempty"`
	Text   string          `json:"text"`
	Blocks json.RawMessage `json:"blocks"`
}

// channelReviews returns the review parents in the channel with their
// thread replies, and their plain-text rendering.
func channelReviews(b *testBot, channel string) ([]postedMessage, string) {
	b.t.Helper()
	var out []postedMessage
	var text strings.Builder
	for _, m := range b.fake.Messages(channel) {
		if !strings.Contains(m.Text, "Growth review") {
			continue
		}
		for i, msg := range append([]fakeslack.Message{m}, m.Replies...) {
			out = append(out, postedMessage{Thread: i > 0, Text: msg.Text, Blocks: msg.Blocks})
			plain, _ := render.PlainText(msg.Text, msg.Blocks)
			for _, f := range msg.Files {
				plain = strings.TrimLeft(plain, "\n") + fmt.Sprintf("[picture: %s, %s]\n", f.Name, f.Title)
			}
			if i > 0 {
				text.WriteString("\n  ── in thread ──\n")
			}
			text.WriteString(plain)
		}
	}
	return out, text.String()
}

func channelFiles(b *testBot, channel string) []fakeslack.File {
	var out []fakeslack.File
	for _, f := range b.fake.Files() {
		if f.Channel == channel {
			out = append(out, f)
		}
	}
	return out
}

// press clicks a button as user and returns what only they were told.
func (b *testBot) press(user, actionID, value string) string {
	b.t.Helper()
	before := len(b.fake.Responses())
	resp := b.send("/slack/interactions", fakeslack.BlockActionsBody(fakeslack.Action{ActionID: actionID, Value: value, UserID: user,
		ChannelID: "C0CHECKOUT", ResponseURL: b.fake.ResponseURL()}), time.Now())
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("press %s: status %d", actionID, resp.StatusCode)
	}
	b.deliver()
	var said []string
	for _, r := range b.fake.Responses()[before:] {
		plain, _ := render.PlainText(r.Text, r.Blocks)
		said = append(said, plain)
	}
	return strings.Join(said, "\n")
}

func (b *testBot) runDigest(opts workflows.JobOptions) workflows.JobReport {
	b.t.Helper()
	report, err := b.svc.RunDigest(context.Background(), opts)
	if err != nil {
		b.t.Fatal(err)
	}
	b.deliver()
	return report
}

func TestGoldenReviewDigest(t *testing.T) {
	b := newTestBot(t)
	seedReview(b)
	b.runDigest(workflows.JobOptions{})
	posted, text := channelReviews(b, "C0CHECKOUT")
	if len(posted) != 7 {
		t.Fatalf("%d messages, want a parent, 5 replies and the chart:\n%s", len(posted), text)
	}
	golden.Check(t, "review-digest", posted, text)
	for _, want := range []string{
		"Growth review: Checkout, October 2026\n",
		"🚨 Support tickets 1,870: expected about 980 ± 270 from the trend of 12 months",
		"No NPS for October 2026: send it with `growthbot import kpis`.",
		"active users for October 2026: events end 24 Oct 2026",
		"Last month (September 2026): @U0LEAD decided to stay the course.",
		"Are our biggest customers happy users?", "Why did churn move?", "Where in onboarding do new users struggle?",
		"[ Stay the course ]  [ Change course ]",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the digest does not say %q", want)
		}
	}
	files := channelFiles(b, "C0CHECKOUT")
	if len(files) != 1 {
		t.Fatalf("%d files uploaded, want the chart", len(files))
	}
	chart := files[0]
	if !bytes.HasPrefix(chart.Bytes, []byte("\x89PNG\r\n\x1a\n")) || len(chart.Bytes) < 10_000 || len(chart.Bytes) > 500_000 {
		t.Errorf("the chart is not a PNG of a plausible size: %d bytes starting %q", len(chart.Bytes), chart.Bytes[:min(8, len(chart.Bytes))])
	}
	parent := b.fake.Messages("C0CHECKOUT")[0]
	if chart.ThreadTS != parent.TS || chart.Name != "growth-review-checkout-2026-10.png" || chart.Title != "KPI trends of Checkout, Nov 2025 to Oct 2026" {
		t.Errorf("chart %q %q in thread %q, want in %q", chart.Name, chart.Title, chart.ThreadTS, parent.TS)
	}
}

func TestGoldenReviewPreview(t *testing.T) {
	b := newTestBot(t)
	seedReview(b)
	r := b.command("U0ENG1", "/growth", "review checkout 2026-10")
	golden.Check(t, "review-preview", json.RawMessage(r.Blocks), r.Plain)
	if !strings.Contains(r.Plain, "[ Post to channel ]") || strings.Contains(r.Plain, "Stay the course ]") {
		t.Errorf("the preview offers the wrong buttons:\n%s", r.Plain)
	}
	// The current month can be previewed, marked partial, but not posted.
	r = b.command("U0ENG1", "/growth", "review checkout 2026-11")
	for _, want := range []string{"November 2026 (partial)", "2026-11 is not over yet in Europe/Berlin", "can be previewed but not posted"} {
		if !strings.Contains(r.Plain, want) {
			t.Errorf("the preview of November does not say %q:\n%s", want, r.Plain)
		}
	}
	if strings.Contains(r.Plain, "[ Post to channel ]") {
		t.Error("a month not over offers to post")
	}
}

func TestReviewCommandErrors(t *testing.T) {
	b := newTestBot(t)
	tests := []struct{ name, user, text, want string }{
		{"unknown team", "U0ENG1", "review chekout", "Did you mean `checkout`?"},
		{"a month not begun", "U0ENG1", "review checkout 2027-01", "2027-01 has not begun yet in Europe/Berlin"},
		{"not a month", "U0ENG1", "review checkout october", `"october" is not a month like 2026-10`},
		{"no team and not in one", "U0STRANGER", "review", "you are not in any team, so name one"},
		{"an empty team", "U0ENG1", "review", "No NPS for October 2026"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r := b.command(tc.user, "/growth", tc.text); !strings.Contains(r.Plain, tc.want) {
				t.Errorf("reply does not say %q:\n%s", tc.want, r.Plain)
			}
		})
	}
}

// TestReviewPostsOnce posts the same review by schedule, twice, by the
// button, and after a restart: one digest reaches the channel.
func TestReviewPostsOnce(t *testing.T) {
	b := newTestBot(t)
	seedReview(b)
	b.runDigest(workflows.JobOptions{})
	report := b.runDigest(workflows.JobOptions{})
	if !strings.Contains(strings.Join(report.Lines, "\n"), "digest checkout 2026-10: skipped") {
		t.Errorf("the second run does not say it skipped: %q", report.Lines)
	}
	if said := b.press("U0ENG1", "review.post", "checkout:2026-10"); !strings.Contains(said, "was already posted") {
		t.Errorf("the button after the schedule says: %s", said)
	}
	b.close()
	b.open()
	b.runDigest(workflows.JobOptions{Team: "checkout", Period: "2026-10"})
	if posted, text := channelReviews(b, "C0CHECKOUT"); len(posted) != 7 {
		t.Fatalf("%d messages after two runs, a press and a restart, want one digest (7):\n%s", len(posted), text)
	}
	if n := len(channelFiles(b, "C0CHECKOUT")); n != 1 {
		t.Errorf("%d charts, want 1", n)
	}
	// Forced, it posts again.
	b.runDigest(workflows.JobOptions{Team: "checkout", Period: "2026-10", Force: true})
	if posted, _ := channelReviews(b, "C0CHECKOUT"); len(posted) != 14 {
		t.Errorf("%d messages after a forced run, want two digests (14)", len(posted))
	}
}

func TestReviewPostButtonFirst(t *testing.T) {
	b := newTestBot(t)
	seedReview(b)
	if said := b.press("U0STRANGER", "review.post", "checkout:2026-10"); !strings.Contains(said, "only members of team Checkout") {
		t.Errorf("an outsider's press says: %s", said)
	}
	if said := b.press("U0ENG1", "review.post", "checkout:2026-10"); !strings.Contains(said, "is on its way to #C0CHECKOUT") {
		t.Errorf("the press says: %s", said)
	}
	report := b.runDigest(workflows.JobOptions{})
	if posted, _ := channelReviews(b, "C0CHECKOUT"); len(posted) != 7 {
		t.Errorf("%d messages after the button and the schedule, want one digest (7); report %q", len(posted), report.Lines)
	}
}

func TestReviewDecisions(t *testing.T) {
	b := newTestBot(t)
	seedReview(b)
	b.runDigest(workflows.JobOptions{})
	const ref = "checkout:2026-10"
	if said := b.press("U0ENG1", "review.stay", ref); !strings.Contains(said, "only the team lead decides the course") {
		t.Errorf("a member pressing Stay the course is told: %s", said)
	}
	if said := b.press("U0PM", "review.change", ref); !strings.Contains(said, "only the team lead") {
		t.Errorf("an approver pressing Change course is told: %s", said)
	}
	if n := len(b.fake.Views()); n != 0 {
		t.Fatalf("%d forms opened for people who may not decide", n)
	}
	b.press("U0LEAD", "review.change", ref)
	var modal fakeslack.View
	for _, v := range b.fake.Views() {
		modal = v
	}
	if modal.CallbackID != "review.change" || modal.PrivateMetadata != ref || !strings.Contains(string(modal.Blocks), "What changes?") {
		t.Fatalf("change-course form: %+v", modal)
	}
	submit := func(text string) *http.Response {
		return b.send("/slack/interactions", fakeslack.ViewSubmissionBody(fakeslack.Submission{CallbackID: "review.change", PrivateMetadata: ref,
			UserID: "U0LEAD", Inputs: []fakeslack.Input{{BlockID: "changes", ActionID: "changes", Value: text}}}), time.Now())
	}
	if r := readReply(t, submit("  ")); !strings.Contains(r.Plain, `"response_action":"errors"`) || !strings.Contains(r.Plain, "say what changes") {
		t.Errorf("an empty change is not sent back to the form: %s", r.Plain)
	}
	if r := readReply(t, submit("Pause pricing tests & fix <onboarding> step 2.")); r.Status != 200 || strings.Contains(r.Plain, "errors") {
		t.Fatalf("submission: %d %s", r.Status, r.Plain)
	}
	b.deliver()
	parent := b.fake.Messages("C0CHECKOUT")[0]
	plain, buttons := render.PlainText(parent.Text, parent.Blocks)
	if parent.Edits != 1 || len(buttons) != 0 || !strings.Contains(plain, "@U0LEAD decided to change course for October 2026:\n> Pause pricing tests & fix <onboarding> step 2.") {
		t.Errorf("the summary after the decision (%d edits, buttons %v):\n%s", parent.Edits, buttons, plain)
	}
	golden.Check(t, "review-decided", parent.Blocks, plain)
	replies := parent.Replies
	if last := replies[len(replies)-1]; !strings.Contains(last.Text, "Checkout decided: change course") {
		t.Errorf("the thread is not told: %q", last.Text)
	}
	if said := b.press("U0LEAD", "review.stay", ref); !strings.Contains(said, "already decided: change course") {
		t.Errorf("a second decision is told: %s", said)
	}
	// December's review opens with it.
	b.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	r := b.command("U0ENG1", "/growth", "review checkout")
	if !strings.Contains(r.Plain, "Last month (October 2026): @U0LEAD decided to change course:\n> Pause pricing tests") {
		t.Errorf("December's review does not open with October's decision:\n%s", r.Plain)
	}
}

func TestGoalCommandsBadInput(t *testing.T) {
	b := newTestBot(t)
	tests := []struct {
		name, user, text string
		want             []string
	}{
		{"unknown team", "U0ENG1", `goal add chekout "Faster checkout"`, []string{`no team "chekout"`, "Did you mean `checkout`?", "/growth goal add"}},
		{"bad quarter", "U0ENG1", `goal add checkout "Faster checkout" <@U0ENG1> 2026-Q5`, []string{`"2026-Q5" is not a quarter like 2026-Q4`}},
		{"quarter in place of the owner", "U0ENG1", `goal add checkout "Faster checkout" Q4-2026`, []string{`"Q4-2026" is neither an @mention of the owner nor a quarter`}},
		{"outsider adds", "U0STRANGER", `goal add checkout "Faster checkout"`, []string{"only members of team Checkout can do that"}},
		{"added", "U0ENG1", `goal add checkout "Faster checkout" <@U0ENG2> 2026-q4`, []string{"Goal #1 added for 2026-Q4", "owned by @U0ENG2"}},
		{"unknown goal id", "U0ENG1", "goal done 42", []string{"no goal 42", "/growth goal done ID"}},
		{"not an id", "U0ENG1", "goal drop last", []string{`"last" is not a goal ID`}},
		{"outsider marks done", "U0STRANGER", "goal done 1", []string{"only members of team Checkout"}},
		{"done", "U0ENG2", "goal done 1", []string{"Goal #1", "is done"}},
		{"already done", "U0ENG1", "goal done 1", []string{"goal #1 is already done"}},
		{"goals of an unknown team", "U0ENG1", "goals onbording", []string{`no team "onbording"`, "Did you mean `onboarding`?"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.command(tc.user, "/growth", tc.text)
			for _, w := range tc.want {
				if !strings.Contains(r.Plain, w) {
					t.Errorf("reply does not say %q:\n%s", w, r.Plain)
				}
			}
		})
	}
	// The drop button on a goal.
	b.command("U0ENG1", "/growth", `goal add checkout "Apple Pay"`)
	if said := b.press("U0STRANGER", "goal.drop", "2"); !strings.Contains(said, "only members of team Checkout") {
		t.Errorf("an outsider's drop: %s", said)
	}
	if said := b.press("U0ENG1", "goal.drop", "2"); !strings.Contains(said, "Goal #2, Apple Pay, is dropped") {
		t.Errorf("drop: %s", said)
	}
	if said := b.press("U0ENG1", "goal.drop", "2"); !strings.Contains(said, "goal #2 is already dropped") {
		t.Errorf("drop twice: %s", said)
	}
}
