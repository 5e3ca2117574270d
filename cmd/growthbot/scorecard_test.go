package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// exposeRollout imports two exposed units in each arm of the example's
// guided-onboarding rollout, at: a rollout advances only while its
// guardrails are computed, and no data at all leaves them unknown.
func exposeRollout(t *testing.T, db string, at time.Time) {
	t.Helper()
	var b strings.Builder
	for i, v := range []string{"control", "control", "guided", "guided"} {
		fmt.Fprintf(&b, `{"unit_id":"rollout-u%d","experiment":"guided-onboarding","variant":%q,"timestamp":%d}`+"\n", i, v, at.Unix())
	}
	path := writeFile(t, filepath.Dir(db), "rollout-exposures.ndjson", b.String())
	if res := run(t, "", nil, "import", "exposures", path, "--db", db); res.code != 0 {
		t.Fatalf("import exposures: %+v", res)
	}
}
