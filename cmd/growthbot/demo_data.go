package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

// The demo's data: three weeks of the example experiments, simulated with
// a fixed seed so that every run tells the same story, and thirteen months
// of both teams' KPIs. It goes in through `growthbot import`'s own path.

// demoArm is how units of one variant behave: the chance that a unit does
// each event at least once after exposure, and the mean value of a
// purchase.
type demoArm struct {
	variant   string
	chance    map[string]float64
	basketEUR float64
}

// demoSims are the three experiments' stories: one-click checkout clearly
// lifts purchases with errors unchanged; the free-shipping banner nudges
// revenue a little; guided onboarding lifts activation but breaks checkout
// more often, a guardrail regression.
// Units per arm keep the demo fast while giving the statistics something to
// find: one-click checkout's lift is clear at 8,000 a variant even for the
// sequential method, which pays for looking every day.
var demoSims = []struct {
	key, team string // the team's pipeline names it on each event
	units     int    // per arm
	arms      []demoArm
}{
	{"one-click-checkout", "checkout", 8000, []demoArm{
		{"control", map[string]float64{"purchase": 0.10, "checkout_error": 0.05}, 60},
		{"treatment", map[string]float64{"purchase": 0.12, "checkout_error": 0.05}, 60},
	}},
	{"free-shipping-banner", "checkout", 3000, []demoArm{
		{"control", map[string]float64{"purchase": 0.10, "checkout_error": 0.04}, 58},
		{"banner", map[string]float64{"purchase": 0.105, "checkout_error": 0.04}, 61},
	}},
	{"guided-onboarding", "onboarding", 3000, []demoArm{
		{"control", map[string]float64{"activated": 0.30, "checkout_error": 0.05}, 0},
		{"guided", map[string]float64{"activated": 0.36, "checkout_error": 0.09}, 0},
	}},
}

// importData simulates the experiments' three weeks, imports them with
// the teams' KPIs, shows what aggregation makes of them, and leaves the
// demo clock at today.
func (d *demo) importData(ctx context.Context) error {
	start := d.clock.Now()
	now := start.Add(21 * 24 * time.Hour)
	// Imports refuse timestamps more than a day ahead of the clock, so the
	// clock moves first: the data arrive at the end of the three weeks.
	d.clock.Set(now)
	r := rand.New(rand.NewPCG(4, 21))
	var exposures, events bytes.Buffer
	for _, sim := range demoSims {
		simulate(r, sim.key, sim.team, sim.units, sim.arms, start, now, &exposures, &events)
	}
	inputs := []struct {
		kind   workflows.ImportKind
		name   string
		format codec.Format
		data   *bytes.Buffer
	}{
		{workflows.ImportExposures, "exposures.ndjson", codec.FormatJSON, &exposures},
		{workflows.ImportEvents, "events.ndjson", codec.FormatJSON, &events},
		{workflows.ImportKPIs, "kpis.csv", codec.FormatCSV, demoKPIs(r, now)},
	}
	for _, in := range inputs {
		report, err := codec.Import(ctx, d.svc, in.kind, in.data, in.format, in.name, workflows.ImportOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintf(d.e.stdout, "growthbot import %-9s %-16s %s read, %s imported, %s\n", in.kind, in.name,
			count(report.Read, "row"), thousands(report.Imported), count(report.Duplicates, "duplicate"))
	}
	bad := `{"unit_id":"u1","experiment":"one-click-checkout","variant":"treatment","timestamp":"2025-02-30T10:00:00Z"}
{"unit_id":"u2","experiment":"one-clik-checkout","variant":"control","timestamp":1740045600}`
	_, err := codec.Import(ctx, d.svc, workflows.ImportExposures, strings.NewReader(bad), codec.FormatJSON, "late.ndjson", workflows.ImportOptions{})
	fmt.Fprintf(d.e.stdout, "\na file with mistakes is refused as a whole:\n%s\n", indent(workflows.ErrorMessage(err), "  "))

	aggs, err := d.svc.Aggregate(ctx)
	if err != nil {
		return err
	}
	metrics, err := d.metrics(ctx)
	if err != nil {
		return err
	}
	for _, a := range aggs {
		d.printAggregate(a, metrics)
	}
	return nil
}

// simulate writes one experiment's exposures and events. Each unit has an
// engagement of its own, which makes it more or less likely to act both
// before and after exposure: that is what CUPED's covariate exploits.
func simulate(r *rand.Rand, key, team string, units int, arms []demoArm, start, now time.Time, exposures, events *bytes.Buffer) {
	span := now.Sub(start)
	for i := range units * len(arms) {
		arm := arms[i%len(arms)]
		unit := fmt.Sprintf("%s-%05d", key, i)
		first := start.Add(time.Duration(r.Float64() * float64(span-time.Hour)))
		fmt.Fprintf(exposures, `{"unit_id":%q,"experiment":%q,"variant":%q,"timestamp":%q}`+"\n", unit, key, arm.variant, stamp(first))
		switch x := r.Float64(); {
		case x < 0.01: // seen again: a duplicate
			fmt.Fprintf(exposures, `{"unit_id":%q,"experiment":%q,"variant":%q,"timestamp":%q}`+"\n", unit, key, arm.variant, stamp(first.Add(time.Hour)))
		case x < 0.013: // a bug in the sender showed it the other variant too
			other := arms[(i+1)%len(arms)].variant
			fmt.Fprintf(exposures, `{"unit_id":%q,"experiment":%q,"variant":%q,"timestamp":%q}`+"\n", unit, key, other, stamp(first.Add(time.Hour)))
		}
		engagement := math.Exp(r.NormFloat64()*0.6 - 0.18)
		for _, name := range []string{"purchase", "activated", "checkout_error"} {
			chance := arm.chance[name] * engagement
			if chance == 0 {
				continue
			}
			// After exposure, until now; and over the two weeks before, at
			// the control's rate, for the pre-exposure covariate.
			n := demoCount(r, chance)
			pre := demoCount(r, arms[0].chance[name]*engagement*0.6)
			for k := range n + pre {
				at := first.Add(time.Duration(r.Float64() * float64(now.Sub(first))))
				if k >= n {
					at = first.Add(-time.Duration(r.Float64() * float64(workflows.PreExposureWindow)))
				}
				value := ""
				if name == "purchase" {
					value = fmt.Sprintf(`,"value":%.2f`, arm.basketEUR*math.Exp(r.NormFloat64()*0.4-0.08))
				}
				line := fmt.Sprintf(`{"unit_id":%q,"event":%q%s,"team":%q,"timestamp":%q}`+"\n", unit, name, value, team, stamp(at))
				events.WriteString(line)
				if r.Float64() < 0.002 { // a retried request
					events.WriteString(line)
				}
			}
		}
	}
}

// demoCount draws how many times a unit does something it does at least
// once with the given chance: a repeat buyer buys again now and then.
func demoCount(r *rand.Rand, chance float64) int {
	if r.Float64() >= min(chance, 1) {
		return 0
	}
	n := 1
	for r.Float64() < 0.25 {
		n++
	}
	return n
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// demoKPIs returns thirteen months of both teams' KPIs as CSV, up to the
// last complete month: checkout's support tickets spike in that month,
// and onboarding has not sent its NPS for it yet.
func demoKPIs(r *rand.Rand, now time.Time) *bytes.Buffer {
	var b bytes.Buffer
	b.WriteString("team,name,period,value\n")
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	for _, team := range []struct {
		key                 string
		mrr, growth, users  float64
		nps, tickets, spike float64
	}{
		{"checkout", 120000, 0.045, 14000, 42, 310, 2.1},
		{"onboarding", 65000, 0.025, 9000, 36, 160, 1},
	} {
		mrr, users := team.mrr, team.users
		for m := 12; m >= 0; m-- {
			month := last.AddDate(0, -m, 0).Format("2006-01")
			noise := func(sd float64) float64 { return 1 + r.NormFloat64()*sd }
			newMRR := mrr * 0.07 * noise(0.1)
			expansion := mrr * 0.02 * noise(0.2)
			churned := mrr * (0.07 + 0.02 - team.growth) * noise(0.1)
			mrr += newMRR + expansion - churned
			newUsers := users * 0.12 * noise(0.08)
			users += newUsers - users*0.09*noise(0.05)
			tickets := team.tickets * noise(0.06)
			if m == 0 {
				tickets *= team.spike
			}
			points := []struct {
				name  string
				value float64
			}{
				{"mrr", mrr}, {"new_mrr", newMRR}, {"expansion_mrr", expansion}, {"churned_mrr", churned},
				{"paying_customers", mrr / 48}, {"active_users", users}, {"new_users", newUsers},
				{"new_orgs", newUsers / 14}, {"nps", team.nps + r.NormFloat64()*2.5}, {"support_tickets", tickets},
			}
			for _, p := range points {
				if p.name == "nps" && m == 0 && team.key == "onboarding" {
					continue
				}
				fmt.Fprintf(&b, "%s,%s,%s,%.0f\n", team.key, p.name, month, p.value)
			}
		}
	}
	return &b
}

// metrics returns the stored metric definitions by key.
func (d *demo) metrics(ctx context.Context) (map[string]workflows.Metric, error) {
	out := map[string]workflows.Metric{}
	err := d.svc.Store.View(ctx, func(tx workflows.Tx) error {
		ms, err := tx.Metrics()
		for _, m := range ms {
			out[m.Key] = m
		}
		return err
	})
	return out, err
}

// printAggregate shows an experiment's units and each metric's mean by
// variant, as aggregation computed them.
func (d *demo) printAggregate(a workflows.Aggregate, metrics map[string]workflows.Metric) {
	var keys []string
	for _, k := range []string{"activation", "purchase", "errors", "revenue", "aov"} {
		if _, ok := a.Arms[k]; ok {
			keys = append(keys, k)
		}
	}
	fmt.Fprintf(d.e.stdout, "\n%s: %d days of data", a.Experiment, len(a.Daily))
	if a.MultipleExposures > 0 {
		fmt.Fprintf(d.e.stdout, ", %d units left out for seeing two variants", a.MultipleExposures)
	}
	fmt.Fprintf(d.e.stdout, "\n  %-10s %6s", "variant", "units")
	for _, k := range keys {
		fmt.Fprintf(d.e.stdout, " %10s", k)
	}
	fmt.Fprintln(d.e.stdout)
	var variants []string
	for _, sim := range demoSims {
		if sim.key == a.Experiment {
			for _, arm := range sim.arms {
				variants = append(variants, arm.variant)
			}
		}
	}
	for _, v := range variants {
		fmt.Fprintf(d.e.stdout, "  %-10s %6s", v, thousands(a.Units[v]))
		for _, k := range keys {
			mean := a.Mean(metrics[k], v)
			cell := fmt.Sprintf("%.2f", mean)
			if metrics[k].Type == workflows.MetricProportion {
				cell = fmt.Sprintf("%.1f %%", 100*mean)
			}
			fmt.Fprintf(d.e.stdout, " %10s", cell)
		}
		fmt.Fprintln(d.e.stdout)
	}
}
