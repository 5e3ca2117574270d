package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// Decisions and rollouts in Slack: the /exp ship, extend, kill and rollout
// commands, the buttons of decision requests, scorecards and rollout
// alerts, and the messages that show them.

// requestButton handles Ship, Extend 7 days and Kill on a scorecard or an
// alert: the value is the experiment key.
func requestButton(action workflows.Action) actionHandler {
	return experimentButton(func(r *Router, ctx context.Context, user, key string) (render.Message, error) {
		return r.requestDecision(ctx, user, key, action, "", render.DefaultExtensionDays, "")
	})
}

// shipVariant handles "Ship VARIANT" on an experiment with several
// treatments: the value is "KEY VARIANT".
func (r *Router) shipVariant(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (render.Message, error) {
	key, variant, _ := strings.Cut(a.Value, " ")
	return r.later(ctx, cb, a, func(ctx context.Context) (render.Message, error) {
		return r.requestDecision(ctx, cb.User.ID, key, workflows.ActionShip, variant, 0, "")
	})
}

// rolloutButton handles Pause and Resume on a rollout alert.
func rolloutButton(op workflows.RolloutOp) actionHandler {
	return experimentButton(func(r *Router, ctx context.Context, user, key string) (render.Message, error) {
		return r.steerRollout(ctx, user, key, op, 0)
	})
}

// decide answers /exp ship, /exp extend and /exp kill.
func (r *Router) decide(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	action := workflows.Action(strings.TrimPrefix(c.Name, "exp "))
	return r.requestDecision(ctx, req.UserID, c.Key, action, c.Variant, c.Days, c.Reason)
}

func (r *Router) requestDecision(ctx context.Context, user, key string, action workflows.Action, variant string, days int, reason string) (render.Message, error) {
	d, err := r.Service.RequestDecision(ctx, user, key, action, variant, days, reason)
	if err != nil {
		return render.Message{}, err
	}
	r.wake()
	switch {
	case d.Action == workflows.ActionKill:
		return render.Reply(fmt.Sprintf(":no_entry_sign: Killed `%s`: everyone gets the control now. Its thread asks the owner for a short post-mortem.", d.Experiment)), nil
	case d.State == workflows.DecisionApplied:
		return render.Reply(fmt.Sprintf(":white_check_mark: Done: %s. The data settles it (the framework recommends the same and no guardrail fails), so no approval was needed.",
			render.DecisionWhat(d))), nil
	}
	text := fmt.Sprintf(":hourglass_flowing_sand: Decision #%d to %s waits for %s in the experiment's thread; the approvers are mentioned there.",
		d.ID, render.DecisionWhat(d), render.ApprovalCount(d.RequiredApprovals))
	return render.Reply(text, render.Section(text), render.Actions(fmt.Sprintf("withdraw:%d", d.ID), render.WithdrawButton(d))), nil
}

// rollout answers /exp rollout KEY pause|resume|advance|PERCENT.
func (r *Router) rollout(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	op := workflows.RolloutOp(c.RolloutOp)
	if op == "" {
		op = workflows.RolloutSet
	}
	return r.steerRollout(ctx, req.UserID, c.Key, op, c.Percent)
}

func (r *Router) steerRollout(ctx context.Context, user, key string, op workflows.RolloutOp, percent float64) (render.Message, error) {
	e, err := r.Service.SteerRollout(ctx, user, key, op, percent)
	if err != nil {
		return render.Message{}, err
	}
	r.wake()
	state := ""
	if e.RolloutPaused {
		state = ", paused"
	}
	return render.Reply(fmt.Sprintf(":white_check_mark: The rollout of *%s* is at %s %% (step %d of %d%s); its thread says so too.",
		render.Escape(e.Name), render.FormatPercent(e.RolloutPercent), e.RolloutStep+1, len(e.RolloutPlan), state)), nil
}

// decisionButton handles Approve and Reject, whose value is the decision id.
func decisionButton(act func(r *Router, ctx context.Context, user string, id int64) (workflows.Decision, error)) actionHandler {
	return func(r *Router, ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (render.Message, error) {
		id, err := strconv.ParseInt(a.Value, 10, 64)
		if err != nil {
			return render.Message{}, workflows.Errorf(workflows.EINVALID, "that button names no decision (%q)", a.Value)
		}
		return r.later(ctx, cb, a, func(ctx context.Context) (render.Message, error) {
			d, err := act(r, ctx, cb.User.ID, id)
			if err != nil {
				return render.Message{}, err
			}
			r.wake()
			return settledReply(cb.User.ID, d), nil
		})
	}
}

func settledReply(user string, d workflows.Decision) render.Message {
	switch d.State {
	case workflows.DecisionApplied:
		return render.Reply(fmt.Sprintf(":white_check_mark: You approved decision #%d to %s: it is applied.", d.ID, render.DecisionWhat(d)))
	case workflows.DecisionRejected:
		verb := "rejected"
		if d.RejectedBy == d.Requester {
			verb = "withdrew"
		}
		return render.Reply(fmt.Sprintf(":x: You %s decision #%d to %s; the experiment keeps running.", verb, d.ID, render.DecisionWhat(d)))
	}
	left := d.RequiredApprovals - len(d.Approvals)
	return render.Reply(fmt.Sprintf(":white_check_mark: You approved decision #%d to %s; it waits for %s more.", d.ID, render.DecisionWhat(d), render.ApprovalCount(left)))
}

// experimentButton handles a button whose value is an experiment key.
func experimentButton(act func(r *Router, ctx context.Context, user, key string) (render.Message, error)) actionHandler {
	return func(r *Router, ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (render.Message, error) {
		return r.later(ctx, cb, a, func(ctx context.Context) (render.Message, error) { return act(r, ctx, cb.User.ID, a.Value) })
	}
}

// later does a button's work after the press is acknowledged, and answers
// the presser through the outbox. Decisions analyse the experiment first,
// which can take longer than the three seconds Slack waits. Shutdown waits
// for the work.
func (r *Router) later(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, work func(ctx context.Context) (render.Message, error)) (render.Message, error) {
	r.background.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		msg, err := work(ctx)
		if err != nil {
			msg = r.errorReply(ctx, err, Command{})
		}
		if cb.View.Type == slack.VTHomeTab && cb.ResponseURL == "" {
			// Pressed in App Home: no message to answer in; the home shows
			// what happened, with the decision gone from its list.
			if err := r.publishHome(ctx, cb.User.ID, msg.Text); err != nil {
				r.Log.Error("publish App Home after a button", "action_id", a.ActionID, "err", err)
			}
			return
		}
		key := fmt.Sprintf("action:%s:%s:%s", cb.TriggerID, a.ActionID, a.ActionTs)
		if err := r.reply(ctx, cb, key, msg); err != nil {
			r.Log.Error("reply to a button", "action_id", a.ActionID, "err", err)
		}
	})
	return render.Message{}, nil
}

// wake tells the outbox something was enqueued.
func (r *Router) wake() {
	if r.Notify != nil {
		r.Notify()
	}
}
