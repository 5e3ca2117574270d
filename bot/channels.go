package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// Channels makes sure growthbot can work in every team channel. With
// chat:write.public a post reaches a public channel the bot is not in, but
// sharing a chart there, and reading the history to check a delivery cut
// off by a crash, need the bot in the channel; a private channel needs it
// invited for anything at all. So serve checks each team channel with
// conversations.info when it starts and whenever `growthbot apply` adds or
// changes one: it joins public channels (channels:join), and for one it
// cannot see or join it logs what to do and says so in the App Home of the
// team's people ("invite @growthbot to #x").
type Channels struct {
	Slack *slack.Client
	// Service says which teams there are (*workflows.Service does).
	Service interface {
		Teams(ctx context.Context) ([]workflows.Team, error)
	}
	Log *slog.Logger
	// Poll is how often the teams are read again (default
	// workflows.DefaultSchedulerTick).
	Poll time.Duration
	// Recheck is how often a channel with a problem is looked at again,
	// in case someone invited the bot (default 10 minutes).
	Recheck time.Duration

	mu       sync.Mutex
	ok       map[string]bool      // channels checked and usable
	problems map[string]string    // channel → what to do about it
	next     map[string]time.Time // channel with a problem → when to look again
}

// Run checks the team channels until ctx is done: all of them at start,
// then each new one within Poll, and those with a problem every Recheck.
func (c *Channels) Run(ctx context.Context) error {
	poll := c.Poll
	if poll <= 0 {
		poll = workflows.DefaultSchedulerTick
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := c.CheckTeams(ctx); err != nil && ctx.Err() == nil {
			c.Log.Error("channels: read the teams", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// CheckTeams checks each team channel not checked yet, and those with a
// problem whose recheck is due.
func (c *Channels) CheckTeams(ctx context.Context) error {
	teams, err := c.Service.Teams(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.ok == nil {
		c.ok, c.problems, c.next = map[string]bool{}, map[string]string{}, map[string]time.Time{}
	}
	c.mu.Unlock()
	seen := map[string]bool{}
	for _, t := range teams {
		if seen[t.Channel] || t.Channel == "" {
			continue
		}
		seen[t.Channel] = true
		c.mu.Lock()
		due := !c.ok[t.Channel] && !time.Now().Before(c.next[t.Channel])
		c.mu.Unlock()
		if due {
			c.check(ctx, t)
		}
	}
	// A channel no team uses any more is no longer a problem.
	c.mu.Lock()
	maps.DeleteFunc(c.problems, func(ch, _ string) bool { return !seen[ch] })
	c.mu.Unlock()
	return nil
}

// check looks at one channel and joins it when it is public and the bot is
// not in it.
func (c *Channels) check(ctx context.Context, t workflows.Team) {
	log := c.Log.With("channel", t.Channel, "team", t.Key)
	info, err := c.Slack.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: t.Channel})
	var problem string
	switch {
	case slackCode(err) == "channel_not_found":
		problem = fmt.Sprintf("Invite @growthbot to <#%s> (type `/invite @growthbot` there): growthbot cannot see this channel "+
			"of team %s, so it can post nothing there. If the channel is not private, check its id in the config.", t.Channel, render.Escape(t.Name))
	case slackCode(err) != "":
		problem = fmt.Sprintf("growthbot cannot check <#%s>, the channel of team %s: Slack answered %s.", t.Channel, render.Escape(t.Name),
			slackCode(err))
	case err != nil:
		log.Warn("channels: could not check the channel; trying again later", "err", err)
		c.retryLater(t.Channel, "")
		return
	case info.IsArchived:
		problem = fmt.Sprintf("<#%s>, the channel of team %s, is archived: give the team a new channel in the config.",
			t.Channel, render.Escape(t.Name))
	case !info.IsMember && info.IsPrivate:
		problem = fmt.Sprintf("Invite @growthbot to <#%s> (type `/invite @growthbot` there): it is the private channel of team %s.",
			t.Channel, render.Escape(t.Name))
	case !info.IsMember:
		if _, _, _, err := c.Slack.JoinConversationContext(ctx, t.Channel); err != nil {
			problem = fmt.Sprintf("Invite @growthbot to <#%s> (type `/invite @growthbot` there): growthbot could not join "+
				"this channel of team %s (%v).", t.Channel, render.Escape(t.Name), err)
			break
		}
		log.Info("channels: joined the team channel", "name", info.Name)
	}
	if problem != "" {
		log.Warn("channels: " + problem)
		c.retryLater(t.Channel, problem)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ok[t.Channel] = true
	delete(c.problems, t.Channel)
	delete(c.next, t.Channel)
}

// retryLater notes a problem (or none, for a failure to ask) and when to
// look at the channel again.
func (c *Channels) retryLater(channel, problem string) {
	recheck := c.Recheck
	if recheck <= 0 {
		recheck = 10 * time.Minute
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if problem != "" {
		c.problems[channel] = problem
	}
	c.next[channel] = time.Now().Add(recheck)
}

// Problems returns what stops growthbot in each channel that has a
// problem, by channel id.
func (c *Channels) Problems() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.problems)
}

// slackCode returns the error code of a Slack ok:false answer, "" for any
// other error.
func slackCode(err error) string {
	se, _ := errors.AsType[slack.SlackErrorResponse](err)
	return se.Err
}

// channelProblems returns the problems of the channels of these teams, in
// team order.
func channelProblems(problems map[string]string, teams []workflows.Team) []string {
	var out []string
	for _, t := range teams {
		if p, ok := problems[t.Channel]; ok && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
