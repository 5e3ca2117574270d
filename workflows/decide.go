package workflows

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The decision flow: ship, extend and kill, in the experiment's thread.
//
// A request that matches what the experiment's decision framework
// recommends, with no guardrail failing, is applied at once: the data
// already settles it. Any other request waits for approvers of the team
// other than the requester (the two-person rule). A kill is always
// immediate: a kill switch that waits for a second person is not one.
//
// Each use case is one Store.Update: it reads the experiment, its team and
// its decision, checks who may act and what state things are in, and writes
// the new state, the audit entries and every message it causes, or nothing.
// Writers are serialized, so double clicks, Slack retries and approvers
// clicking at once find the state the first of them left and get told what
// already happened.

// DecisionRequest is the message that shows a pending decision in the
// experiment's thread, with the recommendation, the data and Approve and
// Reject buttons. It is updated in place as approvals come in.
type DecisionRequest struct {
	Decision   Decision
	Experiment Experiment
	Team       Team
	// Scorecard is the data the request was made on; nil when the analysis
	// could not run (the decision then needs approval).
	Scorecard *Scorecard
}

// PayloadKind implements Content.
func (DecisionRequest) PayloadKind() PayloadKind { return KindDecisionRequest }

// DecisionOutcome is what became of a decision: it replaces the request
// message (without buttons) once the decision is applied, rejected or
// superseded, and is the only message of a decision applied at once (a
// kill, an auto-approved request).
type DecisionOutcome struct {
	Decision   Decision
	Experiment Experiment // after the decision
	Team       Team
	// Actor settled it: the approver whose approval applied it, the
	// requester of an immediate decision, the rejecter, the killer of a
	// superseded request.
	Actor string
	// Reason is the rejecter's reason, or what superseded the decision.
	Reason    string
	Scorecard *Scorecard
}

// PayloadKind implements Content.
func (DecisionOutcome) PayloadKind() PayloadKind { return KindDecisionOutcome }

// ExperimentReview closes an experiment's thread when it is shipped or
// killed: the hypothesis, the result, the decision and what we learned.
type ExperimentReview struct {
	Experiment Experiment
	Team       Team
	Decision   Decision
	Scorecard  *Scorecard
}

// PayloadKind implements Content.
func (ExperimentReview) PayloadKind() PayloadKind { return KindExperimentReview }

// PostMortemAsk asks the owner, after a kill, for a short post-mortem in
// the thread.
type PostMortemAsk struct {
	Experiment Experiment
	Team       Team
	Decision   Decision
}

// PayloadKind implements Content.
func (PostMortemAsk) PayloadKind() PayloadKind { return KindPostMortemAsk }

// Title says what a decision does, in a few words: "ship treatment",
// "extend by 7 days", "kill".
func (d Decision) Title() string {
	switch d.Action {
	case ActionShip:
		return "ship " + d.Variant
	case ActionExtend:
		return fmt.Sprintf("extend by %d day%s", d.Days, plural(d.Days))
	}
	return string(d.Action)
}

// SettledBy returns who settled a decision that is no longer pending: the
// rejecter, the approver whose approval applied it, or the requester of a
// decision applied at once.
func (d Decision) SettledBy() string {
	switch {
	case d.State == DecisionRejected || d.State == DecisionSuperseded:
		return d.RejectedBy
	case len(d.Approvals) > 0:
		return d.Approvals[len(d.Approvals)-1].User
	}
	return d.Requester
}

// Approvers who may still approve a pending decision: the team's approvers
// other than its requester and those who approved it already.
func EligibleApprovers(team Team, d Decision) []string {
	var out []string
	for _, u := range team.Approvers {
		if u != d.Requester && !slices.Contains(d.Approvers(), u) {
			out = append(out, u)
		}
	}
	return out
}

// RequestDecision asks to ship (variant, or the scorecard's winner when
// empty), extend (by days) or kill an experiment, on behalf of actor, a
// member of its team. It is applied at once when it matches the framework's
// recommendation and no guardrail fails (and a kill always is, see Kill);
// otherwise it waits in the thread for the team's approvers.
//
// Errors: ENOTFOUND for an unknown experiment, EFORBIDDEN for an outsider,
// EINVALID for a bad variant or number of days, ECONFLICT when the
// experiment is not running, already has a pending decision, or has no
// approver to approve it; the message says what already happened.
func (s *Service) RequestDecision(ctx context.Context, actor, key string, action Action, variant string, days int, reason string) (Decision, error) {
	switch action {
	case ActionKill:
		return s.Kill(ctx, actor, key, reason)
	case ActionExtend:
		if days < 1 || days > 365 {
			return Decision{}, Errorf(EINVALID, "extend by %d days: give a number of days from 1 to 365", days)
		}
	case ActionShip:
	default:
		return Decision{}, Errorf(EINVALID, "a decision ships, extends or kills, it cannot %q", action)
	}
	sc := s.decisionScorecard(ctx, key)
	var out Decision
	err := s.Store.Update(ctx, func(tx Tx) error {
		e, team, err := experimentAndTeam(tx, key)
		if err != nil {
			return err
		}
		if err := mayAct(actor, team); err != nil {
			return err
		}
		if err := openForDecision(tx, e, team); err != nil {
			return err
		}
		d := Decision{Experiment: key, Action: action, Days: days, Reason: strings.TrimSpace(reason), Requester: actor,
			State: DecisionPending, CreatedAt: tx.Now()}
		if action == ActionShip {
			if d.Variant, err = shipVariant(e, variant, sc); err != nil {
				return err
			}
		}
		d.recommend(sc)
		if d.AutoApproved {
			d.State, d.ResolvedAt = DecisionApplied, tx.Now()
		} else if d.RequiredApprovals, err = approvalsNeeded(team, actor); err != nil {
			return err
		}
		before := e
		if err := e.RequestDecision(); err != nil {
			return err
		}
		if d, err = tx.CreateDecision(d); err != nil {
			return err
		}
		if err := audit(tx, actor, "decision.request", "experiment:"+key, d.auditReason(), before, e); err != nil {
			return err
		}
		out = d
		if d.AutoApproved {
			return s.apply(tx, actor, e, team, d, sc)
		}
		if err := putExperiment(tx, &e); err != nil {
			return err
		}
		if err := s.ensureThread(tx, e, team, sc); err != nil {
			return err
		}
		request := Message{Key: requestKey(e, d), Op: OpPost, Channel: team.Channel, Parent: e.ThreadKey()}
		if _, err := s.Enqueue(tx, request, DecisionRequest{Decision: d, Experiment: e, Team: team, Scorecard: sc}); err != nil {
			return err
		}
		return s.enqueueWebhook(tx, team, d)
	})
	return out, err
}

// Kill stops an experiment at once, on behalf of its owner or a member of
// its team: everyone gets the control. A pending decision is superseded.
// The kill is recorded with its reason, the thread asks for a post-mortem,
// and the experiment's review is posted.
//
// Errors: ENOTFOUND, EFORBIDDEN for an outsider, ECONFLICT when the
// experiment is not running (saying who ended it, and when).
func (s *Service) Kill(ctx context.Context, actor, key, reason string) (Decision, error) {
	sc := s.decisionScorecard(ctx, key)
	var out Decision
	err := s.Store.Update(ctx, func(tx Tx) error {
		e, team, err := experimentAndTeam(tx, key)
		if err != nil {
			return err
		}
		if actor != e.Owner || e.Owner == "" {
			if err := mayAct(actor, team); err != nil {
				return err
			}
		}
		if e.State.Terminal() {
			return ended(tx, e, team)
		}
		if _, err := e.Next(TransitionKill); err != nil {
			return err
		}
		now := tx.Now()
		d := Decision{Experiment: key, Action: ActionKill, Reason: strings.TrimSpace(reason), Requester: actor,
			State: DecisionApplied, CreatedAt: now, ResolvedAt: now}
		d.recommend(sc)
		if err := s.supersede(tx, actor, e, team, d); err != nil {
			return err
		}
		if d, err = tx.CreateDecision(d); err != nil {
			return err
		}
		out = d
		return s.apply(tx, actor, e, team, d, sc)
	})
	return out, err
}

// Approve records actor's approval of a pending decision. The approval
// that reaches the number the decision needs applies it.
//
// Errors: ENOTFOUND for an unknown decision, EFORBIDDEN for anyone but an
// approver of the team other than the requester, ECONFLICT when the
// decision is no longer pending (saying what became of it) or actor
// approved it already.
func (s *Service) Approve(ctx context.Context, actor string, id int64) (Decision, error) {
	key, err := s.decisionExperiment(ctx, id)
	if err != nil {
		return Decision{}, err
	}
	// The approval that applies a ship or kill posts the experiment's
	// review, which shows the data.
	sc := s.decisionScorecard(ctx, key)
	return s.settle(ctx, actor, id, sc, func(tx Tx, team Team, e *Experiment, d *Decision) (string, error) {
		if !team.IsApprover(actor) {
			return "", Errorf(EFORBIDDEN, "only approvers of team %s (%s) can approve decisions", team.Name, Users(team.Approvers))
		}
		if actor == d.Requester {
			return "", Errorf(EFORBIDDEN, "you asked to %s, so another approver must approve it: a decision the data does not settle needs two people", d.Title())
		}
		if slices.Contains(d.Approvers(), actor) {
			left := d.RequiredApprovals - len(d.Approvals)
			return "", Errorf(ECONFLICT, "you already approved decision #%d; it waits for %d more approval%s", d.ID, left, plural(left))
		}
		d.Approvals = append(d.Approvals, Approval{User: actor, At: tx.Now()})
		if len(d.Approvals) >= d.RequiredApprovals {
			d.State, d.ResolvedAt = DecisionApplied, tx.Now()
		}
		return "", nil
	})
}

// Reject turns a pending decision down on behalf of an approver of the
// team, or withdraws it on behalf of its requester; the experiment runs on.
//
// Errors: ENOTFOUND, EFORBIDDEN for anyone else, ECONFLICT when the
// decision is no longer pending (saying what became of it).
func (s *Service) Reject(ctx context.Context, actor string, id int64, reason string) (Decision, error) {
	reason = strings.TrimSpace(reason)
	return s.settle(ctx, actor, id, nil, func(tx Tx, team Team, e *Experiment, d *Decision) (string, error) {
		if !team.IsApprover(actor) && actor != d.Requester {
			return "", Errorf(EFORBIDDEN, "only approvers of team %s (%s), or %s who asked, can reject this decision",
				team.Name, Users(team.Approvers), User(d.Requester))
		}
		d.State, d.RejectedBy, d.ResolvedAt = DecisionRejected, actor, tx.Now()
		return reason, e.Reject()
	})
}

// Withdraw closes a pending decision at its requester's wish: a rejection
// by the one who asked. Errors: EFORBIDDEN for anyone else, ECONFLICT for a
// settled decision, ENOTFOUND for an unknown one.
func (s *Service) Withdraw(ctx context.Context, actor string, id int64) (Decision, error) {
	return s.settle(ctx, actor, id, nil, func(tx Tx, team Team, e *Experiment, d *Decision) (string, error) {
		if actor != d.Requester {
			return "", Errorf(EFORBIDDEN, "only %s, who asked, can withdraw decision #%d; approvers reject it", User(d.Requester), d.ID)
		}
		d.State, d.RejectedBy, d.ResolvedAt = DecisionRejected, actor, tx.Now()
		return "", e.Reject()
	})
}

// settle runs Approve and Reject: it loads a pending decision, lets change
// record actor's part in it (returning a reason, for a rejection), and
// stores the result with its audit entry and messages.
func (s *Service) settle(ctx context.Context, actor string, id int64, sc *Scorecard, change func(tx Tx, team Team, e *Experiment, d *Decision) (string, error)) (Decision, error) {
	var out Decision
	err := s.Store.Update(ctx, func(tx Tx) error {
		d, err := tx.Decision(id)
		if err != nil {
			return err
		}
		e, team, err := experimentAndTeam(tx, d.Experiment)
		if err != nil {
			return err
		}
		if err := mayAct(actor, team); err != nil {
			return err
		}
		if d.State != DecisionPending {
			what, by, rest := describeSettled(d, tx.Now())
			return Errorf(ECONFLICT, "decision #%d: %s%s%s", d.ID, what, by, rest)
		}
		before, beforeExp := d, e
		reason, err := change(tx, team, &e, &d)
		if err != nil {
			return err
		}
		if err := tx.PutDecision(d); err != nil {
			return err
		}
		out = d
		switch d.State {
		case DecisionRejected:
			if err := putExperiment(tx, &e); err != nil {
				return err
			}
			why := d.auditReason()
			if reason != "" {
				why += "; rejected: " + reason
			}
			if err := audit(tx, actor, "decision.reject", "experiment:"+e.Key, why, beforeExp, e); err != nil {
				return err
			}
			return s.announce(tx, actor, e, team, d, sc, reason)
		case DecisionApplied:
			if err := audit(tx, actor, "decision.approve", "experiment:"+e.Key, d.auditReason(), before, d); err != nil {
				return err
			}
			return s.apply(tx, actor, e, team, d, sc)
		}
		if err := audit(tx, actor, "decision.approve", "experiment:"+e.Key, d.auditReason(), before, d); err != nil {
			return err
		}
		// Not enough approvals yet: the request shows who approved.
		progress := Message{Key: requestKey(e, d) + ":approvals:" + strconv.Itoa(len(d.Approvals)), Op: OpUpdate, Target: requestKey(e, d)}
		_, err = s.Enqueue(tx, progress, DecisionRequest{Decision: d, Experiment: e, Team: team, Scorecard: sc})
		return err
	})
	return out, err
}

// apply carries out an applied decision: the experiment's transition, its
// audit entry and the messages that announce it. e is the experiment before
// the transition.
func (s *Service) apply(tx Tx, actor string, e Experiment, team Team, d Decision, sc *Scorecard) error {
	before := e
	now := tx.Now()
	var err error
	switch d.Action {
	case ActionShip:
		err = e.Ship(d.Variant, now)
	case ActionExtend:
		err = e.Extend(d.Days, now)
	case ActionKill:
		err = e.Kill(now)
	}
	if err != nil {
		return err
	}
	if err := putExperiment(tx, &e); err != nil {
		return err
	}
	if err := audit(tx, actor, "experiment."+string(d.Action), "experiment:"+e.Key, d.applyReason(), before, e); err != nil {
		return err
	}
	if err := s.announce(tx, actor, e, team, d, sc, ""); err != nil {
		return err
	}
	if !e.State.Terminal() {
		return nil
	}
	inThread := func(part string) Message {
		return Message{Key: e.MessageKey(part), Op: OpPost, Channel: team.Channel, Parent: e.ThreadKey()}
	}
	if _, err := s.Enqueue(tx, inThread("review"), ExperimentReview{Experiment: e, Team: team, Decision: d, Scorecard: sc}); err != nil {
		return err
	}
	if d.Action == ActionKill {
		if _, err := s.Enqueue(tx, inThread("postmortem"), PostMortemAsk{Experiment: e, Team: team, Decision: d}); err != nil {
			return err
		}
	}
	if err := s.retireEarlier(tx, e, d); err != nil {
		return err
	}
	// The thread's opening message shows the experiment's final state.
	headline := Message{Key: e.MessageKey("headline", "decision", strconv.FormatInt(d.ID, 10)), Op: OpUpdate, Target: e.ThreadKey()}
	_, err = s.Enqueue(tx, headline, ThreadHeadline{Experiment: e, Team: team, Scorecard: sc})
	return err
}

// announce shows a settled decision in the thread and sends it to the
// team's webhook. A request message, when there is one, is updated in place
// and loses its buttons; a decision applied at once is posted.
func (s *Service) announce(tx Tx, actor string, e Experiment, team Team, d Decision, sc *Scorecard, reason string) error {
	if err := s.ensureThread(tx, e, team, sc); err != nil {
		return err
	}
	outcome := DecisionOutcome{Decision: d, Experiment: e, Team: team, Actor: actor, Reason: reason, Scorecard: sc}
	m := Message{Key: requestKey(e, d), Op: OpPost, Channel: team.Channel, Parent: e.ThreadKey()}
	if _, err := tx.MessageByKey(m.Key); err == nil {
		m = Message{Key: requestKey(e, d) + ":outcome", Op: OpUpdate, Target: m.Key}
	} else if ErrorCode(err) != ENOTFOUND {
		return err
	}
	if _, err := s.Enqueue(tx, m, outcome); err != nil {
		return err
	}
	return s.enqueueWebhook(tx, team, d)
}

// supersede marks the experiment's pending decision, if any, as overtaken
// by the kill d, and updates its request message.
func (s *Service) supersede(tx Tx, actor string, e Experiment, team Team, kill Decision) error {
	decisions, err := tx.Decisions(e.Key)
	if err != nil {
		return err
	}
	for _, d := range decisions {
		if d.State != DecisionPending {
			continue
		}
		before := d
		d.State, d.RejectedBy, d.ResolvedAt = DecisionSuperseded, actor, tx.Now()
		if err := tx.PutDecision(d); err != nil {
			return err
		}
		if err := audit(tx, actor, "decision.supersede", "experiment:"+e.Key, d.auditReason(), before, d); err != nil {
			return err
		}
		reason := "The experiment was killed"
		if kill.Reason != "" {
			reason += ": " + kill.Reason
		}
		if err := s.announce(tx, actor, e, team, d, nil, reason); err != nil {
			return err
		}
	}
	return nil
}

// recommend records the framework's recommendation on the scorecard and
// whether it settles the decision: the action matches it and no guardrail
// fails.
func (d *Decision) recommend(sc *Scorecard) {
	if sc == nil {
		d.Recommendation, d.RecommendationReason = "", "The analysis could not run, so the data cannot settle this decision."
		return
	}
	rec := sc.Recommendation
	d.Recommendation, d.RecommendationReason = string(rec.Action), rec.Reason
	match := false
	switch d.Action {
	case ActionShip:
		match = rec.Action == RecommendShip && rec.Variant == d.Variant
	case ActionExtend:
		match = rec.Action == RecommendExtend
	case ActionKill:
		match = rec.Action == RecommendKill
	}
	// An unknown guardrail may hide a regression: a person approves a ship.
	d.AutoApproved = match && sc.Guardrails != GuardrailsFailing && (d.Action != ActionShip || sc.Guardrails != GuardrailsUnknown)
}

// auditReason describes a decision for the audit log: what it does and why.
func (d Decision) auditReason() string {
	s := fmt.Sprintf("decision #%d: %s", d.ID, d.Title())
	if d.Reason != "" {
		s += ": " + d.Reason
	}
	return s
}

// applyReason says why a decision was applied.
func (d Decision) applyReason() string {
	s := d.auditReason()
	switch {
	case d.Action == ActionKill:
		s += " (kill switch: immediate)"
	case d.AutoApproved:
		s += fmt.Sprintf(" (auto-approved: the framework recommends %s)", strings.ReplaceAll(d.Recommendation, "_", " "))
	default:
		s += " (approved by " + strings.Join(d.Approvers(), ", ") + ")"
	}
	return s
}

// shipVariant returns the treatment a ship applies to: the one named, or
// the scorecard's winner.
func shipVariant(e Experiment, variant string, sc *Scorecard) (string, error) {
	if variant == "" {
		if sc != nil {
			variant = sc.Winner()
		} else if len(e.Variants) > 1 {
			variant = e.Variants[1].Key
		}
	}
	var treatments []string
	for _, v := range e.Variants[min(1, len(e.Variants)):] {
		treatments = append(treatments, v.Key)
	}
	switch {
	case variant == e.Control():
		return "", Errorf(EINVALID, "%s is the control, which everyone has already; to keep it, kill the experiment", variant)
	case !slices.Contains(treatments, variant):
		return "", Errorf(EINVALID, "experiment %q has no variant %q (its treatments: %s)", e.Key, variant, strings.Join(treatments, ", "))
	}
	return variant, nil
}

// approvalsNeeded returns how many approvals a request by requester needs:
// the team's number, at most the approvers there are besides the requester.
func approvalsNeeded(team Team, requester string) (int, error) {
	eligible := EligibleApprovers(team, Decision{Requester: requester})
	if len(eligible) == 0 {
		return 0, Errorf(ECONFLICT, "team %s has no approver besides %s to approve this decision; add one to the config file", team.Name, User(requester))
	}
	return min(max(team.RequiredApprovals, 1), len(eligible)), nil
}

// openForDecision checks that the experiment can get a decision request:
// it is running and has no pending decision.
func openForDecision(tx Tx, e Experiment, team Team) error {
	if e.State.Terminal() {
		return ended(tx, e, team)
	}
	if e.State == StateDecisionPending {
		decisions, err := tx.Decisions(e.Key)
		if err != nil {
			return err
		}
		for _, d := range decisions {
			if d.State == DecisionPending {
				return Errorf(ECONFLICT, "experiment %q already waits for decision #%d to %s, asked by %s %s; approve or reject it in the thread first",
					e.Key, d.ID, d.Title(), User(d.Requester), ago(d.CreatedAt, tx.Now()))
			}
		}
	}
	_, err := e.Next(TransitionRequest)
	return err
}

// ended returns the conflict for an experiment that was shipped or killed:
// who did it and when.
func ended(tx Tx, e Experiment, team Team) error {
	decisions, err := tx.Decisions(e.Key)
	if err != nil {
		return err
	}
	for _, d := range decisions {
		if d.State == DecisionApplied && d.Action != ActionExtend {
			what, by, rest := describeSettled(d, tx.Now())
			return Errorf(ECONFLICT, "experiment %q: %s%s%s", e.Key, what, by, rest)
		}
	}
	return Errorf(ECONFLICT, "experiment %q is already %s", e.Key, e.State)
}

// describeSettled says what became of a decision, in three parts around
// who settled it, so that who stays data: "already shipped treatment by ",
// U0PM, " 5 minutes ago".
func describeSettled(d Decision, now time.Time) (what string, by User, rest string) {
	rest = " " + ago(d.ResolvedAt, now)
	by = User(d.SettledBy())
	switch d.State {
	case DecisionRejected:
		if d.RejectedBy == d.Requester {
			return "already withdrawn by ", by, rest
		}
		return "already rejected by ", by, rest
	case DecisionSuperseded:
		return "already superseded: ", by, " killed the experiment" + rest
	}
	done := map[Action]string{ActionShip: "shipped " + d.Variant, ActionExtend: fmt.Sprintf("extended by %d day%s", d.Days, plural(d.Days)), ActionKill: "killed"}[d.Action]
	return "already " + done + " by ", by, rest
}

// ago says how long ago t was, the same in every reader's time zone: "just
// now", "5 minutes ago", "3 hours ago", or the day, "on 16 Nov 2026".
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		n := int(d / time.Minute)
		return fmt.Sprintf("%d minute%s ago", n, plural(n))
	case d < 24*time.Hour:
		n := int(d / time.Hour)
		return fmt.Sprintf("%d hour%s ago", n, plural(n))
	}
	return "on " + DayText(t.UTC())
}

func requestKey(e Experiment, d Decision) string {
	return e.MessageKey("decision", strconv.FormatInt(d.ID, 10))
}

func experimentAndTeam(tx Tx, key string) (Experiment, Team, error) {
	e, err := tx.Experiment(key)
	if err != nil {
		return e, Team{}, err
	}
	team, err := tx.Team(e.Team)
	return e, team, err
}

func putExperiment(tx Tx, e *Experiment) error {
	e.UpdatedAt = tx.Now()
	return tx.PutExperiment(*e)
}

// decisionExperiment returns the key of a decision's experiment.
func (s *Service) decisionExperiment(ctx context.Context, id int64) (string, error) {
	var key string
	err := s.Store.View(ctx, func(tx Tx) error {
		d, err := tx.Decision(id)
		key = d.Experiment
		return err
	})
	return key, err
}

// decisionScorecard analyses an experiment for a decision, before the
// decision's write transaction: analysis reads much and writes nothing. A
// decision must not depend on it working (a kill switch least of all), so
// a failure is logged and the decision goes on without data: it then needs
// approval.
func (s *Service) decisionScorecard(ctx context.Context, key string) *Scorecard {
	sc, _, err := s.Scorecard(ctx, key)
	if err != nil {
		if ErrorCode(err) == EINTERNAL {
			s.Log.Warn("decision without a scorecard: the analysis failed", "experiment", key, "err", err)
		}
		return nil
	}
	return &sc
}

// EarlierDecided replaces an earlier message of a decided experiment that
// offered to decide it (a scorecard's Ship, Extend and Kill, an alert's
// Kill, a reminder's buttons, a rollout's Pause): the same message without
// its buttons, saying what was decided.
type EarlierDecided struct {
	Original   Payload
	Experiment Experiment
	Decision   Decision
}

// PayloadKind implements Content.
func (EarlierDecided) PayloadKind() PayloadKind { return KindEarlierDecided }

// decisionOffers are the kinds of message that carry buttons deciding or
// steering an experiment.
var decisionOffers = []PayloadKind{KindScorecard, KindGuardrailAlert, KindOverdueReminder, KindRolloutAlert}

// retireEarlier takes the buttons off the experiment's earlier messages
// once it is shipped or killed, each message once (the update's key is the
// message's). A message whose payload was pruned keeps its buttons; a press
// on one says the experiment is decided.
func (s *Service) retireEarlier(tx Tx, e Experiment, d Decision) error {
	posts, err := tx.PostsByKeyPrefix(e.MessageKey(), decisionOffers...)
	if err != nil {
		return err
	}
	for _, m := range posts {
		if len(m.Payload.Data) == 0 {
			continue
		}
		if m.Payload.Kind == KindScorecard {
			if sc, err := DecodePayload[ScorecardMessage](m.Payload); err != nil || !sc.Buttons {
				continue
			}
		}
		u := Message{Key: m.Key + ":decided", Op: OpUpdate, Target: m.Key}
		if _, err := s.Enqueue(tx, u, EarlierDecided{Original: m.Payload, Experiment: e, Decision: d}); err != nil {
			return err
		}
	}
	return nil
}
