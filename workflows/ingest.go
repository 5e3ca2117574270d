package workflows

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Exposure records that a unit saw a variant of an experiment.
type Exposure struct {
	UnitID     string
	Experiment string
	Variant    string
	At         time.Time
}

// Event is something a unit did, with a value (1 unless it says otherwise).
type Event struct {
	UnitID string
	Name   string
	Value  float64
	At     time.Time
}

// ImportKind names what an import brings in.
type ImportKind string

// Import kinds.
const (
	ImportExposures ImportKind = "exposures"
	ImportEvents    ImportKind = "events"
	ImportKPIs      ImportKind = "kpis"
)

// ImportKinds lists every import kind.
var ImportKinds = []ImportKind{ImportExposures, ImportEvents, ImportKPIs}

// importColumns are the columns of each kind: the keys of a JSON object or
// the names in a CSV header. The row parsers index them in this order.
var importColumns = map[ImportKind][]string{
	ImportExposures: {"unit_id", "experiment", "variant", "timestamp"},
	ImportEvents:    {"unit_id", "event", "value", "timestamp"},
	ImportKPIs:      {"team", "name", "period", "value"},
}

// Columns returns the columns an import of this kind has.
func (k ImportKind) Columns() []string { return importColumns[k] }

// ParseImportKind reads the name of an import kind.
func ParseImportKind(s string) (ImportKind, error) {
	var names []string
	for _, k := range ImportKinds {
		if string(k) == s {
			return k, nil
		}
		names = append(names, string(k))
	}
	err := Errorf(EINVALID, "cannot import %q: import exposures, events or kpis", s)
	if c := Closest(s, names); c != "" {
		return "", err.WithHint("did you mean %q?", c)
	}
	return "", err
}

// Format is how an import is encoded.
type Format string

// Formats.
const (
	// FormatAuto reads JSON when the input starts with { or [, CSV otherwise.
	FormatAuto Format = ""
	// FormatJSON is one JSON object per line (NDJSON), or a JSON array of
	// objects.
	FormatJSON Format = "json"
	// FormatCSV is comma-separated values under a header row that names the
	// columns.
	FormatCSV Format = "csv"
)

// ParseFormat reads a format name: ndjson, jsonl, json, csv, or auto.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return FormatAuto, nil
	case "ndjson", "jsonl", "json":
		return FormatJSON, nil
	case "csv":
		return FormatCSV, nil
	}
	return "", Errorf(EINVALID, "format %q: use ndjson, json or csv", s)
}

// FormatOf returns the format a file's name implies: .ndjson, .jsonl and
// .json are JSON, .csv is CSV, each optionally followed by .gz; anything
// else is FormatAuto.
func FormatOf(name string) Format {
	f, _ := ParseFormat(strings.TrimPrefix(path.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")), "."))
	return f
}

// Import limits.
const (
	// MaxLineBytes bounds a line of NDJSON or CSV, and an item of a JSON
	// array, so that a corrupt file cannot take all memory.
	MaxLineBytes = 1 << 20
	// maxReportedProblems is how many problems an ImportError lists; the
	// rest are counted.
	maxReportedProblems = 10
	maxUnitIDBytes      = 256
	maxNameBytes        = 200
	// importBatchRows is how many rows travel together from the parser to
	// the store, which sorts a batch of events into the table's key order
	// and splits it into multi-row statements of 512 rows. Sorted in
	// batches this large, events that arrive out of time order import with
	// a third less CPU than in batches of 2,048; the four batches in flight
	// take about 12 MB.
	importBatchRows = 32768
	progressEvery   = 1 << 14
)

// Timestamps before 2000, or more than a day after the service's clock, are
// refused: they are almost always milliseconds sent as seconds (or the
// reverse), or a sender's broken clock, and once stored they would silently
// fall outside every analysis window.
var earliestTimestamp = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const futureTolerance = 24 * time.Hour

// ImportOptions tune an import.
type ImportOptions struct {
	// MaxRows refuses an input with more rows than this with a
	// *LimitError; 0 means no limit.
	MaxRows int
	// Progress, when set, is called now and then with the number of rows
	// read so far, from another goroutine.
	Progress func(rows int64)
}

// ImportReport says what an import did.
type ImportReport struct {
	Kind   ImportKind
	Source string
	// Read counts the rows in the input.
	Read int64
	// Imported counts the rows stored, KPI corrections included.
	Imported int64
	// Duplicates counts rows already stored, or repeated in the input.
	Duplicates int64
	Duration   time.Duration
}

// RowProblem is one thing wrong with one row of an import. Column is the
// byte column where the value starts in a JSON line, or the column number
// in a CSV row.
type RowProblem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ImportError refuses an import as a whole: nothing was imported. It lists
// the first problems and counts the rest.
type ImportError struct {
	Source   string
	Problems []RowProblem
	Total    int
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem%s, nothing imported:", e.Source, e.Total, plural(e.Total))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s:%d:%d: %s", e.Source, p.Line, p.Column, p.Message)
	}
	if more := e.Total - len(e.Problems); more > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more problem%s", more, plural(more))
	}
	return b.String()
}

// Unwrap makes an ImportError an EINVALID domain error.
func (e *ImportError) Unwrap() error { return &Error{Code: EINVALID, Message: e.Error()} }

// LimitError refuses an input with more rows than its caller accepts.
type LimitError struct {
	Source  string
	MaxRows int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s has more than %d rows, nothing imported: send at most %d at a time", e.Source, e.MaxRows, e.MaxRows)
}

// Unwrap makes a LimitError an EINVALID domain error.
func (e *LimitError) Unwrap() error { return &Error{Code: EINVALID, Message: e.Error()} }

// Import reads exposures, events or KPI points from r and stores them in
// one transaction, streaming: memory does not grow with the input. Source
// names the input in messages. Duplicates are counted, not stored again.
//
// Errors: an *ImportError (EINVALID) when any row is bad, naming the line
// and column of the first problems, and then nothing is imported; a
// *LimitError (EINVALID) above opts.MaxRows; EINVALID for an unknown kind
// or format; the reader's own error, wrapped, when reading fails; ctx's
// error when it ends while the import waits for its turn.
//
// Imports run one at a time, each waiting for the one before to finish;
// see importGate. The report's Duration leaves the wait out.
func (s *Service) Import(ctx context.Context, kind ImportKind, r io.Reader, format Format, source string, opts ImportOptions) (ImportReport, error) {
	if err := s.imports.enter(ctx); err != nil {
		return ImportReport{Kind: kind, Source: source}, err
	}
	defer s.imports.leave()
	start := time.Now()
	if source == "" {
		source = "input"
	}
	report := ImportReport{Kind: kind, Source: source}
	if _, err := ParseImportKind(string(kind)); err != nil {
		return report, err
	}
	if _, err := ParseFormat(string(format)); err != nil {
		return report, err
	}
	in, err := newImportInput(r, kind, format)
	if err != nil {
		return report, fmt.Errorf("import %s: %w", source, err)
	}
	var counts importCounts
	err = s.Store.Update(ctx, func(tx Tx) error {
		var err error
		switch kind {
		case ImportExposures:
			counts, err = importExposures(ctx, tx, in, opts)
		case ImportEvents:
			counts, err = importEvents(ctx, tx, in, opts)
		case ImportKPIs:
			counts, err = importKPIs(ctx, tx, in, opts)
		}
		var limit *LimitError
		switch {
		case errors.As(err, &limit):
			limit.Source = source
			return limit
		case err != nil:
			return fmt.Errorf("import %s: %w", source, err)
		case in.problems.total > 0:
			list := in.problems.list
			slices.SortStableFunc(list, func(a, b RowProblem) int { return cmp.Or(a.Line-b.Line, a.Column-b.Column) })
			return &ImportError{Source: source, Problems: list, Total: in.problems.total}
		}
		return nil
	})
	if err != nil {
		return report, err
	}
	report.Read, report.Imported, report.Duplicates = counts.read, counts.stored, counts.read-counts.stored
	report.Duration = time.Since(start)
	s.Log.Debug("imported", "kind", kind, "source", source, "read", report.Read, "imported", report.Imported,
		"duplicates", report.Duplicates, "duration", report.Duration.Round(time.Millisecond))
	return report, nil
}

func importExposures(ctx context.Context, tx Tx, in *importInput, opts ImportOptions) (_ importCounts, err error) {
	exps, err := tx.Experiments(ExperimentFilter{})
	if err != nil {
		return importCounts{}, err
	}
	rows := &exposureRows{now: tx.Now(), experiments: map[string]Experiment{}}
	for _, e := range exps {
		rows.experiments[e.Key] = e
		rows.keys = append(rows.keys, e.Key)
	}
	w, err := tx.ExposureWriter()
	if err != nil {
		return importCounts{}, err
	}
	defer closeWriter(w, &err)
	return importRows(ctx, in, rows.row, w, opts)
}

func importEvents(ctx context.Context, tx Tx, in *importInput, opts ImportOptions) (_ importCounts, err error) {
	w, err := tx.EventWriter()
	if err != nil {
		return importCounts{}, err
	}
	defer closeWriter(w, &err)
	rows := &eventRows{now: tx.Now(), names: map[string]string{}}
	return importRows(ctx, in, rows.row, w, opts)
}

func importKPIs(ctx context.Context, tx Tx, in *importInput, opts ImportOptions) (_ importCounts, err error) {
	teams, err := tx.Teams()
	if err != nil {
		return importCounts{}, err
	}
	rows := &kpiRows{teams: map[string]bool{}, names: map[string]string{}}
	for _, t := range teams {
		rows.teams[t.Key] = true
		rows.keys = append(rows.keys, t.Key)
	}
	w, err := tx.KPIWriter()
	if err != nil {
		return importCounts{}, err
	}
	defer closeWriter(w, &err)
	return importRows(ctx, in, rows.row, w, opts)
}

// importGate lets one import at a time take the store's writer. An import
// holds the writer for all its rows, while a button press or a command
// holds it for a millisecond; and the store's pool hands the writer to a
// random waiter, not the first. With every import of a burst waiting for
// the writer, a press could wait behind all of them, past the three
// seconds Slack gives it. Queued here instead, the imports leave at most
// one of their number in the writer's queue, so a press waits for at most
// about one import.
type importGate struct {
	once sync.Once
	slot chan struct{}
}

// enter waits for the import before to finish, or for ctx to end.
func (g *importGate) enter(ctx context.Context) error {
	g.once.Do(func() { g.slot = make(chan struct{}, 1) })
	select {
	case g.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *importGate) leave() { <-g.slot }

// closeWriter closes a writer, adding a failure to the import's error.
func closeWriter(w interface{ Close() error }, err *error) {
	*err = errors.Join(*err, w.Close())
}

type importCounts struct{ read, stored int64 }

// importRows parses rows on one goroutine while the caller's goroutine
// stores them, so that parsing and SQLite each get a core. Once any row
// has a problem nothing more is stored (the transaction will roll back),
// but parsing goes on to count the problems.
func importRows[T any](ctx context.Context, in *importInput, parse func(*record, *problems) (T, bool), w BatchWriter[T], opts ImportOptions) (importCounts, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// At most four batches exist: one being filled, two queued, one being
	// written. free never blocks.
	full := make(chan []T, 2)
	free := make(chan []T, 4)
	var read int64
	var readErr error
	go func() {
		defer close(full)
		read, readErr = parseRows(ctx, in, parse, full, free, opts)
	}()
	var stored int64
	var writeErr error
	for batch := range full {
		if writeErr == nil {
			n, err := w.Write(batch)
			stored += int64(n)
			if err != nil {
				writeErr = err
				cancel()
			}
		}
		free <- batch[:0]
	}
	// full is closed: parseRows has returned and its results are visible.
	if writeErr != nil {
		return importCounts{}, writeErr
	}
	if readErr != nil {
		return importCounts{}, readErr
	}
	return importCounts{read: read, stored: stored}, nil
}

func parseRows[T any](ctx context.Context, in *importInput, parse func(*record, *problems) (T, bool), full, free chan []T, opts ImportOptions) (int64, error) {
	take := func() []T {
		select {
		case b := <-free:
			return b
		default:
			return make([]T, 0, importBatchRows)
		}
	}
	send := func(b []T) error {
		select {
		case full <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	batch := take()
	var rec record
	var read int64
	for in.src.next(&rec) {
		read++
		if opts.MaxRows > 0 && read > int64(opts.MaxRows) {
			return read, &LimitError{MaxRows: opts.MaxRows}
		}
		if read%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return read, err
			}
			if opts.Progress != nil {
				opts.Progress(read)
			}
		}
		row, ok := parse(&rec, &in.problems)
		if !ok || in.problems.total > 0 {
			continue
		}
		batch = append(batch, row)
		if len(batch) == cap(batch) {
			if err := send(batch); err != nil {
				return read, err
			}
			batch = take()
		}
	}
	if err := in.src.err(); err != nil {
		return read, fmt.Errorf("read: %w", err)
	}
	if opts.Progress != nil {
		opts.Progress(read)
	}
	if in.problems.total == 0 && len(batch) > 0 {
		return read, send(batch)
	}
	return read, nil
}

// problems collects what is wrong with an input: the first few in full,
// the rest only counted, so that a file of ten million bad rows costs no
// memory.
type problems struct {
	list  []RowProblem
	total int
}

func (p *problems) add(line, col int, field, format string, args ...any) {
	p.total++
	if len(p.list) < maxReportedProblems {
		p.list = append(p.list, RowProblem{Line: line, Column: col, Field: field, Message: fmt.Sprintf(format, args...)})
	}
}

// importInput is an input being read: its record source and the problems
// found so far.
type importInput struct {
	src      recordSource
	problems problems
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

func newImportInput(r io.Reader, kind ImportKind, format Format) (*importInput, error) {
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
	in := &importInput{}
	switch {
	case format == FormatCSV || (format == FormatAuto && first != '{' && first != '['):
		in.src = newCSVRows(br, kind, &in.problems)
	case first == '[':
		in.src = &jsonArray{br: br, line: 1, col: 1, problems: &in.problems}
	default:
		in.src = &jsonLines{br: br, problems: &in.problems}
	}
	return in, nil
}

// firstByte returns the first byte that is not white space, without
// consuming it; 0 for an empty input.
func firstByte(br *bufio.Reader) (byte, error) {
	for n := 64; ; n *= 2 {
		b, err := br.Peek(n)
		if i := bytes.IndexFunc(b, func(r rune) bool { return !isSpace(r) }); i >= 0 {
			return b[i], nil
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, bufio.ErrBufferFull):
			return 0, nil
		case err != nil:
			return 0, fmt.Errorf("read: %w", err)
		}
	}
}

func isSpace[T rune | byte](c T) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// valueKind is the JSON type of a field's value. CSV values are strings,
// or null when empty.
type valueKind uint8

const (
	kindString valueKind = iota
	kindNumber
	kindNull
	kindBool
	kindComposite // an object or an array
)

// field is one named value of a row. Its slices point into the input's
// buffer and are valid until the next row is read.
type field struct {
	name  []byte
	value []byte // a string's contents or a number's literal
	kind  valueKind
	// off is where the value starts, and keyOff where its name starts: byte
	// offsets into the record's data for JSON, the column number for CSV.
	off, keyOff int
	line        int // CSV only: the line the field is on
}

// record is one row of the input, split into fields.
type record struct {
	line, col int    // where the row starts, 1-based
	data      []byte // JSON: the object's bytes; nil for CSV
	fields    []field
}

// pos returns the line and column of a byte offset into a JSON record,
// which may span lines inside a JSON array.
func (r *record) pos(off int) (line, col int) {
	before := r.data[:min(off, len(r.data))]
	n := bytes.Count(before, []byte{'\n'})
	if n == 0 {
		return r.line, r.col + len(before)
	}
	return r.line + n, len(before) - bytes.LastIndexByte(before, '\n')
}

// at returns where a field's value (or its name) is.
func (r *record) at(f *field, name bool) (line, col int) {
	off := f.off
	if name {
		off = f.keyOff
	}
	if r.data == nil {
		return f.line, off
	}
	return r.pos(off)
}

// jsonLines reads NDJSON: one object per line.
type jsonLines struct {
	br       *bufio.Reader
	line     int
	problems *problems
	readErr  error
}

func (s *jsonLines) err() error { return s.readErr }

func (s *jsonLines) next(r *record) bool {
	for {
		data, err := s.br.ReadSlice('\n')
		if len(data) == 0 && errors.Is(err, io.EOF) {
			return false
		}
		s.line++
		tooLong := errors.Is(err, bufio.ErrBufferFull)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = s.br.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			s.readErr = err
			return false
		}
		if !tooLong {
			data = bytes.TrimRight(data, "\r\n")
			tooLong = len(data) > MaxLineBytes
		}
		if tooLong {
			s.problems.add(s.line, 1, "", "the line is longer than %d bytes", MaxLineBytes)
			continue
		}
		if len(bytes.TrimLeft(data, " \t")) == 0 {
			continue
		}
		r.line, r.col, r.data = s.line, 1, data
		if parseRecord(r, s.problems) {
			return true
		}
	}
}

// jsonArray reads a JSON array of objects, one item at a time: the array
// may be larger than memory allows.
type jsonArray struct {
	br        *bufio.Reader
	line, col int // of the next byte
	state     int
	buf       []byte
	problems  *problems
	readErr   error
}

const (
	arrayStart = iota
	arrayFirstItem
	arrayItem
	arrayAfterItem
	arrayEnd
	arrayDone
)

func (s *jsonArray) err() error { return s.readErr }

// read returns the next byte and its position.
func (s *jsonArray) read() (c byte, line, col int, ok bool) {
	line, col = s.line, s.col
	c, err := s.br.ReadByte()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.readErr = err
		}
		return 0, line, col, false
	}
	if c == '\n' {
		s.line, s.col = s.line+1, 1
	} else {
		s.col++
	}
	return c, line, col, true
}

func (s *jsonArray) nonSpace() (c byte, line, col int, ok bool) {
	for {
		c, line, col, ok = s.read()
		if !ok || !isSpace(c) {
			return c, line, col, ok
		}
	}
}

// fail records a problem that leaves the rest of the array unreadable.
func (s *jsonArray) fail(line, col int, format string, args ...any) bool {
	s.problems.add(line, col, "", format, args...)
	s.state = arrayDone
	return false
}

func (s *jsonArray) next(r *record) bool {
	for {
		switch s.state {
		case arrayStart:
			c, line, col, ok := s.nonSpace()
			if !ok {
				return false
			}
			if c != '[' {
				return s.fail(line, col, "expected [ to start a JSON array")
			}
			s.state = arrayFirstItem
		case arrayFirstItem, arrayItem:
			c, line, col, ok := s.nonSpace()
			switch {
			case !ok:
				return s.readErr == nil && s.fail(line, col, "the JSON array is not closed with ]")
			case c == ']' && s.state == arrayFirstItem:
				s.state = arrayEnd
				continue
			case c != '{':
				return s.fail(line, col, "each item of the array must be a JSON object")
			}
			if !s.readItem(line, col) {
				return false
			}
			s.state = arrayAfterItem
			r.line, r.col, r.data = line, col, s.buf
			if parseRecord(r, s.problems) {
				return true
			}
		case arrayAfterItem:
			c, line, col, ok := s.nonSpace()
			switch {
			case !ok:
				return s.readErr == nil && s.fail(line, col, "the JSON array is not closed with ]")
			case c == ',':
				s.state = arrayItem
			case c == ']':
				s.state = arrayEnd
			default:
				return s.fail(line, col, "expected , or ] after an item, found %q", c)
			}
		case arrayEnd:
			c, line, col, ok := s.nonSpace()
			if ok {
				return s.fail(line, col, "unexpected %q after the end of the array", c)
			}
			s.state = arrayDone
		default:
			return false
		}
	}
}

// readItem reads an object whose { is already read into s.buf, up to its
// matching }.
func (s *jsonArray) readItem(line, col int) bool {
	s.buf = append(s.buf[:0], '{')
	depth, inString, escaped := 1, false, false
	for depth > 0 {
		c, _, _, ok := s.read()
		if !ok {
			return s.readErr == nil && s.fail(line, col, "the item is not closed")
		}
		if len(s.buf) >= MaxLineBytes {
			return s.fail(line, col, "the item is longer than %d bytes", MaxLineBytes)
		}
		s.buf = append(s.buf, c)
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = c == '\\'
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return true
}

// parseRecord splits r.data into fields, or records a syntax problem and
// returns false.
func parseRecord(r *record, p *problems) bool {
	fields, off, msg := parseObject(r.data, r.fields[:0])
	r.fields = fields
	if msg != "" {
		line, col := r.pos(off)
		p.add(line, col, "", "%s", msg)
		return false
	}
	return true
}

// parseObject splits a flat JSON object into fields: growthbot's rows have
// no nested values, so this is simpler and several times faster than
// encoding/json, and it knows where each value starts. Nested values are
// kept whole as kindComposite for the row parser to refuse by name. On a
// syntax error it returns the error's offset and a description.
func parseObject(b []byte, fields []field) ([]field, int, string) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return fields, i, "the line is not a JSON object"
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return fields, 0, endOfObject(b, i)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return fields, i, "expected a field name in double quotes"
		}
		f := field{keyOff: i}
		var msg string
		if f.name, i, msg = scanString(b, i); msg != "" {
			return fields, i, msg
		}
		if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
			return fields, i, fmt.Sprintf("expected : after %q", f.name)
		}
		i = skipSpace(b, i+1)
		f.off = i
		if i, msg = scanValue(b, i, &f); msg != "" {
			return fields, i, msg
		}
		fields = append(fields, f)
		switch i = skipSpace(b, i); {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			if msg := endOfObject(b, i); msg != "" {
				return fields, i + 1, msg
			}
			return fields, 0, ""
		default:
			return fields, i, "expected , or } after a value"
		}
	}
}

func endOfObject(b []byte, i int) string {
	if skipSpace(b, i+1) < len(b) {
		return "unexpected data after the object"
	}
	return ""
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanValue reads the value at b[i] into f and returns the offset after it.
func scanValue(b []byte, i int, f *field) (int, string) {
	if i >= len(b) {
		return i, "expected a value"
	}
	switch c := b[i]; {
	case c == '"':
		f.kind = kindString
		var msg string
		f.value, i, msg = scanString(b, i)
		return i, msg
	case c == '-' || (c >= '0' && c <= '9'):
		end := scanNumber(b, i)
		if end < 0 {
			return i, "malformed number"
		}
		f.kind, f.value = kindNumber, b[i:end]
		return end, ""
	case c == '{' || c == '[':
		end := skipComposite(b, i)
		if end < 0 {
			return i, "the nested value is not closed"
		}
		f.kind, f.value = kindComposite, b[i:end]
		return end, ""
	}
	for _, lit := range []struct {
		text string
		kind valueKind
	}{{"null", kindNull}, {"true", kindBool}, {"false", kindBool}} {
		if bytes.HasPrefix(b[i:], []byte(lit.text)) {
			f.kind, f.value = lit.kind, b[i:i+len(lit.text)]
			return i + len(lit.text), ""
		}
	}
	return i, fmt.Sprintf("unexpected %q where a value should be", b[i])
}

// scanString reads the JSON string starting at the quote b[i]. It returns
// its decoded contents and the offset after the closing quote.
func scanString(b []byte, i int) ([]byte, int, string) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s := b[i+1 : j]
			// Checked before unescaping too: encoding/json would quietly
			// replace invalid bytes with U+FFFD.
			if !utf8.Valid(s) {
				return nil, i, "the string is not valid UTF-8"
			}
			if escaped {
				var dec string
				if err := json.Unmarshal(b[i:j+1], &dec); err != nil {
					return nil, i, "the string has a bad escape sequence"
				}
				s = []byte(dec)
			}
			return s, j + 1, ""
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return nil, j, "control character in a string"
		}
	}
	return nil, i, "the string is not closed"
}

// scanNumber returns the offset after the JSON number at b[i], or -1.
func scanNumber(b []byte, i int) int {
	digits := func(j int) int {
		k := j
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if k == j {
			return -1
		}
		return k
	}
	if b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if i = digits(i); i < 0 {
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if i = digits(i + 1); i < 0 {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		return digits(i)
	}
	return i
}

// skipComposite returns the offset after the object or array at b[i], or
// -1 when it is not closed.
func skipComposite(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			_, end, msg := scanString(b, i)
			if msg != "" {
				return -1
			}
			i = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// csvRows reads CSV under a header row.
type csvRows struct {
	r        *csv.Reader
	limit    *lineLimit
	names    [][]byte // the header's names, by CSV column
	problems *problems
	readErr  error
	done     bool
}

func newCSVRows(br *bufio.Reader, kind ImportKind, p *problems) *csvRows {
	limit := &lineLimit{r: br, line: 1}
	s := &csvRows{r: csv.NewReader(limit), limit: limit, problems: p}
	s.r.ReuseRecord = true
	header, err := s.r.Read()
	if err != nil {
		s.done = true
		s.readError(err)
		return s
	}
	columns := kind.Columns()
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		switch {
		case !containsString(columns, h):
			p.add(1, i+1, h, "%s", unknownColumn(h, columns))
		case seen[h]:
			p.add(1, i+1, h, "column %q appears twice in the header", h)
		}
		seen[h] = true
		s.names = append(s.names, []byte(h))
	}
	for _, c := range columns {
		if !seen[c] && !(kind == ImportEvents && c == "value") {
			p.add(1, 1, c, "the header has no %q column (columns: %s)", c, strings.Join(columns, ", "))
		}
	}
	// Every row would repeat a header's problem: stop at the header.
	s.done = p.total > 0
	return s
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func unknownColumn(name string, columns []string) string {
	return suggest(fmt.Sprintf("unknown column %q", name), name, columns, "columns")
}

// suggest adds to a message about an unknown word the candidate it is
// most likely a typo of or, when there is none and listName is set, the
// list of candidates.
func suggest(msg, word string, candidates []string, listName string) string {
	if c := Closest(word, candidates); c != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", c)
	}
	if listName != "" {
		return msg + " (" + listName + ": " + strings.Join(candidates, ", ") + ")"
	}
	return msg
}

func (s *csvRows) err() error { return s.readErr }

// readError turns an error from the CSV reader into a problem, or a read
// error; it reports whether reading can go on.
func (s *csvRows) readError(err error) bool {
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return false
	case errors.Is(err, errLineTooLong):
		s.problems.add(s.limit.line, 1, "", "the line is longer than %d bytes", MaxLineBytes)
		return false
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		s.problems.add(pe.StartLine, 1, "", "the row has a different number of fields than the header (%d)", len(s.names))
		return true
	case errors.As(err, &pe):
		s.problems.add(pe.Line, pe.Column, "", "%v", pe.Err)
		return true
	}
	s.readErr = err
	return false
}

func (s *csvRows) next(r *record) bool {
	for !s.done {
		row, err := s.r.Read()
		if err != nil {
			s.done = !s.readError(err)
			continue
		}
		r.data, r.fields = nil, r.fields[:0]
		r.line, r.col = s.r.FieldPos(0)
		for i, v := range row {
			line, _ := s.r.FieldPos(i)
			f := field{name: s.names[i], value: []byte(v), off: i + 1, keyOff: i + 1, line: line}
			if v == "" {
				f.kind = kindNull
			}
			r.fields = append(r.fields, f)
		}
		return true
	}
	return false
}

var errLineTooLong = errors.New("line too long")

// lineLimit fails a read when a line grows beyond MaxLineBytes, which
// encoding/csv would otherwise buffer whole. It counts lines for the
// message.
type lineLimit struct {
	r    io.Reader
	line int
	cur  int // bytes in the current line
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			l.line, l.cur = l.line+1, 0
		} else if l.cur++; l.cur > MaxLineBytes {
			return 0, errLineTooLong
		}
	}
	return n, err
}

// rowCheck checks one row's fields and collects its problems.
type rowCheck struct {
	rec  *record
	p    *problems
	cols [4]*field
	ok   bool
}

// start maps the record's fields to the kind's columns, reporting unknown
// and repeated ones.
func (c *rowCheck) start(rec *record, p *problems, columns []string) {
	*c = rowCheck{rec: rec, p: p, ok: true}
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
			c.failAt(f, true, string(f.name), "%s", unknownColumn(string(f.name), columns))
		case c.cols[idx] != nil:
			c.failAt(f, true, columns[idx], "%s appears twice", columns[idx])
		default:
			c.cols[idx] = f
		}
	}
}

// failAt records a problem with a field, or with the row when f is nil.
func (c *rowCheck) failAt(f *field, atName bool, name, format string, args ...any) {
	c.ok = false
	line, col := c.rec.line, c.rec.col
	if f != nil {
		line, col = c.rec.at(f, atName)
	}
	c.p.add(line, col, name, format, args...)
}

func (c *rowCheck) fail(f *field, name, format string, args ...any) {
	c.failAt(f, false, name, format, args...)
}

// present reports whether a field has a value, recording a problem when a
// required one has none.
func (c *rowCheck) present(f *field, name string, required bool) bool {
	if f == nil || f.kind == kindNull {
		if required {
			c.fail(nil, name, "%s is missing", name)
		}
		return false
	}
	return true
}

// text returns a required string's bytes (a number's literal is accepted
// too: unit ids are often numbers).
func (c *rowCheck) text(f *field, name string, maxLen int) []byte {
	switch {
	case !c.present(f, name, true):
	case f.kind != kindString && f.kind != kindNumber:
		c.fail(f, name, "%s must be a string, not %s", name, describe(f))
	case len(f.value) == 0:
		c.fail(f, name, "%s is empty", name)
	case len(f.value) > maxLen:
		c.fail(f, name, "%s is longer than %d bytes", name, maxLen)
	case !utf8.Valid(f.value):
		// JSON strings are checked as they are scanned; CSV fields are not.
		c.fail(f, name, "%s is not valid UTF-8", name)
	default:
		return f.value
	}
	return nil
}

// number returns a field's finite number, or def when it is optional and
// absent.
func (c *rowCheck) number(f *field, name string, required bool, def float64) float64 {
	if !c.present(f, name, required) {
		return def
	}
	if f.kind != kindNumber && f.kind != kindString {
		c.fail(f, name, "%s must be a number, not %s", name, describe(f))
		return 0
	}
	v, err := strconv.ParseFloat(string(bytes.TrimSpace(f.value)), 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		c.fail(f, name, "%s %s is not a number", name, show(f))
	case math.IsInf(v, 0) || math.IsNaN(v):
		c.fail(f, name, "%s %s is not a finite number", name, show(f))
	}
	return v
}

// timestamp reads RFC 3339 (with or without fractional seconds) or Unix
// seconds (integer or fractional, as a number or a string).
func (c *rowCheck) timestamp(f *field, now time.Time) time.Time {
	const name = "timestamp"
	if !c.present(f, name, true) {
		return time.Time{}
	}
	if f.kind != kindNumber && f.kind != kindString {
		c.fail(f, name, "timestamp must be a string or a number, not %s", describe(f))
		return time.Time{}
	}
	t, numeric, ok := parseTimestamp(f.value)
	switch {
	case !ok:
		c.fail(f, name, "timestamp %s is not RFC 3339 or Unix seconds", show(f))
	case t.Before(earliestTimestamp):
		c.fail(f, name, "timestamp %s is before 2000, which growthbot takes for a mistake", show(f))
	case t.After(now.Add(futureTolerance)) && numeric && t.After(time.Unix(1e11, 0)):
		c.fail(f, name, "timestamp %s is more than a day in the future: send Unix seconds, not milliseconds", show(f))
	case t.After(now.Add(futureTolerance)):
		c.fail(f, name, "timestamp %s is more than a day after growthbot's clock (%s): check the sender's clock",
			show(f), now.UTC().Format(time.RFC3339))
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

type exposureRows struct {
	now         time.Time
	experiments map[string]Experiment
	keys        []string
	check       rowCheck
}

func (x *exposureRows) row(rec *record, p *problems) (Exposure, bool) {
	c := &x.check
	c.start(rec, p, importColumns[ImportExposures])
	var out Exposure
	unit := c.text(c.cols[0], "unit_id", maxUnitIDBytes)
	if key := c.text(c.cols[1], "experiment", maxNameBytes); key != nil {
		e, found := x.experiments[string(key)]
		if !found {
			c.fail(c.cols[1], "experiment", "%s", suggest(fmt.Sprintf("experiment %q does not exist", key), string(key), x.keys, ""))
		}
		out.Experiment = e.Key
		if variant := c.text(c.cols[2], "variant", maxNameBytes); variant != nil && found {
			for _, v := range e.Variants {
				if string(variant) == v.Key {
					out.Variant = v.Key
				}
			}
			if out.Variant == "" {
				var keys []string
				for _, v := range e.Variants {
					keys = append(keys, v.Key)
				}
				msg := fmt.Sprintf("experiment %q has no variant %q", e.Key, variant)
				c.fail(c.cols[2], "variant", "%s", suggest(msg, string(variant), keys, "variants"))
			}
		}
	} else {
		c.text(c.cols[2], "variant", maxNameBytes)
	}
	out.At = c.timestamp(c.cols[3], x.now)
	if !c.ok {
		return out, false
	}
	out.UnitID = string(unit)
	return out, true
}

type eventRows struct {
	now   time.Time
	names map[string]string
	check rowCheck
}

func (x *eventRows) row(rec *record, p *problems) (Event, bool) {
	c := &x.check
	c.start(rec, p, importColumns[ImportEvents])
	var out Event
	unit := c.text(c.cols[0], "unit_id", maxUnitIDBytes)
	name := c.text(c.cols[1], "event", maxNameBytes)
	out.Value = c.number(c.cols[2], "value", false, 1)
	out.At = c.timestamp(c.cols[3], x.now)
	if !c.ok {
		return out, false
	}
	out.UnitID, out.Name = string(unit), intern(x.names, name)
	return out, true
}

type kpiRows struct {
	teams map[string]bool
	keys  []string
	names map[string]string
	check rowCheck
}

func (x *kpiRows) row(rec *record, p *problems) (KPIPoint, bool) {
	c := &x.check
	c.start(rec, p, importColumns[ImportKPIs])
	var out KPIPoint
	if team := c.text(c.cols[0], "team", maxNameBytes); team != nil {
		out.Team = intern(x.names, team)
		if !x.teams[out.Team] {
			c.fail(c.cols[0], "team", "%s", suggest(fmt.Sprintf("team %q does not exist", team), out.Team, x.keys, ""))
		}
	}
	if name := c.text(c.cols[1], "name", maxNameBytes); name != nil {
		out.Name = intern(x.names, name)
		// A KPI name is a key (targets, the review's rows and charts name
		// KPIs by it), so it is held to the shape of keys.
		if !keyPattern.MatchString(out.Name) {
			c.fail(c.cols[1], "name", "KPI name %q: a KPI name is a key: use lower-case letters, digits, - and _ (at most 63), e.g. new_mrr", out.Name)
		}
	}
	if period := c.text(c.cols[2], "period", maxNameBytes); period != nil {
		out.Period = intern(x.names, period)
		if _, err := ParsePeriod(out.Period); err != nil {
			c.fail(c.cols[2], "period", "%s", ErrorMessage(err))
		}
	}
	out.Value = c.number(c.cols[3], "value", true, 0)
	return out, c.ok
}
