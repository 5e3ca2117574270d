package workflows

import (
	"context"
	"fmt"
)

// analysisInput is what analysing one experiment needs from the store.
type analysisInput struct {
	team  Team
	input AnalyzeInput
}

// Scorecard analyses one experiment now. Errors: ENOTFOUND for an unknown
// experiment, ECONFLICT for one that has not started.
func (s *Service) Scorecard(ctx context.Context, key string) (Scorecard, Team, error) {
	cards, teams, err := s.scorecards(ctx, []string{key})
	if err != nil {
		return Scorecard{}, Team{}, err
	}
	return cards[0], teams[0], nil
}

// scorecards analyses experiments with one pass over their data. Every key
// must name a started experiment.
func (s *Service) scorecards(ctx context.Context, keys []string) ([]Scorecard, []Team, error) {
	if len(keys) == 0 {
		return nil, nil, nil
	}
	var inputs []analysisInput
	var reqs []AggregateRequest
	err := s.Store.View(ctx, func(tx Tx) error {
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
				return Errorf(ECONFLICT, "experiment %q has not started, so it has no scorecard yet (/exp start %s)", key, key)
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
		return nil, nil, err
	}
	aggs, err := s.Store.Aggregate(ctx, reqs)
	if err != nil {
		return nil, nil, fmt.Errorf("aggregate: %w", err)
	}
	cards := make([]Scorecard, len(aggs))
	teams := make([]Team, len(aggs))
	for i, agg := range aggs {
		// The scorecard is as of its window's end: now, or the decision of
		// an experiment that has one.
		cards[i] = Analyze(agg, inputs[i].input)
		teams[i] = inputs[i].team
	}
	return cards, teams, nil
}
