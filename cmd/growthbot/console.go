package main

import (
	"context"
	"log/slog"
	"os"
)

func runConsole(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "console")
	dbPath := dbFlag(e, fs)
	user := fs.String("user", "U0ENG1", "the Slack user id you act as (change it with :user)")
	channel := fs.String("channel", "C0CHECKOUT", "the channel you type in")
	files := fs.String("files", os.TempDir(), "folder for pictures the bot uploads")
	verbose := fs.Bool("verbose", false, "print growthbot's log lines (to standard error) among the replies")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	// The console shows Slack's errors itself; log lines would only break
	// up the transcript.
	quiet := slog.New(slog.DiscardHandler)
	if *verbose {
		quiet = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	local, err := openLocal(ctx, e, *dbPath, appOptions{log: quiet}, *user, *channel, *files, e.stdout)
	if err != nil {
		return err
	}
	defer local.Close()
	if _, err := local.restore(ctx); err != nil {
		return err
	}
	return local.console.Run(ctx, e.stdin)
}
