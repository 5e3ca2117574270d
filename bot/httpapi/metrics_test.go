package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/httpapi"
)

// TestMetricsExposition: /metrics shows growthbot's series with their help,
// the request it counted, and the Go runtime and process collectors.
func TestMetricsExposition(t *testing.T) {
	srv := httpapi.NewServer(nil, nil)
	front := httptest.NewServer(srv)
	defer front.Close()
	metrics := httptest.NewServer(srv.MetricsHandler())
	defer metrics.Close()
	get := func(url string) string {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
		}
		return string(body)
	}
	get(front.URL + "/healthz")
	body := get(metrics.URL)
	for _, want := range []string{
		"# HELP growthbot_http_requests_total HTTP requests by route and status code.",
		"# TYPE growthbot_http_requests_total counter",
		`growthbot_http_requests_total{code="200",route="GET /healthz"} 1`,
		"# TYPE growthbot_http_request_duration_seconds histogram",
		`growthbot_http_request_duration_seconds_bucket{route="GET /healthz",le="0.001"}`,
		`growthbot_http_request_duration_seconds_count{route="GET /healthz"} 1`,
		"go_goroutines ",
		"go_memstats_heap_alloc_bytes ",
		"process_resident_memory_bytes ",
		"process_open_fds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}
