package codec

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/growthbot/growthbot/workflows"
)

// Format is how an import is encoded.
type Format string

// Formats.
const (
	// FormatAuto reads JSON when the input starts with { or [, CSV otherwise.
	FormatAuto Format = ""
	// FormatJSON is one JSON object per line (NDJSON), or a JSON array of
	// objects.
	FormatJSON Format = "json"
	// FormatCSV is comma-separated values under a header row that names the
	// columns.
	FormatCSV Format = "csv"
)

// ParseFormat reads a format name: ndjson, jsonl, json, csv, or auto.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return FormatAuto, nil
	case "ndjson", "jsonl", "json":
		return FormatJSON, nil
	case "csv":
		return FormatCSV, nil
	}
	return "", workflows.Errorf(workflows.EINVALID, "format %q: use ndjson, json or csv", s)
}

// FormatOf returns the format a file's name implies: .ndjson, .jsonl and
// .json are JSON, .csv is CSV, each optionally followed by .gz; anything
// else is FormatAuto.
func FormatOf(name string) Format {
	f, _ := ParseFormat(strings.TrimPrefix(path.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")), "."))
	return f
}

// MaxLineBytes bounds a line of NDJSON or CSV, and an item of a JSON
// array, so that a corrupt file cannot take all memory.
const MaxLineBytes = 1 << 20

// Importer stores decoded rows: a *workflows.Service.
type Importer interface {
	ImportExposures(ctx context.Context, rows workflows.Rows[workflows.Exposure], source string, opts workflows.ImportOptions) (workflows.ImportReport, error)
	ImportEvents(ctx context.Context, rows workflows.Rows[workflows.Event], source string, opts workflows.ImportOptions) (workflows.ImportReport, error)
	ImportKPIs(ctx context.Context, rows workflows.Rows[workflows.KPIPoint], source string, opts workflows.ImportOptions) (workflows.ImportReport, error)
}

var _ Importer = (*workflows.Service)(nil)

// Import decodes r, encoded in format, as rows of kind and imports them
// with imp, in one transaction. Source names the input in messages.
//
// Errors: EINVALID for an unknown kind or format; the read error, wrapped,
// when the input cannot be read at all; otherwise imp's (an
// *workflows.ImportError naming the line and column of bad rows, a
// *workflows.LimitError, ...).
func Import(ctx context.Context, imp Importer, kind workflows.ImportKind, r io.Reader, format Format, source string, opts workflows.ImportOptions) (workflows.ImportReport, error) {
	if source == "" {
		source = "input"
	}
	report := workflows.ImportReport{Kind: kind, Source: source}
	if _, err := workflows.ParseImportKind(string(kind)); err != nil {
		return report, err
	}
	if _, err := ParseFormat(string(format)); err != nil {
		return report, err
	}
	wrap := func(err error) error { return fmt.Errorf("import %s: %w", source, err) }
	switch kind {
	case workflows.ImportExposures:
		rows, err := Exposures(r, format)
		if err != nil {
			return report, wrap(err)
		}
		return imp.ImportExposures(ctx, rows, source, opts)
	case workflows.ImportEvents:
		rows, err := Events(r, format)
		if err != nil {
			return report, wrap(err)
		}
		return imp.ImportEvents(ctx, rows, source, opts)
	default:
		rows, err := KPIs(r, format)
		if err != nil {
			return report, wrap(err)
		}
		return imp.ImportKPIs(ctx, rows, source, opts)
	}
}
