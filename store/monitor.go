package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// MonitorAlert returns the state of a watched problem.
func (t *Tx) MonitorAlert(key string) (workflows.MonitorAlert, error) {
	a := workflows.MonitorAlert{Key: key}
	err := t.queryRow(`SELECT opened_at, cleared_at FROM monitor_alerts WHERE key = ?`, key).
		Scan(scanTime(&a.OpenedAt), scanTime(&a.ClearedAt))
	if err != nil {
		return a, notFound(err, "no alert %q", key)
	}
	return a, nil
}

// PutMonitorAlert inserts or replaces the state of a watched problem.
func (t *Tx) PutMonitorAlert(a workflows.MonitorAlert) error {
	if _, err := t.exec(`INSERT INTO monitor_alerts (key, opened_at, cleared_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET opened_at = excluded.opened_at, cleared_at = excluded.cleared_at`,
		a.Key, timeArg(a.OpenedAt), timeArg(a.ClearedAt)); err != nil {
		return fmt.Errorf("store: put alert %q: %w", a.Key, err)
	}
	return nil
}

// LastExposure returns the time of the experiment's latest exposure: one
// range of the exposures table's primary key.
func (t *Tx) LastExposure(experiment string) (time.Time, error) {
	var at sql.NullInt64
	if err := t.queryRow(`SELECT MAX(at) FROM exposures WHERE experiment = ?`, experiment).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("store: last exposure of %s: %w", experiment, err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	return time.UnixMilli(at.Int64).UTC(), nil
}

// EventSince reports whether an event of the name arrived at or after
// since, reading only that window while it finds one, and otherwise the
// latest one at or after from.
func (t *Tx) EventSince(name string, from, since time.Time) (time.Time, bool, error) {
	var id int64
	err := t.queryRow(`SELECT id FROM event_names WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	} else if err != nil {
		return time.Time{}, false, fmt.Errorf("store: event %s: %w", name, err)
	}
	var at sql.NullInt64
	err = t.queryRow(`SELECT at FROM events WHERE at >= ? AND event = ? LIMIT 1`, since.UnixMilli(), id).Scan(&at)
	switch {
	case err == nil:
		return time.UnixMilli(at.Int64).UTC(), true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, fmt.Errorf("store: recent %s events: %w", name, err)
	}
	if err := t.queryRow(`SELECT MAX(at) FROM events WHERE at >= ? AND at < ? AND event = ?`, from.UnixMilli(), since.UnixMilli(), id).
		Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("store: last %s event: %w", name, err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(at.Int64).UTC(), false, nil
}
