package bot

import (
	"context"

	"github.com/growthbot/growthbot/bot/render"
)

// HomeOpened publishes the user's App Home.
func (r *Router) HomeOpened(ctx context.Context, user string) error {
	return r.publishHome(ctx, user, "")
}

// publishHome publishes the user's App Home, with a notice at the top when
// set: what a button pressed in it did, since a press there has no
// message to answer in.
func (r *Router) publishHome(ctx context.Context, user, notice string) error {
	if r.Views == nil {
		return nil
	}
	h, err := r.home(ctx, user)
	if err != nil {
		return err
	}
	h.Notice = notice
	return r.Views.PublishView(ctx, user, render.HomeView(h))
}

// SetWorkspaceURL records the workspace's address, as auth.test gives it
// ("https://acme.slack.com/"), for links to messages.
func (r *Router) SetWorkspaceURL(u string) { r.workspace.Store(&u) }

func (r *Router) workspaceURL() string {
	if u := r.workspace.Load(); u != nil {
		return *u
	}
	return ""
}

func (r *Router) home(ctx context.Context, user string) (render.Home, error) {
	d, err := r.Service.Home(ctx, user)
	if err != nil {
		return render.Home{}, err
	}
	h := render.Home{User: d.User, Teams: d.Teams, Running: d.Running, Waiting: d.Waiting, Now: d.Now, Settings: d.Settings,
		Commands: r.Commands, Workspace: r.workspaceURL()}
	if r.ChannelProblems != nil {
		h.Problems = channelProblems(r.ChannelProblems(), h.Teams)
	}
	return h, nil
}
