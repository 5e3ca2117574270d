package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// Callback ids of modals.
const callbackNewExperiment = "exp.new"

func (r *Router) newExperiment(ctx context.Context, req CommandRequest, c Command) (Message, error) {
	if r.Views == nil || req.TriggerID == "" {
		return reply("Forms need Slack: here, define experiments in your config file and `growthbot apply` it."), nil
	}
	teams, metrics, err := r.Service.DraftChoices(ctx, req.UserID)
	if err != nil {
		return Message{}, err
	}
	if err := r.Views.OpenView(ctx, req.TriggerID, newExperimentModal(r.Commands, teams, metrics, req.ChannelID)); err != nil {
		return Message{}, fmt.Errorf("open the new-experiment form: %w", err)
	}
	return Message{}, nil // the form is the answer
}

// NewExperimentModal is the form behind /exp new, with the commands under
// their usual names.
func NewExperimentModal(teams []workflows.Team, metrics []workflows.Metric, channel string) slack.ModalViewRequest {
	return newExperimentModal(CommandNames{}, teams, metrics, channel)
}

func newExperimentModal(cmds CommandNames, teams []workflows.Team, metrics []workflows.Metric, channel string) slack.ModalViewRequest {
	var teamOpts, metricOpts []*slack.OptionBlockObject
	for _, t := range teams {
		teamOpts = append(teamOpts, slack.NewOptionBlockObject(t.Key, plain(t.Name, 75), nil))
	}
	for _, m := range metrics[:min(len(metrics), 100)] {
		metricOpts = append(metricOpts, slack.NewOptionBlockObject(m.Key, plain(m.Name, 75), nil))
	}
	methodOpts := []*slack.OptionBlockObject{
		slack.NewOptionBlockObject("sequential", plain("Sequential (safe to look daily)", 75), nil),
		slack.NewOptionBlockObject("fixed", plain("Fixed horizon", 75), nil),
		slack.NewOptionBlockObject("bayesian", plain("Bayesian", 75), nil),
	}
	text := func(id, label, placeholder string, maxLength int, multiline, optional bool) *slack.InputBlock {
		el := slack.NewPlainTextInputBlockElement(plain(placeholder, 150), id)
		el.Multiline, el.MaxLength = multiline, maxLength
		b := slack.NewInputBlock(id, plain(label, 2000), nil, el)
		b.Optional = optional
		return b
	}
	teamSel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Team", 150), "team", teamOpts...)
	teamSel.InitialOption = teamOpts[0]
	primary := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Primary metric", 150), "primary", metricOpts...)
	guards := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, plain("Guardrails", 150), "guardrails", metricOpts...)
	method := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Method", 150), "method", methodOpts...)
	method.InitialOption = methodOpts[0]
	days := slack.NewNumberInputBlockElement(plain("14", 150), "days", false)
	days.InitialValue, days.MinValue, days.MaxValue = "14", "1", "365"
	guardBlock := slack.NewInputBlock("guardrails", plain("Guardrail metrics (must not get worse)", 2000), nil, guards)
	guardBlock.Optional = true
	variants := text("variants", "Variants, control first", "control, treatment", 500, false, false)
	variants.Element.(*slack.PlainTextInputBlockElement).InitialValue = "control, treatment"
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackNewExperiment,
		PrivateMetadata: channel,
		Title:           plain("New experiment", 24),
		Submit:          plain("Create draft", 24),
		Close:           plain("Cancel", 24),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			text("key", "Key", "one-click-checkout", 63, false, false),
			text("name", "Name", "One-click checkout", workflows.MaxNameLength, false, false),
			slack.NewInputBlock("team", plain("Team", 2000), nil, teamSel),
			text("hypothesis", "Hypothesis", "Removing the review step raises purchase conversion without raising errors.",
				workflows.MaxHypothesisLength, true, false),
			variants,
			slack.NewInputBlock("primary", plain("Primary metric", 2000), nil, primary),
			guardBlock,
			slack.NewInputBlock("method", plain("Method", 2000), nil, method),
			slack.NewInputBlock("days", plain("Planned days", 2000), nil, days),
			Context("The experiment is created as a draft; start it with `" + cmds.resolved().Exp + " start KEY`."),
		}},
	}
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
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: truncate(msg, 2000)})
	}
	_ = r.respondInChannel(ctx, cb.View.PrivateMetadata, cb.User.ID,
		fmt.Sprintf(":pencil2: Draft *%s* (`%s`) created for %s. Start it with `%s start %s`.", Escape(e.Name), e.Key, e.Team, r.command("exp"), e.Key))
	return nil
}
