package main

import (
	"flag"
	"log/slog"
	"strings"

	"github.com/growthbot/growthbot/store"
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
