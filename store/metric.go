package store

import (
	"fmt"

	"github.com/growthbot/growthbot/workflows"
)

const metricColumns = `key, name, type, event, value, numerator, denominator, higher_is_better, winsorize, tags`

func scanMetric(s scanner) (workflows.Metric, error) {
	var m workflows.Metric
	err := s.Scan(&m.Key, &m.Name, &m.Type, &m.Event, &m.Value, &m.Numerator, &m.Denominator, &m.HigherIsBetter,
		&m.Winsorize, scanJSON(&m.Tags))
	return m, err
}

// Metric returns the metric with the key.
func (t *Tx) Metric(key string) (workflows.Metric, error) {
	m, err := scanMetric(t.queryRow(`SELECT `+metricColumns+` FROM metrics WHERE key = ?`, key))
	if err != nil {
		return m, notFound(err, "no metric %q", key)
	}
	return m, nil
}

// Metrics returns every metric, by key.
func (t *Tx) Metrics() ([]workflows.Metric, error) {
	return queryAll(t, "metrics", scanMetric, `SELECT `+metricColumns+` FROM metrics ORDER BY key`)
}

// PutMetric inserts or replaces a metric.
func (t *Tx) PutMetric(m workflows.Metric) error {
	tags, err := jsonArg(m.Tags)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO metrics (`+metricColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET name = excluded.name, type = excluded.type, event = excluded.event,
		value = excluded.value, numerator = excluded.numerator, denominator = excluded.denominator,
		higher_is_better = excluded.higher_is_better, winsorize = excluded.winsorize, tags = excluded.tags`,
		m.Key, m.Name, m.Type, m.Event, m.Value, m.Numerator, m.Denominator, m.HigherIsBetter, m.Winsorize, tags)
	if err != nil {
		return fmt.Errorf("store: put metric %s: %w", m.Key, err)
	}
	return nil
}
