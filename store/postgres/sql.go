package postgres

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/growthbot/growthbot/stats"
	"github.com/growthbot/growthbot/workflows"
)

// Dialect is what the generated SQL needs to know of a database beyond
// standard SQL (common table expressions, window functions with nested
// aggregates, CASE, LEAST, GREATEST, CEIL, integer division of BIGINTs
// that truncates). Another warehouse follows by implementing it and
// running the statement its own way; the domain does not change.
type Dialect interface {
	// Ident quotes an identifier; a dotted name is a schema and a table.
	Ident(name string) string
	// Millis is the Unix milliseconds (a BIGINT) of a timestamp column.
	Millis(column string) string
	// Timestamp is a literal timestamp at Unix milliseconds ms (UTC), to
	// compare timestamp columns with.
	Timestamp(ms int64) string
}

// PostgresDialect is PostgreSQL's Dialect.
type PostgresDialect struct{}

// Ident quotes each dotted part in double quotes.
func (PostgresDialect) Ident(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}

// Millis truncates to the millisecond, as the embedded store does.
func (PostgresDialect) Millis(column string) string {
	return fmt.Sprintf("CAST(FLOOR(EXTRACT(EPOCH FROM %s) * 1000) AS BIGINT)", column)
}

// Timestamp is a TIMESTAMPTZ literal; a TIMESTAMP column compares with it
// as UTC, since the session's time zone is UTC.
func (PostgresDialect) Timestamp(ms int64) string {
	return "TIMESTAMPTZ '" + time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000") + "+00'"
}

// quote is a standard SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

const dayMillis = int64(24 * time.Hour / time.Millisecond)

// Result columns, in order: what the row is, its variant and day, then
// per metric six sums (see field names in plan.columns).
const (
	colKind = iota
	colVariant
	colDay
	colUnits
	colMultiple
	colFirst
	colLast
	colMetrics
)

// fieldsPerMetric are a metric's sums in a row: for mean and proportion
// metrics N, Σx, Σx², Σpre, Σpre², Σx·pre; for ratios N, Σnum, Σnum²,
// Σden, Σden², Σnum·den (the embedded store's accumulators).
const fieldsPerMetric = 6

// measure is what a unit's value of a mean or proportion metric counts:
// the number of events with a name, or the sum of their values.
type measure struct {
	event string
	sum   bool
}

// plan is one experiment's statement and what its rows mean.
type plan struct {
	req      workflows.AggregateRequest
	d        Dialect
	start    int64
	end      int64
	days     int
	variants []string
	measures []measure
	// measureOf is the measure of each mean or proportion metric;
	// num and den are a ratio's component metrics.
	measureOf []int
	num, den  []int
}

func newPlan(d Dialect, req workflows.AggregateRequest) (*plan, error) {
	e := req.Experiment
	p := &plan{req: req, d: d}
	var err error
	if p.start, p.end, p.days, err = req.Window(); err != nil {
		return nil, err
	}
	for _, v := range e.Variants {
		p.variants = append(p.variants, v.Key)
	}
	for _, m := range req.Metrics {
		mi, num, den := -1, -1, -1
		switch m.Type {
		case workflows.MetricMean, workflows.MetricProportion:
			if m.Event == "" {
				return nil, workflows.Errorf(workflows.EINVALID, "metric %q counts no event", m.Key)
			}
			ms := measure{event: m.Event, sum: m.Type == workflows.MetricMean && m.Value == workflows.ValueSum}
			if mi = slices.Index(p.measures, ms); mi < 0 {
				mi = len(p.measures)
				p.measures = append(p.measures, ms)
			}
		case workflows.MetricRatio:
			if num, den, err = req.RatioParts(m); err != nil {
				return nil, err
			}
		default:
			return nil, workflows.Errorf(workflows.EINVALID, "metric %q has unknown type %q", m.Key, m.Type)
		}
		p.measureOf, p.num, p.den = append(p.measureOf, mi), append(p.num, num), append(p.den, den)
	}
	return p, nil
}

func winsorized(m workflows.Metric) bool {
	return m.Type == workflows.MetricMean && m.Winsorize > 0 && m.Winsorize < 1
}

func float(x string) string { return "CAST(" + x + " AS DOUBLE PRECISION)" }

// value is metric k's per-unit value given the column holding its
// measure: 0 or 1 for a proportion, capped for a winsorized mean.
func (p *plan) value(k int, col string) string {
	m := p.req.Metrics[k]
	switch {
	case m.Type == workflows.MetricProportion:
		return fmt.Sprintf("CASE WHEN %s > 0 THEN 1 ELSE 0 END", col)
	case winsorized(m):
		return fmt.Sprintf("LEAST(%s, caps.cap_%d)", col, k)
	}
	return col
}

// sql writes the experiment's statement. Times and names are literals, so
// that the text runs as it is.
func (p *plan) sql() string {
	src := p.req.Source
	d := p.d
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	id := d.Ident
	rel := func(t workflows.SourceTable) string {
		if t.Query != "" {
			return "(\n    " + strings.ReplaceAll(strings.TrimRight(t.Query, "; \n\t"), "\n", "\n    ") + "\n  ) AS q"
		}
		return id(t.Table)
	}
	var variants []string
	for _, v := range p.variants {
		variants = append(variants, quote(v))
	}
	pre := workflows.PreExposureWindow.Milliseconds()
	x := src.Exposures
	w("-- growthbot: experiment %s, %s to %s (source %s)\n", p.req.Experiment.Key,
		p.req.Start.UTC().Format(time.RFC3339), p.req.End.UTC().Format(time.RFC3339), src.Key)
	w("-- One row of kind 'summary', one 'final' row per variant, and one 'daily' row\n")
	w("-- per variant and day on which something changed (cumulative; later days carry on).\n")
	w("WITH\n")
	w("-- Each unit's earliest exposure to each variant; a unit counts from its earliest\n")
	w("-- exposure, so an exposure before the window keeps it out.\n")
	w("exposed AS (\n  SELECT CAST(%s AS TEXT) AS unit, CAST(%s AS TEXT) AS variant, %s AS first_at\n",
		id(x.UnitID), id(x.Variant), d.Millis("min("+id(x.Timestamp)+")"))
	w("  FROM %s\n  WHERE %s = %s AND %s IN (%s) AND %s < %s\n", rel(x), id(x.Experiment), quote(p.req.Experiment.Key),
		id(x.Variant), strings.Join(variants, ", "), id(x.Timestamp), d.Timestamp(p.end))
	w("  GROUP BY 1, 2\n  HAVING min(%s) >= %s\n),\n", id(x.Timestamp), d.Timestamp(p.start))
	w("-- Units exposed to one variant only are analysed, from their first exposure.\n")
	w("units AS (\n  SELECT unit, min(variant) AS variant, min(first_at) AS first_at, count(*) AS variants\n  FROM exposed GROUP BY unit\n),\n")
	w("analysed AS (\n  SELECT unit, variant, first_at, (first_at - %d) / %d AS first_day FROM units WHERE variants = 1\n),\n", p.start, dayMillis)
	ev := src.Events
	var events []string
	for _, ms := range p.measures {
		if !slices.Contains(events, quote(ms.event)) {
			events = append(events, quote(ms.event))
		}
	}
	value := "0"
	if ev.Value != "" {
		value = "COALESCE(" + float(id(ev.Value)) + ", 0)"
	}
	w("-- The events the metrics count, from 14 days before the window to its end.\n")
	w("events AS (\n  SELECT CAST(%s AS TEXT) AS unit, %s AS event, %s AS value, %s AS at\n", id(ev.UnitID), id(ev.Event), float(value), d.Millis(id(ev.Timestamp)))
	w("  FROM %s\n  WHERE %s IN (%s) AND %s >= %s AND %s < %s\n),\n", rel(ev), id(ev.Event), strings.Join(events, ", "),
		id(ev.Timestamp), d.Timestamp(p.start-pre), id(ev.Timestamp), d.Timestamp(p.end))
	w("-- The analysed units' events: the 14 days before their first exposure, and from it on.\n")
	w("unit_events AS (\n  SELECT a.unit, a.variant, a.first_day, e.event, e.value, e.at >= a.first_at AS post, (e.at - %d) / %d AS day\n", p.start, dayMillis)
	w("  FROM analysed a JOIN events e ON e.unit = a.unit\n  WHERE e.at >= a.first_at - %d\n),\n", pre)
	inc := func(ms measure) string {
		if ms.sum {
			return "value"
		}
		return float("1")
	}
	w("-- Each unit on the day of its first exposure (with its events before it) and on each\n")
	w("-- day of its events after it: what each measure gains after exposure (d_i) and before (b_i).\n")
	w("unit_days AS (\n  SELECT unit, variant, first_day, first_day AS day")
	for i := range p.measures {
		w(", %s AS d_%d, %s AS b_%d", float("0"), i, float("0"), i)
	}
	w(" FROM analysed\n  UNION ALL\n  SELECT unit, variant, first_day, CASE WHEN post THEN day ELSE first_day END")
	for _, ms := range p.measures {
		w(",\n    CASE WHEN post AND event = %s THEN %s ELSE 0 END, CASE WHEN NOT post AND event = %s THEN %s ELSE 0 END", quote(ms.event), inc(ms), quote(ms.event), inc(ms))
	}
	w("\n  FROM unit_events\n),\n")
	w("-- Per unit and such day: each measure after exposure as of the end of the day (post_i),\n")
	w("-- in all (final_i), and in the 14 days before exposure (pre_i).\n")
	w("running AS (\n  SELECT unit, variant, day, day = first_day AS entry")
	for i := range p.measures {
		w(",\n    sum(sum(d_%d)) OVER (PARTITION BY unit ORDER BY day) AS post_%d", i, i)
		w(", sum(sum(d_%d)) OVER (PARTITION BY unit) AS final_%d", i, i)
		w(", sum(sum(b_%d)) OVER (PARTITION BY unit) AS pre_%d", i, i)
	}
	w("\n  FROM unit_days GROUP BY unit, variant, first_day, day\n),\n")
	w("measures AS (\n  SELECT unit, variant")
	for i := range p.measures {
		w(", final_%d AS post_%d, pre_%d", i, i, i)
	}
	w(" FROM running WHERE entry\n),\n")
	w("-- Winsorizing caps: the nearest-rank percentile of the units' values, variants pooled.\n")
	w("caps AS (\n  SELECT 0 AS none")
	for k, m := range p.req.Metrics {
		if !winsorized(m) {
			continue
		}
		col := fmt.Sprintf("post_%d", p.measureOf[k])
		w(",\n    (SELECT max(%s) FROM (SELECT %s, row_number() OVER (ORDER BY %s) AS rank, count(*) OVER () AS n FROM measures) r\n", col, col, col)
		w("      WHERE rank = GREATEST(CEIL(%s * n), 1)) AS cap_%d", float(strconv.FormatFloat(m.Winsorize, 'g', -1, 64)), k)
	}
	w("\n),\n")
	// Per unit, the metrics' values: x_k after exposure, p_k before (for
	// ratios, their components' values).
	vals := func(post func(i int) string) {
		for k, m := range p.req.Metrics {
			if m.Type == workflows.MetricRatio {
				continue
			}
			w(",\n    %s AS x_%d", float(p.value(k, post(p.measureOf[k]))), k)
			w(", %s AS p_%d", float(p.value(k, fmt.Sprintf("m.pre_%d", p.measureOf[k]))), k)
		}
	}
	w("-- Per unit, the metrics' values after exposure (x_k) and before (p_k).\n")
	w("vals AS (\n  SELECT m.variant")
	vals(func(i int) string { return fmt.Sprintf("m.final_%d", i) })
	w("\n  FROM running m CROSS JOIN caps WHERE m.entry\n),\n")
	w("day_vals AS (\n  SELECT m.unit, m.variant, m.day, m.entry")
	vals(func(i int) string { return fmt.Sprintf("m.post_%d", i) })
	w("\n  FROM running m CROSS JOIN caps\n),\n")
	w("-- The change of each unit's terms from its previous such day (all of them on entry).\n")
	w("changes AS (\n  SELECT variant, day, entry")
	for k, m := range p.req.Metrics {
		if m.Type != workflows.MetricRatio {
			w(",\n    x_%d, p_%d, COALESCE(lag(x_%d) OVER (PARTITION BY unit ORDER BY day), 0) AS y_%d", k, k, k, k)
		}
	}
	w("\n  FROM day_vals\n),\n")
	// The sums of a metric's six fields, given expressions for the unit's
	// current and previous values (nil previous: the final sums).
	sums := func(k int, prev bool) []string {
		m := p.req.Metrics[k]
		n := "count(*)"
		if prev {
			n = "sum(CASE WHEN entry THEN 1 ELSE 0 END)"
		}
		diff := func(cur, old string) string {
			if prev {
				return fmt.Sprintf("sum(%s - %s)", cur, old)
			}
			return "sum(" + cur + ")"
		}
		entry := func(e string) string {
			if prev {
				return "sum(CASE WHEN entry THEN " + e + " ELSE 0 END)"
			}
			return "sum(" + e + ")"
		}
		if m.Type == workflows.MetricRatio {
			a, c := p.num[k], p.den[k]
			xa, xc := fmt.Sprintf("x_%d", a), fmt.Sprintf("x_%d", c)
			ya, yc := fmt.Sprintf("y_%d", a), fmt.Sprintf("y_%d", c)
			return []string{n, diff(xa, ya), diff(xa+"*"+xa, ya+"*"+ya), diff(xc, yc), diff(xc+"*"+xc, yc+"*"+yc), diff(xa+"*"+xc, ya+"*"+yc)}
		}
		xk, yk, pk := fmt.Sprintf("x_%d", k), fmt.Sprintf("y_%d", k), fmt.Sprintf("p_%d", k)
		return []string{n, diff(xk, yk), diff(xk+"*"+xk, yk+"*"+yk), entry(pk), entry(pk + "*" + pk), diff(xk+"*"+pk, yk+"*"+pk)}
	}
	w("-- The results.\nresult AS (\n")
	w("  SELECT 'summary' AS kind, CAST(NULL AS TEXT) AS variant, CAST(NULL AS BIGINT) AS day,\n")
	w("    CAST(NULL AS BIGINT) AS units, (SELECT count(*) FROM units WHERE variants > 1) AS multiple,\n")
	w("    (SELECT min(first_at) FROM exposed) AS first_at, (SELECT max(first_at) FROM exposed) AS last_at")
	for k := range p.req.Metrics {
		for f := range fieldsPerMetric {
			w(", %s AS m%d_%d", float("NULL"), k, f)
		}
	}
	w("\n  UNION ALL\n  SELECT 'final', variant, NULL, count(*), NULL, NULL, NULL")
	for k := range p.req.Metrics {
		w(",\n    %s", strings.Join(mapf(sums(k, false), float), ", "))
	}
	w("\n  FROM vals GROUP BY variant\n  UNION ALL\n")
	w("  SELECT 'daily', variant, day, CAST(sum(sum(CASE WHEN entry THEN 1 ELSE 0 END)) OVER w AS BIGINT), NULL, NULL, NULL")
	for k := range p.req.Metrics {
		w(",\n    %s", strings.Join(mapf(sums(k, true), func(s string) string { return float("sum(" + s + ") OVER w") }), ", "))
	}
	w("\n  FROM changes GROUP BY variant, day\n  WINDOW w AS (PARTITION BY variant ORDER BY day)\n)\n")
	w("SELECT * FROM result ORDER BY kind DESC, variant, day;\n")
	return b.String()
}

func mapf(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// collector turns a statement's rows into the Aggregate.
type collector struct {
	p          *plan
	agg        workflows.Aggregate
	final      []float64   // variant × metric × field
	daily      [][]float64 // day × (variant × metric × field)
	dailyUnits [][]int64   // day × variant
	seen       []bool      // day × variant has a row
}

func (p *plan) collector() *collector {
	stride := len(p.variants) * len(p.req.Metrics) * fieldsPerMetric
	c := &collector{p: p, final: make([]float64, stride), seen: make([]bool, p.days*len(p.variants)), agg: workflows.Aggregate{
		Experiment: p.req.Experiment.Key, Start: p.req.Start, End: p.req.End, Units: map[string]int64{},
	}}
	for _, v := range p.variants {
		c.agg.Units[v] = 0
	}
	for range p.days {
		c.daily = append(c.daily, make([]float64, stride))
		c.dailyUnits = append(c.dailyUnits, make([]int64, len(p.variants)))
	}
	return c
}

// resultRow is one row of a statement's result.
type resultRow struct {
	kind                 string
	variant              *string
	day, units, multiple *int64
	first, last          *int64
	fields               []*float64
}

// add takes one result row.
func (c *collector) add(r resultRow) error {
	p := c.p
	variant := ""
	if r.variant != nil {
		variant = *r.variant
	}
	v := slices.Index(p.variants, variant)
	fields := func(block []float64) error {
		for i, f := range r.fields {
			if f == nil {
				continue
			}
			if math.IsNaN(*f) || math.IsInf(*f, 0) {
				return fmt.Errorf("a %s row for variant %q holds %v", r.kind, variant, *f)
			}
			block[v*len(r.fields)+i] = *f
		}
		return nil
	}
	switch r.kind {
	case "summary":
		c.agg.MultipleExposures = deref(r.multiple)
		if r.first != nil && r.last != nil {
			c.agg.FirstExposure, c.agg.LastExposure = time.UnixMilli(*r.first).UTC(), time.UnixMilli(*r.last).UTC()
		}
		return nil
	case "final":
		if v < 0 {
			return fmt.Errorf("a final row for unknown variant %q", variant)
		}
		c.agg.Units[variant] = deref(r.units)
		return fields(c.final)
	case "daily":
		if v < 0 || r.day == nil || *r.day < 0 || *r.day >= int64(p.days) {
			return fmt.Errorf("a daily row for variant %q, day %d, outside the window", variant, deref(r.day))
		}
		d := int(*r.day)
		c.dailyUnits[d][v] = deref(r.units)
		c.seen[d*len(p.variants)+v] = true
		return fields(c.daily[d])
	}
	return fmt.Errorf("a row of unknown kind %q", r.kind)
}

func deref(n *int64) int64 {
	if n == nil {
		return 0
	}
	return *n
}

// result fills the days without a row from the day before (the series is
// cumulative) and returns the Aggregate.
func (c *collector) result() workflows.Aggregate {
	p := c.p
	a := c.agg
	a.Arms = p.arms(c.final)
	nv, stride := len(p.variants), len(p.req.Metrics)*fieldsPerMetric
	for d := range p.days {
		for v := range nv {
			if d > 0 && !c.seen[d*nv+v] {
				copy(c.daily[d][v*stride:(v+1)*stride], c.daily[d-1][v*stride:(v+1)*stride])
				c.dailyUnits[d][v] = c.dailyUnits[d-1][v]
			}
		}
		end := min(p.start+int64(d+1)*dayMillis, p.end)
		units := map[string]int64{}
		for v, name := range p.variants {
			units[name] = c.dailyUnits[d][v]
		}
		a.Daily = append(a.Daily, workflows.DailyArms{End: time.UnixMilli(end).UTC(), Units: units, Arms: p.arms(c.daily[d])})
	}
	return a
}

// arms reads a block of variant × metric × field sums.
func (p *plan) arms(block []float64) map[string]map[string]stats.Arm {
	out := map[string]map[string]stats.Arm{}
	for k, m := range p.req.Metrics {
		byVariant := map[string]stats.Arm{}
		for v, name := range p.variants {
			f := block[(v*len(p.req.Metrics)+k)*fieldsPerMetric:]
			arm := stats.Arm{N: f[0], SumProducts: f[5]}
			if m.Type == workflows.MetricRatio {
				arm.Numerator = stats.Moments{Sum: f[1], SumSquares: f[2]}
				arm.Denominator = stats.Moments{Sum: f[3], SumSquares: f[4]}
			} else {
				arm.Sum, arm.SumSquares = f[1], f[2]
				arm.Post = stats.Moments{Sum: f[1], SumSquares: f[2]}
				arm.Pre = stats.Moments{Sum: f[3], SumSquares: f[4]}
			}
			byVariant[name] = arm
		}
		out[m.Key] = byVariant
	}
	return out
}

// activitySQL counts, per period [bounds[i], bounds[i+1]), the units with
// any event (active) and those also active in the period before
// (retained): the embedded store's MonthlyActivity.
func activitySQL(d Dialect, ev workflows.SourceTable, bounds []time.Time) string {
	id := d.Ident
	rel := id(ev.Table)
	if ev.Query != "" {
		rel = "(\n    " + strings.ReplaceAll(strings.TrimRight(ev.Query, "; \n\t"), "\n", "\n    ") + "\n  ) AS q"
	}
	ts := id(ev.Timestamp)
	var b strings.Builder
	b.WriteString("-- growthbot: active and retained units per period (computed KPIs)\n")
	b.WriteString("WITH active AS (\n  SELECT DISTINCT CAST(" + id(ev.UnitID) + " AS TEXT) AS unit,\n    CASE")
	for i := 1; i < len(bounds)-1; i++ {
		fmt.Fprintf(&b, " WHEN %s < %s THEN %d", ts, d.Timestamp(bounds[i].UnixMilli()), i-1)
	}
	fmt.Fprintf(&b, " ELSE %d END AS period\n", len(bounds)-2)
	fmt.Fprintf(&b, "  FROM %s\n  WHERE %s >= %s AND %s < %s\n)\n", rel, ts, d.Timestamp(bounds[0].UnixMilli()), ts, d.Timestamp(bounds[len(bounds)-1].UnixMilli()))
	b.WriteString("SELECT a.period, count(*) AS active, count(b.unit) AS retained\n")
	b.WriteString("FROM active a LEFT JOIN active b ON b.unit = a.unit AND b.period = a.period - 1\nGROUP BY a.period\n")
	return b.String()
}
