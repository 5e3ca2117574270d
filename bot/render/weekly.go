package render

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// renderWeekly renders a team's weekly async update; a quiet week is one
// line.
func (r *Renderer) renderWeekly(u workflows.WeeklyUpdate) Message {
	dates := map[string]string{"Team": Escape(u.Team.Name), "From": workflows.DayText(u.From),
		"To": workflows.DayText(u.To.AddDate(0, 0, -1))}
	if u.Quiet() {
		text := r.text("weekly.quiet", dates)
		return Message{Text: strings.TrimPrefix(text, ":zzz: "), Blocks: []slack.Block{Section(text)}}
	}
	title := r.text("weekly.title", dates)
	blocks := []slack.Block{Section("*" + title + "*")}
	var lines []string
	if len(u.Started) > 0 {
		lines = append(lines, ":arrow_forward: *Started:* "+experimentNames(u.Started))
	}
	if len(u.Decided) > 0 {
		var parts []string
		for _, e := range u.Decided {
			what := "killed"
			if e.State == workflows.StateShipped {
				what = "shipped " + Escape(e.Winner)
			}
			parts = append(parts, fmt.Sprintf("*%s* (`%s`) %s", Escape(e.Name), e.Key, what))
		}
		lines = append(lines, ":white_check_mark: *Decided:* "+strings.Join(parts, ", "))
	}
	if len(lines) == 0 {
		lines = append(lines, "Nothing started or was decided last week.")
	}
	blocks = append(blocks, Section(strings.Join(lines, "\n")))
	var waiting []string
	for _, w := range u.Waiting {
		on := "enough approvals"
		if len(w.On) > 0 {
			on = mentionList(w.On, "or")
		}
		waiting = append(waiting, fmt.Sprintf("• *%s* of *%s* (`%s`), requested by %s %s: waits on %s", w.Decision.Action,
			Escape(w.Experiment.Name), w.Experiment.Key, Owner(w.Decision.Requester), SlackDate(w.Decision.CreatedAt), on))
	}
	for _, e := range u.Overdue {
		waiting = append(waiting, fmt.Sprintf("• *%s* (`%s`) passed its planned end %s with no decision requested: waits on %s",
			Escape(e.Name), e.Key, SlackDate(e.EndsAt), Owner(e.Owner)))
	}
	if len(waiting) > 0 {
		blocks = append(blocks, Section(":hourglass_flowing_sand: *Waiting for a decision*\n"+strings.Join(waiting, "\n")))
	}
	var risks []string
	for _, g := range u.GoalsAtRisk {
		why := fmt.Sprintf("%s is %s%% over and it is still in progress", g.Goal.Quarter, trimFloat(g.QuarterGone*100, 0))
		if g.Orphaned {
			why = "its owner " + Owner(g.Goal.Owner) + " is no longer in the team"
		}
		risks = append(risks, fmt.Sprintf("• `#%d` *%s* (%s): %s", g.Goal.ID, Escape(g.Goal.Title), Owner(g.Goal.Owner), why))
	}
	if len(risks) > 0 {
		blocks = append(blocks, Section(":warning: *Goals at risk*\n"+strings.Join(risks, "\n")))
	}
	blocks = append(blocks, Context(r.text("weekly.footer", u.Team.Key)))
	return Message{Text: strings.TrimPrefix(title, ":calendar: "), Blocks: blocks}
}
