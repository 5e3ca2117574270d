package bot

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Metrics is a small Prometheus registry: labelled counters and latency
// histograms, written in the text exposition format. growthbot needs a
// handful of series, not a metrics library.
type Metrics struct {
	mu         sync.Mutex
	counters   map[string]*series // by name
	histograms map[string]*histogram
	help       map[string]string
}

type series struct {
	values map[string]float64 // by rendered label set
}

type histogram struct {
	buckets []float64
	counts  map[string][]uint64 // by label set: per bucket, then +Inf
	sums    map[string]float64
}

// latencyBuckets are in seconds, from 1 ms to 10 s.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}

// NewMetrics returns an empty registry.
func NewMetrics() *Metrics {
	return &Metrics{counters: map[string]*series{}, histograms: map[string]*histogram{}, help: map[string]string{}}
}

// Describe sets the help text of a metric.
func (m *Metrics) Describe(name, help string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.help[name] = help
}

// Add adds delta to the counter name with the given label pairs
// ("route", "/healthz", "code", "200").
func (m *Metrics) Add(name string, delta float64, labels ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.counters[name]
	if s == nil {
		s = &series{values: map[string]float64{}}
		m.counters[name] = s
	}
	s.values[labelSet(labels)] += delta
}

// Observe records a duration in the histogram name.
func (m *Metrics) Observe(name string, d time.Duration, labels ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.histograms[name]
	if h == nil {
		h = &histogram{buckets: latencyBuckets, counts: map[string][]uint64{}, sums: map[string]float64{}}
		m.histograms[name] = h
	}
	key := labelSet(labels)
	counts := h.counts[key]
	if counts == nil {
		counts = make([]uint64, len(h.buckets)+1)
		h.counts[key] = counts
	}
	v := d.Seconds()
	for i, b := range h.buckets {
		if v <= b {
			counts[i]++
		}
	}
	counts[len(h.buckets)]++
	h.sums[key] += v
}

// Value returns a counter's current value, for tests and logs.
func (m *Metrics) Value(name string, labels ...string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.counters[name]; s != nil {
		return s.values[labelSet(labels)]
	}
	return 0
}

// WriteTo writes every series in the Prometheus text format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(m.counters)) {
		m.header(&b, name, "counter")
		s := m.counters[name]
		for _, labels := range slices.Sorted(maps.Keys(s.values)) {
			fmt.Fprintf(&b, "%s%s %s\n", name, labels, formatFloat(s.values[labels]))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(m.histograms)) {
		m.header(&b, name, "histogram")
		h := m.histograms[name]
		for _, labels := range slices.Sorted(maps.Keys(h.counts)) {
			counts := h.counts[labels]
			for i, bound := range h.buckets {
				fmt.Fprintf(&b, "%s_bucket%s %d\n", name, withLabel(labels, "le", formatFloat(bound)), counts[i])
			}
			fmt.Fprintf(&b, "%s_bucket%s %d\n", name, withLabel(labels, "le", "+Inf"), counts[len(h.buckets)])
			fmt.Fprintf(&b, "%s_sum%s %s\n", name, labels, formatFloat(h.sums[labels]))
			fmt.Fprintf(&b, "%s_count%s %d\n", name, labels, counts[len(h.buckets)])
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func (m *Metrics) header(b *strings.Builder, name, kind string) {
	if help := m.help[name]; help != "" {
		fmt.Fprintf(b, "# HELP %s %s\n", name, help)
	}
	fmt.Fprintf(b, "# TYPE %s %s\n", name, kind)
}

// labelEscaper escapes a label value as the exposition format wants. It is
// built once: labelSet runs for every request the server answers.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// labelSet renders label pairs as {a="1",b="2"}, escaped as Prometheus
// wants.
func labelSet(pairs []string) string {
	if len(pairs) < 2 {
		return ""
	}
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		// Not %q: it would escape the escapes again, and write Go's escapes
		// (\x00, \u2028) that Prometheus does not read.
		parts = append(parts, pairs[i]+`="`+labelEscaper.Replace(pairs[i+1])+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func withLabel(set, name, value string) string {
	extra := fmt.Sprintf("%s=%q", name, value)
	if set == "" {
		return "{" + extra + "}"
	}
	return strings.TrimSuffix(set, "}") + "," + extra + "}"
}

func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return fmt.Sprintf("%g", v)
}
