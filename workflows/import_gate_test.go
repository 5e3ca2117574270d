package workflows_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

// holdingStore holds every write transaction until released, and counts
// them.
type holdingStore struct {
	*store.DB
	updates atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (h *holdingStore) Update(ctx context.Context, fn func(workflows.Tx) error) error {
	h.updates.Add(1)
	h.entered <- struct{}{}
	<-h.release
	return h.DB.Update(ctx, fn)
}

// watchedContext reports when someone first waits on it.
type watchedContext struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func (c *watchedContext) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

func TestImportsTakeTheWriterOneAtATime(t *testing.T) {
	d := newDecideEnv(t)
	hold := &holdingStore{DB: d.db, entered: make(chan struct{}, 2), release: make(chan struct{})}
	d.svc.Store = hold
	events := func() *strings.Reader {
		return strings.NewReader(`{"unit_id":"u1","event":"view","timestamp":"2026-11-01T10:00:00Z"}` + "\n")
	}
	importEvents := func(ctx context.Context) error {
		_, err := codec.Import(ctx, d.svc, workflows.ImportEvents, events(), codec.FormatJSON, "test", workflows.ImportOptions{})
		return err
	}

	first := make(chan error, 1)
	go func() { first <- importEvents(context.Background()) }()
	<-hold.entered

	// The second waits for the first without reaching the store, and gives
	// up when its context ends.
	ctx, cancel := context.WithCancel(context.Background())
	watched := &watchedContext{Context: ctx, waiting: make(chan struct{})}
	second := make(chan error, 1)
	go func() { second <- importEvents(watched) }()
	select {
	case <-watched.waiting:
	case <-hold.entered:
		t.Fatal("a second import reached the store while the first held the writer")
	}
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Errorf("second import, cancelled while waiting: %v", err)
	}
	close(hold.release)
	if err := <-first; err != nil {
		t.Errorf("first import: %v", err)
	}
	if n := hold.updates.Load(); n != 1 {
		t.Errorf("%d write transactions; want the first import's alone", n)
	}
}
