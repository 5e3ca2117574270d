package store

import (
	"fmt"

	"github.com/growthbot/growthbot/workflows"
)

// AppendAudit appends an entry to the audit log.
func (t *Tx) AppendAudit(e workflows.AuditEntry) (workflows.AuditEntry, error) {
	if e.At.IsZero() {
		e.At = t.now
	}
	res, err := t.exec(`INSERT INTO audit (at, actor, action, subject, reason, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		formatTime(e.At), e.Actor, e.Action, e.Subject, e.Reason, e.Before, e.After)
	if err != nil {
		return e, fmt.Errorf("store: append audit: %w", err)
	}
	e.ID, err = res.LastInsertId()
	return e, err
}

// Audit returns audit entries oldest first; with a limit, the newest ones.
func (t *Tx) Audit(f workflows.AuditFilter) ([]workflows.AuditEntry, error) {
	q := `SELECT id, at, actor, action, subject, reason, before, after FROM audit`
	var args []any
	if f.Subject != "" {
		q += ` WHERE subject = ?`
		args = append(args, f.Subject)
	}
	q += ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	out, err := queryAll(t, "audit", func(s scanner) (workflows.AuditEntry, error) {
		var e workflows.AuditEntry
		err := s.Scan(&e.ID, scanTime(&e.At), &e.Actor, &e.Action, &e.Subject, &e.Reason, &e.Before, &e.After)
		return e, err
	}, q, args...)
	if err != nil {
		return nil, err
	}
	// The newest were read first so that a limit keeps them; show them in
	// the order they happened.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
