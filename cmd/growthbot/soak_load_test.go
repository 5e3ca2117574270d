//go:build load

package main

import (
	"testing"
)

// TestSoakMonth is the README's soak figure: 30 simulated days of 50
// running experiments in five teams, through the real wiring (see soak):
// every job on its schedule (rollouts every quarter hour, each team's pulse
// daily, the digest on the month's first weekday, weekly updates,
// housekeeping daily), 2,000 active units a day out of 50,000, each
// exposed to 5 experiments and sending 5 events (10,000 events a day), and
// 50 slash commands a day. Every tenth experiment is a phased rollout, so
// the rollouts job analyses them every quarter hour: that analysis, over
// all the events since they started, is most of the soak's time. It runs three databases side by side: without
// housekeeping, with it at the default periods, and with every period at 7
// days, and reports file sizes and each table's rows and bytes.
//
//	go test -tags load ./cmd/growthbot -run TestSoakMonth -v -timeout 90m -parallel 3
//
// Within 30 days the default periods (30 days for messages and job runs)
// have little to prune yet; the 7-day run shows the plateau.
// -run 'TestSoakMonth/(without|7-day)' runs two of the three.
// GROWTHBOT_SOAK_DAYS, GROWTHBOT_SOAK_ACTIVE (units a day) and
// GROWTHBOT_SOAK_EVENTS (events per active unit) change the size.
func TestSoakMonth(t *testing.T) {
	base := soakParams{days: envInt("GROWTHBOT_SOAK_DAYS", 30), teams: 5, experiments: 50, population: 50_000,
		activePerDay: envInt("GROWTHBOT_SOAK_ACTIVE", 2_000), experimentsPerUnit: 5,
		eventsPerUnit: envInt("GROWTHBOT_SOAK_EVENTS", 5), commandsPerDay: 50}
	week := "168h"
	for _, c := range []struct {
		name string
		hk   bool
		vars map[string]string
	}{
		{"without housekeeping", false, nil},
		{"housekeeping, default periods", true, nil},
		{"housekeeping, 7-day periods", true, map[string]string{envKeepMessages: week, envKeepJobRuns: week, envKeepSnapshots: week}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := base
			p.housekeeping, p.vars = c.hk, c.vars
			soak(t, t.TempDir(), p).report(t, c.name)
		})
	}
}
