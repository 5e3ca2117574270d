package main

import (
	"context"
	"fmt"
	"os"

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

func runBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "backup")
	dbPath := dbFlag(e, fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("name the backup file to write")
	}
	// A backup of a database that is not there would be an empty one.
	if err := expectDB(*dbPath, false); err != nil {
		return err
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	out := fs.Arg(0)
	if err := db.Backup(ctx, out); err != nil {
		return err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s (%d bytes). To restore: stop growthbot, copy %s over %s (deleting %s-wal and %s-shm), start it again.\n",
		db.Path(), out, fi.Size(), out, db.Path(), db.Path(), db.Path())
	return nil
}
