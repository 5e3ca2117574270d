package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/growthbot/growthbot/workflows"
)

func runApply(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "apply")
	file := fs.String("f", "", "the YAML config file (- for standard input)")
	dbPath := dbFlag(e, fs)
	dryRun := fs.Bool("dry-run", false, "check the file against the database and say what would change, without changing it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usageError("-f FILE is required (templates/growthbot.example.yaml is a complete example)")
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	data, name, err := readInput(e, *file)
	if err != nil {
		return err
	}
	db, svc, err := openService(ctx, e, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	report, err := svc.ApplyConfig(ctx, name, data, workflows.ActorConfig, *dryRun)
	if err != nil {
		return err
	}
	for _, w := range report.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	verb := "applied"
	if *dryRun {
		verb = "would apply (dry run, nothing changed)"
	}
	fmt.Fprintf(e.stdout, "%s %s to %s: %d created, %d updated, %d unchanged\n", verb, name, db.Path(),
		len(report.Created), len(report.Updated), len(report.Unchanged))
	for _, line := range []struct {
		label string
		items []string
	}{{"created", report.Created}, {"updated", report.Updated}, {"not in the file, left as they are", report.Untouched}} {
		if len(line.items) > 0 {
			fmt.Fprintf(e.stdout, "  %s: %s\n", line.label, strings.Join(line.items, ", "))
		}
	}
	return nil
}

// readInput reads a file named on the command line, or standard input for
// "-". It returns the data and the name to use in messages.
func readInput(e *env, path string) ([]byte, string, error) {
	if path == "-" {
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return nil, "", fmt.Errorf("read standard input: %w", err)
		}
		return b, "<stdin>", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", workflows.Errorf(workflows.EINVALID, "cannot read %s: %v", path, unwrapPathError(err))
	}
	return b, path, nil
}

// unwrapPathError drops the repeated path from an *os.PathError.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
