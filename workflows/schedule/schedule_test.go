package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/schedule"
)

func TestParse(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	after := time.Date(2026, 11, 2, 7, 0, 0, 0, time.UTC) // 08:00 in Berlin
	tests := []struct {
		name    string
		spec    string
		loc     *time.Location
		next    time.Time
		wantErr string
	}{
		{"daily in UTC", "0 9 * * *", time.UTC, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), ""},
		{"daily in Berlin", "0 9 * * *", berlin, time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), ""},
		{"first weekdays of the month", "0 9 1-3 * *", time.UTC, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), ""},
		{"hour out of range", "0 25 * * *", time.UTC, time.Time{}, "above maximum"},
		{"six fields", "0 0 9 * * *", time.UTC, time.Time{}, "expected exactly 5 fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := schedule.Parse(tc.spec, tc.loc)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse(%q) = %v, want an error saying %q", tc.spec, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(after); !got.Equal(tc.next) {
				t.Errorf("Next(%v) = %v, want %v", after, got, tc.next)
			}
		})
	}
}

// The config names the file and line of a spec cron cannot read when the
// parser is injected, and counts fields only when it is not.
func TestConfigChecksSpecsWithTheInjectedParser(t *testing.T) {
	const file = "settings:\n  schedules:\n    pulse: \"0 9 * * *\"\n    digest: \"61 9 * * *\"\n"
	env := workflows.ConfigEnv{ParseSchedule: schedule.Parse}
	_, err := workflows.ParseConfig("g.yaml", []byte(file), env)
	if err == nil || !strings.Contains(err.Error(), `g.yaml:4: settings: schedules.digest "61 9 * * *" is not a cron spec: `) {
		t.Errorf("with the parser: %v", err)
	}
	if _, err := workflows.ParseConfig("g.yaml", []byte(file), workflows.ConfigEnv{}); err != nil {
		t.Errorf("without the parser, five fields pass: %v", err)
	}
}
