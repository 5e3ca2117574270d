// Package stats computes experiment scorecards from sufficient statistics:
// one treatment against control for one metric (fixed-horizon, sequential
// or Bayesian), sample ratio mismatch, multiple-testing corrections and
// power.
//
// It is pure math, so that anything in growthbot may call it and every
// number on a scorecard can be reproduced from its inputs. It must not do
// I/O (no files, network, clock, randomness or logging), keep state, or
// import any other growthbot package; beyond the standard library its one
// dependency is gonum's distributions (gonum.org/v1/gonum/stat/distuv).
// The formulas follow GrowthBook's gbstats 0.8 and statsmodels; the
// reference cases in testdata/stats-cases.json, documented in STATS.md,
// are the contract.
//
// Compare, SRM, Adjust and the power functions validate their input and
// return an *InputError rather than a NaN or an infinity; nothing here
// panics, whatever the input.
package stats

import "errors"

// MetricType says how an arm's sufficient statistics become a mean and a
// per-unit variance (see moments.go).
type MetricType string

// The metric types.
const (
	// MetricMean is the mean of a per-unit value.
	MetricMean MetricType = "mean"
	// MetricProportion is the share of units that converted.
	MetricProportion MetricType = "proportion"
	// MetricRatio is sum(numerator)/sum(denominator) over units, with its
	// variance from the delta method.
	MetricRatio MetricType = "ratio"
	// MetricCUPED is a mean adjusted by regression on the same metric
	// measured before exposure (CUPED).
	MetricCUPED MetricType = "cuped"
)

// Method is the inference method of a comparison.
type Method string

// The methods.
const (
	// MethodFixed is a fixed-horizon Welch t-test: valid when the data are
	// looked at once, at a sample size fixed in advance.
	MethodFixed Method = "fixed"
	// MethodSequential uses asymptotic confidence sequences, which stay
	// valid however often the data are looked at.
	MethodSequential Method = "sequential"
	// MethodBayesian gives a normal posterior on the effect.
	MethodBayesian Method = "bayesian"
)

// Difference says how treatment is compared with control.
type Difference string

// The differences.
const (
	// DifferenceRelative is (treatment - control) / |control|, the lift.
	DifferenceRelative Difference = "relative"
	// DifferenceAbsolute is treatment - control.
	DifferenceAbsolute Difference = "absolute"
)

// DefaultSequentialTuning is the tuning sample size N* used by the
// sequential method when Options.SequentialTuning is zero. It is
// GrowthBook's default: the confidence sequence is tightest near a total
// sample of N* units, and 5000 suits the experiments GrowthBook was tuned on.
const DefaultSequentialTuning = 5000

// DefaultPower is the power that MDE and DaysToMDE aim for when
// Options.Power is zero.
const DefaultPower = 0.8

// Moments are the per-unit sum and sum of squares of one value.
type Moments struct {
	Sum, SumSquares float64
}

// Arm holds one arm's sufficient statistics: per-unit values summed over
// the arm's units. Which fields are read depends on the metric type.
type Arm struct {
	// N is the number of units.
	N float64
	// Sum and SumSquares are used by mean; proportion uses Sum only (the
	// number of converted units).
	Sum, SumSquares float64
	// Numerator and Denominator are used by ratio.
	Numerator, Denominator Moments
	// Post (during the experiment) and Pre (before exposure) are used by
	// CUPED.
	Post, Pre Moments
	// SumProducts is the sum over units of numerator*denominator (ratio)
	// or post*pre (CUPED).
	SumProducts float64
}

// Prior is a proper Gaussian prior on the relative effect, for the Bayesian
// method. For an absolute difference it is scaled by |control mean|.
type Prior struct {
	Mean, StdDev float64
}

// Options configure Compare and the power functions.
type Options struct {
	Metric     MetricType
	Difference Difference
	Method     Method
	// Alpha is the two-sided significance level, in (0, 1): the intervals
	// have coverage 1-Alpha.
	Alpha float64
	// SequentialTuning is N* for the sequential method; zero means
	// DefaultSequentialTuning.
	SequentialTuning float64
	// Prior is used by the Bayesian method; nil means a flat (improper)
	// prior.
	Prior *Prior
	// Power is the target power of MDE and DaysToMDE; zero means
	// DefaultPower. Compare ignores it.
	Power float64
	// Exact makes Compare judge a proportion with small counts (see
	// SmallCounts) by the absolute difference with an exact test (see
	// exact.go) instead of the normal approximation. The reference cases
	// are computed without it.
	Exact bool
}

// Result is one comparison of treatment against control, in the units of
// Options.Difference.
type Result struct {
	// Estimate and SE are the estimated effect and its standard error; for
	// the Bayesian method, the posterior mean and standard deviation.
	Estimate, SE float64
	// CILow and CIHigh bound the 1-Alpha interval: confidence interval
	// (fixed), confidence sequence (sequential) or credible interval
	// (Bayesian).
	CILow, CIHigh float64
	// PValue is set by the fixed and sequential methods (zero otherwise).
	PValue float64
	// ChanceToWin, RiskControl and RiskTreatment are set by the Bayesian
	// method (zero otherwise). ChanceToWin is P(effect > 0); the risks are
	// the expected loss of shipping control or treatment.
	ChanceToWin, RiskControl, RiskTreatment float64
	// ControlMean and TreatmentMean are the arm means the data estimate
	// comes from, for display. For CUPED, ControlMean is the unadjusted
	// control mean (the denominator of the lift) and TreatmentMean is
	// ControlMean plus the adjusted difference, so that the lift computed
	// from the two equals the data estimate. A Bayesian prior does not move
	// them.
	ControlMean, TreatmentMean float64
	// Test names the test behind the p-value or posterior (TestWelch,
	// TestFisher, ...), for the scorecard to say.
	Test string
	// Difference is the kind of difference Estimate and the interval are
	// in: Options.Difference, except that an exact test of small counts is
	// always on the absolute difference.
	Difference Difference
}

// Errors. Every error returned by this package is an *InputError that
// wraps one of these two, so that a caller can tell "not enough data yet"
// from "the input is wrong" with errors.Is.
var (
	// ErrDegenerate means the data cannot support the computation yet:
	// fewer than two units, no variance, a zero control mean for a
	// relative difference. It is expected early in an experiment.
	ErrDegenerate = errors.New("stats: degenerate data")
	// ErrInvalid means the input is malformed: NaN or infinite numbers,
	// negative counts, more conversions than units, alpha outside (0, 1),
	// an unknown metric type or method, mismatched lengths. It points at a
	// bug or corrupt data upstream.
	ErrInvalid = errors.New("stats: invalid input")
)

// InputError says what is wrong with an input, in words meant for the
// person reading a scorecard ("control arm: n = 1, need at least 2 units").
type InputError struct {
	// Kind is ErrDegenerate or ErrInvalid.
	Kind error
	// Msg describes the problem.
	Msg string
}

func (e *InputError) Error() string { return e.Msg }

// Unwrap returns Kind, for errors.Is.
func (e *InputError) Unwrap() error { return e.Kind }
