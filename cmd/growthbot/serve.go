package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/workflows"
)

// shutdownGrace is how long shutdown waits for work in flight.
const shutdownGrace = 30 * time.Second

// onListen and onMetricsListen, when set by tests, learn the addresses the
// server listens on.
var onListen, onMetricsListen func(addr string)

// serveClock, when set by tests, is the clock serve schedules and records
// by, so that a test can move time on instead of waiting for it.
var serveClock workflows.Clock

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve")
	dbPath := dbFlag(e, fs)
	addr := fs.String("addr", envOr(e, envAddr, ":8080"), "address to listen on (env "+envAddr+")")
	apiConfig := apiFlags(e, fs)
	commandNames := commandNameFlags(e, fs)
	metricsAddr := fs.String("metrics-addr", envOr(e, envMetricsAddr, ""), "serve /metrics on this address of its own, e.g. 127.0.0.1:9090; without it /metrics is on --addr and needs the API token (env "+envMetricsAddr+")")
	createDB := fs.Bool("create-db", false, "start with a new, empty database when the --db file does not exist (without it, serve refuses: a missing file usually means a lost one)")
	poll := fs.Duration("poll", workflows.DefaultSchedulerTick,
		"how often serve reads teams, schedules and channels again and runs the jobs due, at most 1m (env "+envPoll+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := durationFromEnv(e, fs, "poll", envPoll); err != nil {
		return err
	}
	if *poll <= 0 || *poll > time.Minute {
		return usageError("--poll %s: give a duration from 1ms to 1m, so that a change by apply is seen within a minute", *poll)
	}
	api, err := apiConfig()
	if err != nil {
		return err
	}
	names, err := commandNames()
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	if err := expectDB(*dbPath, *createDB); err != nil {
		return err
	}
	opts := appOptions{api: api, commands: names, metricsElsewhere: *metricsAddr != "", poll: *poll}
	if serveClock != nil {
		opts.clock = serveClock
	}
	a, err := openApp(ctx, e, *dbPath, opts)
	if err != nil {
		return err
	}
	// Closed after every part has stopped: the pools of the warehouses,
	// then the database.
	defer a.Close()
	a.db.OnFileLost = func(err error) {
		e.log.Error("the database file is gone: every write is refused and /healthz answers 503 until growthbot is restarted on a restored file", "err", err)
	}
	if err := a.flags.Refresh(ctx); err != nil {
		return err
	}
	if e.getenv(envSigningSecret) == "" {
		e.log.Warn("SLACK_SIGNING_SECRET is not set: the Slack endpoints refuse every request")
	}
	if e.getenv(envBotToken) == "" {
		a.outbox.HoldWebAPI = true
		e.log.Warn("SLACK_BOT_TOKEN is not set: messages to Slack channels wait in the outbox until serve runs with it")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", *addr, err)
	}
	var metricsLn net.Listener
	if *metricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", *metricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("serve: listen on %s for metrics: %w", *metricsAddr, err)
		}
		e.log.Info("metrics serving", "metrics_addr", metricsLn.Addr().String())
		if onMetricsListen != nil {
			onMetricsListen(metricsLn.Addr().String())
		}
	}
	e.log.Info("growthbot serving", "addr", ln.Addr().String(), "db", a.db.Path(), "version", buildVersion())
	if onListen != nil {
		onListen(ln.Addr().String())
	}
	// The scheduler runs every job of the domain's table (Service.Jobs).
	parts := []part{
		{"http", httpPart(a.server, ln, a.router)},
		{"outbox", a.outbox.Run},
		{"flags", func(ctx context.Context) error { return a.flags.Run(ctx, workflows.RefreshEvery) }},
		{"exposures", a.exposures.Run},
		{"scheduler", a.scheduler.Run},
	}
	if metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.server.MetricsHandler())
		parts = append(parts, part{"metrics", httpPart(mux, metricsLn, nil)})
	}
	if e.getenv(envBotToken) != "" {
		parts = append(parts, part{"workspace check", func(ctx context.Context) error {
			err := a.slack.LearnTeam(ctx, a.client, 30*time.Second)
			<-ctx.Done() // a part that returns stops the server
			return err
		}})
		parts = append(parts, part{"channels", a.channels.Run})
	}
	if e.getenv(envAppToken) != "" {
		parts = append(parts, part{"socket mode", func(ctx context.Context) error { return a.slack.RunSocketMode(ctx, a.client) }})
	}
	err = runParts(ctx, e.log, parts...)
	// The last requests may have logged exposures after the log's own
	// final flush.
	final, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if ferr := a.exposures.Flush(final); ferr != nil {
		err = errors.Join(err, fmt.Errorf("write exposures: %w", ferr))
	}
	return err
}

// expectDB refuses to serve from a database file that does not exist (or
// is empty) unless create says to start a new one: after a deleted or
// misplaced file, a server that quietly began afresh would look healthy
// while every experiment, decision and message was gone.
func expectDB(path string, create bool) error {
	fi, err := os.Stat(path)
	switch {
	case create:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return usageError("database %s does not exist. If it was lost, restore it from a backup (README: Backups); to start a new, empty one, run growthbot apply -f CONFIG first or pass --create-db", path)
	case err != nil:
		return fmt.Errorf("serve: %w", err)
	case fi.Size() == 0:
		return usageError("database %s is an empty file, not a growthbot database. Restore it from a backup (README: Backups), or pass --create-db to start a new one", path)
	}
	return nil
}

// apiHost is the host of SLACK_API_URL ("" when unset): response URLs on it
// are accepted besides Slack's own.
func apiHost(apiURL string) string {
	if apiURL == "" {
		return ""
	}
	u, err := url.Parse(apiURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// durationFromEnv sets the flag from the environment variable when the
// command line did not set it.
func durationFromEnv(e *env, fs *flag.FlagSet, name, variable string) error {
	v := e.getenv(variable)
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if v == "" || set {
		return nil
	}
	if _, err := time.ParseDuration(v); err != nil {
		return usageError("%s=%q: not a duration (like 30s or 1m)", variable, v)
	}
	return fs.Set(name, v)
}

func envOr(e *env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

// part is one long-running piece of the server. run returns when ctx is
// done, after finishing or handing back the work it has in flight.
type part struct {
	name string
	run  func(ctx context.Context) error
}

// runParts runs every part until ctx is done or one part fails, then stops
// the others and waits for all of them.
func runParts(ctx context.Context, log *slog.Logger, parts ...part) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(parts))
	for i, p := range parts {
		wg.Go(func() {
			err := p.run(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				errs[i] = fmt.Errorf("%s: %w", p.name, err)
				log.Error("part stopped", "part", p.name, "err", err)
			}
			cancel()
		})
	}
	wg.Wait()
	log.Info("growthbot stopped")
	return errors.Join(errs...)
}

// httpPart serves h on ln until ctx is done, then shuts down gracefully:
// no new connections, requests in flight finish, and so does the work they
// left running in the router.
func httpPart(h http.Handler, ln net.Listener, router *bot.Router) func(context.Context) error {
	return func(ctx context.Context) error {
		// Headers must arrive within 5 s and a whole request within a
		// minute (the Slack endpoints allow 5 s for their small bodies):
		// a connection that stalls is cut rather than held open.
		server := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: time.Minute,
			IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
		done := make(chan error, 1)
		go func() { done <- server.Serve(ln) }()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
		}
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		if err := server.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		if router != nil {
			router.Wait()
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
