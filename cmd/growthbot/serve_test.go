package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
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

// startServeLogged is startServe that also returns what serve logs.
func startServeLogged(t testing.TB, vars map[string]string, args ...string) (string, func() int, *syncBuffer) {
	t.Helper()
	addrCh := make(chan string, 1)
	onListen = func(addr string) { addrCh <- addr }
	t.Cleanup(func() { onListen = nil })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	out := &syncBuffer{}
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

func TestServeHealthMetricsAndShutdown(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	base, stop := startServe(t, map[string]string{envDB: db})

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `growthbot_http_requests_total{route="GET /healthz",code="200"} 1`) {
		t.Errorf("metrics do not count the health check:\n%s", body)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d after a graceful stop", code)
	}
}
