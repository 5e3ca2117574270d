package workflows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/workflows"
)

const layerConfig = `
teams:
  - {key: web, name: Web, channel: C0WEB, lead: U0LEAD, approvers: [U0PM], members: [U0ENG]}
metrics:
  - {key: purchase, type: proportion, event: purchase}
experiments:
  - {key: a, team: web, layer: hero, layer_share: 0.4, variants: [{key: x, value: 1}, {key: y, value: 2.5}], primary_metrics: [purchase]}
  - {key: b, team: web, layer: hero, variants: [{key: x, value: {k: v}}, {key: y, value: {k: w}}], primary_metrics: [purchase]}
  - {key: c, team: web, layer: hero, variants: [{key: x, value: true}, {key: y, value: false}], primary_metrics: [purchase]}
`

// TestLayerSharesAndRanges: experiments without a layer_share split what
// the others leave; each starting experiment takes the lowest free slots;
// an ended one's slots go to the next to start; values keep their JSON
// types; a started experiment's values, layer and share are fixed.
func TestLayerSharesAndRanges(t *testing.T) {
	ctx := context.Background()
	d := newDecideEnv(t)
	if _, err := d.svc.ApplyConfig(ctx, "layer.yaml", []byte(layerConfig), workflows.ActorConfig, false); err != nil {
		t.Fatal(err)
	}
	ranges := func(key string) []workflows.LayerRange {
		e, _, err := d.svc.History(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return e.LayerRanges
	}
	for _, key := range []string{"b", "a"} {
		if _, err := d.svc.StartExperiment(ctx, workflows.ActorCLI, key); err != nil {
			t.Fatal(err)
		}
	}
	// b and c share the 0.6 that a leaves: 0.3 each. b started first.
	if got := ranges("b"); len(got) != 1 || got[0] != (workflows.LayerRange{From: 0, To: 0.3}) {
		t.Errorf("b holds %v", got)
	}
	if got := ranges("a"); len(got) != 1 || !near(got[0].From, 0.3) || !near(got[0].To, 0.7) {
		t.Errorf("a holds %v", got)
	}
	if _, err := d.svc.Kill(ctx, workflows.ActorCLI, "b", "done"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.StartExperiment(ctx, workflows.ActorCLI, "c"); err != nil {
		t.Fatal(err)
	}
	// c takes b's freed slots first.
	if got := ranges("c"); len(got) != 1 || got[0] != (workflows.LayerRange{From: 0, To: 0.3}) {
		t.Errorf("c holds %v", got)
	}
	book := &workflows.FlagBook{Service: d.svc}
	if err := book.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"a": "2.5", "c": "false"} {
		f, _ := book.Snapshot().Flag(key)
		if got := string(f.Variants[1].Value); got != want {
			t.Errorf("%s: value %s, want %s", key, got, want)
		}
	}
	changed := strings.Replace(layerConfig, "value: 2.5", "value: 3", 1)
	changed = strings.Replace(changed, "layer_share: 0.4", "layer_share: 0.35", 1)
	_, err := d.svc.ApplyConfig(ctx, "layer.yaml", []byte(changed), workflows.ActorConfig, false)
	for _, want := range []string{`experiment "a" is running: its variants, weights and values cannot change`, `experiment "a" is running: its layer and layer_share cannot change`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("apply changing a running experiment: %v; want %s", err, want)
		}
	}
}
