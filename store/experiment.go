package store

import (
	"fmt"
	"strings"

	"github.com/growthbot/growthbot/workflows"
)

const experimentColumns = `key, name, team, owner, hypothesis, variants, primary_metrics, guardrail_metrics,
	secondary_metrics, method, alpha, framework, min_days, planned_days, target_mde, rollout_plan, state,
	started_at, ends_at, decided_at, winner, rollout_percent, rollout_step, rollout_paused, rollout_step_at,
	created_at, updated_at, source, layer, layer_share, layer_ranges, log_exposures`

// experimentSelect reads experiments with their Slack thread, which is the
// delivered thread-parent message in the outbox: one source of truth.
const experimentSelect = `SELECT e.key, e.name, e.team, e.owner, e.hypothesis, e.variants, e.primary_metrics,
	e.guardrail_metrics, e.secondary_metrics, e.method, e.alpha, e.framework, e.min_days, e.planned_days,
	e.target_mde, e.rollout_plan, e.state, e.started_at, e.ends_at, e.decided_at, e.winner, e.rollout_percent,
	e.rollout_step, e.rollout_paused, e.rollout_step_at, e.created_at, e.updated_at, e.source,
	e.layer, e.layer_share, e.layer_ranges, NOT e.log_exposures,
	COALESCE(o.channel, ''), COALESCE(o.ts, '')
	FROM experiments e LEFT JOIN outbox o ON o.key = 'experiment:' || e.key || ':thread'`

func scanExperiment(s scanner) (workflows.Experiment, error) {
	var e workflows.Experiment
	err := s.Scan(&e.Key, &e.Name, &e.Team, &e.Owner, &e.Hypothesis, scanJSON(&e.Variants),
		scanJSON(&e.PrimaryMetrics), scanJSON(&e.GuardrailMetrics), scanJSON(&e.SecondaryMetrics), &e.Method,
		&e.Alpha, &e.Framework, &e.MinDays, &e.PlannedDays, &e.TargetMDE, scanJSON(&e.RolloutPlan), &e.State,
		scanTime(&e.StartedAt), scanTime(&e.EndsAt), scanTime(&e.DecidedAt), &e.Winner, &e.RolloutPercent,
		&e.RolloutStep, &e.RolloutPaused, scanTime(&e.RolloutStepAt), scanTime(&e.CreatedAt),
		scanTime(&e.UpdatedAt), &e.Source, &e.Layer, &e.LayerShare, scanJSON(&e.LayerRanges), &e.NoExposureLogging,
		&e.Thread.Channel, &e.Thread.TS)
	return e, err
}

// Experiment returns the experiment with the key.
func (t *Tx) Experiment(key string) (workflows.Experiment, error) {
	e, err := scanExperiment(t.queryRow(experimentSelect+` WHERE e.key = ?`, key))
	if err != nil {
		return e, notFound(err, "no experiment %q", key)
	}
	return e, nil
}

// Experiments returns the experiments that match the filter, by key.
func (t *Tx) Experiments(f workflows.ExperimentFilter) ([]workflows.Experiment, error) {
	var where []string
	var args []any
	if f.Team != "" {
		where = append(where, "e.team = ?")
		args = append(args, f.Team)
	}
	if len(f.States) > 0 {
		where = append(where, "e.state IN (?"+strings.Repeat(", ?", len(f.States)-1)+")")
		for _, s := range f.States {
			args = append(args, s)
		}
	}
	q := experimentSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return queryAll(t, "experiments", scanExperiment, q+" ORDER BY e.key", args...)
}

// PutExperiment inserts or replaces an experiment.
func (t *Tx) PutExperiment(e workflows.Experiment) error {
	var lists [6]string
	for i, v := range []any{e.Variants, e.PrimaryMetrics, e.GuardrailMetrics, e.SecondaryMetrics, e.RolloutPlan, e.LayerRanges} {
		s, err := jsonArg(v)
		if err != nil {
			return fmt.Errorf("store: put experiment %s: %w", e.Key, err)
		}
		lists[i] = s
	}
	_, err := t.exec(`INSERT INTO experiments (`+experimentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET name = excluded.name, team = excluded.team, owner = excluded.owner,
		hypothesis = excluded.hypothesis, variants = excluded.variants, primary_metrics = excluded.primary_metrics,
		guardrail_metrics = excluded.guardrail_metrics, secondary_metrics = excluded.secondary_metrics,
		method = excluded.method, alpha = excluded.alpha, framework = excluded.framework,
		min_days = excluded.min_days, planned_days = excluded.planned_days, target_mde = excluded.target_mde,
		rollout_plan = excluded.rollout_plan, state = excluded.state, started_at = excluded.started_at,
		ends_at = excluded.ends_at, decided_at = excluded.decided_at, winner = excluded.winner,
		rollout_percent = excluded.rollout_percent, rollout_step = excluded.rollout_step,
		rollout_paused = excluded.rollout_paused, rollout_step_at = excluded.rollout_step_at,
		updated_at = excluded.updated_at, source = excluded.source, layer = excluded.layer, layer_share = excluded.layer_share,
		layer_ranges = excluded.layer_ranges, log_exposures = excluded.log_exposures`,
		e.Key, e.Name, e.Team, e.Owner, e.Hypothesis, lists[0], lists[1], lists[2], lists[3], e.Method, e.Alpha,
		e.Framework, e.MinDays, e.PlannedDays, e.TargetMDE, lists[4], e.State, timeArg(e.StartedAt),
		timeArg(e.EndsAt), timeArg(e.DecidedAt), e.Winner, e.RolloutPercent, e.RolloutStep, e.RolloutPaused,
		timeArg(e.RolloutStepAt), formatTime(e.CreatedAt), formatTime(e.UpdatedAt), e.Source, e.Layer, e.LayerShare, lists[5],
		!e.NoExposureLogging)
	if err != nil {
		return fmt.Errorf("store: put experiment %s: %w", e.Key, err)
	}
	return nil
}
