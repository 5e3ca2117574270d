package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/httpapi"
	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/store/storetest"
	"github.com/growthbot/growthbot/workflows"
)

const flagsToken = "flags-test-token"

// flagsBook is the domain over a real SQLite file with the example config
// applied, on a clock the test moves.
type flagsBook struct {
	db    *store.DB
	svc   *workflows.Service
	clock *workflows.FakeClock
}

func newFlagsBook(t *testing.T) *flagsBook {
	t.Helper()
	b := &flagsBook{clock: workflows.NewFakeClock(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))}
	b.db, b.svc = storetest.Open(t, filepath.Join(t.TempDir(), "growthbot.db"), b.clock)
	t.Cleanup(func() { b.db.Close() })
	storetest.ApplyExample(t, b.svc)
	return b
}

// flagsServer serves the flags API over the test bot's database.
func flagsServer(t *testing.T, b *flagsBook, token string) *httptest.Server {
	t.Helper()
	srv := httpapi.NewServer(nil, b.db.Ping)
	book := &workflows.FlagBook{Service: b.svc}
	book.Watch()
	if err := book.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.MountFlags(book, httpapi.APIConfig{Token: token})
	s := httptest.NewServer(srv)
	t.Cleanup(s.Close)
	return s
}

type flagsReply struct {
	status int
	etag   string
	body   string
}

func getFlags(t *testing.T, url, token string, header ...string) flagsReply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return flagsReply{resp.StatusCode, resp.Header.Get("ETag"), string(body)}
}

func TestFlagsETagChangesOnlyWithState(t *testing.T) {
	b := newFlagsBook(t)
	ctx := context.Background()
	s := flagsServer(t, b, flagsToken)
	url := s.URL + "/api/v1/flags"

	first := getFlags(t, url, flagsToken)
	if first.status != 200 || first.etag == "" {
		t.Fatalf("flags: %+v", first)
	}
	var doc struct {
		Flags []map[string]any `json:"flags"`
	}
	if err := json.Unmarshal([]byte(first.body), &doc); err != nil || len(doc.Flags) != 3 {
		t.Fatalf("flags body %s: %v", first.body, err)
	}
	for _, k := range []string{"key", "state", "variants", "rollout_percent", "winner"} {
		if _, ok := doc.Flags[0][k]; !ok {
			t.Errorf("a flag lacks %q: %v", k, doc.Flags[0])
		}
	}
	if again := getFlags(t, url, flagsToken); again.etag != first.etag || again.body != first.body {
		t.Errorf("the same state gave another ETag: %s then %s", first.etag, again.etag)
	}
	if cached := getFlags(t, url, flagsToken, "If-None-Match", first.etag); cached.status != http.StatusNotModified || cached.body != "" {
		t.Errorf("If-None-Match with the current ETag: %d %q", cached.status, cached.body)
	}

	// Changes that are not an experiment's state leave the ETag alone.
	if _, err := b.svc.AddGoal(ctx, "U0ENG1", "checkout", "Faster checkout", "", ""); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(time.Hour)
	if same := getFlags(t, url, flagsToken, "If-None-Match", first.etag); same.status != http.StatusNotModified {
		t.Errorf("a goal changed the flags: %d %s", same.status, same.body)
	}

	steps := []func() error{
		func() error { _, err := b.svc.StartExperiment(ctx, "U0ENG3", "guided-onboarding"); return err },
		func() error {
			_, err := b.svc.SteerRollout(ctx, "U0ENG3", "guided-onboarding", workflows.RolloutAdvance, 0)
			return err
		},
		func() error { _, err := b.svc.Kill(ctx, "U0ENG3", "guided-onboarding", ""); return err },
	}
	seen := map[string]bool{first.etag: true}
	prev := first.etag
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
		got := getFlags(t, url, flagsToken, "If-None-Match", prev)
		if got.status != 200 || seen[got.etag] {
			t.Fatalf("state change %d: %d, ETag %s seen before", i+1, got.status, got.etag)
		}
		seen[got.etag], prev = true, got.etag
	}
	if !strings.Contains(getFlags(t, url, flagsToken).body, `{"key":"guided-onboarding","team":"onboarding","state":"killed","variants":[{"key":"control","weight":1,"value":"control"},{"key":"guided","weight":1,"value":"guided"}],"rollout_percent":0,"winner":"control","log_exposures":true}`) {
		t.Errorf("the killed rollout's flag is not as documented: %s", getFlags(t, url, flagsToken).body)
	}
}

func TestFlagsAPI(t *testing.T) {
	b := newFlagsBook(t)
	if _, err := b.svc.StartExperiment(context.Background(), "U0ENG1", "one-click-checkout"); err != nil {
		t.Fatal(err)
	}
	s := flagsServer(t, b, flagsToken)
	tests := []struct {
		name, path, token string
		status            int
		want              string
	}{
		{"no token", "/api/v1/flags", "", 401, "Bearer TOKEN"},
		{"wrong token", "/api/v1/flags", "nope", 401, "Bearer TOKEN"},
		{"evaluate", "/api/v1/flags/one-click-checkout/evaluate?unit_id=user-42", flagsToken, 200,
			`{"key":"one-click-checkout","unit_id":"user-42","variant":"treatment","value":"treatment","state":"running","rollout_percent":100,"in_experiment":true,"reason":"rollout"}`},
		{"evaluate a draft", "/api/v1/flags/guided-onboarding/evaluate?unit_id=user-42", flagsToken, 200, `"variant":"control","value":"control","state":"draft"`},
		{"unknown key", "/api/v1/flags/one-click-chekout/evaluate?unit_id=u", flagsToken, 404, `did you mean \"one-click-checkout\"?`},
		{"no unit", "/api/v1/flags/one-click-checkout/evaluate", flagsToken, 400, "unit_id"},
		{"wrong method", "/api/v1/flags", flagsToken, 405, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := s.URL + tc.path
			var got flagsReply
			if tc.status == 405 {
				resp, err := http.Post(url, "application/json", nil)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				got.status = resp.StatusCode
			} else {
				got = getFlags(t, url, tc.token)
			}
			if got.status != tc.status || !strings.Contains(got.body, tc.want) {
				t.Errorf("%d %s; want %d with %s", got.status, got.body, tc.status, tc.want)
			}
		})
	}
	disabled := flagsServer(t, b, "")
	if got := getFlags(t, disabled.URL+"/api/v1/flags", ""); got.status != http.StatusServiceUnavailable {
		t.Errorf("without a token configured: %d %s", got.status, got.body)
	}
}
