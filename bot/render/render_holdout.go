package render

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// reviewHoldout renders a review's holdout section: the holdout against
// everyone else on the team's primary metrics, saying plainly when the
// holdout is too small to tell.
func (r *Renderer) reviewHoldout(rv workflows.Review) Message {
	h := rv.Holdout
	title := fmt.Sprintf("Holdout: the cumulative impact of everything %s shipped", rv.Team.Name)
	window := fmt.Sprintf("since %s; compared up to %s", slackDay(h.Start), SlackDate(h.End))
	if !h.Since.IsZero() {
		window = fmt.Sprintf("since %s; compared over the last %d days that one analysis can span, from %s up to %s",
			slackDay(h.Since), workflows.MaxAggregateDays, slackDay(h.Start), SlackDate(h.End))
	}
	lines := []string{fmt.Sprintf("*%s*", Escape(title)),
		fmt.Sprintf("%s of units have seen none of the team's experiments or rollouts %s: %d in the holdout, %d everyone else.",
			formatShare(h.Share), window, h.HoldoutUnits, h.RestUnits)}
	switch {
	case h.TooSmall():
		lines = append(lines, fmt.Sprintf("*Too small to tell yet:* each side needs at least %d exposed units (settings.min_sample_per_arm) before growthbot says anything about it.", h.MinUnits))
	case len(h.Results) == 0:
		lines = append(lines, "The team's experiments name no primary metrics, so there is nothing to compare.")
	}
	if !h.TooSmall() {
		for _, res := range h.Results {
			lines = append(lines, holdoutLine(res))
		}
	}
	return Message{Text: title, Blocks: []slack.Block{Section(strings.Join(lines, "\n"))}}
}

// holdoutLine says what one primary metric shows: a significant difference
// with its interval, or plainly that the holdout is too small to tell.
func holdoutLine(res workflows.MetricResult) string {
	name := Escape(res.Metric.Name)
	switch {
	case res.Problem != "":
		return fmt.Sprintf("• %s: cannot be compared yet: %s", name, Escape(res.Problem))
	case res.Significant:
		return fmt.Sprintf("• %s: everyone else %s, the holdout %s: *%s* (95 %% CI %s to %s), significant.", name,
			formatMean(res.Metric, res.TreatmentMean), formatMean(res.Metric, res.ControlMean),
			workflows.FormatLift(res.Lift), workflows.FormatLift(res.Low), workflows.FormatLift(res.High))
	}
	return fmt.Sprintf("• %s: %s (95 %% CI %s to %s): *too small to tell*; the holdout cannot yet tell this from no difference.", name,
		workflows.FormatLift(res.Lift), workflows.FormatLift(res.Low), workflows.FormatLift(res.High))
}

func formatShare(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.4g %%", f*100), " ") }

func formatMean(m workflows.Metric, v float64) string {
	if m.Type == workflows.MetricProportion {
		return fmt.Sprintf("%.2f %%", v*100)
	}
	return fmt.Sprintf("%.4g", v)
}
