// Package mock has fakes of the interfaces growthbot's adapters depend on,
// as structs of function fields (after wtf's mock package): a test sets the
// functions its case needs; a call to any other panics, naming it.
package mock

import (
	"context"
	"time"

	"github.com/growthbot/growthbot/bot"
	"github.com/growthbot/growthbot/workflows"
)

// Domain is a fake of bot.Domain.
type Domain struct {
	NowFn                 func() time.Time
	TeamsFn               func(ctx context.Context) ([]workflows.Team, error)
	DefaultTeamFn         func(ctx context.Context, user string) (string, error)
	HomeFn                func(ctx context.Context, user string) (workflows.Home, error)
	ExistsFn              func(ctx context.Context, key, team string) bool
	SuggestFn             func(ctx context.Context, key, team string) string
	ListExperimentsFn     func(ctx context.Context, team string) ([]workflows.Experiment, error)
	DraftChoicesFn        func(ctx context.Context, user string) ([]workflows.Team, []workflows.Metric, error)
	CreateExperimentFn    func(ctx context.Context, actor string, draft workflows.ExperimentDraft) (workflows.Experiment, error)
	StartExperimentFn     func(ctx context.Context, actor, key string) (workflows.Experiment, error)
	HistoryFn             func(ctx context.Context, key string) (workflows.Experiment, []workflows.AuditEntry, error)
	ScorecardFn           func(ctx context.Context, key string) (workflows.Scorecard, workflows.Team, error)
	PostScorecardFn       func(ctx context.Context, actor, key string) (workflows.Scorecard, workflows.Team, error)
	SteerRolloutFn        func(ctx context.Context, actor, key string, op workflows.RolloutOp, percent float64) (workflows.Experiment, error)
	RequestDecisionFn     func(ctx context.Context, actor, key string, action workflows.Action, variant string, days int, reason string) (workflows.Decision, error)
	ApproveFn             func(ctx context.Context, actor string, id int64) (workflows.Decision, error)
	RejectFn              func(ctx context.Context, actor string, id int64, reason string) (workflows.Decision, error)
	WithdrawFn            func(ctx context.Context, actor string, id int64) (workflows.Decision, error)
	GoalsFn               func(ctx context.Context, team, quarter string) (workflows.GoalList, error)
	AddGoalFn             func(ctx context.Context, actor, team, title, owner, quarter string) (workflows.Goal, error)
	SetGoalStatusFn       func(ctx context.Context, actor string, id int64, status workflows.GoalStatus) (workflows.Goal, error)
	KPIsFn                func(ctx context.Context, team, from, to string) (workflows.Team, []workflows.KPIPoint, error)
	ProgramFn             func(ctx context.Context, team, month string) (workflows.Program, error)
	ReviewFn              func(ctx context.Context, team, month string) (workflows.Review, error)
	PostReviewFn          func(ctx context.Context, actor, team, month string) (workflows.Team, error)
	CheckReviewDecisionFn func(ctx context.Context, actor, team, month string) (workflows.Team, error)
	DecideReviewFn        func(ctx context.Context, actor, team, month string, course workflows.Course, changes string) (workflows.ReviewRecord, error)
	ReplyFn               func(ctx context.Context, m workflows.Message) error
	RecordDeliveriesFn    func(ctx context.Context, ds []workflows.InboundDelivery) ([]workflows.DeliveryOutcome, error)
}

var _ bot.Domain = (*Domain)(nil)

func (d *Domain) Now() time.Time {
	if d.NowFn == nil {
		panic("mock: Domain.Now called, but the test set no NowFn")
	}
	return d.NowFn()
}

func (d *Domain) Teams(ctx context.Context) ([]workflows.Team, error) {
	if d.TeamsFn == nil {
		panic("mock: Domain.Teams called, but the test set no TeamsFn")
	}
	return d.TeamsFn(ctx)
}

func (d *Domain) DefaultTeam(ctx context.Context, user string) (string, error) {
	if d.DefaultTeamFn == nil {
		panic("mock: Domain.DefaultTeam called, but the test set no DefaultTeamFn")
	}
	return d.DefaultTeamFn(ctx, user)
}

func (d *Domain) Home(ctx context.Context, user string) (workflows.Home, error) {
	if d.HomeFn == nil {
		panic("mock: Domain.Home called, but the test set no HomeFn")
	}
	return d.HomeFn(ctx, user)
}

func (d *Domain) Exists(ctx context.Context, key, team string) bool {
	if d.ExistsFn == nil {
		panic("mock: Domain.Exists called, but the test set no ExistsFn")
	}
	return d.ExistsFn(ctx, key, team)
}

func (d *Domain) Suggest(ctx context.Context, key, team string) string {
	if d.SuggestFn == nil {
		panic("mock: Domain.Suggest called, but the test set no SuggestFn")
	}
	return d.SuggestFn(ctx, key, team)
}

func (d *Domain) ListExperiments(ctx context.Context, team string) ([]workflows.Experiment, error) {
	if d.ListExperimentsFn == nil {
		panic("mock: Domain.ListExperiments called, but the test set no ListExperimentsFn")
	}
	return d.ListExperimentsFn(ctx, team)
}

func (d *Domain) DraftChoices(ctx context.Context, user string) ([]workflows.Team, []workflows.Metric, error) {
	if d.DraftChoicesFn == nil {
		panic("mock: Domain.DraftChoices called, but the test set no DraftChoicesFn")
	}
	return d.DraftChoicesFn(ctx, user)
}

func (d *Domain) CreateExperiment(ctx context.Context, actor string, draft workflows.ExperimentDraft) (workflows.Experiment, error) {
	if d.CreateExperimentFn == nil {
		panic("mock: Domain.CreateExperiment called, but the test set no CreateExperimentFn")
	}
	return d.CreateExperimentFn(ctx, actor, draft)
}

func (d *Domain) StartExperiment(ctx context.Context, actor, key string) (workflows.Experiment, error) {
	if d.StartExperimentFn == nil {
		panic("mock: Domain.StartExperiment called, but the test set no StartExperimentFn")
	}
	return d.StartExperimentFn(ctx, actor, key)
}

func (d *Domain) History(ctx context.Context, key string) (workflows.Experiment, []workflows.AuditEntry, error) {
	if d.HistoryFn == nil {
		panic("mock: Domain.History called, but the test set no HistoryFn")
	}
	return d.HistoryFn(ctx, key)
}

func (d *Domain) Scorecard(ctx context.Context, key string) (workflows.Scorecard, workflows.Team, error) {
	if d.ScorecardFn == nil {
		panic("mock: Domain.Scorecard called, but the test set no ScorecardFn")
	}
	return d.ScorecardFn(ctx, key)
}

func (d *Domain) PostScorecard(ctx context.Context, actor, key string) (workflows.Scorecard, workflows.Team, error) {
	if d.PostScorecardFn == nil {
		panic("mock: Domain.PostScorecard called, but the test set no PostScorecardFn")
	}
	return d.PostScorecardFn(ctx, actor, key)
}

func (d *Domain) SteerRollout(ctx context.Context, actor, key string, op workflows.RolloutOp, percent float64) (workflows.Experiment, error) {
	if d.SteerRolloutFn == nil {
		panic("mock: Domain.SteerRollout called, but the test set no SteerRolloutFn")
	}
	return d.SteerRolloutFn(ctx, actor, key, op, percent)
}

func (d *Domain) RequestDecision(ctx context.Context, actor, key string, action workflows.Action, variant string, days int, reason string) (workflows.Decision, error) {
	if d.RequestDecisionFn == nil {
		panic("mock: Domain.RequestDecision called, but the test set no RequestDecisionFn")
	}
	return d.RequestDecisionFn(ctx, actor, key, action, variant, days, reason)
}

func (d *Domain) Approve(ctx context.Context, actor string, id int64) (workflows.Decision, error) {
	if d.ApproveFn == nil {
		panic("mock: Domain.Approve called, but the test set no ApproveFn")
	}
	return d.ApproveFn(ctx, actor, id)
}

func (d *Domain) Reject(ctx context.Context, actor string, id int64, reason string) (workflows.Decision, error) {
	if d.RejectFn == nil {
		panic("mock: Domain.Reject called, but the test set no RejectFn")
	}
	return d.RejectFn(ctx, actor, id, reason)
}

func (d *Domain) Withdraw(ctx context.Context, actor string, id int64) (workflows.Decision, error) {
	if d.WithdrawFn == nil {
		panic("mock: Domain.Withdraw called, but the test set no WithdrawFn")
	}
	return d.WithdrawFn(ctx, actor, id)
}

func (d *Domain) Goals(ctx context.Context, team, quarter string) (workflows.GoalList, error) {
	if d.GoalsFn == nil {
		panic("mock: Domain.Goals called, but the test set no GoalsFn")
	}
	return d.GoalsFn(ctx, team, quarter)
}

func (d *Domain) AddGoal(ctx context.Context, actor, team, title, owner, quarter string) (workflows.Goal, error) {
	if d.AddGoalFn == nil {
		panic("mock: Domain.AddGoal called, but the test set no AddGoalFn")
	}
	return d.AddGoalFn(ctx, actor, team, title, owner, quarter)
}

func (d *Domain) SetGoalStatus(ctx context.Context, actor string, id int64, status workflows.GoalStatus) (workflows.Goal, error) {
	if d.SetGoalStatusFn == nil {
		panic("mock: Domain.SetGoalStatus called, but the test set no SetGoalStatusFn")
	}
	return d.SetGoalStatusFn(ctx, actor, id, status)
}

func (d *Domain) KPIs(ctx context.Context, team, from, to string) (workflows.Team, []workflows.KPIPoint, error) {
	if d.KPIsFn == nil {
		panic("mock: Domain.KPIs called, but the test set no KPIsFn")
	}
	return d.KPIsFn(ctx, team, from, to)
}

func (d *Domain) Program(ctx context.Context, team, month string) (workflows.Program, error) {
	if d.ProgramFn == nil {
		panic("mock: Domain.Program called, but the test set no ProgramFn")
	}
	return d.ProgramFn(ctx, team, month)
}

func (d *Domain) Review(ctx context.Context, team, month string) (workflows.Review, error) {
	if d.ReviewFn == nil {
		panic("mock: Domain.Review called, but the test set no ReviewFn")
	}
	return d.ReviewFn(ctx, team, month)
}

func (d *Domain) PostReview(ctx context.Context, actor, team, month string) (workflows.Team, error) {
	if d.PostReviewFn == nil {
		panic("mock: Domain.PostReview called, but the test set no PostReviewFn")
	}
	return d.PostReviewFn(ctx, actor, team, month)
}

func (d *Domain) CheckReviewDecision(ctx context.Context, actor, team, month string) (workflows.Team, error) {
	if d.CheckReviewDecisionFn == nil {
		panic("mock: Domain.CheckReviewDecision called, but the test set no CheckReviewDecisionFn")
	}
	return d.CheckReviewDecisionFn(ctx, actor, team, month)
}

func (d *Domain) DecideReview(ctx context.Context, actor, team, month string, course workflows.Course, changes string) (workflows.ReviewRecord, error) {
	if d.DecideReviewFn == nil {
		panic("mock: Domain.DecideReview called, but the test set no DecideReviewFn")
	}
	return d.DecideReviewFn(ctx, actor, team, month, course, changes)
}

func (d *Domain) Reply(ctx context.Context, m workflows.Message) error {
	if d.ReplyFn == nil {
		panic("mock: Domain.Reply called, but the test set no ReplyFn")
	}
	return d.ReplyFn(ctx, m)
}

func (d *Domain) RecordDeliveries(ctx context.Context, ds []workflows.InboundDelivery) ([]workflows.DeliveryOutcome, error) {
	if d.RecordDeliveriesFn == nil {
		panic("mock: Domain.RecordDeliveries called, but the test set no RecordDeliveriesFn")
	}
	return d.RecordDeliveriesFn(ctx, ds)
}
