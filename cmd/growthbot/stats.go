package main

import (
	"context"
	"fmt"

	"github.com/growthbot/growthbot/stats"
	"github.com/growthbot/growthbot/workflows"
)

// runStats computes a JSON array of cases (the format of
// ../shared/reference/STATS.md): a team's way to analyse sufficient
// statistics exported from its own warehouse. It exits 0 when the input
// parses, even when some cases cannot be computed; those print an error.
func runStats(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "stats")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("give one FILE, or - for standard input")
	}
	data, name, err := readInput(ctx, e, fs.Arg(0))
	if err != nil {
		return err
	}
	out, err := stats.EvaluateCases(data)
	if err != nil {
		return workflows.Errorf(workflows.EINVALID, "%s: %v", name, err)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", out)
	return err
}
