package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/bot/outbox"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/store/postgres"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/schedule"
)

// app is growthbot wired: the domain service over its SQLite file, and the
// adapters around it: the Slack client, the outbox, the router and the
// Slack endpoints, the HTTP server with the ingestion and flags APIs, the
// channel check and the scheduler. Every command builds it with openApp
// (serve, the console, the demo, the one-shot commands and the tests), so
// that what the tests prove is the wiring that runs; what differs between
// them is in appOptions. Nothing runs until a command runs its parts.
type app struct {
	db         *store.DB
	svc        *workflows.Service
	warehouses *postgres.Warehouses
	// words renders messages for Slack: the embedded templates, overridden
	// from $GROWTHBOT_TEMPLATES when set.
	words     *render.Renderer
	client    *slack.Client
	server    *httpapi.Server
	outbox    *outbox.Outbox
	router    *bot.Router
	slack     *bot.Slack
	channels  *bot.Channels
	scheduler *schedule.Scheduler
	exposures *workflows.ExposureLog
	flags     *workflows.FlagBook
}

// appOptions say what differs between the ways growthbot runs. The zero
// value is `growthbot serve`'s wiring, configured from the environment.
type appOptions struct {
	// clock replaces the wall clock, for the store and the service: the
	// demo's simulated weeks, tests that move time on.
	clock workflows.Clock
	// log replaces the command's logger for the service and the adapters
	// (the console and the demo keep quiet).
	log *slog.Logger
	// fakeSlackURL, when set, is a fake of Slack's Web API on loopback
	// (the console and the demo): the app talks to it with a local token,
	// checks its own requests with localSecret, and delivers at once.
	// Without it the app talks to $SLACK_API_URL (else Slack) with
	// $SLACK_BOT_TOKEN, and checks requests with $SLACK_SIGNING_SECRET.
	fakeSlackURL string
	// api configures the ingestion and flags APIs; with no token they
	// refuse every request.
	api httpapi.APIConfig
	// commands are the names the slash commands are installed under
	// (default /exp and /growth).
	commands render.CommandNames
	// metricsElsewhere leaves /metrics off the server: serve has an
	// address of its own for it.
	metricsElsewhere bool
	// poll is how often the scheduler and the channel check read teams and
	// schedules again (default workflows.DefaultSchedulerTick).
	poll time.Duration
}

// localSecret signs the requests the console and the demo make of their
// own Slack endpoints.
const localSecret = "local-signing-secret"

// openApp opens the database at path and wires growthbot around it. The
// caller closes the app.
func openApp(ctx context.Context, e *env, path string, opts appOptions) (*app, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	a, err := wireApp(e, db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func wireApp(e *env, db *store.DB, opts appOptions) (*app, error) {
	log := opts.log
	if log == nil {
		log = e.log
	}
	a := &app{db: db, warehouses: &postgres.Warehouses{Getenv: e.getenv}}
	svc, err := newService(e, db, log)
	if err != nil {
		return nil, err
	}
	svc.Warehouses = a.warehouses
	if opts.clock != nil {
		svc.Clock, db.Now = opts.clock, opts.clock.Now
	}
	a.svc = svc
	if a.words, err = render.NewRenderer(e.getenv(envTemplates)); err != nil {
		return nil, err
	}
	// Hints in messages name the commands as the workspace installed them.
	if a.words, err = a.words.WithCommands(opts.commands); err != nil {
		return nil, err
	}

	secret, apiURL := e.getenv(envSigningSecret), e.getenv(envSlackAPIURL)
	a.client = slackClient(e)
	if opts.fakeSlackURL != "" {
		secret, apiURL = localSecret, opts.fakeSlackURL
		a.client = slack.New("xoxb-local", slack.OptionAPIURL(opts.fakeSlackURL))
	}
	a.server = httpapi.NewServer(log, db.Ping)
	a.server.MountAPI(svc, opts.api)
	a.exposures = &workflows.ExposureLog{Service: svc, Log: log.With("component", "exposures")}
	a.flags = &workflows.FlagBook{Service: svc, Exposures: a.exposures, Log: log.With("component", "flags")}
	a.flags.Watch()
	a.server.MountFlags(a.flags, opts.api)
	if !opts.metricsElsewhere {
		a.server.MountMetrics(opts.api.Token)
	}
	a.outbox = &outbox.Outbox{Store: db, Slack: a.client, Clock: svc.Clock, Log: log.With("component", "outbox"),
		Metrics: a.server.Metrics(), Getenv: e.getenv, Renderer: a.words}
	if opts.fakeSlackURL != "" {
		// The fake answers at once; the console shows each reply as it is
		// delivered.
		a.outbox.PostInterval = -1
	}
	a.channels = &bot.Channels{Slack: a.client, Service: svc, Log: log.With("component", "channels"), Poll: opts.poll}
	a.router = &bot.Router{Service: svc, Views: bot.ClientViews{Client: a.client}, Log: log.With("component", "slack"),
		Renderer: a.words, Notify: a.outbox.Notify, ChannelProblems: a.channels.Problems, Commands: opts.commands}
	a.slack = &bot.Slack{Router: a.router, SigningSecret: secret, Log: log.With("component", "slack"), ResponseHost: apiHost(apiURL)}
	a.slack.Mount(a.server)
	a.scheduler = &schedule.Scheduler{Service: svc, Log: log.With("component", "scheduler"), Tick: opts.poll}
	return a, nil
}

// Close closes the warehouses' connection pools and the database.
func (a *app) Close() error {
	a.warehouses.Close()
	return a.db.Close()
}

// newService returns the domain service over db with the embedded decision
// frameworks, the cron parser, and the retention periods from the
// environment.
func newService(e *env, db *store.DB, log *slog.Logger) (*workflows.Service, error) {
	svc := workflows.NewService(db, log)
	svc.Frameworks = templates.FrameworkNames()
	for name, data := range templates.Frameworks() {
		f, err := workflows.ParseFramework("templates/frameworks/"+name+".yaml", data)
		if err != nil {
			return nil, err
		}
		svc.FrameworkSet = append(svc.FrameworkSet, f)
	}
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

// slackClient returns a Slack Web API client for the bot token, talking to
// SLACK_API_URL when set (tests point it at a local fake).
func slackClient(e *env) *slack.Client {
	opts := []slack.Option{slack.OptionHTTPClient(&http.Client{Timeout: 15 * time.Second})}
	if u := e.getenv(envSlackAPIURL); u != "" {
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, slack.OptionAPIURL(u))
	}
	if t := e.getenv(envAppToken); t != "" {
		opts = append(opts, slack.OptionAppLevelToken(t))
	}
	return slack.New(e.getenv(envBotToken), opts...)
}
