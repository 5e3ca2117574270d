package render

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// Program renders /growth program: the month and the quarter, each
// beside the period before.
func Program(p workflows.Program) Message {
	title := "Experiment program of " + p.Team.Name
	blocks := []slack.Block{Header(title)}
	for _, pair := range [][2]workflows.ProgramPeriod{{p.Month, p.PreviousMonth}, {p.Quarter, p.PreviousQuart}} {
		blocks = append(blocks, programBlocks(pair[0], pair[1])...)
	}
	blocks = append(blocks, Context(programNote))
	return Message{Text: fmt.Sprintf("%s: %s, %s", title, programSummary(p.Month), programSummary(p.Quarter)), Blocks: blocks}
}

// programNote says what the figures mean.
const programNote = "_Decided_ is shipped or killed in the period; the win rate is shipped ÷ decided. " +
	"_Settled by data_ counts decisions the decision framework recommended (no approval needed); the others were approved on judgement. " +
	"Impacts are the shipped winners' lifts on their first primary metric, from the last scorecard before the decision, summed (approximately) per metric. " +
	"A period not over is marked _so far_; its decisions per week count the weeks so far."

func programSummary(p workflows.ProgramPeriod) string {
	return fmt.Sprintf("%s %d started, %d decided", p.Label, p.Started, p.Decided())
}

// programBlocks compares a period with the one before: a table, then the
// summed impacts.
func programBlocks(cur, prev workflows.ProgramPeriod) []slack.Block {
	label := func(p workflows.ProgramPeriod) string {
		if p.Partial {
			return p.Label + " so far"
		}
		return p.Label
	}
	rows := []struct {
		name string
		cell func(workflows.ProgramPeriod) string
	}{
		{"started", func(p workflows.ProgramPeriod) string { return fmt.Sprint(p.Started) }},
		{"decided", func(p workflows.ProgramPeriod) string {
			return fmt.Sprintf("%d (%d shipped)", p.Decided(), p.Shipped)
		}},
		{"decisions / week", func(p workflows.ProgramPeriod) string { return trimFloat(p.DecisionsPerWeek, 2) }},
		{"win rate", func(p workflows.ProgramPeriod) string {
			if p.Decided() == 0 {
				return "–"
			}
			return trimFloat(p.WinRate()*100, 0) + "%"
		}},
		{"median days to decide", func(p workflows.ProgramPeriod) string {
			if p.Decided() == 0 {
				return "–"
			}
			return trimFloat(p.MedianDays, 1)
		}},
		{"settled by data", func(p workflows.ProgramPeriod) string {
			n := p.DataSettled + p.Judgement
			if n == 0 {
				return "–"
			}
			return fmt.Sprintf("%d of %d (%s%%)", p.DataSettled, n, trimFloat(p.DataShare()*100, 0))
		}},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %18s %18s\n", "", Truncate(label(cur), 18), Truncate(label(prev), 18))
	for _, row := range rows {
		fmt.Fprintf(&b, "%-22s %18s %18s\n", row.name, row.cell(cur), row.cell(prev))
	}
	text := "*" + Escape(label(cur)) + "* beside *" + Escape(label(prev)) + "*\n```" + Escape(strings.TrimRight(b.String(), "\n")) + "```"
	return []slack.Block{Section(text), Section("*Summed impact of shipped winners*\n" + impactLine(cur) + "\n" + impactLine(prev))}
}

// impactLine writes a period's summed impacts on one line.
func impactLine(p workflows.ProgramPeriod) string {
	var parts []string
	for _, t := range p.Impacts {
		parts = append(parts, fmt.Sprintf("%s %s from %s", Escape(t.MetricName), interval(t.Lift, t.Low, t.High),
			countOf(t.Experiments, "experiment", "experiments")))
	}
	if p.Unmeasured > 0 {
		parts = append(parts, countOf(p.Unmeasured, "shipped experiment", "shipped experiments")+" not measured")
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing shipped")
	}
	return Escape(p.Label) + ": " + strings.Join(parts, " · ")
}
