package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// demo is the state the demo builds as it goes: a fresh database, the
// domain service, and a clock the demo moves through simulated weeks.
type demo struct {
	e     *env
	db    *store.DB
	svc   *workflows.Service
	clock *workflows.FakeClock
	out   string // folder for files the demo writes (charts)
	// slack is the local Slack: the console prints what reached it.
	slack *localSlack
	// config is the config file the demo applies: the example.
	config []byte
}

// as runs a line in the local Slack as a user, as the console would.
func (d *demo) as(ctx context.Context, user, line string) {
	d.slack.console.User = user
	fmt.Fprintf(d.e.stdout, "\n%s> %s\n", user, line)
	d.slack.console.Exec(ctx, line)
}

// demoStep is one part of the tour; each feature adds its own.
type demoStep struct {
	title string
	run   func(d *demo, ctx context.Context) error
}

func demoSteps() []demoStep {
	return []demoStep{
		{"Config as code: growthbot apply -f templates/growthbot.example.yaml", (*demo).applyConfig},
		{"Experiments start: /exp start", (*demo).startExperiments},
		{"Three weeks of data: growthbot import exposures|events|kpis", (*demo).importData},
		{"What /exp list shows", (*demo).listExperiments},
		{"The daily pulse: scorecards in team channels (growthbot jobs run pulse)", (*demo).pulse},
		{"The monthly growth review: /growth review, Post to channel, the digest job", (*demo).growthReview},
		{"The leads decide: stay the course, or change it", (*demo).reviewDecisions},
		{"Decisions in threads: /exp ship, approvals, double clicks", (*demo).decide},
		{"Phased rollouts, the kill switch and the flags API", (*demo).rollouts},
		{"Left for you: a new experiment from the /exp new form, and a decision waiting", (*demo).leftForYou},
	}
}

// demoStart is when the demo's story begins: three weeks ago at 09:00 UTC,
// so that experiments have run long enough to say something.
func demoStart(now time.Time) time.Time {
	y, m, d := now.UTC().AddDate(0, 0, -21).Date()
	return time.Date(y, m, d, 9, 0, 0, 0, time.UTC)
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo")
	dbPath := fs.String("db", "./growthbot-demo.db", "the demo database to create (replaced if it exists)")
	out := fs.String("out", "./growthbot-demo", "folder for the pictures the demo draws")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	d, err := openDemo(ctx, e, *dbPath, *out)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nDone. Explore it yourself: go run ./cmd/growthbot console --db %s\n"+
		"trust-badges is running, and express-checkout's ship waits for an approver: type :user U0PM, then\n"+
		"/exp status express-checkout, and Approve or Reject.\n", *dbPath)
	return nil
}

// openDemo creates the demo's fresh database (replacing an old one) and its
// local Slack.
func openDemo(ctx context.Context, e *env, dbPath, out string) (*demo, error) {
	if err := removeDB(dbPath); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	clock := workflows.NewFakeClock(demoStart(time.Now()))
	quiet := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	local, err := openLocal(ctx, e, dbPath, appOptions{clock: clock, log: quiet, api: httpapi.APIConfig{Token: demoAPIToken}},
		"U0ENG1", "C0CHECKOUT", out, e.stdout)
	if err != nil {
		return nil, err
	}
	d := &demo{e: e, db: local.db, svc: local.svc, clock: clock, out: out, config: templates.ExampleConfig(), slack: local}
	fmt.Fprintf(e.stdout, "growthbot demo: no Slack workspace, no network. Database: %s\n", dbPath)
	return d, nil
}

func (d *demo) close() { d.slack.Close() }

// run takes the tour, step by step.
func (d *demo) run(ctx context.Context) error {
	for i, step := range demoSteps() {
		fmt.Fprintf(d.e.stdout, "\n== %d. %s ==\n\n", i+1, step.title)
		if err := step.run(d, ctx); err != nil {
			return fmt.Errorf("demo step %q: %w", step.title, err)
		}
	}
	return nil
}

// removeDB deletes a previous demo database and its WAL files.
func removeDB(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("demo: remove old %s: %w", p, err)
		}
	}
	return nil
}

func (d *demo) applyConfig(ctx context.Context) error {
	report, err := d.svc.ApplyConfig(ctx, "templates/growthbot.example.yaml", d.config, workflows.ActorConfig, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.e.stdout, "created: %s\n", strings.Join(report.Created, ", "))
	again, err := d.svc.ApplyConfig(ctx, "templates/growthbot.example.yaml", d.config, workflows.ActorConfig, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.e.stdout, "applied again: %d created, %d updated, %d unchanged (idempotent)\n",
		len(again.Created), len(again.Updated), len(again.Unchanged))
	bad := []byte("teams:\n  - key: checkout\n    chanel: C0CHECKOUT\nexperiments:\n  - key: x\n    team: chekout\n")
	_, err = d.svc.ApplyConfig(ctx, "bad.yaml", bad, workflows.ActorConfig, false)
	fmt.Fprintf(d.e.stdout, "\na bad file is refused as a whole:\n%s\n", indent(err.Error(), "  "))
	return nil
}

func (d *demo) startExperiments(ctx context.Context) error {
	for _, key := range []string{"one-click-checkout", "free-shipping-banner", "guided-onboarding"} {
		e, err := d.svc.StartExperiment(ctx, "U0ENG1", key)
		if err != nil && workflows.ErrorCode(err) == workflows.EFORBIDDEN {
			fmt.Fprintf(d.e.stdout, "U0ENG1 /exp start %s -> refused: %s\n", key, workflows.ErrorMessage(err))
			e, err = d.svc.StartExperiment(ctx, "U0ENG3", key)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(d.e.stdout, "/exp start %s -> running since %s, planned to end %s\n", key,
			workflows.DayText(e.StartedAt), workflows.DayText(e.EndsAt))
	}
	return nil
}

func (d *demo) listExperiments(ctx context.Context) error {
	d.as(ctx, "U0ENG1", "/exp list")
	d.as(ctx, "U0ENG1", "/exp list chekout")
	return nil
}

// leftForYou fills in and submits the /exp new form, starts the new
// experiment and asks to ship it early, which waits for an approver: the
// console started on the demo's database has something left to do.
func (d *demo) leftForYou(ctx context.Context) error {
	d.slack.console.Channel = "C0CHECKOUT"
	for _, line := range []string{
		"/exp new",
		":set key express-checkout",
		":set name Express checkout",
		":set team checkout",
		":set hypothesis A shorter address form raises purchase conversion.",
		":set primary purchase",
		":set guardrails errors",
		":set method sequential",
		":set days 14",
		":submit",
		"/exp start express-checkout",
		"/exp ship express-checkout -- the early numbers look good",
	} {
		d.as(ctx, "U0ENG1", line)
	}
	if _, err := d.svc.CreateExperiment(ctx, "U0ENG2", workflows.ExperimentDraft{Key: "trust-badges", Name: "Trust badges",
		Team: "checkout", Hypothesis: "Payment badges next to the pay button raise purchase conversion.",
		Variants: []string{"control", "badges"}, PrimaryMetric: "purchase", GuardrailMetrics: []string{"errors"},
		Method: "sequential", PlannedDays: 21}); err != nil {
		return err
	}
	d.as(ctx, "U0ENG2", "/exp start trust-badges")
	for key, want := range map[string]workflows.State{"express-checkout": workflows.StateDecisionPending, "trust-badges": workflows.StateRunning} {
		e, err := d.experiment(ctx, key)
		if err != nil {
			return err
		}
		if e.State != want {
			return fmt.Errorf("%s is %s, want %s", key, e.State, want)
		}
	}
	return nil
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
