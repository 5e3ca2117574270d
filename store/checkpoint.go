package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

const (
	// checkpointInterval is the most often the checkpointer runs while
	// writes keep coming.
	checkpointInterval = 100 * time.Millisecond
	// backstopCheckpointPages is the log's size, in pages, past which a
	// commit checkpoints too (SQLite's default is 1,000).
	backstopCheckpointPages = 4000
)

// checkpointer copies the write-ahead log into the database file in the
// background, on a connection of its own.
//
// SQLite's default is that the connection that commits does it, inside the
// commit, whenever the log passed 1,000 pages (4 MB). Here that connection
// is the store's only writer: each such commit took as long as copying the
// log and syncing the file twice, and every write waiting behind it (a
// button press, a slash command's delivery record) waited that long too.
// On a busy machine, during an ingestion of 800,000 events, that made
// writes stall for seconds. This does the copying instead, with PASSIVE
// checkpoints that neither wait for nor block readers and writers.
//
// The log restarts from its beginning only when a write begins with all of
// it copied, which a background checkpoint, always a little behind a burst
// of writes, never achieves: alone, it would let the log grow for as long
// as the burst lasts. So the writer still checkpoints in a commit once the
// log passes backstopCheckpointPages (16 MB), by then with little left to
// copy, and the next write restarts the log.
type checkpointer struct {
	db      *sql.DB
	wake    chan struct{}
	stop    chan struct{}
	stopped sync.WaitGroup
}

func startCheckpointer(path string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	c.stopped.Go(c.run)
	return c, nil
}

// committed tells the checkpointer the log has grown. It never blocks.
func (c *checkpointer) committed() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		// A failure (the disk is full, say) leaves the log as it is; the
		// next commit tries again, and readers see every commit meanwhile.
		_, _ = c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		// Paced, so that a stream of small commits costs one checkpoint per
		// interval rather than one each.
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointInterval):
		}
	}
}

// close stops the checkpointer and waits for a checkpoint in progress.
func (c *checkpointer) close() error {
	close(c.stop)
	c.stopped.Wait()
	return c.db.Close()
}
