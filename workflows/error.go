package workflows

import (
	"errors"
	"fmt"
)

// Error codes. Every adapter maps these to a reply in exactly one place: an
// ephemeral Slack message, an HTTP status, a CLI exit status.
const (
	ECONFLICT  = "conflict"  // the action clashes with the current state
	EFORBIDDEN = "forbidden" // the actor may not do this
	EINTERNAL  = "internal"  // a bug or an outage; logged, never shown in detail
	EINVALID   = "invalid"   // the input is malformed
	ENOTFOUND  = "not_found" // the thing asked for does not exist
)

// Error is a domain error: a code for machines and a message for people.
// Messages are written to be shown to users as they are.
type Error struct {
	Code    string
	Message string
	// Hint is an optional suggestion ("did you mean ...?", a usage line).
	Hint string
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Message + " (" + e.Hint + ")"
	}
	return e.Message
}

// Errorf returns a domain error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithHint returns a copy of e carrying a suggestion.
func (e *Error) WithHint(format string, args ...any) *Error {
	c := *e
	c.Hint = fmt.Sprintf(format, args...)
	return &c
}

// ErrorCode returns the code of the domain error in err's chain, or EINTERNAL
// for any other non-nil error.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the domain error in err's
// chain. Other errors get a generic message: internal details are for logs.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Error()
	}
	return "Something went wrong on our side; it has been logged."
}
