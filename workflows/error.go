package workflows

import (
	"errors"
	"fmt"
	"strings"
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
	Code string
	// Message is the message as plain text: for logs, the CLI and the HTTP
	// API. A User argument reads "@U0PM" in it.
	Message string
	// Hint is an optional suggestion ("did you mean ...?", a usage line).
	Hint string
	// Format and Args are the message as the domain wrote it, for an
	// adapter that shows some arguments its own way: Slack escapes text
	// and mentions a User. Empty when the error was not made by Errorf.
	Format string
	Args   []any
}

// User is a Slack user id as an argument of a message: the domain says who,
// each adapter says it its way (Slack mentions the user; plain text reads
// "@U0PM").
type User string

func (u User) String() string { return "@" + string(u) }

// Users are users as one argument: "@U0PM, @U0LEAD" in plain text, or
// "nobody".
type Users []string

func (us Users) String() string {
	if len(us) == 0 {
		return "nobody"
	}
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = User(u).String()
	}
	return strings.Join(out, ", ")
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Message + " (" + e.Hint + ")"
	}
	return e.Message
}

// Errorf returns a domain error with the given code. Its arguments stay
// data (Format and Args) for adapters that render them; Message is the
// plain text.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
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
