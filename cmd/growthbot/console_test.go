package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// TestConsole types slash commands and presses a button by its label, as a
// person would at the console, against a real database and no network.
func TestConsole(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", string(templates.ExampleConfig()))
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	script := strings.Join([]string{
		"/exp start one-click-checkout",
		`/growth goal add checkout "Ship one-click" <@U0ENG2>`,
		"/growth goals checkout",
		"Drop",          // the goal's Drop button, pressed by its label
		"/exp lsit",     // a typo
		"Launch rocket", // no such button
		":user U0STRANGER",
		"/exp kill one-click-checkout",
		":quit",
	}, "\n")
	res := run(t, script, nil, "console", "--db", db, "--files", dir)
	if res.code != 0 {
		t.Fatalf("console exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{
		"One-click checkout is running: day 1 of 14",
		"Goal #1 added for",
		"[ Drop ]",
		"Goal #1, Ship one-click, is dropped",
		`/exp has no subcommand "lsit" (did you mean "list"?)`,
		`"Launch rocket" is neither a slash command nor the label of a button on screen`,
		"now acting as U0STRANGER",
		"only members of team Checkout",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("console output lacks %q:\n%s", want, res.stdout)
		}
	}
}

// After `growthbot demo`, `growthbot console --db growthbot-demo.db`, as
// README says, answers every command a newcomer types: the first commands
// are not taken for Slack's retries of the demo's, threads the demo started
// take replies, a form can be filled in and submitted, the decision the demo
// left open can be approved, and no log line breaks up the transcript.
func TestConsoleAfterDemo(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "growthbot-demo.db")
	if res := run(t, "", nil, "demo", "--db", db, "--out", filepath.Join(dir, "out")); res.code != 0 {
		t.Fatalf("demo: %d\n%s", res.code, res.stderr)
	}
	steps := []struct{ line, want string }{
		{"/exp help", "/exp list"},
		{"/growth help", "/growth review"},
		{"/exp list", "1 running · 1 decision pending"},
		{"/exp status trust-badges", "Trust badges"},
		{"/exp scorecard trust-badges", "#C0CHECKOUT (in thread)"},
		{"/exp history express-checkout", "Decision requested by @U0ENG1, "}, // the demo's day is today
		{"/growth goals checkout", "Checkout goals for"},
		{"/growth kpi checkout", "Checkout KPIs"},
		{"/growth review checkout", "Growth review: Checkout"},
		{"/exp new", "Fill it in with :set FIELD VALUE"},
		{":set key quick-reorder", "key = quick-reorder"},
		{":set name Quick reorder", "name = Quick reorder"},
		{":set hypothesis A reorder button raises orders per user.", "hypothesis = "},
		{":set primary orders", "primary = orders"},
		{":set primary nonsense", `primary offers activation, aov, errors, orders, purchase, revenue, not "nonsense"`},
		{":submit", "Draft Quick reorder (`quick-reorder`) created"},
		{"/exp start quick-reorder", "Quick reorder is running"},
		{":user U0PM", "now acting as U0PM"},
		{"Approve", "You approved decision #4 to ship treatment of `express-checkout`: it is applied."},
		{"/exp kill trust-badges -- the badges confuse people", "trust-badges"},
		{":frobnicate", `unknown command ":frobnicate"`},
		{":submit", "no form is open"},
	}
	var script []string
	for _, s := range steps {
		script = append(script, s.line)
	}
	res := run(t, strings.Join(append(script, ":quit"), "\n"), nil, "console", "--db", db, "--files", dir)
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("console: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	// Each command's answer is what follows its prompt.
	answers := strings.Split(res.stdout, "\n\nU0")
	if len(answers) != len(steps)+2 {
		t.Fatalf("%d prompts answered, want %d:\n%s", len(answers)-2, len(steps), res.stdout)
	}
	for i, s := range steps {
		if got := answers[i+1]; !strings.Contains(got, s.want) {
			t.Errorf("%q answered:\n%s\nwant %q in it", s.line, got, s.want)
		}
	}
	for _, bad := range []string{"Slack error", "level=", "retried"} {
		if strings.Contains(res.stdout, bad) {
			t.Errorf("the transcript has %q:\n%s", bad, res.stdout)
		}
	}
}

// A Slack error (ok:false) is shown as an error, not as a success.
func TestConsoleShowsSlackErrors(t *testing.T) {
	db := mustRunningExample(t)
	var out strings.Builder
	ctx := context.Background()
	e := &env{getenv: func(string) string { return "" }, log: slog.New(slog.DiscardHandler)}
	local, err := openLocal(ctx, e, db, appOptions{}, "U0ENG1", "C0CHECKOUT", "", &out)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	local.fake.FailNext("chat.postMessage", 5, fakeslack.Failure{Error: "channel_not_found"})
	local.console.Exec(ctx, "/exp scorecard one-click-checkout")
	if !strings.Contains(out.String(), "! Slack error: chat.postMessage answered channel_not_found") {
		t.Errorf("console output:\n%s", out.String())
	}
}

// TestConsoleNamesPeoplePlainly: at the terminal, the people a refusal
// names read @U0LEAD, never Slack's <@U0LEAD>, and no text shows Slack's
// escapes.
func TestConsoleNamesPeoplePlainly(t *testing.T) {
	dir := t.TempDir()
	script := strings.Join([]string{
		"/exp kill one-click-checkout -- errors up <in> Safari & Edge",
		":user U0ENG2",
		"/exp kill one-click-checkout",
		":user U0STRANGER",
		"/exp start free-shipping-banner",
		":quit",
	}, "\n")
	res := run(t, script, nil, "console", "--db", mustRunningExample(t), "--files", dir)
	if res.code != 0 || !strings.Contains(res.stdout, "already killed by @U0ENG1 ") ||
		!strings.Contains(res.stdout, "@U0STRANGER is not one: ask @U0LEAD, the team's lead, to add you") {
		t.Errorf("console exit %d, output:\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, bad := range []string{"<@", "&lt;", "&gt;", "&amp;"} {
		if strings.Contains(res.stdout, bad) {
			t.Errorf("console output has %q:\n%s", bad, res.stdout)
		}
	}
}

// TestCLIReportsPeoplePlainly: the CLI's error report names the people a
// domain error is about as @U0LEAD, not in Slack's mention syntax.
func TestCLIReportsPeoplePlainly(t *testing.T) {
	db := mustRunningExample(t)
	var errs []error
	withService(t, db, func(svc *workflows.Service) {
		ctx := context.Background()
		_, err := svc.StartExperiment(ctx, "U0STRANGER", "free-shipping-banner")
		errs = append(errs, err)
		if _, err := svc.Kill(ctx, "U0ENG1", "one-click-checkout", "errors up"); err != nil {
			t.Fatal(err)
		}
		_, err = svc.RequestDecision(ctx, "U0ENG2", "one-click-checkout", workflows.ActionShip, "", 0, "")
		errs = append(errs, err)
	})
	var out strings.Builder
	e := &env{stderr: &out}
	for _, err := range errs {
		reportError(e, "test", err)
	}
	for _, want := range []string{
		"growthbot test: only members of team Checkout can do that, and @U0STRANGER is not one: ask @U0LEAD, the team's lead,",
		`growthbot test: experiment "one-click-checkout": already killed by @U0ENG1 `,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the CLI reports\n%s\nwithout %q", out.String(), want)
		}
	}
	if strings.Contains(out.String(), "<@") {
		t.Errorf("the CLI shows Slack's mention syntax:\n%s", out.String())
	}
}

// A quarter with more goals than a listing reads, met at the console:
// /growth goals counts every goal and says how many it does not show,
// instead of cutting a line.
func TestConsoleListsManyGoals(t *testing.T) {
	db := exampleDB(t)
	const n = workflows.GoalsListed + 5
	var script []string
	for i := range n {
		script = append(script, fmt.Sprintf(`/growth goal add checkout "Goal %d" <@U0ENG2>`, i+1))
	}
	script = append(script, "/growth goals checkout", ":quit")
	res := run(t, strings.Join(script, "\n"), nil, "console", "--db", db, "--files", filepath.Dir(db))
	if res.code != 0 {
		t.Fatalf("console exit %d: %s", res.code, res.stderr)
	}
	_, listing, ok := strings.Cut(res.stdout, "Checkout goals for")
	if !ok {
		t.Fatalf("no listing:\n%s", res.stdout)
	}
	shown := strings.Count(listing, "` Goal ")
	more := regexp.MustCompile(`… and (\d+) more`).FindStringSubmatch(listing)
	if !strings.Contains(listing, fmt.Sprintf("0 of %d done", n)) || more == nil || shown+atoi([]byte(more[1])) != n {
		t.Errorf("%d goals shown, then %q; want %d in all:\n%s", shown, more, n, listing)
	}
}
