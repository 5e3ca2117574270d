package workflows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Team is a product team: it owns experiments, has a Slack channel where its
// scorecards and reviews are posted, and approvers who settle decisions the
// data does not settle.
type Team struct {
	Key       string
	Name      string
	Channel   string   // Slack channel id, e.g. C0CHECKOUT
	Lead      string   // Slack user id of the team lead
	Approvers []string // Slack user ids who may approve decisions
	Members   []string // Slack user ids who may request decisions
	Timezone  string   // IANA name; schedules run in it

	// Framework is the default decision framework of the team's experiments.
	Framework string
	// RequiredApprovals is how many approvers, other than the requester, must
	// approve a decision the framework does not recommend.
	RequiredApprovals int
	Targets           Targets
	Webhook           Webhook
	// Source is the default source of the team's experiments; empty for
	// the embedded store.
	Source string
	// Holdout keeps a share of the team's units out of all its experiments
	// and rollouts, shipped ones included.
	Holdout Holdout
	// Events are the events that belong to the team when they do not say
	// (teams[].events in the config): its computed KPIs count them.
	Events EventMatch
}

// EventMatch picks a team's events by name, or by the start of the unit
// id (an id like "org-acme-42" can say whose unit it is).
type EventMatch struct {
	Names        []string `json:",omitempty"`
	UnitPrefixes []string `json:",omitempty"`
}

// Empty reports whether the match picks nothing.
func (m EventMatch) Empty() bool { return len(m.Names) == 0 && len(m.UnitPrefixes) == 0 }

// EventTeams attributes events to teams: an event's name first, then the
// longest unit prefix that matches. A name or prefix two teams claim goes
// to the first by key (apply refuses a file that does this).
type EventTeams struct {
	keys     []string
	names    map[string]string
	prefixes []teamPrefix // longest first
}

type teamPrefix struct{ prefix, team string }

// NewEventTeams returns the attribution of the teams' event matches.
func NewEventTeams(teams []Team) EventTeams {
	sorted := slices.Clone(teams)
	slices.SortFunc(sorted, func(a, b Team) int { return strings.Compare(a.Key, b.Key) })
	et := EventTeams{names: map[string]string{}}
	for _, t := range sorted {
		et.keys = append(et.keys, t.Key)
		for _, n := range t.Events.Names {
			if _, taken := et.names[n]; !taken {
				et.names[n] = t.Key
			}
		}
		for _, p := range t.Events.UnitPrefixes {
			if !slices.ContainsFunc(et.prefixes, func(tp teamPrefix) bool { return tp.prefix == p }) {
				et.prefixes = append(et.prefixes, teamPrefix{p, t.Key})
			}
		}
	}
	slices.SortStableFunc(et.prefixes, func(a, b teamPrefix) int { return len(b.prefix) - len(a.prefix) })
	return et
}

// Attribute returns the team of an event that names none; empty when no
// team's match picks it.
func (et EventTeams) Attribute(name, unit string) string {
	if team, ok := et.names[name]; ok {
		return team
	}
	for _, tp := range et.prefixes {
		if strings.HasPrefix(unit, tp.prefix) {
			return tp.team
		}
	}
	return ""
}

// Holdout is a share of units that get the control of every experiment of
// a team, from Start until End: the baseline that shows the cumulative
// impact of everything the team shipped.
type Holdout struct {
	Share      float64
	Start, End time.Time // End is exclusive
}

// Active reports whether the holdout applies at now.
func (h Holdout) Active(now time.Time) bool {
	return h.Share > 0 && !now.Before(h.Start) && now.Before(h.End)
}

// HoldoutExperiment is the key under which a team's holdout records
// exposures: "holdout:TEAM", which no experiment key can be. Its variants
// are "holdout" and "rest".
func HoldoutExperiment(team string) string { return holdoutPrefix + team }

const holdoutPrefix = "holdout:"

// Contains reports whether unit is in the team's holdout share (whether or
// not the holdout is active): bucket("holdout:" + TEAM, UNIT) < share.
func (h Holdout) Contains(team, unit string) bool {
	return bucketOf(holdoutPrefix, team, ":", unit) < h.Share
}

// Targets are the team's growth-review targets.
type Targets struct {
	MRRGrowth float64 // month-over-month MRR growth, as a fraction (0.05 = 5 %)
	NPS       float64
}

// Webhook receives every decision of the team as a signed JSON POST.
type Webhook struct {
	URL string
	// SecretEnv names the environment variable holding the HMAC secret, so that
	// secrets never live in the config file.
	SecretEnv string
}

// Default team settings.
const (
	DefaultTimezone  = "UTC"
	DefaultFramework = "clear-signals"
)

// IsMember reports whether user belongs to the team in any role.
func (t Team) IsMember(user string) bool {
	return user != "" && (user == t.Lead || slices.Contains(t.Members, user) || slices.Contains(t.Approvers, user))
}

// People returns everyone in the team, in any role, once each: the lead,
// then approvers, then members.
func (t Team) People() []string {
	var out []string
	for _, u := range append(append([]string{t.Lead}, t.Approvers...), t.Members...) {
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// TooBig reports whether the team has more people than the settings'
// max_team_size: small teams of at most six decide fast (seed "Product
// management is broken"). The limit is advice, never enforced.
func (t Team) TooBig(s Settings) bool { return len(t.People()) > s.WithDefaults().MaxTeamSize }

// SizeWarning says that the team is over the size limit, naming it, or ""
// when it is not.
func (t Team) SizeWarning(s Settings) string {
	if !t.TooBig(s) {
		return ""
	}
	return fmt.Sprintf("team %s has %d people (lead, approvers and members), more than settings.max_team_size of %d: small teams decide faster; consider splitting it",
		t.Key, len(t.People()), s.WithDefaults().MaxTeamSize)
}

// IsApprover reports whether user may approve the team's decisions.
func (t Team) IsApprover(user string) bool {
	return user != "" && slices.Contains(t.Approvers, user)
}

// Location returns the team's time zone, UTC when unset or unknown.
func (t Team) Location() *time.Location {
	if t.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(t.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Teams returns every team.
func (s *Service) Teams(ctx context.Context) ([]Team, error) {
	var out []Team
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Teams()
		return err
	})
	return out, err
}

// DefaultTeam returns the team a command that names none is about: the
// first team the user belongs to. Errors: EINVALID, listing the teams, when
// the user is in none.
func (s *Service) DefaultTeam(ctx context.Context, user string) (string, error) {
	teams, err := s.Teams(ctx)
	if err != nil {
		return "", err
	}
	var all []string
	for _, t := range teams {
		if t.IsMember(user) {
			return t.Key, nil
		}
		all = append(all, t.Key)
	}
	return "", Errorf(EINVALID, "you are not in any team, so name one (teams: %s)", strings.Join(all, ", "))
}
