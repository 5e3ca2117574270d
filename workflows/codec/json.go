package codec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

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
	problems *problemList
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
	problems  *problemList
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
func parseRecord(r *record, p *problemList) bool {
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
