package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointInterval is the most often the checkpointer runs while writes
// keep coming.
const checkpointInterval = 100 * time.Millisecond

// checkpointer copies the write-ahead log into the database file in the
// background, on a connection of its own.
//
// SQLite's default is that the connection that commits does it, inside the
// commit, whenever the log passed 1,000 pages. Here that connection is the
// store's only writer: each such commit took as long as copying the log and
// syncing the file twice, and every write waiting behind it (a button
// press, a slash command's delivery record) waited that long too. Under an
// ingestion of 800,000 events that made writes stall for seconds. The
// writer opens with wal_autocheckpoint(0), and this does the work instead:
// a PASSIVE checkpoint neither waits for nor blocks readers and writers.
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
