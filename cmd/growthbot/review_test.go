package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// steadyKPICSV is 13 months of steadily growing KPIs for a team, ending
// with last month, with the last month's support tickets doubled when
// spike.
func steadyKPICSV(team, last string, spike bool) string {
	wobble := []float64{0.01, -0.02, 0.015, 0, -0.01, 0.02, -0.015, 0.005, -0.005, 0.01, -0.02, 0.015, 0.005}
	series := map[string]func(i int) float64{
		"mrr":              func(i int) float64 { return 100000 * math.Pow(1.06, float64(i)) },
		"churned_mrr":      func(i int) float64 { return 2000 * math.Pow(1.05, float64(i)) },
		"paying_customers": func(i int) float64 { return 400 * math.Pow(1.04, float64(i)) },
		"active_users":     func(i int) float64 { return 5000 * math.Pow(1.05, float64(i)) },
		"new_users":        func(i int) float64 { return 900 * math.Pow(1.05, float64(i)) },
		"support_tickets":  func(i int) float64 { return 200 * math.Pow(1.04, float64(i)) },
		"nps":              func(i int) float64 { return 30 + 0.5*float64(i) },
		"retention":        func(i int) float64 { return 0.60 + 0.002*float64(i) },
	}
	end, _ := time.Parse("2006-01", last)
	var b strings.Builder
	b.WriteString("team,name,period,value\n")
	for name, f := range series {
		for i := range 13 {
			v := f(i) * (1 + wobble[i])
			if name == "retention" {
				v = f(i) + wobble[i]/5
			} else if name != "nps" {
				v = math.Round(v)
			}
			if spike && name == "support_tickets" && i == 12 {
				v *= 2.1
			}
			fmt.Fprintf(&b, "%s,%s,%s,%v\n", team, name, workflows.Month(end.AddDate(0, i-12, 0)), v)
		}
	}
	return b.String()
}

// TestReviewFlagsBreaksFromTrendOnly is the anomaly rule through the
// binary: KPIs imported with `growthbot import kpis`, the review posted
// to the channel with its button at the console, read back from the fake
// Slack. Steady growth flags nothing; a spike in support tickets is the
// one 🚨 line, by its display name.
func TestReviewFlagsBreaksFromTrendOnly(t *testing.T) {
	last := workflows.PreviousMonth(time.Now(), mustLoad(t, "Europe/Berlin"))
	for _, spike := range []bool{false, true} {
		t.Run(fmt.Sprintf("spike=%v", spike), func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "g.db")
			cfg := writeFile(t, dir, "g.yaml", string(templates.ExampleConfig()))
			if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
				t.Fatal(res)
			}
			kpis := writeFile(t, dir, "kpis.csv", steadyKPICSV("checkout", last, spike))
			if res := run(t, "", nil, "import", "kpis", kpis, "--db", db); res.code != 0 {
				t.Fatal(res)
			}
			script := "/growth review checkout " + last + "\nPost to channel\n:quit\n"
			res := run(t, script, nil, "console", "--db", db, "--files", dir, "--user", "U0LEAD")
			if res.code != 0 {
				t.Fatalf("console exit %d: %s", res.code, res.stderr)
			}
			_, posted, ok := strings.Cut(res.stdout, "── #C0CHECKOUT ──")
			if !ok || !strings.Contains(posted, "Headline numbers") {
				t.Fatalf("the review was not posted to the channel:\n%s", res.stdout)
			}
			sirens := strings.Count(posted, "🚨")
			switch {
			case !spike && (sirens != 0 || !strings.Contains(posted, "Every KPI is where the trend of its last 12 months put it")):
				t.Errorf("steady growth: %d 🚨 lines:\n%s", sirens, posted)
			case spike && sirens != 2: // the summary and the movers reply
				t.Errorf("spike: %d 🚨 lines, want 2 (summary and thread):\n%s", sirens, posted)
			case spike && !strings.Contains(posted, "🚨 Support tickets 676: expected about 320 ± 36 from the trend of 12 months"):
				t.Errorf("the spike is not named by its display name:\n%s", posted)
			case spike && !strings.Contains(posted, "1. What broke support tickets from its trend? 676 against about 320 ± 36 expected."):
				t.Errorf("the spike asks no question:\n%s", posted)
			}
		})
	}
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestCompanyRetentionIsTheSameForEveryTeam: retention computed from the
// events of every unit takes its month bounds in settings.timezone, so two
// teams in different time zones show the same figure. Events just before
// midnight UTC at a month's end fall in the next month in Berlin.
func TestCompanyRetentionIsTheSameForEveryTeam(t *testing.T) {
	now := time.Now().UTC()
	month := workflows.PreviousMonth(now.Add(-12*time.Hour), time.UTC) // over in Berlin and New York too
	start, _ := time.Parse("2006-01", month)
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", string(templates.ExampleConfig()))
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	var events strings.Builder
	event := func(unit string, at time.Time) {
		fmt.Fprintf(&events, "{\"unit_id\":%q,\"event\":\"page_view\",\"timestamp\":%q}\n", unit, at.Format(time.RFC3339))
	}
	for i := 1; i <= 10; i++ { // the month before: ten units
		event(fmt.Sprintf("u%d", i), start.AddDate(0, -1, 14))
	}
	for i := 1; i <= 5; i++ { // the month: five of them again
		event(fmt.Sprintf("u%d", i), start.AddDate(0, 0, 14))
	}
	for i := 6; i <= 8; i++ { // 23:30 UTC on the month before's last day: the month in Berlin
		event(fmt.Sprintf("u%d", i), start.Add(-30*time.Minute))
	}
	file := writeFile(t, dir, "events.ndjson", events.String())
	if res := run(t, "", nil, "import", "events", file, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	retention := map[string]string{}
	for _, team := range []struct{ key, lead string }{{"checkout", "U0LEAD"}, {"onboarding", "U0LEAD2"}} {
		res := run(t, "/growth review "+team.key+" "+month+"\n:quit\n", nil, "console", "--db", db, "--files", dir, "--user", team.lead)
		i := strings.Index(res.stdout, "Retention ")
		if res.code != 0 || i < 0 {
			t.Fatalf("review of %s: %+v", team.key, res)
		}
		retention[team.key], _, _ = strings.Cut(res.stdout[i:], " (")
	}
	if retention["checkout"] != "Retention 50%" || retention["onboarding"] != retention["checkout"] {
		t.Errorf("retention by team: %v; want 50%% for both (5 of 10 units, month bounds in UTC)", retention)
	}
}

// teamEventsConfig has two teams in different time zones whose events
// are told apart: checkout's by their name, onboarding's by the start of
// their unit ids.
const teamEventsConfig = `
teams:
  - {key: checkout, name: Checkout, channel: C0CHECKOUT, lead: U0LEAD, approvers: [U0LEAD], timezone: Europe/Berlin,
     events: {names: [checkout_view]}}
  - {key: onboarding, name: Onboarding, channel: C0ONBOARD, lead: U0LEAD2, approvers: [U0LEAD2], timezone: America/New_York,
     events: {unit_prefixes: [onb-]}}
settings:
  timezone: UTC
`

// TestTeamEventsGiveTeamKPIs: events imported with `growthbot import
// events` belong to a team by their own team column (NDJSON or CSV), or by
// the team's teams[].events in the config (an event name, a unit prefix).
// Each team's review (`/growth review` at the console) then shows active
// users and retention from its own events, and, beside them, the
// company-wide figures from every event, the same for both. An event
// naming a team that does not exist is refused by its line.
func TestTeamEventsGiveTeamKPIs(t *testing.T) {
	now := time.Now().UTC()
	month := workflows.PreviousMonth(now.Add(-12*time.Hour), time.UTC) // over in Berlin and New York too
	start, _ := time.Parse("2006-01", month)
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", teamEventsConfig), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	var ndjson strings.Builder
	event := func(unit, name, team string, at time.Time) {
		fmt.Fprintf(&ndjson, `{"unit_id":%q,"event":%q,"timestamp":%q`, unit, name, at.Format(time.RFC3339))
		if team != "" {
			fmt.Fprintf(&ndjson, `,"team":%q`, team)
		}
		ndjson.WriteString("}\n")
	}
	before, during := start.AddDate(0, -1, 10), start.AddDate(0, 0, 10)
	// Checkout: c1..c4 last month by name, c1, c2 again this month; x1 and
	// x2 this month by their team column.
	for i := 1; i <= 4; i++ {
		event(fmt.Sprintf("c%d", i), "checkout_view", "", before)
	}
	for i := 1; i <= 2; i++ {
		event(fmt.Sprintf("c%d", i), "checkout_view", "", during)
	}
	// Onboarding: onb-1..onb-5 last month by prefix; onb-1..onb-4 again and
	// onb-9 new this month.
	for i := 1; i <= 5; i++ {
		event(fmt.Sprintf("onb-%d", i), "page_view", "", before)
	}
	for _, i := range []int{1, 2, 3, 4, 9} {
		event(fmt.Sprintf("onb-%d", i), "page_view", "", during)
	}
	// Nobody's: u1..u3 last month, u1 this month.
	for i := 1; i <= 3; i++ {
		event(fmt.Sprintf("u%d", i), "page_view", "", before)
	}
	event("u1", "page_view", "", during)
	csv := fmt.Sprintf("unit_id,event,timestamp,team\nx1,page_view,%s,checkout\nx2,page_view,%s,checkout\nu3,page_view,%s,\n",
		during.Format(time.RFC3339), during.Format(time.RFC3339), during.Format(time.RFC3339))
	for name, data := range map[string]string{"events.ndjson": ndjson.String(), "events.csv": csv} {
		if res := run(t, "", nil, "import", "events", writeFile(t, dir, name, data), "--db", db); res.code != 0 {
			t.Fatalf("import %s: %+v", name, res)
		}
	}
	bad := writeFile(t, dir, "bad.csv", "unit_id,event,timestamp,team\nx3,page_view,"+during.Format(time.RFC3339)+",onboardin\n")
	if res := run(t, "", nil, "import", "events", bad, "--db", db); res.code == 0 ||
		!strings.Contains(res.stderr, `bad.csv:2:4: team "onboardin" does not exist (did you mean "onboarding"?)`) {
		t.Errorf("an unknown team: %+v", res)
	}

	// Company-wide: 4 + 5 + 3 = 12 units last month; this month c1, c2,
	// onb-1..4, onb-9, u1, x1, x2, u3 = 11, of whom 8 were active last
	// month (c1, c2, onb-1..4, u1, u3; not x1, x2, onb-9): 8/12 = 66.7%.
	// The data ends on the 11th, so the figures are partial.
	want := map[string]struct{ active, retention string }{
		"checkout":   {"4", "50%"}, // c1, c2, x1, x2; c1 and c2 of last month's 4
		"onboarding": {"5", "80%"}, // onb-1..4 and onb-9; 4 of last month's 5
	}
	company := map[string]string{}
	for team, w := range want {
		lead := map[string]string{"checkout": "U0LEAD", "onboarding": "U0LEAD2"}[team]
		res := run(t, "/growth review "+team+" "+month+"\n:quit\n", nil, "console", "--db", db, "--files", dir, "--user", lead)
		if res.code != 0 {
			t.Fatalf("review of %s: %+v", team, res)
		}
		for _, line := range []string{
			"Active users: " + w.active + " (computed from the team's events",
			"Retention: " + w.retention + " (computed from the team's events",
		} {
			if !strings.Contains(res.stdout, line) {
				t.Errorf("the review of %s lacks %q:\n%s", team, line, res.stdout)
			}
		}
		i := strings.Index(res.stdout, "Company-wide in ")
		if i < 0 {
			t.Fatalf("the review of %s has no company-wide figures:\n%s", team, res.stdout)
		}
		company[team], _, _ = strings.Cut(res.stdout[i:], " (the events")
		rest, _, _ := strings.Cut(res.stdout[i:], "\n")
		if !strings.Contains(rest, "active users 11 (partial), retention 66.7% (partial)") {
			t.Errorf("company-wide in %s's review: %q, want 11 active users and 66.7%% retention", team, rest)
		}
	}
	if company["checkout"] != company["onboarding"] {
		t.Errorf("company-wide figures differ by team: %q", company)
	}
}
