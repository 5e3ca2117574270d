package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "ofrep.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GROWTHBOT_URL="+base, "GROWTHBOT_API_TOKEN="+ofrepToken)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
}
