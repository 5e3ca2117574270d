package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

func TestCommitsReachTheFileInTheBackground(t *testing.T) {
	db := MustOpenDB(t)
	size := func() int64 {
		fi, err := os.Stat(db.Path())
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Commits leave their pages in the write-ahead log; until a checkpoint
	// copies them, the database file keeps its size.
	before := size()
	rows := make([]workflows.Event, 20_000)
	for i := range rows {
		rows[i] = workflows.Event{UnitID: fmt.Sprint("u", i), Name: "view", Value: 1, At: time.Unix(1_700_000_000, 0)}
	}
	err := db.Update(context.Background(), func(tx workflows.Tx) error {
		w, err := tx.EventWriter()
		if err != nil {
			return err
		}
		if _, err := w.Write(rows); err != nil {
			return err
		}
		return w.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	// The checkpointer runs on its own after the commit: wait for the file
	// to hold the events.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for size() < before+100_000 {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("the database file is %d bytes 10 s after the commit, %d before: nothing was checkpointed", size(), before)
		}
	}
}
