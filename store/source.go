package store

import (
	"fmt"

	"github.com/growthbot/growthbot/workflows"
)

func scanSource(s scanner) (workflows.Source, error) {
	var src workflows.Source
	err := s.Scan(scanJSON(&src))
	return src, err
}

// Source returns the source with the key.
func (t *Tx) Source(key string) (workflows.Source, error) {
	src, err := scanSource(t.queryRow(`SELECT definition FROM sources WHERE key = ?`, key))
	if err != nil {
		return src, notFound(err, "no source %q", key)
	}
	return src, nil
}

// Sources returns every source, by key.
func (t *Tx) Sources() ([]workflows.Source, error) {
	return queryAll(t, "sources", scanSource, `SELECT definition FROM sources ORDER BY key`)
}

// PutSource inserts or replaces a source.
func (t *Tx) PutSource(src workflows.Source) error {
	def, err := jsonArg(src)
	if err != nil {
		return fmt.Errorf("store: put source %s: %w", src.Key, err)
	}
	if _, err := t.exec(`INSERT INTO sources (key, definition) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET definition = excluded.definition`, src.Key, def); err != nil {
		return fmt.Errorf("store: put source %s: %w", src.Key, err)
	}
	return nil
}
