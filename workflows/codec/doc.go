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
// without building values, and knows each value's column for messages.
// Measured with `go test ./cmd/growthbot -run '^$' -bench ImportEvents1M
// -benchtime 3x` (1M NDJSON events, decoding on one core while SQLite
// stores on the other), an import costs 2.07 CPU-seconds in all, decoding
// included; the same input through encoding/json's Decoder into a struct
// takes about 1.5 CPU-seconds more for decoding alone (0.70 µs against
// 2.2 µs a row, BenchmarkDecodeEvents in this package), which would make
// decoding, not SQLite, the bottleneck of an import.
//
// It imports the domain (for its row types and problems) and the standard
// library only.
package codec
