package workflows

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// Segment's HTTP Tracking API, as a team's event pipeline (Segment,
// RudderStack, Jitsu) sends it: a track call, or a batch of calls.
// Package workflows/codec decodes a request into SegmentCalls: the
// exposures and events its track calls carry. Their rows go through the
// same checks as /api/v1/exposures and /api/v1/events, and a call with any
// problem refuses the whole request.

// SegmentReport says what a Segment request did.
type SegmentReport struct {
	Read       int64 `json:"read"`
	Exposures  int64 `json:"exposures"`
	Events     int64 `json:"events"`
	Duplicates int64 `json:"duplicates"`
	// Skipped counts calls of types other than track.
	Skipped int64 `json:"skipped"`
}

// SegmentCalls is a Segment request, decoded: the rows of its track calls.
// Problems of its rows name the call (its 1-based index, as the Line) and
// the call's field.
type SegmentCalls struct {
	// Source is "track" or "batch", for messages.
	Source string
	// Calls counts the request's calls; Skipped those of types other than
	// track.
	Calls, Skipped int64
	// Problems are those of calls that carry no row: a track call without
	// an event name, a unit or a timestamp.
	Problems ProblemList
	// Exposures and Events are the rows of the other track calls; nil when
	// there are none.
	Exposures Rows[Exposure]
	Events    Rows[Event]
}

// ImportSegment imports the exposures and events of a Segment request in
// one transaction: together, or nothing.
//
// Errors: as ImportExposures, with the calls counted against opts.MaxRows.
func (s *Service) ImportSegment(ctx context.Context, in SegmentCalls, opts ImportOptions) (SegmentReport, error) {
	report := SegmentReport{Read: in.Calls, Skipped: in.Skipped}
	if opts.MaxRows > 0 && in.Calls > int64(opts.MaxRows) {
		return report, &LimitError{Source: in.Source, MaxRows: opts.MaxRows}
	}
	if in.Problems.Total > 0 {
		return report, &ImportError{Source: in.Source, Problems: in.Problems.List, Total: in.Problems.Total}
	}
	if err := s.imports.enter(ctx); err != nil {
		return report, err
	}
	defer s.imports.leave()
	err := s.Store.Update(ctx, func(tx Tx) error {
		var all ProblemList
		for _, part := range []struct {
			problems *ProblemList
			store    func() (importCounts, error)
			into     *int64
		}{
			{problemsOf(in.Exposures), func() (importCounts, error) { return importExposures(ctx, tx, in.Exposures, ImportOptions{}) }, &report.Exposures},
			{problemsOf(in.Events), func() (importCounts, error) { return importEvents(ctx, tx, in.Events, ImportOptions{}) }, &report.Events},
		} {
			if part.problems == nil {
				continue
			}
			counts, err := part.store()
			if err != nil {
				return fmt.Errorf("import %s: %w", in.Source, err)
			}
			all.List = append(all.List, part.problems.List...)
			all.Total += part.problems.Total
			*part.into = counts.stored
			report.Duplicates += counts.read - counts.stored
		}
		if all.Total > 0 {
			slices.SortStableFunc(all.List, func(a, b RowProblem) int { return cmp.Compare(a.Line, b.Line) })
			if len(all.List) > MaxReportedProblems {
				all.List = all.List[:MaxReportedProblems]
			}
			return &ImportError{Source: in.Source, Problems: all.List, Total: all.Total}
		}
		return nil
	})
	if err != nil {
		return SegmentReport{Read: report.Read}, err
	}
	return report, nil
}

// problemsOf returns the problems of rows; nil when there are no rows.
func problemsOf[T any](rows Rows[T]) *ProblemList {
	if rows == nil {
		return nil
	}
	return rows.Problems()
}
