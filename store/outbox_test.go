package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
)

// TestOutboxPayloads: a message carries its payload (kind and data) through
// the outbox unchanged, and a message enqueued with a rendered body, before
// payloads existed, keeps that body across the migration that added them.
func TestOutboxPayloads(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	migrations, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	// A database as growthbot left it before messages carried data, with a
	// message waiting in its outbox.
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations {
		if m.Version >= 40 {
			break
		}
		if _, err := raw.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (?, ?, '2026-11-01T00:00:00Z')`, m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec(`INSERT INTO outbox (key, op, lane, channel, body, state, next_attempt_at, created_at)
		VALUES ('old', 'post', 'slack:C0:', 'C0', '{"text":"rendered before","blocks":[{"type":"divider"}]}', 'pending',
		'2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	payload, err := workflows.NewPayload(workflows.SourceDown{Experiment: workflows.Experiment{Key: "one-click"}, Problem: "down"})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx workflows.Tx) error {
		_, err := tx.Enqueue(workflows.Message{Key: "new", Op: workflows.OpPost, Channel: "C0", Payload: payload})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var old, fresh workflows.Message
	err = db.Update(ctx, func(tx workflows.Tx) error {
		if old, err = tx.MessageByKey("old"); err != nil {
			return err
		}
		due, err := tx.DueMessages(now, 10)
		if err != nil || len(due) != 1 || due[0].Key != "old" || due[0].Payload.Kind != "" {
			t.Errorf("due %+v, %v: want the old message, the head of the channel's lane, without its payload", due, err)
		}
		if fresh, err = tx.ClaimMessage(2, now.Add(time.Minute)); err != nil {
			return err
		}
		return tx.MessageSent(fresh.ID, "1.2")
	})
	if err != nil {
		t.Fatal(err)
	}
	if old.Payload.Kind != "" || old.Body.Text != "rendered before" || string(old.Body.Blocks) != `[{"type":"divider"}]` {
		t.Errorf("the message from before: %+v", old)
	}
	got, err := workflows.DecodePayload[workflows.SourceDown](fresh.Payload)
	if err != nil || fresh.Key != "new" || got.Experiment.Key != "one-click" || got.Problem != "down" {
		t.Errorf("the message with a payload: %+v, %+v, %v", fresh, got, err)
	}

	// Pruning clears the payload and keeps the kind.
	now = now.AddDate(0, 2, 0)
	var pruned workflows.Message
	err = db.Update(ctx, func(tx workflows.Tx) error {
		if n, err := tx.PruneOutbox(now.AddDate(0, -1, 0)); err != nil || n != 1 {
			t.Errorf("pruned %d, %v; want the sent message", n, err)
		}
		pruned, err = tx.MessageByKey("new")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if pruned.Payload.Kind != workflows.KindSourceDown || len(pruned.Payload.Data) != 0 {
		t.Errorf("pruned: %+v", pruned.Payload)
	}
}
