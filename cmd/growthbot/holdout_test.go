package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// TestReviewComparesHoldoutWithEveryoneElse is the holdout through the
// binary: evaluations through OFREP log which units are in the web team's
// holdout, events come in with `growthbot import events`, and the growth
// review posted at the console compares the holdout with everyone else on
// the team's primary metric. With few units it says plainly that the
// holdout is too small to tell. (The month under review is the current
// one, shown as a preview: the exposures are from now.)
func TestReviewComparesHoldoutWithEveryoneElse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		since string // the holdout's start; by default 40 days ago
		units int
		want  []string
	}{
		{"enough units", "", 2500, []string{"Holdout: the cumulative impact of everything Web shipped", "• Purchase: everyone else", "significant."}},
		{"too few", "", 300, []string{"Holdout: the cumulative impact of everything Web shipped", "Too small to tell yet: each side needs at least 100 exposed units"}},
		// Kept longer than an analysis can span: compared over the last
		// ten years, not refused.
		{"kept since 2000", "2000-01-01", 300, []string{"Holdout: the cumulative impact of everything Web shipped",
			"since 1 Jan 2000; compared over the last 3660 days that one analysis can span, from ", "Too small to tell yet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "g.db")
			month := time.Now().UTC().Format("2006-01")
			if tc.since == "" {
				tc.since = time.Now().UTC().AddDate(0, 0, -40).Format("2006-01-02")
			}
			cfg := writeFile(t, dir, "g.yaml", fmt.Sprintf(`
teams:
  - {key: web, name: Web, channel: C0WEB, lead: U0LEAD, approvers: [U0PM], members: [U0ENG],
     holdout: {share: 0.1, start: "%s", end: "2999-12-31"}}
metrics:
  - {key: purchase, name: Purchase, type: proportion, event: purchase}
experiments:
  - {key: new-checkout, team: web, variants: [{key: old}, {key: new}], primary_metrics: [purchase]}
`, tc.since))
			if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
				t.Fatal(res)
			}
			withWiredService(t, db, appOptions{}, func(svc *workflows.Service) {
				if _, err := svc.StartExperiment(t.Context(), workflows.ActorCLI, "new-checkout"); err != nil {
					t.Fatal(err)
				}
			})
			base, stop := startServe(t, map[string]string{envAPIToken: ofrepToken}, "--db", db)
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for i := w; i < tc.units; i += 8 {
						r := ofrepEval(t, base, "new-checkout", fmt.Sprint("u", i))
						if r.status != http.StatusOK {
							t.Errorf("%d %s", r.status, r.body)
						}
					}
				})
			}
			wg.Wait()
			if code := stop(); code != 0 {
				t.Fatalf("serve exited with %d", code)
			}
			// Everyone else buys at 30 %, the holdout at 10 %: what the team
			// shipped works.
			var events strings.Builder
			at := time.Now().UTC().Add(time.Second).Format(time.RFC3339)
			for i := range tc.units {
				u := fmt.Sprint("u", i)
				rate := 30
				if recipeBucket("holdout:web", u) < 0.1 {
					rate = 10
				}
				if i%100 < rate {
					fmt.Fprintf(&events, `{"unit_id":%q,"event":"purchase","timestamp":%q}`+"\n", u, at)
				}
			}
			file := writeFile(t, dir, "events.ndjson", events.String())
			if res := run(t, "", nil, "import", "events", file, "--db", db); res.code != 0 {
				t.Fatal(res)
			}
			time.Sleep(1100 * time.Millisecond) // the events are before the review's end
			script := "/growth review web " + month + "\n:quit\n"
			res := run(t, script, nil, "console", "--db", db, "--files", dir, "--user", "U0LEAD")
			if res.code != 0 {
				t.Fatalf("console exit %d: %s", res.code, res.stderr)
			}
			_, posted, ok := strings.Cut(res.stdout, "Growth review: Web, "+time.Now().UTC().Format("January 2006"))
			if !ok {
				t.Fatalf("no review of this month:\n%s", res.stdout)
			}
			t.Logf("%s", posted[strings.Index(posted, "Holdout:"):])
			for _, want := range tc.want {
				if !strings.Contains(posted, want) {
					t.Errorf("the posted review lacks %q:\n%s", want, posted)
				}
			}
		})
	}
}
