package workflows

import (
	"context"
	"regexp"
	"time"
)

// KPIPoint is one value of one of a team's business numbers for a period:
// a month (YYYY-MM) or a day (YYYY-MM-DD).
type KPIPoint struct {
	Team   string
	Name   string
	Period string
	Value  float64
}

var periodPattern = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$`)

// ParsePeriod checks a KPI period and returns the first instant it covers.
func ParsePeriod(p string) (time.Time, error) {
	if !periodPattern.MatchString(p) {
		return time.Time{}, Errorf(EINVALID, "period %q: use YYYY-MM or YYYY-MM-DD", p)
	}
	layout := "2006-01"
	if len(p) == len("2006-01-02") {
		layout = "2006-01-02"
	}
	t, err := time.Parse(layout, p)
	if err != nil {
		return time.Time{}, Errorf(EINVALID, "period %q is not a real date", p)
	}
	return t, nil
}

// Month returns the month t falls in, as YYYY-MM.
func Month(t time.Time) string { return t.Format("2006-01") }

// KPIs returns a team's KPI points for the months from..to (YYYY-MM),
// daily points included. Errors: ENOTFOUND for an unknown team.
func (s *Service) KPIs(ctx context.Context, team, from, to string) (Team, []KPIPoint, error) {
	var t Team
	var points []KPIPoint
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.Team(team); err != nil {
			return err
		}
		points, err = tx.KPIs(team, from, to+"-99")
		return err
	})
	return t, points, err
}
