package workflows

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/growthbot/growthbot/stats"
)

// PreExposureWindow is how far before a unit's first exposure its CUPED
// covariate looks: the same metric over these 14 days.
const PreExposureWindow = 14 * 24 * time.Hour

// AggregateRequest asks for one experiment's sufficient statistics over an
// analysis window.
//
// The rules, which the store applies:
//   - A unit is analysed when its exposures in [Start, End) are all to one
//     variant; its first exposure is the earliest of them. A unit exposed
//     to two or more variants is left out and counted in
//     MultipleExposures. Exposures to a variant the experiment does not
//     have are ignored.
//   - A unit's value counts its events at or after its first exposure and
//     before End; its pre-exposure value counts the PreExposureWindow
//     before its first exposure. Units with no events count as zero.
//   - Proportion: 1 if the unit has any such event, else 0. Mean: the
//     number of events (ValueCount) or the sum of their values (ValueSum).
//     Ratio: the numerator and denominator metrics' per-unit values.
//   - Winsorize caps a mean metric's per-unit values, before and after
//     exposure, at its percentile of the analysed units' values, all
//     variants pooled (nearest rank: the ceil(p*n)-th smallest). The daily
//     series uses the same caps as the final arms.
type AggregateRequest struct {
	Experiment Experiment
	// Metrics defines every metric to compute, the components of ratios
	// included.
	Metrics    []Metric
	Start, End time.Time
	// Source is where the experiment's data lives; nil for the embedded
	// store.
	Source *Source
}

// MaxAggregateDays bounds a window, and the memory of its daily series.
const MaxAggregateDays = 3660

// Window returns the request's window in Unix milliseconds and its number
// of days (the last one may be partial); EINVALID for a window longer than
// MaxAggregateDays.
func (r AggregateRequest) Window() (start, end int64, days int, err error) {
	const day = int64(24 * time.Hour / time.Millisecond)
	start, end = r.Start.UnixMilli(), r.End.UnixMilli()
	if end > start {
		days = int((end - start + day - 1) / day)
	}
	if days > MaxAggregateDays {
		return start, end, days, Errorf(EINVALID, "experiment %q: a window of %d days is too long to analyse (at most %d)", r.Experiment.Key, days, MaxAggregateDays)
	}
	return start, end, days, nil
}

// RatioParts returns the indices in r.Metrics of a ratio metric's
// numerator and denominator; EINVALID when either is not a mean or
// proportion metric of the request.
func (r AggregateRequest) RatioParts(m Metric) (num, den int, err error) {
	find := func(key string) int {
		i := slices.IndexFunc(r.Metrics, func(x Metric) bool { return x.Key == key })
		if i >= 0 && r.Metrics[i].Type == MetricRatio {
			return -1
		}
		return i
	}
	num, den = find(m.Numerator), find(m.Denominator)
	for _, part := range []struct {
		key string
		i   int
	}{{m.Numerator, num}, {m.Denominator, den}} {
		if part.i < 0 {
			return num, den, Errorf(EINVALID, "ratio metric %q: %q must be a mean or proportion metric of the request", m.Key, part.key)
		}
	}
	return num, den, nil
}

// Aggregate is one experiment's sufficient statistics: what stats needs to
// compare its variants.
type Aggregate struct {
	Experiment string
	Start, End time.Time
	// Units counts the analysed units by variant.
	Units map[string]int64
	// MultipleExposures counts the units left out because they were exposed
	// to more than one variant, which the scorecard warns about.
	MultipleExposures int64
	// FirstExposure and LastExposure bound the exposures in the window,
	// the excluded units' included; zero when there are none.
	FirstExposure, LastExposure time.Time
	// Arms holds, by metric key then variant, the plain fields of stats.Arm
	// (N, Sum, SumSquares; for a ratio Numerator, Denominator and
	// SumProducts) and, for mean and proportion metrics, the CUPED fields
	// (Post as the plain moments, Pre, SumProducts of post*pre).
	Arms map[string]map[string]stats.Arm
	// Daily is the cumulative series for charts: one point per day since
	// Start.
	Daily []DailyArms
}

// DailyArms is an experiment's statistics as of the end of one day: the
// units exposed by then and their events up to then.
type DailyArms struct {
	// End is the end of the day: Start plus whole days, or the window's End
	// for its last, partial day.
	End   time.Time
	Units map[string]int64
	Arms  map[string]map[string]stats.Arm
}

// Mean returns a metric's mean in an arm: the ratio of the sums for a
// ratio metric, the mean per unit otherwise; 0 when there is no data.
func (a Aggregate) Mean(m Metric, variant string) float64 {
	arm := a.Arms[m.Key][variant]
	switch {
	case m.Type == MetricRatio && arm.Denominator.Sum != 0:
		return arm.Numerator.Sum / arm.Denominator.Sum
	case m.Type != MetricRatio && arm.N > 0:
		return arm.Sum / arm.N
	}
	return 0
}

// Aggregate computes the sufficient statistics of the experiments with the
// given keys, or of every running experiment (running or waiting for a
// decision) when there are none. Each is analysed from its start to now,
// or to its decision if it has one.
//
// Errors: ENOTFOUND for an unknown experiment or metric, ECONFLICT for an
// experiment that has not started, EINVALID for a ratio metric whose
// numerator or denominator is itself a ratio.
func (s *Service) Aggregate(ctx context.Context, keys ...string) ([]Aggregate, error) {
	var reqs []AggregateRequest
	err := s.Store.View(ctx, func(tx Tx) error {
		var exps []Experiment
		if len(keys) == 0 {
			var err error
			if exps, err = tx.Experiments(ExperimentFilter{States: []State{StateRunning, StateDecisionPending}}); err != nil {
				return err
			}
		}
		for _, key := range keys {
			e, err := tx.Experiment(key)
			if err != nil {
				return err
			}
			if e.StartedAt.IsZero() {
				return Errorf(ECONFLICT, "experiment %q has not started, so it has no data to analyse", key)
			}
			exps = append(exps, e)
		}
		for _, e := range exps {
			req, err := aggregateRequest(tx, e)
			if err != nil {
				return err
			}
			reqs = append(reqs, req)
		}
		return nil
	})
	if err != nil || len(reqs) == 0 {
		return nil, err
	}
	aggs, failed, err := s.aggregate(ctx, reqs)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(failed...); err != nil {
		return nil, err
	}
	return aggs, nil
}

// aggregateRequest builds the request for an experiment: its metrics with
// the components of its ratios, over its window as of the transaction's
// time.
func aggregateRequest(tx Tx, e Experiment) (AggregateRequest, error) {
	req := AggregateRequest{Experiment: e, Start: e.StartedAt, End: tx.Now()}
	src, err := sourceOf(tx, e)
	if err != nil {
		return req, err
	}
	req.Source = src
	if !e.DecidedAt.IsZero() && e.DecidedAt.Before(req.End) {
		req.End = e.DecidedAt
	}
	var keys []string
	add := func(key string) {
		if !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	}
	for _, key := range e.Metrics() {
		add(key)
	}
	for i := 0; i < len(keys); i++ {
		m, err := tx.Metric(keys[i])
		if err != nil {
			return req, err
		}
		if m.Type == MetricRatio {
			add(m.Numerator)
			add(m.Denominator)
		}
		req.Metrics = append(req.Metrics, m)
	}
	return req, nil
}
