package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/growthbot/growthbot/workflows"
)

// Decisions and rollouts in Slack: the /exp ship, extend, kill and rollout
// commands, the buttons of decision requests, scorecards and rollout
// alerts, and the messages that show them.

// Action ids of the decision and rollout buttons. Decision buttons carry
// the decision id, so that a press on an old message finds that decision
// settled and says how; the others carry the experiment key.
const (
	ActionApprove = "decision.approve"
	ActionReject  = "decision.reject"
	// ActionWithdraw is the requester's own Reject: it withdraws.
	ActionWithdraw       = "decision.withdraw"
	ActionRolloutPause   = "rollout.pause"
	ActionRolloutResume  = "rollout.resume"
	defaultExtensionDays = 7 // the scorecard's Extend 7 days button
)

// requestButton handles Ship, Extend 7 days and Kill on a scorecard or an
// alert: the value is the experiment key.
func requestButton(action workflows.Action) actionHandler {
	return experimentButton(func(r *Router, ctx context.Context, user, key string) (Message, error) {
		return r.requestDecision(ctx, user, key, action, "", defaultExtensionDays, "")
	})
}

// shipVariant handles "Ship VARIANT" on an experiment with several
// treatments: the value is "KEY VARIANT".
func (r *Router) shipVariant(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (Message, error) {
	key, variant, _ := strings.Cut(a.Value, " ")
	return r.later(ctx, cb, a, func(ctx context.Context) (Message, error) {
		return r.requestDecision(ctx, cb.User.ID, key, workflows.ActionShip, variant, 0, "")
	})
}

// rolloutButton handles Pause and Resume on a rollout alert.
func rolloutButton(op workflows.RolloutOp) actionHandler {
	return experimentButton(func(r *Router, ctx context.Context, user, key string) (Message, error) {
		return r.steerRollout(ctx, user, key, op, 0)
	})
}

// decide answers /exp ship, /exp extend and /exp kill.
func (r *Router) decide(ctx context.Context, req CommandRequest, c Command) (Message, error) {
	action := workflows.Action(strings.TrimPrefix(c.Name, "exp "))
	return r.requestDecision(ctx, req.UserID, c.Key, action, c.Variant, c.Days, c.Reason)
}

func (r *Router) requestDecision(ctx context.Context, user, key string, action workflows.Action, variant string, days int, reason string) (Message, error) {
	d, err := r.Service.RequestDecision(ctx, user, key, action, variant, days, reason)
	if err != nil {
		return Message{}, err
	}
	r.wake()
	switch {
	case d.Action == workflows.ActionKill:
		return reply(fmt.Sprintf(":no_entry_sign: Killed `%s`: everyone gets the control now. Its thread asks the owner for a short post-mortem.", d.Experiment)), nil
	case d.State == workflows.DecisionApplied:
		return reply(fmt.Sprintf(":white_check_mark: Done: %s. The data settles it (the framework recommends the same and no guardrail fails), so no approval was needed.",
			decisionWhat(d))), nil
	}
	text := fmt.Sprintf(":hourglass_flowing_sand: Decision #%d to %s waits for %s in the experiment's thread; the approvers are mentioned there.",
		d.ID, decisionWhat(d), approvalCount(d.RequiredApprovals))
	return reply(text, Section(text), Actions(fmt.Sprintf("withdraw:%d", d.ID), withdrawButton(d))), nil
}

// withdrawButton takes back the requester's own request. The request in
// the thread shows Approve and Reject to everyone (a message's buttons are
// the same for every reader); the requester's Withdraw is in the answer to
// their request and in their App Home. Reject pressed by the requester
// withdraws too.
func withdrawButton(d workflows.Decision) *slack.ButtonBlockElement {
	b := Button("Withdraw", ActionWithdraw, strconv.FormatInt(d.ID, 10), StyleDefault)
	b.Confirm = slack.NewConfirmationBlockObject(plain("Withdraw your request?", 100),
		plain(fmt.Sprintf("Decision #%d is closed as withdrawn; the experiment keeps running.", d.ID), 300),
		plain("Withdraw", 30), plain("Keep it", 30))
	return b
}

// rollout answers /exp rollout KEY pause|resume|advance|PERCENT.
func (r *Router) rollout(ctx context.Context, req CommandRequest, c Command) (Message, error) {
	op := workflows.RolloutOp(c.RolloutOp)
	if op == "" {
		op = workflows.RolloutSet
	}
	return r.steerRollout(ctx, req.UserID, c.Key, op, c.Percent)
}

func (r *Router) steerRollout(ctx context.Context, user, key string, op workflows.RolloutOp, percent float64) (Message, error) {
	e, err := r.Service.SteerRollout(ctx, user, key, op, percent)
	if err != nil {
		return Message{}, err
	}
	r.wake()
	state := ""
	if e.RolloutPaused {
		state = ", paused"
	}
	return reply(fmt.Sprintf(":white_check_mark: The rollout of *%s* is at %s %% (step %d of %d%s); its thread says so too.",
		Escape(e.Name), formatPercent(e.RolloutPercent), e.RolloutStep+1, len(e.RolloutPlan), state)), nil
}

// decisionButton handles Approve and Reject, whose value is the decision id.
func decisionButton(act func(r *Router, ctx context.Context, user string, id int64) (workflows.Decision, error)) actionHandler {
	return func(r *Router, ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (Message, error) {
		id, err := strconv.ParseInt(a.Value, 10, 64)
		if err != nil {
			return Message{}, workflows.Errorf(workflows.EINVALID, "that button names no decision (%q)", a.Value)
		}
		return r.later(ctx, cb, a, func(ctx context.Context) (Message, error) {
			d, err := act(r, ctx, cb.User.ID, id)
			if err != nil {
				return Message{}, err
			}
			r.wake()
			return settledReply(cb.User.ID, d), nil
		})
	}
}

func settledReply(user string, d workflows.Decision) Message {
	switch d.State {
	case workflows.DecisionApplied:
		return reply(fmt.Sprintf(":white_check_mark: You approved decision #%d to %s: it is applied.", d.ID, decisionWhat(d)))
	case workflows.DecisionRejected:
		verb := "rejected"
		if d.RejectedBy == d.Requester {
			verb = "withdrew"
		}
		return reply(fmt.Sprintf(":x: You %s decision #%d to %s; the experiment keeps running.", verb, d.ID, decisionWhat(d)))
	}
	left := d.RequiredApprovals - len(d.Approvals)
	return reply(fmt.Sprintf(":white_check_mark: You approved decision #%d to %s; it waits for %s more.", d.ID, decisionWhat(d), approvalCount(left)))
}

// decisionWhat says what a decision does, for its requester or approver:
// "ship treatment of `one-click-checkout`".
func decisionWhat(d workflows.Decision) string {
	switch d.Action {
	case workflows.ActionShip:
		return fmt.Sprintf("ship %s of `%s`", Escape(d.Variant), d.Experiment)
	case workflows.ActionExtend:
		return fmt.Sprintf("extend `%s` by %d day%s", d.Experiment, d.Days, map[bool]string{true: "", false: "s"}[d.Days == 1])
	}
	return fmt.Sprintf("kill `%s`", d.Experiment)
}

// experimentButton handles a button whose value is an experiment key.
func experimentButton(act func(r *Router, ctx context.Context, user, key string) (Message, error)) actionHandler {
	return func(r *Router, ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) (Message, error) {
		return r.later(ctx, cb, a, func(ctx context.Context) (Message, error) { return act(r, ctx, cb.User.ID, a.Value) })
	}
}

// later does a button's work after the press is acknowledged, and answers
// the presser through the outbox. Decisions analyse the experiment first,
// which can take longer than the three seconds Slack waits. Shutdown waits
// for the work.
func (r *Router) later(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, work func(ctx context.Context) (Message, error)) (Message, error) {
	r.background.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		msg, err := work(ctx)
		if err != nil {
			msg = r.errorReply(ctx, err, Command{})
		}
		if cb.View.Type == slack.VTHomeTab && cb.ResponseURL == "" {
			// Pressed in App Home: no message to answer in; the home shows
			// what happened, with the decision gone from its list.
			if err := r.publishHome(ctx, cb.User.ID, msg.Text); err != nil {
				r.Log.Error("publish App Home after a button", "action_id", a.ActionID, "err", err)
			}
			return
		}
		key := fmt.Sprintf("action:%s:%s:%s", cb.TriggerID, a.ActionID, a.ActionTs)
		if err := r.reply(ctx, cb, key, msg); err != nil {
			r.Log.Error("reply to a button", "action_id", a.ActionID, "err", err)
		}
	})
	return Message{}, nil
}

// wake tells the outbox something was enqueued.
func (r *Router) wake() {
	if r.Notify != nil {
		r.Notify()
	}
}

// approvalCount writes a number of approvals: "1 approval", "2 approvals".
func approvalCount(n int) string {
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
		Context(fmt.Sprintf("Decision #%d · asked %s · `%s history %s` lists every change", d.ID, slackDate(d.CreatedAt), r.command("exp"), e.Key)))
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
		d.ID, owner(d.Requester), slackDate(d.CreatedAt), slackDate(d.ResolvedAt), r.command("exp"), e.Key)))
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
		"From": formatPercent(a.From), "To": formatPercent(e.RolloutPercent), "Step": e.RolloutStep + 1,
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
