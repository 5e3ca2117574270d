package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// startServe runs `growthbot serve` on a loopback port with the given
// environment and returns its base URL and a function that stops it (as
// SIGTERM would) and returns what Main returned.
func startServe(t testing.TB, vars map[string]string, args ...string) (string, func() int) {
	t.Helper()
	base, stop, _ := startServeLogged(t, vars, args...)
	return base, stop
}

// withOfflineSlack points SLACK_API_URL of a serve that was given none at
// a loopback server that fails the test on any call: tests never reach
// slack.com, and a serve that should not talk to Slack (no bot token) is
// seen not to.
func withOfflineSlack(t testing.TB, vars map[string]string) map[string]string {
	t.Helper()
	var mu sync.Mutex
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.URL.Path)
		mu.Unlock()
		http.Error(w, "tests do not reach Slack", http.StatusServiceUnavailable)
	}))
	t.Cleanup(func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		if len(calls) > 0 {
			t.Errorf("serve called Slack's Web API, which this test did not give it: %v", calls)
		}
	})
	copied := map[string]string{envSlackAPIURL: srv.URL + "/api/"}
	for k, v := range vars {
		if k != envSlackAPIURL {
			copied[k] = v
		}
	}
	return copied
}

// startServeLogged is startServe that also returns what serve logs.
func startServeLogged(t testing.TB, vars map[string]string, args ...string) (string, func() int, *syncBuffer) {
	t.Helper()
	addrCh := make(chan string, 1)
	onListen = func(addr string) { addrCh <- addr }
	t.Cleanup(func() { onListen = nil })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	out := &syncBuffer{}
	if vars[envSlackAPIURL] == "" {
		vars = withOfflineSlack(t, vars)
	}
	e := &env{stdin: strings.NewReader(""), stdout: out, stderr: out, getenv: func(k string) string { return vars[k] }}
	codeCh := make(chan int, 1)
	go func() {
		codeCh <- Main(ctx, e, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
	}()
	select {
	case addr := <-addrCh:
		stop := func() int {
			cancel()
			select {
			case code := <-codeCh:
				return code
			case <-time.After(40 * time.Second):
				t.Fatal("serve did not stop")
				return -1
			}
		}
		return "http://" + addr, stop, out
	case code := <-codeCh:
		t.Fatalf("serve exited with %d before listening:\n%s", code, out.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil, nil
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// get GETs url with an optional bearer token and returns the status and body.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServeHealthMetricsAndShutdown(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	base, stop := startServe(t, map[string]string{envDB: db, envAPIToken: "tok"}, "--create-db")

	if code, body := get(t, base+"/healthz", ""); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz: %d %s", code, body)
	}
	// The metrics are on the listener Slack reaches only for the API token.
	for _, token := range []string{"", "wrong"} {
		if code, body := get(t, base+"/metrics", token); code != http.StatusUnauthorized || strings.Contains(body, "growthbot_http") {
			t.Errorf("/metrics with token %q: %d %s", token, code, body)
		}
	}
	if code, body := get(t, base+"/metrics", "tok"); code != 200 || !strings.Contains(body, `growthbot_http_requests_total{code="200",route="GET /healthz"} 1`) {
		t.Errorf("metrics do not count the health check:\n%s", body)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d after a graceful stop", code)
	}
}

// TestServeMetricsOnTheirOwnAddress: with GROWTHBOT_METRICS_ADDR the
// metrics are served there, to anyone who reaches it, and not at all on
// the address Slack reaches; without an API token they are nowhere else.
func TestServeMetricsOnTheirOwnAddress(t *testing.T) {
	db := mustRunningExample(t)
	metricsAddr := make(chan string, 1)
	onMetricsListen = func(addr string) { metricsAddr <- addr }
	t.Cleanup(func() { onMetricsListen = nil })
	base, stop := startServe(t, map[string]string{envDB: db, envAPIToken: "tok", envMetricsAddr: "127.0.0.1:0"})
	maddr := "http://" + <-metricsAddr
	get(t, base+"/healthz", "")
	if code, body := get(t, maddr+"/metrics", ""); code != 200 || !strings.Contains(body, `growthbot_http_requests_total{code="200",route="GET /healthz"} 1`) {
		t.Errorf("metrics address: %d %s", code, body)
	}
	if code, body := get(t, base+"/metrics", "tok"); code != http.StatusNotFound || strings.Contains(body, "growthbot_http") {
		t.Errorf("/metrics on the main address, with the token: %d %s", code, body)
	}
	stop()

	base, stop = startServe(t, map[string]string{envDB: db})
	if code, body := get(t, base+"/metrics", ""); code != http.StatusForbidden || !strings.Contains(body, "GROWTHBOT_METRICS_ADDR") {
		t.Errorf("/metrics without any token: %d %s", code, body)
	}
	stop()
}
