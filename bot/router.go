package bot

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// Views opens and publishes Slack views. Modals must open within three
// seconds of a user's action, so views are not sent through the outbox.
type Views interface {
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) error
	PublishView(ctx context.Context, userID string, view slack.HomeTabViewRequest) error
}

// Router turns slash commands, button presses, modal submissions and events
// into calls on the domain service and replies. Socket Mode and HTTP feed
// the same router.
type Router struct {
	Service Domain
	Views   Views
	Log     *slog.Logger
	// Renderer renders replies; nil means the embedded wording.
	Renderer *render.Renderer
	// Notify wakes the outbox after something was enqueued.
	Notify func()
	// ChannelProblems, when set, returns what stops growthbot in team
	// channels (Channels.Problems), for the App Home.
	ChannelProblems func() map[string]string
	// Commands are the names the slash commands are installed under; the
	// zero value is /exp and /growth.
	Commands render.CommandNames

	workspace  atomic.Pointer[string]
	background sync.WaitGroup
	words      render.Lazy
	tableOnce  sync.Once
	table      *routeTable
}

// command returns the installed name of "exp" or "growth", for replies
// that show a command to type.
func (r *Router) command(root string) string { return r.routes().commands.names.Of(root) }

// routes returns the router's lookup tables, built from the route
// declarations (routes.go) on first use.
func (r *Router) routes() *routeTable {
	r.tableOnce.Do(func() { r.table = newRouteTable(r.Commands) })
	return r.table
}

// CommandRequest is one slash command as Slack sent it.
type CommandRequest struct {
	Command     string // "/exp" or "/growth", or the names they are installed under
	Text        string
	UserID      string
	ChannelID   string
	ResponseURL string
	TriggerID   string
}

// commandCall is a slash command parsed once: its request, the command,
// the route it takes (nil when it names none) and why it does not parse.
type commandCall struct {
	req   CommandRequest
	cmd   Command
	route *commandRoute
	err   error
}

// parse parses a slash command by the router's grammar.
func (r *Router) parse(req CommandRequest) commandCall {
	c, rt, err := r.routes().commands.parse(req.Command, req.Text)
	return commandCall{req: req, cmd: c, route: rt, err: err}
}

// Acknowledge returns the immediate answer to a slow command, and true; for
// any other command (or one without a response URL to answer later) false.
func (r *Router) Acknowledge(ctx context.Context, req CommandRequest) (render.Message, bool) {
	return r.acknowledge(ctx, r.parse(req))
}

// acknowledge is Acknowledge for a parsed command. A slow command that
// will be refused at once (a malformed one, one that names no user or an
// experiment or team that does not exist) is not slow: its refusal is the
// answer.
func (r *Router) acknowledge(ctx context.Context, call commandCall) (render.Message, bool) {
	if call.err != nil || call.route == nil || call.route.ack == "" || call.req.ResponseURL == "" ||
		slackUser(call.req.UserID) != nil || !r.exists(ctx, call.cmd) {
		return render.Message{}, false
	}
	text := call.route.ack
	if strings.Contains(text, "%s") {
		text = fmt.Sprintf(text, render.Escape(call.cmd.Key))
	}
	return render.Reply(text), true
}

// exists reports whether the experiment or team a command names exists.
func (r *Router) exists(ctx context.Context, c Command) bool {
	return r.Service.Exists(ctx, c.Key, c.Team)
}

// Command answers a slash command. It always returns a reply: errors become
// replies here, never silence.
func (r *Router) Command(ctx context.Context, req CommandRequest) render.Message {
	return r.answer(ctx, r.parse(req))
}

// answer is Command for a parsed command.
func (r *Router) answer(ctx context.Context, call commandCall) render.Message {
	if err := slackUser(call.req.UserID); err != nil {
		return r.errorReply(ctx, err, Command{})
	}
	if call.err != nil {
		return r.errorReply(ctx, call.err, call.cmd)
	}
	msg, err := call.route.handle(r, ctx, call.req, call.cmd)
	if err != nil {
		return r.errorReply(ctx, err, call.cmd)
	}
	return msg
}

// slackUser refuses a request that names no Slack user: the domain lets
// its system actors ("cli", "scheduler") past team checks, so a payload
// must not be able to claim to be one.
func slackUser(id string) error {
	if !userIDPattern.MatchString(id) {
		return workflows.Errorf(workflows.EFORBIDDEN, "growthbot acts only for Slack users, and this request names none")
	}
	return nil
}

// errorReply is the one place where errors become words for Slack users:
// what went wrong, the usage line, and the closest experiment or team key
// when the user mistyped one. Internal errors are logged with a reference
// the user can quote; users never see their details.
func (r *Router) errorReply(ctx context.Context, err error, c Command) render.Message {
	var ue *UsageError
	if errors.As(err, &ue) {
		return render.Reply(":warning: " + render.Escape(ue.Message) + "\n```" + ue.Usage + "```")
	}
	code := workflows.ErrorCode(err)
	if code == workflows.EINTERNAL {
		ref := newRef()
		r.Log.Error("command failed", "ref", ref, "command", c.Name, "err", err)
		var de *workflows.Error
		if errors.As(err, &de) {
			return render.Reply(fmt.Sprintf(":x: %s (reference `%s`).", render.Escape(de.Error()), ref))
		}
		return render.Reply(fmt.Sprintf(":x: Something went wrong on our side; it has been logged (reference `%s`).", ref))
	}
	text := render.ErrorMrkdwn(err)
	if code == workflows.ENOTFOUND {
		if s := r.suggest(ctx, c); s != "" {
			text += fmt.Sprintf(". Did you mean `%s`?", s)
		}
	}
	icon := map[string]string{workflows.EFORBIDDEN: ":no_entry:", workflows.ECONFLICT: ":warning:"}[code]
	if icon == "" {
		icon = ":mag:"
	}
	msg := icon + " " + text
	// A usage line helps when the command was malformed or named something
	// unknown, not when it was refused or clashed with the state.
	if u := r.routes().commands.usage(c.Name); u != "" && (code == workflows.EINVALID || code == workflows.ENOTFOUND) {
		msg += "\n```" + u + "```"
	}
	return render.Reply(msg)
}

// suggest returns the experiment or team key closest to the one the command
// named, for a "did you mean" after a not-found error.
func (r *Router) suggest(ctx context.Context, c Command) string {
	return r.Service.Suggest(ctx, c.Key, c.Team)
}

func newRef() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// respond enqueues an ephemeral reply to a response URL.
func (r *Router) respond(ctx context.Context, url, key string, msg render.Message) error {
	if url == "" {
		return nil
	}
	body, err := msg.Rendered()
	if err != nil {
		return err
	}
	err = r.Service.Reply(ctx, workflows.Message{Key: key, Op: workflows.OpRespond, URL: url, Body: body})
	if err == nil && r.Notify != nil {
		r.Notify()
	}
	return err
}

// Wait waits for replies still being worked on after their commands were
// acknowledged.
func (r *Router) Wait() { r.background.Wait() }

func (r *Router) help(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	return r.routes().commands.help(strings.Fields(c.Name)[0]), nil
}

func (r *Router) list(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	exps, err := r.Service.ListExperiments(ctx, c.Team)
	if err != nil {
		return render.Message{}, err
	}
	teams, err := r.Service.Teams(ctx)
	if err != nil {
		return render.Message{}, err
	}
	names := map[string]string{}
	for _, t := range teams {
		names[t.Key] = cmp.Or(t.Name, t.Key)
	}
	return render.ExperimentList(r.Commands, names[c.Team], names, exps, r.Service.Now()), nil
}

func (r *Router) start(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	e, err := r.Service.StartExperiment(ctx, req.UserID, c.Key)
	if err != nil {
		return render.Message{}, err
	}
	return render.Reply(fmt.Sprintf(":rocket: *%s* is running: day 1 of %d, planned to end %s. Scorecards will follow in its thread.",
		render.Escape(e.Name), e.PlannedDays, render.SlackDate(e.EndsAt))), nil
}

func (r *Router) history(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	e, entries, err := r.Service.History(ctx, c.Key)
	if err != nil {
		return render.Message{}, err
	}
	return render.History(e, entries), nil
}

// userTeam returns the team a command without TEAM is about: the first team
// the user belongs to.
func (r *Router) userTeam(ctx context.Context, user string) (string, error) {
	return r.Service.DefaultTeam(ctx, user)
}

func (r *Router) goals(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	team := c.Team
	if team == "" {
		var err error
		if team, err = r.userTeam(ctx, req.UserID); err != nil {
			return render.Message{}, err
		}
	}
	list, err := r.Service.Goals(ctx, team, "")
	if err != nil {
		return render.Message{}, err
	}
	return render.Goals(r.Commands, list), nil
}

func (r *Router) goalAdd(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	g, err := r.Service.AddGoal(ctx, req.UserID, c.Team, c.Title, c.Owner, c.Quarter)
	if err != nil {
		return render.Message{}, err
	}
	return render.Reply(fmt.Sprintf(":dart: Goal #%d added for %s: *%s*, owned by <@%s>. Mark it with `%s goal done %d`.",
		g.ID, g.Quarter, render.Escape(g.Title), g.Owner, r.command("growth"), g.ID)), nil
}

func (r *Router) goalStatus(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	status := workflows.GoalDone
	if c.Name == "growth goal drop" {
		status = workflows.GoalDropped
	}
	g, err := r.Service.SetGoalStatus(ctx, req.UserID, c.GoalID, status)
	if err != nil {
		return render.Message{}, err
	}
	icon := map[workflows.GoalStatus]string{workflows.GoalDone: ":white_check_mark:", workflows.GoalDropped: ":wastebasket:"}[status]
	return render.Reply(fmt.Sprintf("%s Goal #%d, *%s*, is %s.", icon, g.ID, render.Escape(g.Title), g.Status)), nil
}

func (r *Router) kpis(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	now := r.Service.Now()
	if c.Team == "" {
		var err error
		if c.Team, err = r.userTeam(ctx, req.UserID); err != nil {
			return render.Message{}, err
		}
	}
	t, points, err := r.Service.KPIs(ctx, c.Team, workflows.Month(now.AddDate(0, -12, 0)), workflows.Month(now))
	if err != nil {
		return render.Message{}, err
	}
	return render.KPIs(t, points, now), nil
}

func (r *Router) status(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	sc, team, err := r.Service.Scorecard(ctx, c.Key)
	if err != nil {
		return render.Message{}, err
	}
	words, err := r.renderer()
	if err != nil {
		return render.Message{}, err
	}
	return words.Scorecard(workflows.ScorecardMessage{Scorecard: sc, Team: team, Buttons: true}), nil
}

func (r *Router) postScorecard(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	sc, team, err := r.Service.PostScorecard(ctx, req.UserID, c.Key)
	if err != nil {
		return render.Message{}, err
	}
	if r.Notify != nil {
		r.Notify()
	}
	return render.Reply(fmt.Sprintf(":bar_chart: Posted the scorecard of *%s* to its thread in <#%s>: %s.", render.Escape(sc.Experiment.Name),
		team.Channel, render.ScorecardHeadline(sc))), nil
}

// renderer returns the router's renderer.
func (r *Router) renderer() (*render.Renderer, error) { return r.words.Get(r.Renderer) }
