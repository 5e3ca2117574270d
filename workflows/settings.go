package workflows

import "time"

// Settings are service-wide settings from the config file's settings section.
// Zero values mean the defaults below.
type Settings struct {
	// Schedules are cron specs (five fields), run in each team's time zone.
	PulseSchedule    string
	RolloutsSchedule string
	DigestSchedule   string
	// WeeklySchedule posts the weekly async update to each team channel;
	// its day of the week is the update's weekday.
	WeeklySchedule string
	// MinSamplePerArm is the number of units each arm needs before anything
	// is labelled significant (peeking discipline, with the min days).
	MinSamplePerArm int64
	// PulseCadenceDays: a scorecard reply is posted at least this often even
	// when nothing material changed.
	PulseCadenceDays int
	// SequentialTuning is N*, the sample size the confidence sequences are
	// tightest at.
	SequentialTuning float64
	// MaxTeamSize is the most people a team should have; apply warns, and
	// App Home shows, when a team has more.
	MaxTeamSize int
	// Timezone is the company's time zone (IANA name): company-wide
	// numbers, such as active users and retention computed from the events
	// of every unit, take their month bounds in it, so that every team's
	// review shows the same figure.
	Timezone string
	// Currency is the ISO 4217 code money KPIs (MRR and its parts) are
	// in; charts name it on their axes. Empty: "money".
	Currency string `json:",omitempty"`
	// NoExposures and NoEvents are how long a running experiment may go
	// without a new exposure, or one of its metrics without its event,
	// before the pulse alerts in its thread.
	NoExposures time.Duration
	NoEvents    time.Duration
}

// Default settings.
const (
	DefaultPulseSchedule    = "0 9 * * *"
	DefaultRolloutsSchedule = "*/15 * * * *"
	// DefaultDigestSchedule is 09:00 on weekdays 1-3 of the month; the digest
	// job runs only on the month's first weekday.
	DefaultDigestSchedule = "0 9 1-3 * *"
	// DefaultWeeklySchedule is Mondays at 09:00.
	DefaultWeeklySchedule   = "0 9 * * 1"
	DefaultMinSamplePerArm  = 100
	DefaultPulseCadenceDays = 7
	DefaultSequentialTuning = 5000
	DefaultMaxTeamSize      = 6
)

// Location returns the company's time zone, UTC when unset or unknown.
func (s Settings) Location() *time.Location {
	return Team{Timezone: s.Timezone}.Location()
}

// WithDefaults returns s with every zero field set to its default.
func (s Settings) WithDefaults() Settings {
	if s.PulseSchedule == "" {
		s.PulseSchedule = DefaultPulseSchedule
	}
	if s.RolloutsSchedule == "" {
		s.RolloutsSchedule = DefaultRolloutsSchedule
	}
	if s.WeeklySchedule == "" {
		s.WeeklySchedule = DefaultWeeklySchedule
	}
	if s.DigestSchedule == "" {
		s.DigestSchedule = DefaultDigestSchedule
	}
	if s.MinSamplePerArm == 0 {
		s.MinSamplePerArm = DefaultMinSamplePerArm
	}
	if s.PulseCadenceDays == 0 {
		s.PulseCadenceDays = DefaultPulseCadenceDays
	}
	if s.MaxTeamSize == 0 {
		s.MaxTeamSize = DefaultMaxTeamSize
	}
	if s.NoExposures == 0 {
		s.NoExposures = DefaultNoExposures
	}
	if s.NoEvents == 0 {
		s.NoEvents = DefaultNoEvents
	}
	if s.Timezone == "" {
		s.Timezone = DefaultTimezone
	}
	if s.SequentialTuning == 0 {
		s.SequentialTuning = DefaultSequentialTuning
	}
	return s
}
