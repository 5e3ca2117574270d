package pgtest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/growthbot/growthbot/workflows"
)

// Dataset is generated exposures and events: the same rows go to the
// embedded store and to PostgreSQL, for parity tests.
type Dataset struct {
	Exposures []workflows.Exposure
	Events    []workflows.Event
}

// Generate makes data for started experiments, up to now: units exposed
// once or several times, some to two variants, some before the window;
// events before, around and after exposure (purchase with heavy-tailed
// values, checkout_error, credit and page_view), and events at the edges (at
// the first exposure, 14 days before it, at now). Exposures come in time
// order, so that the embedded store keeps each unit's earliest; no two
// events are identical.
func Generate(seed uint64, exps []workflows.Experiment, units int, now time.Time) Dataset {
	r := rand.New(rand.NewPCG(seed, 7))
	var d Dataset
	seen := map[string]bool{}
	addEvent := func(ev workflows.Event) {
		if ev.At.After(now) {
			return
		}
		k := fmt.Sprint(ev.UnitID, ev.Name, ev.At.UnixMilli(), ev.Value)
		if !seen[k] {
			seen[k] = true
			d.Events = append(d.Events, ev)
		}
	}
	ms := func(t time.Time) time.Time { return t.Truncate(time.Millisecond) }
	for u := range units {
		unit := fmt.Sprintf("user-%d", u)
		var firsts []time.Time
		for _, e := range exps {
			if r.Float64() < 0.15 {
				continue
			}
			span := now.Sub(e.StartedAt)
			at := ms(e.StartedAt.Add(time.Duration(r.Float64() * float64(span))))
			if r.Float64() < 0.04 {
				// Exposed first before the window: left out.
				at = ms(e.StartedAt.Add(-time.Duration(r.Float64() * float64(48*time.Hour))))
			}
			v := e.Variants[r.IntN(len(e.Variants))].Key
			d.Exposures = append(d.Exposures, workflows.Exposure{UnitID: unit, Experiment: e.Key, Variant: v, At: at})
			for range r.IntN(3) {
				// Later exposures to the same variant change nothing.
				later := ms(at.Add(time.Duration(r.Float64() * float64(now.Sub(at)))))
				d.Exposures = append(d.Exposures, workflows.Exposure{UnitID: unit, Experiment: e.Key, Variant: v, At: later})
			}
			if r.Float64() < 0.05 {
				other := e.Variants[(slices.IndexFunc(e.Variants, func(x workflows.Variant) bool { return x.Key == v })+1)%len(e.Variants)].Key
				d.Exposures = append(d.Exposures, workflows.Exposure{UnitID: unit, Experiment: e.Key, Variant: other, At: ms(at.Add(time.Hour))})
			}
			firsts = append(firsts, at)
		}
		if len(firsts) == 0 {
			continue
		}
		base := firsts[0]
		for range r.IntN(12) {
			// From 20 days before exposure to 25 days after (up to now).
			at := ms(base.Add(time.Duration((r.Float64()*45 - 20) * float64(24*time.Hour))))
			switch k := r.IntN(10); {
			case k < 4:
				value := math.Round(math.Exp(r.NormFloat64()*1.2+3)*100) / 100
				if r.Float64() < 0.02 {
					value *= 50
				}
				addEvent(workflows.Event{UnitID: unit, Name: "purchase", Value: value, At: at})
			case k < 7:
				addEvent(workflows.Event{UnitID: unit, Name: "checkout_error", Value: 1, At: at})
			case k < 9:
				addEvent(workflows.Event{UnitID: unit, Name: "credit", Value: float64(r.IntN(5)) * 2.5, At: at})
			default:
				addEvent(workflows.Event{UnitID: unit, Name: "page_view", Value: 1, At: at})
			}
		}
		// At the edges: at the first exposure, 14 days before it exactly,
		// and at now.
		addEvent(workflows.Event{UnitID: unit, Name: "checkout_error", Value: 1, At: base})
		addEvent(workflows.Event{UnitID: unit, Name: "purchase", Value: 9.5, At: base.Add(-workflows.PreExposureWindow)})
		addEvent(workflows.Event{UnitID: unit, Name: "purchase", Value: 3, At: now.Truncate(time.Millisecond)})
	}
	// The embedded store keeps a unit's first stored exposure per variant:
	// in time order, that is its earliest.
	slices.SortStableFunc(d.Exposures, func(a, b workflows.Exposure) int { return a.At.Compare(b.At) })
	return d
}

// LoadAnalytics creates the tables analytics.exposures (user_id,
// experiment_key, variation, ts) and analytics.events (user_id,
// event_name, amount, ts) and COPYs the data in.
func LoadAnalytics(tb testing.TB, dsn string, d Dataset) {
	tb.Helper()
	Exec(tb, dsn, `CREATE SCHEMA analytics`,
		`CREATE TABLE analytics.exposures (user_id TEXT NOT NULL, experiment_key TEXT NOT NULL, variation TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL)`,
		`CREATE TABLE analytics.events (user_id TEXT NOT NULL, event_name TEXT NOT NULL, amount DOUBLE PRECISION, ts TIMESTAMPTZ NOT NULL)`)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"analytics", "exposures"}, []string{"user_id", "experiment_key", "variation", "ts"},
		pgx.CopyFromSlice(len(d.Exposures), func(i int) ([]any, error) {
			x := d.Exposures[i]
			return []any{x.UnitID, x.Experiment, x.Variant, x.At}, nil
		}))
	if err != nil {
		tb.Fatal(err)
	}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"analytics", "events"}, []string{"user_id", "event_name", "amount", "ts"},
		pgx.CopyFromSlice(len(d.Events), func(i int) ([]any, error) {
			e := d.Events[i]
			return []any{e.UnitID, e.Name, e.Value, e.At}, nil
		}))
	if err != nil {
		tb.Fatal(err)
	}
	Exec(tb, dsn, `ANALYZE analytics.exposures`, `ANALYZE analytics.events`)
}
