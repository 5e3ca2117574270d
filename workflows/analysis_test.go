package workflows_test

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
)

// gatedStore holds every analysis until released, and counts them.
type gatedStore struct {
	*store.DB
	analyses atomic.Int32
	entered  chan struct{}
	release  chan struct{}
}

func (g *gatedStore) Aggregate(ctx context.Context, reqs []workflows.AggregateRequest) ([]workflows.Aggregate, error) {
	g.analyses.Add(1)
	g.entered <- struct{}{}
	<-g.release
	return g.DB.Aggregate(ctx, reqs)
}

func TestConcurrentScorecardsShareOneAnalysis(t *testing.T) {
	const key, requests = "one-click-checkout", 5
	for _, tc := range []struct {
		name string
		// cancelLeader cancels the first request while the others wait.
		cancelLeader bool
		wantAnalyses int32
	}{
		{"one analysis serves all", false, 1},
		{"a cancelled first request fails only itself", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDecideEnv(t)
			d.runCheckout(true)
			gate := &gatedStore{DB: d.db, entered: make(chan struct{}, requests), release: make(chan struct{})}
			d.svc.Store = gate

			leaderCtx, cancel := context.WithCancel(context.Background())
			defer cancel()
			leaderErr := make(chan error, 1)
			go func() {
				_, _, err := d.svc.Scorecard(leaderCtx, key)
				leaderErr <- err
			}()
			<-gate.entered
			cards := make([]workflows.Scorecard, requests-1)
			errs := make([]error, requests-1)
			var wg sync.WaitGroup
			for i := range cards {
				wg.Go(func() { cards[i], _, errs[i] = d.svc.Scorecard(context.Background(), key) })
			}
			// Wait for the requests to join, or for one to start an analysis
			// of its own, which the count below reports.
			for workflows.AnalysisWaiters(d.svc, key) < requests-1 && gate.analyses.Load() == 1 {
				runtime.Gosched()
			}
			if tc.cancelLeader {
				cancel()
			}
			close(gate.release)
			wg.Wait()

			if err := <-leaderErr; (err != nil) != tc.cancelLeader {
				t.Errorf("first request: %v", err)
			}
			if n := gate.analyses.Load(); n != tc.wantAnalyses {
				t.Errorf("%d requests ran %d analyses; want %d", requests, n, tc.wantAnalyses)
			}
			for i := range cards {
				if errs[i] != nil || cards[i].Experiment.Key != key || !reflect.DeepEqual(cards[i], cards[0]) {
					t.Errorf("request %d: %v, scorecard of %q", i, errs[i], cards[i].Experiment.Key)
				}
			}
		})
	}
}
