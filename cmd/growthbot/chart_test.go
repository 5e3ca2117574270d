package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/workflows"
)

// TestPulseUploadsTheIntervalChartOnce: a pulse run with `growthbot jobs
// run pulse` posts the scorecard of an experiment whose guardrail fails
// with two pictures in its thread, through serve's outbox to the fake
// Slack: every metric's interval coloured by verdict, and the primary
// metric's lift. A second pulse the same day uploads neither again.
func TestPulseUploadsTheIntervalChartOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", scorecardConfig), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	started := time.Now().Add(-10 * 24 * time.Hour).Truncate(time.Second)
	withWiredService(t, db, appOptions{clock: workflows.NewFakeClock(started)}, func(svc *workflows.Service) {
		if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, "crashy"); err != nil {
			t.Fatal(err)
		}
	})
	var exposures, events strings.Builder
	writeArms(&exposures, &events, "crashy", started.Add(time.Hour),
		armData{"control", 1000, map[string]int{"purchase": 100}},
		armData{"treatment", 1000, map[string]int{"purchase": 130, "app_crash": 40}})
	for kind, data := range map[string]string{"exposures": exposures.String(), "events": events.String()} {
		if res := run(t, "", nil, "import", kind, writeFile(t, dir, kind+".ndjson", data), "--db", db); res.code != 0 {
			t.Fatalf("import %s: %+v", kind, res)
		}
	}
	s := startSlackServe(t, db, nil)
	files := func(f *fakeslack.Server, infix string) []fakeslack.File {
		var out []fakeslack.File
		for _, file := range f.Files() {
			if strings.Contains(file.Name, infix) && file.Completed {
				out = append(out, file)
			}
		}
		return out
	}
	for i := range 2 {
		if res := run(t, "", nil, "jobs", "run", "pulse", "--team", "checkout", "--db", db); res.code != 0 {
			t.Fatalf("pulse %d: %+v", i+1, res)
		}
	}
	s.wait("the charts", func(f *fakeslack.Server) bool {
		return len(files(f, "crashy-metrics-day-")) > 0 && len(files(f, "crashy-lift-day-")) > 0
	})
	// Serve's own schedule posts in the channel too (the week's update,
	// last month's review): the experiment's thread is the one about it.
	var thread fakeslack.Message
	for _, m := range s.fake.Messages("C0CHECKOUT") {
		if strings.HasPrefix(m.Text, "Crashy") {
			thread = m
		}
	}
	if thread.TS == "" {
		t.Fatalf("no thread of Crashy in %q", allTexts(s.fake, "C0CHECKOUT"))
	}
	for _, infix := range []string{"crashy-metrics-day-11", "crashy-lift-day-11"} {
		got := files(s.fake, infix)
		if len(got) != 1 {
			t.Errorf("%d files named %s*, want 1", len(got), infix)
			continue
		}
		f := got[0]
		if f.Channel != "C0CHECKOUT" || f.ThreadTS != thread.TS {
			t.Errorf("%s: shared in %q thread %q, want the experiment's thread %q", f.Name, f.Channel, f.ThreadTS, thread.TS)
		}
		// GROWTHBOT_TEST_CHARTS=DIR keeps the uploaded PNGs, to look at them.
		if dir := os.Getenv("GROWTHBOT_TEST_CHARTS"); dir != "" {
			os.WriteFile(filepath.Join(dir, f.Name), f.Bytes, 0o644)
		}
		if _, err := png.Decode(bytes.NewReader(f.Bytes)); err != nil {
			t.Errorf("%s is not a PNG: %v", f.Name, err)
		}
	}
	if got := files(s.fake, "crashy-metrics-day-"); len(got) == 1 && got[0].Title != "Crashy: every metric's lift and interval, coloured by verdict, day 11" {
		t.Errorf("the interval chart's title is %q", got[0].Title)
	}
}
