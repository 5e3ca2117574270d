package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// Home is what a user's App Home shows: their teams, the running
// experiments of those teams, and the decisions waiting for them.
type Home struct {
	User    string
	Teams   []workflows.Team
	Running []workflows.Experiment
	// Waiting are the pending decisions of the user's teams.
	Waiting []workflows.HomeDecision
	// Workspace is the workspace's address (auth.test's url), for links to
	// messages; empty until known, when links name the channel instead.
	Workspace string
	// Notice, when set, says at the top what a button pressed here did.
	Notice string
	// Problems say what stops growthbot in the channels of the user's
	// teams, e.g. "invite @growthbot to #x".
	Problems []string
	Now      time.Time
	Settings workflows.Settings
	// Commands are the slash commands' names in this workspace.
	Commands CommandNames
}

// permalink links to a message, in its thread when it is a reply; without
// the workspace's address, it names the channel.
func permalink(workspace, channel, ts, thread, label string) string {
	if workspace == "" || !strings.HasPrefix(workspace, "https://") || ts == "" {
		return label + " in <#" + channel + ">"
	}
	u := strings.TrimSuffix(workspace, "/") + "/archives/" + channel + "/p" + strings.Replace(ts, ".", "", 1)
	if thread != "" && thread != ts {
		u += "?thread_ts=" + thread + "&amp;cid=" + channel
	}
	return "<" + u + "|" + label + ">"
}

// HomeView renders a user's App Home.
func HomeView(h Home) slack.HomeTabViewRequest {
	commands := h.Commands.Resolved()
	blocks := []slack.Block{Header("growthbot")}
	if h.Notice != "" {
		blocks = append(blocks, Section(h.Notice))
	}
	if len(h.Teams) == 0 {
		blocks = append(blocks, Section("You are not in any team yet. Your operator adds people to teams in the config file."))
	} else {
		var names []string
		for _, t := range h.Teams {
			role := "member"
			switch {
			case t.Lead == h.User:
				role = "lead"
			case t.IsApprover(h.User):
				role = "approver"
			}
			names = append(names, fmt.Sprintf("*%s* (%s, <#%s>)", Escape(t.Name), role, t.Channel))
		}
		blocks = append(blocks, Section("Your teams: "+strings.Join(names, ", ")))
		for _, t := range h.Teams {
			if t.TooBig(h.Settings) {
				blocks = append(blocks, Context(fmt.Sprintf(":warning: *%s* has %d people, more than the limit of %d (`settings.max_team_size`): small teams decide faster.",
					Escape(t.Name), len(t.People()), h.Settings.WithDefaults().MaxTeamSize)))
			}
		}
	}
	for _, p := range h.Problems {
		blocks = append(blocks, Section(":warning: "+p))
	}
	blocks = append(blocks, Divider(), Header("Decisions waiting"))
	if len(h.Waiting) == 0 {
		blocks = append(blocks, Section("No decision of your teams is waiting."))
	}
	for _, w := range h.Waiting {
		blocks = append(blocks, homeDecision(w, h.Workspace)...)
	}
	blocks = append(blocks, Divider(), Header("Running experiments"))
	if len(h.Running) == 0 {
		blocks = append(blocks, Section("No experiment of your teams is running. `"+commands.Exp+" list` shows them all."))
	}
	for _, e := range h.Running {
		blocks = append(blocks, Section(fmt.Sprintf("%s *%s* `%s`: %s, %s", stateIcons[e.State], Escape(e.Name), e.Key,
			describeProgress(e, h.Now), Owner(e.Owner))))
	}
	blocks = append(blocks, Context("`"+commands.Exp+" help` and `"+commands.Growth+" help` list the commands."))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: Fit(blocks, MaxViewBlocks)}}
}

// homeDecision shows a waiting decision with a link to its request in the
// experiment's thread, and the buttons the user may press: Approve and
// Reject for an approver, Withdraw for the one who asked.
func homeDecision(w workflows.HomeDecision, workspace string) []slack.Block {
	d, e := w.Decision, w.Experiment
	id := strconv.FormatInt(d.ID, 10)
	line := fmt.Sprintf(":hourglass_flowing_sand: *%s* (`%s`): %s, asked by %s %s", Escape(e.Name), e.Key, Escape(d.Title()),
		Owner(d.Requester), SlackDate(d.CreatedAt))
	if d.Reason != "" {
		line += "\n> " + Escape(d.Reason)
	}
	var who string
	switch {
	case w.MayApprove:
		who = "It waits for you or another approver."
	case w.Mine:
		who = "You asked; the approvers decide."
	default:
		who = "It waits for the team's approvers."
	}
	if w.Request.TS != "" {
		line += "\n" + who + " " + permalink(workspace, w.Request.Channel, w.Request.TS, w.Thread, "Open the request") + "."
	} else {
		line += "\n" + who + " The request is on its way to the experiment's thread."
	}
	blocks := []slack.Block{Section(line)}
	switch {
	case w.MayApprove:
		blocks = append(blocks, Actions("home-decision:"+id, Button("Approve", ActionApprove, id, StylePrimary),
			Button("Reject", ActionReject, id, StyleDanger)))
	case w.Mine:
		blocks = append(blocks, Actions("home-decision:"+id, WithdrawButton(d)))
	}
	return blocks
}
