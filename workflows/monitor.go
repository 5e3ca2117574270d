package workflows

import (
	"slices"
	"strconv"
	"time"
)

// Data monitoring: the pulse watches the data experiments and reviews
// depend on. Each problem is an alert with a key; it is posted once when it
// appears, and once more when it clears, whatever number of pulses see it
// in between. A problem that clears and comes back is a new alert.

// DataAlertKind names what a data alert watches.
type DataAlertKind string

// Data alert kinds.
const (
	// AlertNoExposures: a running experiment got no new exposures for
	// settings.monitoring.no_exposures.
	AlertNoExposures DataAlertKind = "no-exposures"
	// AlertNoEvents: the event of one of a running experiment's metrics
	// stopped arriving (none for settings.monitoring.no_events).
	AlertNoEvents DataAlertKind = "no-events"
	// AlertKPIsMissing: KPIs of the month a review is about are still
	// missing 2 days before the review.
	AlertKPIsMissing DataAlertKind = "kpis-missing"
	// AlertSRM: a sample ratio mismatch. The SRM alert itself is an
	// SRMAlert; a DataAlert of this kind is the note that it cleared.
	AlertSRM DataAlertKind = "srm"
)

// Default monitoring periods.
const (
	DefaultNoExposures = 24 * time.Hour
	DefaultNoEvents    = 24 * time.Hour
	// kpiReminderLead is how long before the review missing KPIs are asked for.
	kpiReminderLead = 48 * time.Hour
)

// MonitorAlert is the state of one watched problem: open from OpenedAt
// until ClearedAt.
type MonitorAlert struct {
	Key       string
	OpenedAt  time.Time
	ClearedAt time.Time // zero while open
}

// Open reports whether the problem still stands.
func (a MonitorAlert) Open() bool { return !a.OpenedAt.IsZero() && a.ClearedAt.IsZero() }

// MonitorStore keeps alert states and reads the freshness of the data.
type MonitorStore interface {
	// MonitorAlert returns an alert's state; ENOTFOUND when it never opened.
	MonitorAlert(key string) (MonitorAlert, error)
	PutMonitorAlert(MonitorAlert) error
	// LastExposure returns the time of the experiment's latest exposure;
	// zero when it has none.
	LastExposure(experiment string) (time.Time, error)
	// EventSince reports whether an event of the name arrived at or after
	// since, and the latest one at or after from (zero when none).
	EventSince(name string, from, since time.Time) (last time.Time, recent bool, err error)
}

// DataAlert is an alert, or the note that it cleared, as a message.
type DataAlert struct {
	Kind DataAlertKind
	Team Team
	// Experiment is set for experiment alerts, which go to its thread.
	Experiment Experiment
	// Metric and Event name the metric whose event stopped (no-events).
	Metric Metric
	// Last is the latest exposure or event seen; zero when none ever was.
	Last time.Time
	// Period is how long without data makes the alert.
	Period time.Duration
	// Month, Missing, ReviewAt and Fix are for kpis-missing.
	Month    string
	Missing  []string
	ReviewAt time.Time
	Fix      string
	// Cleared is set on the note that the problem is over; OpenedAt is
	// when it began.
	Cleared  bool
	OpenedAt time.Time
	At       time.Time
}

// PayloadKind implements Content.
func (DataAlert) PayloadKind() PayloadKind { return KindDataAlert }

// raise opens the alert key unless it is open, and then posts msg.
func (s *Service) raise(tx Tx, key string, msg Message, a DataAlert) error {
	cur, err := tx.MonitorAlert(key)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return err
	}
	if cur.Open() {
		return nil
	}
	cur = MonitorAlert{Key: key, OpenedAt: tx.Now()}
	if err := tx.PutMonitorAlert(cur); err != nil {
		return err
	}
	msg.Key = "monitor:" + key + ":" + strconv.FormatInt(cur.OpenedAt.UnixMilli(), 10)
	a.At, a.OpenedAt = tx.Now(), cur.OpenedAt
	_, err = s.Enqueue(tx, msg, a)
	return err
}

// clearAlert clears the alert key if it is open, posting msg when post.
func (s *Service) clearAlert(tx Tx, key string, msg Message, a DataAlert, post bool) error {
	cur, err := tx.MonitorAlert(key)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if !cur.Open() {
		return nil
	}
	cur.ClearedAt = tx.Now()
	if err := tx.PutMonitorAlert(cur); err != nil {
		return err
	}
	if !post {
		return nil
	}
	msg.Key = "monitor:" + key + ":" + strconv.FormatInt(cur.OpenedAt.UnixMilli(), 10) + ":cleared"
	a.Cleared, a.OpenedAt, a.At = true, cur.OpenedAt, tx.Now()
	_, err = s.Enqueue(tx, msg, a)
	return err
}

// monitorExperiment watches a running experiment's data: its exposures and
// the events of its metrics. It runs in the pulse's transaction.
func (s *Service) monitorExperiment(tx Tx, team Team, e Experiment, settings Settings) error {
	if e.State != StateRunning || e.StartedAt.IsZero() {
		return nil
	}
	if e.Source != "" || team.Source != "" {
		// Its data lives in a warehouse, not in the tables watched here; a
		// source that cannot be read is said by the pulse (SourceDown).
		return nil
	}
	now := tx.Now()
	thread := Message{Op: OpPost, Channel: team.Channel, Parent: e.ThreadKey()}
	settings = settings.WithDefaults()

	last, err := tx.LastExposure(e.Key)
	if err != nil {
		return err
	}
	key := string(AlertNoExposures) + ":" + e.Key
	a := DataAlert{Kind: AlertNoExposures, Team: team, Experiment: e, Last: last, Period: settings.NoExposures}
	if stale(last, e.StartedAt, now, settings.NoExposures) {
		if err := s.raise(tx, key, thread, a); err != nil {
			return err
		}
	} else if err := s.clearAlert(tx, key, thread, a, true); err != nil {
		return err
	}

	var events []string
	for _, mk := range e.Metrics() {
		m, err := tx.Metric(mk)
		if ErrorCode(err) == ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		if m.Event == "" || slices.Contains(events, m.Event) {
			continue
		}
		events = append(events, m.Event)
		last, recent, err := tx.EventSince(m.Event, e.StartedAt, now.Add(-settings.NoEvents))
		if err != nil {
			return err
		}
		key := string(AlertNoEvents) + ":" + e.Key + ":" + m.Event
		a := DataAlert{Kind: AlertNoEvents, Team: team, Experiment: e, Metric: m, Last: last, Period: settings.NoEvents}
		if !recent && now.Sub(e.StartedAt) >= settings.NoEvents {
			if err := s.raise(tx, key, thread, a); err != nil {
				return err
			}
		} else if err := s.clearAlert(tx, key, thread, a, true); err != nil {
			return err
		}
	}
	return nil
}

// stale reports whether data last seen at last (zero: never) is older than
// period at now, for something that began at start.
func stale(last, start, now time.Time, period time.Duration) bool {
	if last.IsZero() {
		return now.Sub(start) >= period
	}
	return now.Sub(last) >= period
}

// monitorTeam reminds a team of KPIs still missing for the month its next
// review is about, from 2 days before the review until it posts.
func (s *Service) monitorTeam(tx Tx, team Team) error {
	loc, now := team.Location(), tx.Now()
	channel := Message{Op: OpPost, Channel: team.Channel}
	for _, month := range []string{PreviousMonth(now, loc), Month(now.In(loc))} {
		reviewAt := firstWeekday(monthStart(month, 1, loc))
		key := string(AlertKPIsMissing) + ":" + team.Key + ":" + month
		rec, err := reviewRecord(tx, team.Key, month)
		if err != nil {
			return err
		}
		// The review's day is shown at its noon, so that it reads as the
		// same day in every reader's time zone.
		a := DataAlert{Kind: AlertKPIsMissing, Team: team, Month: month, ReviewAt: reviewAt.Add(12 * time.Hour),
			Fix: "growthbot import kpis FILE"}
		if rec.MessageKey != "" || now.Before(reviewAt.Add(-kpiReminderLead)) || !now.Before(reviewAt.AddDate(0, 0, 1)) {
			// Not due, or the review is out: it shows what is missing itself.
			if err := s.clearAlert(tx, key, channel, a, false); err != nil {
				return err
			}
			continue
		}
		if a.Missing, err = missingKPIs(tx, team.Key, month, loc); err != nil {
			return err
		}
		if len(a.Missing) > 0 {
			err = s.raise(tx, key, channel, a)
		} else {
			err = s.clearAlert(tx, key, channel, a, true)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// missingKPIs returns the display names of the KPIs the team sent for any
// of the three months before month but not for month.
func missingKPIs(tx Tx, team, month string, loc *time.Location) ([]string, error) {
	points, err := tx.KPIs(team, Month(monthStart(month, -3, loc)), month+"-99")
	if err != nil {
		return nil, err
	}
	before, now := map[string]bool{}, map[string]bool{}
	for _, p := range points {
		if p.Period[:7] == month {
			now[p.Name] = true
		} else {
			before[p.Name] = true
		}
	}
	var out []string
	for _, d := range KPIVocabulary {
		if before[d.Name] && !now[d.Name] {
			out = append(out, d.Label)
		}
	}
	for name := range before {
		if !now[name] && KPIDefinition(name).Label == name && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out[len(out)-countOther(out):])
	return out, nil
}

// countOther counts the names at the end of out that are not in the
// vocabulary: those are sorted after the vocabulary's.
func countOther(out []string) int {
	n := 0
	for _, name := range out {
		if !slices.ContainsFunc(KPIVocabulary, func(d KPIDef) bool { return d.Label == name }) {
			n++
		}
	}
	return n
}
