package workflows

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Segment's HTTP Tracking API, as a team's event pipeline (Segment,
// RudderStack, Jitsu) sends it: a track call, or a batch of calls.
//
// A track call with event "Experiment Viewed" is an exposure: properties
// experiment_id and variation_id (GrowthBook's SDK convention) name the
// experiment and variant. Any other track call is an event, valued by
// properties.value, else properties.revenue, else 1. The unit is userId,
// else anonymousId. Calls of other types (identify, page, screen, group,
// alias) carry no exposure or event: they are counted as skipped.
//
// The rows go through the same checks as /api/v1/exposures and
// /api/v1/events, and a call with any problem refuses the whole request.

// SegmentExposureEvent is the track event that marks an exposure.
const SegmentExposureEvent = "Experiment Viewed"

// SegmentReport says what a Segment request did.
type SegmentReport struct {
	Read       int64 `json:"read"`
	Exposures  int64 `json:"exposures"`
	Events     int64 `json:"events"`
	Duplicates int64 `json:"duplicates"`
	// Skipped counts calls of types other than track.
	Skipped int64 `json:"skipped"`
}

// segmentCall is the part of a call growthbot reads.
type segmentCall struct {
	Type        string                     `json:"type"`
	Event       *string                    `json:"event"`
	UserID      json.RawMessage            `json:"userId"`
	AnonymousID json.RawMessage            `json:"anonymousId"`
	Timestamp   json.RawMessage            `json:"timestamp"`
	Properties  map[string]json.RawMessage `json:"properties"`
}

// segmentRow remembers where a generated import row came from.
type segmentRow struct {
	call   int       // 1-based index of the call in the request
	fields [4]string // the call's field for each import column
}

// ImportSegment imports a Segment track call (batch false) or batch call
// from r in one transaction: exposures and events together, or nothing.
// Problems name the call (its 1-based index in the batch) and its field.
//
// Errors: as Import, with the calls counted against opts.MaxRows.
func (s *Service) ImportSegment(ctx context.Context, r io.Reader, batch bool, opts ImportOptions) (SegmentReport, error) {
	source := "track"
	if batch {
		source = "batch"
	}
	var report SegmentReport
	calls, err := decodeSegment(r, batch)
	if err != nil {
		return report, &ImportError{Source: source, Problems: []RowProblem{{Line: 1, Message: err.Error()}}, Total: 1}
	}
	report.Read = int64(len(calls))
	if opts.MaxRows > 0 && len(calls) > opts.MaxRows {
		return report, &LimitError{Source: source, MaxRows: opts.MaxRows}
	}
	var exposures, events bytes.Buffer
	var expRows, evRows []segmentRow
	var bad problems
	enc := func(buf *bytes.Buffer, row map[string]any) {
		b, _ := json.Marshal(row)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	for i, c := range calls {
		n := i + 1
		typ := c.Type
		if typ == "" && !batch {
			typ = "track"
		}
		if typ != "track" {
			report.Skipped++
			continue
		}
		if c.Event == nil || *c.Event == "" {
			bad.add(n, 0, "event", "call %d: a track call needs an event name", n)
			continue
		}
		unit, unitField := segmentText(c.UserID), "userId"
		if unit == nil {
			unit, unitField = segmentText(c.AnonymousID), "anonymousId"
		}
		if unit == nil {
			bad.add(n, 0, "userId", "call %d: needs a userId or an anonymousId (a string) for its unit", n)
			continue
		}
		ts := json.RawMessage(c.Timestamp)
		if len(ts) == 0 || string(ts) == "null" {
			bad.add(n, 0, "timestamp", "call %d: needs a timestamp (ISO 8601)", n)
			continue
		}
		if *c.Event == SegmentExposureEvent {
			experiment, variant := segmentText(c.Properties["experiment_id"]), segmentText(c.Properties["variation_id"])
			if experiment == nil || variant == nil {
				bad.add(n, 0, "properties", "call %d: an %q call needs properties experiment_id and variation_id", n, SegmentExposureEvent)
				continue
			}
			enc(&exposures, map[string]any{"unit_id": *unit, "experiment": *experiment, "variant": *variant, "timestamp": ts})
			expRows = append(expRows, segmentRow{call: n, fields: [4]string{unitField, "properties.experiment_id", "properties.variation_id", "timestamp"}})
			continue
		}
		row := map[string]any{"unit_id": *unit, "event": *c.Event, "timestamp": ts}
		valueField := "properties.value"
		if v, ok := c.Properties["value"]; ok && string(v) != "null" {
			row["value"] = v
		} else if v, ok := c.Properties["revenue"]; ok && string(v) != "null" {
			row["value"], valueField = v, "properties.revenue"
		}
		enc(&events, row)
		evRows = append(evRows, segmentRow{call: n, fields: [4]string{unitField, "event", valueField, "timestamp"}})
	}
	if bad.total > 0 {
		return report, &ImportError{Source: source, Problems: bad.list, Total: bad.total}
	}
	if err := s.imports.enter(ctx); err != nil {
		return report, err
	}
	defer s.imports.leave()
	err = s.Store.Update(ctx, func(tx Tx) error {
		var all problems
		for _, part := range []struct {
			kind ImportKind
			data *bytes.Buffer
			rows []segmentRow
			into *int64
		}{{ImportExposures, &exposures, expRows, &report.Exposures}, {ImportEvents, &events, evRows, &report.Events}} {
			if len(part.rows) == 0 {
				continue
			}
			in, err := newImportInput(part.data, part.kind, FormatJSON)
			if err != nil {
				return err
			}
			var counts importCounts
			if part.kind == ImportExposures {
				counts, err = importExposures(ctx, tx, in, ImportOptions{})
			} else {
				counts, err = importEvents(ctx, tx, in, ImportOptions{})
			}
			if err != nil {
				return fmt.Errorf("import %s: %w", source, err)
			}
			for _, p := range in.problems.list {
				all.list = append(all.list, segmentProblem(part.kind, part.rows, p))
			}
			all.total += in.problems.total
			*part.into = counts.stored
			report.Duplicates += counts.read - counts.stored
		}
		if all.total > 0 {
			slices.SortStableFunc(all.list, func(a, b RowProblem) int { return cmp.Compare(a.Line, b.Line) })
			if len(all.list) > maxReportedProblems {
				all.list = all.list[:maxReportedProblems]
			}
			return &ImportError{Source: source, Problems: all.list, Total: all.total}
		}
		return nil
	})
	if err != nil {
		return SegmentReport{Read: report.Read}, err
	}
	return report, nil
}

// segmentProblem turns a problem of a generated row into one of the call:
// its number and its field.
func segmentProblem(kind ImportKind, rows []segmentRow, p RowProblem) RowProblem {
	if p.Line < 1 || p.Line > len(rows) {
		return p
	}
	row := rows[p.Line-1]
	field := p.Field
	if i := slices.Index(kind.Columns(), p.Field); i >= 0 {
		field = row.fields[i]
	}
	return RowProblem{Line: row.call, Field: field, Message: fmt.Sprintf("call %d, %s: %s", row.call, field, p.Message)}
}

// decodeSegment reads a track call or a batch call's calls.
func decodeSegment(r io.Reader, batch bool) ([]segmentCall, error) {
	dec := json.NewDecoder(r)
	var calls []segmentCall
	if batch {
		var body struct {
			Batch *[]segmentCall `json:"batch"`
		}
		if err := dec.Decode(&body); err != nil {
			return nil, segmentJSONError(err)
		}
		if body.Batch == nil {
			return nil, errors.New(`a batch call is an object with a "batch" array of calls`)
		}
		calls = *body.Batch
	} else {
		var c segmentCall
		if err := dec.Decode(&c); err != nil {
			return nil, segmentJSONError(err)
		}
		calls = []segmentCall{c}
	}
	if dec.More() {
		return nil, errors.New("the body holds more than one JSON value; send several calls as a batch")
	}
	return calls, nil
}

func segmentJSONError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("the body is empty: send a JSON object")
	case errors.As(err, &se):
		return fmt.Errorf("not valid JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return fmt.Errorf("%s must be %s, not %s", cmp.Or(te.Field, "the body"), te.Type, te.Value)
	}
	return fmt.Errorf("not valid JSON: %v", err)
}

// segmentText reads a JSON string or number as text; nil when absent,
// null, empty or of another type.
func segmentText(v json.RawMessage) *string {
	if len(v) == 0 {
		return nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		if s == "" {
			return nil
		}
		return &s
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err == nil {
		s = n.String()
		return &s
	}
	return nil
}
