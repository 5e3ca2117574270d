package httpapi

import (
	"bytes"
	"encoding/json"
	"sync/atomic"
	"unicode/utf8"

	"github.com/growthbot/growthbot/workflows"
)

// The OFREP hot path. An evaluation reads the usual body without
// encoding/json, and answers with bytes made once per flag, variant and
// reason of a snapshot: an evaluationSuccess depends on nothing else.

// fastContext reads a request body of the usual shape,
// {"context": {"targetingKey": "UNIT", ...}}, with an optional
// growthbot_log_exposure of true or false. It reports ok only for such a
// body, when it reads it exactly as encoding/json would: anything else
// (an error, an escaped or case-folded member name, a repeated member,
// invalid UTF-8 in the key) goes to the general decoder, which answers it.
func fastContext(body []byte) (unit string, noExposure, ok bool) {
	if !json.Valid(body) {
		return "", false, false
	}
	var top, ctx jsonObject
	if !top.open(body) {
		return "", false, false
	}
	var context []byte
	for {
		key, value, more := top.next()
		if !more {
			break
		}
		switch matchKey(key, "context") {
		case keyOther:
		case keyExact:
			if context != nil {
				return "", false, false
			}
			context = value
		default:
			return "", false, false
		}
	}
	if top.bad || context == nil || !ctx.open(context) {
		return "", false, false
	}
	var tk, logExposure []byte
	for {
		key, value, more := ctx.next()
		if !more {
			break
		}
		var into *[]byte
		switch {
		case matchKey(key, "targetingKey") == keyExact:
			into = &tk
		case matchKey(key, logExposureAttr) == keyExact:
			into = &logExposure
		case matchKey(key, "targetingKey") == keyOther && matchKey(key, logExposureAttr) == keyOther:
			continue
		default:
			return "", false, false
		}
		if *into != nil {
			return "", false, false
		}
		*into = value
	}
	if ctx.bad || len(tk) < 3 || tk[0] != '"' || bytes.IndexByte(tk, '\\') >= 0 {
		return "", false, false
	}
	tk = tk[1 : len(tk)-1]
	if !utf8.Valid(tk) {
		return "", false, false
	}
	switch string(logExposure) {
	case "", "true":
	case "false":
		noExposure = true
	default:
		return "", false, false
	}
	return string(tk), noExposure, true
}

// How a member name compares with the one wanted.
const (
	keyOther  = iota // a different name
	keyExact         // the name
	keyUnsure        // escaped, not ASCII, or equal but for case: encoding/json decides
)

func matchKey(key []byte, want string) int {
	if bytes.IndexByte(key, '\\') >= 0 {
		return keyUnsure
	}
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return keyUnsure
		}
	}
	switch {
	case string(key) == want:
		return keyExact
	case bytes.EqualFold(key, []byte(want)):
		return keyUnsure
	}
	return keyOther
}

// jsonObject walks the members of a JSON object in valid JSON.
type jsonObject struct {
	b   []byte
	i   int
	bad bool // not what valid JSON would hold here
}

// open starts at the object that b holds, and reports whether b holds one.
func (o *jsonObject) open(b []byte) bool {
	o.b, o.i = b, skipSpace(b, 0)
	if o.i >= len(b) || b[o.i] != '{' {
		return false
	}
	o.i++
	return true
}

// next returns the next member's name (without its quotes) and raw value,
// or more == false after the last one.
func (o *jsonObject) next() (key, value []byte, more bool) {
	b := o.b
	i := skipSpace(b, o.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		o.bad = i >= len(b) || b[i] != '}'
		return nil, nil, false
	}
	end := skipString(b, i)
	key = b[i+1 : max(i+1, end-1)]
	i = skipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		o.bad = true
		return nil, nil, false
	}
	i = skipSpace(b, i+1)
	end = skipValue(b, i)
	if end <= i {
		o.bad = true
		return nil, nil, false
	}
	o.i = end
	return key, b[i:end], true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

// ofrepReasonOrder numbers the assignment reasons, for the answer slots.
var ofrepReasonOrder = [...]string{workflows.ReasonRollout, workflows.ReasonOutsideRollout, workflows.ReasonOutsideLayer,
	workflows.ReasonDraft, workflows.ReasonHoldout, workflows.ReasonShipped, workflows.ReasonKilled}

func reasonIndex(reason string) int {
	for i, r := range ofrepReasonOrder {
		if r == reason {
			return i
		}
	}
	return -1
}

// ofrepAnswers are one snapshot's flags and their answers, each encoded
// the first time it is needed.
type ofrepAnswers struct {
	snap  *workflows.FlagSnapshot
	etag  string // the snapshot's
	index map[string]int
	flags []ofrepFlagAnswers
}

type ofrepFlagAnswers struct {
	flag  *workflows.Flag
	slots []atomic.Pointer[[]byte] // by variant and reason
}

func newOFREPAnswers(snap *workflows.FlagSnapshot) *ofrepAnswers {
	flags := snap.Flags()
	_, etag := snap.Body()
	c := &ofrepAnswers{snap: snap, etag: etag, index: make(map[string]int, len(flags)), flags: make([]ofrepFlagAnswers, len(flags))}
	for i := range flags {
		c.index[flags[i].Key] = i
		c.flags[i] = ofrepFlagAnswers{flag: &flags[i], slots: make([]atomic.Pointer[[]byte], len(flags[i].Variants)*len(ofrepReasonOrder))}
	}
	return c
}

// answers returns the answers of the book's current snapshot, or nil
// before the first one.
func (o *ofrepHandler) answers() *ofrepAnswers {
	snap := o.book.Snapshot()
	if snap == nil {
		return nil
	}
	if c := o.cache.Load(); c != nil && c.snap == snap {
		return c
	}
	c := newOFREPAnswers(snap)
	o.cache.Store(c)
	return c
}

// evaluate evaluates flag i for the request, hands the exposure to the
// log, and returns the answer (an evaluationSuccess and a newline) and its
// slot, or -1 for an answer made on the spot. The caller must not change
// the answer.
func (o *ofrepHandler) evaluate(c *ofrepAnswers, i int, req ofrepRequest) ([]byte, int) {
	fa := &c.flags[i]
	f := fa.flag
	a := f.AssignAt(req.unit, o.book.Service.Clock.Now())
	o.book.Expose(*f, a, req.opts)
	slot := -1
	if r := reasonIndex(a.Reason); r >= 0 {
		for v := range f.Variants {
			if f.Variants[v].Key == a.Variant {
				slot = v*len(ofrepReasonOrder) + r
				break
			}
		}
	}
	if slot >= 0 {
		if p := fa.slots[slot].Load(); p != nil {
			return *p, slot
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(ofrepSuccess{Key: f.Key, Value: a.Value, Reason: ofrepReasons[a.Reason], Variant: a.Variant,
		Metadata: ofrepMetadata{State: a.State, RolloutPercent: a.RolloutPercent, Layer: a.Layer, Team: f.Team,
			InExperiment: a.InExperiment, Reason: a.Reason}})
	answer := buf.Bytes()
	if slot >= 0 {
		fa.slots[slot].Store(&answer)
	}
	return answer, slot
}
