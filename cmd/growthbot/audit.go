package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

func runAudit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit")
	dbPath := dbFlag(e, fs)
	key := fs.String("experiment", "", "only the changes to this experiment")
	limit := fs.Int("limit", 0, "only the newest N changes (0 for all)")
	asJSON := fs.Bool("json", false, "print a JSON array, with the full state before and after each change")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	if *limit < 0 {
		return usageError("--limit %d: give 0 for all, or a positive number", *limit)
	}
	a, err := openApp(ctx, e, *dbPath, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	svc := a.svc
	entries, err := auditEntries(ctx, svc, *key, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeAuditJSON(e.stdout, entries)
	}
	return writeAuditTable(e.stdout, entries)
}

// auditEntries reads the audit log, or one experiment's part of it, oldest
// first; with a limit, the newest entries.
func auditEntries(ctx context.Context, svc *workflows.Service, key string, limit int) ([]workflows.AuditEntry, error) {
	if key == "" {
		var entries []workflows.AuditEntry
		err := svc.Store.View(ctx, func(tx workflows.Tx) error {
			var err error
			entries, err = tx.Audit(workflows.AuditFilter{Limit: limit})
			return err
		})
		return entries, err
	}
	_, entries, err := svc.History(ctx, key)
	if workflows.ErrorCode(err) == workflows.ENOTFOUND {
		return nil, suggestExperiment(ctx, svc, key, err)
	}
	if limit > 0 && len(entries) > limit {
		entries = entries[len(entries)-limit:]
	}
	return entries, err
}

// fieldChange is one field that differs between an entry's before and
// after.
type fieldChange struct {
	Field  string          `json:"field"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// changes compares the top-level fields of two JSON objects. Timestamps of
// the record itself are left out: they change with everything.
func changes(before, after string) []fieldChange {
	var b, a map[string]json.RawMessage
	json.Unmarshal([]byte(before), &b)
	json.Unmarshal([]byte(after), &a)
	var out []fieldChange
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if k == "UpdatedAt" || k == "CreatedAt" || b == nil {
			continue
		}
		if old := b[k]; !bytes.Equal(compact(old), compact(a[k])) {
			out = append(out, fieldChange{Field: k, Before: rawOrNull(old), After: a[k]})
		}
	}
	return out
}

func compact(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

func rawOrNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// describeChanges writes an entry's changes for a terminal, as sentences:
// "State changed from running to shipped. Winner set to treatment."
func describeChanges(e workflows.AuditEntry) string {
	switch {
	case e.Before == "" && e.After != "":
		return "created"
	case e.Before != "" && e.After == "":
		return "removed"
	}
	var parts []string
	for _, c := range workflows.DescribeAudit(e) {
		parts = append(parts, c.Sentence(workflows.PlainAuditValue))
	}
	return strings.Join(parts, " ")
}

func writeAuditTable(w io.Writer, entries []workflows.AuditEntry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "No changes recorded.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tSUBJECT\tREASON\tCHANGES")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", workflows.MomentText(e.At), e.Actor, e.Action, e.Subject,
			oneLine(e.Reason), describeChanges(e))
	}
	return tw.Flush()
}

func oneLine(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Join(strings.Fields(s), " ")
}

// auditJSON is an entry as --json prints it.
type auditJSON struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Reason  string          `json:"reason"`
	Changes []fieldChange   `json:"changes"`
	Before  json.RawMessage `json:"before"`
	After   json.RawMessage `json:"after"`
}

func writeAuditJSON(w io.Writer, entries []workflows.AuditEntry) error {
	out := make([]auditJSON, len(entries))
	for i, e := range entries {
		out[i] = auditJSON{ID: e.ID, At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Subject: e.Subject, Reason: e.Reason,
			Changes: changes(e.Before, e.After), Before: rawOrNull(json.RawMessage(e.Before)), After: rawOrNull(json.RawMessage(e.After))}
		if out[i].Changes == nil {
			out[i].Changes = []fieldChange{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
