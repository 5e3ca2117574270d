package render

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// WithdrawButton takes back the requester's own request. The request in
// the thread shows Approve and Reject to everyone (a message's buttons are
// the same for every reader); the requester's Withdraw is in the answer to
// their request and in their App Home. Reject pressed by the requester
// withdraws too.
func WithdrawButton(d workflows.Decision) *slack.ButtonBlockElement {
	b := Button("Withdraw", ActionWithdraw, strconv.FormatInt(d.ID, 10), StyleDefault)
	b.Confirm = slack.NewConfirmationBlockObject(plain("Withdraw your request?", 100),
		plain(fmt.Sprintf("Decision #%d is closed as withdrawn; the experiment keeps running.", d.ID), 300),
		plain("Withdraw", 30), plain("Keep it", 30))
	return b
}

// DecisionWhat says what a decision does, for its requester or approver:
// "ship treatment of `one-click-checkout`".
func DecisionWhat(d workflows.Decision) string {
	switch d.Action {
	case workflows.ActionShip:
		return fmt.Sprintf("ship %s of `%s`", Escape(d.Variant), d.Experiment)
	case workflows.ActionExtend:
		return fmt.Sprintf("extend `%s` by %d day%s", d.Experiment, d.Days, map[bool]string{true: "", false: "s"}[d.Days == 1])
	}
	return fmt.Sprintf("kill `%s`", d.Experiment)
}

// ApprovalCount writes a number of approvals: "1 approval", "2 approvals".
func ApprovalCount(n int) string {
	if n == 1 {
		return "1 approval"
	}
	return strconv.Itoa(n) + " approvals"
}

func mentionList(users []string, conj string) string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = mention(u)
	}
	switch len(out) {
	case 0:
		return "nobody"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " " + conj + " " + out[len(out)-1]
}

// decisionWords is what the decision templates may say about a decision.
func decisionWords(d workflows.Decision, e workflows.Experiment, team workflows.Team, sc *workflows.Scorecard) map[string]any {
	framework := cmp.Or(e.Framework, team.Framework, workflows.DefaultFramework)
	if sc != nil {
		framework = sc.Recommendation.Framework
	}
	return map[string]any{
		"Action": string(d.Action), "Variant": Escape(d.Variant), "Days": d.Days, "Title": Escape(d.Title()),
		"Name": Escape(e.Name), "Control": Escape(e.Control()), "Requester": d.Requester, "Reason": Escape(d.Reason),
		"State": string(d.State), "Auto": d.AutoApproved, "Framework": Escape(framework),
		"Recommendation": strings.ReplaceAll(d.Recommendation, "_", " "), "Approved": mentionList(d.Approvers(), "and"),
		"Withdrawn": d.State == workflows.DecisionRejected && d.RejectedBy == d.Requester, "EndsAt": e.EndsAt,
	}
}

// decisionData shows the data a decision rests on: the recommendation and
// the primary and guardrail results.
func (r *Renderer) decisionData(d workflows.Decision, sc *workflows.Scorecard) []slack.Block {
	if sc == nil {
		return []slack.Block{Section(":question: " + Escape(d.RecommendationReason))}
	}
	blocks := []slack.Block{Section(r.recommendationText(*sc))}
	var lines []string
	for _, res := range sc.Results {
		if res.Role == workflows.RolePrimary || res.Role == workflows.RoleGuardrail {
			lines = append(lines, resultLine(res, *sc))
		}
	}
	if len(lines) > 0 {
		blocks = append(blocks, sectionLines("*Data*", lines)...)
	}
	return append(blocks, Context(fmt.Sprintf("Guardrails %s · %s · %s", guardrailIcons[sc.Guardrails], dayText(*sc), dataQuality(*sc))))
}

func (r *Renderer) renderDecisionRequest(m workflows.DecisionRequest) Message {
	d, e := m.Decision, m.Experiment
	words := decisionWords(d, e, m.Team, m.Scorecard)
	words["Left"] = d.RequiredApprovals - len(d.Approvals)
	words["Approvers"] = mentionList(workflows.EligibleApprovers(m.Team, d), "or")
	if len(d.Approvals) == 0 {
		words["Approved"] = ""
	}
	request := r.text("decision.request", words)
	blocks := []slack.Block{Header(r.text("decision.title", words)), Section(request)}
	blocks = append(blocks, r.decisionData(d, m.Scorecard)...)
	blocks = append(blocks, Section(r.text("decision.needs", words)),
		Actions(fmt.Sprintf("decision:%d", d.ID),
			Button("Approve", ActionApprove, strconv.FormatInt(d.ID, 10), StylePrimary),
			Button("Reject", ActionReject, strconv.FormatInt(d.ID, 10), StyleDanger)),
		Context(fmt.Sprintf("Decision #%d · asked %s · `%s history %s` lists every change", d.ID, SlackDate(d.CreatedAt), r.command("exp"), e.Key)))
	return Message{Text: request, Blocks: blocks}
}

func (r *Renderer) renderDecisionOutcome(m workflows.DecisionOutcome) Message {
	d, e := m.Decision, m.Experiment
	words := decisionWords(d, e, m.Team, m.Scorecard)
	words["Actor"], words["Note"] = m.Actor, Escape(m.Reason)
	title := r.text("decision.outcome.title", words)
	outcome := r.text("decision.outcome", words)
	blocks := []slack.Block{Header(title), Section(outcome)}
	if d.State == workflows.DecisionApplied && d.Action != workflows.ActionExtend && d.Reason != "" {
		blocks = append(blocks, Section("> "+Escape(d.Reason)))
	}
	if d.State == workflows.DecisionApplied {
		blocks = append(blocks, r.decisionData(d, m.Scorecard)...)
	}
	blocks = append(blocks, Context(fmt.Sprintf("Decision #%d · asked by %s %s · settled %s · `%s history %s` lists every change",
		d.ID, Owner(d.Requester), SlackDate(d.CreatedAt), SlackDate(d.ResolvedAt), r.command("exp"), e.Key)))
	return Message{Text: title + ": " + outcome, Blocks: blocks}
}

// reviewOutcome sums up what the data says about the hypothesis.
func reviewOutcome(sc *workflows.Scorecard) string {
	switch {
	case sc == nil || noExposures(*sc):
		return "no_data"
	case sc.Guardrails == workflows.GuardrailsFailing:
		return "harmful"
	case sc.Holds(workflows.CondPrimaryWinning):
		return "supported"
	case sc.Holds(workflows.CondPrimaryLosing):
		return "refuted"
	}
	return "inconclusive"
}

// noExposures reports whether no unit was ever exposed.
func noExposures(sc workflows.Scorecard) bool {
	for _, n := range sc.Units {
		if n > 0 {
			return false
		}
	}
	return true
}

func (r *Renderer) renderExperimentReview(m workflows.ExperimentReview) Message {
	d, e, sc := m.Decision, m.Experiment, m.Scorecard
	words := decisionWords(d, e, m.Team, sc)
	words["At"] = d.ResolvedAt
	words["Outcome"] = reviewOutcome(sc)
	words["GuardrailsHealthy"] = sc != nil && sc.Guardrails == workflows.GuardrailsHealthy
	words["MDE"] = 0.0
	if sc != nil {
		words["MDE"] = sc.MDE
	}
	hypothesis := "_No hypothesis was written down._"
	if e.Hypothesis != "" {
		hypothesis = Escape(e.Hypothesis)
	}
	result := "_No data._"
	if sc != nil {
		var lines []string
		for _, res := range sc.Results {
			if res.Role == workflows.RolePrimary || res.Role == workflows.RoleGuardrail {
				lines = append(lines, resultLine(res, *sc))
			}
		}
		result = strings.Join(lines, "\n")
		if result == "" {
			result = "_No results._"
		}
	}
	title := r.text("decision.review.title", words)
	blocks := []slack.Block{
		Header(title),
		Section("*Hypothesis*\n" + hypothesis),
		Section("*Result*\n" + result),
		Section("*Decision*\n" + r.text("decision.review.decision", words)),
		Section(learnedTitle(words["Outcome"]) + r.text("decision.review.learned", words)),
	}
	if sc != nil {
		blocks = append(blocks, Context(fmt.Sprintf("%s · ran %d days · %s", Escape(m.Team.Name), sc.Day, dataQuality(*sc))))
	}
	return Message{Text: title, Blocks: blocks}
}

// learnedTitle heads the review's conclusion: without data nothing was
// learned from it.
func learnedTitle(outcome any) string {
	if outcome == "no_data" {
		return "*What the data says*\n"
	}
	return "*What we learned*\n"
}

func (r *Renderer) renderPostMortemAsk(m workflows.PostMortemAsk) Message {
	text := r.text("decision.postmortem", map[string]any{"Owner": m.Experiment.Owner, "Killer": m.Decision.Requester,
		"Name": Escape(m.Experiment.Name)})
	return Message{Text: text, Blocks: []slack.Block{Section(text)}}
}

// killButton asks before it kills: a kill takes effect at once.
func killButton(e workflows.Experiment) *slack.ButtonBlockElement {
	kill := Button("Kill", ActionKill, e.Key, StyleDanger)
	kill.Confirm = slack.NewConfirmationBlockObject(plain("Kill "+e.Name+"?", 100),
		plain("Everyone gets the control at once. You can say why in the thread.", 300), plain("Kill it", 30), plain("Cancel", 30))
	return kill
}

func (r *Renderer) renderRolloutAlert(a workflows.RolloutAlert) Message {
	e := a.Experiment
	words := map[string]any{"Name": Escape(e.Name), "Owner": e.Owner, "Actor": a.Actor, "Op": string(a.Op),
		"From": FormatPercent(a.From), "To": FormatPercent(e.RolloutPercent), "Step": e.RolloutStep + 1,
		"Steps": len(e.RolloutPlan), "Reason": Escape(a.Reason), "Framework": ""}
	if a.Scorecard != nil {
		words["Framework"] = Escape(a.Scorecard.Recommendation.Framework)
	}
	text := r.text("rollout."+string(a.Event), words)
	var buttons []*slack.ButtonBlockElement
	switch {
	case a.Event == workflows.RolloutHalted || a.Event == workflows.RolloutRolledBack:
		buttons = append(buttons, Button("Resume", ActionRolloutResume, e.Key, StylePrimary), killButton(e))
	case a.Event == workflows.RolloutCompleted:
		buttons = append(buttons, Button("Ship", ActionShip, e.Key, StylePrimary), killButton(e))
	case e.RolloutPaused:
		buttons = append(buttons, Button("Resume", ActionRolloutResume, e.Key, StylePrimary))
	default:
		buttons = append(buttons, Button("Pause", ActionRolloutPause, e.Key, StyleDefault))
	}
	blocks := []slack.Block{Section(text), Actions("rollout:"+e.Key, buttons...)}
	if a.Scorecard != nil && a.Event != workflows.RolloutSteered {
		blocks = append(blocks, Context(fmt.Sprintf("Guardrails %s · %s", guardrailIcons[a.Scorecard.Guardrails], dataQuality(*a.Scorecard))))
	}
	return Message{Text: text, Blocks: blocks}
}

// renderEarlierDecided renders an earlier message of a decided experiment
// as it was, without its buttons, and says what was decided instead.
func (r *Renderer) renderEarlierDecided(m workflows.EarlierDecided) (workflows.Rendered, error) {
	if m.Original.Kind == workflows.KindEarlierDecided {
		return workflows.Rendered{}, fmt.Errorf("bot: an earlier message of %s replaces another replacement", m.Experiment.Key)
	}
	body, err := r.Render(m.Original)
	if err != nil {
		return body, err
	}
	var blocks []json.RawMessage
	if err := json.Unmarshal(body.Blocks, &blocks); err != nil {
		return body, fmt.Errorf("bot: blocks of an earlier message of %s: %w", m.Experiment.Key, err)
	}
	kept := blocks[:0]
	for _, b := range blocks {
		var head struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(b, &head) == nil && head.Type != "actions" {
			kept = append(kept, b)
		}
	}
	note, err := json.Marshal(Context(decidedNote(m.Experiment, m.Decision)))
	if err != nil {
		return body, err
	}
	if body.Blocks, err = json.Marshal(append(kept, note)); err != nil {
		return body, err
	}
	return body, nil
}

// decidedNote says, under an earlier message whose buttons are gone, what
// was decided: "Decided on Dec 2, 2026: shipped banner ...".
func decidedNote(e workflows.Experiment, d workflows.Decision) string {
	what := fmt.Sprintf(":rocket: Decided on %s: *%s* shipped, everyone gets *%s*.", slackDay(e.DecidedAt), Escape(e.Name), Escape(e.Winner))
	if e.State == workflows.StateKilled {
		what = fmt.Sprintf(":no_entry_sign: Decided on %s: *%s* killed, everyone gets *%s*.", slackDay(e.DecidedAt), Escape(e.Name), Escape(e.Control()))
	}
	return fmt.Sprintf("%s Its buttons are gone; decision #%d in the thread says why.", what, d.ID)
}
