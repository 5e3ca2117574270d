package workflows

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// HoldoutComparison compares a team's holdout, the units that saw none of
// its experiments and rollouts (shipped ones included), with everyone
// else, on the team's primary metrics: the cumulative impact of everything
// the team shipped. Units count from the exposures the flags log at
// evaluation (experiment "holdout:TEAM", variants "holdout" and "rest").
type HoldoutComparison struct {
	Share float64
	// Start and End bound the compared window: from the holdout's start
	// to the end of the reviewed month, the holdout's end or now.
	Start, End time.Time
	// Since is when the holdout began, when that is before Start: a
	// holdout kept longer than one analysis can span is compared over the
	// last MaxAggregateDays days. Zero otherwise.
	Since                   time.Time
	HoldoutUnits, RestUnits int64
	// MinUnits is what each side needs before anything is said
	// (settings.min_sample_per_arm).
	MinUnits int64
	// Results compares the rest (as the treatment) with the holdout (as the
	// control), one per primary metric.
	Results []MetricResult
}

// TooSmall reports whether either side has too few units to tell anything.
func (h HoldoutComparison) TooSmall() bool {
	return h.HoldoutUnits < h.MinUnits || h.RestUnits < h.MinUnits
}

// teamPrimaryMetrics returns the primary metrics of the team's experiments
// that have started, each once, in the order of the experiments' keys.
func teamPrimaryMetrics(exps []Experiment, team string) []string {
	var keys []string
	for _, e := range exps {
		if e.Team != team || e.StartedAt.IsZero() {
			continue
		}
		for _, k := range e.PrimaryMetrics {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// holdoutComparison compares the team's holdout with everyone else up to
// the end of the month that starts at monthStart and ends at monthEnd; nil
// when the team has no holdout, or it begins after the month.
func (s *Service) holdoutComparison(ctx context.Context, team Team, monthEnd time.Time) (*HoldoutComparison, error) {
	h := team.Holdout
	if h.Share <= 0 || !h.Start.Before(monthEnd) {
		return nil, nil
	}
	cmp := &HoldoutComparison{Share: h.Share, Start: h.Start, End: monthEnd}
	if h.End.Before(cmp.End) {
		cmp.End = h.End
	}
	if now := s.Clock.Now(); now.Before(cmp.End) {
		cmp.End = now
	}
	// A holdout kept longer than one analysis can span (say, "since
	// 2000") is compared over the longest window that can be analysed,
	// the last MaxAggregateDays days, and the review says from when.
	if earliest := cmp.End.AddDate(0, 0, -(MaxAggregateDays - 1)); cmp.Start.Before(earliest) {
		cmp.Since, cmp.Start = cmp.Start, earliest
	}
	e := Experiment{Key: HoldoutExperiment(team.Key), Name: "holdout", Team: team.Key, Method: MethodFixed,
		Alpha: DefaultAlpha, State: StateRunning, StartedAt: cmp.Start,
		Variants: []Variant{{Key: HoldoutVariant, Weight: h.Share}, {Key: HoldoutRest, Weight: 1 - h.Share}}}
	var req AggregateRequest
	var in AnalyzeInput
	err := s.Store.View(ctx, func(tx Tx) error {
		settings, err := tx.Settings()
		if err != nil {
			return err
		}
		settings = settings.WithDefaults()
		cmp.MinUnits = settings.MinSamplePerArm
		exps, err := tx.Experiments(ExperimentFilter{Team: team.Key})
		if err != nil {
			return err
		}
		e.PrimaryMetrics = teamPrimaryMetrics(exps, team.Key)
		if req, err = aggregateRequest(tx, e); err != nil {
			return err
		}
		req.End = cmp.End
		in = AnalyzeInput{Experiment: e, Metrics: map[string]Metric{}, Settings: settings, Now: cmp.End}
		for _, m := range req.Metrics {
			in.Metrics[m.Key] = m
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !req.End.After(req.Start) {
		return cmp, nil
	}
	aggs, err := s.Store.Aggregate(ctx, []AggregateRequest{req})
	if err != nil {
		return nil, fmt.Errorf("holdout of %s: aggregate: %w", team.Key, err)
	}
	cmp.HoldoutUnits, cmp.RestUnits = aggs[0].Units[HoldoutVariant], aggs[0].Units[HoldoutRest]
	for _, r := range Analyze(aggs[0], in).Results {
		if r.Role == RolePrimary {
			cmp.Results = append(cmp.Results, r)
		}
	}
	return cmp, nil
}
