package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// Growth reviews in Slack: /growth review previews a team's review to its
// asker; "Post to channel" posts it once; the team lead's "Stay the
// course" and "Change course" (with a form asking what changes) decide.
const (
	callbackReviewChange = "review.change"
	// actionGoalDrop drops the goal whose id is the button's value.
	actionGoalDrop = "goal.drop"
	// actionGoalDone marks the goal whose id is the button's value done.
	actionGoalDone = "goal.done"
	changesBlock   = "changes"
)

// review previews a team's review of a month (the previous month by
// default) only to its asker, with a "Post to channel" button.
func (r *Router) review(ctx context.Context, req CommandRequest, c Command) (Message, error) {
	team := c.Team
	if team == "" {
		var err error
		if team, err = r.userTeam(ctx, req.UserID); err != nil {
			return Message{}, err
		}
	}
	rv, err := r.Service.Review(ctx, team, c.Period)
	if err != nil {
		return Message{}, err
	}
	words, err := r.renderer()
	if err != nil {
		return Message{}, err
	}
	return words.ReviewPreview(rv)
}

func (r *Router) notify() {
	if r.Notify != nil {
		r.Notify()
	}
}

// reviewAction adapts a review button's handler: the button's value names
// the team and month.
func reviewAction(h func(r *Router, ctx context.Context, cb slack.InteractionCallback, team, month string) (Message, error)) actionHandler {
	return func(r *Router, ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (Message, error) {
		team, month, err := workflows.ParseReviewRef(a.Value)
		if err != nil {
			return Message{}, err
		}
		return h(r, ctx, cb, team, month)
	}
}

func (r *Router) reviewPost(ctx context.Context, cb slack.InteractionCallback, team, month string) (Message, error) {
	t, err := r.Service.PostReview(ctx, cb.User.ID, team, month)
	if err != nil {
		return Message{}, err
	}
	r.notify()
	return reply(fmt.Sprintf(":white_check_mark: The %s review of %s is on its way to <#%s>. %s decides the course in its thread.",
		monthName(month), Escape(t.Name), t.Channel, owner(t.Lead))), nil
}

func (r *Router) reviewStay(ctx context.Context, cb slack.InteractionCallback, team, month string) (Message, error) {
	if _, err := r.Service.DecideReview(ctx, cb.User.ID, team, month, workflows.CourseStay, ""); err != nil {
		return Message{}, err
	}
	r.notify()
	return reply(fmt.Sprintf(":balance_scale: Recorded: stay the course after the %s review. It shows at the top of next month's.", monthName(month))), nil
}

// reviewChange checks that the presser may decide, then asks what changes
// in a form; the form's submission records the decision.
func (r *Router) reviewChange(ctx context.Context, cb slack.InteractionCallback, team, month string) (Message, error) {
	t, err := r.Service.CheckReviewDecision(ctx, cb.User.ID, team, month)
	if err != nil {
		return Message{}, err
	}
	if r.Views == nil || cb.TriggerID == "" {
		return reply("Changing course needs a form, which needs Slack."), nil
	}
	if err := r.Views.OpenView(ctx, cb.TriggerID, ReviewChangeModal(t, month)); err != nil {
		return Message{}, fmt.Errorf("open the change-course form: %w", err)
	}
	return Message{}, nil // the form is the answer
}

// ReviewChangeModal asks the team lead what changes after a review.
func ReviewChangeModal(t workflows.Team, month string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("What we stop, start or do differently, and why", 150), changesBlock)
	input.Multiline = true
	input.MaxLength = 2000
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackReviewChange,
		PrivateMetadata: workflows.ReviewRef(t.Key, month),
		Title:           plain("Change course", 24),
		Submit:          plain("Record", 24),
		Close:           plain("Cancel", 24),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			Section(fmt.Sprintf("*%s*: growth review of %s.", Escape(t.Name), monthName(month))),
			slack.NewInputBlock(changesBlock, plain("What changes?", 2000), nil, input),
			Context("The decision is posted in the review's thread and shown at the top of next month's review."),
		}},
	}
}

// submitReviewChange records a change of course; problems go back to the
// form.
func (r *Router) submitReviewChange(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	changes := strings.TrimSpace(cb.View.State.Values[changesBlock][changesBlock].Value)
	team, month, err := workflows.ParseReviewRef(cb.View.PrivateMetadata)
	if err == nil {
		_, err = r.Service.DecideReview(ctx, cb.User.ID, team, month, workflows.CourseChange, changes)
	}
	if err != nil {
		msg := r.errorReply(ctx, err, Command{}).Text
		return slack.NewErrorsViewSubmissionResponse(map[string]string{changesBlock: truncate(msg, 2000)})
	}
	r.notify()
	return nil
}

// goalDrop drops a goal from a button on the goals list.
// goalButton marks the goal whose id is the button's value done or dropped.
func goalButton(status workflows.GoalStatus) actionHandler {
	return func(r *Router, ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (Message, error) {
		id, err := strconv.ParseInt(a.Value, 10, 64)
		if err != nil || id < 1 {
			return Message{}, workflows.Errorf(workflows.EINVALID, "%q is not a goal ID", a.Value)
		}
		g, err := r.Service.SetGoalStatus(ctx, cb.User.ID, id, status)
		if err != nil {
			return Message{}, err
		}
		return reply(fmt.Sprintf("%s Goal #%d, *%s*, is %s.", goalIcons[g.Status], g.ID, Escape(g.Title), goalStatusWords[g.Status])), nil
	}
}
