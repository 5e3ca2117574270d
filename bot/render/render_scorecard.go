package render

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/stats"
	"github.com/growthbot/growthbot/workflows"
)

// scorecardButtons are Ship / Extend 7 days / Kill for an experiment.
// scorecardButtons are ship, extend and kill. Only the action the data
// recommends is styled as the one to press. Ship asks before it goes: it
// applies at once when the data settles it, and may go against the
// recommendation. With several treatments there is one Ship per
// treatment, so that nobody ships a variant they did not choose.
func scorecardButtons(e workflows.Experiment, rec workflows.Recommendation) slack.Block {
	style := func(a workflows.Recommend) slack.Style {
		if rec.Action == a {
			return StylePrimary
		}
		return StyleDefault
	}
	var treatments []string
	for _, v := range e.Variants[min(1, len(e.Variants)):] {
		treatments = append(treatments, v.Key)
	}
	var buttons []*slack.ButtonBlockElement
	if len(treatments) <= 1 {
		buttons = append(buttons, shipButton(e, "", rec, style(workflows.RecommendShip)))
	} else {
		for _, v := range treatments {
			s := StyleDefault
			if rec.Action == workflows.RecommendShip && rec.Variant == v {
				s = StylePrimary
			}
			buttons = append(buttons, shipButton(e, v, rec, s))
		}
	}
	buttons = append(buttons, Button("Extend 7 days", ActionExtend, e.Key, style(workflows.RecommendExtend)), killButton(e))
	return Actions("scorecard:"+e.Key, buttons...)
}

// shipButton ships variant (or the experiment's one treatment) after a
// confirmation that says what the data recommends.
func shipButton(e workflows.Experiment, variant string, rec workflows.Recommendation, style slack.Style) *slack.ButtonBlockElement {
	label, id, value := "Ship", ActionShip, e.Key
	if variant != "" {
		label, id, value = "Ship "+variant, ActionShipVariant, e.Key+" "+variant
	}
	b := Button(label, id, value, style)
	what := "Everyone gets " + cmp.Or(variant, "the treatment")
	advice := "It applies at once when the data settles it, and otherwise asks the approvers."
	if rec.Action != workflows.RecommendShip || variant != "" && rec.Variant != variant {
		advice = "The data does not recommend this: it recommends " + strings.TrimSpace(strings.ReplaceAll(string(rec.Action), "_", " ")+" "+rec.Variant) + ". It will ask the approvers."
	}
	b.Confirm = slack.NewConfirmationBlockObject(plain(label+"?", 100), plain(what+". "+advice, 300), plain(label, 30), plain("Cancel", 30))
	return b
}

var guardrailIcons = map[workflows.GuardrailStatus]string{
	workflows.GuardrailsHealthy:    ":large_green_circle: healthy",
	workflows.GuardrailsRegressing: ":large_yellow_circle: regressing",
	workflows.GuardrailsFailing:    ":red_circle: failing",
	workflows.GuardrailsUnknown:    ":white_circle: unknown",
}

// formatValue shows a metric's value in its unit: a share for a
// proportion, a number otherwise.
func formatValue(m workflows.Metric, v float64) string {
	if m.Type == workflows.MetricProportion {
		return fmt.Sprintf("%.2f%%", v*100)
	}
	switch a := math.Abs(v); {
	case a >= 1000:
		return formatNumber(math.Round(v))
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// resultLine is one metric's line on a scorecard.
func resultLine(r workflows.MetricResult, sc workflows.Scorecard) string {
	name := fmt.Sprintf("*%s*", Escape(r.Metric.Name))
	if r.Variant != "" {
		name += fmt.Sprintf(" (%s)", Escape(r.Variant))
	}
	if r.Problem != "" {
		if r.Role == workflows.RoleGuardrail {
			return fmt.Sprintf("%s  :white_circle: unknown: _%s_", name, Escape(r.Problem))
		}
		return fmt.Sprintf("%s  _%s_", name, Escape(r.Problem))
	}
	stat := formatP(r.PValue)
	if r.Test == workflows.TestNoVariation {
		stat = "no unit varies"
	} else if sc.Method == workflows.MethodBayesian {
		win := r.ChanceToWin
		if !r.Metric.HigherIsBetter {
			win = 1 - win
		}
		stat = fmt.Sprintf("chance to be better %.1f%%", win*100)
	}
	verdict := map[workflows.Verdict]string{
		workflows.VerdictGood:    ":white_check_mark: significant, better",
		workflows.VerdictBad:     ":x: significant, worse",
		workflows.VerdictFlat:    ":heavy_minus_sign: not significant",
		workflows.VerdictPending: ":hourglass_flowing_sand: too early to judge",
	}[r.Verdict]
	if r.Verdict == workflows.VerdictPending && sc.NotFinal {
		verdict = ":hourglass_flowing_sand: not final (fixed horizon)"
	}
	if r.Regressing && r.Verdict != workflows.VerdictBad {
		verdict += ", trending worse"
	}
	notes := ""
	if r.CUPED {
		notes += " · CUPED (treatment mean adjusted)"
	}
	switch {
	case r.Absolute() && (r.Test == stats.TestFisher || r.Test == stats.TestSeqFisher || r.Test == stats.TestBetaBinomial):
		notes += " · absolute difference, " + r.Test + " (small counts)"
	case r.Absolute():
		notes += " · absolute difference (control mean is 0)"
	}
	return fmt.Sprintf("%s  %s → %s  *%s* [%s, %s]  %s%s  %s", name, formatValue(r.Metric, r.ControlMean),
		formatValue(r.Metric, r.TreatmentMean), r.Format(r.Lift), r.Format(r.Low), r.Format(r.High), stat, notes, verdict)
}

func formatP(p float64) string {
	if p < 0.0001 {
		return "p < 0.0001"
	}
	return fmt.Sprintf("p = %.4f", p)
}

// scorecardContext is the line under a scorecard's title. A Bayesian
// card states no α: its verdict rule (in the footer) is what it keeps.
func scorecardContext(sc workflows.Scorecard, team workflows.Team) string {
	e := sc.Experiment
	method := fmt.Sprintf("%s, α = %g", sc.Method, e.Alpha)
	if sc.Method == workflows.MethodBayesian {
		method = string(sc.Method)
	}
	return fmt.Sprintf("%s · owner %s · %s · %s · %s", Escape(team.Name), Owner(e.Owner), method, dayText(sc), SlackDate(sc.AsOf))
}

// dayText is where the experiment is in its plan: "day 3 of 14", "day 22
// of 14 · 8 days overdue", or for a decided one the day of its decision.
func dayText(sc workflows.Scorecard) string {
	e := sc.Experiment
	switch {
	case sc.Decided:
		verb := "shipped"
		if e.State == workflows.StateKilled {
			verb = "killed"
		}
		return fmt.Sprintf("%s on day %d (planned %d)", verb, sc.Day, e.PlannedDays)
	case sc.DaysOverdue > 0:
		return fmt.Sprintf("day %d of %d · %d day%s overdue", sc.Day, e.PlannedDays, sc.DaysOverdue, plural(sc.DaysOverdue))
	}
	return fmt.Sprintf("day %d of %d", sc.Day, e.PlannedDays)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// recommendationText is the recommendation, or for a decided experiment
// its decision.
func (r *Renderer) recommendationText(sc workflows.Scorecard) string {
	// The reason quotes metric names and variants, which are data.
	rec := sc.Recommendation
	rec.Variant, rec.Reason, rec.Framework = Escape(rec.Variant), Escape(rec.Reason), Escape(rec.Framework)
	if sc.Decided {
		return r.text("decided", rec)
	}
	return r.text("recommendation", rec)
}

// Scorecard renders an experiment's scorecard.
func (r *Renderer) Scorecard(m workflows.ScorecardMessage) Message {
	sc, e := m.Scorecard, m.Scorecard.Experiment
	blocks := []slack.Block{
		Header(r.text("scorecard.title", map[string]string{"Name": e.Name})),
		Context(scorecardContext(sc, m.Team)),
	}
	if e.Hypothesis != "" {
		blocks = append(blocks, Section("*Hypothesis:* "+Escape(e.Hypothesis)))
	}
	blocks = append(blocks, Section(r.recommendationText(sc)), Divider())
	for _, role := range []struct {
		role  workflows.Role
		title string
	}{{workflows.RolePrimary, "Primary metrics"}, {workflows.RoleGuardrail, "Guardrails: " + guardrailIcons[sc.Guardrails]},
		{workflows.RoleSecondary, "Secondary metrics"}} {
		var lines []string
		for _, res := range sc.Results {
			if res.Role == role.role {
				lines = append(lines, resultLine(res, sc))
			}
		}
		if len(lines) > 0 {
			blocks = append(blocks, sectionLines("*"+role.title+"*", lines)...)
		}
	}
	blocks = append(blocks, Divider(), Context(dataQuality(sc)), Context(progressLine(sc)))
	switch {
	case sc.NotFinal:
		blocks = append(blocks, Context(fmt.Sprintf(":hourglass_flowing_sand: Peeking discipline: this is %s. "+
			"Only a guardrail that fails on an always-valid confidence sequence is called before then.", Escape(sc.MatureReason))))
	case !sc.Mature && !sc.Decided:
		blocks = append(blocks, Context(fmt.Sprintf(":hourglass_flowing_sand: Peeking discipline: nothing is called significant "+
			"before day %d and %d units in each arm; it is %s.", e.MinDays, sc.MinSamplePerArm, Escape(sc.MatureReason))))
	}
	if sc.VerdictRule != "" {
		blocks = append(blocks, Context("Verdict rule: "+Escape(sc.VerdictRule)+"."))
	}
	if m.Buttons && (e.State == workflows.StateRunning || e.State == workflows.StateDecisionPending) {
		blocks = append(blocks, scorecardButtons(e, sc.Recommendation))
	}
	return Message{Text: Escape(e.Name) + ": " + ScorecardHeadline(sc), Blocks: blocks}
}

// sectionLines packs lines under a title into as few sections as Slack's
// text limit allows.
func sectionLines(title string, lines []string) []slack.Block {
	var blocks []slack.Block
	cur := title
	for _, l := range lines {
		if len(cur)+1+len(l) > MaxTextLength {
			blocks = append(blocks, Section(cur))
			cur = ""
		}
		if cur != "" {
			cur += "\n"
		}
		cur += l
	}
	return append(blocks, Section(cur))
}

func dataQuality(sc workflows.Scorecard) string {
	var units []string
	for _, v := range sc.Experiment.Variants {
		units = append(units, fmt.Sprintf("%s %s", Escape(v.Key), formatNumber(float64(sc.Units[v.Key]))))
	}
	srm := fmt.Sprintf(":white_check_mark: split as planned (SRM p = %.2g)", sc.SRMPValue)
	if sc.SRM {
		srm = fmt.Sprintf(":warning: *sample ratio mismatch* (p = %.2g)", sc.SRMPValue)
	}
	total := int64(0)
	for _, n := range sc.Units {
		total += n
	}
	if total == 0 {
		return "No exposures yet: send them with `growthbot import exposures FILE` or `POST /api/v1/exposures`."
	}
	line := "Units: " + strings.Join(units, " · ") + " · " + srm
	if sc.MultipleExposures > 0 {
		line += fmt.Sprintf(" · :warning: %s units saw more than one variant and are left out", formatNumber(float64(sc.MultipleExposures)))
	}
	return line
}

func progressLine(sc workflows.Scorecard) string {
	e := sc.Experiment
	line := "Progress: " + dayText(sc)
	target := e.TargetMDE
	if target == 0 {
		target = workflows.DefaultTargetMDE
	}
	verdict := slices.ContainsFunc(sc.Results, func(r workflows.MetricResult) bool {
		return r.Role == workflows.RolePrimary && (r.Verdict == workflows.VerdictGood || r.Verdict == workflows.VerdictBad)
	})
	switch {
	case verdict && sc.MDE > 0:
		line += fmt.Sprintf(" · the primary metric has a verdict; the test can now detect a change of ±%.1f%%", sc.MDE*100)
	case verdict:
		line += " · the primary metric has a verdict"
	case sc.OutOfReach && sc.DaysToMDE > 0:
		line += fmt.Sprintf(" · a %s lift is out of reach: about %.0f more days would be needed, more than %d times the plan (it can now detect %s)",
			workflows.FormatLift(target), math.Ceil(sc.DaysToMDE), workflows.OutOfReachFactor, workflows.FormatLift(sc.MDE))
	case sc.DaysToMDE < 0 && sc.ProgressNote != "":
		line += fmt.Sprintf(" · when a %s lift becomes detectable is unknown: %s", workflows.FormatLift(target), Escape(sc.ProgressNote))
	case sc.DaysToMDE < 0:
		line += fmt.Sprintf(" · not enough data yet to estimate when a %s lift becomes detectable", workflows.FormatLift(target))
	case sc.DaysToMDE == 0:
		line += fmt.Sprintf(" · enough data to detect a %s lift (it can now detect %s)", workflows.FormatLift(target), workflows.FormatLift(sc.MDE))
	default:
		line += fmt.Sprintf(" · %.0f%% of the sample needed to detect a %s lift · about %.0f more days", sc.SampleShare*100,
			workflows.FormatLift(target), math.Ceil(sc.DaysToMDE))
	}
	return line
}

// ScorecardHeadline is the one-line summary of a scorecard: the recommendation and
// the first primary result.
func ScorecardHeadline(sc workflows.Scorecard) string {
	rec := strings.ReplaceAll(string(sc.Recommendation.Action), "_", " ")
	if sc.Recommendation.Variant != "" {
		rec += " " + Escape(sc.Recommendation.Variant)
	}
	for _, r := range sc.Results {
		if r.Role == workflows.RolePrimary && r.Problem == "" {
			return fmt.Sprintf("%s; %s %s [%s, %s]", rec, Escape(r.Metric.Name), r.Format(r.Lift), r.Format(r.Low), r.Format(r.High))
		}
	}
	return rec
}

func (r *Renderer) renderHeadline(h workflows.ThreadHeadline) Message {
	e := h.Experiment
	state := map[workflows.State]string{
		workflows.StateDraft: "draft", workflows.StateRunning: "running", workflows.StateDecisionPending: "waiting for a decision",
		workflows.StateShipped: "shipped " + e.Winner, workflows.StateKilled: "killed",
	}[e.State]
	blocks := []slack.Block{Header(r.text("scorecard.title", map[string]string{"Name": e.Name}))}
	if e.Hypothesis != "" {
		blocks = append(blocks, Section("*Hypothesis:* "+Escape(e.Hypothesis)))
	}
	text := Escape(e.Name) + ": " + Escape(state)
	if h.Scorecard != nil && !e.State.Terminal() {
		blocks = append(blocks, Section(r.recommendationText(*h.Scorecard)))
		text = Escape(e.Name) + ": " + ScorecardHeadline(*h.Scorecard)
		for _, res := range h.Scorecard.Results {
			if res.Role == workflows.RolePrimary {
				blocks = append(blocks, Section(resultLine(res, *h.Scorecard)))
				break
			}
		}
	} else if e.State.Terminal() {
		outcome := fmt.Sprintf(":rocket: *Shipped %s* on %s: everyone gets it.", Escape(e.Winner), slackDay(e.DecidedAt))
		if e.State == workflows.StateKilled {
			outcome = fmt.Sprintf(":no_entry_sign: *Killed* on %s: everyone gets %s.", slackDay(e.DecidedAt), Escape(e.Control()))
		}
		blocks = append(blocks, Section(outcome+" The experiment review is in the thread."))
	} else if e.State == workflows.StateRunning && !e.StartedAt.IsZero() {
		blocks = append(blocks, Section(fmt.Sprintf(":arrow_forward: *Started* %s, planned to run %d days, until %s. Scorecards will be posted in this thread as the data comes in.",
			SlackDate(e.StartedAt), e.PlannedDays, SlackDate(e.EndsAt))))
	} else {
		blocks = append(blocks, Section("Scorecards will be posted in this thread as the data comes in."))
	}
	ctx := fmt.Sprintf("%s · owner %s · %s %s", Escape(h.Team.Name), Owner(e.Owner), stateIcons[e.State], state)
	if h.Scorecard != nil {
		ctx += " · " + dayText(*h.Scorecard)
	}
	blocks = append(blocks, Context(ctx+" · details in the thread"))
	return Message{Text: text, Blocks: blocks}
}

func (r *Renderer) renderGuardrailAlert(a workflows.GuardrailAlert) Message {
	e, res := a.Experiment, a.Result
	text := r.text("alert.guardrail", map[string]any{"Owner": e.Owner, "Metric": Escape(res.Metric.Name), "Variant": Escape(res.Variant),
		"Lift": res.Lift, "Low": res.Low, "High": res.High,
		"Change": fmt.Sprintf("%s [%s, %s]", res.Format(res.Lift), res.Format(res.Low), res.Format(res.High))})
	return Message{Text: text, Blocks: []slack.Block{Section(text), Actions("guardrail:"+e.Key, killButton(e))}}
}

func (r *Renderer) renderSRMAlert(a workflows.SRMAlert) Message {
	var counts []string
	for _, v := range a.Experiment.Variants {
		counts = append(counts, fmt.Sprintf("%s %s (weight %g)", Escape(v.Key), formatNumber(float64(a.Scorecard.Units[v.Key])), v.Weight))
	}
	text := r.text("alert.srm", map[string]any{"Owner": a.Experiment.Owner, "P": a.Scorecard.SRMPValue, "Counts": strings.Join(counts, ", ")})
	return Message{Text: text, Blocks: []slack.Block{Section(text)}}
}

func (r *Renderer) renderSourceDown(a workflows.SourceDown) Message {
	text := r.text("alert.source_down", map[string]any{"Owner": a.Experiment.Owner, "Problem": Escape(strings.TrimSuffix(a.Problem, "."))})
	return Message{Text: text, Blocks: []slack.Block{Section(text)}}
}

func (r *Renderer) renderOverdue(o workflows.OverdueReminder) Message {
	e := o.Experiment
	rec := strings.ReplaceAll(string(o.Recommendation.Action), "_", " ")
	text := r.text("alert.overdue", map[string]any{"Owner": e.Owner, "Name": Escape(e.Name), "DaysOver": o.DaysOver,
		"Recommendation": rec, "Key": e.Key})
	return Message{Text: text, Blocks: []slack.Block{Section(text), scorecardButtons(e, o.Recommendation)}}
}

func (r *Renderer) renderEscalation(o workflows.OwnerEscalation) Message {
	e := o.Experiment
	text := r.text("alert.escalate", map[string]any{"Lead": o.Team.Lead, "Name": Escape(e.Name), "Owner": e.Owner, "Team": Escape(o.Team.Name)})
	return Message{Text: text, Blocks: []slack.Block{Section(text)}}
}

// renderLiftChart draws the chart and titles the upload.
func (r *Renderer) renderLiftChart(c workflows.LiftChart) (workflows.Rendered, error) {
	png, err := LiftChartPNG(c.Scorecard)
	if err != nil {
		return workflows.Rendered{}, err
	}
	e := c.Scorecard.Experiment
	res, _ := primaryResult(c.Scorecard)
	title := fmt.Sprintf("%s: cumulative lift of %s, day %d", e.Name, res.Metric.Name, c.Scorecard.Day)
	return workflows.Rendered{Text: title, File: png, Filename: fmt.Sprintf("%s-lift-day-%d.png", e.Key, c.Scorecard.Day)}, nil
}

// renderIntervalChart draws every metric's interval and titles the upload.
func (r *Renderer) renderIntervalChart(c workflows.IntervalChart) (workflows.Rendered, error) {
	png, err := IntervalChartPNG(c.Scorecard)
	if err != nil {
		return workflows.Rendered{}, err
	}
	e := c.Scorecard.Experiment
	title := fmt.Sprintf("%s: every metric's lift and interval, coloured by verdict, day %d", e.Name, c.Scorecard.Day)
	return workflows.Rendered{Text: title, File: png, Filename: fmt.Sprintf("%s-metrics-day-%d.png", e.Key, c.Scorecard.Day)}, nil
}
