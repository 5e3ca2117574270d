package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// renderDataAlert renders a data monitoring alert, or the note that it
// cleared.
func (r *Renderer) renderDataAlert(a workflows.DataAlert) Message {
	name := string(a.Kind)
	if a.Cleared {
		name += ".cleared"
	}
	data := map[string]any{
		"Owner": a.Experiment.Owner, "Name": Escape(a.Experiment.Name), "Period": describePeriod(a.Period),
		"Metric": Escape(a.Metric.Name), "Event": Escape(a.Metric.Event), "Opened": SlackDate(a.OpenedAt),
		"Team": Escape(a.Team.Name), "Month": MonthName(a.Month), "Fix": a.Fix, "Last": "",
	}
	if !a.Last.IsZero() {
		data["Last"] = SlackDate(a.Last)
	}
	if a.Kind == workflows.AlertKPIsMissing {
		data["Review"] = slackDay(a.ReviewAt)
		data["Missing"] = "*" + Escape(strings.Join(a.Missing, "*, *")) + "*"
		data["Period"] = a.Month
	}
	text := r.text("monitor."+name, data)
	summary := fmt.Sprintf("%s alert", a.Kind)
	if a.Cleared {
		summary += " cleared"
	}
	if a.Experiment.Key != "" {
		summary += ": " + a.Experiment.Name
	}
	return Message{Text: summary, Blocks: []slack.Block{Section(text)}}
}

// describePeriod writes a monitoring period: "24 h", "2 days", "90 min".
func describePeriod(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	}
	return fmt.Sprintf("%d min", d/time.Minute)
}
