package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestOFREPInteropWithOpenFeatureJS runs interop/ofrep.test.mjs: the
// official OpenFeature JavaScript server SDK with its OFREP provider,
// against growthbot serve on loopback. It needs Node.js and `npm ci` in
// interop/; .ci/run does both and sets GROWTHBOT_INTEROP=1, which turns a
// missing piece into a failure instead of a skip.
func TestOFREPInteropWithOpenFeatureJS(t *testing.T) {
	dir, err := filepath.Abs("../../interop")
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(dir, "node_modules", "@openfeature", "ofrep-provider"))
	if err != nil || modErr != nil {
		if os.Getenv("GROWTHBOT_INTEROP") == "1" {
			t.Fatalf("the interop test needs node (%v) and npm ci in %s (%v)", err, dir, modErr)
		}
		t.Skip("no node or no interop/node_modules: run npm ci in interop/ (.ci/run does)")
	}
	base, stop, _ := startOFREP(t)
	// /api/v1/flags/{key}/evaluate's answers for the units the script
	// checks, asked here (Go's client costs a tenth of Node's per request):
	// every unit on checkout-config, every fiftieth on the other flags.
	const units = 10_000
	api := map[string]map[string]json.RawMessage{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < units; i += 16 {
				keys := []string{"checkout-config"}
				if i%50 == 0 {
					keys = append(keys, "checkout-copy", "banner", "dark-mode", "max-items", "shipped-test")
				}
				unit := fmt.Sprint("unit-", i)
				for _, key := range keys {
					r := call(t, http.MethodGet, base+"/api/v1/flags/"+key+"/evaluate?growthbot_log_exposure=false&unit_id="+unit, ofrepToken, "")
					if r.status != http.StatusOK {
						t.Errorf("%s %s: %d %s", key, unit, r.status, r.body)
						return
					}
					mu.Lock()
					if api[key] == nil {
						api[key] = map[string]json.RawMessage{}
					}
					api[key][unit] = r.body
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	answers, err := json.Marshal(api)
	if err != nil {
		t.Fatal(err)
	}
	apiFile := filepath.Join(t.TempDir(), "api.json")
	if err := os.WriteFile(apiFile, answers, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "ofrep.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GROWTHBOT_URL="+base, "GROWTHBOT_API_TOKEN="+ofrepToken,
		"GROWTHBOT_API_ANSWERS="+apiFile, fmt.Sprint("GROWTHBOT_INTEROP_UNITS=", units))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
}
