package workflows

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"time"
)

// System actors: changes made by growthbot itself or its operator rather
// than by a Slack user. They pass team permission checks.
const (
	ActorCLI       = "cli"
	ActorConfig    = "config"
	ActorScheduler = "scheduler"
)

// IsSystemActor reports whether actor is growthbot or its operator.
func IsSystemActor(actor string) bool {
	return actor == ActorCLI || actor == ActorConfig || actor == ActorScheduler
}

// Service carries out growthbot's use cases on the domain. Adapters (Slack,
// HTTP, CLI) call it; it calls the outside world only through its fields.
type Service struct {
	Store Store
	Clock Clock
	Log   *slog.Logger
	// Frameworks are the names of the known decision frameworks, which the
	// config may name; FrameworkSet holds the frameworks themselves.
	Frameworks   []string
	FrameworkSet []Framework
	// Retention says how long the housekeeping job keeps delivery records
	// and message bodies.
	Retention Retention
	// Warehouses opens the sources experiments may read instead of the
	// embedded store; nil when none may.
	Warehouses Warehouses
	// ParseSchedule reads the jobs' cron specs. Without it apply checks
	// only that a spec has five fields, and ScheduledJobs and
	// JobSummaries fail.
	ParseSchedule ScheduleParser

	// analyses lets concurrent requests for one experiment's scorecard
	// share an analysis; see Scorecard.
	analyses analysisFlights
	// imports admits one import at a time to the store's writer; see
	// Import.
	imports importGate
}

// NewService returns a service over store with the wall clock.
func NewService(store Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{Store: store, Clock: SystemClock{}, Log: log, Frameworks: []string{"clear-signals", "do-no-harm"}}
}

// Now is the service's time: what adapters show as "now" (an experiment's
// day, this quarter), read from the same clock as the rules.
func (s *Service) Now() time.Time { return s.Clock.Now() }

// audit appends an audit entry describing a change from before to after
// (either may be nil) at the transaction's time.
func audit(tx Tx, actor, action, subject, reason string, before, after any) error {
	_, err := tx.AppendAudit(AuditEntry{
		At: tx.Now(), Actor: actor, Action: action, Subject: subject, Reason: reason,
		Before: auditJSON(before), After: auditJSON(after),
	})
	return err
}

func auditJSON(v any) string {
	if v == nil || (reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil()) {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// same reports whether a and b hold the same data, treating empty and absent
// lists alike.
func same(a, b any) bool {
	return reflect.DeepEqual(plain(a), plain(b))
}

func plain(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return dropEmpty(out)
}

func dropEmpty(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return nil
		}
		for i := range x {
			x[i] = dropEmpty(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = dropEmpty(x[k])
		}
	}
	return v
}

// changeExperiment loads an experiment and its team, lets change modify it,
// then stores it with an audit entry, all in one transaction.
func (s *Service) changeExperiment(ctx context.Context, actor, key, action, reason string, change func(tx Tx, team Team, e *Experiment) error) (Experiment, error) {
	var out Experiment
	err := s.Store.Update(ctx, func(tx Tx) error {
		e, err := tx.Experiment(key)
		if err != nil {
			return err
		}
		team, err := tx.Team(e.Team)
		if err != nil {
			return err
		}
		before := e
		if err := change(tx, team, &e); err != nil {
			return err
		}
		e.UpdatedAt = tx.Now()
		if err := tx.PutExperiment(e); err != nil {
			return err
		}
		out = e
		return audit(tx, actor, action, "experiment:"+key, reason, before, e)
	})
	return out, err
}

// mayAct returns a forbidden error unless actor may act on the team's
// experiments: a member, approver or lead of the team, or growthbot itself.
func mayAct(actor string, team Team) error {
	if IsSystemActor(actor) || team.IsMember(actor) {
		return nil
	}
	if team.Lead == "" {
		return Errorf(EFORBIDDEN, "only members of team %s can do that, and %s is not one: ask the team's lead to add you to the team's members in the config file",
			team.Name, User(actor))
	}
	return Errorf(EFORBIDDEN, "only members of team %s can do that, and %s is not one: ask %s, the team's lead, to add you to the team's members in the config file",
		team.Name, User(actor), User(team.Lead))
}
