package store

import (
	"fmt"

	"github.com/growthbot/growthbot/workflows"
)

const goalColumns = `id, team, quarter, title, owner, status, created_at, updated_at`

func scanGoal(s scanner) (workflows.Goal, error) {
	var g workflows.Goal
	err := s.Scan(&g.ID, &g.Team, &g.Quarter, &g.Title, &g.Owner, &g.Status, scanTime(&g.CreatedAt), scanTime(&g.UpdatedAt))
	return g, err
}

// CreateGoal stores a new goal.
func (t *Tx) CreateGoal(g workflows.Goal) (workflows.Goal, error) {
	res, err := t.exec(`INSERT INTO goals (team, quarter, title, owner, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		g.Team, g.Quarter, g.Title, g.Owner, g.Status, formatTime(g.CreatedAt), formatTime(g.UpdatedAt))
	if err != nil {
		return g, fmt.Errorf("store: create goal: %w", err)
	}
	g.ID, err = res.LastInsertId()
	return g, err
}

// PutGoal replaces an existing goal.
func (t *Tx) PutGoal(g workflows.Goal) error {
	res, err := t.exec(`UPDATE goals SET team = ?, quarter = ?, title = ?, owner = ?, status = ?, updated_at = ? WHERE id = ?`,
		g.Team, g.Quarter, g.Title, g.Owner, g.Status, formatTime(g.UpdatedAt), g.ID)
	if err != nil {
		return fmt.Errorf("store: put goal %d: %w", g.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return workflows.Errorf(workflows.ENOTFOUND, "no goal %d", g.ID)
	}
	return nil
}

// Goal returns the goal with the id.
func (t *Tx) Goal(id int64) (workflows.Goal, error) {
	g, err := scanGoal(t.queryRow(`SELECT `+goalColumns+` FROM goals WHERE id = ?`, id))
	if err != nil {
		return g, notFound(err, "no goal %d", id)
	}
	return g, nil
}

// Goals returns a team's goals for a quarter (all quarters when empty).
func (t *Tx) Goals(team, quarter string) ([]workflows.Goal, error) {
	return queryAll(t, "goals", scanGoal, `SELECT `+goalColumns+` FROM goals WHERE team = ? AND (? = '' OR quarter = ?) ORDER BY quarter, id`,
		team, quarter, quarter)
}

// GoalList implements workflows.GoalStore.
func (t *Tx) GoalList(team, quarter string, limit int) ([]workflows.Goal, int, int, error) {
	var total, done int
	if err := t.queryRow(`SELECT count(*), count(*) FILTER (WHERE status = ?) FROM goals WHERE team = ? AND quarter = ?`,
		workflows.GoalDone, team, quarter).Scan(&total, &done); err != nil {
		return nil, 0, 0, fmt.Errorf("store: count goals: %w", err)
	}
	goals, err := queryAll(t, "goals", scanGoal, `SELECT `+goalColumns+` FROM goals WHERE team = ? AND quarter = ? ORDER BY id LIMIT ?`,
		team, quarter, limit)
	return goals, total, done, err
}
