package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// layerMembers evaluates units in bulk and returns, per unit, the
// experiment of layer checkout-ui it is in ("" for none). It fails when a
// unit is in two.
func layerMembers(t *testing.T, base string, units int) []string {
	t.Helper()
	out := make([]string, units)
	for i := range units {
		r := call(t, http.MethodPost, base+"/ofrep/v1/evaluate/flags", ofrepToken,
			fmt.Sprintf(`{"context":{"targetingKey":"u%d","growthbot_log_exposure":false}}`, i))
		var doc struct {
			Flags []struct {
				Key      string `json:"key"`
				Metadata struct {
					Layer        string `json:"layer"`
					InExperiment bool   `json:"in_experiment"`
				} `json:"metadata"`
			} `json:"flags"`
		}
		if err := json.Unmarshal(r.body, &doc); err != nil {
			t.Fatalf("%d %s", r.status, r.body)
		}
		for _, f := range doc.Flags {
			if f.Metadata.Layer == "checkout-ui" && f.Metadata.InExperiment {
				if out[i] != "" {
					t.Fatalf("unit u%d is in %s and %s of one layer", i, out[i], f.Key)
				}
				out[i] = f.Key
			}
		}
	}
	return out
}

// waitForState polls the flags API until key is in state.
func waitForState(t *testing.T, base, key string, state workflows.State) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r := call(t, http.MethodGet, base+"/api/v1/flags/"+key+"/evaluate?growthbot_log_exposure=false&unit_id=x", ofrepToken, "")
		if strings.Contains(string(r.body), `"state":"`+string(state)+`"`) {
			return
		}
	}
	t.Fatalf("%s never became %s", key, state)
}

// TestLayerStartingOrEndingMovesNoUnit starts a third experiment in a layer
// with two running ones, then kills one of the first two, while serve
// answers; no unit ever moves from one running experiment of the layer
// to another, and the new one takes only units that were in none.
func TestLayerStartingOrEndingMovesNoUnit(t *testing.T) {
	base, _, db := startOFREP(t)
	const units = 1500
	cfg := writeFile(t, t.TempDir(), "flags.yaml", ofrepConfig+`
  - key: layer-c
    team: app
    layer: checkout-ui
    variants: [{key: control}, {key: c}]
    primary_metrics: [purchase]
`)
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	before := layerMembers(t, base, units)
	count := func(m []string, key string) int {
		n := 0
		for _, k := range m {
			if k == key {
				n++
			}
		}
		return n
	}
	// checkout-config holds half the layer, banner 0.3 of it (both at 100 %
	// rollout, but the web team's holdout keeps a tenth out).
	if n := count(before, "checkout-config"); n < units*40/100 || n > units*50/100 {
		t.Errorf("checkout-config has %d of %d units", n, units)
	}
	withWiredService(t, db, appOptions{}, func(svc *workflows.Service) {
		if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, "layer-c"); err != nil {
			t.Fatal(err)
		}
	})
	waitForState(t, base, "layer-c", workflows.StateRunning)
	started := layerMembers(t, base, units)
	for i := range units {
		if before[i] != "" && started[i] != before[i] {
			t.Fatalf("starting layer-c moved u%d from %s to %q", i, before[i], started[i])
		}
	}
	// layer-c's share is what the others leave: 0.2.
	if n := count(started, "layer-c"); n < units*15/100 || n > units*25/100 {
		t.Errorf("layer-c has %d of %d units", n, units)
	}
	withWiredService(t, db, appOptions{}, func(svc *workflows.Service) {
		if _, err := svc.Kill(context.Background(), workflows.ActorCLI, "banner", "done"); err != nil {
			t.Fatal(err)
		}
	})
	waitForState(t, base, "banner", workflows.StateKilled)
	ended := layerMembers(t, base, units)
	for i := range units {
		want := started[i]
		if want == "banner" {
			want = ""
		}
		if ended[i] != want {
			t.Fatalf("killing banner moved u%d from %q to %q", i, started[i], ended[i])
		}
	}
}

func TestApplyRefusesLayerSharesOverOne(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "g.yaml", `
teams:
  - {key: web, name: Web, channel: C0WEB, lead: U0LEAD, approvers: [U0PM]}
metrics:
  - {key: purchase, type: proportion, event: purchase}
experiments:
  - {key: a, team: web, layer: hero, layer_share: 0.5, variants: [{key: x}, {key: y}], primary_metrics: [purchase]}
  - {key: b, team: web, layer: hero, layer_share: 0.4, variants: [{key: x}, {key: y}], primary_metrics: [purchase]}
  - {key: c, team: web, layer: hero, layer_share: 0.3, variants: [{key: x}, {key: y}], primary_metrics: [purchase]}
`)
	res := run(t, "", nil, "apply", "-f", cfg, "--db", db)
	if want := `g.yaml:7: layer "hero": the layer_share of its experiments add up to 1.2, more than 1 (a 0.5, b 0.4, c 0.3)`; res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Errorf("apply: %+v\nwant %s", res, want)
	}
	writeFile(t, dir, "g.yaml", `
teams:
  - {key: web, name: Web, channel: C0WEB, lead: U0LEAD, approvers: [U0PM]}
metrics:
  - {key: purchase, type: proportion, event: purchase}
experiments:
  - {key: d, team: web, variants: [{key: x, value: true}, {key: y, value: "no"}], primary_metrics: [purchase]}
  - {key: e, team: web, variants: [{key: x, value: [1, 2]}, {key: y, value: null}], primary_metrics: [purchase]}
`)
	res = run(t, "", nil, "apply", "-f", cfg, "--db", db)
	for _, want := range []string{
		`g.yaml:7: experiment "d": the variants' values must all be of one type, so that an SDK can read them with one call, but they are boolean and string`,
		`g.yaml:8: experiment "e": variant "x": value must be a boolean, a string, a number or a mapping (a JSON object)`,
		`g.yaml:8: experiment "e": variant "y": value must be a boolean`,
	} {
		if res.code != 1 || !strings.Contains(res.stderr, want) {
			t.Errorf("apply: %+v\nwant %s", res, want)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM experiments`); n != 0 {
		t.Errorf("a refused file stored %d experiments", n)
	}
}
