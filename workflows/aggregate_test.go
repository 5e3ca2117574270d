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
	d := newDecideEnv(t)
	for _, key := range []string{"one-click-checkout", "free-shipping-banner", "guided-onboarding"} {
		d.start(key, workflows.ActorCLI)
	}
	now := decideStart.Add(14 * 24 * time.Hour)
	d.clock.Set(now)
	svc, ctx := d.svc, context.Background()
	// at is a time after the experiments started (before, when negative).
	at := func(days, hours int) string {
		return decideStart.Add(time.Duration(days*24+hours) * time.Hour).Format(time.RFC3339)
	}
	for _, in := range []struct {
		kind workflows.ImportKind
		csv  string
	}{
		{workflows.ImportExposures, "unit_id,experiment,variant,timestamp\n" +
			"a,one-click-checkout,control," + at(4, 22) + "\n" +
			"b,one-click-checkout,control," + at(4, 23) + "\n" +
			"c,one-click-checkout,treatment," + at(5, 22) + "\n" +
			"d,one-click-checkout,treatment," + at(5, 22) + "\n"},
		{workflows.ImportEvents, "unit_id,event,value,timestamp\n" +
			"a,purchase,30," + at(5, 0) + "\n" +
			"a,purchase,10," + at(7, 0) + "\n" +
			"c,purchase,50," + at(6, 0) + "\n" +
			"d,checkout_error,," + at(7, 0) + "\n" +
			"d,purchase,20," + at(-5, 0) + "\n"},
	} {
		if _, err := codec.Import(ctx, svc, in.kind, strings.NewReader(in.csv), codec.FormatCSV, "input", workflows.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}

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
	if !a.Start.Equal(decideStart) || !a.End.Equal(now) || len(a.Daily) != 14 {
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
