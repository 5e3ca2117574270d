package store

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// ReviewRecord returns a team's review of a month.
func (t *Tx) ReviewRecord(team, month string) (workflows.ReviewRecord, error) {
	r := workflows.ReviewRecord{Team: team, Month: month}
	err := t.queryRow(`SELECT message_key, posted_at, course, changes, decided_by, decided_at FROM reviews
		WHERE team = ? AND month = ?`, team, month).Scan(&r.MessageKey, scanTime(&r.PostedAt), &r.Course, &r.Changes,
		&r.DecidedBy, scanTime(&r.DecidedAt))
	if err != nil {
		return r, notFound(err, "no review of %s for %s", team, month)
	}
	return r, nil
}

// PutReviewRecord inserts or replaces a team's review of a month.
func (t *Tx) PutReviewRecord(r workflows.ReviewRecord) error {
	_, err := t.exec(`INSERT INTO reviews (team, month, message_key, posted_at, course, changes, decided_by, decided_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (team, month) DO UPDATE SET message_key = excluded.message_key, posted_at = excluded.posted_at,
		course = excluded.course, changes = excluded.changes, decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
		r.Team, r.Month, r.MessageKey, timeArg(r.PostedAt), r.Course, r.Changes, r.DecidedBy, timeArg(r.DecidedAt))
	if err != nil {
		return fmt.Errorf("store: put review of %s for %s: %w", r.Team, r.Month, err)
	}
	return nil
}

// maxActivityPeriods is how many periods one MonthlyActivity call counts:
// each unit's periods are the bits of a uint32.
const maxActivityPeriods = 32

// MonthlyActivity counts active and retained units per period. Each period
// is one range of the events table's primary key, read in key order; the
// units stream into a map of period bit masks, from which retention is the
// units whose mask has both a period and the one before. Folding in Go
// rather than with GROUP BY or DISTINCT in SQLite keeps clear of SQLite's
// sorter, which on 10M events of 1M units is several times slower; the
// price is memory, some 40 bytes per active unit.
func (t *Tx) MonthlyActivity(bounds []time.Time) ([]workflows.Activity, error) {
	out, _, _, err := t.activity(bounds, 0)
	if err != nil {
		return nil, fmt.Errorf("store: monthly activity: %w", err)
	}
	return out, nil
}

// TeamActivity counts active and retained units per period among the
// events attributed to team, as MonthlyActivity does among all; see
// workflows.ReviewStore. A team no event was ever attributed to costs one
// lookup.
func (t *Tx) TeamActivity(team string, bounds []time.Time) (workflows.TeamActivity, error) {
	var id int64
	err := t.queryRow(`SELECT id FROM event_teams WHERE team = ?`, team).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return workflows.TeamActivity{}, nil
	} else if err != nil {
		return workflows.TeamActivity{}, fmt.Errorf("store: activity of %s: %w", team, err)
	}
	out, first, last, err := t.activity(bounds, id)
	if err != nil {
		return workflows.TeamActivity{}, fmt.Errorf("store: activity of %s: %w", team, err)
	}
	if first.IsZero() {
		return workflows.TeamActivity{}, nil
	}
	return workflows.TeamActivity{Activity: out, First: first, Last: last}, nil
}

// activity counts the active and retained units of each period, of the
// team numbered team (0: of every event), and the times of the first and
// last of those events in the periods.
func (t *Tx) activity(bounds []time.Time, team int64) (_ []workflows.Activity, first, last time.Time, _ error) {
	n := len(bounds) - 1
	if n < 1 {
		return nil, first, last, nil
	}
	if n > maxActivityPeriods {
		return nil, first, last, workflows.Errorf(workflows.EINVALID, "at most %d periods at once, not %d", maxActivityPeriods, n)
	}
	masks := map[int64]uint32{}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for i := range n {
		err := t.unitsBetween(bounds[i], bounds[i+1], team, func(unit, at int64) {
			masks[unit] |= 1 << i
			lo, hi = min(lo, at), max(hi, at)
		})
		if err != nil {
			return nil, first, last, err
		}
	}
	out := make([]workflows.Activity, n)
	for _, mask := range masks {
		for m := mask; m != 0; m &= m - 1 {
			i := bits.TrailingZeros32(m)
			out[i].Active++
			if i > 0 && mask&(1<<(i-1)) != 0 {
				out[i].Retained++
			}
		}
	}
	if team != 0 && len(masks) > 0 {
		first, last = time.UnixMilli(lo).UTC(), time.UnixMilli(hi).UTC()
	}
	return out, first, last, nil
}

// unitsBetween calls fn with the unit and time of every event in [from,
// to) of the team numbered team; with team 0, of every event, and at 0
// (the company-wide count needs no times, and reading one more column of
// ten million rows is not free).
func (t *Tx) unitsBetween(from, to time.Time, team int64, fn func(unit, at int64)) error {
	q, args := `SELECT unit, at FROM events WHERE at >= ? AND at < ? AND team = ?`, []any{from.UnixMilli(), to.UnixMilli(), team}
	if team == 0 {
		q, args = `SELECT unit FROM events WHERE at >= ? AND at < ?`, args[:2]
	}
	rows, err := t.query(q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var unit, at int64
	dest := []any{&unit, &at}
	if team == 0 {
		dest = dest[:1]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		fn(unit, at)
	}
	return rows.Err()
}

// EventSpan returns the times of the first and last events. Both are ends
// of the primary key, so this costs two index lookups.
func (t *Tx) EventSpan() (first, last time.Time, err error) {
	var lo, hi sql.NullInt64
	err = t.queryRow(`SELECT (SELECT MIN(at) FROM events), (SELECT MAX(at) FROM events)`).Scan(&lo, &hi)
	if err != nil {
		return first, last, fmt.Errorf("store: event span: %w", err)
	}
	if lo.Valid {
		first = time.UnixMilli(lo.Int64).UTC()
	}
	if hi.Valid {
		last = time.UnixMilli(hi.Int64).UTC()
	}
	return first, last, nil
}
