package workflows

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// AuditEntry records one change: who did what, when, why, and the state
// before and after. Entries are only ever appended; the store refuses to
// update or delete them.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string // Slack user id, or "config", "scheduler", "cli"
	Action  string // e.g. "experiment.start", "decision.approve", "config.apply"
	Subject string // what changed, e.g. "experiment:one-click-checkout"
	Reason  string
	Before  string // JSON, empty for a creation
	After   string // JSON, empty for a removal
}

// History returns every change to an experiment, oldest first. Errors:
// ENOTFOUND for an unknown experiment.
func (s *Service) History(ctx context.Context, key string) (Experiment, []AuditEntry, error) {
	var e Experiment
	var entries []AuditEntry
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		if e, err = tx.Experiment(key); err != nil {
			return err
		}
		entries, err = tx.Audit(AuditFilter{Subject: "experiment:" + key})
		return err
	})
	return e, entries, err
}

// AuditChange is one field an audit entry changed, in words a person
// reads: a label instead of the Go field name, values instead of JSON.
type AuditChange struct {
	Label         string // "Planned end"
	Before, After AuditValue
	// Flag is set for a yes/no field: On says what true means ("Rollout
	// paused"), Off what false means ("Rollout resumed").
	Flag    bool
	On, Off string
	// Verb is set when the label reads as a verb ("Approved by",
	// "Posted"): a value set is "Approved by U0PM.", not "... set to ...".
	Verb bool
}

// AuditValue is one side of a change: text, a moment, or people. Adapters
// write moments and people their own way (Slack's date token, mentions).
type AuditValue struct {
	Text  string
	Time  time.Time
	Users []string
}

// IsZero reports whether the field was not set.
func (v AuditValue) IsZero() bool { return v.Text == "" && v.Time.IsZero() && len(v.Users) == 0 }

// Sentence writes the change as a sentence, each value by value:
// "Planned end set to 25 Nov 2026 09:00 UTC.", "State changed from draft to
// running.", "Rollout paused.".
func (c AuditChange) Sentence(value func(AuditValue) string) string {
	return strings.Replace(c.sentence(value)+".", "..", ".", 1)
}

func (c AuditChange) sentence(value func(AuditValue) string) string {
	switch {
	case c.Flag && c.After.Text == "true":
		return c.On
	case c.Flag:
		return c.Off
	case c.Before.IsZero() && c.Verb:
		return c.Label + " " + value(c.After)
	case c.Before.IsZero():
		return c.Label + " set to " + value(c.After)
	case c.After.IsZero():
		return c.Label + " cleared (was " + value(c.Before) + ")"
	}
	return c.Label + " changed from " + value(c.Before) + " to " + value(c.After)
}

// auditFields labels the fields people read in audit entries; bookkeeping
// fields (message keys, record timestamps) are left out. A field not named
// here is labelled from its name.
var auditFields = map[string]struct {
	label   string
	on, off string // yes/no fields
	verb    bool
	hidden  bool
}{
	"State": {label: "State"}, "StartedAt": {label: "Started", verb: true}, "EndsAt": {label: "Planned end"},
	"DecidedAt": {label: "Decided", verb: true}, "ResolvedAt": {label: "Settled", verb: true}, "Winner": {label: "Winner"},
	"RolloutPercent": {label: "Rollout"}, "RolloutStep": {label: "Rollout step"},
	"RolloutStepAt": {hidden: true},
	"RolloutPaused": {on: "Rollout paused", off: "Rollout resumed"},
	"Approvals":     {label: "Approved by", verb: true}, "RejectedBy": {label: "Rejected by", verb: true},
	"DecidedBy": {label: "Decided by", verb: true}, "Owner": {label: "Owner"}, "Course": {label: "Course"},
	"Changes": {label: "What changes"}, "PostedAt": {label: "Posted", verb: true}, "PlannedDays": {label: "Planned days"},
	"MessageKey": {hidden: true}, "Message": {hidden: true}, "Thread": {hidden: true},
	"UpdatedAt": {hidden: true}, "CreatedAt": {hidden: true},
}

// userFields hold Slack user ids.
var userFields = map[string]bool{"Owner": true, "RejectedBy": true, "DecidedBy": true, "Requester": true, "Lead": true,
	"Approvers": true, "Members": true}

// stateWords are the states as people say them.
var stateWords = map[string]string{string(StateDecisionPending): "waiting for a decision"}

// DescribeAudit returns the fields an entry changed, the state first, the
// others in the order of their names. A creation or a removal has none: the
// action says it.
func DescribeAudit(e AuditEntry) []AuditChange {
	var b, a map[string]any
	if json.Unmarshal([]byte(e.Before), &b) != nil || json.Unmarshal([]byte(e.After), &a) != nil || b == nil || a == nil {
		return nil
	}
	var out []AuditChange
	keys := slices.Sorted(maps.Keys(a))
	if i := slices.Index(keys, "State"); i > 0 {
		keys = append([]string{"State"}, slices.Delete(keys, i, i+1)...)
	}
	for _, k := range keys {
		f := auditFields[k]
		if f.hidden || reflect.DeepEqual(a[k], b[k]) {
			continue
		}
		c := AuditChange{Label: cmp.Or(f.label, fieldLabel(k)), Before: auditValue(k, b[k]), After: auditValue(k, a[k]), Verb: f.verb}
		if f.on != "" {
			c.Flag, c.On, c.Off = true, f.on, f.off
		}
		if k == "Approvals" {
			c = approvalsChange(c)
		}
		if c.Before.IsZero() && (c.After.IsZero() || c.After.Time.Equal(e.At)) {
			continue // nothing to say, or only when: the entry says when
		}
		out = append(out, c)
	}
	return out
}

// approvalsChange says who approved: only the approvers added.
func approvalsChange(c AuditChange) AuditChange {
	var added []string
	for _, u := range c.After.Users {
		if !slices.Contains(c.Before.Users, u) {
			added = append(added, u)
		}
	}
	if len(added) == 0 {
		c.Label, c.Verb = "Approvals", false
		return c
	}
	c.Before, c.After = AuditValue{}, AuditValue{Users: added}
	return c
}

// fieldLabel turns a Go field name into words: "PlannedDays" → "Planned days".
func fieldLabel(k string) string {
	var b strings.Builder
	for i, r := range k {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// auditValue reads one field of a JSON snapshot: a moment, people, or
// text; the zero time, null, false and "" are not set.
func auditValue(field string, v any) AuditValue {
	switch v := v.(type) {
	case nil:
		return AuditValue{}
	case bool:
		if !v {
			return AuditValue{Text: "false"}
		}
		return AuditValue{Text: "true"}
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if field == "RolloutPercent" {
			s += " %"
		}
		if field == "RolloutStep" {
			s = strconv.FormatFloat(v+1, 'f', -1, 64)
		}
		return AuditValue{Text: s}
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			if t.IsZero() {
				return AuditValue{}
			}
			return AuditValue{Time: t}
		}
		if userFields[field] && v != "" {
			return AuditValue{Users: []string{v}}
		}
		if field == "State" {
			return AuditValue{Text: cmp.Or(stateWords[v], strings.ReplaceAll(v, "_", " "))}
		}
		return AuditValue{Text: v}
	case []any:
		var users, parts []string
		for _, x := range v {
			if m, ok := x.(map[string]any); ok {
				if u, ok := m["User"].(string); ok {
					users = append(users, u)
					continue
				}
			}
			if s, ok := x.(string); ok && userFields[field] {
				users = append(users, s)
				continue
			}
			if p := auditValue("", x); !p.IsZero() {
				parts = append(parts, p.plain())
			}
		}
		if len(users) > 0 {
			return AuditValue{Users: users}
		}
		return AuditValue{Text: strings.Join(parts, ", ")}
	case map[string]any:
		// A nested record is named by its key or name when it has one.
		for _, k := range []string{"Key", "Name", "ID"} {
			if x, ok := v[k]; ok {
				return auditValue("", x)
			}
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if p := auditValue(k, v[k]); !p.IsZero() {
				parts = append(parts, strings.ToLower(fieldLabel(k))+" "+p.plain())
			}
		}
		return AuditValue{Text: strings.Join(parts, ", ")}
	}
	return AuditValue{Text: fmt.Sprint(v)}
}

// plain writes a value as plain text, in the one wording of moments.
func (v AuditValue) plain() string {
	switch {
	case !v.Time.IsZero():
		return MomentText(v.Time)
	case len(v.Users) > 0:
		return strings.Join(v.Users, ", ")
	}
	return v.Text
}

// PlainAuditValue writes a value for a terminal: moments in the one
// wording, people by their ids.
func PlainAuditValue(v AuditValue) string { return v.plain() }

// actionWords say what an audit action did, as a person says it.
var actionWords = map[string]string{
	"config.apply": "Config applied", "experiment.create": "Created", "experiment.start": "Started",
	"experiment.ship": "Shipped", "experiment.kill": "Killed", "experiment.extend": "Extended",
	"decision.request": "Decision requested", "decision.approve": "Decision approved", "decision.reject": "Decision rejected",
	"decision.supersede": "Decision superseded", "rollout.advanced": "Rollout advanced", "rollout.halted": "Rollout halted",
	"rollout.rolled_back": "Rollout rolled back", "rollout.completed": "Rollout completed", "rollout.pause": "Rollout paused",
	"rollout.resume": "Rollout resumed", "rollout.advance": "Rollout advanced", "rollout.set": "Rollout set",
	"review.post": "Growth review posted", "review.stay": "Decided to stay the course", "review.change": "Decided to change course",
	"goal.add": "Goal added", "goal.done": "Goal done", "goal.dropped": "Goal dropped", "goal.in_progress": "Goal reopened",
	"scorecard.post": "Scorecard posted",
}

// ActionWords says what an audit action did: "experiment.start" →
// "Started", "team.create" → "Team created".
func ActionWords(action string) string {
	if w, ok := actionWords[action]; ok {
		return w
	}
	noun, verb, ok := strings.Cut(action, ".")
	if !ok {
		return strings.ReplaceAll(action, "_", " ")
	}
	verb = strings.ReplaceAll(verb, "_", " ")
	if !strings.HasSuffix(verb, "ed") {
		verb = strings.TrimSuffix(verb, "e") + "ed"
	}
	return strings.ToUpper(noun[:1]) + strings.ReplaceAll(noun[1:], "_", " ") + " " + verb
}
