package workflows_test

import (
	"testing"

	"github.com/growthbot/growthbot/workflows"
)

func TestEventTeamsAttribute(t *testing.T) {
	teams := workflows.NewEventTeams([]workflows.Team{
		{Key: "onboarding", Events: workflows.EventMatch{Names: []string{"activated", "purchase"}, UnitPrefixes: []string{"org-"}}},
		{Key: "checkout", Events: workflows.EventMatch{Names: []string{"purchase"}, UnitPrefixes: []string{"org-shop-"}}},
		{Key: "growth"},
	})
	tests := []struct{ name, unit, want string }{
		{"activated", "u1", "onboarding"},
		{"purchase", "org-1", "checkout"},         // a name two teams claim: the first by key
		{"page_view", "org-shop-7", "checkout"},   // the longest prefix
		{"page_view", "org-42", "onboarding"},     // a shorter one
		{"page_view", "shop-org-1", ""},           // a prefix, not a substring
		{"activated", "org-shop-7", "onboarding"}, // the name before the unit
		{"page_view", "u2", ""},
	}
	for _, tc := range tests {
		if got := teams.Attribute(tc.name, tc.unit); got != tc.want {
			t.Errorf("Attribute(%q, %q) = %q, want %q", tc.name, tc.unit, got, tc.want)
		}
	}
}
