package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Metrics are growthbot's Prometheus metrics, in a registry of their own
// together with the Go runtime and process collectors. Each series is
// declared here with its help and labels; the parts that count call the
// small methods below rather than naming series themselves.
type Metrics struct {
	registry *prometheus.Registry

	httpRequests *prometheus.CounterVec   // route, code
	httpDuration *prometheus.HistogramVec // route
	httpErrors   *prometheus.CounterVec   // route

	ingestedRows  *prometheus.CounterVec // kind, outcome
	ingestRefused *prometheus.CounterVec // kind, reason

	outboxDelivered *prometheus.CounterVec // op
	outboxRetries   *prometheus.CounterVec // op
	outboxFailed    *prometheus.CounterVec // op
}

// latencyBuckets are in seconds, from 1 ms to 10 s.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}

// NewMetrics returns growthbot's metrics, all at zero.
func NewMetrics() *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		registry:     prometheus.NewRegistry(),
		httpRequests: counter("growthbot_http_requests_total", "HTTP requests by route and status code.", "route", "code"),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "growthbot_http_request_duration_seconds",
			Help: "HTTP request latency by route.", Buckets: latencyBuckets}, []string{"route"}),
		httpErrors: counter("growthbot_http_errors_total", "HTTP requests answered with a 5xx status, by route.", "route"),
		ingestedRows: counter("growthbot_ingested_rows_total",
			"Rows sent to the ingestion API and accepted, by kind and outcome (imported or duplicate).", "kind", "outcome"),
		ingestRefused:   counter("growthbot_ingest_refused_total", "Ingestion API requests refused, by kind and reason.", "kind", "reason"),
		outboxDelivered: counter("growthbot_outbox_delivered_total", "Messages delivered, by operation.", "op"),
		outboxRetries:   counter("growthbot_outbox_retries_total", "Delivery attempts that will be retried, by operation.", "op"),
		outboxFailed:    counter("growthbot_outbox_failed_total", "Messages given up for good, by operation.", "op"),
	}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.httpErrors, m.ingestedRows, m.ingestRefused,
		m.outboxDelivered, m.outboxRetries, m.outboxFailed)
	return m
}

// Handler serves the metrics in Prometheus' exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// request counts one answered HTTP request.
func (m *Metrics) request(route string, code int, took time.Duration) {
	m.httpRequests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(took.Seconds())
	if code >= 500 {
		m.httpErrors.WithLabelValues(route).Inc()
	}
}

// ingested counts rows the ingestion API accepted.
func (m *Metrics) ingested(kind, outcome string, rows int64) {
	m.ingestedRows.WithLabelValues(kind, outcome).Add(float64(rows))
}

// refused counts an ingestion request refused.
func (m *Metrics) refused(kind, reason string) {
	m.ingestRefused.WithLabelValues(kind, reason).Inc()
}

// Delivered, Retried and Failed count the outbox's deliveries by operation
// (they make Metrics an outbox.Meter).
func (m *Metrics) Delivered(op string) { m.outboxDelivered.WithLabelValues(op).Inc() }
func (m *Metrics) Retried(op string)   { m.outboxRetries.WithLabelValues(op).Inc() }
func (m *Metrics) Failed(op string)    { m.outboxFailed.WithLabelValues(op).Inc() }

// Value returns the value of a counter series by its name and label pairs
// ("kind", "events", "reason", "unauthorized"), or 0 when it has none yet;
// for tests and logs.
func (m *Metrics) Value(name string, labels ...string) float64 {
	families, err := m.registry.Gather()
	if err != nil {
		return 0
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	i := slices.IndexFunc(families, func(f *dto.MetricFamily) bool { return f.GetName() == name })
	if i < 0 {
		return 0
	}
	for _, metric := range families[i].GetMetric() {
		pairs := metric.GetLabel()
		if len(pairs) != len(want) || slices.ContainsFunc(pairs, func(p *dto.LabelPair) bool { return want[p.GetName()] != p.GetValue() }) {
			continue
		}
		return metric.GetCounter().GetValue()
	}
	return 0
}
