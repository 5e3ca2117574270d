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
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	defer rows.Close()
	var out []workflows.AuditEntry
	for rows.Next() {
		var e workflows.AuditEntry
		if err := rows.Scan(&e.ID, scanTime(&e.At), &e.Actor, &e.Action, &e.Subject, &e.Reason, &e.Before, &e.After); err != nil {
			return nil, fmt.Errorf("store: audit: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
