package workflows

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// analysisInput is what analysing one experiment needs from the store.
type analysisInput struct {
	team  Team
	input AnalyzeInput
}

// Scorecard analyses one experiment now. Errors: ENOTFOUND for an unknown
// experiment, ECONFLICT for one that has not started.
//
// An analysis reads all of the experiment's data, so it costs tens of
// milliseconds to seconds. Requests that arrive while one for the same
// experiment is running share its result rather than start another:
// otherwise a burst of /exp status or of presses on one decision's buttons
// runs the same analysis once per request, and every copy, competing for
// the same cores, finishes late. A shared result is as of a moment at most
// one analysis old, as if the request had come that much earlier.
func (s *Service) Scorecard(ctx context.Context, key string) (Scorecard, Team, error) {
	for {
		// Also on a retry: the analysis that replaced a cancelled one may
		// have finished before this request joined it.
		if card, team, ok := s.recentScorecard(ctx, key); ok {
			return card, team, nil
		}
		f, leader := s.analyses.join(key)
		if leader {
			s.lead(ctx, key, f)
		} else {
			select {
			case <-f.done:
			case <-ctx.Done():
				return Scorecard{}, Team{}, ctx.Err()
			}
		}
		// The leader's request may have been cancelled; that is no reason to
		// fail another's.
		if !leader && ctx.Err() == nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
			continue
		}
		return f.card, f.team, f.err
	}
}

// lead runs the analysis others may be waiting for. Deferred, land wakes
// them even if the analysis panics, and they then see an error.
func (s *Service) lead(ctx context.Context, key string, f *analysisFlight) {
	f.err = Errorf(EINTERNAL, "the analysis of %q stopped before it finished", key)
	defer func() { s.analyses.land(key, f, s.Clock.Now()) }()
	// Analyses run on at most half the cores, so that however many are
	// asked for at once, acknowledging Slack's requests never waits for a
	// core.
	select {
	case analysisSlots <- struct{}{}:
		defer func() { <-analysisSlots }()
	case <-ctx.Done():
		f.err = ctx.Err()
		return
	}
	cards, teams, err := s.scorecards(ctx, []string{key})
	if err == nil {
		f.card, f.team = cards[0], teams[0]
	}
	f.err = err
}

// analysisSlots bounds the analyses running at once to half the cores.
var analysisSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

// analysisFlights are the analyses running now, by experiment key. The zero
// value is ready to use.
type analysisFlights struct {
	mu      sync.Mutex
	running map[string]*analysisFlight
	recent  map[string]recentAnalysis
}

// analysisFlight is one running analysis; its fields are set before done
// is closed and never after.
type analysisFlight struct {
	done chan struct{}
	card Scorecard
	team Team
	err  error
	// waiters counts the requests that joined, under analysisFlights.mu.
	waiters int
}

// join returns the running analysis of key, or starts one and reports that
// the caller leads it: the leader analyses, then calls land.
func (a *analysisFlights) join(key string) (*analysisFlight, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f := a.running[key]; f != nil {
		f.waiters++
		return f, false
	}
	if a.running == nil {
		a.running = map[string]*analysisFlight{}
	}
	f := &analysisFlight{done: make(chan struct{})}
	a.running[key] = f
	return f, true
}

// land publishes a finished analysis to those waiting for it, and keeps a
// successful one as the experiment's recent result; later requests start a
// new one.
func (a *analysisFlights) land(key string, f *analysisFlight, now time.Time) {
	a.mu.Lock()
	delete(a.running, key)
	if f.err == nil {
		if a.recent == nil {
			a.recent = map[string]recentAnalysis{}
		}
		a.recent[key] = recentAnalysis{at: now, card: f.card, team: f.team}
	}
	a.mu.Unlock()
	close(f.done)
}

// recentAnalysis is an experiment's last finished analysis.
type recentAnalysis struct {
	at   time.Time
	card Scorecard
	team Team
}

// RecentAnalysis is how old a finished analysis may be and still answer a
// request: a burst of /exp status or of button presses on one experiment
// then costs one analysis, not one each. It is reused only while the
// experiment itself is unchanged (its state, decision, rollout or
// definition), so a request never sees an outcome older than the last
// change made to it; data imported in the last RecentAnalysis may be missing.
const RecentAnalysis = 2 * time.Second

// recentScorecard returns an analysis finished within RecentAnalysis of an
// experiment that has not changed since.
func (s *Service) recentScorecard(ctx context.Context, key string) (Scorecard, Team, bool) {
	s.analyses.mu.Lock()
	r, ok := s.analyses.recent[key]
	s.analyses.mu.Unlock()
	if !ok || s.Clock.Now().Sub(r.at) > RecentAnalysis {
		return Scorecard{}, Team{}, false
	}
	var current Experiment
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		current, err = tx.Experiment(key)
		return err
	})
	if err != nil || !same(current, r.card.Experiment) {
		return Scorecard{}, Team{}, false
	}
	return r.card, r.team, true
}

// scorecards analyses experiments with one pass over their data. Every key
// must name a started experiment.
func (s *Service) scorecards(ctx context.Context, keys []string) ([]Scorecard, []Team, error) {
	cards, teams, failed, err := s.scorecardsEach(ctx, keys)
	if err == nil {
		err = errors.Join(failed...)
	}
	if err != nil {
		return nil, nil, err
	}
	return cards, teams, nil
}

// scorecardsEach is scorecards where an experiment whose source fails does
// not fail the others: failed[i] holds its error, and cards[i] is zero.
func (s *Service) scorecardsEach(ctx context.Context, keys []string) (cards []Scorecard, teams []Team, failed []error, err error) {
	if len(keys) == 0 {
		return nil, nil, nil, nil
	}
	var inputs []analysisInput
	var reqs []AggregateRequest
	err = s.Store.View(ctx, func(tx Tx) error {
		settings, err := tx.Settings()
		if err != nil {
			return err
		}
		settings = settings.WithDefaults()
		for _, key := range keys {
			e, err := tx.Experiment(key)
			if err != nil {
				return err
			}
			if e.StartedAt.IsZero() {
				return Errorf(ECONFLICT, "experiment %q has not started, so it has no scorecard yet: start it first", key)
			}
			team, err := tx.Team(e.Team)
			if err != nil {
				return err
			}
			req, err := aggregateRequest(tx, e)
			if err != nil {
				return err
			}
			metrics := map[string]Metric{}
			for _, m := range req.Metrics {
				metrics[m.Key] = m
			}
			reqs = append(reqs, req)
			inputs = append(inputs, analysisInput{team: team, input: AnalyzeInput{
				Experiment: e, Metrics: metrics, Settings: settings, Framework: s.framework(e, team), Now: req.End}})
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	aggs, failed, err := s.aggregate(ctx, reqs)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("aggregate: %w", err)
	}
	cards = make([]Scorecard, len(aggs))
	teams = make([]Team, len(aggs))
	for i, agg := range aggs {
		teams[i] = inputs[i].team
		if failed[i] != nil {
			continue
		}
		// The scorecard is as of its window's end: now, or the decision of
		// an experiment that has one.
		cards[i] = Analyze(agg, inputs[i].input)
	}
	return cards, teams, failed, nil
}
