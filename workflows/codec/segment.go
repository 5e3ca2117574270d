package codec

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/growthbot/growthbot/workflows"
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

// SegmentExposureEvent is the track event that marks an exposure.
const SegmentExposureEvent = "Experiment Viewed"

// SegmentImporter stores a decoded Segment request: a *workflows.Service.
type SegmentImporter interface {
	ImportSegment(ctx context.Context, in workflows.SegmentCalls, opts workflows.ImportOptions) (workflows.SegmentReport, error)
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

// segmentRow remembers where a row came from.
type segmentRow struct {
	call   int       // 1-based index of the call in the request
	fields [5]string // the call's field for each import column
}

// Segment decodes a Segment track call (batch false) or batch call from
// r. A body that is not a call is an *workflows.ImportError; a call that
// carries no row is a problem of the result.
//
// Each track call becomes one row of the NDJSON decoders, so that it is
// held to exactly the checks of /api/v1/exposures and /api/v1/events; its
// problems are told by the call's number and its own field.
func Segment(r io.Reader, batch bool) (workflows.SegmentCalls, error) {
	in := workflows.SegmentCalls{Source: "track"}
	if batch {
		in.Source = "batch"
	}
	calls, err := decodeSegment(r, batch)
	if err != nil {
		return in, &workflows.ImportError{Source: in.Source, Problems: []workflows.RowProblem{{Line: 1, Message: err.Error()}}, Total: 1}
	}
	in.Calls = int64(len(calls))
	var exposures, events bytes.Buffer
	var expRows, evRows []segmentRow
	bad := &in.Problems
	add := func(call int, field, format string, args ...any) {
		bad.Add(workflows.RowProblem{Line: call, Field: field, Message: fmt.Sprintf(format, args...)})
	}
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
			in.Skipped++
			continue
		}
		if c.Event == nil || *c.Event == "" {
			add(n, "event", "call %d: a track call needs an event name", n)
			continue
		}
		unit, unitField := segmentText(c.UserID), "userId"
		if unit == nil {
			unit, unitField = segmentText(c.AnonymousID), "anonymousId"
		}
		if unit == nil {
			add(n, "userId", "call %d: needs a userId or an anonymousId (a string) for its unit", n)
			continue
		}
		ts := json.RawMessage(c.Timestamp)
		if len(ts) == 0 || string(ts) == "null" {
			add(n, "timestamp", "call %d: needs a timestamp (ISO 8601)", n)
			continue
		}
		if *c.Event == SegmentExposureEvent {
			experiment, variant := segmentText(c.Properties["experiment_id"]), segmentText(c.Properties["variation_id"])
			if experiment == nil || variant == nil {
				add(n, "properties", "call %d: an %q call needs properties experiment_id and variation_id", n, SegmentExposureEvent)
				continue
			}
			enc(&exposures, map[string]any{"unit_id": *unit, "experiment": *experiment, "variant": *variant, "timestamp": ts})
			expRows = append(expRows, segmentRow{call: n, fields: [5]string{unitField, "properties.experiment_id", "properties.variation_id", "timestamp"}})
			continue
		}
		row := map[string]any{"unit_id": *unit, "event": *c.Event, "timestamp": ts}
		valueField := "properties.value"
		if v, ok := c.Properties["value"]; ok && string(v) != "null" {
			row["value"] = v
		} else if v, ok := c.Properties["revenue"]; ok && string(v) != "null" {
			row["value"], valueField = v, "properties.revenue"
		}
		if team := segmentText(c.Properties["team"]); team != nil {
			row["team"] = *team
		}
		enc(&events, row)
		evRows = append(evRows, segmentRow{call: n, fields: [5]string{unitField, "event", valueField, "timestamp", "properties.team"}})
	}
	if len(expRows) > 0 {
		d, err := Exposures(&exposures, FormatJSON)
		if err != nil {
			return in, err
		}
		d.problems.place = placeSegment(workflows.ImportExposures, expRows)
		in.Exposures = d
	}
	if len(evRows) > 0 {
		d, err := Events(&events, FormatJSON)
		if err != nil {
			return in, err
		}
		d.problems.place = placeSegment(workflows.ImportEvents, evRows)
		in.Events = d
	}
	return in, nil
}

// ImportSegment decodes a Segment request from r and imports it with imp.
//
// Errors: as Segment's and imp's.
func ImportSegment(ctx context.Context, imp SegmentImporter, r io.Reader, batch bool, opts workflows.ImportOptions) (workflows.SegmentReport, error) {
	in, err := Segment(r, batch)
	if err != nil {
		return workflows.SegmentReport{Read: in.Calls}, err
	}
	return imp.ImportSegment(ctx, in, opts)
}

// placeSegment returns where a problem of a row made from calls is: the
// call's number (as the Line) and the call's own field.
func placeSegment(kind workflows.ImportKind, rows []segmentRow) func(workflows.RowProblem) workflows.RowProblem {
	return func(p workflows.RowProblem) workflows.RowProblem {
		if p.Line < 1 || p.Line > len(rows) {
			return p
		}
		row := rows[p.Line-1]
		field := p.Field
		if i := slices.Index(kind.Columns(), p.Field); i >= 0 {
			field = row.fields[i]
		}
		return workflows.RowProblem{Line: row.call, Field: field, Message: fmt.Sprintf("call %d, %s: %s", row.call, field, p.Message)}
	}
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
