package httpapi

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMetricsEscapeLabelValuesOnce(t *testing.T) {
	m := NewMetrics()
	m.refused(`say "hi" \ bye`+"\n", "x")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	// The exposition format escapes \, " and a line feed, and only those.
	want := `growthbot_ingest_refused_total{kind="say \"hi\" \\ bye\n",reason="x"} 1`
	if !strings.Contains(string(body), want) {
		t.Errorf("got\n%s\nwant a line\n%s", body, want)
	}
	if got := m.Value("growthbot_ingest_refused_total", "kind", `say "hi" \ bye`+"\n", "reason", "x"); got != 1 {
		t.Errorf("Value = %v, want 1", got)
	}
}
