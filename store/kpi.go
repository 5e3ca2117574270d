package store

import (
	"fmt"

	"github.com/growthbot/growthbot/workflows"
)

// PutKPI inserts a KPI point or replaces its value.
func (t *Tx) PutKPI(p workflows.KPIPoint) error {
	_, err := t.exec(`INSERT INTO kpis (team, name, period, value) VALUES (?, ?, ?, ?)
		ON CONFLICT (team, name, period) DO UPDATE SET value = excluded.value`, p.Team, p.Name, p.Period, p.Value)
	if err != nil {
		return fmt.Errorf("store: put kpi: %w", err)
	}
	return nil
}

// KPIs returns a team's points with from <= period <= to.
func (t *Tx) KPIs(team, from, to string) ([]workflows.KPIPoint, error) {
	return queryAll(t, "kpis", func(s scanner) (workflows.KPIPoint, error) {
		var p workflows.KPIPoint
		err := s.Scan(&p.Team, &p.Name, &p.Period, &p.Value)
		return p, err
	}, `SELECT team, name, period, value FROM kpis WHERE team = ? AND period >= ? AND period <= ? ORDER BY name, period`, team, from, to)
}
