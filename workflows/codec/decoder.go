package codec

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/growthbot/growthbot/workflows"
)

// Decoder reads an input's rows of type T, one at a time: it implements
// workflows.Rows. Rows and problems come from the input in order; a
// decoder is not safe for concurrent use.
type Decoder[T any] struct {
	src      recordSource
	problems problemList
	columns  []string
	decode   func(*rowCheck, *T)
	rec      record
	check    rowCheck
}

var _ workflows.Rows[workflows.Event] = (*Decoder[workflows.Event])(nil)

// Exposures returns a decoder of exposures from r. It reads the first
// bytes of r to tell JSON from CSV (for FormatAuto) and a JSON array from
// NDJSON, and fails only when r cannot be read at all.
func Exposures(r io.Reader, format Format) (*Decoder[workflows.Exposure], error) {
	names := map[string]string{}
	return newDecoder(r, workflows.ImportExposures, format, func(c *rowCheck, x *workflows.Exposure) { decodeExposure(c, x, names) })
}

// Events returns a decoder of events from r; see Exposures.
func Events(r io.Reader, format Format) (*Decoder[workflows.Event], error) {
	names := map[string]string{}
	return newDecoder(r, workflows.ImportEvents, format, func(c *rowCheck, e *workflows.Event) { decodeEvent(c, e, names) })
}

// KPIs returns a decoder of KPI points from r; see Exposures.
func KPIs(r io.Reader, format Format) (*Decoder[workflows.KPIPoint], error) {
	names := map[string]string{}
	return newDecoder(r, workflows.ImportKPIs, format, func(c *rowCheck, k *workflows.KPIPoint) { decodeKPI(c, k, names) })
}

func newDecoder[T any](r io.Reader, kind workflows.ImportKind, format Format, decode func(*rowCheck, *T)) (*Decoder[T], error) {
	d := &Decoder[T]{columns: kind.Columns(), decode: decode}
	// One byte more than a line with its \r\n, so that ReadSlice tells a
	// line of exactly MaxLineBytes from a longer one.
	br := bufio.NewReaderSize(r, MaxLineBytes+3)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	first, err := firstByte(br)
	if err != nil {
		return nil, err
	}
	switch {
	case format == FormatCSV || (format == FormatAuto && first != '{' && first != '['):
		d.src = newCSVRows(br, kind, &d.problems)
	case first == '[':
		d.src = &jsonArray{br: br, line: 1, col: 1, problems: &d.problems}
	default:
		d.src = &jsonLines{br: br, problems: &d.problems}
	}
	return d, nil
}

// Next decodes the next row into *row; see workflows.Rows.
func (d *Decoder[T]) Next(row *T) bool {
	if !d.src.next(&d.rec) {
		return false
	}
	d.check.start(&d.rec, &d.problems, d.columns)
	var zero T
	*row = zero
	d.decode(&d.check, row)
	return true
}

// Decoded reports whether column col of the last row was decoded.
func (d *Decoder[T]) Decoded(col int) bool { return d.check.bad&(1<<col) == 0 }

// Reject records a problem with column col of the last row, where its
// value is (or where the row starts, when the column is absent).
func (d *Decoder[T]) Reject(col int, format string, args ...any) {
	d.check.fail(col, format, args...)
}

// Literal returns column col of the last row as the input wrote it.
func (d *Decoder[T]) Literal(col int) string {
	if f := d.check.cols[col]; f != nil {
		return show(f)
	}
	return ""
}

// Problems returns the problems found so far.
func (d *Decoder[T]) Problems() *workflows.ProblemList { return &d.problems.ProblemList }

// Err returns the read error that ended Next, if any.
func (d *Decoder[T]) Err() error { return d.src.err() }

// problemList collects an input's problems.
type problemList struct {
	workflows.ProblemList
	// place, when set, tells where a problem is in terms of the input
	// the rows were made from (a Segment call and its field).
	place func(workflows.RowProblem) workflows.RowProblem
}

func (p *problemList) add(line, col int, field, format string, args ...any) {
	problem := workflows.RowProblem{Line: line, Column: col, Field: field, Message: fmt.Sprintf(format, args...)}
	if p.place != nil {
		problem = p.place(problem)
	}
	p.Add(problem)
}

// recordSource yields an input's rows as records. Rows it cannot split
// into fields become problems and are skipped.
type recordSource interface {
	// next reads the next row into r; it returns false at the end of the
	// input or on a read error.
	next(r *record) bool
	// err returns the read error that ended next, if any.
	err() error
}

// rowCheck decodes one row's fields into its columns and collects its
// problems.
type rowCheck struct {
	rec     *record
	p       *problemList
	columns []string
	cols    [5]*field
	bad     uint8 // the columns with a problem
}

// start maps the record's fields to the kind's columns, reporting unknown
// and repeated ones.
func (c *rowCheck) start(rec *record, p *problemList, columns []string) {
	*c = rowCheck{rec: rec, p: p, columns: columns}
	for i := range rec.fields {
		f := &rec.fields[i]
		idx := -1
		for j, name := range columns {
			if string(f.name) == name {
				idx = j
			}
		}
		switch {
		case idx < 0:
			c.problemAt(f, true, string(f.name), "%s", unknownColumn(string(f.name), columns))
		case c.cols[idx] != nil:
			c.problemAt(f, true, columns[idx], "%s appears twice", columns[idx])
		default:
			c.cols[idx] = f
		}
	}
}

// problemAt records a problem with a field (its value, or its name when
// atName), or with the row when f is nil.
func (c *rowCheck) problemAt(f *field, atName bool, name, format string, args ...any) {
	line, col := c.rec.line, c.rec.col
	if f != nil {
		line, col = c.rec.at(f, atName)
	}
	c.p.add(line, col, name, format, args...)
}

// fail records a problem with column col's value.
func (c *rowCheck) fail(col int, format string, args ...any) {
	c.bad |= 1 << col
	c.problemAt(c.cols[col], false, c.columns[col], format, args...)
}

// present reports whether column col has a value, recording a problem
// when a required one has none.
func (c *rowCheck) present(col int, required bool) bool {
	if f := c.cols[col]; f == nil || f.kind == kindNull {
		if required {
			c.bad |= 1 << col
			c.problemAt(nil, false, c.columns[col], "%s is missing", c.columns[col])
		}
		return false
	}
	return true
}

// text returns a required string's bytes (a number's literal is accepted
// too: unit ids are often numbers).
func (c *rowCheck) text(col int, maxLen int) []byte {
	name, f := c.columns[col], c.cols[col]
	switch {
	case !c.present(col, true):
	case f.kind != kindString && f.kind != kindNumber:
		c.fail(col, "%s must be a string, not %s", name, describe(f))
	case len(f.value) == 0:
		c.fail(col, "%s is empty", name)
	case len(f.value) > maxLen:
		c.fail(col, "%s is longer than %d bytes", name, maxLen)
	case !utf8.Valid(f.value):
		// JSON strings are checked as they are scanned; CSV fields are not.
		c.fail(col, "%s is not valid UTF-8", name)
	default:
		return f.value
	}
	return nil
}

// number returns a column's finite number, or def when it is optional and
// absent.
func (c *rowCheck) number(col int, required bool, def float64) float64 {
	if !c.present(col, required) {
		return def
	}
	name, f := c.columns[col], c.cols[col]
	if f.kind != kindNumber && f.kind != kindString {
		c.fail(col, "%s must be a number, not %s", name, describe(f))
		return 0
	}
	v, err := strconv.ParseFloat(string(bytes.TrimSpace(f.value)), 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		c.fail(col, "%s %s is not a number", name, show(f))
	case math.IsInf(v, 0) || math.IsNaN(v):
		c.fail(col, "%s %s is not a finite number", name, show(f))
	}
	return v
}

// millisecondsAfter is the Unix time past which a number of seconds must
// be milliseconds: it is in the year 5138.
var millisecondsAfter = time.Unix(1e11, 0)

// timestamp reads RFC 3339 (with or without fractional seconds) or Unix
// seconds (integer or fractional, as a number or a string). Whether the
// time is plausible is the domain's rule; that a number of seconds beyond
// the year 5138 was sent in milliseconds is the format's.
func (c *rowCheck) timestamp(col int) time.Time {
	if !c.present(col, true) {
		return time.Time{}
	}
	f := c.cols[col]
	if f.kind != kindNumber && f.kind != kindString {
		c.fail(col, "timestamp must be a string or a number, not %s", describe(f))
		return time.Time{}
	}
	t, numeric, ok := parseTimestamp(f.value)
	switch {
	case !ok:
		c.fail(col, "timestamp %s is not RFC 3339 or Unix seconds", show(f))
	case numeric && t.After(millisecondsAfter):
		c.fail(col, "timestamp %s is more than a day in the future: send Unix seconds, not milliseconds", show(f))
	default:
		return t
	}
	return time.Time{}
}

func parseTimestamp(b []byte) (t time.Time, numeric, ok bool) {
	s := string(bytes.TrimSpace(b))
	if s == "" {
		return time.Time{}, false, false
	}
	// RFC 3339 always has a T and colons; Unix seconds never do.
	if !strings.ContainsAny(s, "Tt:") {
		// Clamping keeps absurd values inside time's range; they are
		// refused as too early or too late anyway.
		const limit = 1e13
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(max(min(sec, limit), -limit), 0).UTC(), true, true
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return time.Time{}, true, false
		}
		return time.UnixMilli(int64(math.Round(max(min(v, limit), -limit) * 1000))).UTC(), true, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, false, err == nil
}

// show quotes a string value and leaves a number as it was written.
func show(f *field) string {
	if f.kind == kindString {
		return strconv.Quote(string(f.value))
	}
	return string(f.value)
}

func describe(f *field) string {
	switch f.kind {
	case kindBool:
		return string(f.value)
	case kindComposite:
		if f.value[0] == '[' {
			return "an array"
		}
		return "an object"
	case kindNumber:
		return "a number"
	}
	return "a string"
}

func unknownColumn(name string, columns []string) string {
	msg := fmt.Sprintf("unknown column %q", name)
	if c := workflows.Closest(name, columns); c != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", c)
	}
	return msg + " (columns: " + strings.Join(columns, ", ") + ")"
}

// intern returns b as a string, shared between rows: event and KPI names
// repeat on every row and are kept by the thousand in a batch.
func intern(m map[string]string, b []byte) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(m) < 10000 {
		m[s] = s
	}
	return s
}

func decodeExposure(c *rowCheck, out *workflows.Exposure, names map[string]string) {
	unit := c.text(0, workflows.MaxUnitIDBytes)
	if key := c.text(1, workflows.MaxNameBytes); key != nil {
		out.Experiment = intern(names, key)
	}
	if variant := c.text(2, workflows.MaxNameBytes); variant != nil {
		out.Variant = intern(names, variant)
	}
	out.At = c.timestamp(3)
	if c.bad == 0 {
		out.UnitID = string(unit)
	}
}

func decodeEvent(c *rowCheck, out *workflows.Event, names map[string]string) {
	unit := c.text(0, workflows.MaxUnitIDBytes)
	name := c.text(1, workflows.MaxNameBytes)
	out.Value = c.number(2, false, 1)
	out.At = c.timestamp(3)
	if c.present(4, false) {
		if team := c.text(4, workflows.MaxNameBytes); team != nil {
			out.Team = intern(names, team)
		}
	}
	if c.bad != 0 {
		return
	}
	out.UnitID, out.Name = string(unit), intern(names, name)
}

func decodeKPI(c *rowCheck, out *workflows.KPIPoint, names map[string]string) {
	if team := c.text(0, workflows.MaxNameBytes); team != nil {
		out.Team = intern(names, team)
	}
	if name := c.text(1, workflows.MaxNameBytes); name != nil {
		out.Name = intern(names, name)
	}
	if period := c.text(2, workflows.MaxNameBytes); period != nil {
		out.Period = intern(names, period)
	}
	out.Value = c.number(3, true, 0)
}
