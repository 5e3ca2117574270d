package render

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

var stateIcons = map[workflows.State]string{
	workflows.StateDraft:           ":pencil2:",
	workflows.StateRunning:         ":large_green_circle:",
	workflows.StateDecisionPending: ":hourglass_flowing_sand:",
	workflows.StateShipped:         ":rocket:",
	workflows.StateKilled:          ":no_entry_sign:",
}

// describeProgress says where an experiment is in its life, in a few words.
func describeProgress(e workflows.Experiment, now time.Time) string {
	switch e.State {
	case workflows.StateDraft:
		return "draft, not started"
	case workflows.StateRunning, workflows.StateDecisionPending:
		s := fmt.Sprintf("day %d of %d", e.Day(now), e.PlannedDays)
		if e.State == workflows.StateDecisionPending {
			s += ", waiting for a decision"
		}
		if len(e.RolloutPlan) > 0 {
			s += fmt.Sprintf(", rolled out to %s%%", FormatPercent(e.RolloutPercent))
			if e.RolloutPaused {
				s += " (paused)"
			}
		}
		return s
	case workflows.StateShipped:
		return fmt.Sprintf("shipped %s on %s", Escape(e.Winner), slackDay(e.DecidedAt))
	case workflows.StateKilled:
		return "killed on " + slackDay(e.DecidedAt)
	}
	return string(e.State)
}

// FormatPercent writes a percentage with at most two decimals: "12.5".
func FormatPercent(p float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", p), "0"), ".")
}

// Owner mentions a user, or says there is no owner.
func Owner(user string) string {
	if user == "" {
		return "no owner"
	}
	return mention(user)
}

// ExperimentList lists experiments, one line each, grouped by state:
// those of the team named team, or all when team is empty. names are the
// teams' display names by key. Its hints name the commands as cmds names them.
func ExperimentList(cmds CommandNames, team string, names map[string]string, exps []workflows.Experiment, now time.Time) Message {
	cmds = cmds.Resolved()
	title := "Experiments"
	if team != "" {
		title += " of " + team
	}
	blocks := []slack.Block{Header(title)}
	if len(exps) == 0 {
		blocks = append(blocks, Section("No experiments yet. Define them in your config file and `growthbot apply` it, or use `"+cmds.Exp+" new`."))
		return Message{Text: Escape(title) + ": none", Blocks: blocks}
	}
	counts := map[workflows.State]int{}
	for _, state := range workflows.States {
		var lines []string
		for _, e := range exps {
			if e.State == state {
				counts[state]++
				lines = append(lines, fmt.Sprintf("%s *%s* `%s` (%s): %s, %s", stateIcons[state], Escape(e.Name), e.Key,
					Escape(cmp.Or(names[e.Team], e.Team)), describeProgress(e, now), Owner(e.Owner)))
			}
		}
		if len(lines) > 0 {
			blocks = append(blocks, Section(strings.Join(lines, "\n")))
		}
	}
	var summary []string
	for _, s := range workflows.States {
		if counts[s] > 0 {
			summary = append(summary, fmt.Sprintf("%d %s", counts[s], strings.ReplaceAll(string(s), "_", " ")))
		}
	}
	blocks = append(blocks, Context(strings.Join(summary, " · ")+" · `"+cmds.Exp+" status KEY` for a scorecard"))
	return Message{Text: fmt.Sprintf("%s: %s", Escape(title), strings.Join(summary, ", ")), Blocks: blocks}
}

// SlackDate shows a moment so that each reader sees it in their own time
// zone: "today 3:47 PM" or "Dec 2, 2026 3:47 PM" in Slack, "2 Dec 2026 14:47 UTC" where Slack
// cannot localise it (notifications, the console, the CLI).
func SlackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), workflows.MomentText(t))
}

// slackDay shows the day of a moment in the reader's time zone, after
// "on": "Dec 2, 2026", "2 Dec 2026" in the fallback.
func slackDay(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short}|%s>", t.Unix(), workflows.DayText(t))
}

// History lists every change to an experiment: who, when, what, why.
func History(e workflows.Experiment, entries []workflows.AuditEntry) Message {
	blocks := []slack.Block{Header("History of " + e.Name)}
	if len(entries) == 0 {
		blocks = append(blocks, Section("No changes recorded yet."))
	}
	// The newest changes matter most when a history is longer than a message.
	start := max(0, len(entries)-(MaxMessageBlocks-2))
	if start > 0 {
		blocks = append(blocks, Context(fmt.Sprintf("_%d older changes not shown; `growthbot audit --experiment %s` lists them all._", start, e.Key)))
	}
	for _, a := range entries[start:] {
		line := fmt.Sprintf("*%s* by %s, %s", workflows.ActionWords(a.Action), actorName(a.Actor), SlackDate(a.At))
		if changes := auditChanges(a); changes != "" {
			line += "\n" + changes
		}
		if a.Reason != "" {
			line += "\n> " + Escape(a.Reason)
		}
		blocks = append(blocks, Section(line))
	}
	return Message{Text: fmt.Sprintf("History of %s: %d changes", Escape(e.Name), len(entries)), Blocks: blocks}
}

func actorName(actor string) string {
	if workflows.IsSystemActor(actor) {
		return "growthbot (" + actor + ")"
	}
	return mention(actor)
}

// auditChanges says what an audit entry changed, a sentence a line:
// "State changed from running to shipped."
func auditChanges(a workflows.AuditEntry) string {
	switch {
	case a.Before == "" || a.After == "":
		return "" // the action says it was created or removed
	}
	var lines []string
	for _, c := range workflows.DescribeAudit(a) {
		lines = append(lines, c.Sentence(auditValue))
	}
	return strings.Join(lines, "\n")
}

// auditValue shows one side of an audit change in Slack: moments in each
// reader's zone, people as mentions, text escaped.
func auditValue(v workflows.AuditValue) string {
	switch {
	case !v.Time.IsZero():
		return SlackDate(v.Time)
	case len(v.Users) > 0:
		return mentionList(v.Users, "and")
	}
	return Escape(Truncate(v.Text, 80))
}

// GoalIcons mark a goal by its status.
var GoalIcons = map[workflows.GoalStatus]string{
	workflows.GoalInProgress: ":hammer_and_wrench:",
	workflows.GoalDone:       ":white_check_mark:",
	workflows.GoalDropped:    ":wastebasket:",
}

// Goals lists a team's goals for a quarter. Its hints name the
// commands as cmds names them.
func Goals(cmds CommandNames, list workflows.GoalList) Message {
	cmds = cmds.Resolved()
	t, quarter, goals := list.Team, list.Quarter, list.Goals
	title := fmt.Sprintf("%s goals for %s", t.Name, quarter)
	blocks := []slack.Block{Header(title)}
	if list.Total == 0 {
		blocks = append(blocks, Section(fmt.Sprintf("No goals for %s yet. Add one: `%s goal add %s \"TITLE\" @OWNER`", quarter, cmds.Growth, t.Key)))
		return Message{Text: Escape(title) + ": none", Blocks: blocks}
	}
	// Each goal is its own section, an open one followed by its Done and
	// Drop buttons; past Slack's block limit the rest are listed in one
	// section.
	room := MaxMessageBlocks - 3 // the header, the rest, the context
	var rest []string
	for _, g := range goals {
		line := fmt.Sprintf("%s `#%d` *%s*, %s", GoalIcons[g.Status], g.ID, Escape(g.Title), Owner(g.Owner))
		need := 1
		if g.Status == workflows.GoalInProgress {
			need = 2
		}
		if len(rest) > 0 || len(blocks)-1+need > room {
			rest = append(rest, line)
			continue
		}
		blocks = append(blocks, Section(line))
		if g.Status == workflows.GoalInProgress {
			id := strconv.FormatInt(g.ID, 10)
			drop := Button("Drop", ActionGoalDrop, id, StyleDanger)
			drop.Confirm = slack.NewConfirmationBlockObject(plain(Truncate("Drop goal #"+id+"?", 100), 100),
				plain(Truncate(g.Title+" will be shown as dropped in the growth review.", 300), 300), plain("Drop it", 30), plain("Cancel", 30))
			blocks = append(blocks, Actions("goal:"+id, Button("Done", ActionGoalDone, id, StylePrimary), drop))
		}
	}
	if unlisted := list.Total - len(goals); len(rest) > 0 || unlisted > 0 {
		blocks = append(blocks, Section(moreLines(rest, unlisted)))
	}
	blocks = append(blocks, Context(fmt.Sprintf("%d of %d done · `%s goal done ID` · `%s goal drop ID`", list.Done, list.Total, cmds.Growth, cmds.Growth)))
	return Message{Text: fmt.Sprintf("%s: %d of %d done", Escape(title), list.Done, list.Total), Blocks: blocks}
}

// moreLines joins as many whole lines as fit in one section, and counts
// the rest, the lines left out and the unlisted ones: "… and 37 more".
func moreLines(lines []string, unlisted int) string {
	room := MaxTextLength - utf8.RuneCountInString("\n… and 1000000 more")
	var kept []string
	for i, l := range lines {
		if room -= utf8.RuneCountInString(l) + 1; room < 0 {
			unlisted += len(lines) - i
			break
		}
		kept = append(kept, l)
	}
	if unlisted > 0 {
		kept = append(kept, fmt.Sprintf("… and %d more", unlisted))
	}
	return strings.Join(kept, "\n")
}

// KPIs shows a team's monthly KPIs for the last months as a table.
func KPIs(t workflows.Team, points []workflows.KPIPoint, now time.Time) Message {
	title := t.Name + " KPIs"
	months := []string{}
	for i := 3; i >= 1; i-- {
		months = append(months, workflows.Month(now.In(t.Location()).AddDate(0, -i, 0)))
	}
	values := map[string]map[string]float64{}
	for _, p := range points {
		if len(p.Period) != len("2006-01") {
			continue // daily points feed computed KPIs, not this table
		}
		if values[p.Name] == nil {
			values[p.Name] = map[string]float64{}
		}
		values[p.Name][p.Period] = p.Value
	}
	if len(values) == 0 {
		return Message{Text: Escape(title) + ": none", Blocks: []slack.Block{Header(title),
			Section(fmt.Sprintf("No KPIs for %s yet. Send them with `growthbot import kpis FILE` or `POST /api/v1/kpis`.", Escape(t.Name)))}}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s", "")
	for _, m := range months {
		fmt.Fprintf(&b, " %12s", m)
	}
	b.WriteString("     MoM\n")
	for _, name := range slices.Sorted(maps.Keys(values)) {
		fmt.Fprintf(&b, "%-18s", Truncate(name, 18))
		for _, m := range months {
			if v, ok := values[name][m]; ok {
				fmt.Fprintf(&b, " %12s", formatNumber(v))
			} else {
				fmt.Fprintf(&b, " %12s", "–")
			}
		}
		last, okLast := values[name][months[2]]
		prev, okPrev := values[name][months[1]]
		if okLast && okPrev && prev != 0 {
			fmt.Fprintf(&b, " %+6.1f%%", (last/prev-1)*100)
		}
		b.WriteString("\n")
	}
	return Message{Text: Escape(title), Blocks: []slack.Block{Header(title), Section("```" + Escape(b.String()) + "```"),
		Context("– means no value for that month.")}}
}

// formatNumber prints a KPI compactly: 12,345 or 0.42.
func formatNumber(v float64) string {
	if v == float64(int64(v)) {
		s := fmt.Sprintf("%d", int64(v))
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		if neg {
			s = "-" + s
		}
		return s
	}
	return fmt.Sprintf("%.3g", v)
}
