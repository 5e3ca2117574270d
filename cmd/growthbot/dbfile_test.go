package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/fakeslack"
)

// servedDB runs serve in-process over db with Slack's signing secret and the
// API token, and returns a handle that signs requests and the log.
func servedDB(t *testing.T, db string) (*serveProcess, func() int, *syncBuffer) {
	t.Helper()
	base, stop, logs := startServeLogged(t, map[string]string{envDB: db, envSigningSecret: faultSigningSecret, envAPIToken: "tok"})
	return &serveProcess{t: t, base: base, secret: faultSigningSecret}, stop, logs
}

func goalAdd(t *testing.T, p *serveProcess, title string) string {
	t.Helper()
	code, reply, err := p.slack("/slack/commands", fakeslack.CommandBody(fakeslack.Command{Command: "/growth",
		Text: `goal add checkout "` + title + `"`, UserID: "U0ENG1", ChannelID: "C0CHECKOUT", TriggerID: "t-" + title}))
	if err != nil || code != http.StatusOK {
		t.Fatalf("goal add: %d %v", code, err)
	}
	return reply
}

// TestServeDatabaseFileLost deletes, then replaces, the database file under
// a running serve: /healthz turns 503, commands and the API are refused
// with a reason and an error in the log, and nothing is acknowledged. A
// restart on the missing file is refused; a backup taken before, put in
// place, brings everything back.
func TestServeDatabaseFileLost(t *testing.T) {
	db := mustRunningExample(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	p, stop, logs := servedDB(t, db)
	if r := goalAdd(t, p, "Before the loss"); !strings.Contains(r, "added") {
		t.Fatalf("goal add: %s", r)
	}
	if res := run(t, "", nil, "backup", "--db", db, backup); res.code != 0 || !strings.Contains(res.stdout, "backed up") {
		t.Fatalf("backup while serving: %+v", res)
	}

	for _, loss := range []struct {
		name string
		do   func() error
	}{
		{"deleted", func() error {
			for _, f := range []string{db, db + "-wal", db + "-shm"} {
				if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
					return err
				}
			}
			return nil
		}},
		{"replaced", func() error { return os.WriteFile(db, nil, 0o644) }},
	} {
		if err := loss.do(); err != nil {
			t.Fatal(err)
		}
		if code, body := get(t, p.base+"/healthz", ""); code != http.StatusServiceUnavailable {
			t.Errorf("%s: /healthz answered %d %s", loss.name, code, body)
		}
		if r := goalAdd(t, p, "After the loss "+loss.name); strings.Contains(r, "added") || !strings.Contains(r, "database file is gone") {
			t.Errorf("%s: a write was acknowledged, or refused without saying why: %s", loss.name, r)
		}
		req, _ := http.NewRequest(http.MethodPost, p.base+"/api/v1/events", strings.NewReader(`{"unit_id":"u1","event":"purchase","timestamp":1735689600}`))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 500 {
			t.Errorf("%s: the API took events: %d %s", loss.name, resp.StatusCode, body)
		}
	}
	stop()
	if !strings.Contains(logs.String(), "the database file is gone") {
		t.Errorf("the loss was not logged:\n%s", logs)
	}

	// A restart does not quietly begin on a new, empty database.
	os.Remove(db)
	res := run(t, "", nil, "serve", "--addr", "127.0.0.1:0", "--db", db)
	if res.code != 2 || !strings.Contains(res.stderr, "does not exist") || !strings.Contains(res.stderr, "--create-db") {
		t.Errorf("serve on a missing database: %+v", res)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("serve created the missing database")
	}
	os.WriteFile(db, nil, 0o644)
	if res := run(t, "", nil, "serve", "--addr", "127.0.0.1:0", "--db", db); res.code != 2 || !strings.Contains(res.stderr, "empty file") {
		t.Errorf("serve on an empty file: %+v", res)
	}

	// The README's restore: copy the backup in place, start again.
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p, stop, _ = servedDB(t, db)
	if code, _ := get(t, p.base+"/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz after the restore: %d", code)
	}
	if r := goalAdd(t, p, "After the restore"); !strings.Contains(r, "#2") {
		t.Errorf("the restored database lacks the goal added before the backup: %s", r)
	}
	stop()
}
