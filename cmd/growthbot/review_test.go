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
