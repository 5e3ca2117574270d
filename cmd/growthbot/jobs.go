package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

func runJobs(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fs := newFlags(e, "jobs")
		return parseFlags(fs, []string{"--help"})
	}
	switch args[0] {
	case "list":
		return jobsList(ctx, e, args[1:])
	case "run":
		return jobsRun(ctx, e, args[1:])
	}
	return usageError("unknown jobs subcommand %q: use list or run", args[0])
}

func jobsList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "jobs")
	dbPath := dbFlag(e, fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *dbPath, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	summaries, err := a.svc.JobSummaries(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "JOB\tSCHEDULE\tLAST RUN\tNEXT RUN")
	for _, j := range summaries {
		last := "never"
		if r := j.Last; r != nil {
			last = fmt.Sprintf("%s %s %s at %s", r.Scope, r.Period, r.Status, workflows.MomentText(r.StartedAt))
			if r.Error != "" {
				last += ": " + r.Error
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", j.Job, j.Schedule, last, j.Describe())
	}
	return w.Flush()
}

func jobsRun(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if slices.Contains(args, "--help") || slices.Contains(args, "-h") {
			return parseFlags(newFlags(e, "jobs"), []string{"--help"})
		}
		return usageError("name the job to run: %s", strings.Join(workflows.NewService(nil, nil).JobNames(), ", "))
	}
	job := args[0]
	fs := newFlags(e, "jobs")
	dbPath := dbFlag(e, fs)
	var opts workflows.JobOptions
	fs.StringVar(&opts.Team, "team", "", "only this team")
	fs.StringVar(&opts.Experiment, "experiment", "", "only this experiment")
	fs.StringVar(&opts.Period, "period", "", "the period to run: a day (YYYY-MM-DD) for the pulse, a month (YYYY-MM) for the digest, a week (YYYY-Www) for the weekly update")
	fs.BoolVar(&opts.Force, "force", false, "run a period that already ran, again")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *dbPath, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	db, svc := a.db, a.svc
	// The scheduler's table of jobs, so a manual run takes the same path.
	j, ok := svc.Job(job)
	if !ok {
		return usageError("unknown job %q: use %s", job, strings.Join(svc.JobNames(), ", "))
	}
	start := time.Now()
	report, err := j.Run(ctx, opts)
	for _, line := range report.Lines {
		fmt.Fprintln(e.stdout, line)
	}
	if err != nil {
		return err
	}
	var counts map[workflows.MessageState]int
	if err := db.View(ctx, func(tx workflows.Tx) error {
		var err error
		counts, err = tx.OutboxCounts()
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s done in %s; %d messages wait in the outbox for `growthbot serve` to deliver\n", job,
		time.Since(start).Round(time.Millisecond), counts[workflows.MessagePending]+counts[workflows.MessageSending])
	return nil
}
