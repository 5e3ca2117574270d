package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

const ofrepToken = "ofrep-test-token"

// ofrepConfig has a flag of each value type, a rollout, a layer of two
// experiments, a team with a holdout, an experiment that logs no
// exposures, and (after ofrepFixture) a draft, a killed and a shipped
// experiment.
const ofrepConfig = `
teams:
  - {key: web, name: Web, channel: C0WEB, lead: U0LEAD, approvers: [U0PM], members: [U0ENG],
     holdout: {share: 0.1, start: "2000-01-01", end: "2999-12-31"}}
  - {key: app, name: App, channel: C0APP, lead: U0LEAD, approvers: [U0PM], members: [U0ENG]}
metrics:
  - {key: purchase, type: proportion, event: purchase}
experiments:
  - key: dark-mode
    team: app
    variants: [{key: "off", value: false}, {key: "on", value: true}]
    primary_metrics: [purchase]
  - key: checkout-copy
    team: app
    variants: [{key: control}, {key: urgent}, {key: friendly}]
    primary_metrics: [purchase]
    rollout: {steps: [{percent: 40}, {percent: 100}]}
  - key: max-items
    team: app
    variants: [{key: control, value: 10}, {key: more, value: 12.5}]
    primary_metrics: [purchase]
    log_exposures: false
  - key: checkout-config
    team: web
    layer: checkout-ui
    layer_share: 0.5
    variants:
      - {key: control, value: {button_color: blue, steps: 3}}
      - {key: treatment, weight: 1, value: {"button_color": "green", "steps": 2}}
    primary_metrics: [purchase]
  - key: banner
    team: web
    layer: checkout-ui
    layer_share: 0.3
    variants: [{key: none}, {key: top}, {key: bottom}]
    primary_metrics: [purchase]
  - key: shipped-test
    team: web
    variants: [{key: control, value: "old"}, {key: winner, value: "new"}]
    primary_metrics: [purchase]
  - key: killed-test
    team: app
    variants: [{key: control, value: 1}, {key: broken, value: 2}]
    primary_metrics: [purchase]
  - key: draft-test
    team: app
    variants: [{key: control, value: "a"}, {key: b, value: "b"}]
    primary_metrics: [purchase]
`

// ofrepFixture applies ofrepConfig to a new database and starts, ships
// and kills its experiments; it returns the database's path.
func ofrepFixture(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	cfg := writeFile(t, dir, "flags.yaml", ofrepConfig)
	if res := run(t, "", nil, "apply", "-f", cfg, "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	withWiredService(t, db, appOptions{}, func(svc *workflows.Service) {
		ctx := context.Background()
		for _, key := range []string{"dark-mode", "checkout-copy", "max-items", "checkout-config", "banner", "shipped-test", "killed-test"} {
			if _, err := svc.StartExperiment(ctx, workflows.ActorCLI, key); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Kill(ctx, workflows.ActorCLI, "killed-test", "broken"); err != nil {
			t.Fatal(err)
		}
		err := svc.Store.Update(ctx, func(tx workflows.Tx) error {
			e, err := tx.Experiment("shipped-test")
			if err != nil {
				return err
			}
			if err := e.RequestDecision(); err != nil {
				return err
			}
			if err := e.Ship("winner", tx.Now()); err != nil {
				return err
			}
			return tx.PutExperiment(e)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	return db
}

// startOFREP serves the fixture and returns the base URL, a function that
// stops the server, and the database's path.
func startOFREP(t testing.TB) (string, func() int, string) {
	db := ofrepFixture(t)
	url, stop := startServe(t, map[string]string{envAPIToken: ofrepToken}, "--db", db)
	return url, stop, db
}

type httpReply struct {
	status int
	header http.Header
	body   []byte
}

func (r httpReply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	return m
}

func call(t *testing.T, method, url, token, body string, header ...string) httpReply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return httpReply{resp.StatusCode, resp.Header, b}
}

func ofrepEval(t *testing.T, base, key, unit string) httpReply {
	return call(t, http.MethodPost, base+"/ofrep/v1/evaluate/flags/"+key, ofrepToken, fmt.Sprintf(`{"context":{"targetingKey":%q}}`, unit))
}

// The shapes of OFREP 0.3.0's service/openapi.yaml, checked by hand.
var (
	ofrepReasonEnum = []string{"STATIC", "TARGETING_MATCH", "SPLIT", "DISABLED", "UNKNOWN",
		// DEFAULT is OpenFeature's reason for a fallback value; the
		// protocol's ADR 0006 uses it, its enum does not list it yet.
		"DEFAULT"}
	ofrepErrorEnum = []string{"PARSE_ERROR", "TARGETING_KEY_MISSING", "INVALID_CONTEXT", "GENERAL"}
)

// checkSuccess checks an evaluationSuccess: key and reason required, a
// variant string, a value of one of the flag types, flat metadata.
func checkSuccess(t *testing.T, m map[string]any) {
	t.Helper()
	if _, ok := m["key"].(string); !ok {
		t.Errorf("evaluationSuccess without a string key: %v", m)
	}
	if r, ok := m["reason"].(string); !ok || !slices.Contains(ofrepReasonEnum, r) {
		t.Errorf("evaluationSuccess reason %v is not in the enum", m["reason"])
	}
	if _, ok := m["variant"].(string); !ok {
		t.Errorf("evaluationSuccess variant %v is not a string", m["variant"])
	}
	switch v := m["value"].(type) {
	case bool, string, float64, map[string]any:
	default:
		t.Errorf("evaluationSuccess value %v (%T) is no flag type", v, v)
	}
	md, ok := m["metadata"].(map[string]any)
	if !ok {
		t.Errorf("metadata %v is not an object", m["metadata"])
	}
	for k, v := range md {
		switch v.(type) {
		case bool, string, float64:
		default:
			t.Errorf("metadata %s is %T; the spec allows boolean, string and number", k, v)
		}
	}
	for k := range m {
		if !slices.Contains([]string{"key", "reason", "variant", "value", "metadata"}, k) {
			t.Errorf("evaluationSuccess has an unknown field %q", k)
		}
	}
}

// checkFailure checks an evaluationFailure (withKey) or a
// bulkEvaluationFailure, and its code.
func checkFailure(t *testing.T, m map[string]any, withKey bool, code string) {
	t.Helper()
	if withKey {
		if _, ok := m["key"].(string); !ok {
			t.Errorf("evaluationFailure without a key: %v", m)
		}
	}
	if m["errorCode"] != code {
		t.Errorf("errorCode %v, want %s", m["errorCode"], code)
	}
	if code != "FLAG_NOT_FOUND" && !slices.Contains(ofrepErrorEnum, code) {
		t.Errorf("errorCode %s is not in the enum", code)
	}
	if d, ok := m["errorDetails"].(string); !ok || d == "" {
		t.Errorf("errorDetails %v", m["errorDetails"])
	}
}

func TestOFREPEvaluatesEveryKindOfFlag(t *testing.T) {
	base, _, _ := startOFREP(t)
	// Units chosen with the documented recipe: checkout-config holds
	// [0, 0.5) of layer checkout-ui (it started first), banner [0.5, 0.8).
	web := func(u string) bool { return recipeBucket("holdout:web", u) >= 0.1 }
	slot := func(u string) float64 { return recipeBucket("layer:checkout-ui", u) }
	pick := func(key string, lo, hi float64) func(string) bool {
		return func(u string) bool { b := recipeBucket(key, u); return b >= lo && b < hi }
	}
	tests := []struct {
		key, unit string
		value     string // JSON
		variant   string
		reason    string
	}{
		{"dark-mode", findUnit(pick("dark-mode", 0.5, 1)), `true`, "on", "SPLIT"},
		{"dark-mode", findUnit(pick("dark-mode", 0, 0.5)), `false`, "off", "SPLIT"},
		{"checkout-copy", findUnit(pick("checkout-copy:traffic", 0, 0.4), pick("checkout-copy", 1.0/3, 2.0/3)), `"urgent"`, "urgent", "SPLIT"},
		{"checkout-copy", findUnit(pick("checkout-copy:traffic", 0.4, 1), pick("checkout-copy", 1.0/3, 2.0/3)), `"control"`, "control", "DEFAULT"},
		{"max-items", findUnit(pick("max-items", 0.5, 1)), `12.5`, "more", "SPLIT"},
		{"checkout-config", findUnit(web, func(u string) bool { return slot(u) < 0.5 }, pick("checkout-config", 0.5, 1)),
			`{"button_color":"green","steps":2}`, "treatment", "SPLIT"},
		{"checkout-config", findUnit(web, func(u string) bool { return slot(u) >= 0.5 }, pick("checkout-config", 0.5, 1)),
			`{"button_color":"blue","steps":3}`, "control", "DEFAULT"},
		{"banner", findUnit(web, func(u string) bool { return slot(u) >= 0.5 && slot(u) < 0.8 }, pick("banner", 2.0/3, 1)), `"bottom"`, "bottom", "SPLIT"},
		{"shipped-test", findUnit(web), `"new"`, "winner", "STATIC"},
		{"shipped-test", findUnit(func(u string) bool { return !web(u) }), `"old"`, "control", "TARGETING_MATCH"},
		{"killed-test", "user-3", `1`, "control", "DISABLED"},
		{"draft-test", "user-3", `"a"`, "control", "DEFAULT"},
	}
	for _, tc := range tests {
		t.Run(tc.key+"/"+tc.reason, func(t *testing.T) {
			r := ofrepEval(t, base, tc.key, tc.unit)
			if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s", r.status, r.body)
			}
			m := r.json(t)
			checkSuccess(t, m)
			value, _ := json.Marshal(m["value"])
			if string(value) != tc.value || m["variant"] != tc.variant || m["reason"] != tc.reason || m["key"] != tc.key {
				t.Errorf("got %s; want value %s, variant %s, reason %s", r.body, tc.value, tc.variant, tc.reason)
			}
		})
	}
}

func TestOFREPBadInput(t *testing.T) {
	base, stop, db := startOFREP(t)
	single := base + "/ofrep/v1/evaluate/flags/dark-mode"
	bulk := base + "/ofrep/v1/evaluate/flags"
	huge := `{"context":{"targetingKey":"u","pad":"` + strings.Repeat("x", 70<<10) + `"}}`
	tests := []struct {
		name, url, token, body string
		status                 int
		code                   string // "" for no OFREP body
	}{
		{"malformed body", single, ofrepToken, `{"context":`, 400, "PARSE_ERROR"},
		{"not JSON", single, ofrepToken, `targetingKey=u`, 400, "PARSE_ERROR"},
		{"body not an object", single, ofrepToken, `[1]`, 400, "INVALID_CONTEXT"},
		{"no context", single, ofrepToken, `{}`, 400, "INVALID_CONTEXT"},
		{"context a string", single, ofrepToken, `{"context":"user-1"}`, 400, "INVALID_CONTEXT"},
		{"context an array", single, ofrepToken, `{"context":["user-1"]}`, 400, "INVALID_CONTEXT"},
		{"targetingKey a number", single, ofrepToken, `{"context":{"targetingKey":42}}`, 400, "INVALID_CONTEXT"},
		{"log option not a boolean", single, ofrepToken, `{"context":{"targetingKey":"u","growthbot_log_exposure":"no"}}`, 400, "INVALID_CONTEXT"},
		{"missing targeting key", single, ofrepToken, `{"context":{"plan":"pro"}}`, 400, "TARGETING_KEY_MISSING"},
		{"empty targeting key", single, ofrepToken, `{"context":{"targetingKey":""}}`, 400, "TARGETING_KEY_MISSING"},
		{"unknown flag", base + "/ofrep/v1/evaluate/flags/dark-mod", ofrepToken, `{"context":{"targetingKey":"u"}}`, 404, "FLAG_NOT_FOUND"},
		{"huge body", single, ofrepToken, huge, 413, ""},
		{"wrong token", single, "wrong", `{"context":{"targetingKey":"u"}}`, 401, ""},
		{"no token", single, "", `{"context":{"targetingKey":"u"}}`, 401, ""},
		{"bulk: malformed body", bulk, ofrepToken, `{"context":{"targetingKey":"u"`, 400, "PARSE_ERROR"},
		{"bulk: context not an object", bulk, ofrepToken, `{"context":7}`, 400, "INVALID_CONTEXT"},
		{"bulk: missing targeting key", bulk, ofrepToken, `{"context":{}}`, 400, "TARGETING_KEY_MISSING"},
		{"bulk: huge body", bulk, ofrepToken, huge, 413, ""},
		{"bulk: wrong token", bulk, "wrong", `{"context":{"targetingKey":"u"}}`, 401, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, http.MethodPost, tc.url, tc.token, tc.body)
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.code != "" {
				checkFailure(t, r.json(t), tc.url != bulk, tc.code)
			}
		})
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
	withDB(t, db, func(tx workflows.Tx) {
		for _, key := range []string{"dark-mode", workflows.HoldoutExperiment("web"), workflows.HoldoutExperiment("app")} {
			if n, err := tx.CountExposures(key); err != nil || n != 0 {
				t.Errorf("bad requests logged %d exposures of %s (%v)", n, key, err)
			}
		}
	})
}

func TestOFREPBulkAndETag(t *testing.T) {
	base, _, db := startOFREP(t)
	url := base + "/ofrep/v1/evaluate/flags"
	body := `{"context":{"targetingKey":"user-3"}}`
	first := call(t, http.MethodPost, url, ofrepToken, body)
	etag := first.header.Get("ETag")
	if first.status != 200 || etag == "" {
		t.Fatalf("bulk: %d %s", first.status, first.body)
	}
	var doc struct {
		Flags    []map[string]any `json:"flags"`
		Metadata map[string]any   `json:"metadata"`
	}
	if err := json.Unmarshal(first.body, &doc); err != nil || len(doc.Flags) != 8 {
		t.Fatalf("bulk body %s: %v", first.body, err)
	}
	for _, f := range doc.Flags {
		checkSuccess(t, f)
	}
	if again := call(t, http.MethodPost, url, ofrepToken, body, "If-None-Match", etag); again.status != http.StatusNotModified || len(again.body) != 0 {
		t.Errorf("If-None-Match with the current ETag: %d %s", again.status, again.body)
	}
	other := call(t, http.MethodPost, url, ofrepToken, `{"context":{"targetingKey":"user-1"}}`, "If-None-Match", etag)
	if other.status != 200 {
		t.Errorf("another unit with the first unit's ETag: %d", other.status)
	}
	// A change made by another process reaches the snapshot by polling.
	withWiredService(t, db, appOptions{}, func(svc *workflows.Service) {
		if _, err := svc.Kill(context.Background(), workflows.ActorCLI, "dark-mode", "too dark"); err != nil {
			t.Fatal(err)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := call(t, http.MethodPost, url, ofrepToken, body, "If-None-Match", etag)
		if r.status == 200 {
			if r.header.Get("ETag") == etag || !bytes.Contains(r.body, []byte(`{"key":"dark-mode","value":false,"reason":"DISABLED","variant":"off"`)) {
				t.Errorf("after the kill: %s %s", r.header.Get("ETag"), r.body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the kill did not reach the bulk answer: %d", r.status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestExposuresLoggedAtEvaluation evaluates units many times, through both
// APIs, and counts the rows: one per unit in a running experiment's
// rollout, none for units outside it, for requests that opt out, or for an
// experiment that does.
func TestExposuresLoggedAtEvaluation(t *testing.T) {
	base, stop, db := startOFREP(t)
	var in, holdout, rest int
	const units = 300
	for i := range units {
		unit := fmt.Sprint("u", i)
		for range 3 {
			ofrepEval(t, base, "checkout-copy", unit)
			ofrepEval(t, base, "max-items", unit) // log_exposures: false
			call(t, http.MethodGet, base+"/api/v1/flags/checkout-copy/evaluate?unit_id="+unit, ofrepToken, "")
		}
		// Opted out per request: neither counts.
		call(t, http.MethodPost, base+"/ofrep/v1/evaluate/flags/dark-mode", ofrepToken, fmt.Sprintf(`{"context":{"targetingKey":%q,"growthbot_log_exposure":false}}`, unit))
		call(t, http.MethodGet, base+"/api/v1/flags/dark-mode/evaluate?growthbot_log_exposure=false&unit_id="+unit, ofrepToken, "")
		r := ofrepEval(t, base, "banner", unit)
		if r.json(t)["metadata"].(map[string]any)["in_experiment"] == true {
			in++
		}
		if recipeBucket("holdout:web", unit) < 0.1 {
			holdout++
		} else {
			rest++
		}
	}
	inCopy := 0
	for i := range units {
		if recipeBucket("checkout-copy:traffic", fmt.Sprint("u", i)) < 0.4 {
			inCopy++
		}
	}
	if code := stop(); code != 0 { // the last exposures are written at shutdown
		t.Fatalf("serve exited with %d", code)
	}
	withDB(t, db, func(tx workflows.Tx) {
		for _, c := range []struct {
			key  string
			want int
		}{{"checkout-copy", inCopy}, {"max-items", 0}, {"dark-mode", 0}, {"banner", in}, {workflows.HoldoutExperiment("web"), holdout + rest}} {
			if n, err := tx.CountExposures(c.key); err != nil || n != c.want {
				t.Errorf("%s: %d exposed units (%v), want %d", c.key, n, err, c.want)
			}
		}
	})
	rows := queryInt(t, db, `SELECT count(*) FROM exposures WHERE experiment = 'checkout-copy'`)
	holdoutRows := queryInt(t, db, `SELECT count(*) FROM exposures WHERE experiment = 'holdout:web' AND variant = 'holdout'`)
	if rows != inCopy || holdoutRows != holdout || inCopy == 0 || holdout == 0 {
		t.Errorf("rows: checkout-copy %d (want %d), holdout %d (want %d)", rows, inCopy, holdoutRows, holdout)
	}
}

// recipeBucket is README's bucket(), written from its text.
func recipeBucket(key, unit string) float64 {
	sum := sha256.Sum256([]byte(key + ":" + unit))
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}

// queryInt runs a query for one number straight on the file.
func queryInt(t testing.TB, path, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// findUnit returns the first unit "user-N" that has every property.
func findUnit(props ...func(string) bool) string {
	for i := 0; ; i++ {
		u := fmt.Sprint("user-", i)
		if !slices.ContainsFunc(props, func(p func(string) bool) bool { return !p(u) }) {
			return u
		}
	}
}
