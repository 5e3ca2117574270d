package store

import (
	"cmp"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/growthbot/growthbot/stats"
	"github.com/growthbot/growthbot/workflows"
)

// How aggregation works, and why.
//
// Events are stored in time order (see 0002_ingest.sql), so the events of
// every experiment's window are one range scan. Aggregate loads the
// analysed units of all the requested experiments into memory, then reads
// that range once, keeping only the event names some metric needs, and
// hands each event to the units it belongs to: one pass serves every
// metric of every experiment, which is what lets a pulse over hundreds of
// experiments take seconds.
//
// Per unit it keeps, for each measure (an event name counted or summed),
// the value before and after exposure. The daily series comes from the same
// pass: when an event changes a unit's value on day d, the change of the
// unit's terms (x, x², x·pre, num·den) is added to day d, and a running sum
// over days gives the cumulative series. A winsorized metric needs its
// cap, known only at the end, so its series (and its ratios') comes from a
// second pass over its events alone.
//
// The scans go through the driver's own interface (database/sql's Conn.Raw)
// rather than sql.Rows: for ten million rows that halves the time spent
// outside SQLite.

const dayMillis = int64(24 * time.Hour / time.Millisecond)

// aggregateBudget bounds the bytes of per-unit state one pass holds; more
// experiments than fit are aggregated in several passes over the same
// snapshot. The serve process must stay small, and Go's collector lets the
// driver's garbage grow to the size of the live heap, so peak memory is
// about twice this: a pulse of 200 experiments over 10M events peaks at
// 310 MB and takes 24 s, where twice the budget takes 16 s and 820 MB.
// Tests lower it.
var aggregateBudget int64 = 128 << 20

// Fields of a per-metric, per-variant accumulator: for mean and
// proportion metrics N, Σx, Σx², Σpre, Σpre², Σx·pre; for ratios N, Σnum,
// Σnum², Σden, Σden², Σnum·den.
const (
	fN = iota
	fSum
	fSumSq
	fSum2
	fSumSq2
	fProducts
	nFields
)

// Aggregate computes experiments' sufficient statistics; see
// workflows.AggregateStore.
func (db *DB) Aggregate(ctx context.Context, reqs []workflows.AggregateRequest) ([]workflows.Aggregate, error) {
	plans := make([]*aggPlan, len(reqs))
	for i, req := range reqs {
		p, err := newAggPlan(req)
		if err != nil {
			return nil, err
		}
		plans[i] = p
	}
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: aggregate: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(rawConn)
		if !ok {
			return fmt.Errorf("driver connection %T cannot query directly", dc)
		}
		r := rawReader{ctx: ctx, c: c}
		if err := r.exec("BEGIN"); err != nil {
			return err
		}
		defer r.exec("ROLLBACK")
		return aggregate(r, plans)
	})
	if err != nil {
		return nil, fmt.Errorf("store: aggregate: %w", err)
	}
	out := make([]workflows.Aggregate, len(plans))
	for i, p := range plans {
		out[i] = p.result()
	}
	return out, nil
}

// rawConn is what Aggregate needs of the driver's connection.
type rawConn interface {
	driver.QueryerContext
	driver.ExecerContext
}

// rawReader runs queries on a driver connection.
type rawReader struct {
	ctx context.Context
	c   rawConn
}

func (r rawReader) exec(query string) error {
	_, err := r.c.ExecContext(r.ctx, query, nil)
	return err
}

// each runs query and calls fn with every row's values.
func (r rawReader) each(query string, fn func([]driver.Value) error, args ...any) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := r.c.QueryContext(r.ctx, query, named)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if err := fn(dest); err != nil {
			return err
		}
	}
}

func asInt(v driver.Value) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func asFloat(v driver.Value) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return 0
}

func asString(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

// measure is what a unit's value of a mean or proportion metric counts:
// the number of events with a name, or the sum of their values.
type measure struct {
	event string
	sum   bool
}

type aggMetric struct {
	workflows.Metric
	measure  int // mean, proportion: index into aggPlan.measures
	num, den int // ratio: indices into aggPlan.metrics
	cap      float64
	// deferred metrics need a cap (theirs or a component's), so their
	// daily series comes from the second pass.
	deferred bool
}

// aggPlan is one experiment being aggregated.
type aggPlan struct {
	req        workflows.AggregateRequest
	start, end int64 // Unix milliseconds
	days       int
	variants   []string
	metrics    []aggMetric
	measures   []measure
	// affected[pass][measure] lists the metrics whose per-unit terms change
	// when the measure does, among those the pass computes series for.
	affected [2][][]int
	// byEvent[pass][event id] lists the measures an event feeds in a pass.
	byEvent [2][][]int

	// The analysed units: the group's slots base, base+1, ..., and per
	// unit its measures since exposure then before, side by side so that
	// an event touches one place in memory.
	base      int32
	slots     []aggSlot
	vals      []float64
	exposures int64 // in the window: at least the number of units

	unitCounts        []int64 // by variant
	multiple          int64
	firstExp, lastExp int64
	final             []float64 // metric × variant × field
	daily             []float64 // day × metric × variant × field
	dailyUnits        []int64   // day × variant
}

func newAggPlan(req workflows.AggregateRequest) (*aggPlan, error) {
	e := req.Experiment
	p := &aggPlan{req: req, firstExp: math.MaxInt64, lastExp: math.MinInt64}
	var err error
	if p.start, p.end, p.days, err = req.Window(); err != nil {
		return nil, err
	}
	for _, v := range e.Variants {
		p.variants = append(p.variants, v.Key)
	}
	for _, m := range req.Metrics {
		am := aggMetric{Metric: m, cap: math.Inf(1)}
		switch m.Type {
		case workflows.MetricMean, workflows.MetricProportion:
			if m.Event == "" {
				return nil, workflows.Errorf(workflows.EINVALID, "metric %q counts no event", m.Key)
			}
			ms := measure{event: m.Event, sum: m.Type == workflows.MetricMean && m.Value == workflows.ValueSum}
			if am.measure = slices.Index(p.measures, ms); am.measure < 0 {
				am.measure = len(p.measures)
				p.measures = append(p.measures, ms)
			}
			am.deferred = m.Type == workflows.MetricMean && m.Winsorize > 0 && m.Winsorize < 1
		case workflows.MetricRatio:
			if am.num, am.den, err = req.RatioParts(m); err != nil {
				return nil, err
			}
		default:
			return nil, workflows.Errorf(workflows.EINVALID, "metric %q has unknown type %q", m.Key, m.Type)
		}
		p.metrics = append(p.metrics, am)
	}
	for i := range p.metrics {
		if m := &p.metrics[i]; m.Type == workflows.MetricRatio {
			m.deferred = p.metrics[m.num].deferred || p.metrics[m.den].deferred
		}
	}
	for pass := range 2 {
		p.affected[pass] = make([][]int, len(p.measures))
		for mi := range p.measures {
			for k, m := range p.metrics {
				if m.deferred != (pass == 1) {
					continue
				}
				// A ratio's components are never ratios (checked above).
				uses := m.measure == mi
				if m.Type == workflows.MetricRatio {
					uses = p.metrics[m.num].measure == mi || p.metrics[m.den].measure == mi
				}
				if uses {
					p.affected[pass][mi] = append(p.affected[pass][mi], k)
				}
			}
		}
	}
	stride := len(p.metrics) * len(p.variants) * nFields
	p.final = make([]float64, stride)
	p.daily = make([]float64, p.days*stride)
	p.dailyUnits = make([]int64, p.days*len(p.variants))
	p.unitCounts = make([]int64, len(p.variants))
	return p, nil
}

// hasDeferred reports whether the plan needs the second pass.
func (p *aggPlan) hasDeferred() bool {
	for _, m := range p.metrics {
		if m.deferred {
			return true
		}
	}
	return false
}

// bytesPerUnit estimates the memory one analysed unit takes: its measures,
// its slot, and two entries of the unit table.
func (p *aggPlan) bytesPerUnit() int64 { return int64(16*len(p.measures)) + 24 + 32 }

// aggregate runs the plans in groups that fit the memory budget, all in
// the caller's read transaction.
func aggregate(r rawReader, plans []*aggPlan) error {
	names := map[string]int64{}
	err := r.each(`SELECT id, name FROM event_names`, func(v []driver.Value) error {
		names[asString(v[1])] = asInt(v[0])
		return nil
	})
	if err != nil {
		return err
	}
	// Group the plans to fit the budget; the buffers are sized for the
	// largest group and reused by the others. Experiments that started
	// about the same time go together, so that each group reads a shorter
	// stretch of events.
	var groups [][]*aggPlan
	var groupBytes int64
	var buf aggBuffers
	var units, vals int64
	byStart := slices.SortedStableFunc(slices.Values(plans), func(a, b *aggPlan) int { return cmp.Compare(a.start, b.start) })
	for _, p := range byStart {
		if err := r.each(`SELECT count(*) FROM exposures WHERE experiment = ? AND at >= ? AND at < ?`, func(v []driver.Value) error {
			p.exposures = asInt(v[0])
			return nil
		}, p.req.Experiment.Key, p.start, p.end); err != nil {
			return err
		}
		need := p.exposures * p.bytesPerUnit()
		if len(groups) == 0 || groupBytes+need > aggregateBudget {
			groups, groupBytes, units, vals = append(groups, nil), 0, 0, 0
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], p)
		groupBytes += need
		units += p.exposures
		vals += p.exposures * int64(2*len(p.measures))
		buf.units, buf.vals = max(buf.units, units), max(buf.vals, vals)
	}
	buf.slots = make([]aggSlot, 0, buf.units)
	buf.table = make([]unitEntry, max(1024, 1<<bits.Len64(uint64(2*buf.units))))
	buf.arena = make([]float64, 0, buf.vals)
	for _, group := range groups {
		if err := aggregateGroup(r, group, names, &buf); err != nil {
			return err
		}
	}
	return nil
}

// aggBuffers are the large allocations of aggregation: sizing them once
// avoids copies of hundreds of megabytes as they grow, and garbage between
// groups.
type aggBuffers struct {
	units, vals int64
	slots       []aggSlot
	table       []unitEntry
	arena       []float64
}

// aggGroup is the state of experiments aggregated together: their units,
// by the unit ids events carry.
type aggGroup struct {
	plans    []*aggPlan
	eventIDs []int64   // every stored event name's id
	units    unitTable // unit id to its first slot
	slots    []aggSlot
	// touched keeps the loads of apply's second loop from being optimized
	// away.
	touched float64
}

// aggSlot is an analysed unit of one experiment.
type aggSlot struct {
	first   int64 // first exposure, Unix milliseconds
	plan    int32
	next    int32 // the unit's slot in another experiment, or -1
	variant int32
}

// unitTable maps unit ids to slots, with open addressing. Unit ids are
// hashes already, so their low bits pick the entry: a lookup costs one
// cache miss, where a Go map of a million units costs several.
type unitTable struct {
	entries []unitEntry
	n       int
}

type unitEntry struct {
	key  int64
	slot int32 // slot+1; 0 marks an empty entry
}

func (t *unitTable) get(key int64) int32 {
	mask := int64(len(t.entries) - 1)
	for i := key & mask; len(t.entries) > 0; i = (i + 1) & mask {
		switch e := &t.entries[i]; {
		case e.slot == 0:
			return -1
		case e.key == key:
			return e.slot - 1
		}
	}
	return -1
}

// put maps key to slot and returns the slot it mapped to before, or -1.
func (t *unitTable) put(key int64, slot int32) int32 {
	if 2*(t.n+1) > len(t.entries) {
		old := t.entries
		t.entries, t.n = make([]unitEntry, max(1024, 2*len(old))), 0
		for _, e := range old {
			if e.slot != 0 {
				t.put(e.key, e.slot-1)
			}
		}
	}
	mask := int64(len(t.entries) - 1)
	for i := key & mask; ; i = (i + 1) & mask {
		switch e := &t.entries[i]; {
		case e.slot == 0:
			*e = unitEntry{key: key, slot: slot + 1}
			t.n++
			return -1
		case e.key == key:
			prev := e.slot - 1
			e.slot = slot + 1
			return prev
		}
	}
}

func aggregateGroup(r rawReader, plans []*aggPlan, names map[string]int64, buf *aggBuffers) error {
	clear(buf.table)
	g := &aggGroup{plans: plans, eventIDs: slices.Collect(maps.Values(names)), slots: buf.slots[:0], units: unitTable{entries: buf.table}}
	arena := buf.arena[:0]
	for i, p := range plans {
		p.indexEvents(names)
		start := len(arena)
		arena = append(arena, make([]float64, p.exposures*int64(2*len(p.measures)))...)
		p.vals = arena[start:len(arena):len(arena)][:0]
		if err := g.loadExposures(r, int32(i)); err != nil {
			return err
		}
	}
	for i, p := range plans {
		end := len(g.slots)
		if i+1 < len(plans) {
			end = int(plans[i+1].base)
		}
		p.slots = g.slots[p.base:end]
	}
	if err := g.scan(r, 0); err != nil {
		return err
	}
	deferred := false
	for _, p := range plans {
		p.setCaps()
		p.addUnits(false)
		if p.hasDeferred() {
			deferred = true
			p.clearPost()
			p.addUnits(true)
		}
	}
	if deferred {
		if err := g.scan(r, 1); err != nil {
			return err
		}
	}
	for _, p := range plans {
		p.accumulateDays()
		// The results are computed; the next group needs the memory.
		p.slots, p.vals = nil, nil
	}
	return nil
}

// indexEvents maps the event ids to the plan's measures, per pass.
func (p *aggPlan) indexEvents(names map[string]int64) {
	for pass := range 2 {
		for mi, ms := range p.measures {
			id, ok := names[ms.event]
			if !ok || (pass == 1 && len(p.affected[1][mi]) == 0) {
				continue
			}
			for int64(len(p.byEvent[pass])) <= id {
				p.byEvent[pass] = append(p.byEvent[pass], nil)
			}
			p.byEvent[pass][id] = append(p.byEvent[pass][id], mi)
		}
	}
}

// loadExposures adds the analysed units of plan i. Rows come ordered by
// unit, so each unit's exposures are consecutive.
func (g *aggGroup) loadExposures(r rawReader, i int32) error {
	p := g.plans[i]
	p.base = int32(len(g.slots))
	variantIdx := map[string]int32{}
	for j, v := range p.variants {
		variantIdx[v] = int32(j)
	}
	var unit, first int64
	variant := int32(-1) // -1 for no unit yet, -2 for several variants
	flush := func() {
		switch variant {
		case -1:
		case -2:
			p.multiple++
		default:
			g.addUnit(i, unit, variant, first)
		}
	}
	err := r.each(`SELECT unit, variant, at FROM exposures WHERE experiment = ? AND at >= ? AND at < ? ORDER BY unit`, func(row []driver.Value) error {
		u, at := asInt(row[0]), asInt(row[2])
		v, ok := variantIdx[asString(row[1])]
		if !ok {
			return nil
		}
		p.firstExp, p.lastExp = min(p.firstExp, at), max(p.lastExp, at)
		if u != unit || variant == -1 {
			flush()
			unit, first, variant = u, at, v
			return nil
		}
		first = min(first, at)
		if v != variant {
			variant = -2
		}
		return nil
	}, p.req.Experiment.Key, p.start, p.end)
	if err != nil {
		return err
	}
	flush()
	return nil
}

func (g *aggGroup) addUnit(i int32, unit int64, variant int32, first int64) {
	p := g.plans[i]
	slot := int32(len(g.slots))
	g.slots = append(g.slots, aggSlot{first: first, plan: i, next: g.units.put(unit, slot), variant: variant})
	p.unitCounts[variant]++
	// Within the capacity loadExposures gave it: no copy.
	p.vals = p.vals[:len(p.vals)+2*len(p.measures)]
}

// unit returns a unit's measures since exposure and before.
func (p *aggPlan) unit(u int) (post, pre []float64) {
	nm := len(p.measures)
	return p.vals[2*u*nm : (2*u+1)*nm], p.vals[(2*u+1)*nm : (2*u+2)*nm]
}

// clearPost zeroes the units' measures since exposure, for the second
// pass.
func (p *aggPlan) clearPost() {
	for u := range p.slots {
		post, _ := p.unit(u)
		clear(post)
	}
}

// scan reads the events the group's plans need in a pass and hands each to
// the units it belongs to.
func (g *aggGroup) scan(r rawReader, pass int) error {
	from, to := int64(math.MaxInt64), int64(math.MinInt64)
	needed := map[int64]bool{}
	for _, p := range g.plans {
		if len(p.slots) == 0 {
			continue
		}
		for id, ms := range p.byEvent[pass] {
			if len(ms) > 0 {
				needed[int64(id)] = true
			}
		}
		from, to = min(from, p.start), max(to, p.end)
	}
	if len(needed) == 0 {
		return nil
	}
	if pass == 0 {
		from -= workflows.PreExposureWindow.Milliseconds()
	}
	filter, filterArgs := eventFilter(needed, g.eventIDs)
	query := `SELECT at, unit, event, value FROM events WHERE at >= ? AND at < ?` + filter
	// The driver reads rows on this goroutine while another applies them:
	// each takes about half the time, and the machine has two cores.
	full := make(chan []eventRow, 2)
	free := make(chan []eventRow, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for batch := range full {
			g.apply(pass, batch)
			free <- batch[:0]
		}
	}()
	batch := make([]eventRow, 0, eventBatch)
	err := r.each(query, func(row []driver.Value) error {
		batch = append(batch, eventRow{at: asInt(row[0]), unit: asInt(row[1]), event: asInt(row[2]), value: asFloat(row[3])})
		if len(batch) == eventBatch {
			full <- batch
			select {
			case batch = <-free:
			default:
				batch = make([]eventRow, 0, eventBatch)
			}
		}
		return nil
	}, append([]any{from, to}, filterArgs...)...)
	full <- batch
	close(full)
	<-done
	return err
}

// eventFilter returns the SQL condition that keeps the needed event ids,
// and its arguments. Testing a column costs SQLite time on every row, so
// there is no condition when every stored event is needed, and a bit mask,
// cheaper than IN, when the ids are small.
func eventFilter(needed map[int64]bool, all []int64) (string, []any) {
	if len(needed) == len(all) {
		return "", nil
	}
	ids := slices.Sorted(maps.Keys(needed))
	if ids[len(ids)-1] < 63 {
		var mask int64
		for _, id := range ids {
			mask |= 1 << id
		}
		return " AND ((? >> event) & 1) = 1", []any{mask}
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return " AND event IN (?" + strings.Repeat(", ?", len(ids)-1) + ")", args
}

// eventBatch is how many events travel together from the reader to apply:
// enough for their units' state to be fetched together, few enough for it
// to fit the CPU's cache.
const eventBatch = 2048

type eventRow struct {
	at, unit, event int64
	value           float64
	slot            int32
}

// apply hands a batch of events to the units they belong to. Looking up a
// unit and its state are cache misses (a million units' state is far
// larger than the cache), so apply first does all the lookups of the
// batch, then touches all the units' state, and only then computes: the
// misses of independent rows overlap instead of following one another.
func (g *aggGroup) apply(pass int, rows []eventRow) {
	for i := range rows {
		rows[i].slot = g.units.get(rows[i].unit)
	}
	var touch float64
	for _, row := range rows {
		if row.slot >= 0 {
			s := &g.slots[row.slot]
			p := g.plans[s.plan]
			touch += p.vals[2*int(row.slot-p.base)*len(p.measures)]
		}
	}
	g.touched += touch
	preWindow := workflows.PreExposureWindow.Milliseconds()
	for _, row := range rows {
		for slot := row.slot; slot >= 0; {
			s := &g.slots[slot]
			p := g.plans[s.plan]
			u := int(slot - p.base)
			slot = s.next
			if row.event >= int64(len(p.byEvent[pass])) {
				continue
			}
			ms := p.byEvent[pass][row.event]
			switch first := s.first; {
			case len(ms) == 0:
			case row.at < first:
				if pass == 0 && row.at >= first-preWindow {
					_, pre := p.unit(u)
					for _, m := range ms {
						pre[m] += p.increment(m, row.value)
					}
				}
			case row.at < p.end:
				day := int((row.at - p.start) / dayMillis)
				for _, m := range ms {
					p.change(pass, u, int(s.variant), m, p.increment(m, row.value), day)
				}
			}
		}
	}
}

func (p *aggPlan) increment(m int, value float64) float64 {
	if p.measures[m].sum {
		return value
	}
	return 1
}

// change adds inc to unit u's measure m on day, and the change of the
// affected metrics' terms to that day's series.
func (p *aggPlan) change(pass, u, v, m int, inc float64, day int) {
	post, pre := p.unit(u)
	ks := p.affected[pass][m]
	if len(ks) == 0 {
		post[m] += inc
		return
	}
	block := p.dayBlock(day)
	for _, k := range ks {
		p.addTerms(block, k, v, post, pre, -1)
	}
	post[m] += inc
	for _, k := range ks {
		p.addTerms(block, k, v, post, pre, 1)
	}
}

func (p *aggPlan) dayBlock(day int) []float64 {
	stride := len(p.metrics) * len(p.variants) * nFields
	return p.daily[day*stride : (day+1)*stride]
}

// value is a unit's value of a mean or proportion metric, given its
// measures, capped.
func (p *aggPlan) value(k int, measures []float64) float64 {
	m := &p.metrics[k]
	x := measures[m.measure]
	if m.Type == workflows.MetricProportion {
		if x > 0 {
			x = 1
		} else {
			x = 0
		}
	}
	return min(x, m.cap)
}

// addTerms adds sign times the unit's post-dependent terms of metric k to
// the accumulators in block.
func (p *aggPlan) addTerms(block []float64, k, v int, post, pre []float64, sign float64) {
	a := block[(k*len(p.variants)+v)*nFields:]
	m := &p.metrics[k]
	if m.Type == workflows.MetricRatio {
		num, den := p.value(m.num, post), p.value(m.den, post)
		a[fSum] += sign * num
		a[fSumSq] += sign * num * num
		a[fSum2] += sign * den
		a[fSumSq2] += sign * den * den
		a[fProducts] += sign * num * den
		return
	}
	x := p.value(k, post)
	a[fSum] += sign * x
	a[fSumSq] += sign * x * x
	a[fProducts] += sign * x * p.value(k, pre)
}

// addWhole adds all of a unit's terms of metric k: its count and its
// pre-exposure moments as well.
func (p *aggPlan) addWhole(block []float64, k, v int, post, pre []float64) {
	a := block[(k*len(p.variants)+v)*nFields:]
	a[fN]++
	if p.metrics[k].Type != workflows.MetricRatio {
		x := p.value(k, pre)
		a[fSum2] += x
		a[fSumSq2] += x * x
	}
	p.addTerms(block, k, v, post, pre, 1)
}

// setCaps computes the winsorization caps from the units' final values.
func (p *aggPlan) setCaps() {
	values := make([]float64, len(p.slots))
	for k := range p.metrics {
		m := &p.metrics[k]
		if m.Type != workflows.MetricMean || !(m.Winsorize > 0 && m.Winsorize < 1) || len(values) == 0 {
			continue
		}
		for u := range values {
			post, _ := p.unit(u)
			values[u] = post[m.measure]
		}
		slices.Sort(values)
		rank := int(math.Ceil(m.Winsorize * float64(len(values))))
		m.cap = values[max(rank, 1)-1]
	}
}

// addUnits adds every unit's final terms (on the first call, with the
// final values) and its entry into the daily series on the day of its first
// exposure, for the metrics of one pass.
func (p *aggPlan) addUnits(deferred bool) {
	zero := make([]float64, len(p.measures))
	for u, s := range p.slots {
		v := int(s.variant)
		post, pre := p.unit(u)
		day := int((s.first - p.start) / dayMillis)
		if !deferred {
			for k := range p.metrics {
				p.addWhole(p.final, k, v, post, pre)
			}
			p.dailyUnits[day*len(p.variants)+v]++
		}
		block := p.dayBlock(day)
		for k, m := range p.metrics {
			if m.deferred == deferred {
				p.addWhole(block, k, v, zero, pre)
			}
		}
	}
}

// accumulateDays turns the daily changes into the cumulative series.
func (p *aggPlan) accumulateDays() {
	stride := len(p.metrics) * len(p.variants) * nFields
	for d := 1; d < p.days; d++ {
		for i := range stride {
			p.daily[d*stride+i] += p.daily[(d-1)*stride+i]
		}
		for v := range p.variants {
			p.dailyUnits[d*len(p.variants)+v] += p.dailyUnits[(d-1)*len(p.variants)+v]
		}
	}
}

func (p *aggPlan) arms(block []float64) map[string]map[string]stats.Arm {
	out := map[string]map[string]stats.Arm{}
	for k, m := range p.metrics {
		byVariant := map[string]stats.Arm{}
		for v, name := range p.variants {
			a := block[(k*len(p.variants)+v)*nFields:]
			arm := stats.Arm{N: a[fN], SumProducts: a[fProducts]}
			if m.Type == workflows.MetricRatio {
				arm.Numerator = stats.Moments{Sum: a[fSum], SumSquares: a[fSumSq]}
				arm.Denominator = stats.Moments{Sum: a[fSum2], SumSquares: a[fSumSq2]}
			} else {
				arm.Sum, arm.SumSquares = a[fSum], a[fSumSq]
				arm.Post = stats.Moments{Sum: a[fSum], SumSquares: a[fSumSq]}
				arm.Pre = stats.Moments{Sum: a[fSum2], SumSquares: a[fSumSq2]}
			}
			byVariant[name] = arm
		}
		out[m.Key] = byVariant
	}
	return out
}

func (p *aggPlan) units(counts func(v int) int64) map[string]int64 {
	out := map[string]int64{}
	for v, name := range p.variants {
		out[name] = counts(v)
	}
	return out
}

func (p *aggPlan) result() workflows.Aggregate {
	a := workflows.Aggregate{
		Experiment: p.req.Experiment.Key, Start: p.req.Start, End: p.req.End,
		MultipleExposures: p.multiple, Arms: p.arms(p.final),
		Units: p.units(func(v int) int64 { return p.unitCounts[v] }),
	}
	if p.firstExp <= p.lastExp {
		a.FirstExposure, a.LastExposure = time.UnixMilli(p.firstExp).UTC(), time.UnixMilli(p.lastExp).UTC()
	}
	for d := range p.days {
		end := min(p.start+int64(d+1)*dayMillis, p.end)
		a.Daily = append(a.Daily, workflows.DailyArms{
			End:   time.UnixMilli(end).UTC(),
			Units: p.units(func(v int) int64 { return p.dailyUnits[d*len(p.variants)+v] }),
			Arms:  p.arms(p.dayBlock(d)),
		})
	}
	return a
}
