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

func (r *Router) newExperiment(ctx context.Context, req CommandRequest, c Command) (render.Message, error) {
	if r.Views == nil || req.TriggerID == "" {
		return render.Reply("Forms need Slack: here, define experiments in your config file and `growthbot apply` it."), nil
	}
	teams, metrics, err := r.Service.DraftChoices(ctx, req.UserID)
	if err != nil {
		return render.Message{}, err
	}
	if err := r.Views.OpenView(ctx, req.TriggerID, render.NewExperimentModal(r.Commands, teams, metrics, req.ChannelID)); err != nil {
		return render.Message{}, fmt.Errorf("open the new-experiment form: %w", err)
	}
	return render.Message{}, nil // the form is the answer
}

// submitNewExperiment creates the draft from the form. Problems go back to
// the form, next to the field they concern.
func (r *Router) submitNewExperiment(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	v := cb.View.State.Values
	value := func(block string) string { return strings.TrimSpace(v[block][block].Value) }
	selected := func(block string) string { return v[block][block].SelectedOption.Value }
	d := workflows.ExperimentDraft{
		Key: value("key"), Name: value("name"), Team: selected("team"), Hypothesis: value("hypothesis"),
		PrimaryMetric: selected("primary"), Method: selected("method"),
	}
	for _, o := range v["guardrails"]["guardrails"].SelectedOptions {
		d.GuardrailMetrics = append(d.GuardrailMetrics, o.Value)
	}
	for _, s := range strings.Split(value("variants"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			d.Variants = append(d.Variants, s)
		}
	}
	if n, err := strconv.Atoi(value("days")); err == nil {
		d.PlannedDays = n
	}
	e, err := r.Service.CreateExperiment(ctx, cb.User.ID, d)
	if err != nil {
		block := "key"
		msg := r.errorReply(ctx, err, Command{Name: "exp new"}).Text
		for _, field := range []string{"variant", "primary", "guardrail", "planned_days", "method", "team", "hypothesis", "name"} {
			if strings.Contains(workflows.ErrorMessage(err), field) {
				block = map[string]string{"variant": "variants", "planned_days": "days", "guardrail": "guardrails"}[field]
				if block == "" {
					block = field
				}
				break
			}
		}
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: render.Truncate(msg, 2000)})
	}
	_ = r.respondInChannel(ctx, cb.View.PrivateMetadata, cb.User.ID,
		fmt.Sprintf(":pencil2: Draft *%s* (`%s`) created for %s. Start it with `%s start %s`.", render.Escape(e.Name), e.Key, e.Team, r.command("exp"), e.Key))
	return nil
}
