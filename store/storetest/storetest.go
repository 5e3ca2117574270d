// Package storetest opens growthbot as the tests of its adapters need it: a
// real SQLite file, and the domain service over it wired as serve wires it
// (the embedded decision frameworks, the cron parser), on a clock the test
// controls. It is for tests only.
package storetest

import (
	"context"
	"testing"

	"github.com/growthbot/growthbot/store"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
	"github.com/growthbot/growthbot/workflows/schedule"
)

// Open opens (creating or migrating) the SQLite file at path, on clock's
// time, and the service over it. The caller closes the database.
func Open(t testing.TB, path string, clock *workflows.FakeClock) (*store.DB, *workflows.Service) {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Now = clock.Now
	svc := workflows.NewService(db, nil)
	svc.Clock = clock
	svc.ParseSchedule = schedule.Parse
	svc.Frameworks = templates.FrameworkNames()
	for name, data := range templates.Frameworks() {
		f, err := workflows.ParseFramework(name, data)
		if err != nil {
			t.Fatal(err)
		}
		svc.FrameworkSet = append(svc.FrameworkSet, f)
	}
	return db, svc
}

// ApplyExample applies the example config (templates/growthbot.example.yaml):
// its teams, metrics and experiments.
func ApplyExample(t testing.TB, svc *workflows.Service) {
	t.Helper()
	if _, err := svc.ApplyConfig(context.Background(), "example.yaml", templates.ExampleConfig(), workflows.ActorConfig, false); err != nil {
		t.Fatal(err)
	}
}
