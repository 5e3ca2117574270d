package main

import (
	"context"
	"fmt"

	"github.com/growthbot/growthbot/store"
)

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "migrate")
	dbPath := dbFlag(e, fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	// Open has already applied what was missing; say where the schema stands.
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s is at schema version %d (up to date)\n", db.Path(), v)
	return nil
}
