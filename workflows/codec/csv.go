package codec

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/growthbot/growthbot/workflows"
)

// csvRows reads CSV under a header row.
type csvRows struct {
	r        *csv.Reader
	limit    *lineLimit
	names    [][]byte // the header's names, by CSV column
	problems *problemList
	readErr  error
	done     bool
}

func newCSVRows(br *bufio.Reader, kind workflows.ImportKind, p *problemList) *csvRows {
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
		case !slices.Contains(columns, h):
			p.add(1, i+1, h, "%s", unknownColumn(h, columns))
		case seen[h]:
			p.add(1, i+1, h, "column %q appears twice in the header", h)
		}
		seen[h] = true
		s.names = append(s.names, []byte(h))
	}
	for _, c := range columns {
		if !seen[c] && !(kind == workflows.ImportEvents && (c == "value" || c == "team")) {
			p.add(1, 1, c, "the header has no %q column (columns: %s)", c, strings.Join(columns, ", "))
		}
	}
	// Every row would repeat a header's problem: stop at the header.
	s.done = p.Total > 0
	return s
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
