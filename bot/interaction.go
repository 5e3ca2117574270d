package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// Interaction handles a button press or a modal submission. For a
// submission it may return a response that keeps the modal open with errors.
func (r *Router) Interaction(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		// One press is one action; a payload with several is not one Slack
		// sends, and running them all would let one request do many things.
		if n := len(cb.ActionCallback.BlockActions); n != 1 {
			r.Log.Warn("refused an interaction that does not carry exactly one action", "actions", n)
			if n > 1 {
				r.reply(ctx, cb, "refused:"+cb.TriggerID, render.Reply(":warning: One button at a time, please: nothing was done."))
			}
			return nil
		}
		r.action(ctx, cb, cb.ActionCallback.BlockActions[0])
	case slack.InteractionTypeViewSubmission:
		if err := slackUser(cb.User.ID); err != nil {
			r.Log.Warn("refused a form submitted by no Slack user", "callback_id", cb.View.CallbackID)
			return nil
		}
		if cb.View.State == nil {
			// Slack always sends the state; a submission without it has no
			// values, and the handlers must not dereference nil.
			cb.View.State = &slack.ViewState{}
		}
		if h := r.routes().submissions[cb.View.CallbackID]; h != nil {
			return h(r, ctx, cb)
		}
		r.Log.Warn("submission of an unknown form", "callback_id", cb.View.CallbackID)
	}
	return nil
}

func (r *Router) action(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	h := r.routes().actions[a.ActionID]
	var msg render.Message
	if err := slackUser(cb.User.ID); err != nil {
		msg = r.errorReply(ctx, err, Command{})
	} else if h == nil {
		r.Log.Warn("press of an unknown button", "action_id", a.ActionID)
		msg = render.Reply(":warning: That button belongs to an older version of this message and does nothing now.")
	} else if m, err := h(r, ctx, cb, a); err != nil {
		msg = r.errorReply(ctx, err, Command{})
	} else {
		msg = m
	}
	if len(msg.Blocks) == 0 && msg.Text == "" {
		return
	}
	key := fmt.Sprintf("action:%s:%s:%s", cb.TriggerID, a.ActionID, a.ActionTs)
	if err := r.reply(ctx, cb, key, msg); err != nil {
		r.Log.Error("reply to a button", "action_id", a.ActionID, "err", err)
	}
}

// reply answers an interaction: through its response URL when it has one,
// else as an ephemeral message in its channel.
func (r *Router) reply(ctx context.Context, cb slack.InteractionCallback, key string, msg render.Message) error {
	if cb.ResponseURL != "" {
		return r.respond(ctx, cb.ResponseURL, key, msg)
	}
	return r.ephemeral(ctx, cb.Channel.ID, cb.User.ID, key, msg)
}

// ephemeral enqueues a message only user sees in channel.
func (r *Router) ephemeral(ctx context.Context, channel, user, key string, msg render.Message) error {
	if channel == "" || user == "" {
		return nil
	}
	body, err := msg.Rendered()
	if err != nil {
		return err
	}
	err = r.Service.Reply(ctx, workflows.Message{Key: key, Op: workflows.OpEphemeral, Channel: channel, User: user, Body: body})
	if err == nil && r.Notify != nil {
		r.Notify()
	}
	return err
}

// respondInChannel tells user something in channel, only to them.
func (r *Router) respondInChannel(ctx context.Context, channel, user, text string) error {
	return r.ephemeral(ctx, channel, user, "ephemeral:"+newRef(), render.Reply(text))
}
