package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/workflows"
	_ "modernc.org/sqlite"
)

// MustOpenDB opens a database in a fresh temp dir, closed with the test.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "growthbot.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateFreshAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	migrations, err := store.Migrations()
	if err != nil || len(migrations) == 0 {
		t.Fatalf("Migrations() = %v, %v", migrations, err)
	}
	latest := migrations[len(migrations)-1].Version

	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := db.SchemaVersion(ctx); err != nil || v != latest {
		t.Fatalf("fresh schema version %d, %v; want %d", v, err, latest)
	}
	putTeam(t, db, "checkout")
	db.Close()

	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Fatalf("migrating again applied %v, %v; want nothing", applied, err)
	}
	err = db.View(ctx, func(tx workflows.Tx) error {
		_, err := tx.Team("checkout")
		return err
	})
	if err != nil {
		t.Fatalf("data lost on reopen: %v", err)
	}
}

func TestRefuseNewerDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A newer growthbot recorded a migration this binary does not know.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (9999, '9999_future', '2030-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	_, err = store.Open(ctx, path)
	if err == nil {
		t.Fatal("Open accepted a database from a newer version")
	}
	for _, want := range []string{"newer growthbot", "9999", "upgrade growthbot"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func putTeam(tb testing.TB, db *store.DB, key string) workflows.Team {
	tb.Helper()
	team := workflows.Team{
		Key: key, Name: strings.ToUpper(key), Channel: "C0" + strings.ToUpper(key), Lead: "U0LEAD",
		Approvers: []string{"U0PM", "U0LEAD"}, Members: []string{"U0ENG"}, Timezone: "Europe/Berlin",
		Framework: "clear-signals", RequiredApprovals: 1, Targets: workflows.Targets{MRRGrowth: 0.05, NPS: 40},
	}
	if err := db.Update(context.Background(), func(tx workflows.Tx) error { return tx.PutTeam(team) }); err != nil {
		tb.Fatal(err)
	}
	return team
}

func TestRoundTrips(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	team := putTeam(t, db, "checkout")
	metric := workflows.Metric{Key: "revenue", Name: "Revenue", Type: workflows.MetricMean, Event: "purchase",
		Value: workflows.ValueSum, HigherIsBetter: true, Winsorize: 0.999, Tags: []string{"money"}}
	exp := workflows.Experiment{
		Key: "one-click", Name: "One click", Team: "checkout", Owner: "U0ENG", Hypothesis: "h",
		Variants:       []workflows.Variant{{Key: "control", Weight: 50}, {Key: "treatment", Weight: 50}},
		PrimaryMetrics: []string{"revenue"}, Method: workflows.MethodSequential, Alpha: 0.05,
		MinDays: 7, PlannedDays: 14, TargetMDE: 0.05, RolloutPlan: workflows.DefaultRolloutPlan(),
		State: workflows.StateDraft, CreatedAt: now, UpdatedAt: now,
	}
	if err := exp.Start(now); err != nil {
		t.Fatal(err)
	}
	// The thread comes from the delivered thread-parent message.
	exp.Thread = workflows.Thread{Channel: "C0CHECKOUT", TS: "1700000000.000100"}

	var decision workflows.Decision
	err := db.Update(ctx, func(tx workflows.Tx) error {
		if err := tx.PutMetric(metric); err != nil {
			return err
		}
		if err := tx.PutExperiment(exp); err != nil {
			return err
		}
		if _, err := tx.Enqueue(workflows.Message{Key: exp.ThreadKey(), Op: workflows.OpPost, Channel: "C0CHECKOUT",
			Body: workflows.Rendered{Text: "scorecard"}}); err != nil {
			return err
		}
		parent, err := tx.MessageByKey(exp.ThreadKey())
		if err != nil {
			return err
		}
		if err := tx.MessageSent(parent.ID, "1700000000.000100"); err != nil {
			return err
		}
		decision, err = tx.CreateDecision(workflows.Decision{Experiment: exp.Key, Action: workflows.ActionShip,
			Variant: "treatment", Requester: "U0ENG", State: workflows.DecisionPending, RequiredApprovals: 1,
			Approvals: []workflows.Approval{{User: "U0PM", At: now}}, CreatedAt: now})
		if err != nil {
			return err
		}
		if err := tx.PutKPI(workflows.KPIPoint{Team: "checkout", Name: "mrr", Period: "2026-10", Value: 1000}); err != nil {
			return err
		}
		return tx.PutKPI(workflows.KPIPoint{Team: "checkout", Name: "mrr", Period: "2026-10", Value: 1200})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx workflows.Tx) error {
		gotTeam, err := tx.Team("checkout")
		if err != nil || !same(gotTeam, team) {
			t.Errorf("team round trip:\n got %+v, %v\nwant %+v", gotTeam, err, team)
		}
		gotMetric, err := tx.Metric("revenue")
		if err != nil || !same(gotMetric, metric) {
			t.Errorf("metric round trip:\n got %+v, %v\nwant %+v", gotMetric, err, metric)
		}
		gotExp, err := tx.Experiment("one-click")
		if err != nil || !same(gotExp, exp) {
			t.Errorf("experiment round trip:\n got %+v, %v\nwant %+v", gotExp, err, exp)
		}
		gotDec, err := tx.Decision(decision.ID)
		if err != nil || !same(gotDec, decision) {
			t.Errorf("decision round trip:\n got %+v, %v\nwant %+v", gotDec, err, decision)
		}
		running, err := tx.Experiments(workflows.ExperimentFilter{States: []workflows.State{workflows.StateRunning}})
		if err != nil || len(running) != 1 {
			t.Errorf("running experiments %v, %v", running, err)
		}
		none, err := tx.Experiments(workflows.ExperimentFilter{Team: "other"})
		if err != nil || len(none) != 0 {
			t.Errorf("other team's experiments %v, %v", none, err)
		}
		kpis, err := tx.KPIs("checkout", "2026-01", "2026-12")
		if err != nil || len(kpis) != 1 || kpis[0].Value != 1200 {
			t.Errorf("kpis %v, %v; want one point replaced to 1200", kpis, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNotFound(t *testing.T) {
	db := MustOpenDB(t)
	err := db.View(context.Background(), func(tx workflows.Tx) error {
		for name, err := range map[string]error{
			"team":       second(tx.Team("nope")),
			"metric":     second(tx.Metric("nope")),
			"experiment": second(tx.Experiment("nope")),
			"decision":   second(tx.Decision(42)),
			"goal":       second(tx.Goal(42)),
		} {
			if workflows.ErrorCode(err) != workflows.ENOTFOUND {
				t.Errorf("%s: error %v, want not found", name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOnePendingDecision(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	putTeam(t, db, "checkout")
	now := time.Now()
	err := db.Update(ctx, func(tx workflows.Tx) error {
		return tx.PutExperiment(workflows.Experiment{Key: "x", Team: "checkout", Variants: []workflows.Variant{{Key: "a"}},
			Method: workflows.MethodFixed, State: workflows.StateRunning, CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	pending := workflows.Decision{Experiment: "x", Action: workflows.ActionShip, Requester: "U0A", State: workflows.DecisionPending, CreatedAt: now}
	for i, wantCode := range []string{"", workflows.ECONFLICT} {
		err := db.Update(ctx, func(tx workflows.Tx) error {
			_, err := tx.CreateDecision(pending)
			return err
		})
		if workflows.ErrorCode(err) != wantCode {
			t.Errorf("decision %d: error %v, want code %q", i+1, err, wantCode)
		}
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	err := db.Update(ctx, func(tx workflows.Tx) error {
		_, err := tx.AppendAudit(workflows.AuditEntry{Actor: "U0A", Action: "experiment.start", Subject: "experiment:x", After: `{"State":"running"}`})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, stmt := range []string{`UPDATE audit SET actor = 'U0EVIL'`, `DELETE FROM audit`} {
		if _, err := raw.Exec(stmt); err == nil || !strings.Contains(err.Error(), "audit entries are never") {
			t.Errorf("%s: error %v, want it refused", stmt, err)
		}
	}
	err = db.View(ctx, func(tx workflows.Tx) error {
		entries, err := tx.Audit(workflows.AuditFilter{Subject: "experiment:x"})
		if err != nil || len(entries) != 1 || entries[0].Actor != "U0A" {
			t.Errorf("audit after tampering: %+v, %v", entries, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpdateRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	err := db.Update(ctx, func(tx workflows.Tx) error {
		if err := tx.PutKPI(workflows.KPIPoint{Team: "t", Name: "mrr", Period: "2026-10", Value: 1}); err != nil {
			return err
		}
		return workflows.Errorf(workflows.EINVALID, "changed my mind")
	})
	if workflows.ErrorCode(err) != workflows.EINVALID {
		t.Fatalf("Update error %v", err)
	}
	err = db.View(ctx, func(tx workflows.Tx) error {
		kpis, err := tx.KPIs("t", "0000", "9999")
		if len(kpis) != 0 {
			t.Errorf("rolled-back write is visible: %v", kpis)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func second[T any](_ T, err error) error { return err }

// same compares values after a trip through the database.
func same(a, b any) bool { return reflect.DeepEqual(a, b) }

// GoalList reads the first goals of a quarter in the order they were
// added, at most the limit, and counts them all, whatever the limit.
func TestGoalList(t *testing.T) {
	db := MustOpenDB(t)
	putTeam(t, db, "checkout")
	putTeam(t, db, "onboarding")
	err := db.Update(context.Background(), func(tx workflows.Tx) error {
		for i := range 7 {
			g := workflows.Goal{Team: "checkout", Quarter: "2026-Q4", Title: "goal", Owner: "U0ENG1", Status: workflows.GoalInProgress}
			if i%3 == 0 {
				g.Status = workflows.GoalDone
			}
			if i == 5 {
				g.Quarter = "2026-Q3" // another quarter
			}
			if i == 6 {
				g.Team = "onboarding" // another team
			}
			if _, err := tx.CreateGoal(g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit     int
		wantIDs   []int64
		total, dn int
	}{
		{100, []int64{1, 2, 3, 4, 5}, 5, 2},
		{2, []int64{1, 2}, 5, 2},
		{0, nil, 5, 2},
	} {
		var got []workflows.Goal
		var total, done int
		err := db.View(context.Background(), func(tx workflows.Tx) (err error) {
			got, total, done, err = tx.GoalList("checkout", "2026-Q4", tc.limit)
			return err
		})
		var ids []int64
		for _, g := range got {
			ids = append(ids, g.ID)
		}
		if err != nil || !same(ids, tc.wantIDs) || total != tc.total || done != tc.dn {
			t.Errorf("limit %d: goals %v, %d in all, %d done, %v; want %v, %d, %d", tc.limit, ids, total, done, err, tc.wantIDs, tc.total, tc.dn)
		}
	}
}
