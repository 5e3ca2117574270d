package workflows

import (
	"context"
	"time"
)

// Store gives the domain transactional access to its state. Everything done
// inside one Update is applied together or not at all, which is how decisions,
// their audit rows and their messages apply exactly once.
type Store interface {
	// Update runs fn in a read-write transaction and commits when fn returns
	// nil. Writers are serialized, so fn may read, check and write safely.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction over a consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error

	AggregateStore
}

// Tx is one transaction. Its methods use the context Update or View was
// given. Lookups of a single thing return an ENOTFOUND error when it does not
// exist.
type Tx interface {
	// Now is the transaction's time, fixed when it began.
	Now() time.Time

	TeamStore
	MetricStore
	ExperimentStore
	DecisionStore
	AuditStore
	GoalStore
	KPIStore
	SettingsStore
	OutboxStore
	DeliveryStore
	JobStore
	SnapshotStore
	IngestStore
	ReviewStore
	MonitorStore
	SourceStore
}

// SourceStore stores source definitions (never their DSNs).
type SourceStore interface {
	Source(key string) (Source, error)
	Sources() ([]Source, error)
	PutSource(Source) error
}

// TeamStore stores teams.
type TeamStore interface {
	Team(key string) (Team, error)
	Teams() ([]Team, error)
	PutTeam(Team) error
}

// MetricStore stores metric definitions.
type MetricStore interface {
	Metric(key string) (Metric, error)
	Metrics() ([]Metric, error)
	PutMetric(Metric) error
}

// ExperimentFilter narrows a list of experiments; zero fields match all.
type ExperimentFilter struct {
	Team   string
	States []State
}

// ExperimentStore stores experiments.
type ExperimentStore interface {
	Experiment(key string) (Experiment, error)
	Experiments(ExperimentFilter) ([]Experiment, error)
	// PutExperiment inserts or replaces the experiment with its key.
	PutExperiment(Experiment) error
}

// DecisionStore stores decision requests.
type DecisionStore interface {
	// CreateDecision stores a new decision and returns it with its ID.
	CreateDecision(Decision) (Decision, error)
	// PutDecision replaces an existing decision.
	PutDecision(Decision) error
	Decision(id int64) (Decision, error)
	// Decisions returns an experiment's decisions, newest first.
	Decisions(experiment string) ([]Decision, error)
}

// AuditFilter narrows the audit log; zero fields match all.
type AuditFilter struct {
	Subject string // e.g. "experiment:KEY"
	Limit   int
}

// AuditStore appends to and reads the audit log. There is no way to change
// or remove an entry.
type AuditStore interface {
	AppendAudit(AuditEntry) (AuditEntry, error)
	// Audit returns entries oldest first.
	Audit(AuditFilter) ([]AuditEntry, error)
}

// GoalStore stores quarterly goals.
type GoalStore interface {
	// CreateGoal stores a new goal and returns it with its ID.
	CreateGoal(Goal) (Goal, error)
	PutGoal(Goal) error
	Goal(id int64) (Goal, error)
	// Goals returns a team's goals for a quarter; an empty quarter means all.
	Goals(team, quarter string) ([]Goal, error)
	// GoalList returns the first limit of a team's goals for a quarter, in
	// the order they were added, and how many it has and has done in all.
	GoalList(team, quarter string, limit int) (goals []Goal, total, done int, err error)
}

// KPIStore stores KPI points.
type KPIStore interface {
	// PutKPI inserts the point, or replaces the value for its team, name and
	// period.
	PutKPI(KPIPoint) error
	// KPIs returns a team's points with from <= period <= to (strings compare
	// as periods do), ordered by name then period.
	KPIs(team, from, to string) ([]KPIPoint, error)
}

// SettingsStore keeps the service-wide settings from the config file.
type SettingsStore interface {
	Settings() (Settings, error)
	PutSettings(Settings) error
}

// DeliveryStore remembers inbound deliveries (Slack events, commands and
// interactions) so that a retried delivery is recognised and not applied
// twice.
type DeliveryStore interface {
	// RecordDelivery records the delivery id and reports whether it is new.
	RecordDelivery(id string) (bool, error)
	// ForgetDeliveries removes records older than before.
	ForgetDeliveries(before time.Time) error
}

// IngestStore stores imported rows in bulk. A writer belongs to its
// transaction: close it before the transaction ends.
type IngestStore interface {
	// ExposureWriter stores exposures. The earliest of an experiment, unit
	// and variant wins, whatever the order: one earlier than the stored
	// one moves it and is stored; a later or equal one is a duplicate.
	ExposureWriter() (BatchWriter[Exposure], error)
	// EventWriter stores events. One identical to a stored event in unit,
	// name, time (to the millisecond) and value is a duplicate.
	EventWriter() (BatchWriter[Event], error)
	// KPIWriter inserts points or replaces their values. A point whose value
	// is already stored is a duplicate; a changed value is stored.
	KPIWriter() (BatchWriter[KPIPoint], error)
	// CountExposures counts the units exposed to an experiment.
	CountExposures(experiment string) (int, error)
}

// BatchWriter stores rows in bulk.
type BatchWriter[T any] interface {
	// Write stores rows and returns how many it stored; the others were
	// duplicates, of stored rows or of each other.
	Write(rows []T) (int, error)
	Close() error
}

// AggregateStore computes experiments' sufficient statistics. It runs its
// own read transaction rather than inside View, so that the store can read
// the events table the fastest way it knows.
type AggregateStore interface {
	// Aggregate returns one Aggregate per request, in order, from one
	// consistent snapshot and one pass over the events for all of them.
	// Errors: EINVALID for a request it cannot compute (a ratio of ratios,
	// a window of more than ten years).
	Aggregate(ctx context.Context, reqs []AggregateRequest) ([]Aggregate, error)
}
