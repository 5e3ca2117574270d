package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// The routes of the Slack adapter: every slash command, button and form
// is declared once below, with everything that concerns it. The router
// builds its lookup tables from these declarations when it is first used;
// nothing fills a package-level map, so a route cannot be half-wired.

// commandHandler answers one parsed command with an ephemeral reply.
type commandHandler func(r *Router, ctx context.Context, req CommandRequest, c Command) (render.Message, error)

// commandRoute declares one slash command.
type commandRoute struct {
	root    string // the grammar's command: "exp" or "growth", whatever it is installed as
	sub     string // the subcommand: "ship", "goal add"
	args    string // the usage after the subcommand: "KEY [VARIANT] [-- REASON]"
	summary string // what the help says it does
	reason  bool   // whether it takes "-- REASON"
	parse   func(p *parser, c *Command) error
	handle  commandHandler
	// ack, for a command that runs an analysis or assembles a review
	// (tens of milliseconds or more), is the immediate answer to Slack;
	// the reply follows through the response URL, so the acknowledgement
	// stays fast however large the data. %s is the experiment key.
	ack string
}

func (rt *commandRoute) name() string { return rt.root + " " + rt.sub }

// commandRoutes is the slash-command grammar users and docs rely on, in
// the order the help lists it.
func commandRoutes() []commandRoute {
	return []commandRoute{
		{root: "exp", sub: "help", summary: "this list", handle: (*Router).help},
		{root: "exp", sub: "list", args: "[TEAM]", summary: "experiments and their state", parse: parseTeam, handle: (*Router).list},
		{root: "exp", sub: "new", summary: "define an experiment in a form", handle: (*Router).newExperiment},
		{root: "exp", sub: "status", args: "KEY", summary: "the scorecard, only to you", parse: parseKey, handle: (*Router).status,
			ack: ":hourglass_flowing_sand: Working out the scorecard of `%s`; it appears here in a moment."},
		{root: "exp", sub: "scorecard", args: "KEY", summary: "post the scorecard to the experiment's thread", parse: parseKey, handle: (*Router).postScorecard,
			ack: ":hourglass_flowing_sand: Working out the scorecard of `%s` to post it in its thread."},
		{root: "exp", sub: "start", args: "KEY", summary: "start a draft experiment", parse: parseKey, handle: (*Router).start},
		{root: "exp", sub: "ship", args: "KEY [VARIANT] [-- REASON]", summary: "ship a variant to everyone", reason: true, parse: parseShip, handle: (*Router).decide},
		{root: "exp", sub: "extend", args: "KEY DAYS [-- REASON]", summary: "run longer", reason: true, parse: parseExtend, handle: (*Router).decide},
		{root: "exp", sub: "kill", args: "KEY [-- REASON]", summary: "stop now; everyone gets the control", reason: true, parse: parseKey, handle: (*Router).decide},
		{root: "exp", sub: "rollout", args: "KEY PERCENT|pause|resume|advance", summary: "steer a phased rollout", parse: parseRollout, handle: (*Router).rollout},
		{root: "exp", sub: "history", args: "KEY", summary: "every change: who, when, what and why", parse: parseKey, handle: (*Router).history},
		{root: "growth", sub: "help", summary: "this list", handle: (*Router).help},
		{root: "growth", sub: "review", args: "[TEAM] [YYYY-MM]", summary: "preview the monthly growth review, only to you", parse: parseTeamMonth, handle: (*Router).review,
			ack: ":hourglass_flowing_sand: Putting the growth review together; it appears here in a moment."},
		{root: "growth", sub: "goals", args: "[TEAM]", summary: "the quarter's goals", parse: parseTeam, handle: (*Router).goals},
		{root: "growth", sub: "goal add", args: `TEAM "TITLE" [@OWNER] [QUARTER]`, summary: "add a goal (the quarter defaults to this one)", parse: parseGoalAdd, handle: (*Router).goalAdd},
		{root: "growth", sub: "goal done", args: "ID", summary: "mark a goal done", parse: parseGoalID, handle: (*Router).goalStatus},
		{root: "growth", sub: "goal drop", args: "ID", summary: "drop a goal", parse: parseGoalID, handle: (*Router).goalStatus},
		{root: "growth", sub: "kpi", args: "[TEAM]", summary: "the team's KPIs, month by month (your team unless named)", parse: parseTeam, handle: (*Router).kpis},
		{root: "growth", sub: "program", args: "[TEAM] [YYYY-MM]", summary: "the experiment program: started, decided, win rate, speed, impact", parse: parseTeamMonth, handle: (*Router).program},
	}
}

// actionHandler answers a button press; the reply goes to the presser only.
type actionHandler func(r *Router, ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (render.Message, error)

// actionRoute declares one button by its action id.
type actionRoute struct {
	id     string
	handle actionHandler
}

// actionRoutes are the buttons of growthbot's messages.
func actionRoutes() []actionRoute {
	return []actionRoute{
		{render.ActionApprove, decisionButton(func(r *Router, ctx context.Context, user string, id int64) (workflows.Decision, error) {
			return r.Service.Approve(ctx, user, id)
		})},
		{render.ActionReject, decisionButton(func(r *Router, ctx context.Context, user string, id int64) (workflows.Decision, error) {
			return r.Service.Reject(ctx, user, id, "")
		})},
		{render.ActionWithdraw, decisionButton(func(r *Router, ctx context.Context, user string, id int64) (workflows.Decision, error) {
			return r.Service.Withdraw(ctx, user, id)
		})},
		{render.ActionShip, requestButton(workflows.ActionShip)},
		{render.ActionExtend, requestButton(workflows.ActionExtend)},
		{render.ActionKill, requestButton(workflows.ActionKill)},
		{render.ActionShipVariant, (*Router).shipVariant},
		{render.ActionRolloutPause, rolloutButton(workflows.RolloutPause)},
		{render.ActionRolloutResume, rolloutButton(workflows.RolloutResume)},
		{render.ActionReviewPost, reviewAction((*Router).reviewPost)},
		{render.ActionReviewStay, reviewAction((*Router).reviewStay)},
		{render.ActionReviewChange, reviewAction((*Router).reviewChange)},
		{render.ActionGoalDone, goalButton(workflows.GoalDone)},
		{render.ActionGoalDrop, goalButton(workflows.GoalDropped)},
	}
}

// submissionHandler handles a modal's submission; a response keeps the
// modal open with errors.
type submissionHandler func(r *Router, ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse

// submissionRoute declares one form by its callback id.
type submissionRoute struct {
	callbackID string
	handle     submissionHandler
}

// submissionRoutes are the forms growthbot opens.
func submissionRoutes() []submissionRoute {
	return []submissionRoute{
		{render.CallbackNewExperiment, (*Router).submitNewExperiment},
		{render.CallbackReviewChange, (*Router).submitReviewChange},
	}
}

// routeTable is the router's lookup tables, built once from the
// declarations and never changed.
type routeTable struct {
	commands    *commandTable
	actions     map[string]actionHandler
	submissions map[string]submissionHandler
}

func newRouteTable(names render.CommandNames) *routeTable {
	t := &routeTable{commands: newCommandTable(names), actions: map[string]actionHandler{},
		submissions: map[string]submissionHandler{}}
	for _, a := range actionRoutes() {
		t.actions[a.id] = a.handle
	}
	for _, s := range submissionRoutes() {
		t.submissions[s.callbackID] = s.handle
	}
	return t
}

// commandTable is the grammar under the names the commands are installed as.
type commandTable struct {
	names  render.CommandNames
	routes []commandRoute
	byName map[string]*commandRoute // "exp ship"
	roots  map[string]string        // installed name without its slash → "exp" or "growth"
	groups map[string]bool          // "growth goal": a word that opens two-word subcommands
	// reasonNote refuses a reason to a command that takes none.
	reasonNote string
}

func newCommandTable(names render.CommandNames) *commandTable {
	names = names.Resolved()
	t := &commandTable{names: names, routes: commandRoutes(), byName: map[string]*commandRoute{}, groups: map[string]bool{},
		roots: map[string]string{strings.TrimPrefix(names.Exp, "/"): "exp", strings.TrimPrefix(names.Growth, "/"): "growth"}}
	var withReason []string
	for i := range t.routes {
		rt := &t.routes[i]
		t.byName[rt.name()] = rt
		if first, _, two := strings.Cut(rt.sub, " "); two {
			t.groups[rt.root+" "+first] = true
		}
		if rt.reason {
			withReason = append(withReason, rt.sub)
		}
	}
	t.reasonNote = "only " + andList(withReason) + " take a reason after --"
	return t
}

// andList joins words as a sentence does: "a, b and c".
func andList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// usage returns the usage line of a command name ("exp ship"), or "".
func (t *commandTable) usage(name string) string {
	rt := t.byName[name]
	if rt == nil {
		return ""
	}
	line := t.names.Of(rt.root) + " " + rt.sub
	if rt.args != "" {
		line += " " + rt.args
	}
	return line
}

// help lists the commands of one root ("exp" or "growth").
func (t *commandTable) help(root string) render.Message {
	var b strings.Builder
	for i := range t.routes {
		if rt := &t.routes[i]; rt.root == root {
			fmt.Fprintf(&b, "`%s`  %s\n", t.usage(rt.name()), rt.summary)
		}
	}
	title := map[string]string{"exp": "Experiments: run, read, decide", "growth": "Growth reviews, goals and KPIs"}[root]
	return render.Message{Text: "growthbot: " + t.names.Of(root) + " commands", Blocks: []slack.Block{
		render.Header(title), render.Section(b.String()),
		render.Context("Decisions happen in each experiment's thread. Anything you type after `--` is recorded as the reason."),
	}}
}

// RenderHelp lists the commands of /exp or /growth ("exp" or "growth"),
// installed under their usual names.
func RenderHelp(root string) render.Message { return newCommandTable(render.CommandNames{}).help(root) }
