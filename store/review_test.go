package store_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
)

func TestMonthlyActivity(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	month := func(m time.Month) time.Time { return time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC) }
	bounds := []time.Time{month(8), month(9), month(10), month(11)}
	read := func() (got []workflows.Activity, first, last time.Time) {
		t.Helper()
		err := db.View(ctx, func(tx workflows.Tx) error {
			var err error
			if got, err = tx.MonthlyActivity(bounds); err != nil {
				return err
			}
			first, last, err = tx.EventSpan()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got, first, last
	}
	got, first, last := read()
	if !slices.Equal(got, make([]workflows.Activity, 3)) || !first.IsZero() || !last.IsZero() {
		t.Errorf("no events: activity %v, span %v..%v; want zeros", got, first, last)
	}

	ev := func(unit string, at time.Time) workflows.Event {
		return workflows.Event{UnitID: unit, Name: "page_view", Value: 1, At: at}
	}
	events := []workflows.Event{
		ev("a", month(8)), ev("b", month(8).Add(time.Hour)), ev("a", month(8).Add(2*time.Hour)), // a twice: one unit
		ev("a", month(9)), ev("c", month(9).Add(time.Hour)), // a stays; c is new; b is gone
		ev("b", month(10).Add(-time.Millisecond)), // the last instant of September
		ev("c", month(10)), ev("d", month(11).Add(-time.Millisecond)),
		ev("e", month(11)), // after the last period: not counted
	}
	err := db.Update(ctx, func(tx workflows.Tx) error {
		w, err := tx.EventWriter()
		if err != nil {
			return err
		}
		if _, err := w.Write(events); err != nil {
			return err
		}
		return w.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	got, first, last = read()
	want := []workflows.Activity{{Active: 2}, {Active: 3, Retained: 2}, {Active: 2, Retained: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("activity %+v, want %+v", got, want)
	}
	if !first.Equal(month(8)) || !last.Equal(month(11)) {
		t.Errorf("span %v .. %v", first, last)
	}
	// The same units' events of a team: theirs only, and the span of them
	// in the periods; a team without events has none.
	teamEvents := []workflows.Event{ev("a", month(8).Add(3*time.Hour)), ev("a", month(9).Add(time.Hour)), ev("z", month(9).Add(2*time.Hour)),
		ev("c", month(10).Add(time.Hour)), ev("f", month(11).Add(time.Hour))}
	for i := range teamEvents {
		teamEvents[i].Name, teamEvents[i].Team = "checkout_view", "checkout"
	}
	err = db.Update(ctx, func(tx workflows.Tx) error {
		w, err := tx.EventWriter()
		if err != nil {
			return err
		}
		if _, err := w.Write(teamEvents); err != nil {
			return err
		}
		return w.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx workflows.Tx) error {
		own, err := tx.TeamActivity("checkout", bounds)
		if err != nil {
			return err
		}
		wantOwn := []workflows.Activity{{Active: 1}, {Active: 2, Retained: 1}, {Active: 1}}
		if !slices.Equal(own.Activity, wantOwn) || !own.First.Equal(month(8).Add(3*time.Hour)) || !own.Last.Equal(month(10).Add(time.Hour)) {
			t.Errorf("checkout's activity %+v, %v .. %v; want %+v from 03:00 on 1 Aug to 01:00 on 1 Oct", own.Activity, own.First, own.Last, wantOwn)
		}
		none, err := tx.TeamActivity("onboarding", bounds)
		if err != nil || none.Activity != nil || !none.First.IsZero() {
			t.Errorf("a team without events: %+v, %v", none, err)
		}
		all, err := tx.MonthlyActivity(bounds)
		if want := []workflows.Activity{{Active: 2}, {Active: 4, Retained: 2}, {Active: 2, Retained: 1}}; err != nil || !slices.Equal(all, want) {
			t.Errorf("every unit's activity with the team's events: %+v, %v; want %+v", all, err, want)
		}
		_, err = tx.MonthlyActivity(make([]time.Time, 34))
		return err
	})
	if workflows.ErrorCode(err) != workflows.EINVALID {
		t.Errorf("33 periods at once: %v, want invalid", err)
	}
}

func TestReviewRecordRoundTrip(t *testing.T) {
	db := MustOpenDB(t)
	putTeam(t, db, "checkout")
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	rec := workflows.ReviewRecord{Team: "checkout", Month: "2026-10", MessageKey: "review:checkout:2026-10", PostedAt: at}
	err := db.Update(context.Background(), func(tx workflows.Tx) error {
		if _, err := tx.ReviewRecord("checkout", "2026-10"); workflows.ErrorCode(err) != workflows.ENOTFOUND {
			t.Errorf("before posting: %v, want not found", err)
		}
		if err := tx.PutReviewRecord(rec); err != nil {
			return err
		}
		rec.Course, rec.Changes, rec.DecidedBy, rec.DecidedAt = workflows.CourseChange, "Fix onboarding", "U0LEAD", at.Add(time.Hour)
		return tx.PutReviewRecord(rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	var got workflows.ReviewRecord
	db.View(context.Background(), func(tx workflows.Tx) error {
		got, err = tx.ReviewRecord("checkout", "2026-10")
		return err
	})
	if err != nil || got != rec {
		t.Errorf("got %+v, %v\nwant %+v", got, err, rec)
	}
}

// BenchmarkMonthlyActivity13Months computes a review's active units and
// retention for 13 months over 10M events of 1M units.
func BenchmarkMonthlyActivity13Months(b *testing.B) {
	const units, events = 1_000_000, 10_000_000
	from := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	path := benchFixture(b, "activity-1m-10m", func(db *store.DB) error {
		return writeEvents(db, rand.New(rand.NewPCG(2, 2)), events, units, from, benchNow, []string{"page_view"}, []float64{1})
	})
	db, err := store.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bounds := make([]time.Time, 14)
	for i := range bounds {
		bounds[i] = from.AddDate(0, i, 0)
	}
	b.ResetTimer()
	for b.Loop() {
		err := db.View(context.Background(), func(tx workflows.Tx) error {
			got, err := tx.MonthlyActivity(bounds)
			if err == nil && got[12].Active == 0 {
				b.Fatal("no activity")
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
