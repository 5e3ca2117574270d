package store_test

import (
	"context"
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
