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
	Code    string
	Message string
	// Hint is an optional suggestion ("did you mean ...?", a usage line).
	Hint string
	// Mrkdwn is Message for Slack: the text of every argument escaped but
	// the mentions (Mention) the domain wrote; empty when the error was
	// not made by Errorf.
	Mrkdwn string
}

// Mention is Slack mrkdwn that mentions users: "<@U0PM>, <@U0LEAD>". In
// an error's Mrkdwn it is kept as it is, where any other text is escaped.
type Mention string

// MentionUsers mentions each user, or says "nobody".
func MentionUsers(users ...string) Mention {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = "<@" + u + ">"
	}
	if len(out) == 0 {
		return "nobody"
	}
	return Mention(strings.Join(out, ", "))
}

// mrkdwnEscaper escapes the three characters Slack's mrkdwn treats as
// control characters; built once, since building costs more than using.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeMrkdwn escapes text for Slack mrkdwn. It is the one escaping path:
// bot.Escape is this function.
func EscapeMrkdwn(s string) string { return mrkdwnEscaper.Replace(s) }

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Message + " (" + e.Hint + ")"
	}
	return e.Message
}

// Errorf returns a domain error with the given code.
func Errorf(code, format string, args ...any) *Error {
	escaped := make([]any, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case Mention:
			escaped[i] = string(a)
		case string:
			escaped[i] = EscapeMrkdwn(a)
		case fmt.Stringer:
			escaped[i] = EscapeMrkdwn(a.String())
		case error:
			escaped[i] = EscapeMrkdwn(a.Error())
		default:
			escaped[i] = a
		}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Mrkdwn: fmt.Sprintf(format, escaped...)}
}

// MrkdwnMessage returns err's message as Slack mrkdwn: escaped, with the
// domain's mentions kept.
func MrkdwnMessage(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return EscapeMrkdwn(ErrorMessage(err))
	}
	msg := e.Mrkdwn
	if msg == "" {
		msg = EscapeMrkdwn(e.Message)
	}
	if e.Hint != "" {
		msg += " (" + EscapeMrkdwn(e.Hint) + ")"
	}
	return msg
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
