package bot_test

import (
	"strings"
	"testing"

	"github.com/growthbot/growthbot/bot"
)

func TestMetricsEscapeLabelValuesOnce(t *testing.T) {
	m := bot.NewMetrics()
	m.Add("requests_total", 1, "route", `say "hi" \ bye`+"\n")
	var b strings.Builder
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	// The exposition format escapes \, " and a line feed, and only those.
	want := `requests_total{route="say \"hi\" \\ bye\n"} 1`
	if !strings.Contains(b.String(), want) {
		t.Errorf("got\n%s\nwant a line\n%s", b.String(), want)
	}
}
