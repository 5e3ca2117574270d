package workflows_test

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/codec"
)

func TestServiceAggregate(t *testing.T) {
	svc, _ := mustIngestService(t)
	ctx := context.Background()
	mustImport(t, svc, workflows.ImportExposures, `unit_id,experiment,variant,timestamp
a,one-click-checkout,control,2025-02-20T10:00:00Z
b,one-click-checkout,control,2025-02-20T11:00:00Z
c,one-click-checkout,treatment,2025-02-21T10:00:00Z
d,one-click-checkout,treatment,2025-02-21T10:00:00Z
`)
	mustImport(t, svc, workflows.ImportEvents, `unit_id,event,value,timestamp
a,purchase,30,2025-02-20T12:00:00Z
a,purchase,10,2025-02-22T12:00:00Z
c,purchase,50,2025-02-21T12:00:00Z
d,checkout_error,,2025-02-22T12:00:00Z
d,purchase,20,2025-02-10T12:00:00Z
`)

	all, err := svc.Aggregate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, a := range all {
		keys = append(keys, a.Experiment)
	}
	if !slices.Equal(keys, []string{"free-shipping-banner", "guided-onboarding", "one-click-checkout"}) {
		t.Errorf("running experiments aggregated: %v", keys)
	}

	got, err := svc.Aggregate(ctx, "one-click-checkout")
	if err != nil {
		t.Fatal(err)
	}
	a := got[0]
	if !a.Start.Equal(ingestNow.Add(-14*24*time.Hour)) || !a.End.Equal(ingestNow) || len(a.Daily) != 14 {
		t.Errorf("window %v..%v with %d days; want the experiment's start to now, 14 days", a.Start, a.End, len(a.Daily))
	}
	// The ratio's denominator comes along although the experiment does not
	// list it.
	if _, ok := a.Arms["orders"]; !ok || len(a.Arms) != 5 {
		t.Errorf("metrics aggregated: %v", slices.Sorted(maps.Keys(a.Arms)))
	}
	metric := func(key string) workflows.Metric {
		var m workflows.Metric
		err := svc.Store.View(ctx, func(tx workflows.Tx) error {
			var err error
			m, err = tx.Metric(key)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct {
		metric, variant string
		want            float64
	}{
		{"purchase", "control", 0.5},   // a bought, b did not
		{"purchase", "treatment", 0.5}, // c bought; d's purchase came before exposure
		{"revenue", "control", 20},     // (30+10)/2
		{"aov", "control", 20},         // 40 over 2 orders
		{"errors", "treatment", 0.5},
	} {
		if got := a.Mean(metric(tc.metric), tc.variant); got != tc.want {
			t.Errorf("mean of %s in %s = %v, want %v", tc.metric, tc.variant, got, tc.want)
		}
	}
	if pre := a.Arms["revenue"]["treatment"].Pre.Sum; pre != 20 {
		t.Errorf("pre-exposure revenue of treatment = %v, want d's 20", pre)
	}
}

func TestServiceAggregateErrors(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := workflows.NewService(db, nil)
	if _, err := svc.ApplyConfig(ctx, "example.yaml", templates.ExampleConfig(), workflows.ActorConfig, false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Aggregate(ctx, "nope"); workflows.ErrorCode(err) != workflows.ENOTFOUND {
		t.Errorf("unknown experiment: %v", err)
	}
	_, err = svc.Aggregate(ctx, "guided-onboarding")
	if workflows.ErrorCode(err) != workflows.ECONFLICT || workflows.ErrorMessage(err) != `experiment "guided-onboarding" has not started, so it has no data to analyse` {
		t.Errorf("draft experiment: %v", err)
	}
	if got, err := svc.Aggregate(ctx); err != nil || len(got) != 0 {
		t.Errorf("no running experiments: %v, %v", got, err)
	}
}

// ingestNow is the service clock of the ingestion tests.
var ingestNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// mustIngestService returns a service over a fresh database holding the
// example config, with its experiments started two weeks before
// ingestNow.
func mustIngestService(tb testing.TB) (*workflows.Service, string) {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "g.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	clock := workflows.NewFakeClock(ingestNow.Add(-14 * 24 * time.Hour))
	db.Now = clock.Now
	svc := workflows.NewService(db, nil)
	svc.Clock = clock
	if _, err := svc.ApplyConfig(ctx, "example.yaml", templates.ExampleConfig(), workflows.ActorConfig, false); err != nil {
		tb.Fatal(err)
	}
	for _, key := range []string{"one-click-checkout", "free-shipping-banner", "guided-onboarding"} {
		if _, err := svc.StartExperiment(ctx, workflows.ActorCLI, key); err != nil {
			tb.Fatal(err)
		}
	}
	clock.Set(ingestNow)
	return svc, path
}

func mustImport(tb testing.TB, svc *workflows.Service, kind workflows.ImportKind, data string) workflows.ImportReport {
	tb.Helper()
	report, err := codec.Import(context.Background(), svc, kind, strings.NewReader(data), codec.FormatAuto, "input", workflows.ImportOptions{})
	if err != nil {
		tb.Fatalf("import %s: %v", kind, err)
	}
	return report
}
