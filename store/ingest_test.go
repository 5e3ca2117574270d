package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
)

func TestWritersCountWhatTheyStore(t *testing.T) {
	db := MustOpenDB(t)
	db.Now = func() time.Time { return aggTestNow }
	mustSetUp(t, db, aggMetrics[:1], workflows.Experiment{Key: "x", Variants: variants("a", "b"), StartedAt: aggTestNow, PrimaryMetrics: []string{"purchase"}})
	at := aggTestNow.Add(-time.Hour)
	tests := []struct {
		name  string
		write func(tx workflows.Tx) (int, error)
		want  int
	}{
		{"exposures", func(tx workflows.Tx) (int, error) {
			return write(tx.ExposureWriter, []workflows.Exposure{exposure("u1", "a", at), exposure("u2", "b", at), exposure("u1", "a", at.Add(time.Hour))})
		}, 2},
		{"exposures again, and a second variant", func(tx workflows.Tx) (int, error) {
			return write(tx.ExposureWriter, []workflows.Exposure{exposure("u1", "a", at), exposure("u1", "b", at)})
		}, 1},
		{"earlier exposures, one of them twice", func(tx workflows.Tx) (int, error) {
			return write(tx.ExposureWriter, []workflows.Exposure{exposure("u2", "b", at.Add(-time.Minute)), exposure("u1", "b", at.Add(-2*time.Minute)),
				exposure("u1", "b", at.Add(-3*time.Minute)), exposure("u1", "b", at.Add(-time.Minute))})
		}, 3},
		{"events", func(tx workflows.Tx) (int, error) {
			return write(tx.EventWriter, []workflows.Event{event("u1", "buy", 1, at), event("u1", "buy", 1, at), event("u1", "buy", 2, at), event("u2", "buy", 1, at), event("u1", "view", 1, at)})
		}, 4},
		{"events again, one a millisecond later", func(tx workflows.Tx) (int, error) {
			return write(tx.EventWriter, []workflows.Event{event("u1", "buy", 1, at), event("u1", "buy", 1, at.Add(time.Millisecond))})
		}, 1},
		{"KPIs", func(tx workflows.Tx) (int, error) {
			return write(tx.KPIWriter, []workflows.KPIPoint{kpi("2025-01", 10), kpi("2025-02", 11)})
		}, 2},
		{"KPIs again, one corrected", func(tx workflows.Tx) (int, error) {
			return write(tx.KPIWriter, []workflows.KPIPoint{kpi("2025-01", 10), kpi("2025-02", 12)})
		}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			err := db.Update(context.Background(), func(tx workflows.Tx) error {
				var err error
				n, err = tc.write(tx)
				return err
			})
			if err != nil || n != tc.want {
				t.Errorf("stored %d, %v; want %d", n, err, tc.want)
			}
		})
	}
	// Each exposure keeps its earliest time.
	raw, err := sql.Open("sqlite", "file:"+db.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT u.key, e.variant, e.at FROM exposures e JOIN units u ON u.id = e.unit ORDER BY u.key, e.variant`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var unit, variant string
		var at int64
		if err := rows.Scan(&unit, &variant, &at); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %v", unit, variant, time.UnixMilli(at).Sub(aggTestNow)))
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"u1 a -1h0m0s", "u1 b -1h3m0s", "u2 b -1h1m0s"}; !slices.Equal(got, want) {
		t.Errorf("exposures stored: %q, want %q", got, want)
	}
	err = db.View(context.Background(), func(tx workflows.Tx) error {
		points, err := tx.KPIs("growth", "2025-01", "2025-12")
		if err != nil || len(points) != 2 || points[1].Value != 12 {
			t.Errorf("KPIs after a correction: %+v, %v", points, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func exposure(unit, variant string, at time.Time) workflows.Exposure {
	return workflows.Exposure{UnitID: unit, Experiment: "x", Variant: variant, At: at}
}

func event(unit, name string, value float64, at time.Time) workflows.Event {
	return workflows.Event{UnitID: unit, Name: name, Value: value, At: at}
}

func kpi(period string, value float64) workflows.KPIPoint {
	return workflows.KPIPoint{Team: "growth", Name: "mrr", Period: period, Value: value}
}

// write stores rows with a fresh writer in two batches, as imports do.
func write[T any](open func() (workflows.BatchWriter[T], error), rows []T) (int, error) {
	w, err := open()
	if err != nil {
		return 0, err
	}
	defer w.Close()
	half := len(rows) / 2
	n1, err := w.Write(rows[:half])
	if err != nil {
		return n1, err
	}
	n2, err := w.Write(rows[half:])
	return n1 + n2, err
}

// TestUnitIDCollisionIsRefused fakes what SHA-256 will not produce in
// practice: a stored unit whose id equals another unit's. The import that
// would merge the two is refused.
func TestUnitIDCollisionIsRefused(t *testing.T) {
	db := MustOpenDB(t)
	mustSetUp(t, db, aggMetrics[:1], workflows.Experiment{Key: "x", Variants: variants("a", "b"), StartedAt: aggTestNow, PrimaryMetrics: []string{"purchase"}})
	sum := sha256.Sum256([]byte("alice"))
	raw, err := sql.Open("sqlite", "file:"+db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO units (id, key) VALUES (?, 'mallory')`, int64(binary.BigEndian.Uint64(sum[:8]))); err != nil {
		t.Fatal(err)
	}
	err = db.Update(context.Background(), func(tx workflows.Tx) error {
		_, err := write(tx.ExposureWriter, []workflows.Exposure{exposure("bob", "a", aggTestNow), exposure("alice", "a", aggTestNow)})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), `unit id hash collision between "mallory" and "alice"`) {
		t.Fatalf("got %v, want a collision", err)
	}
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM exposures`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d exposures stored, %v", n, err)
	}
}

// A batch of more new units than one statement reads (512) whose later
// units an earlier import stored: each is found with its own key, not taken
// for a collision, and the new ones are stored (the units of a later chunk
// were once forgotten after the first).
func TestExposuresOfManyUnitsSomeKnown(t *testing.T) {
	db := MustOpenDB(t)
	mustSetUp(t, db, aggMetrics[:1], workflows.Experiment{Key: "x", Variants: variants("a", "b"), StartedAt: aggTestNow, PrimaryMetrics: []string{"purchase"}})
	batch := func(from, to int) []workflows.Exposure {
		var xs []workflows.Exposure
		for i := from; i < to; i++ {
			xs = append(xs, exposure(fmt.Sprintf("u%d", i), "a", aggTestNow.Add(time.Duration(i)*time.Second)))
		}
		return xs
	}
	for _, b := range [][]workflows.Exposure{batch(1500, 2000), batch(0, 2000)} {
		err := db.Update(context.Background(), func(tx workflows.Tx) error {
			w, err := tx.ExposureWriter()
			if err != nil {
				return err
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
			return w.Close()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", "file:"+db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var units, exposures int
	if err := raw.QueryRow(`SELECT (SELECT count(*) FROM units), (SELECT count(*) FROM exposures)`).Scan(&units, &exposures); err != nil {
		t.Fatal(err)
	}
	if units != 2000 || exposures != 2000 {
		t.Errorf("%d units and %d exposures stored, want 2000 of each", units, exposures)
	}
}

var _ workflows.Store = (*store.DB)(nil)
