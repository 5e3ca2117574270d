package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

// runSource checks a source, or prints the SQL a pulse sends to it.
func runSource(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "test" && args[0] != "sql") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs := newFlags(e, "source")
			return parseFlags(fs, args)
		}
		return usageError("give test KEY or sql KEY")
	}
	sub := args[0]
	fs := newFlags(e, "source")
	dbPath := dbFlag(e, fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	// Flags may follow the key too.
	if fs.NArg() > 1 {
		rest := fs.Args()
		if err := parseFlags(fs, rest[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usageError("unexpected argument %q", fs.Arg(0))
		}
		fs.Parse(rest[:1])
	}
	if fs.NArg() != 1 {
		if sub == "test" {
			return usageError("source test needs one source key")
		}
		return usageError("source sql needs one source or experiment key")
	}
	key := fs.Arg(0)
	a, err := openApp(ctx, e, *dbPath, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	svc := a.svc
	if sub == "sql" {
		text, err := svc.SourceSQL(ctx, key)
		if err != nil {
			return err
		}
		fmt.Fprint(e.stdout, text)
		return nil
	}
	src, check, err := svc.TestSource(ctx, key)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "source %s (%s, DSN from $%s): connected, read-only\n", src.Key, src.Type, src.DSNEnv)
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ROLE\tTABLE\tROWS\tFROM\tTO")
	for _, t := range check.Tables {
		from, to := "-", "-"
		if !t.First.IsZero() {
			from, to = t.First.Format(time.RFC3339), t.Last.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", t.Role, t.Name, t.Rows, from, to)
	}
	return w.Flush()
}
