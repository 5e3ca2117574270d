package render_test

import (
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/internal/fixture"
	"github.com/growthbot/growthbot/bot/internal/golden"
	"github.com/growthbot/growthbot/bot/render"
	"github.com/growthbot/growthbot/workflows"
)

// decisionFixture is a running one-click-checkout and what the data says
// about it, fixed so that golden files do not move with the statistics.
func decisionFixture() (workflows.Experiment, workflows.Scorecard) {
	e := fixture.Experiments()[0]
	e.Hypothesis = "Removing the review step raises purchase conversion without raising errors."
	e.Variants = []workflows.Variant{{Key: "control", Weight: 50}, {Key: "treatment", Weight: 50}}
	e.Framework, e.Alpha, e.EndsAt = "clear-signals", 0.05, fixture.Started.AddDate(0, 0, 14)
	purchase := workflows.Metric{Key: "purchase", Name: "Purchase conversion", Type: workflows.MetricProportion, HigherIsBetter: true}
	errs := workflows.Metric{Key: "errors", Name: "Checkout errors", Type: workflows.MetricMean}
	sc := workflows.Scorecard{Experiment: e, Method: workflows.MethodSequential, AsOf: fixture.Started.AddDate(0, 0, 12), Day: 13,
		Units: map[string]int64{"control": 20112, "treatment": 19958}, SRMPValue: 0.44, Mature: true,
		Guardrails: workflows.GuardrailsHealthy, MDE: 0.031,
		Results: []workflows.MetricResult{
			{Metric: purchase, Role: workflows.RolePrimary, Variant: "treatment", ControlMean: 0.101, TreatmentMean: 0.1131,
				Lift: 0.12, Low: 0.06, High: 0.18, PValue: 0.0004, Significant: true, Verdict: workflows.VerdictGood},
			{Metric: errs, Role: workflows.RoleGuardrail, Variant: "treatment", ControlMean: 0.052, TreatmentMean: 0.051,
				Lift: -0.02, Low: -0.09, High: 0.05, PValue: 0.61, Verdict: workflows.VerdictFlat},
		},
		Recommendation: workflows.Recommendation{Action: workflows.RecommendShip, Variant: "treatment", Framework: "clear-signals",
			Reason: "A primary metric won and no guardrail regresses. Purchase conversion (treatment) +12.0% [+6.0%, +18.0%]."},
	}
	return e, sc
}

func TestGoldenDecisionMessages(t *testing.T) {
	renderer, err := render.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	e, sc := decisionFixture()
	asked, settled := fixture.Started.AddDate(0, 0, 12), fixture.Started.AddDate(0, 0, 12).Add(90*time.Minute)
	team := fixture.TeamCheckout
	team.Approvers = []string{"U0PM", "U0LEAD", "U0ENG2"}
	ship := workflows.Decision{ID: 4, Experiment: e.Key, Action: workflows.ActionShip, Variant: "treatment",
		Reason: "wins on purchase & errors <flat>", Requester: "U0ENG1", Recommendation: "keep_running",
		RecommendationReason: "No clear signal yet.", RequiredApprovals: 2, State: workflows.DecisionPending, CreatedAt: asked,
		Approvals: []workflows.Approval{{User: "U0PM", At: settled}}}
	applied := ship
	applied.State, applied.ResolvedAt = workflows.DecisionApplied, settled
	applied.Approvals = append(applied.Approvals, workflows.Approval{User: "U0LEAD", At: settled})
	auto := workflows.Decision{ID: 5, Experiment: e.Key, Action: workflows.ActionShip, Variant: "treatment", Requester: "U0ENG1",
		Recommendation: "ship", AutoApproved: true, State: workflows.DecisionApplied, CreatedAt: asked, ResolvedAt: asked}
	extend := workflows.Decision{ID: 6, Experiment: e.Key, Action: workflows.ActionExtend, Days: 7, Requester: "U0ENG2",
		RequiredApprovals: 1, State: workflows.DecisionApplied, CreatedAt: asked, ResolvedAt: settled,
		Approvals: []workflows.Approval{{User: "U0LEAD", At: settled}}}
	rejected := ship
	rejected.State, rejected.RejectedBy, rejected.ResolvedAt = workflows.DecisionRejected, "U0LEAD", settled
	withdrawn := rejected
	withdrawn.RejectedBy = "U0ENG1"
	superseded := ship
	superseded.State, superseded.RejectedBy, superseded.ResolvedAt = workflows.DecisionSuperseded, "U0ENG2", settled
	kill := workflows.Decision{ID: 7, Experiment: e.Key, Action: workflows.ActionKill, Reason: "errors up in Safari",
		Requester: "U0ENG2", State: workflows.DecisionApplied, CreatedAt: settled, ResolvedAt: settled}
	shipped, extended, killed := e, e, e
	shipped.State, shipped.Winner, shipped.DecidedAt = workflows.StateShipped, "treatment", settled
	extended.EndsAt = e.EndsAt.AddDate(0, 0, 7)
	killed.State, killed.Winner, killed.DecidedAt = workflows.StateKilled, "control", settled
	failing := sc
	failing.Guardrails = workflows.GuardrailsFailing
	failing.Results = append([]workflows.MetricResult(nil), sc.Results...)
	failing.Results[1].Lift, failing.Results[1].Low, failing.Results[1].High = 0.31, 0.12, 0.5
	failing.Results[1].PValue, failing.Results[1].Significant, failing.Results[1].Verdict = 0.001, true, workflows.VerdictBad

	empty := sc
	empty.Units = map[string]int64{"control": 0, "treatment": 0}
	empty.Results = []workflows.MetricResult{{Metric: sc.Results[0].Metric, Role: workflows.RolePrimary, Variant: "treatment",
		Verdict: workflows.VerdictNoData, Problem: "not enough data yet: control has 0 units and treatment 0; a comparison needs at least 2 in each arm (4 more)"}}
	rollout := fixture.Experiments()[1]
	rollout.Name, rollout.Owner, rollout.RolloutPaused = "Guided onboarding", "U0ENG3", false
	rollout.Variants = []workflows.Variant{{Key: "control", Weight: 1}, {Key: "guided", Weight: 1}}
	rollout.RolloutStep, rollout.RolloutPercent = 2, 10
	halted := rollout
	halted.RolloutPaused = true
	rolledBack := halted
	rolledBack.RolloutPercent = 0
	done := rollout
	done.RolloutStep, done.RolloutPercent = len(done.RolloutPlan)-1, 100
	rolloutCard := sc
	rolloutCard.Experiment, rolloutCard.Recommendation.Framework = rollout, "do-no-harm"
	rolloutCard.Units = map[string]int64{"control": 604, "guided": 596}
	regressing := rolloutCard
	regressing.Guardrails = workflows.GuardrailsRegressing
	onboarding := workflows.Team{Key: "onboarding", Name: "Onboarding", Channel: "C0ONBOARD", Approvers: []string{"U0PM2"}}
	const why = "Checkout errors (guided) +31.0% [-2.0%, +64.0%]."

	tests := []struct {
		name string
		v    workflows.Content
	}{
		{"decision-request", workflows.DecisionRequest{Decision: ship, Experiment: e, Team: team, Scorecard: &sc}},
		{"decision-request-without-data", workflows.DecisionRequest{Decision: workflows.Decision{ID: 8, Experiment: e.Key,
			Action: workflows.ActionExtend, Days: 3, Requester: "U0PM", RequiredApprovals: 1, State: workflows.DecisionPending,
			RecommendationReason: "The analysis could not run, so the data cannot settle this decision.", CreatedAt: asked},
			Experiment: e, Team: fixture.TeamCheckout}},
		{"decision-shipped-approved", workflows.DecisionOutcome{Decision: applied, Experiment: shipped, Team: team, Actor: "U0LEAD", Scorecard: &sc}},
		{"decision-shipped-auto", workflows.DecisionOutcome{Decision: auto, Experiment: shipped, Team: team, Actor: "U0ENG1", Scorecard: &sc}},
		{"decision-extended", workflows.DecisionOutcome{Decision: extend, Experiment: extended, Team: team, Actor: "U0LEAD", Scorecard: &sc}},
		{"decision-rejected", workflows.DecisionOutcome{Decision: rejected, Experiment: e, Team: team, Actor: "U0LEAD", Reason: "wait for the <full> week"}},
		{"decision-withdrawn", workflows.DecisionOutcome{Decision: withdrawn, Experiment: e, Team: team, Actor: "U0ENG1"}},
		{"decision-superseded", workflows.DecisionOutcome{Decision: superseded, Experiment: killed, Team: team, Actor: "U0ENG2",
			Reason: "The experiment was killed: errors up in Safari"}},
		{"decision-killed", workflows.DecisionOutcome{Decision: kill, Experiment: killed, Team: team, Actor: "U0ENG2", Scorecard: &failing}},
		{"decision-review-shipped", workflows.ExperimentReview{Experiment: shipped, Team: team, Decision: applied, Scorecard: &sc}},
		{"decision-review-killed", workflows.ExperimentReview{Experiment: killed, Team: team, Decision: kill, Scorecard: &failing}},
		{"decision-review-no-exposures", workflows.ExperimentReview{Experiment: killed, Team: team, Decision: kill, Scorecard: &empty}},
		{"decision-postmortem", workflows.PostMortemAsk{Experiment: killed, Team: team, Decision: kill}},
		{"decision-rollout-advanced", workflows.RolloutAlert{Event: workflows.RolloutAdvanced, Experiment: rollout, Team: onboarding,
			Actor: workflows.ActorScheduler, From: 5, Scorecard: &rolloutCard, Reason: "Guardrails healthy after 25 hours at 5 % with 1200 units."}},
		{"decision-rollout-halted", workflows.RolloutAlert{Event: workflows.RolloutHalted, Experiment: halted, Team: onboarding,
			Actor: workflows.ActorScheduler, From: 10, Scorecard: &regressing, Reason: why}},
		{"decision-rollout-rolled-back", workflows.RolloutAlert{Event: workflows.RolloutRolledBack, Experiment: rolledBack,
			Team: onboarding, Actor: workflows.ActorScheduler, From: 10, Scorecard: &regressing, Reason: why}},
		{"decision-rollout-completed", workflows.RolloutAlert{Event: workflows.RolloutCompleted, Experiment: done, Team: onboarding,
			Actor: workflows.ActorScheduler, From: 100, Scorecard: &rolloutCard}},
		{"decision-rollout-paused", workflows.RolloutAlert{Event: workflows.RolloutSteered, Op: workflows.RolloutPause,
			Experiment: halted, Team: onboarding, Actor: "U0ENG3", From: 10}},
		{"decision-rollout-set", workflows.RolloutAlert{Event: workflows.RolloutSteered, Op: workflows.RolloutSet,
			Experiment: rollout, Team: onboarding, Actor: "U0ENG3", From: 25}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := renderer.RenderContent(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			text, _ := render.PlainText(r.Text, r.Blocks)
			if strings.Contains(text, "(template ") {
				t.Errorf("a template failed:\n%s", text)
			}
			golden.Check(t, tc.name, r, text)
		})
	}
}
