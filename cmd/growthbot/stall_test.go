//go:build load

package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoadStalledConnections opens 300 connections to the Slack endpoints of
// the real binary that send most of a body, unsigned, and stall - the
// attack that took serve from 24 MB to 378 MB. Half declare 1 MiB − 1 byte
// (over the limit: refused before the body is read), half 127 KiB and send
// all but one byte (read until the 5 s read deadline cuts them). While they
// stall, signed commands must still answer within Slack's 3 s and the
// process must stay under 100 MB resident.
//
//	go test -tags load -run LoadStalled -v ./cmd/growthbot
func TestLoadStalledConnections(t *testing.T) {
	bin := buildGrowthbot(t)
	db := mustRunningExample(t)
	p := startServeProcess(t, bin, db, map[string]string{envSigningSecret: faultSigningSecret})
	addr := strings.TrimPrefix(p.base, "http://")
	before := rss(t, p.cmd.Process.Pid, "VmRSS")

	const conns = 300
	var open, closedByServer atomic.Int64
	var wg sync.WaitGroup
	var held []net.Conn
	var mu sync.Mutex
	start := time.Now()
	for i := range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			declared, sent := 1<<20-1, 64<<10 // over the limit: only part is sent
			if i%2 == 1 {
				declared = 127 << 10
				sent = declared - 1
			}
			fmt.Fprintf(c, "POST /slack/commands HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
				"Content-Length: %d\r\nX-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: v0=%s\r\n\r\n",
				addr, declared, time.Now().Unix(), strings.Repeat("0", 64))
			c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			c.Write([]byte(strings.Repeat("a", sent)))
			open.Add(1)
			// Stall: read nothing, send nothing more; learn when the server
			// hangs up.
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			buf := make([]byte, 4096)
			for {
				if _, err := c.Read(buf); err != nil {
					if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
						closedByServer.Add(1)
					} else {
						t.Logf("group %d: %v", i%2, err)
					}
					return
				}
			}
		})
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for open.Load() < conns && time.Since(start) < 20*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%d connections stalled after %v", open.Load(), time.Since(start))

	// Signed commands while they stall.
	var worst time.Duration
	for i := range 10 {
		t0 := time.Now()
		reply := p.command("U0ENG1", "list")
		d := time.Since(t0)
		worst = max(worst, d)
		if !strings.Contains(reply, "Experiments") {
			t.Errorf("command %d under stalled connections: %q", i, reply)
		}
		time.Sleep(200 * time.Millisecond)
	}
	peak := rss(t, p.cmd.Process.Pid, "VmHWM")
	wg.Wait()
	cut := time.Since(start)
	t.Logf("RSS %d MB before, peak %d MB; slowest signed command %v; %d of %d connections cut by the server, all within %v",
		before>>20, peak>>20, worst, closedByServer.Load(), conns, cut.Round(100*time.Millisecond))
	if worst > 3*time.Second {
		t.Errorf("a signed command took %v under stalled connections, over Slack's 3 s", worst)
	}
	if peak > 100<<20 {
		t.Errorf("peak RSS %d MB, over 100 MB", peak>>20)
	}
	if closedByServer.Load() != conns {
		t.Errorf("the server cut %d of %d stalled connections within 30 s", closedByServer.Load(), conns)
	}
	p.stop()
}

// rss reads a memory figure (VmRSS, VmHWM) of process pid, in bytes.
func rss(t *testing.T, pid int, field string) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
