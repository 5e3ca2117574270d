package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// result is what one run of growthbot printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// run runs growthbot with args, standard input stdin and the environment
// vars, as a user would from a shell.
func run(t testing.TB, stdin string, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	code := Main(context.Background(), e, args)
	return result{code, out.String(), errOut.String()}
}

func writeFile(t testing.TB, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestApplyIsIdempotentAndUpdatesInPlace(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	example := string(templates.ExampleConfig())
	cfg := writeFile(t, dir, "growthbot.yaml", example)

	first := run(t, "", nil, "apply", "-f", cfg, "--db", db)
	if first.code != 0 || !strings.Contains(first.stdout, "12 created, 0 updated, 0 unchanged") {
		t.Fatalf("first apply: %+v", first)
	}
	auditBefore := auditCount(t, db)

	second := run(t, "", nil, "apply", "-f", cfg, "--db", db)
	if second.code != 0 || !strings.Contains(second.stdout, "0 created, 0 updated, 12 unchanged") {
		t.Fatalf("second apply: %+v", second)
	}
	if n := auditCount(t, db); n != auditBefore {
		t.Errorf("second apply wrote %d audit entries; want none", n-auditBefore)
	}

	edited := strings.Replace(example, "planned_days: 14\n    target_mde: 0.05", "planned_days: 21\n    target_mde: 0.05", 1)
	if edited == example {
		t.Fatal("edit did not apply to the example")
	}
	writeFile(t, dir, "growthbot.yaml", edited)
	third := run(t, "", nil, "apply", "-f", cfg, "--db", db)
	if third.code != 0 || !strings.Contains(third.stdout, "0 created, 1 updated") || !strings.Contains(third.stdout, "updated: experiment one-click-checkout") {
		t.Fatalf("edited apply: %+v", third)
	}
	withDB(t, db, func(tx workflows.Tx) {
		e, err := tx.Experiment("one-click-checkout")
		if err != nil || e.PlannedDays != 21 || e.Name != "One-click checkout" {
			t.Errorf("after edit: planned %d name %q, %v", e.PlannedDays, e.Name, err)
		}
		entries, err := tx.Audit(workflows.AuditFilter{Subject: "experiment:one-click-checkout"})
		if err != nil || len(entries) != 2 || entries[1].Action != "experiment.update" ||
			!strings.Contains(entries[1].Before, `"PlannedDays":14`) || !strings.Contains(entries[1].After, `"PlannedDays":21`) {
			t.Errorf("audit of the edit: %+v, %v", entries, err)
		}
	})
}

func TestApplyBadFileChangesNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	bad := strings.Replace(string(templates.ExampleConfig()), "team: onboarding", "team: onbaording", 1)
	bad = strings.Replace(bad, "channel: C0CHECKOUT", "channel: checkout", 1)
	cfg := writeFile(t, dir, "bad.yaml", bad)
	res := run(t, "", nil, "apply", "-f", cfg, "--db", db)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1: %+v", res.code, res)
	}
	for _, want := range []string{"2 problems, nothing applied", `bad.yaml:14: team "checkout": "checkout" is not a Slack channel id`,
		`team "onbaording" is not defined (did you mean "onboarding"?)`} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, res.stderr)
		}
	}
	withDB(t, db, func(tx workflows.Tx) {
		teams, _ := tx.Teams()
		if len(teams) != 0 {
			t.Errorf("a refused file applied %d teams", len(teams))
		}
	})
}

// A cron spec with five fields that cron cannot read is refused by apply,
// by file and line, before serve's scheduler would stumble on it.
func TestApplyRefusesABadCronSpec(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	bad := strings.Replace(string(templates.ExampleConfig()), `digest: "0 9 1-3 * *"`, `digest: "0 25 1-3 * *"`, 1)
	if bad == string(templates.ExampleConfig()) {
		t.Fatal("the edit did not apply to the example")
	}
	cfg := writeFile(t, dir, "bad.yaml", bad)
	res := run(t, "", nil, "apply", "-f", cfg, "--db", db)
	line := strings.Count(bad[:strings.Index(bad, `digest: "0 25`)], "\n") + 1
	want := fmt.Sprintf(`bad.yaml:%d: settings: schedules.digest "0 25 1-3 * *" is not a cron spec: `, line)
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Fatalf("exit %d, stderr:\n%s\nwant %q in it", res.code, res.stderr, want)
	}
}

func TestApplyRefusesChangingARunningExperimentsVariants(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	example := string(templates.ExampleConfig())
	cfg := writeFile(t, dir, "g.yaml", example)
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	withService(t, db, func(svc *workflows.Service) {
		if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, "one-click-checkout"); err != nil {
			t.Fatal(err)
		}
	})
	writeFile(t, dir, "g.yaml", strings.Replace(example, "{key: treatment, weight: 50}", "{key: treatment, weight: 80}", 1))
	res := run(t, "", nil, "apply", "-f", cfg, "--db", db)
	if res.code != 1 || !strings.Contains(res.stderr, `experiment "one-click-checkout" is running: its variants, weights and values cannot change`) {
		t.Fatalf("apply changing a running experiment: %+v", res)
	}
}

func TestApplyFromStdinAndDryRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	res := run(t, string(templates.ExampleConfig()), nil, "apply", "-f", "-", "--db", db, "--dry-run")
	if res.code != 0 || !strings.Contains(res.stdout, "would apply (dry run, nothing changed) <stdin>") || !strings.Contains(res.stdout, "12 created") {
		t.Fatalf("dry run: %+v", res)
	}
	withDB(t, db, func(tx workflows.Tx) {
		if teams, _ := tx.Teams(); len(teams) != 0 {
			t.Errorf("dry run applied %d teams", len(teams))
		}
	})
}

func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		vars map[string]string
		code int
		want string
	}{
		{"no command", nil, nil, 2, "Usage: growthbot COMMAND"},
		{"unknown command", []string{"aply"}, nil, 2, `unknown command "aply" (did you mean "apply"?)`},
		{"apply without file", []string{"apply"}, nil, 2, "-f FILE is required"},
		{"apply missing file", []string{"apply", "-f", filepath.Join(dir, "nope.yaml"), "--db", filepath.Join(dir, "a.db")}, nil, 1, "cannot read"},
		{"unknown flag", []string{"apply", "--bogus"}, nil, 2, "flag provided but not defined: -bogus"},
		{"help", []string{"apply", "--help"}, nil, 0, "usage: growthbot apply -f FILE"},
		{"version", []string{"version"}, nil, 0, "growthbot "},
		{"migrate", []string{"migrate"}, map[string]string{envDB: filepath.Join(dir, "env.db")}, 0, "env.db is at schema version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, "", tc.vars, tc.args...)
			if res.code != tc.code || !strings.Contains(res.stdout+res.stderr, tc.want) {
				t.Errorf("growthbot %v: exit %d, want %d and %q in\n%s%s", tc.args, res.code, tc.code, tc.want, res.stdout, res.stderr)
			}
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		res := run(t, "", nil, c.name, "--help")
		if res.code != 0 || !strings.Contains(res.stdout, "usage: growthbot "+c.name) {
			t.Errorf("growthbot %s --help: %+v", c.name, res)
		}
	}
}

func withService(t testing.TB, path string, fn func(*workflows.Service)) {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(workflows.NewService(db, nil))
}

// withWiredService runs fn with the domain service as openApp wires it for
// serve (frameworks, templates, the cron parser), over the database at
// path, quietly.
func withWiredService(t testing.TB, path string, opts appOptions, fn func(*workflows.Service)) {
	t.Helper()
	e := &env{getenv: func(string) string { return "" }, log: slog.New(slog.DiscardHandler)}
	a, err := openApp(context.Background(), e, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	fn(a.svc)
}

func withDB(t *testing.T, path string, fn func(workflows.Tx)) {
	t.Helper()
	withService(t, path, func(svc *workflows.Service) {
		err := svc.Store.View(context.Background(), func(tx workflows.Tx) error {
			fn(tx)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func auditCount(t *testing.T, path string) int {
	t.Helper()
	n := 0
	withDB(t, path, func(tx workflows.Tx) {
		entries, err := tx.Audit(workflows.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		n = len(entries)
	})
	return n
}

// TestApplyInputIsBounded: apply reads at most 10 MiB, however big or
// endless its input, and a signal stops it while it waits for input.
func TestApplyInputIsBounded(t *testing.T) {
	bin := buildGrowthbot(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	big := writeFile(t, dir, "big.yaml", "teams: []\n"+strings.Repeat("# padding\n", 1_200_000))
	for _, file := range []string{big, "/dev/zero"} {
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "apply", "-f", file, "--db", db)
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		if err == nil || !strings.Contains(stderr.String(), "larger than 10 MiB") || time.Since(start) > 10*time.Second {
			t.Errorf("apply -f %s: %v after %v: %s", file, err, time.Since(start), stderr.String())
		}
	}
	if _, err := os.Stat(db); err == nil && countRows(t, db, "teams") != 0 {
		t.Error("a refused file applied something")
	}

	// Standard input that never ends nor sends: SIGTERM stops apply. A
	// signal that arrives before the process has set up its handler ends it
	// the default way, without the message; on a loaded machine that can
	// take longer than the first wait, so the wait grows and the test fails
	// only if apply never reports the interruption.
	var last string
	for _, wait := range []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second} {
		got, ok := applyInterrupted(t, bin, db, wait)
		if ok {
			return
		}
		last = got
	}
	t.Errorf("apply after SIGTERM: %s", last)
}

// applyInterrupted starts apply on a standard input that never sends,
// signals it after wait, and says whether it reported the interruption.
func applyInterrupted(t *testing.T, bin, db string, wait time.Duration) (string, bool) {
	t.Helper()
	cmd := exec.Command(bin, "apply", "-f", "-", "--db", db)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(wait)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Logf("apply stopped %v after SIGTERM", time.Since(sent))
		return fmt.Sprintf("%v %s", err, stderr.String()), err != nil && strings.Contains(stderr.String(), "reading <stdin> was interrupted")
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("apply ignored SIGTERM while reading")
		return "", false
	}
}
