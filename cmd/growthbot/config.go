package main

import (
	"context"
	"flag"
	"log/slog"
	"strings"
	"time"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/store/postgres"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/schedule"
)

// Environment variables. Secrets are read only from the environment, never
// from flags, so that they do not show in process listings.
const (
	envBotToken      = "SLACK_BOT_TOKEN"
	envAppToken      = "SLACK_APP_TOKEN"
	envSigningSecret = "SLACK_SIGNING_SECRET"
	envSlackAPIURL   = "SLACK_API_URL"
	envDB            = "GROWTHBOT_DB"
	envAddr          = "GROWTHBOT_ADDR"
	envAPIToken      = "GROWTHBOT_API_TOKEN"
	envMetricsAddr   = "GROWTHBOT_METRICS_ADDR"
	envLogLevel      = "GROWTHBOT_LOG_LEVEL"
	envLogFormat     = "GROWTHBOT_LOG_FORMAT"
	envTemplates     = "GROWTHBOT_TEMPLATES"
	envPoll          = "GROWTHBOT_POLL"
	envKeepDelivery  = "GROWTHBOT_KEEP_DELIVERIES"
	envKeepMessages  = "GROWTHBOT_KEEP_MESSAGES"
	envKeepJobRuns   = "GROWTHBOT_KEEP_JOB_RUNS"
	envKeepSnapshots = "GROWTHBOT_KEEP_SNAPSHOTS"
)

// dbFlag adds --db, defaulting to $GROWTHBOT_DB or ./growthbot.db.
func dbFlag(e *env, fs *flag.FlagSet) *string {
	def := e.getenv(envDB)
	if def == "" {
		def = store.DefaultPath
	}
	return fs.String("db", def, "SQLite database file (env "+envDB+")")
}

// openService opens the database at path and returns the domain service over
// it. The caller closes the database.
func openService(ctx context.Context, e *env, path string) (*store.DB, *workflows.Service, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	svc, err := newService(e, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, svc, nil
}

// newService returns the domain service over db with the embedded decision
// frameworks.
func newService(e *env, db *store.DB) (*workflows.Service, error) {
	svc := workflows.NewService(db, e.log)
	svc.Frameworks = templates.FrameworkNames()
	for name, data := range templates.Frameworks() {
		f, err := workflows.ParseFramework("templates/frameworks/"+name+".yaml", data)
		if err != nil {
			return nil, err
		}
		svc.FrameworkSet = append(svc.FrameworkSet, f)
	}
	svc.Warehouses = &postgres.Warehouses{Getenv: e.getenv}
	svc.ParseSchedule = schedule.Parse
	for _, v := range []struct {
		name string
		into *time.Duration
	}{{envKeepDelivery, &svc.Retention.Deliveries}, {envKeepMessages, &svc.Retention.Messages},
		{envKeepJobRuns, &svc.Retention.JobRuns}, {envKeepSnapshots, &svc.Retention.Snapshots}} {
		if raw := e.getenv(v.name); raw != "" {
			d, err := time.ParseDuration(raw)
			if err != nil || d <= 0 {
				return nil, usageError("%s=%q: give a positive duration, like 2h or 720h", v.name, raw)
			}
			*v.into = d
		}
	}
	return svc, nil
}

// newRenderer returns the Slack renderer with the embedded message
// templates, overridden from $GROWTHBOT_TEMPLATES when set.
func newRenderer(e *env) (*bot.Renderer, error) {
	return bot.NewRenderer(e.getenv(envTemplates))
}

func newLogger(e *env) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(e.getenv(envLogLevel)) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.ToLower(e.getenv(envLogFormat)) == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}
