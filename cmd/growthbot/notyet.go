package main

import (
	"context"

	"github.com/growthbot/growthbot/workflows"
)

// notBuilt answers for a command a later release fills in.
func notBuilt(e *env, name string, args []string) error {
	fs := newFlags(e, name)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return workflows.Errorf(workflows.EINVALID, "'growthbot %s' is not built yet", name)
}

func runImport(ctx context.Context, e *env, args []string) error { return notBuilt(e, "import", args) }
func runStats(ctx context.Context, e *env, args []string) error  { return notBuilt(e, "stats", args) }
func runJobs(ctx context.Context, e *env, args []string) error   { return notBuilt(e, "jobs", args) }
func runAudit(ctx context.Context, e *env, args []string) error  { return notBuilt(e, "audit", args) }
