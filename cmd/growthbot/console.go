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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	db, svc, err := openService(ctx, e, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	quiet := *e
	quiet.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc.Log = quiet.log
	local := newLocalSlack(db, svc, &quiet, *user, *channel, *files, e.stdout)
	defer local.Close()
	return local.console.Run(ctx, e.stdin)
}
