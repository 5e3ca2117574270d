package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/workflows"
)

// The OFREP handler's own cost, without the network: what growthbot spends
// on a request between net/http handing it over and the answer's bytes.
// cmd/growthbot's OFREP benchmarks measure the whole server on loopback.

// benchFlags are n running flags: two variants with object values, every
// fourth in a layer, and a team holdout.
func benchFlags(n int) []workflows.Flag {
	holdout := &workflows.FlagHoldout{Share: 0.05, Start: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		End: time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)}
	flags := make([]workflows.Flag, n)
	for i := range flags {
		f := workflows.Flag{Key: fmt.Sprintf("flag-%03d", i), Team: "web", State: workflows.StateRunning, RolloutPercent: 100,
			Variants: []workflows.FlagVariant{{Key: "a", Weight: 1, Value: json.RawMessage(`{"n":1}`)},
				{Key: "b", Weight: 1, Value: json.RawMessage(`{"n":2}`)}},
			Holdout: holdout, LogExposures: true}
		if i%4 == 0 {
			f.Layer, f.LayerShare = fmt.Sprintf("layer-%d", i/16), 0.25
			f.LayerRanges = []workflows.LayerRange{{From: float64(i%16) / 16, To: float64(i%16)/16 + 0.25}}
		}
		flags[i] = f
	}
	return flags
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// benchOFREPHandler serves the request path with bodies of units cycling
// through 65,536, whose exposures the book hands to an exposure log.
func benchOFREPHandler(b *testing.B, flags int, path string) {
	book := &workflows.FlagBook{Service: &workflows.Service{Clock: workflows.SystemClock{}},
		Exposures: &workflows.ExposureLog{MaxPending: 1 << 20}}
	if err := book.SetFlags(benchFlags(flags)); err != nil {
		b.Fatal(err)
	}
	srv := httpapi.NewServer(nil, nil)
	srv.MountFlags(book, httpapi.APIConfig{Token: flagsToken})
	bodies := make([][]byte, 1<<16)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"context":{"targetingKey":"user-%d","plan":"pro","country":"DE"}}`, i)
	}
	var body bytes.Reader
	r, _ := http.NewRequest(http.MethodPost, "http://growthbot"+path, &body)
	r.Header.Set("Authorization", "Bearer "+flagsToken)
	r.Header.Set("Content-Type", "application/json")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		body.Reset(bodies[i%len(bodies)])
		r.Body, r.ContentLength = io.NopCloser(&body), int64(body.Len())
		clear(w.h)
		w.status = 0
		srv.ServeHTTP(w, r)
		if w.status != 0 && w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkOFREPHandlerSingle: one flag, in a layer, with a holdout.
//
//	go test ./bot/httpapi -run '^$' -bench OFREPHandler -benchmem
func BenchmarkOFREPHandlerSingle(b *testing.B) {
	benchOFREPHandler(b, 200, "/ofrep/v1/evaluate/flags/flag-016")
}

// BenchmarkOFREPHandlerBulk200: all 200 flags.
func BenchmarkOFREPHandlerBulk200(b *testing.B) {
	benchOFREPHandler(b, 200, "/ofrep/v1/evaluate/flags")
}
