// Package codec reads the wire formats of the domain's rows: exposures,
// events and KPI points as NDJSON, a JSON array or CSV, and Segment's
// track and batch calls. It yields typed rows (workflows.Rows) that
// workflows.Service imports; the domain keeps the transaction and the
// rules (experiments and teams that exist, plausible timestamps), and this
// package everything about bytes: syntax, types, formats, lengths, and
// where in the input each problem is (file, line and column).
//
// The JSON tokenizer is hand-written, and stays so for its speed.
// growthbot's rows are flat objects, so it splits a line into fields
// without building values, and it knows each value's column for messages.
// Decoding 100k NDJSON events costs 0.62 CPU-µs a row with it, and 1.94
// CPU-µs a row with encoding/json's Decoder into a struct, which knows no
// columns (`go test ./workflows/codec -run '^$' -bench DecodeEvents
// -benchtime 20x`, on 2 cores at a load average of about 1; 0.44–0.59
// against 1.9–2.0 at 21–26). A whole
// import of 1M events (`go test ./cmd/growthbot -run '^$' -bench
// ImportEvents1M`) costs 2.3–2.4 CPU-seconds, decoding on one core while
// SQLite stores on the other; with encoding/json, decoding alone would
// take about 2 CPU-seconds, and the decoding core, not SQLite, would set
// the pace.
//
// It imports the domain (for its row types and problems) and the standard
// library only.
package codec
