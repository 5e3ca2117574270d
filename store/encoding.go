package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// Times are stored as RFC 3339 text in UTC, which sorts as time does; the
// zero time is stored as NULL.

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

// nullTime scans a time column that may be NULL.
type nullTime struct{ t *time.Time }

func (n nullTime) Scan(v any) error {
	switch s := v.(type) {
	case nil:
		*n.t = time.Time{}
		return nil
	case string:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("bad time %q: %w", s, err)
		}
		*n.t = t
		return nil
	}
	return fmt.Errorf("bad time %v (%T)", v, v)
}

func scanTime(t *time.Time) sql.Scanner { return nullTime{t} }

// Lists and small structs are stored as JSON text.

func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// jsonCol scans a JSON text column into a value.
type jsonCol struct{ v any }

func (j jsonCol) Scan(src any) error {
	var b []byte
	switch s := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(s)
	case []byte:
		b = s
	default:
		return fmt.Errorf("bad JSON column %T", src)
	}
	return json.Unmarshal(b, j.v)
}

func scanJSON(v any) sql.Scanner { return jsonCol{v} }

// notFound maps sql.ErrNoRows to a domain not-found error.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return workflows.Errorf(workflows.ENOTFOUND, format, args...)
	}
	return err
}

// SQLite's primary result codes for a database that cannot be written; the
// extended codes (SQLITE_READONLY_DBMOVED and the like) keep them in their
// low byte.
const (
	sqliteReadOnly = 8  // SQLITE_READONLY
	sqliteFull     = 13 // SQLITE_FULL
)

// writeFault returns err as an internal domain error that says, in words a
// user can be shown, why nothing could be written, when SQLite refused to
// write because the database is read-only or the disk is full. The SQLite
// error stays in the chain for the log. Other errors are returned as they
// are.
func writeFault(err error) error {
	var se interface{ Code() int }
	if err == nil || !errors.As(err, &se) {
		return err
	}
	var why string
	switch se.Code() & 0xff {
	case sqliteReadOnly:
		why = "it is read-only"
	case sqliteFull:
		why = "the disk is full"
	default:
		return err
	}
	return fmt.Errorf("%w: %w", workflows.Errorf(workflows.EINTERNAL,
		"growthbot cannot write to its database right now (%s), so nothing was changed; whoever runs growthbot can see why in its log", why), err)
}

// isUniqueViolation reports whether err is SQLite refusing a duplicate key.
func isUniqueViolation(err error) bool {
	var se interface{ Code() int }
	// SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555).
	return errors.As(err, &se) && (se.Code() == 2067 || se.Code() == 1555)
}

// scanner is a row: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// queryAll runs a query and scans every row with scan; what names the
// query in errors.
func queryAll[T any](t *Tx, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}
