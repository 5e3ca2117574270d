package render

import (
	"fmt"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// NewExperimentModal is the form behind /exp new, its hints naming the
// commands as cmds names them.
func NewExperimentModal(cmds CommandNames, teams []workflows.Team, metrics []workflows.Metric, channel string) slack.ModalViewRequest {
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
		CallbackID:      CallbackNewExperiment,
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
			Context("The experiment is created as a draft; start it with `" + cmds.Resolved().Exp + " start KEY`."),
		}},
	}
}

// ReviewChangeModal asks the team lead what changes after a review.
func ReviewChangeModal(t workflows.Team, month string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("What we stop, start or do differently, and why", 150), ChangesBlock)
	input.Multiline = true
	input.MaxLength = 2000
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackReviewChange,
		PrivateMetadata: workflows.ReviewRef(t.Key, month),
		Title:           plain("Change course", 24),
		Submit:          plain("Record", 24),
		Close:           plain("Cancel", 24),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			Section(fmt.Sprintf("*%s*: growth review of %s.", Escape(t.Name), MonthName(month))),
			slack.NewInputBlock(ChangesBlock, plain("What changes?", 2000), nil, input),
			Context("The decision is posted in the review's thread and shown at the top of next month's review."),
		}},
	}
}
