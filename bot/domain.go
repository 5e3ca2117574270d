package bot

import (
	"context"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// Domain is what the Slack adapter asks of growthbot: the domain's use
// cases, which *workflows.Service provides. The router and the Slack
// handlers depend on this, never on the store or a transaction, so that a
// handler test can run against a fake (bot/mock). Errors are the domain's
// coded errors (workflows.Error).
type Domain interface {
	// Now is the domain's time.
	Now() time.Time

	// Teams and people.
	Teams(ctx context.Context) ([]workflows.Team, error)
	DefaultTeam(ctx context.Context, user string) (string, error)
	Home(ctx context.Context, user string) (workflows.Home, error)
	Exists(ctx context.Context, key, team string) bool
	Suggest(ctx context.Context, key, team string) string

	// Experiments.
	ListExperiments(ctx context.Context, team string) ([]workflows.Experiment, error)
	DraftChoices(ctx context.Context, user string) ([]workflows.Team, []workflows.Metric, error)
	CreateExperiment(ctx context.Context, actor string, draft workflows.ExperimentDraft) (workflows.Experiment, error)
	StartExperiment(ctx context.Context, actor, key string) (workflows.Experiment, error)
	History(ctx context.Context, key string) (workflows.Experiment, []workflows.AuditEntry, error)
	Scorecard(ctx context.Context, key string) (workflows.Scorecard, workflows.Team, error)
	PostScorecard(ctx context.Context, actor, key string) (workflows.Scorecard, workflows.Team, error)
	SteerRollout(ctx context.Context, actor, key string, op workflows.RolloutOp, percent float64) (workflows.Experiment, error)

	// Decisions.
	RequestDecision(ctx context.Context, actor, key string, action workflows.Action, variant string, days int, reason string) (workflows.Decision, error)
	Approve(ctx context.Context, actor string, id int64) (workflows.Decision, error)
	Reject(ctx context.Context, actor string, id int64, reason string) (workflows.Decision, error)
	Withdraw(ctx context.Context, actor string, id int64) (workflows.Decision, error)

	// Goals, KPIs, programs and growth reviews.
	Goals(ctx context.Context, team, quarter string) (workflows.GoalList, error)
	AddGoal(ctx context.Context, actor, team, title, owner, quarter string) (workflows.Goal, error)
	SetGoalStatus(ctx context.Context, actor string, id int64, status workflows.GoalStatus) (workflows.Goal, error)
	KPIs(ctx context.Context, team, from, to string) (workflows.Team, []workflows.KPIPoint, error)
	Program(ctx context.Context, team, month string) (workflows.Program, error)
	Review(ctx context.Context, team, month string) (workflows.Review, error)
	PostReview(ctx context.Context, actor, team, month string) (workflows.Team, error)
	CheckReviewDecision(ctx context.Context, actor, team, month string) (workflows.Team, error)
	DecideReview(ctx context.Context, actor, team, month string, course workflows.Course, changes string) (workflows.ReviewRecord, error)

	// Messages and deliveries.
	Reply(ctx context.Context, m workflows.Message) error
	RecordDeliveries(ctx context.Context, ds []workflows.InboundDelivery) ([]workflows.DeliveryOutcome, error)
}

var _ Domain = (*workflows.Service)(nil)
