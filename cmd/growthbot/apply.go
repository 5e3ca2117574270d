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
	data, name, err := readInput(ctx, e, *file)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e, *dbPath, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	db, svc := a.db, a.svc
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

// maxInput bounds a config or stats file: the example config is 5 KiB.
const maxInput = 10 << 20

// readInput reads a file named on the command line, or standard input for
// "-", up to maxInput bytes. It returns the data and the name to use in
// messages. A signal (ctx done) stops it at once, even on a read that
// never ends (/dev/zero) or blocks (a pipe nobody writes to).
func readInput(ctx context.Context, e *env, path string) ([]byte, string, error) {
	name, r := path, e.stdin
	if path == "-" {
		name = "<stdin>"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, "", workflows.Errorf(workflows.EINVALID, "cannot read %s: %v", path, unwrapPathError(err))
		}
		defer f.Close()
		r = f
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(ctxReader{ctx, r}, maxInput+1))
		done <- result{b, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		return nil, "", fmt.Errorf("reading %s was interrupted: %w", name, context.Cause(ctx))
	}
	switch {
	case res.err != nil && ctx.Err() != nil:
		return nil, "", fmt.Errorf("reading %s was interrupted: %w", name, context.Cause(ctx))
	case res.err != nil:
		return nil, "", workflows.Errorf(workflows.EINVALID, "cannot read %s: %v", name, unwrapPathError(res.err))
	case len(res.b) > maxInput:
		return nil, "", workflows.Errorf(workflows.EINVALID, "%s is larger than %d MiB, the most growthbot reads: is it the right file?", name, maxInput>>20)
	}
	return res.b, name, nil
}

// ctxReader stops reading when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// unwrapPathError drops the repeated path from an *os.PathError.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
