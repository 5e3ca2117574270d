package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/growthbot/growthbot/bot/internal/jsonreply"
	"github.com/growthbot/growthbot/workflows"
)

// OFREP, the OpenFeature Remote Evaluation Protocol 0.3.0 (core): every
// experiment is a flag, targetingKey is the unit, and the answer is the
// variant's value. See README, "OpenFeature (OFREP)".

// OFREPMaxBody is the largest OFREP request body: an evaluation context.
const OFREPMaxBody = 64 << 10

// logExposureAttr is the context attribute (and the query parameter of
// /api/v1/flags/{key}/evaluate) that switches off exposure logging for one
// request.
const logExposureAttr = "growthbot_log_exposure"

// OFREP error codes.
const (
	ofrepParseError     = "PARSE_ERROR"
	ofrepTargetingKey   = "TARGETING_KEY_MISSING"
	ofrepInvalidContext = "INVALID_CONTEXT"
	ofrepFlagNotFound   = "FLAG_NOT_FOUND"
	ofrepGeneral        = "GENERAL"
)

// ofrepReasons maps an assignment's reason to OpenFeature's: a split while
// running and in the rollout, the default outside it (or outside the
// experiment's part of its layer, or in a draft), a targeting match for a
// unit of the team's holdout, a static value once shipped, disabled once
// killed.
var ofrepReasons = map[string]string{
	workflows.ReasonRollout:        "SPLIT",
	workflows.ReasonOutsideRollout: "DEFAULT",
	workflows.ReasonOutsideLayer:   "DEFAULT",
	workflows.ReasonDraft:          "DEFAULT",
	workflows.ReasonHoldout:        "TARGETING_MATCH",
	workflows.ReasonShipped:        "STATIC",
	workflows.ReasonKilled:         "DISABLED",
}

// ofrepSuccess is evaluationSuccess; Metadata holds only strings, numbers
// and booleans, as the spec says.
type ofrepSuccess struct {
	Key      string          `json:"key"`
	Value    json.RawMessage `json:"value"`
	Reason   string          `json:"reason"`
	Variant  string          `json:"variant"`
	Metadata ofrepMetadata   `json:"metadata"`
}

type ofrepMetadata struct {
	State          workflows.State `json:"state"`
	RolloutPercent float64         `json:"rollout_percent"`
	Layer          string          `json:"layer,omitempty"`
	Team           string          `json:"team"`
	InExperiment   bool            `json:"in_experiment"`
	Reason         string          `json:"growthbot_reason"`
}

// ofrepFailure is evaluationFailure, flagNotFound and (without a key)
// bulkEvaluationFailure.
type ofrepFailure struct {
	Key          string `json:"key,omitempty"`
	ErrorCode    string `json:"errorCode"`
	ErrorDetails string `json:"errorDetails"`
}

type ofrepHandler struct {
	*flagsHandler
	maxBody int64
	cache   atomic.Pointer[ofrepAnswers] // the current snapshot's
}

// guardOFREP checks the token, sent as Authorization: Bearer (or, as the
// spec also allows, X-API-Key).
func (h *flagsHandler) guardOFREP(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h.token.check(r, true, ""); err != nil {
			status, _, body := apiReply(h.log, "OFREP failed", err)
			writeAPIError(w, status, ofrepFailure{ErrorCode: ofrepGeneral, ErrorDetails: body.Error})
			return
		}
		next(w, r)
	})
}

// ofrepRequest is a parsed request: the unit and the per-request options.
type ofrepRequest struct {
	unit string
	opts workflows.EvalOptions
}

// bufPool recycles request and response buffers.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// read parses an evaluation request. It returns the HTTP status and the
// failure to answer with when the request is bad.
func (o *ofrepHandler) read(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) (ofrepRequest, int, *ofrepFailure) {
	var req ofrepRequest
	if r.ContentLength > o.maxBody {
		return req, http.StatusRequestEntityTooLarge, &ofrepFailure{ErrorCode: ofrepGeneral, ErrorDetails: o.tooLarge()}
	}
	src := r.Body
	if r.ContentLength < 0 { // net/http stops a body with a length at its end
		src = http.MaxBytesReader(w, r.Body, o.maxBody)
	}
	if _, err := buf.ReadFrom(src); err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			return req, http.StatusRequestEntityTooLarge, &ofrepFailure{ErrorCode: ofrepGeneral, ErrorDetails: o.tooLarge()}
		}
		return req, http.StatusBadRequest, &ofrepFailure{ErrorCode: ofrepParseError, ErrorDetails: "could not read the request body"}
	}
	return decodeContext(buf.Bytes())
}

// decodeContext reads an evaluation request's body: fastContext reads the
// usual one, encoding/json (in slowContext) any other.
func decodeContext(body []byte) (ofrepRequest, int, *ofrepFailure) {
	if unit, noExposure, ok := fastContext(body); ok {
		return ofrepRequest{unit: unit, opts: workflows.EvalOptions{NoExposure: noExposure}}, 0, nil
	}
	return slowContext(body)
}

func slowContext(b []byte) (req ofrepRequest, status int, failure *ofrepFailure) {
	var body struct {
		Context json.RawMessage `json:"context"`
	}
	if !json.Valid(b) {
		return req, http.StatusBadRequest, &ofrepFailure{ErrorCode: ofrepParseError, ErrorDetails: "the body is not valid JSON"}
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return req, http.StatusBadRequest, &ofrepFailure{ErrorCode: ofrepInvalidContext, ErrorDetails: `the body must be a JSON object like {"context": {"targetingKey": "user-1"}}`}
	}
	var ctx struct {
		TargetingKey json.RawMessage `json:"targetingKey"`
		LogExposure  json.RawMessage `json:"growthbot_log_exposure"`
	}
	if len(body.Context) == 0 || body.Context[0] != '{' || json.Unmarshal(body.Context, &ctx) != nil {
		return req, http.StatusBadRequest, &ofrepFailure{ErrorCode: ofrepInvalidContext, ErrorDetails: "context must be a JSON object"}
	}
	if len(ctx.TargetingKey) == 0 || string(ctx.TargetingKey) == "null" || string(ctx.TargetingKey) == `""` {
		return req, http.StatusBadRequest, &ofrepFailure{ErrorCode: ofrepTargetingKey, ErrorDetails: "context.targetingKey is missing: set it to the unit id"}
	}
	if json.Unmarshal(ctx.TargetingKey, &req.unit) != nil {
		return req, http.StatusBadRequest, &ofrepFailure{ErrorCode: ofrepInvalidContext, ErrorDetails: "context.targetingKey must be a string"}
	}
	switch string(ctx.LogExposure) {
	case "", "true":
	case "false":
		req.opts.NoExposure = true
	default:
		return req, http.StatusBadRequest, &ofrepFailure{ErrorCode: ofrepInvalidContext, ErrorDetails: "context." + logExposureAttr + " must be true or false"}
	}
	return req, 0, nil
}

func (o *ofrepHandler) tooLarge() string {
	return fmt.Sprintf("the request body is larger than %d bytes", o.maxBody)
}

func (o *ofrepHandler) single(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	req, status, failure := o.read(w, r, buf)
	c := o.answers()
	switch {
	case failure != nil:
		failure.Key = key
		jsonreply.Write(w, status, failure)
		return
	case c == nil:
		jsonreply.Write(w, http.StatusInternalServerError, ofrepFailure{ErrorDetails: "the flags are not loaded yet"})
		return
	}
	i, ok := c.index[key]
	if !ok {
		jsonreply.Write(w, http.StatusNotFound, ofrepFailure{Key: key, ErrorCode: ofrepFlagNotFound, ErrorDetails: workflows.ErrorMessage(c.snap.NotFound(key))})
		return
	}
	answer, _ := o.evaluate(c, i, req)
	w.Header()["Content-Type"] = jsonContentType
	w.Write(answer)
}

// Header values shared by every answer; net/http only reads them.
var (
	jsonContentType = []string{"application/json"}
	noCache         = []string{"no-cache"}
)

// bulk evaluates every flag for one context. Its ETag is a digest of the
// snapshot's and of which answer each flag gave, which together make the
// body, so a client that sends it back gets an empty 304 until some flag's
// answer for that context changes.
func (o *ofrepHandler) bulk(w http.ResponseWriter, r *http.Request) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	req, status, failure := o.read(w, r, buf)
	c := o.answers()
	switch {
	case failure != nil:
		jsonreply.Write(w, status, failure)
		return
	case c == nil:
		jsonreply.Write(w, http.StatusInternalServerError, ofrepFailure{ErrorDetails: "the flags are not loaded yet"})
		return
	}
	buf.Reset()
	digest := sha256.New()
	io.WriteString(digest, c.etag)
	var slots [64]byte
	n := 0
	buf.WriteString(`{"flags":[`)
	for i := range c.flags {
		if i > 0 {
			buf.WriteByte(',')
		}
		answer, slot := o.evaluate(c, i, req)
		buf.Write(answer[:len(answer)-1]) // without the newline
		if slot < 0 {
			digest.Write(answer)
		}
		if n+2 > len(slots) {
			digest.Write(slots[:n])
			n = 0
		}
		slots[n], slots[n+1] = byte(slot>>8), byte(slot)
		n += 2
	}
	digest.Write(slots[:n])
	buf.WriteString(`],"metadata":{"flags":`)
	buf.WriteString(strconv.Itoa(len(c.flags)))
	buf.WriteString(`}}`)
	var sum [sha256.Size]byte
	etag := `"` + hex.EncodeToString(digest.Sum(sum[:0])) + `"`
	h := w.Header()
	h["Etag"] = []string{etag}
	h["Cache-Control"] = noCache
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.Write(buf.Bytes())
}
