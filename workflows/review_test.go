package workflows_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
)

// reviewEnv is a service over a real SQLite file with a fake clock, whose
// outbox is recorded so that tests can read the domain values the messages
// carry.
type reviewEnv struct {
	t      *testing.T
	db     *store.DB
	svc    *workflows.Service
	clock  *workflows.FakeClock
	outbox *outboxRecorder
}

// outboxRecorder keeps the messages the outbox took, in order, once their
// transaction committed.
type outboxRecorder struct {
	mu   sync.Mutex
	msgs []workflows.Message
}

// recordingStore is the store with its outbox recorded.
type recordingStore struct {
	*store.DB
	rec *outboxRecorder
}

func (s recordingStore) Update(ctx context.Context, fn func(workflows.Tx) error) error {
	var added []workflows.Message
	err := s.DB.Update(ctx, func(tx workflows.Tx) error {
		added = added[:0] // a retried transaction starts over
		return fn(recordingTx{Tx: tx, added: &added})
	})
	if err == nil {
		s.rec.mu.Lock()
		s.rec.msgs = append(s.rec.msgs, added...)
		s.rec.mu.Unlock()
	}
	return err
}

// recordingTx is a transaction that notes the messages it enqueues.
type recordingTx struct {
	workflows.Tx
	added *[]workflows.Message
}

func (tx recordingTx) Enqueue(m workflows.Message) (bool, error) {
	ok, err := tx.Tx.Enqueue(m)
	if ok && err == nil {
		*tx.added = append(*tx.added, m)
	}
	return ok, err
}

// recorded decodes the payloads of T's kind the outbox took, in order.
func recorded[T workflows.Content](t testing.TB, rec *outboxRecorder) []T {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []T
	var zero T
	for _, m := range rec.msgs {
		if m.Payload.Kind != zero.PayloadKind() {
			continue
		}
		v, err := workflows.DecodePayload[T](m.Payload)
		if err != nil {
			t.Fatalf("message %s: %v", m.Key, err)
		}
		out = append(out, v)
	}
	return out
}

func newReviewEnv(t *testing.T, now time.Time, teams ...workflows.Team) *reviewEnv {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "growthbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	env := &reviewEnv{t: t, db: db, clock: workflows.NewFakeClock(now), outbox: &outboxRecorder{}}
	db.Now = env.clock.Now
	env.svc = workflows.NewService(recordingStore{DB: db, rec: env.outbox}, nil)
	env.svc.Clock = env.clock
	env.update(func(tx workflows.Tx) error {
		for _, tm := range teams {
			if err := tx.PutTeam(tm); err != nil {
				return err
			}
		}
		return nil
	})
	return env
}

func (e *reviewEnv) update(fn func(tx workflows.Tx) error) {
	e.t.Helper()
	if err := e.db.Update(context.Background(), fn); err != nil {
		e.t.Fatal(err)
	}
}

func (e *reviewEnv) kpis(team string, values map[string][]float64, first string) {
	e.t.Helper()
	start, _ := time.Parse("2006-01", first)
	e.update(func(tx workflows.Tx) error {
		for name, vs := range values {
			for i, v := range vs {
				if math.IsNaN(v) {
					continue // a month without a value
				}
				p := workflows.KPIPoint{Team: team, Name: name, Period: workflows.Month(start.AddDate(0, i, 0)), Value: v}
				if err := tx.PutKPI(p); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (e *reviewEnv) events(events []workflows.Event) {
	e.t.Helper()
	e.update(func(tx workflows.Tx) error {
		w, err := tx.EventWriter()
		if err != nil {
			return err
		}
		if _, err := w.Write(events); err != nil {
			return err
		}
		return w.Close()
	})
}

func (e *reviewEnv) message(key string) (workflows.Message, bool) {
	e.t.Helper()
	var m workflows.Message
	err := e.db.View(context.Background(), func(tx workflows.Tx) error {
		var err error
		m, err = tx.MessageByKey(key)
		return err
	})
	if workflows.ErrorCode(err) == workflows.ENOTFOUND {
		return m, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return m, true
}

func team(key, tz string) workflows.Team {
	return workflows.Team{Key: key, Name: strings.ToUpper(key[:1]) + key[1:], Channel: "C0" + strings.ToUpper(key), Lead: "U0LEAD",
		Members: []string{"U0ENG1"}, Timezone: tz, Framework: "clear-signals", RequiredApprovals: 1,
		Targets: workflows.Targets{MRRGrowth: 0.05, NPS: 40}}
}

var nan = math.NaN()

func headlineOf(t *testing.T, rv workflows.Review, name string) workflows.Headline {
	t.Helper()
	for _, h := range rv.Headlines {
		if h.Name == name {
			return h
		}
	}
	t.Fatalf("no headline %s", name)
	return workflows.Headline{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestReviewNumbers(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	env := newReviewEnv(t, now, team("checkout", "UTC"))
	// April .. October 2026.
	env.kpis("checkout", map[string][]float64{
		"mrr":             {125000, 110000, 128000, 112000, 118000, 126000, 131040},
		"churned_mrr":     {2300, 2100, 2500, 2200, 2300, 2400, 2520},
		"support_tickets": {1000, 980, 1050, 1010, 1040, 1040, 1870},
		"nps":             {38, 39, 41, 40, 42, 44, nan},
	}, "2026-04")
	// Daily new users for 20 of October's 31 days: partial.
	env.update(func(tx workflows.Tx) error {
		for d := 1; d <= 20; d++ {
			if err := tx.PutKPI(workflows.KPIPoint{Team: "checkout", Name: "new_users", Period: fmt.Sprintf("2026-10-%02d", d), Value: 10}); err != nil {
				return err
			}
		}
		return nil
	})
	// Events: ten units in August and September, eight of August's again
	// in September, then five of September's in October until the 20th.
	var evs []workflows.Event
	add := func(unit string, at time.Time) {
		evs = append(evs, workflows.Event{UnitID: unit, Name: "page_view", Value: 1, At: at})
	}
	for i := 1; i <= 10; i++ {
		add(fmt.Sprintf("u%d", i), time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC))
		add(fmt.Sprintf("u%d", i), time.Date(2026, 8, 31, 10, 0, 0, 0, time.UTC))
	}
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u11", "u12"} {
		add(u, time.Date(2026, 9, 15, 10, 0, 0, 0, time.UTC))
	}
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5", "u13"} {
		add(u, time.Date(2026, 10, 20, 10, 0, 0, 0, time.UTC))
	}
	env.events(evs)

	rv, err := env.svc.Review(context.Background(), "checkout", "")
	if err != nil {
		t.Fatal(err)
	}
	if rv.Month != "2026-10" || rv.Quarter != "2026-Q4" || !rv.Over() {
		t.Fatalf("review of %s (%s), over %v; want 2026-10, 2026-Q4, over", rv.Month, rv.Quarter, rv.Over())
	}

	mrr := headlineOf(t, rv, "mrr")
	if !near(mrr.MoM, 0.04) || mrr.Target == nil || mrr.Target.Met || !near(mrr.Target.Target, 0.05) {
		t.Errorf("MRR growth %v against target %+v; want +4 %%, missed", mrr.MoM, mrr.Target)
	}
	if !near(mrr.Average, (112000+118000+126000)/3.0) || mrr.AverageMonths != 3 {
		t.Errorf("MRR 3-month average %v over %d months", mrr.Average, mrr.AverageMonths)
	}
	churn := headlineOf(t, rv, "churn_rate")
	if !near(churn.Current.Value, 2520.0/126000) || !near(churn.Previous.Value, 2400.0/118000) || !churn.HasMoM {
		t.Errorf("churn rate %+v, previous %+v", churn.Current, churn.Previous)
	}
	if nps := headlineOf(t, rv, "nps"); nps.Current.Known || nps.Missing == nil || nps.Missing.Fix != "growthbot import kpis" ||
		nps.Target == nil || nps.Target.Known {
		t.Errorf("a missing NPS must say so and not meet or miss its target: %+v", nps)
	}
	active := headlineOf(t, rv, "active_users")
	if active.Current.Value != 6 || active.Current.Source != workflows.SourceEvents || !active.Current.Partial ||
		active.Current.Note != "events end 20 Oct 2026" || active.Previous.Value != 10 || active.Previous.Partial {
		t.Errorf("active users: %+v, previous %+v", active.Current, active.Previous)
	}
	if ret := headlineOf(t, rv, "retention"); !near(ret.Current.Value, 0.5) || !near(ret.Previous.Value, 0.8) || !near(ret.MoM, -0.3) {
		t.Errorf("retention %+v, previous %+v, change %v; want 0.5, 0.8, -0.3 (points)", ret.Current, ret.Previous, ret.MoM)
	}
	var newUsers workflows.Headline
	for _, h := range rv.KPIs {
		if h.Name == "new_users" {
			newUsers = h
		}
	}
	if newUsers.Current.Value != 200 || !newUsers.Current.Partial || newUsers.Current.Note != "daily values for 20 of 31 days" {
		t.Errorf("new users from daily points: %+v", newUsers.Current)
	}
	if !rv.Partial || !rv.Computed {
		t.Errorf("partial %v (%v), computed %v; want both", rv.Partial, rv.PartialNotes, rv.Computed)
	}
	if len(rv.Anomalies) != 1 || rv.Anomalies[0].Name != "support_tickets" || rv.Anomalies[0].Months != 6 {
		t.Fatalf("anomalies: %+v", rv.Anomalies)
	}
	// Tickets 1000, 980, 1050, 1010, 1040, 1040: about 1,050 on trend.
	if a := rv.Anomalies[0]; a.Expected < 1000 || a.Expected > 1100 || a.High >= 1870 || !a.Above() || a.Label != "support tickets" {
		t.Errorf("anomaly %+v: want expected about 1,050, 1,870 above the interval", a)
	}
	if len(rv.Trend) != 12 || rv.Trend[0].Month != "2025-11" || rv.Trend[11].Month != "2026-10" || !rv.Trend[11].MRR.Known || rv.Trend[0].MRR.Known {
		t.Errorf("trend: %d months from %s", len(rv.Trend), rv.Trend[0].Month)
	}
}

func TestImportedKPIsWinOverComputed(t *testing.T) {
	env := newReviewEnv(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), team("checkout", "UTC"))
	env.kpis("checkout", map[string][]float64{"active_users": {5000}}, "2026-10")
	env.events([]workflows.Event{{UnitID: "u1", Name: "x", Value: 1, At: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)}})
	rv, err := env.svc.Review(context.Background(), "checkout", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if h := headlineOf(t, rv, "active_users"); h.Current.Value != 5000 || h.Current.Source != workflows.SourceImported {
		t.Errorf("active users %+v; want the imported 5000", h.Current)
	}
}

func TestReviewMonthBoundaries(t *testing.T) {
	env := newReviewEnv(t, time.Date(2028, 3, 2, 9, 0, 0, 0, time.UTC), team("checkout", "UTC"))
	env.kpis("checkout", map[string][]float64{"mrr": {100, 110}}, "2027-12")
	env.update(func(tx workflows.Tx) error {
		for d := 1; d <= 29; d++ { // 2028 is a leap year: February has 29 days
			if err := tx.PutKPI(workflows.KPIPoint{Team: "checkout", Name: "support_tickets", Period: fmt.Sprintf("2028-02-%02d", d), Value: 2}); err != nil {
				return err
			}
		}
		return nil
	})
	jan, err := env.svc.Review(context.Background(), "checkout", "2028-01")
	if err != nil {
		t.Fatal(err)
	}
	if h := headlineOf(t, jan, "mrr"); h.Previous.Month != "2027-12" || h.Previous.Value != 100 || !near(h.MoM, 0.1) {
		t.Errorf("January's previous month is %s (%v); want December of the year before", h.Previous.Month, h.Previous.Value)
	}
	feb, err := env.svc.Review(context.Background(), "checkout", "")
	if err != nil {
		t.Fatal(err)
	}
	tickets := headlineOf(t, feb, "support_tickets")
	if feb.Month != "2028-02" || tickets.Current.Value != 58 || tickets.Current.Partial || tickets.Current.Note != "daily values for 29 of 29 days" {
		t.Errorf("February 2028 tickets %+v", tickets.Current)
	}
	if _, err := env.svc.Review(context.Background(), "checkout", "2028-04"); workflows.ErrorCode(err) != workflows.EINVALID {
		t.Errorf("a month not begun: %v, want invalid", err)
	}
	if _, err := env.svc.Review(context.Background(), "checkout", "2028-13"); workflows.ErrorCode(err) != workflows.EINVALID {
		t.Errorf("month 13: %v, want invalid", err)
	}
}

// posted returns the months of the team's digests in the outbox.
func (e *reviewEnv) posted(teamKey string, months ...string) []string {
	e.t.Helper()
	var out []string
	for _, m := range months {
		if _, ok := e.message(workflows.ReviewKey(teamKey, m)); ok {
			out = append(out, m)
		}
	}
	return out
}

func TestDigestTimeZones(t *testing.T) {
	la, kiri, berlin := team("west", "America/Los_Angeles"), team("kiri", "Pacific/Kiritimati"), team("berlin", "Europe/Berlin")
	tests := []struct {
		name string
		now  time.Time
		team workflows.Team
		want []string // which of 2026-10 and 2026-11 are posted
	}{
		// 03:00 UTC on 1 November is 20:00 on Saturday 31 October in Los
		// Angeles: October is not over there.
		{"Los Angeles still in October", time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC), la, nil},
		// Monday 2 November, 09:00 in Los Angeles: the first weekday.
		{"Los Angeles on its first weekday", time.Date(2026, 11, 2, 17, 0, 0, 0, time.UTC), la, []string{"2026-10"}},
		// 12:00 UTC on Monday 30 November is 02:00 on Tuesday 1 December in
		// Kiritimati (UTC+14): November is over there, not yet in UTC.
		{"Kiritimati ahead of UTC", time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), kiri, []string{"2026-11"}},
		// 23:30 UTC on Monday 30 November is 00:30 on Tuesday in Berlin.
		{"Berlin an hour ahead", time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC), berlin, []string{"2026-11"}},
		{"Berlin in the last hour of November", time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC), berlin, []string{"2026-10"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newReviewEnv(t, tc.now, tc.team)
			if _, err := env.svc.RunDigest(context.Background(), workflows.JobOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := env.posted(tc.team.Key, "2026-10", "2026-11"); !slices.Equal(got, tc.want) {
				t.Errorf("posted %v, want %v", got, tc.want)
			}
			// Asked for November by name, before November is over there.
			report, err := env.svc.RunDigest(context.Background(), workflows.JobOptions{Period: "2026-11"})
			if over := !tc.now.Before(time.Date(2026, 12, 1, 0, 0, 0, 0, tc.team.Location())); err != nil ||
				!over && !strings.Contains(report.Lines[0], "2026-11 is not over yet in "+tc.team.Timezone) {
				t.Errorf("November asked for: %q, %v", report.Lines, err)
			}
		})
	}
}

func TestDigestFirstWeekday(t *testing.T) {
	// 1 August 2026 is a Saturday: a schedule firing on days 1-3 posts
	// July's digest on Monday the 3rd, whether or not it names the month.
	for _, opts := range []workflows.JobOptions{{}, {Team: "checkout", Period: "2026-07"}} {
		env := newReviewEnv(t, time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC), team("checkout", "UTC"))
		for _, step := range []struct {
			day  int
			want []string
			line string
		}{
			{1, nil, "it is Saturday in UTC, and the digest posts on the first weekday of the month, Monday 3 Aug 2026"},
			{2, nil, "it is Sunday in UTC"},
			{3, []string{"2026-07"}, "posted review:checkout:2026-07"},
			{4, []string{"2026-07"}, "already ran"},
		} {
			env.clock.Set(time.Date(2026, 8, step.day, 9, 0, 0, 0, time.UTC))
			report, err := env.svc.RunDigest(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := env.posted("checkout", "2026-07"); !slices.Equal(got, step.want) {
				t.Errorf("%+v, day %d: posted %v, want %v", opts, step.day, got, step.want)
			}
			if len(report.Lines) != 1 || !strings.Contains(report.Lines[0], step.line) {
				t.Errorf("%+v, day %d: report %q does not say %q", opts, step.day, report.Lines, step.line)
			}
		}
	}
	env := newReviewEnv(t, time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC), team("checkout", "UTC"))
	// Forced, or for an older month, it posts on a weekend too.
	if _, err := env.svc.RunDigest(context.Background(), workflows.JobOptions{Period: "2026-06"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.svc.RunDigest(context.Background(), workflows.JobOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if got := env.posted("checkout", "2026-06", "2026-07"); len(got) != 2 {
		t.Errorf("on a Saturday, an older month and a forced run posted %v", got)
	}
	// After the first weekday, a weekend run catches up a month not posted.
	env = newReviewEnv(t, time.Date(2026, 8, 8, 9, 0, 0, 0, time.UTC), team("checkout", "UTC"))
	if _, err := env.svc.RunDigest(context.Background(), workflows.JobOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := env.posted("checkout", "2026-07"); len(got) != 1 {
		t.Errorf("Saturday the 8th, July not posted yet: posted %v", got)
	}
	// The button posts on a weekend: a person decided to.
	env = newReviewEnv(t, time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC), team("checkout", "UTC"))
	if _, err := env.svc.PostReview(context.Background(), "U0ENG1", "checkout", "2026-07"); err != nil {
		t.Errorf("the button on Saturday the 1st: %v", err)
	}
}

func TestDigestExactlyOnce(t *testing.T) {
	ctx := context.Background()
	env := newReviewEnv(t, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), team("checkout", "UTC"))
	env.kpis("checkout", map[string][]float64{"mrr": {100, 105}}, "2026-09")
	for range 2 {
		if _, err := env.svc.RunDigest(ctx, workflows.JobOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.svc.PostReview(ctx, "U0ENG1", "checkout", "2026-10"); workflows.ErrorCode(err) != workflows.ECONFLICT ||
		!strings.Contains(err.Error(), "already posted") {
		t.Errorf("posting a posted review: %v, want a conflict", err)
	}
	key := workflows.ReviewKey("checkout", "2026-10")
	for _, k := range []string{key, key + ":numbers", key + ":questions", key + ":chart"} {
		if _, ok := env.message(k); !ok {
			t.Errorf("no message %s", k)
		}
	}
	if _, ok := env.message(key + ":force:2"); ok {
		t.Fatal("a second run posted again")
	}
	// Forced, it posts anew, under new keys.
	if _, err := env.svc.RunDigest(ctx, workflows.JobOptions{Team: "checkout", Period: "2026-10", Force: true}); err != nil {
		t.Fatal(err)
	}
	if m, ok := env.message(key + ":force:2"); !ok || m.Op != workflows.OpPost {
		t.Errorf("a forced run did not post a new parent")
	}
	if m, ok := env.message(key + ":force:2:chart"); !ok || m.Parent != key+":force:2" || m.Op != workflows.OpUpload {
		t.Errorf("the forced chart: %+v", m)
	} else if v, err := workflows.DecodePayload[workflows.ReviewMessage](m.Payload); err != nil || v.Section != workflows.SectionChart ||
		v.Review.Month != "2026-10" || !v.Review.HasTrend() {
		t.Errorf("the forced chart's payload: %+v, %v", v.Section, err)
	}
}

func TestPostReviewRules(t *testing.T) {
	ctx := context.Background()
	env := newReviewEnv(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), team("checkout", "Europe/Berlin"))
	tests := []struct {
		name, actor, team, month, code string
	}{
		{"outsider", "U0STRANGER", "checkout", "2026-10", workflows.EFORBIDDEN},
		{"unknown team", "U0ENG1", "chekout", "2026-10", workflows.ENOTFOUND},
		{"bad month", "U0ENG1", "checkout", "2026-1", workflows.EINVALID},
		{"month not over", "U0ENG1", "checkout", "2026-11", workflows.ECONFLICT},
		{"posted", "U0ENG1", "checkout", "2026-10", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.svc.PostReview(ctx, tc.actor, tc.team, tc.month)
			if workflows.ErrorCode(err) != tc.code {
				t.Errorf("error %v (code %q), want code %q", err, workflows.ErrorCode(err), tc.code)
			}
		})
	}
}

func TestReviewExperimentsOfTheMonth(t *testing.T) {
	ctx := context.Background()
	env := newReviewEnv(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), team("checkout", "UTC"))
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC) }
	exp := func(key string, state workflows.State, started, decided time.Time) workflows.Experiment {
		return workflows.Experiment{Key: key, Name: key, Team: "checkout", State: state, StartedAt: started, DecidedAt: decided,
			Variants:       []workflows.Variant{{Key: "control", Weight: 1}, {Key: "treatment", Weight: 1}},
			PrimaryMetrics: []string{"revenue"}, Method: workflows.MethodFixed, Alpha: 0.05, MinDays: 7, PlannedDays: 14,
			Winner:    map[workflows.State]string{workflows.StateShipped: "treatment", workflows.StateKilled: "control"}[state],
			CreatedAt: at(9, 1), UpdatedAt: at(9, 1)}
	}
	result := func(lift, low, high float64) workflows.Scorecard {
		return workflows.Scorecard{Results: []workflows.MetricResult{{Metric: workflows.Metric{Key: "revenue", Name: "Revenue per user"},
			Role: workflows.RolePrimary, Variant: "treatment", Lift: lift, Low: low, High: high}}}
	}
	env.update(func(tx workflows.Tx) error {
		for _, e := range []workflows.Experiment{
			exp("ship-a", workflows.StateShipped, at(9, 20), at(10, 10)),
			exp("ship-b", workflows.StateShipped, at(10, 2), at(10, 25)),
			exp("ship-unmeasured", workflows.StateShipped, at(10, 1), at(10, 28)),
			exp("kill-a", workflows.StateKilled, at(10, 3), at(10, 12)),
			exp("running", workflows.StateRunning, at(10, 20), time.Time{}),
			exp("shipped-later", workflows.StateShipped, at(10, 5), at(11, 3)),
			exp("old", workflows.StateShipped, at(8, 1), at(9, 1)),
			exp("draft", workflows.StateDraft, time.Time{}, time.Time{}),
		} {
			if err := tx.PutExperiment(e); err != nil {
				return err
			}
		}
		for _, s := range []workflows.Snapshot{
			{Experiment: "ship-a", Day: "2026-10-09", At: at(10, 9), Scorecard: result(0.04, 0.01, 0.07)},
			{Experiment: "ship-a", Day: "2026-10-10", At: at(10, 10), Scorecard: result(0.03, 0.01, 0.05)},
			{Experiment: "ship-a", Day: "2026-10-11", At: at(10, 11), Scorecard: result(0.5, 0.4, 0.6)}, // after the decision
			// The decision day's, taken after the decision.
			{Experiment: "ship-b", Day: "2026-10-25", At: at(10, 25).Add(time.Hour), Scorecard: result(0.9, 0.8, 1.0)},
			{Experiment: "ship-b", Day: "2026-10-24", At: at(10, 24), Scorecard: result(0.02, -0.01, 0.05)},
		} {
			if err := tx.PutSnapshot(s); err != nil {
				return err
			}
		}
		return nil
	})
	rv, err := env.svc.Review(ctx, "checkout", "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	x := rv.Experiments
	keys := func(es []workflows.Experiment) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Key)
		}
		slices.Sort(out)
		return out
	}
	for name, got := range map[string][]string{"started": keys(x.Started), "shipped": keys(x.Shipped), "killed": keys(x.Killed), "running": keys(x.Running)} {
		want := map[string][]string{
			"started": {"kill-a", "running", "ship-b", "ship-unmeasured", "shipped-later"},
			"shipped": {"ship-a", "ship-b", "ship-unmeasured"},
			"killed":  {"kill-a"},
			"running": {"running", "shipped-later"},
		}[name]
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if x.Decided != 4 || !near(x.WinRate, 0.75) {
		t.Errorf("win rate %v of %d decided, want 0.75 of 4", x.WinRate, x.Decided)
	}
	if len(x.Totals) != 1 {
		t.Fatalf("totals %+v", x.Totals)
	}
	total := x.Totals[0]
	half := 1.96 * math.Sqrt(math.Pow(0.04/3.92, 2)+math.Pow(0.06/3.92, 2))
	if total.Experiments != 2 || !near(total.Lift, 0.05) || !near(total.Low, 0.05-half) || !near(total.High, 0.05+half) ||
		total.MetricName != "Revenue per user" {
		t.Errorf("summed impact %+v, want +5 %% ± %v over 2 experiments", total, half)
	}
	var unmeasured int
	for _, im := range x.Impacts {
		if !im.Measured {
			unmeasured++
			if !strings.Contains(im.Reason, "no scorecard") {
				t.Errorf("why unmeasured: %q", im.Reason)
			}
		}
	}
	if unmeasured != 1 {
		t.Errorf("%d unmeasured impacts, want 1", unmeasured)
	}
}

func TestDecideReview(t *testing.T) {
	ctx := context.Background()
	env := newReviewEnv(t, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), team("checkout", "UTC"))
	if _, err := env.svc.DecideReview(ctx, "U0LEAD", "checkout", "2026-10", workflows.CourseStay, ""); workflows.ErrorCode(err) != workflows.ECONFLICT {
		t.Errorf("deciding a review not posted: %v, want a conflict", err)
	}
	if _, err := env.svc.RunDigest(ctx, workflows.JobOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, actor string
		course      workflows.Course
		changes     string
		code        string
	}{
		{"a member is not the lead", "U0ENG1", workflows.CourseStay, "", workflows.EFORBIDDEN},
		{"change without saying what", "U0LEAD", workflows.CourseChange, "   ", workflows.EINVALID},
		{"change with too much text", "U0LEAD", workflows.CourseChange, strings.Repeat("x", 2001), workflows.EINVALID},
		{"unknown course", "U0LEAD", "pivot", "", workflows.EINVALID},
		{"change", "U0LEAD", workflows.CourseChange, "Pause pricing tests; fix onboarding step 2.", ""},
		{"decided already", "U0LEAD", workflows.CourseStay, "", workflows.ECONFLICT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.svc.DecideReview(ctx, tc.actor, "checkout", "2026-10", tc.course, tc.changes)
			if workflows.ErrorCode(err) != tc.code {
				t.Errorf("error %v (code %q), want code %q", err, workflows.ErrorCode(err), tc.code)
			}
		})
	}
	key := workflows.ReviewKey("checkout", "2026-10")
	if m, ok := env.message(key + ":decision"); !ok || m.Op != workflows.OpUpdate || m.Target != key {
		t.Errorf("the summary is not updated: %+v", m)
	} else if v, err := workflows.DecodePayload[workflows.ReviewDecided](m.Payload); err != nil ||
		v.Original.Kind != workflows.KindReview || v.Record.DecidedBy != "U0LEAD" {
		t.Errorf("the update's payload: %+v, %v", v, err)
	}
	if m, ok := env.message(key + ":decision:reply"); !ok || m.Parent != key {
		t.Errorf("the thread is not told: %+v", m)
	}
	var audit []workflows.AuditEntry
	env.db.View(ctx, func(tx workflows.Tx) error {
		var err error
		audit, err = tx.Audit(workflows.AuditFilter{Subject: "review:checkout:2026-10"})
		return err
	})
	if len(audit) != 2 || audit[0].Action != "review.post" || audit[1].Action != "review.change" || audit[1].Actor != "U0LEAD" {
		t.Errorf("audit: %+v", audit)
	}
	// Next month's review shows the decision at the top.
	env.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	rv, err := env.svc.Review(ctx, "checkout", "")
	if err != nil {
		t.Fatal(err)
	}
	if rv.Previous == nil || rv.Previous.Course != workflows.CourseChange || rv.Previous.Changes != "Pause pricing tests; fix onboarding step 2." {
		t.Errorf("previous decision %+v", rv.Previous)
	}
}
