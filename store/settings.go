package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/growthbot/growthbot/workflows"
)

// Settings returns the stored settings, zero when none were applied.
func (t *Tx) Settings() (workflows.Settings, error) {
	var s workflows.Settings
	err := t.queryRow(`SELECT value FROM settings WHERE key = 'config'`).Scan(scanJSON(&s))
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	} else if err != nil {
		return s, fmt.Errorf("store: settings: %w", err)
	}
	return s, nil
}

// PutSettings stores the settings.
func (t *Tx) PutSettings(s workflows.Settings) error {
	v, err := jsonArg(s)
	if err != nil {
		return err
	}
	if _, err := t.exec(`INSERT INTO settings (key, value) VALUES ('config', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, v); err != nil {
		return fmt.Errorf("store: put settings: %w", err)
	}
	return nil
}
