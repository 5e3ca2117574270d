package store

import (
	"fmt"

	"github.com/growthbot/growthbot/workflows"
)

const decisionColumns = `id, experiment, action, variant, days, reason, requester, recommendation,
	recommendation_reason, auto_approved, required_approvals, approvals, rejected_by, state, created_at,
	resolved_at, message_channel, message_ts`

func scanDecision(s scanner) (workflows.Decision, error) {
	var d workflows.Decision
	err := s.Scan(&d.ID, &d.Experiment, &d.Action, &d.Variant, &d.Days, &d.Reason, &d.Requester,
		&d.Recommendation, &d.RecommendationReason, &d.AutoApproved, &d.RequiredApprovals, scanJSON(&d.Approvals),
		&d.RejectedBy, &d.State, scanTime(&d.CreatedAt), scanTime(&d.ResolvedAt), &d.Message.Channel, &d.Message.TS)
	return d, err
}

func decisionArgs(d workflows.Decision) ([]any, error) {
	approvals, err := jsonArg(d.Approvals)
	if err != nil {
		return nil, err
	}
	return []any{d.Experiment, d.Action, d.Variant, d.Days, d.Reason, d.Requester, d.Recommendation,
		d.RecommendationReason, d.AutoApproved, d.RequiredApprovals, approvals, d.RejectedBy, d.State,
		formatTime(d.CreatedAt), timeArg(d.ResolvedAt), d.Message.Channel, d.Message.TS}, nil
}

// CreateDecision stores a new decision. A second pending decision for the
// same experiment is refused by the database as a conflict.
func (t *Tx) CreateDecision(d workflows.Decision) (workflows.Decision, error) {
	args, err := decisionArgs(d)
	if err != nil {
		return d, err
	}
	res, err := t.exec(`INSERT INTO decisions (experiment, action, variant, days, reason, requester,
		recommendation, recommendation_reason, auto_approved, required_approvals, approvals, rejected_by, state,
		created_at, resolved_at, message_channel, message_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if isUniqueViolation(err) {
		return d, workflows.Errorf(workflows.ECONFLICT, "experiment %q already has a pending decision", d.Experiment)
	} else if err != nil {
		return d, fmt.Errorf("store: create decision: %w", err)
	}
	d.ID, err = res.LastInsertId()
	return d, err
}

// PutDecision replaces an existing decision.
func (t *Tx) PutDecision(d workflows.Decision) error {
	args, err := decisionArgs(d)
	if err != nil {
		return err
	}
	res, err := t.exec(`UPDATE decisions SET experiment = ?, action = ?, variant = ?, days = ?, reason = ?,
		requester = ?, recommendation = ?, recommendation_reason = ?, auto_approved = ?, required_approvals = ?,
		approvals = ?, rejected_by = ?, state = ?, created_at = ?, resolved_at = ?, message_channel = ?,
		message_ts = ? WHERE id = ?`, append(args, d.ID)...)
	if isUniqueViolation(err) {
		return workflows.Errorf(workflows.ECONFLICT, "experiment %q already has a pending decision", d.Experiment)
	} else if err != nil {
		return fmt.Errorf("store: put decision %d: %w", d.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return workflows.Errorf(workflows.ENOTFOUND, "no decision %d", d.ID)
	}
	return nil
}

// Decision returns the decision with the id.
func (t *Tx) Decision(id int64) (workflows.Decision, error) {
	d, err := scanDecision(t.queryRow(`SELECT `+decisionColumns+` FROM decisions WHERE id = ?`, id))
	if err != nil {
		return d, notFound(err, "no decision %d", id)
	}
	return d, nil
}

// Decisions returns an experiment's decisions, newest first.
func (t *Tx) Decisions(experiment string) ([]workflows.Decision, error) {
	return queryAll(t, "decisions", scanDecision, `SELECT `+decisionColumns+` FROM decisions WHERE experiment = ? ORDER BY id DESC`, experiment)
}
