package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// Home is what a user's App Home shows: their teams, the running
// experiments of those teams, and the decisions waiting for them.
type Home struct {
	User      string
	Teams     []workflows.Team
	Running   []workflows.Experiment
	Decisions []workflows.Decision // pending, that the user may approve
	// Problems say what stops growthbot in the channels of the user's
	// teams, e.g. "invite @growthbot to #x".
	Problems []string
	Now      time.Time
	Settings workflows.Settings
	// Commands are the slash commands' names in this workspace.
	Commands CommandNames
}

// HomeOpened publishes the user's App Home.
func (r *Router) HomeOpened(ctx context.Context, user string) error {
	if r.Views == nil {
		return nil
	}
	h, err := r.home(ctx, user)
	if err != nil {
		return err
	}
	return r.Views.PublishView(ctx, user, RenderHome(h))
}

func (r *Router) home(ctx context.Context, user string) (Home, error) {
	d, err := r.Service.Home(ctx, user)
	if err != nil {
		return Home{}, err
	}
	h := Home{User: d.User, Teams: d.Teams, Running: d.Running, Decisions: d.Decisions, Now: d.Now, Settings: d.Settings,
		Commands: r.Commands}
	if r.ChannelProblems != nil {
		h.Problems = channelProblems(r.ChannelProblems(), h.Teams)
	}
	return h, nil
}

// RenderHome renders a user's App Home.
func RenderHome(h Home) slack.HomeTabViewRequest {
	commands := h.Commands.resolved()
	blocks := []slack.Block{Header("growthbot")}
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
	blocks = append(blocks, Divider(), Header("Waiting for your decision"))
	if len(h.Decisions) == 0 {
		blocks = append(blocks, Section("Nothing is waiting for you."))
	}
	for _, d := range h.Decisions {
		line := fmt.Sprintf(":hourglass_flowing_sand: *%s* `%s`, requested by <@%s> %s", d.Action, d.Experiment, d.Requester, slackDate(d.CreatedAt))
		if d.Reason != "" {
			line += "\n> " + Escape(d.Reason)
		}
		blocks = append(blocks, Section(line))
	}
	blocks = append(blocks, Divider(), Header("Running experiments"))
	if len(h.Running) == 0 {
		blocks = append(blocks, Section("No experiment of your teams is running. `"+commands.Exp+" list` shows them all."))
	}
	for _, e := range h.Running {
		blocks = append(blocks, Section(fmt.Sprintf("%s *%s* `%s`: %s, %s", stateIcons[e.State], Escape(e.Name), e.Key,
			describeProgress(e, h.Now), owner(e.Owner))))
	}
	blocks = append(blocks, Context("`"+commands.Exp+" help` and `"+commands.Growth+" help` list the commands."))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: Fit(blocks, MaxViewBlocks)}}
}
