package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// Growth reviews in Slack: /growth review previews a team's review to its
// asker; "Post to channel" posts it once; the team lead's "Stay the
// course" and "Change course" (with a form asking what changes) decide.

// review previews a team's review of a month (the previous month by
// default) only to its asker, with a "Post to channel" button.
func (r *Router) review(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	team := c.Team
	if team == "" {
		var err error
		if team, err = r.userTeam(ctx, req.UserID); err != nil {
			return render.Message{}, err
		}
	}
	rv, err := r.Service.Review(ctx, team, c.Period)
	if err != nil {
		return render.Message{}, err
	}
	words, err := r.renderer()
	if err != nil {
		return render.Message{}, err
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
func reviewAction(h func(r *Router, ctx context.Context, cb slack.InteractionCallback, team, month string) (render.Message, error)) actionHandler {
	return func(r *Router, ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (render.Message, error) {
		team, month, err := workflows.ParseReviewRef(a.Value)
		if err != nil {
			return render.Message{}, err
		}
		return h(r, ctx, cb, team, month)
	}
}

func (r *Router) reviewPost(ctx context.Context, cb slack.InteractionCallback, team, month string) (render.Message, error) {
	t, err := r.Service.PostReview(ctx, cb.User.ID, team, month)
	if err != nil {
		return render.Message{}, err
	}
	r.notify()
	return render.Reply(fmt.Sprintf(":white_check_mark: The %s review of %s is on its way to <#%s>. %s decides the course in its thread.",
		render.MonthName(month), render.Escape(t.Name), t.Channel, render.Owner(t.Lead))), nil
}

func (r *Router) reviewStay(ctx context.Context, cb slack.InteractionCallback, team, month string) (render.Message, error) {
	if _, err := r.Service.DecideReview(ctx, cb.User.ID, team, month, workflows.CourseStay, ""); err != nil {
		return render.Message{}, err
	}
	r.notify()
	return render.Reply(fmt.Sprintf(":balance_scale: Recorded: stay the course after the %s review. It shows at the top of next month's.", render.MonthName(month))), nil
}

// reviewChange checks that the presser may decide, then asks what changes
// in a form; the form's submission records the decision.
func (r *Router) reviewChange(ctx context.Context, cb slack.InteractionCallback, team, month string) (render.Message, error) {
	t, err := r.Service.CheckReviewDecision(ctx, cb.User.ID, team, month)
	if err != nil {
		return render.Message{}, err
	}
	if r.Views == nil || cb.TriggerID == "" {
		return render.Reply("Changing course needs a form, which needs Slack."), nil
	}
	if err := r.Views.OpenView(ctx, cb.TriggerID, render.ReviewChangeModal(t, month)); err != nil {
		return render.Message{}, fmt.Errorf("open the change-course form: %w", err)
	}
	return render.Message{}, nil // the form is the answer
}

// submitReviewChange records a change of course; problems go back to the
// form.
func (r *Router) submitReviewChange(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	changes := strings.TrimSpace(cb.View.State.Values[render.ChangesBlock][render.ChangesBlock].Value)
	team, month, err := workflows.ParseReviewRef(cb.View.PrivateMetadata)
	if err == nil {
		_, err = r.Service.DecideReview(ctx, cb.User.ID, team, month, workflows.CourseChange, changes)
	}
	if err != nil {
		msg := r.errorReply(ctx, err, Command{}).Text
		return slack.NewErrorsViewSubmissionResponse(map[string]string{render.ChangesBlock: render.Truncate(msg, 2000)})
	}
	r.notify()
	return nil
}

// goalDrop drops a goal from a button on the goals list.
// goalButton marks the goal whose id is the button's value done or dropped.
func goalButton(status workflows.GoalStatus) actionHandler {
	return func(r *Router, ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (render.Message, error) {
		id, err := strconv.ParseInt(a.Value, 10, 64)
		if err != nil || id < 1 {
			return render.Message{}, workflows.Errorf(workflows.EINVALID, "%q is not a goal ID", a.Value)
		}
		g, err := r.Service.SetGoalStatus(ctx, cb.User.ID, id, status)
		if err != nil {
			return render.Message{}, err
		}
		return render.Reply(fmt.Sprintf("%s Goal #%d, *%s*, is %s.", render.GoalIcons[g.Status], g.ID, render.Escape(g.Title), render.GoalStatusWords[g.Status])), nil
	}
}
