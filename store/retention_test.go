package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// PruneOutbox clears the bodies and files of messages delivered before the
// cut-off, keeps their rows and ts, and keeps the bodies of thread parents
// and of messages that are updated; ForgetDeliveries drops old delivery
// records only.
func TestPruneOutboxAndDeliveries(t *testing.T) {
	db := MustOpenDB(t)
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	ctx := context.Background()
	body := workflows.Rendered{Text: "scorecard"}
	msgs := []workflows.Message{
		{Key: "parent", Op: workflows.OpPost, Channel: "C1", Body: body},
		{Key: "reply", Op: workflows.OpPost, Channel: "C1", Parent: "parent", Body: body},
		{Key: "chart", Op: workflows.OpUpload, Channel: "C1", Parent: "parent", File: []byte("png"), Filename: "c.png"},
	}
	send := func(tx workflows.Tx, msgs []workflows.Message) error {
		for _, m := range msgs {
			if _, err := tx.Enqueue(m); err != nil {
				return err
			}
			got, err := tx.MessageByKey(m.Key)
			if err != nil {
				return err
			}
			if err := tx.MessageSent(got.ID, m.Key+".1"); err != nil {
				return err
			}
		}
		return nil
	}
	for _, batch := range []struct {
		msgs     []workflows.Message
		delivery string
	}{
		{msgs, "old"},
		{[]workflows.Message{{Key: "recent", Op: workflows.OpPost, Channel: "C1", Body: body}}, "new"},
	} {
		err := db.Update(ctx, func(tx workflows.Tx) error {
			if _, err := tx.RecordDelivery(batch.delivery); err != nil {
				return err
			}
			return send(tx, batch.msgs)
		})
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Hour)
	}
	var cleared int64
	err := db.Update(ctx, func(tx workflows.Tx) error {
		var err error
		if cleared, err = tx.PruneOutbox(now.Add(-3 * time.Hour)); err != nil {
			return err
		}
		return tx.ForgetDeliveries(now.Add(-3 * time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	if cleared != 2 {
		t.Errorf("cleared %d messages, want the old reply and chart (not the thread parent, not the recent post)", cleared)
	}
	db.Update(ctx, func(tx workflows.Tx) error {
		for key, wantBody := range map[string]bool{"parent": true, "reply": false, "chart": false, "recent": true} {
			m, err := tx.MessageByKey(key)
			if err != nil {
				t.Fatal(err)
			}
			if hasBody := m.Body.Text != "" || len(m.File) > 0; hasBody != wantBody || m.TS == "" {
				t.Errorf("%s: body kept %v (want %v), ts %q", key, hasBody, wantBody, m.TS)
			}
		}
		for id, wantNew := range map[string]bool{"old": true, "new": false} {
			isNew, err := tx.RecordDelivery(id)
			if err != nil {
				t.Fatal(err)
			}
			if isNew != wantNew {
				t.Errorf("delivery %s recorded as new: %v, want %v", id, isNew, wantNew)
			}
		}
		return nil
	})
}

// PruneJobRuns deletes a job's old runs but keeps the newest of each scope
// and every run of other jobs; PruneSnapshots keeps each experiment's two
// newest snapshots and its newest posted one; DropOutboxLeaves deletes old
// delivered updates and uploads only, and none that another message refers
// to.
func TestPruneJobRunsSnapshotsAndLeaves(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := start
	db.Now = func() time.Time { return now }
	putTeam(t, db, "checkout")
	update := func(fn func(tx workflows.Tx) error) {
		t.Helper()
		if err := db.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx workflows.Tx) error {
		return tx.PutExperiment(workflows.Experiment{Key: "x", Team: "checkout", Variants: []workflows.Variant{{Key: "a"}},
			Method: workflows.MethodFixed, State: workflows.StateRunning, CreatedAt: now, UpdatedAt: now})
	})
	// Ten days: a rollouts run per hour, a pulse per day for two teams, a
	// snapshot per day (posted on days 0 and 4), and a thread with a
	// reply, a chart and a headline update per day.
	update(func(tx workflows.Tx) error {
		_, err := tx.Enqueue(workflows.Message{Key: "thread", Op: workflows.OpPost, Channel: "C1", Body: workflows.Rendered{Text: "t"}})
		return err
	})
	for d := range 10 {
		for h := range 24 {
			now = start.Add(time.Duration(d*24+h) * time.Hour)
			update(func(tx workflows.Tx) error {
				period := now.Format("2006-01-02T15:04")
				if _, err := tx.ClaimJobRun("rollouts", "*", period, true, time.Minute); err != nil {
					return err
				}
				return tx.FinishJobRun("rollouts", "*", period, "")
			})
		}
		now = start.Add(time.Duration(d*24+9) * time.Hour)
		day := now.Format("2006-01-02")
		update(func(tx workflows.Tx) error {
			for _, team := range []string{"a", "b"} {
				if d >= 5 && team == "b" {
					continue // b's newest run is day 4's
				}
				if _, err := tx.ClaimJobRun("pulse", team, day, false, time.Minute); err != nil {
					return err
				}
				if err := tx.FinishJobRun("pulse", team, day, ""); err != nil {
					return err
				}
			}
			if err := tx.PutSnapshot(workflows.Snapshot{Experiment: "x", Day: day, At: now, Posted: d == 0 || d == 4}); err != nil {
				return err
			}
			for _, m := range []workflows.Message{
				{Key: "reply:" + day, Op: workflows.OpPost, Channel: "C1", Parent: "thread"},
				{Key: "chart:" + day, Op: workflows.OpUpload, Channel: "C1", Parent: "thread", File: []byte("png")},
				{Key: "headline:" + day, Op: workflows.OpUpdate, Target: "thread"},
			} {
				if _, err := tx.Enqueue(m); err != nil {
					return err
				}
				got, err := tx.MessageByKey(m.Key)
				if err != nil {
					return err
				}
				if err := tx.MessageSent(got.ID, "1.1"); err != nil {
					return err
				}
			}
			return nil
		})
	}
	// An update that another update targets stays.
	update(func(tx workflows.Tx) error {
		_, err := tx.Enqueue(workflows.Message{Key: "fix", Op: workflows.OpUpdate, Target: "headline:2026-11-01"})
		return err
	})
	cut := start.Add(7 * 24 * time.Hour) // before day 7
	var runs, snaps, leaves int64
	update(func(tx workflows.Tx) error {
		var err error
		if runs, err = tx.PruneJobRuns("rollouts", cut); err != nil {
			return err
		}
		var n int64
		if n, err = tx.PruneJobRuns("pulse", cut); err != nil {
			return err
		}
		runs += n
		if snaps, err = tx.PruneSnapshots(cut); err != nil {
			return err
		}
		leaves, err = tx.DropOutboxLeaves(cut)
		return err
	})
	// rollouts: 7 days of 24; pulse: a's days 0-6, b's days 0-3 (day 4 is
	// b's newest).
	if want := int64(7*24 + 7 + 4); runs != want {
		t.Errorf("pruned %d job runs, want %d", runs, want)
	}
	// Snapshots of days 0-6 go but day 4's, the newest posted; days 8 and
	// 9 are the newest two and newer than the cut anyway.
	if snaps != 6 {
		t.Errorf("pruned %d snapshots, want 6", snaps)
	}
	// Charts and headline updates of days 0-6 go, but the headline update
	// of day 0, which another update targets.
	if leaves != 13 {
		t.Errorf("dropped %d outbox rows, want 13", leaves)
	}
	db.Update(ctx, func(tx workflows.Tx) error {
		pulse, err := tx.JobRuns("pulse", 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range pulse {
			got = append(got, r.Scope+" "+r.Period)
		}
		want := []string{"a 2026-11-10", "a 2026-11-09", "a 2026-11-08", "b 2026-11-05"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("pulse runs left: %q, want %q", got, want)
		}
		snapshots, err := tx.Snapshots("x")
		if err != nil {
			t.Fatal(err)
		}
		var days []string
		for _, s := range snapshots {
			days = append(days, s.Day)
		}
		if want := "2026-11-05,2026-11-08,2026-11-09,2026-11-10"; strings.Join(days, ",") != want {
			t.Errorf("snapshots left: %s, want %s", strings.Join(days, ","), want)
		}
		for key, want := range map[string]bool{"thread": true, "reply:2026-11-01": true, "chart:2026-11-01": false,
			"headline:2026-11-01": true, "headline:2026-11-02": false, "chart:2026-11-08": true, "headline:2026-11-08": true} {
			_, err := tx.MessageByKey(key)
			if got := err == nil; got != want {
				t.Errorf("%s kept: %v, want %v (%v)", key, got, want, err)
			}
		}
		return nil
	})
}
