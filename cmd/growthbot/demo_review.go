package main

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// growthReview previews onboarding's review of last month (its NPS is
// missing), posts it with the button, then runs the digest job as the
// schedule would: checkout's review is posted with its chart, written to
// the demo's folder, and onboarding's is not posted a second time.
func (d *demo) growthReview(ctx context.Context) error {
	d.as(ctx, "U0ENG3", "/growth review onboarding")
	d.as(ctx, "U0ENG3", "Post to channel")
	month := workflows.PreviousMonth(d.clock.Now(), workflows.Team{Timezone: "Europe/Berlin"}.Location())
	fmt.Fprintf(d.e.stdout, "\nThe digest job for %s (growthbot jobs run digest --period %s), as the schedule runs it on the first weekday:\n", month, month)
	report, err := d.svc.RunDigest(ctx, workflows.JobOptions{Period: month})
	if err != nil {
		return err
	}
	for _, line := range report.Lines {
		fmt.Fprintln(d.e.stdout, line)
	}
	d.slack.console.Settle(ctx)
	return nil
}

// reviewDecisions has the leads decide: checkout's lead stays the course
// with a press (after a member's press is refused); onboarding's lead
// presses "Change course" on onboarding's review and fills in the form,
// sent to the router as Slack would send them.
func (d *demo) reviewDecisions(ctx context.Context) error {
	d.as(ctx, "U0ENG1", "Stay the course")
	d.as(ctx, "U0LEAD", "Stay the course")
	month := workflows.PreviousMonth(d.clock.Now(), workflows.Team{Timezone: "America/New_York"}.Location())
	ref := workflows.ReviewRef("onboarding", month)
	router := d.slack.console.router
	fmt.Fprintf(d.e.stdout, "\nU0LEAD2> (presses Change course on onboarding's review)\n")
	router.Interaction(ctx, slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, TriggerID: "demo-trigger",
		User: slack.User{ID: "U0LEAD2"}, Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C0ONBOARD"}}},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "review.change", Value: ref}}}})
	d.slack.console.Settle(ctx)
	const changes = "Pause the pricing experiments until activation recovers; fix step 2 of onboarding first."
	fmt.Fprintf(d.e.stdout, "\nU0LEAD2> (writes %q and presses Record)\n", changes)
	var submission slack.InteractionCallback
	submission.Type, submission.User.ID = slack.InteractionTypeViewSubmission, "U0LEAD2"
	submission.View.CallbackID, submission.View.PrivateMetadata = "review.change", ref
	submission.View.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{"changes": {"changes": {Value: changes}}}}
	if resp := router.Interaction(ctx, submission); resp != nil {
		return fmt.Errorf("the change-course form was refused: %v", resp.Errors)
	}
	d.slack.console.Settle(ctx)
	return nil
}
