package render

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// summaryAnomalies is how many anomalies the summary shows; the thread
// has them all.
const summaryAnomalies = 3

// renderReview renders one section of a review; the chart section is a
// picture to upload.
func (r *Renderer) renderReview(m workflows.ReviewMessage) (workflows.Rendered, error) {
	if m.Section == workflows.SectionChart {
		return r.reviewChart(m.Review)
	}
	msg, err := r.reviewSection(m)
	if err != nil {
		return workflows.Rendered{}, err
	}
	return msg.Rendered()
}

func (r *Renderer) reviewSection(m workflows.ReviewMessage) (Message, error) {
	rv := m.Review
	switch m.Section {
	case workflows.SectionSummary:
		return r.reviewSummary(rv, m.Preview), nil
	case workflows.SectionNumbers:
		return r.reviewNumbers(rv), nil
	case workflows.SectionMovers:
		return r.reviewMovers(rv), nil
	case workflows.SectionExperiments:
		return r.reviewExperiments(rv), nil
	case workflows.SectionGoals:
		return r.reviewGoals(rv, r.text("review.no-goals", map[string]string{"Team": rv.Team.Key, "Quarter": rv.Quarter})), nil
	case workflows.SectionQuestions:
		return r.reviewQuestions(rv), nil
	case workflows.SectionHoldout:
		return r.reviewHoldout(rv), nil
	}
	return Message{}, fmt.Errorf("bot: no review section %q", m.Section)
}

// ReviewPreview renders a whole review as one message only its asker sees:
// the summary with a "Post to channel" button, then every section.
func (r *Renderer) ReviewPreview(rv workflows.Review) (Message, error) {
	msg := r.reviewSummary(rv, true)
	for _, sec := range workflows.ReviewReplies {
		part, err := r.reviewSection(workflows.ReviewMessage{Review: rv, Section: sec})
		if err != nil {
			return Message{}, err
		}
		msg.Blocks = append(append(msg.Blocks, Divider()), part.Blocks...)
	}
	if rv.Holdout != nil {
		msg.Blocks = append(append(msg.Blocks, Divider()), r.reviewHoldout(rv).Blocks...)
	}
	if rv.HasTrend() {
		msg.Blocks = append(msg.Blocks, Context(":chart_with_upwards_trend: "+Escape(r.chartTitle(rv))+": the chart is posted with the review."))
	} else {
		msg.Blocks = append(msg.Blocks, Context(r.text("review.no-chart", nil)))
	}
	return msg, nil
}

// MonthName writes a month "2026-10" as "October 2026".
func MonthName(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.Format("January 2006")
}

func shortMonth(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.Format("Jan 2006")
}

func (r *Renderer) reviewTitle(rv workflows.Review) string {
	return r.text("review.title", map[string]any{"Team": rv.Team.Name, "Month": MonthName(rv.Month), "Partial": !rv.Over()})
}

func (r *Renderer) reviewSummary(rv workflows.Review, preview bool) Message {
	title := r.reviewTitle(rv)
	blocks := []slack.Block{Header(title)}
	if rv.Partial {
		blocks = append(blocks, Context(r.text("review.partial", Escape(strings.Join(rv.PartialNotes, "; ")))))
	}
	if rv.Previous != nil {
		blocks = append(blocks, Section(r.text("review.previous", decisionData(*rv.Previous))))
	}
	var lines []string
	for _, h := range rv.Headlines {
		lines = append(lines, r.headlineLine(h))
	}
	blocks = append(blocks, Section(strings.Join(lines, "\n")))
	if n := len(rv.Anomalies); n > 0 {
		text := r.anomalyLines(rv.Anomalies[:min(n, summaryAnomalies)])
		if n > summaryAnomalies {
			text += fmt.Sprintf("\n_%s more in the thread_", countOf(n-summaryAnomalies, "anomaly", "anomalies"))
		}
		blocks = append(blocks, Section(text))
	}
	blocks = append(blocks, Context(r.text("review.footer", map[string]string{"Lead": rv.Team.Lead})))
	ref := workflows.ReviewRef(rv.Team.Key, rv.Month)
	switch {
	case rv.Record.Decided():
		blocks = append(blocks, Section(r.text("review.decision", decisionData(rv.Record))))
	case preview && rv.Over():
		blocks = append(blocks, Context(r.text("review.preview", map[string]string{"Channel": rv.Team.Channel})),
			Actions(ReviewActionsBlock, Button("Post to channel", ActionReviewPost, ref, StylePrimary)))
	case preview:
		blocks = append(blocks, Context(r.text("review.not-over", map[string]string{"Month": MonthName(rv.Month), "Zone": rv.Team.Location().String()})))
	default:
		blocks = append(blocks, Actions(ReviewActionsBlock, Button("Stay the course", ActionReviewStay, ref, StylePrimary),
			Button("Change course", ActionReviewChange, ref, StyleDefault)))
	}
	return Message{Text: Escape(strings.TrimPrefix(title, ":bar_chart: ")), Blocks: blocks}
}

// decisionData is what the decision templates read.
func decisionData(rec workflows.ReviewRecord) map[string]any {
	return map[string]any{"By": rec.DecidedBy, "Month": MonthName(rec.Month), "Change": rec.Course == workflows.CourseChange,
		"Changes": quote(rec.Changes), "At": rec.DecidedAt}
}

// quote sets user text as a mrkdwn quote, line by line.
func quote(s string) string {
	if s == "" {
		return ""
	}
	return "> " + strings.ReplaceAll(Escape(s), "\n", "\n> ")
}

func capitalize(s string) string {
	c, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(c)) + s[n:]
}

// trimFloat prints v with at most digits decimals, without trailing zeros.
func trimFloat(v float64, digits int) string {
	p := math.Pow(10, float64(digits))
	v = math.Round(v*p) / p
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// kpiValue prints a KPI in its unit: 131,040, 2.1% or 38.
func kpiValue(unit workflows.KPIUnit, v float64) string {
	switch unit {
	case workflows.UnitShare:
		return trimFloat(v*100, 1) + "%"
	case workflows.UnitScore:
		return trimFloat(v, 1)
	}
	if math.Abs(v) >= 100 {
		return formatNumber(math.Round(v))
	}
	return trimFloat(v, 2)
}

// kpiChange prints a change in its unit: +4.0% for a count, +0.4 pp for a
// share, +3 for a score.
func kpiChange(unit workflows.KPIUnit, c float64) string {
	switch unit {
	case workflows.UnitShare:
		return fmt.Sprintf("%+.1f pp", c*100)
	case workflows.UnitScore:
		s := trimFloat(c, 1)
		if !strings.HasPrefix(s, "-") {
			s = "+" + s
		}
		return s
	}
	return workflows.FormatLift(c)
}

// marks says, in one italic phrase, how a value was obtained when that is
// not a plain import, and whether it covers only part of the month.
func marks(v workflows.KPIValue) string {
	var m []string
	switch v.Source {
	case workflows.SourceEvents:
		m = append(m, "from events")
	case workflows.SourceTeamEvents:
		m = append(m, "from the team's events")
	case workflows.SourceDaily:
		m = append(m, "from daily values")
	}
	if v.Partial {
		m = append(m, "partial")
	}
	if len(m) == 0 {
		return ""
	}
	return " _" + strings.Join(m, ", ") + "_"
}

// countOf writes a count with its noun: "1 month", "3 months".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (r *Renderer) missingLine(m *workflows.MissingData) string {
	return r.text("review.missing", map[string]any{"Label": Escape(m.Label), "Month": MonthName(m.Month), "Needs": Escape(strings.Join(m.Needs, " and ")), "Fix": m.Fix, "FromEvents": m.FromEvents})
}

// headlineLine is a headline number in one line: the value, its changes
// and its target.
func (r *Renderer) headlineLine(h workflows.Headline) string {
	if h.Missing != nil {
		return r.missingLine(h.Missing)
	}
	s := fmt.Sprintf("*%s* %s", Escape(capitalize(h.Label)), kpiValue(h.Unit, h.Current.Value))
	var changes []string
	if h.HasMoM {
		changes = append(changes, kpiChange(h.Unit, h.MoM)+" vs last month")
	} else {
		changes = append(changes, "no value for last month")
	}
	if h.HasVsAverage {
		changes = append(changes, kpiChange(h.Unit, h.VsAverage)+" vs 3-month avg")
	}
	s += " (" + strings.Join(changes, ", ") + ")"
	if h.Target != nil {
		s += " · " + targetText(h)
	}
	return s + marks(h.Current)
}

func targetText(h workflows.Headline) string {
	t := h.Target
	target := "target " + kpiValue(t.Unit, t.Target)
	if h.Name == workflows.KPIMRR {
		target = "growth target " + workflows.FormatLift(t.Target)
	}
	switch {
	case !t.Known:
		return target + ": unknown without last month's value"
	case t.Met:
		return target + ": :white_check_mark: met"
	}
	return target + ": :x: missed"
}

func (r *Renderer) anomalyLines(as []workflows.Anomaly) string {
	var lines []string
	for _, a := range as {
		lines = append(lines, r.text("review.anomaly", map[string]any{"Name": Escape(capitalize(a.Label)), "Value": kpiValue(a.Unit, a.Value),
			"Expected": kpiValue(a.Unit, roughly(a.Unit, a.Expected)), "Margin": kpiValue(a.Unit, roughly(a.Unit, a.Margin())),
			"Months": a.Months, "Partial": a.Partial}))
	}
	return strings.Join(lines, "\n")
}

// roughly rounds an estimate to two significant digits, in its unit's
// shown scale (a share's percent), so that "about" reads true.
func roughly(unit workflows.KPIUnit, v float64) float64 {
	scale := 1.0
	if unit == workflows.UnitShare {
		scale = 100
	}
	x := v * scale
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return v
	}
	p := math.Pow(10, math.Floor(math.Log10(math.Abs(x)))-1)
	return math.Round(x/p) * p / scale
}

// sourceNote says where a value came from, for the KPI table.
func sourceNote(v workflows.KPIValue) string {
	s := map[workflows.KPISource]string{workflows.SourceImported: "imported", workflows.SourceDaily: "imported daily",
		workflows.SourceEvents: "computed from events", workflows.SourceTeamEvents: "computed from the team's events",
		workflows.SourceDerived: "derived"}[v.Source]
	if v.Name == workflows.KPIChurnRate {
		s = "churned MRR / last month's MRR"
	}
	switch {
	case v.Source == workflows.SourceDaily || v.Partial && v.Note != "":
		s += ", " + v.Note
	case v.Partial:
		s += ", partial"
	}
	return s
}

func (r *Renderer) reviewNumbers(rv workflows.Review) Message {
	title := "Headline numbers, " + MonthName(rv.Month)
	blocks := []slack.Block{Header(title)}
	prev := "Last month (" + shortMonth(workflows.Month(rv.Start.AddDate(0, -1, 0))) + ")"
	avg := "3-month average (" + shortMonth(workflows.Month(rv.Start.AddDate(0, -3, 0))) + " – " +
		shortMonth(workflows.Month(rv.Start.AddDate(0, -1, 0))) + ")"
	for _, h := range rv.Headlines {
		if h.Missing != nil {
			blocks = append(blocks, Section(r.missingLine(h.Missing)))
			continue
		}
		lines := []string{fmt.Sprintf("*%s*: %s (%s)", Escape(capitalize(h.Label)), kpiValue(h.Unit, h.Current.Value), sourceNote(h.Current))}
		if h.Previous.Known {
			lines = append(lines, fmt.Sprintf("%s: %s (%s)", prev, kpiValue(h.Unit, h.Previous.Value), kpiChange(h.Unit, h.MoM)))
		} else {
			lines = append(lines, prev+": no value")
		}
		if h.AverageMonths > 0 {
			lines = append(lines, fmt.Sprintf("%s: %s over %s (%s)", avg, kpiValue(h.Unit, h.Average),
				countOf(h.AverageMonths, "month", "months"), kpiChange(h.Unit, h.VsAverage)))
		} else {
			lines = append(lines, avg+": no values")
		}
		if h.Target != nil {
			lines = append(lines, capitalize(targetText(h)))
		}
		blocks = append(blocks, Section(strings.Join(lines, "\n")))
	}
	blocks = append(blocks, Section("*Every KPI*\n```"+Escape(kpiTable(rv))+"```"),
		Context("– means no value: send it with `growthbot import kpis` or `POST /api/v1/kpis`. A zero is shown only when a zero was sent."))
	if rv.Computed {
		blocks = append(blocks, Context(r.text("review.computed", nil)))
	}
	if c := rv.Company; c != nil {
		blocks = append(blocks, Context(r.text("review.company", map[string]string{"Team": Escape(rv.Team.Name),
			"Month": MonthName(rv.Month), "Zone": c.Timezone, "Active": companyValue(workflows.UnitCount, c.ActiveUsers),
			"Retention": companyValue(workflows.UnitShare, c.Retention)})))
	}
	return Message{Text: title, Blocks: blocks}
}

// kpiTable lays out every KPI of the month against last month.
func kpiTable(rv workflows.Review) string {
	var b strings.Builder
	prev := workflows.Month(rv.Start.AddDate(0, -1, 0))
	fmt.Fprintf(&b, "%-18s %10s %10s %9s  %s\n", "", rv.Month, prev, "change", "source")
	cell := func(h workflows.Headline, v workflows.KPIValue) string {
		if !v.Known {
			return "–"
		}
		return kpiValue(h.Unit, v.Value)
	}
	for _, h := range rv.KPIs {
		c := ""
		if h.HasMoM {
			c = kpiChange(h.Unit, h.MoM)
		}
		src := ""
		if h.Current.Known {
			src = sourceNote(h.Current)
		}
		fmt.Fprintf(&b, "%-18s %10s %10s %9s  %s\n", Truncate(h.Label, 18), cell(h, h.Current), cell(h, h.Previous), c, src)
	}
	return strings.TrimRight(b.String(), "\n")
}

func (r *Renderer) reviewMovers(rv workflows.Review) Message {
	title := "Biggest movers and anomalies"
	blocks := []slack.Block{Header(title)}
	switch {
	case len(rv.Anomalies) > 0:
		blocks = append(blocks, Section(r.anomalyLines(rv.Anomalies)))
	case rv.Baselines == 0:
		blocks = append(blocks, Section(r.text("review.no-baseline", nil)))
	default:
		blocks = append(blocks, Section(r.text("review.no-anomalies", nil)))
	}
	var lines []string
	for _, m := range rv.Movers {
		icon, c := ":chart_with_upwards_trend:", m.Change
		if c < 0 {
			icon = ":chart_with_downwards_trend:"
		}
		if m.Unit != workflows.UnitCount {
			c = m.Value - m.Previous
		}
		lines = append(lines, fmt.Sprintf("%s *%s* %s (%s → %s)%s", icon, Escape(capitalize(m.Label)), kpiChange(m.Unit, c), kpiValue(m.Unit, m.Previous),
			kpiValue(m.Unit, m.Value), marks(workflows.KPIValue{Partial: m.Partial})))
	}
	if len(lines) > 0 {
		blocks = append(blocks, Section("*Biggest changes from last month*\n"+strings.Join(lines, "\n")))
	}
	return Message{Text: title + ", " + MonthName(rv.Month), Blocks: blocks}
}

func experimentNames(exps []workflows.Experiment) string {
	var names []string
	for _, e := range exps {
		names = append(names, fmt.Sprintf("*%s* (`%s`)", Escape(e.Name), e.Key))
	}
	return strings.Join(names, ", ")
}

func interval(lift, low, high float64) string {
	return fmt.Sprintf("%s [%s, %s]", workflows.FormatLift(lift), workflows.FormatLift(low), workflows.FormatLift(high))
}

func (r *Renderer) reviewExperiments(rv workflows.Review) Message {
	x := rv.Experiments
	title := "Experiments in " + MonthName(rv.Month)
	blocks := []slack.Block{Header(title)}
	if x.Empty() {
		blocks = append(blocks, Section(r.text("review.no-experiments", rv.Month)))
		return Message{Text: title + ": none", Blocks: append(blocks, r.reviewProgram(rv.Program)...)}
	}
	rate := "n/a (none decided)"
	if x.Decided > 0 {
		rate = fmt.Sprintf("%s%% (%d of %d decided)", trimFloat(x.WinRate*100, 1), len(x.Shipped), x.Decided)
	}
	blocks = append(blocks, Section(fmt.Sprintf("Started *%d* · shipped *%d* · killed *%d* · running at month end *%d* · win rate *%s*",
		len(x.Started), len(x.Shipped), len(x.Killed), len(x.Running), rate)))
	var lines []string
	for _, l := range []struct {
		icon, label string
		exps        []workflows.Experiment
	}{
		{":arrow_forward:", "Started", x.Started}, {":rocket:", "Shipped", x.Shipped},
		{":no_entry_sign:", "Killed", x.Killed}, {":large_green_circle:", "Running", x.Running},
	} {
		if len(l.exps) > 0 {
			lines = append(lines, fmt.Sprintf("%s %s: %s", l.icon, l.label, experimentNames(l.exps)))
		}
	}
	blocks = append(blocks, Section(strings.Join(lines, "\n")))
	if len(x.Impacts) > 0 {
		lines = []string{"*Measured impact of what shipped* (last scorecard before the decision)"}
		for _, im := range x.Impacts {
			if !im.Measured {
				lines = append(lines, fmt.Sprintf("• *%s*: not measured, %s", Escape(im.Experiment.Name), Escape(im.Reason)))
				continue
			}
			lines = append(lines, fmt.Sprintf("• *%s* (%s): %s %s", Escape(im.Experiment.Name), Escape(im.Experiment.Winner),
				Escape(im.MetricName), interval(im.Lift, im.Low, im.High)))
		}
		for _, t := range x.Totals {
			lines = append(lines, fmt.Sprintf("*Sum on %s*: %s from %s", Escape(t.MetricName), interval(t.Lift, t.Low, t.High), countOf(t.Experiments, "experiment", "experiments")))
		}
		blocks = append(blocks, Section(strings.Join(lines, "\n")))
		if len(x.Totals) > 0 {
			blocks = append(blocks, Context(r.text("review.impact-note", nil)))
		}
	}
	return Message{Text: title, Blocks: append(blocks, r.reviewProgram(rv.Program)...)}
}

// reviewProgram is the review's view of the experiment program: the month
// beside the month before, the quarter (to the month's end) beside the
// quarter before; nothing when no experiment started or ended in any.
func (r *Renderer) reviewProgram(p workflows.Program) []slack.Block {
	quiet := func(q workflows.ProgramPeriod) bool { return q.Started+q.Decided() == 0 }
	if quiet(p.Month) && quiet(p.PreviousMonth) && quiet(p.Quarter) && quiet(p.PreviousQuart) {
		return nil
	}
	blocks := []slack.Block{Section("*The experiment program* (`" + r.command("growth") + " program " + p.Team.Key + "`)")}
	blocks = append(blocks, programBlocks(p.Month, p.PreviousMonth)...)
	return append(append(blocks, programBlocks(p.Quarter, p.PreviousQuart)...), Context(programNote))
}

// GoalStatusWords say a goal's status in words.
var GoalStatusWords = map[workflows.GoalStatus]string{
	workflows.GoalInProgress: "in progress", workflows.GoalDone: "done", workflows.GoalDropped: "dropped",
}

func (r *Renderer) reviewGoals(rv workflows.Review, empty string) Message {
	title := "Goals for " + rv.Quarter
	blocks := []slack.Block{Header(title)}
	if len(rv.Goals) == 0 {
		return Message{Text: title + ": none", Blocks: append(blocks, Section(empty))}
	}
	counts := map[workflows.GoalStatus]int{}
	var lines []string
	for _, g := range rv.Goals {
		counts[g.Status]++
		lines = append(lines, fmt.Sprintf("%s `#%d` *%s* · %s · %s", GoalIcons[g.Status], g.ID, Escape(g.Title), Owner(g.Owner), GoalStatusWords[g.Status]))
	}
	summary := fmt.Sprintf("%d done · %d in progress · %d dropped", counts[workflows.GoalDone], counts[workflows.GoalInProgress],
		counts[workflows.GoalDropped])
	blocks = append(blocks, Section(strings.Join(lines, "\n")), Context(summary+" · `"+r.command("growth")+" goals "+rv.Team.Key+"`"))
	return Message{Text: title + ": " + summary, Blocks: blocks}
}

// headline finds a KPI's row in the review.
func headline(rv workflows.Review, name string) workflows.Headline {
	for _, rows := range [][]workflows.Headline{rv.Headlines, rv.KPIs} {
		for _, h := range rows {
			if h.Name == name {
				return h
			}
		}
	}
	return workflows.Headline{KPIDef: workflows.KPIDefinition(name)}
}

// brief is a KPI in a few words for the discussion questions: "NPS 38
// (+3 vs last month)" or "no NPS for 2026-10".
func brief(rv workflows.Review, name string) string {
	h := headline(rv, name)
	if !h.Current.Known {
		return fmt.Sprintf("no %s for %s", h.Label, rv.Month)
	}
	s := h.Label + " " + kpiValue(h.Unit, h.Current.Value)
	if h.HasMoM {
		s += " (" + kpiChange(h.Unit, h.MoM) + " vs last month)"
	}
	return s
}

// questionsShown bounds the discussion questions: a meeting discusses a few.
const questionsShown = 5

// reviewQuestions asks what the month's data raises: the breaks from trend,
// the biggest change when nothing broke, the targets missed, then the
// standing questions whose numbers exist, in that order, up to
// questionsShown.
func (r *Renderer) reviewQuestions(rv workflows.Review) Message {
	var qs []string
	for _, a := range rv.Anomalies {
		qs = append(qs, r.text("review.q.anomaly", map[string]string{"Name": a.Label, "Value": kpiValue(a.Unit, a.Value),
			"Expected": kpiValue(a.Unit, roughly(a.Unit, a.Expected)), "Margin": kpiValue(a.Unit, roughly(a.Unit, a.Margin()))}))
	}
	if len(rv.Anomalies) == 0 && len(rv.Movers) > 0 && math.Abs(rv.Movers[0].Change) >= questionMoverChange {
		m := rv.Movers[0]
		c := m.Change
		if m.Unit != workflows.UnitCount {
			c = m.Value - m.Previous
		}
		qs = append(qs, r.text("review.q.mover", map[string]string{"Name": m.Label, "Change": kpiChange(m.Unit, c),
			"Previous": kpiValue(m.Unit, m.Previous), "Value": kpiValue(m.Unit, m.Value)}))
	}
	for _, h := range rv.Headlines {
		if t := h.Target; t != nil && t.Known && !t.Met {
			actual, target := kpiValue(t.Unit, t.Actual), kpiValue(t.Unit, t.Target)
			if h.Name == workflows.KPIMRR {
				actual, target = workflows.FormatLift(t.Actual)+" growth", workflows.FormatLift(t.Target)
			}
			qs = append(qs, r.text("review.q.target", map[string]string{"Name": h.Label, "Actual": actual, "Target": target}))
		}
	}
	for _, q := range []struct {
		name string
		kpis []string
	}{
		{"review.q.customers", []string{workflows.KPINPS, workflows.KPIPayingCustomers, workflows.KPISupportTickets}},
		{"review.q.churn", []string{workflows.KPIChurnRate, workflows.KPIChurnedMRR}},
		{"review.q.onboarding", []string{workflows.KPINewUsers, workflows.KPINewOrgs, workflows.KPIRetention}},
	} {
		var known []string
		for _, k := range q.kpis {
			if headline(rv, k).Current.Known {
				known = append(known, brief(rv, k))
			}
		}
		if len(known) > 0 {
			qs = append(qs, r.text(q.name, capitalize(strings.Join(known, "; "))+"."))
		}
	}
	if len(qs) == 0 {
		return Message{Text: "Questions for the discussion", Blocks: []slack.Block{Section(r.text("review.no-questions", nil))}}
	}
	qs = qs[:min(len(qs), questionsShown)]
	for i := range qs {
		qs[i] = fmt.Sprintf("%d. %s", i+1, qs[i])
	}
	return Message{Text: "Questions for the discussion", Blocks: []slack.Block{Section(r.text("review.questions", qs))}}
}

// questionMoverChange is the least relative change that asks a question
// when no KPI broke from its trend.
const questionMoverChange = 0.2

func (r *Renderer) chartTitle(rv workflows.Review) string {
	from, to := rv.Month, rv.Month
	if len(rv.Trend) > 0 {
		from, to = rv.Trend[0].Month, rv.Trend[len(rv.Trend)-1].Month
	}
	return r.text("review.chart", map[string]string{"Team": rv.Team.Name, "From": shortMonth(from), "To": shortMonth(to)})
}

func (r *Renderer) reviewChart(rv workflows.Review) (workflows.Rendered, error) {
	title := r.chartTitle(rv)
	png, err := KPIChart(title, rv)
	if err != nil {
		return workflows.Rendered{}, err
	}
	return workflows.Rendered{Text: title, File: png, Filename: fmt.Sprintf("growth-review-%s-%s.png", rv.Team.Key, rv.Month)}, nil
}

// renderReviewDecided is the posted summary once decided: as it was
// posted, with the decision where the lead's buttons were.
func (r *Renderer) renderReviewDecided(v workflows.ReviewDecided) (workflows.Rendered, error) {
	original := v.OriginalBody
	if v.Original.Kind != "" {
		if v.Original.Kind != workflows.KindReview {
			return workflows.Rendered{}, fmt.Errorf("bot: the posted review is a %s payload", v.Original.Kind)
		}
		var err error
		if original, err = r.Render(v.Original); err != nil {
			return workflows.Rendered{}, fmt.Errorf("bot: the posted review: %w", err)
		}
	}
	var blocks []json.RawMessage
	if err := json.Unmarshal(original.Blocks, &blocks); err != nil {
		return workflows.Rendered{}, fmt.Errorf("bot: the posted review: %w", err)
	}
	decision, err := json.Marshal(Section(r.text("review.decision", decisionData(v.Record))))
	if err != nil {
		return workflows.Rendered{}, fmt.Errorf("bot: render the decision: %w", err)
	}
	out := make([]json.RawMessage, 0, len(blocks))
	for _, b := range blocks {
		var head struct {
			BlockID string `json:"block_id"`
		}
		if json.Unmarshal(b, &head) == nil && head.BlockID == ReviewActionsBlock {
			continue
		}
		out = append(out, b)
	}
	body, err := json.Marshal(append(out, decision))
	if err != nil {
		return workflows.Rendered{}, fmt.Errorf("bot: render the decision: %w", err)
	}
	return workflows.Rendered{Text: original.Text + " · decided: " + describeCourse(v.Record.Course), Blocks: body}, nil
}

func describeCourse(c workflows.Course) string {
	if c == workflows.CourseChange {
		return "change course"
	}
	return "stay the course"
}

func (r *Renderer) reviewDecisionNote(v workflows.ReviewDecisionNote) Message {
	text := r.text("review.decision", decisionData(v.Record))
	return Message{Text: fmt.Sprintf("%s decided: %s", Escape(v.Team.Name), describeCourse(v.Record.Course)), Blocks: []slack.Block{Section(text)}}
}

// companyValue shows a company-wide number beside a team's: its value,
// or that it has none, and whether it is partial.
func companyValue(unit workflows.KPIUnit, v workflows.KPIValue) string {
	if !v.Known {
		return "no value"
	}
	out := kpiValue(unit, v.Value)
	if v.Partial {
		out += " (partial)"
	}
	return out
}
