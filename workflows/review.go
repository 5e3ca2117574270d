package workflows

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/growthbot/growthbot/stats"
)

// KPI names: the vocabulary growth reviews read. Teams send them with
// `growthbot import kpis` or the API, per month (YYYY-MM) or per day
// (YYYY-MM-DD); active_users and retention are also computed from events.
const (
	KPIMRR             = "mrr"
	KPINewMRR          = "new_mrr"
	KPIExpansionMRR    = "expansion_mrr"
	KPIChurnedMRR      = "churned_mrr"
	KPIPayingCustomers = "paying_customers"
	KPIActiveUsers     = "active_users"
	KPINewUsers        = "new_users"
	KPINewOrgs         = "new_orgs"
	KPIRetention       = "retention"
	KPINPS             = "nps"
	KPISupportTickets  = "support_tickets"
	// KPIChurnRate is derived: churned_mrr over the previous month's mrr.
	KPIChurnRate = "churn_rate"
)

// KPIUnit says how a KPI's value and its changes read.
type KPIUnit string

// KPI units.
const (
	// UnitCount is an amount; its changes are relative (+4.0 %).
	UnitCount KPIUnit = "count"
	// UnitShare is a fraction shown as a percent; its changes are in
	// percentage points, since a relative change of a rate misleads.
	UnitShare KPIUnit = "share"
	// UnitScore is a score such as NPS (-100..100); its changes are in points.
	UnitScore KPIUnit = "score"
)

// KPIRollup is how a month's value is made from daily points when the
// month itself has no value.
type KPIRollup int

// Rollups.
const (
	// RollupNone: daily values cannot be combined into a monthly one (a
	// month's active users are not the sum, nor the last, of daily ones).
	RollupNone KPIRollup = iota
	// RollupSum adds up a flow: new MRR, tickets.
	RollupSum
	// RollupLast takes the latest day of a level: MRR, customers, NPS.
	RollupLast
)

// KPIDef describes one KPI of the vocabulary.
type KPIDef struct {
	Name   string
	Label  string
	Unit   KPIUnit
	Rollup KPIRollup
}

// KPIVocabulary lists the KPIs reviews know, in the order they are shown.
// Other names may be imported; they are shown as counts under their name.
var KPIVocabulary = []KPIDef{
	{KPIMRR, "MRR", UnitCount, RollupLast},
	{KPINewMRR, "new MRR", UnitCount, RollupSum},
	{KPIExpansionMRR, "expansion MRR", UnitCount, RollupSum},
	{KPIChurnedMRR, "churned MRR", UnitCount, RollupSum},
	{KPIPayingCustomers, "paying customers", UnitCount, RollupLast},
	{KPIActiveUsers, "active users", UnitCount, RollupNone},
	{KPINewUsers, "new users", UnitCount, RollupSum},
	{KPINewOrgs, "new organisations", UnitCount, RollupSum},
	{KPIRetention, "retention", UnitShare, RollupNone},
	{KPINPS, "NPS", UnitScore, RollupLast},
	{KPISupportTickets, "support tickets", UnitCount, RollupSum},
}

var churnRateDef = KPIDef{KPIChurnRate, "revenue churn rate", UnitShare, RollupNone}

// KPIDefinition returns the definition of a KPI name; a name outside the
// vocabulary is a count labelled with its name.
func KPIDefinition(name string) KPIDef {
	if name == KPIChurnRate {
		return churnRateDef
	}
	for _, d := range KPIVocabulary {
		if d.Name == name {
			return d
		}
	}
	return KPIDef{Name: name, Label: name, Unit: UnitCount, Rollup: RollupNone}
}

// KPISource says where a value came from, which the digest shows so that
// readers know what they look at.
type KPISource string

// KPI sources.
const (
	SourceImported KPISource = "imported"
	SourceDaily    KPISource = "daily"  // rolled up from daily points
	SourceEvents   KPISource = "events" // computed from the events table
	// SourceTeamEvents: computed from the events attributed to the team.
	SourceTeamEvents KPISource = "team-events"
	SourceDerived    KPISource = "derived"
)

// KPIValue is one KPI in one month. A value that is not Known is missing:
// it is never shown as a zero.
type KPIValue struct {
	Name   string
	Month  string
	Value  float64
	Known  bool
	Source KPISource
	// Partial is set when the value covers only part of the month; Note
	// says which part ("20 of 31 days", "events end 24 Oct").
	Partial bool
	Note    string
}

// MissingData says which number a section lacks and the command that
// provides it.
type MissingData struct {
	Label string
	Month string
	// Needs lists the inputs a derived number lacks ("mrr for 2026-09").
	Needs []string
	// Fix is the command that sends the number ("growthbot import kpis").
	Fix string
	// FromEvents is set when growthbot can compute the number from events
	// instead (growthbot import events).
	FromEvents bool
}

// Headline is one of the digest's headline numbers with its changes
// against last month and against the average of the three months before.
// Changes are relative for counts and differences for shares and scores.
type Headline struct {
	KPIDef
	Current  KPIValue
	Previous KPIValue
	// Average is the mean of the up to three months before, AverageMonths
	// of which had a value.
	Average       float64
	AverageMonths int
	MoM           float64
	HasMoM        bool
	VsAverage     float64
	HasVsAverage  bool
	// Target is set when the team has a target for this number.
	Target *TargetCheck
	// Missing is set when Current is not known.
	Missing *MissingData
}

// TargetCheck compares a number with the team's target: MoM growth for
// MRR, the score for NPS.
type TargetCheck struct {
	Target float64
	Actual float64
	Known  bool // false when the compared number is missing
	Met    bool
	Unit   KPIUnit
}

// Anomaly is a KPI that breaks from its own trend: its value is outside
// the prediction interval of a robust trend over the months before (see
// stats.TrendForecast). Steady growth is on trend, so it is not one.
// Review.Anomalies lists the farthest first.
type Anomaly struct {
	KPIDef
	Value float64
	// Expected is what the trend predicts, inside [Low, High] at
	// AnomalyLevel.
	Expected  float64
	Low, High float64
	// Growth is set when the trend is a steady growth rate rather than a
	// steady increment.
	Growth bool
	// Months is how many earlier months the trend was fitted to.
	Months  int
	Partial bool
}

// Margin is the interval's half-width: "expected about 320 ± 40".
func (a Anomaly) Margin() float64 { return (a.High - a.Low) / 2 }

// Breaks reports whether the value is outside the trend's interval.
func (a Anomaly) Breaks() bool { return a.Value < a.Low || a.Value > a.High }

// Above reports whether the value is above the trend.
func (a Anomaly) Above() bool { return a.Value > a.Expected }

// Distance is how far outside the interval the value is, in margins: the
// ranking of anomalies.
func (a Anomaly) Distance() float64 {
	if m := a.Margin(); m > 0 {
		return math.Abs(a.Value-a.Expected) / m
	}
	return math.Inf(1)
}

// Anomaly detection: a KPI needs at least AnomalyMinMonths values in the
// AnomalyWindow months before for a trend worth extrapolating. The value is
// an anomaly outside the trend's AnomalyLevel prediction interval.
const (
	AnomalyWindow    = 12
	AnomalyMinMonths = 6
	AnomalyLevel     = 0.99
	moversShown      = 3
	// moverMinChange leaves out KPIs that barely moved.
	moverMinChange = 0.01
)

// anomalyFloors are the least month-to-month noise a trend assumes, by
// unit: a KPI that was a perfect line so far still wobbles a little.
var anomalyFloors = map[KPIUnit]stats.TrendOptions{
	UnitCount: {MinRelScale: 0.03, Growth: true},
	UnitShare: {MinScale: 0.005},
	UnitScore: {MinScale: 1},
}

// TrendAnomaly judges value against the trend of the earlier values
// (prior[i] is months[i] months before the judged one, oldest first, as
// negative offsets). ok is false when there are too few earlier values.
func TrendAnomaly(def KPIDef, months []int, prior []float64, value float64) (Anomaly, bool) {
	if len(prior) < AnomalyMinMonths {
		return Anomaly{}, false
	}
	xs := make([]float64, len(months))
	for i, m := range months {
		xs[i] = float64(m)
	}
	opts := anomalyFloors[def.Unit]
	opts.Level = AnomalyLevel
	f, ok := stats.TrendForecast(xs, prior, 0, opts)
	if !ok {
		return Anomaly{}, false
	}
	return Anomaly{KPIDef: def, Value: value, Expected: f.Predicted, Low: f.Low, High: f.High, Growth: f.Growth,
		Months: len(prior)}, true
}

// Mover is a KPI with one of the month's largest relative changes.
type Mover struct {
	KPIDef
	Value    float64
	Previous float64
	Change   float64 // relative
	Partial  bool
}

// Impact is the measured effect of one experiment shipped in the month:
// the lift of its first primary metric, for the shipped variant, in its
// last scorecard before the decision.
type Impact struct {
	Experiment Experiment
	Metric     string
	MetricName string
	Lift       float64
	Low, High  float64
	Measured   bool
	// Reason says why an impact is not measured.
	Reason string
}

// ImpactTotal sums the impacts on one metric. Relative lifts of different
// experiments on different populations do not add up exactly, so the sum
// and its interval (the intervals' half-widths combined as independent
// normal errors) are an approximation, and say so.
type ImpactTotal struct {
	Metric      string
	MetricName  string
	Lift        float64
	Low, High   float64
	Experiments int
}

// ReviewExperiments is the month's experiments of a team.
type ReviewExperiments struct {
	Started []Experiment
	Shipped []Experiment
	Killed  []Experiment
	// Running were running when the month ended (or are now, for a month
	// not over).
	Running []Experiment
	// WinRate is shipped / (shipped + killed); meaningless when Decided is 0.
	WinRate float64
	Decided int
	Impacts []Impact
	Totals  []ImpactTotal
}

// Empty reports whether nothing happened with experiments in the month.
func (x ReviewExperiments) Empty() bool {
	return len(x.Started)+len(x.Shipped)+len(x.Killed)+len(x.Running) == 0
}

// TrendPoint is one month of the chart's KPI trends.
type TrendPoint struct {
	Month       string
	MRR         KPIValue
	ActiveUsers KPIValue
	Retention   KPIValue
	NPS         KPIValue
}

// Course is the team lead's decision in a growth review.
type Course string

// Courses.
const (
	CourseStay   Course = "stay"
	CourseChange Course = "change"
)

// ReviewRecord is what growthbot remembers of a team's review of a month:
// where it was posted and what the lead decided.
type ReviewRecord struct {
	Team  string
	Month string
	// MessageKey is the outbox key of the latest posted digest parent, the
	// message a decision updates.
	MessageKey string
	PostedAt   time.Time
	Course     Course // empty until decided
	Changes    string // what changes, for CourseChange
	DecidedBy  string
	DecidedAt  time.Time
}

// Decided reports whether the lead has decided.
func (r ReviewRecord) Decided() bool { return r.Course != "" }

// Activity is the event activity of one period.
type Activity struct {
	// Active counts distinct units with any event in the period.
	Active int64
	// Retained counts the units active both in this period and in the one
	// before; 0 for the first period asked.
	Retained int64
}

// ReviewStore keeps reviews and computes KPIs from events.
type ReviewStore interface {
	// ReviewRecord returns the team's review of a month; ENOTFOUND before
	// it was first posted.
	ReviewRecord(team, month string) (ReviewRecord, error)
	// PutReviewRecord inserts or replaces the review of its team and month.
	PutReviewRecord(ReviewRecord) error
	// MonthlyActivity returns the activity of each period [bounds[i],
	// bounds[i+1]): len(bounds)-1 periods, in order.
	MonthlyActivity(bounds []time.Time) ([]Activity, error)
	// EventSpan returns the times of the first and the last event; zero
	// times when there are none.
	EventSpan() (first, last time.Time, err error)
	// TeamActivity returns, for the events attributed to team (Event.Team),
	// the activity of each period as MonthlyActivity does for all events,
	// with the times of the first and last of them in the periods; zero
	// when the team has no event in them.
	TeamActivity(team string, bounds []time.Time) (TeamActivity, error)
}

// TeamActivity is the activity of a team's own events over periods.
type TeamActivity struct {
	Activity    []Activity
	First, Last time.Time
}

// Review is a team's monthly growth review: the numbers, what moved, the
// experiments, the quarter's goals and the decision.
type Review struct {
	Team    Team
	Month   string    // YYYY-MM
	Start   time.Time // the month's first instant in the team's time zone
	End     time.Time // the next month's first instant
	Quarter string    // the quarter the month is in: its goals are shown
	AsOf    time.Time
	// Partial is set when any number covers only part of the month, or the
	// month is not over; PartialNotes say why.
	Partial      bool
	PartialNotes []string
	// Computed is set when a number comes from events rather than imports.
	Computed bool
	// Previous is last month's review when its lead decided; Record is this
	// month's so far.
	Previous  *ReviewRecord
	Record    ReviewRecord
	Headlines []Headline
	// KPIs has a row for every KPI of the month, the vocabulary's included
	// when they have no data.
	KPIs      []Headline
	Anomalies []Anomaly
	Movers    []Mover
	// Baselines counts the KPIs with enough history to detect anomalies.
	Baselines   int
	Experiments ReviewExperiments
	// Program is the experiment program of the month and its quarter (to
	// the month's end), each beside the period before.
	Program Program
	Goals   []Goal
	Trend   []TrendPoint
	// Company is set when the team's computed active users and retention
	// count its own events: the company-wide figures of the month beside
	// them, the same in every team's review.
	Company *CompanyKPIs `json:",omitempty"`
	// Currency is settings.currency: the unit of MRR on the chart.
	Currency string `json:",omitempty"`
	// Holdout compares the team's holdout with everyone else; nil when the
	// team keeps none.
	Holdout *HoldoutComparison
}

// CompanyKPIs are the month's active users and retention computed from
// the events of every unit, with months in the company's time zone.
type CompanyKPIs struct {
	ActiveUsers KPIValue
	Retention   KPIValue
	Timezone    string
}

// Over reports whether the month had ended in the team's time zone when
// the review was assembled.
func (r Review) Over() bool { return !r.AsOf.Before(r.End) }

// HasTrend reports whether the chart has anything to draw.
func (r Review) HasTrend() bool {
	return slices.ContainsFunc(r.Trend, func(p TrendPoint) bool { return p.MRR.Known || p.ActiveUsers.Known })
}

// ReviewRef is the value review buttons carry: TEAM:YYYY-MM.
func ReviewRef(team, month string) string { return team + ":" + month }

// ParseReviewRef reads a button's TEAM:YYYY-MM.
func ParseReviewRef(ref string) (team, month string, err error) {
	team, month, ok := strings.Cut(ref, ":")
	if !ok || team == "" {
		return "", "", Errorf(EINVALID, "%q does not name a team's review (TEAM:YYYY-MM)", ref)
	}
	return team, month, checkMonth(month)
}

// ReviewKey is the outbox key of a team's digest parent for a month (its
// section replies add ":SECTION") and the subject of its audit entries.
func ReviewKey(team, month string) string { return "review:" + team + ":" + month }

// checkMonth validates a YYYY-MM month.
func checkMonth(month string) error {
	if _, err := ParsePeriod(month); err != nil || len(month) != len("2006-01") {
		return Errorf(EINVALID, "month %q: use YYYY-MM, like 2026-10", month)
	}
	return nil
}

// monthStart returns the first instant of a YYYY-MM month in loc, shifted
// by add months.
func monthStart(month string, add int, loc *time.Location) time.Time {
	t, _ := time.Parse("2006-01", month)
	return time.Date(t.Year(), t.Month()+time.Month(add), 1, 0, 0, 0, 0, loc)
}

// PreviousMonth returns the calendar month before the one now falls in,
// in loc: what a review posted now is about.
func PreviousMonth(now time.Time, loc *time.Location) string {
	local := now.In(loc)
	return Month(time.Date(local.Year(), local.Month()-1, 1, 0, 0, 0, 0, loc))
}

// reviewHistory is how many months before the reviewed one a review reads:
// the chart shows the reviewed month and the eleven before it, and the
// twelfth before gives the first charted month its last month.
const reviewHistory = 12

// Review assembles a team's review of a month (YYYY-MM; empty means the
// previous month in the team's time zone). A month not over yet is marked
// partial. Errors: ENOTFOUND for an unknown team, EINVALID for a malformed
// month or one that has not begun.
func (s *Service) Review(ctx context.Context, team, month string) (Review, error) {
	var rv Review
	err := s.Store.View(ctx, func(tx Tx) error {
		t, err := tx.Team(team)
		if err != nil {
			return err
		}
		if month == "" {
			month = PreviousMonth(s.Clock.Now(), t.Location())
		}
		rv, err = s.assembleReview(ctx, tx, t, month)
		return err
	})
	if err != nil {
		return rv, err
	}
	rv.Holdout, err = s.holdoutComparison(ctx, rv.Team, rv.End)
	return rv, err
}

// reviewInput is what a review is computed from; assembleReview reads it
// and buildReview, which is pure, computes.
type reviewInput struct {
	team  Team
	month string
	now   time.Time
	// company is the time zone of company-wide numbers: the month bounds
	// of active users and retention computed from events.
	company    *time.Location
	currency   string
	points     []KPIPoint
	activity   []Activity // months[0..12], every unit's events
	eventFirst time.Time
	eventLast  time.Time
	// own is the activity of the events attributed to the team; nil when
	// none are.
	own         *eventActivity
	experiments []Experiment
	snapshots   map[string]Snapshot // by experiment: the last before its decision
	goals       []Goal
	previous    *ReviewRecord
	record      ReviewRecord
	program     programInput
}

func (s *Service) assembleReview(ctx context.Context, tx Tx, t Team, month string) (Review, error) {
	if err := checkMonth(month); err != nil {
		return Review{}, err
	}
	loc, now := t.Location(), s.Clock.Now()
	if monthStart(month, 0, loc).After(now) {
		return Review{}, Errorf(EINVALID, "%s has not begun yet in %s, so it has no review", month, t.Location())
	}
	in := reviewInput{team: t, month: month, now: now}
	settings, err := tx.Settings()
	if err != nil {
		return Review{}, err
	}
	first := Month(monthStart(month, -reviewHistory, loc))
	if in.points, err = tx.KPIs(t.Key, first, month+"-99"); err != nil {
		return Review{}, err
	}
	in.company, in.currency = settings.Location(), settings.Currency
	if eventsNeeded(in.points, reviewHistory+1) {
		bounds := make([]time.Time, reviewHistory+2)
		for i := range bounds {
			bounds[i] = monthStart(month, i-reviewHistory, in.company)
		}
		var events activityStore = tx
		if t.Source != "" {
			// The team's computed KPIs come from its source.
			if events, err = s.sourceActivity(ctx, tx, t.Source); err != nil {
				return Review{}, err
			}
		}
		if in.activity, err = events.MonthlyActivity(bounds); err != nil {
			return Review{}, err
		}
		if in.eventFirst, in.eventLast, err = events.EventSpan(); err != nil {
			return Review{}, err
		}
		if t.Source == "" {
			own, err := tx.TeamActivity(t.Key, bounds)
			if err != nil {
				return Review{}, err
			}
			if !own.First.IsZero() {
				in.own = &eventActivity{activity: own.Activity, first: own.First, last: own.Last, source: SourceTeamEvents}
			}
		}
	}
	if in.experiments, err = tx.Experiments(ExperimentFilter{Team: t.Key}); err != nil {
		return Review{}, err
	}
	in.snapshots = map[string]Snapshot{}
	start, end := monthStart(month, 0, loc), monthStart(month, 1, loc)
	for _, e := range in.experiments {
		if e.State != StateShipped || !within(e.DecidedAt, start, end) {
			continue
		}
		snap, err := snapshotBefore(tx, e, loc)
		if err == nil {
			in.snapshots[e.Key] = snap
		} else if ErrorCode(err) != ENOTFOUND {
			return Review{}, err
		}
	}
	if in.program, err = readProgram(tx, t); err != nil {
		return Review{}, err
	}
	if in.goals, err = tx.Goals(t.Key, Quarter(start)); err != nil {
		return Review{}, err
	}
	if in.record, err = reviewRecord(tx, t.Key, month); err != nil {
		return Review{}, err
	}
	prev, err := reviewRecord(tx, t.Key, Month(monthStart(month, -1, loc)))
	if err != nil {
		return Review{}, err
	}
	if prev.Decided() {
		in.previous = &prev
	}
	return buildReview(in), nil
}

// snapshotBefore returns the experiment's last scorecard taken before its
// decision: the decision day's, unless it was taken after the decision.
func snapshotBefore(tx Tx, e Experiment, loc *time.Location) (Snapshot, error) {
	day := e.DecidedAt.In(loc)
	snap, err := tx.LastSnapshot(e.Key, day.AddDate(0, 0, 1).Format(time.DateOnly), false)
	if err == nil && snap.At.After(e.DecidedAt) {
		return tx.LastSnapshot(e.Key, day.Format(time.DateOnly), false)
	}
	return snap, err
}

// eventsNeeded reports whether any of the months lacks an imported
// active_users or retention value, which then only events can give.
// Reading a year of events is the costly part of a review, and a team that
// imports both never needs it.
func eventsNeeded(points []KPIPoint, months int) bool {
	imported := map[string]int{}
	for _, p := range points {
		if len(p.Period) == len("2006-01") && (p.Name == KPIActiveUsers || p.Name == KPIRetention) {
			imported[p.Name]++
		}
	}
	return imported[KPIActiveUsers] < months || imported[KPIRetention] < months
}

// reviewRecord returns the stored review, or an empty one for a review not
// posted yet.
func reviewRecord(tx Tx, team, month string) (ReviewRecord, error) {
	r, err := tx.ReviewRecord(team, month)
	if ErrorCode(err) == ENOTFOUND {
		return ReviewRecord{Team: team, Month: month}, nil
	}
	return r, err
}

func within(t, start, end time.Time) bool {
	return !t.IsZero() && !t.Before(start) && t.Before(end)
}

// kpiTable holds every KPI of the months a review reads: months[0] is
// twelve months before the reviewed one, months[12] the reviewed one.
type kpiTable struct {
	months []string
	values map[string][]KPIValue
}

func (k kpiTable) at(name string, i int) KPIValue {
	if i < 0 || i >= len(k.months) {
		return KPIValue{Name: name}
	}
	if vs := k.values[name]; vs != nil {
		return vs[i]
	}
	return KPIValue{Name: name, Month: k.months[i]}
}

func buildReview(in reviewInput) Review {
	loc := in.team.Location()
	rv := Review{Team: in.team, Month: in.month, Start: monthStart(in.month, 0, loc), End: monthStart(in.month, 1, loc),
		AsOf: in.now, Previous: in.previous, Record: in.record, Goals: in.goals, Currency: in.currency}
	rv.Quarter = Quarter(rv.Start)
	k := buildKPITable(in)
	rv.Company = companyKPIs(in, k.months)
	cur := reviewHistory
	rv.Headlines = headlines(k, cur, in.team.Targets)
	rv.KPIs = allKPIRows(k, cur)
	rv.Anomalies, rv.Baselines = anomalies(k, cur)
	rv.Movers = movers(k, cur, rv.Anomalies)
	rv.Experiments = reviewExperiments(in, rv.Start, rv.End)
	asOf := in.now
	if asOf.After(rv.End) {
		asOf = rv.End
	}
	rv.Program = buildProgram(in.team, in.month, asOf, in.program)
	for i := 1; i <= reviewHistory; i++ {
		rv.Trend = append(rv.Trend, TrendPoint{Month: k.months[i], MRR: k.at(KPIMRR, i), ActiveUsers: k.at(KPIActiveUsers, i),
			Retention: k.at(KPIRetention, i), NPS: k.at(KPINPS, i)})
	}
	if !rv.Over() {
		rv.PartialNotes = append(rv.PartialNotes, fmt.Sprintf("%s is not over yet in %s", in.month, loc))
	}
	for _, name := range k.names() {
		v := k.at(name, cur)
		if v.Known && v.Partial && v.Note != "" {
			rv.PartialNotes = append(rv.PartialNotes, fmt.Sprintf("%s for %s: %s", KPIDefinition(name).Label, rv.Start.Format("January 2006"), v.Note))
		}
		rv.Computed = rv.Computed || v.Known && (v.Source == SourceEvents || v.Source == SourceTeamEvents)
	}
	rv.Partial = len(rv.PartialNotes) > 0
	return rv
}

// names returns the table's KPI names: the vocabulary's first, in its
// order, then the others sorted.
func (k kpiTable) names() []string {
	var out []string
	for _, d := range KPIVocabulary {
		if k.values[d.Name] != nil {
			out = append(out, d.Name)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(k.values)) {
		if !slices.Contains(out, n) && n != KPIChurnRate {
			out = append(out, n)
		}
	}
	return out
}

func buildKPITable(in reviewInput) kpiTable {
	loc := in.team.Location()
	k := kpiTable{values: map[string][]KPIValue{}}
	index := map[string]int{}
	for i := 0; i <= reviewHistory; i++ {
		m := Month(monthStart(in.month, i-reviewHistory, loc))
		k.months = append(k.months, m)
		index[m] = i
	}
	row := func(name string) []KPIValue {
		if k.values[name] == nil {
			vs := make([]KPIValue, len(k.months))
			for i, m := range k.months {
				vs[i] = KPIValue{Name: name, Month: m}
			}
			k.values[name] = vs
		}
		return k.values[name]
	}
	// Daily points, by name and month, in period order (the store sorts).
	type days struct {
		count int
		sum   float64
		last  float64
	}
	daily := map[string]map[int]*days{}
	for _, p := range in.points {
		i, ok := index[p.Period[:7]]
		if !ok {
			continue
		}
		if len(p.Period) == len("2006-01") {
			row(p.Name)[i] = KPIValue{Name: p.Name, Month: p.Period, Value: p.Value, Known: true, Source: SourceImported}
			continue
		}
		if daily[p.Name] == nil {
			daily[p.Name] = map[int]*days{}
		}
		d := daily[p.Name][i]
		if d == nil {
			d = &days{}
			daily[p.Name][i] = d
		}
		d.count++
		d.sum += p.Value
		d.last = p.Value
	}
	for name, byMonth := range daily {
		def := KPIDefinition(name)
		if def.Rollup == RollupNone {
			continue
		}
		for i, d := range byMonth {
			vs := row(name)
			if vs[i].Known {
				continue // a monthly value wins over daily ones
			}
			start := monthStart(k.months[i], 0, loc)
			total := start.AddDate(0, 1, -1).Day()
			v := KPIValue{Name: name, Month: k.months[i], Value: d.sum, Known: true, Source: SourceDaily,
				Note: fmt.Sprintf("daily values for %d of %d days", d.count, total)}
			if def.Rollup == RollupLast {
				v.Value = d.last
			}
			v.Partial = d.count < total
			vs[i] = v
		}
	}
	k.addComputed(in, row)
	k.addChurnRate(row)
	// Every value of a month not over is partial.
	for _, vs := range k.values {
		if last := &vs[len(vs)-1]; last.Known && in.now.Before(monthStart(in.month, 1, loc)) {
			last.Partial = true
		}
	}
	return k
}

// eventActivity is what computed KPIs come from: the events of every unit
// (company-wide), or those attributed to the team.
type eventActivity struct {
	activity    []Activity // months[0..12]
	first, last time.Time
	source      KPISource
}

// computedFrom returns the activity the team's computed KPIs count: its
// own events when any are attributed to it, else every unit's.
func (in reviewInput) computedFrom() eventActivity {
	if in.own != nil {
		return *in.own
	}
	return in.companyEvents()
}

func (in reviewInput) companyEvents() eventActivity {
	return eventActivity{activity: in.activity, first: in.eventFirst, last: in.eventLast, source: SourceEvents}
}

// addComputed fills active_users and retention from events where no value
// was imported. A month without any event has no value: no activity is not
// the same as no data. Month bounds are in the company's time zone, for a
// team's own events too, so that its figures and the company's compare.
func (k kpiTable) addComputed(in reviewInput, row func(string) []KPIValue) {
	ev := in.computedFrom()
	if len(ev.activity) != len(k.months) || ev.first.IsZero() {
		return
	}
	loc := in.company
	partial := make([]string, len(k.months))
	for i, m := range k.months {
		start, end := monthStart(m, 0, loc), monthStart(m, 1, loc)
		switch {
		case ev.first.After(start.AddDate(0, 0, 1)):
			partial[i] = "events begin " + DayText(ev.first.In(loc))
		case ev.last.Before(end.AddDate(0, 0, -1)):
			partial[i] = "events end " + DayText(ev.last.In(loc))
		}
	}
	for i, a := range ev.activity {
		if a.Active == 0 {
			continue
		}
		if vs := row(KPIActiveUsers); !vs[i].Known {
			vs[i] = KPIValue{Name: KPIActiveUsers, Month: k.months[i], Value: float64(a.Active), Known: true,
				Source: ev.source, Partial: partial[i] != "", Note: partial[i]}
		}
		if i == 0 || ev.activity[i-1].Active == 0 {
			continue
		}
		if vs := row(KPIRetention); !vs[i].Known {
			note := partial[i]
			if note == "" && partial[i-1] != "" {
				note = fmt.Sprintf("compares with %s, whose %s", monthStart(k.months[i-1], 0, loc).Format("January 2006"), partial[i-1])
			}
			vs[i] = KPIValue{Name: KPIRetention, Month: k.months[i], Value: float64(a.Retained) / float64(ev.activity[i-1].Active),
				Known: true, Source: ev.source, Partial: note != "", Note: note}
		}
	}
}

// companyKPIs computes the month's company-wide active users and
// retention from every unit's events, for a review whose own come from the
// team's events; nil otherwise.
func companyKPIs(in reviewInput, months []string) *CompanyKPIs {
	if in.own == nil {
		return nil
	}
	company := in
	company.own = nil
	k := kpiTable{months: months, values: map[string][]KPIValue{}}
	row := func(name string) []KPIValue {
		if k.values[name] == nil {
			vs := make([]KPIValue, len(months))
			for i, m := range months {
				vs[i] = KPIValue{Name: name, Month: m}
			}
			k.values[name] = vs
		}
		return k.values[name]
	}
	k.addComputed(company, row)
	c := &CompanyKPIs{ActiveUsers: k.at(KPIActiveUsers, reviewHistory), Retention: k.at(KPIRetention, reviewHistory),
		Timezone: in.company.String()}
	if in.now.Before(monthStart(in.month, 1, in.company)) {
		c.ActiveUsers.Partial = c.ActiveUsers.Partial || c.ActiveUsers.Known
		c.Retention.Partial = c.Retention.Partial || c.Retention.Known
	}
	return c
}

// addChurnRate derives the revenue churn rate: churned MRR over the
// previous month's MRR.
func (k kpiTable) addChurnRate(row func(string) []KPIValue) {
	for i := 1; i < len(k.months); i++ {
		churned, mrr := k.at(KPIChurnedMRR, i), k.at(KPIMRR, i-1)
		if !churned.Known || !mrr.Known || mrr.Value == 0 {
			continue
		}
		row(KPIChurnRate)[i] = KPIValue{Name: KPIChurnRate, Month: k.months[i], Value: churned.Value / mrr.Value, Known: true,
			Source: SourceDerived, Partial: churned.Partial || mrr.Partial, Note: cmp.Or(churned.Note, mrr.Note)}
	}
}

// change returns how cur differs from base in def's unit.
func change(unit KPIUnit, cur, base float64) (float64, bool) {
	if unit != UnitCount {
		return cur - base, true
	}
	if base == 0 {
		return 0, false
	}
	return cur/base - 1, true
}

// headlineKPIs are the digest's headline numbers, in order.
var headlineKPIs = []string{KPIMRR, KPIChurnRate, KPIActiveUsers, KPIRetention, KPINPS, KPISupportTickets}

func headlines(k kpiTable, cur int, targets Targets) []Headline {
	var out []Headline
	for _, name := range headlineKPIs {
		h := kpiRow(k, name, cur)
		if !h.Current.Known {
			h.Missing = missing(h.KPIDef, k.months[cur], k.months[cur-1])
		}
		switch {
		case name == KPIMRR && targets.MRRGrowth != 0:
			h.Target = &TargetCheck{Target: targets.MRRGrowth, Actual: h.MoM, Known: h.HasMoM, Met: h.HasMoM && h.MoM >= targets.MRRGrowth, Unit: UnitShare}
		case name == KPINPS && targets.NPS != 0:
			h.Target = &TargetCheck{Target: targets.NPS, Actual: h.Current.Value, Known: h.Current.Known,
				Met: h.Current.Known && h.Current.Value >= targets.NPS, Unit: UnitScore}
		}
		out = append(out, h)
	}
	return out
}

// allKPIRows returns a row for every KPI of the vocabulary, with or
// without data, so that readers see what is missing, then one for each
// other imported name.
func allKPIRows(k kpiTable, cur int) []Headline {
	var out []Headline
	for _, d := range KPIVocabulary {
		out = append(out, kpiRow(k, d.Name, cur))
	}
	for _, n := range k.names() {
		if !slices.ContainsFunc(KPIVocabulary, func(d KPIDef) bool { return d.Name == n }) {
			out = append(out, kpiRow(k, n, cur))
		}
	}
	return out
}

// kpiRow compares a KPI of month cur with the month before and with the
// average of the three before.
func kpiRow(k kpiTable, name string, cur int) Headline {
	h := Headline{KPIDef: KPIDefinition(name), Current: k.at(name, cur), Previous: k.at(name, cur-1)}
	sum := 0.0
	for i := cur - 3; i < cur; i++ {
		if v := k.at(name, i); v.Known {
			sum += v.Value
			h.AverageMonths++
		}
	}
	if h.AverageMonths > 0 {
		h.Average = sum / float64(h.AverageMonths)
	}
	if h.Current.Known && h.Previous.Known {
		h.MoM, h.HasMoM = change(h.Unit, h.Current.Value, h.Previous.Value)
	}
	if h.Current.Known && h.AverageMonths > 0 {
		h.VsAverage, h.HasVsAverage = change(h.Unit, h.Current.Value, h.Average)
	}
	return h
}

// missing says what a missing headline number needs.
func missing(def KPIDef, month, prev string) *MissingData {
	m := &MissingData{Label: def.Label, Month: month, Fix: "growthbot import kpis"}
	switch def.Name {
	case KPIChurnRate:
		m.Needs = []string{KPIChurnedMRR + " for " + month, KPIMRR + " for " + prev}
	case KPIActiveUsers, KPIRetention:
		m.FromEvents = true
	}
	return m
}

// anomalies finds the KPIs of month cur that break from the trend of the
// AnomalyWindow months before. It also returns how many KPIs had enough
// history to be judged.
func anomalies(k kpiTable, cur int) ([]Anomaly, int) {
	var out []Anomaly
	baselines := 0
	for _, name := range append(k.names(), KPIChurnRate) {
		v := k.at(name, cur)
		if !v.Known {
			continue
		}
		var months []int
		var prior []float64
		for i := cur - AnomalyWindow; i < cur; i++ {
			if p := k.at(name, i); p.Known && !p.Partial {
				months, prior = append(months, i-cur), append(prior, p.Value)
			}
		}
		a, ok := TrendAnomaly(KPIDefinition(name), months, prior, v.Value)
		if !ok {
			continue
		}
		baselines++
		if !a.Breaks() {
			continue
		}
		a.Partial = v.Partial
		out = append(out, a)
	}
	// The farthest first: a summary that has room for a few shows those.
	slices.SortStableFunc(out, func(a, b Anomaly) int { return -cmp.Compare(a.Distance(), b.Distance()) })
	return out, baselines
}

// movers returns the KPIs with the largest relative change from last
// month, the anomalies left out since they have a line of their own.
func movers(k kpiTable, cur int, skip []Anomaly) []Mover {
	var out []Mover
	for _, name := range append(k.names(), KPIChurnRate) {
		if slices.ContainsFunc(skip, func(a Anomaly) bool { return a.Name == name }) {
			continue
		}
		v, p := k.at(name, cur), k.at(name, cur-1)
		if !v.Known || !p.Known || p.Value == 0 {
			continue
		}
		if c := v.Value/p.Value - 1; math.Abs(c) >= moverMinChange {
			out = append(out, Mover{KPIDef: KPIDefinition(name), Value: v.Value, Previous: p.Value, Change: c, Partial: v.Partial})
		}
	}
	slices.SortStableFunc(out, func(a, b Mover) int { return -cmp.Compare(math.Abs(a.Change), math.Abs(b.Change)) })
	return out[:min(len(out), moversShown)]
}

func reviewExperiments(in reviewInput, start, end time.Time) ReviewExperiments {
	var x ReviewExperiments
	var measured []Impact
	for _, e := range in.experiments {
		if within(e.StartedAt, start, end) {
			x.Started = append(x.Started, e)
		}
		decided := within(e.DecidedAt, start, end)
		switch {
		case decided && e.State == StateShipped:
			x.Shipped = append(x.Shipped, e)
			im := impact(e, in.snapshots)
			x.Impacts = append(x.Impacts, im)
			if im.Measured {
				measured = append(measured, im)
			}
		case decided && e.State == StateKilled:
			x.Killed = append(x.Killed, e)
		}
		if !e.StartedAt.IsZero() && e.StartedAt.Before(end) && (e.DecidedAt.IsZero() || !e.DecidedAt.Before(end)) &&
			e.State != StateDraft {
			x.Running = append(x.Running, e)
		}
	}
	x.Decided = len(x.Shipped) + len(x.Killed)
	if x.Decided > 0 {
		x.WinRate = float64(len(x.Shipped)) / float64(x.Decided)
	}
	x.Totals = sumImpacts(measured)
	return x
}

// sumImpacts sums measured impacts per metric, in metric order; the
// intervals' half-widths combine as independent normal errors.
func sumImpacts(impacts []Impact) []ImpactTotal {
	totals := map[string]*ImpactTotal{}
	variances := map[string]float64{}
	for _, im := range impacts {
		t := totals[im.Metric]
		if t == nil {
			t = &ImpactTotal{Metric: im.Metric, MetricName: im.MetricName}
			totals[im.Metric] = t
		}
		t.Lift += im.Lift
		t.Experiments++
		se := (im.High - im.Low) / (2 * 1.96)
		variances[im.Metric] += se * se
	}
	var out []ImpactTotal
	for _, key := range slices.Sorted(maps.Keys(totals)) {
		t := totals[key]
		half := 1.96 * math.Sqrt(variances[key])
		t.Low, t.High = t.Lift-half, t.Lift+half
		out = append(out, *t)
	}
	return out
}

func impact(e Experiment, snapshots map[string]Snapshot) Impact {
	im := Impact{Experiment: e}
	if len(e.PrimaryMetrics) == 0 {
		im.Reason = "it has no primary metric"
		return im
	}
	im.Metric, im.MetricName = e.PrimaryMetrics[0], e.PrimaryMetrics[0]
	snap, ok := snapshots[e.Key]
	if !ok {
		im.Reason = "no scorecard was recorded before the decision"
		return im
	}
	r, ok := snap.Scorecard.Result(im.Metric, e.Winner)
	if !ok || r.Problem != "" {
		im.Reason = cmp.Or(r.Problem, fmt.Sprintf("its last scorecard has no result for %s", e.Winner))
		return im
	}
	if r.Metric.Name != "" {
		im.MetricName = r.Metric.Name
	}
	im.Lift, im.Low, im.High, im.Measured = r.Lift, r.Low, r.High, true
	return im
}
