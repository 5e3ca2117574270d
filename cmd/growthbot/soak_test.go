package main

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

// soakParams size a soak: days of a service running on its own schedule,
// with data arriving every night and people typing commands by day.
type soakParams struct {
	days, teams, experiments int
	// population units in all; activePerDay of them come each day, each
	// exposed to its experimentsPerUnit experiments and sending
	// eventsPerUnit events.
	population, activePerDay, experimentsPerUnit, eventsPerUnit int
	// commandsPerDay slash commands, each a signed request recorded
	// against replays.
	commandsPerDay int
	// housekeeping runs the housekeeping job on its schedule; without it
	// the job is left out, as before it existed.
	housekeeping bool
	vars         map[string]string
}

// soakResult is what a soak leaves behind.
type soakResult struct {
	mainBytes, walBytes, freeBytes int64
	tables                         []tableSize // largest first
	runs                           map[string]int
	// jobRows are the job-run records left, per job.
	jobRows map[string]int64
	elapsed time.Duration
}

// tableSize is one table's (or index's) rows and bytes on disk.
type tableSize struct {
	name  string
	rows  int64
	bytes int64
}

func (r soakResult) table(name string) tableSize {
	for _, s := range r.tables {
		if s.name == name {
			return s
		}
	}
	return tableSize{name: name}
}

// report logs the sizes, as the README gives them.
func (r soakResult) report(t *testing.T, label string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: database %.1f MB + WAL %.1f MB after a checkpoint (%.1f MB of it free pages), in %v; job runs %v, records left %v\n",
		label, mb(r.mainBytes), mb(r.walBytes), mb(r.freeBytes), r.elapsed.Round(time.Second), r.runs, r.jobRows)
	for _, s := range r.tables {
		fmt.Fprintf(&b, "  %-28s %10d rows %9.2f MB\n", s.name, s.rows, mb(s.bytes))
	}
	t.Log(b.String())
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// soakConfig is the config of a soak: teams in three time zones, with the
// experiments dealt out between them.
func soakConfig(p soakParams) string {
	var b strings.Builder
	b.WriteString("teams:\n")
	zones := []string{"UTC", "Europe/Berlin", "America/New_York"}
	for i := range p.teams {
		fmt.Fprintf(&b, "  - {key: team%d, name: Team %d, channel: C0TEAM%d, lead: U0LEAD%d, approvers: [U0PM%d], timezone: %s}\n",
			i, i, i, i, i, zones[i%len(zones)])
	}
	b.WriteString(`metrics:
  - {key: purchase, type: proportion, event: purchase}
  - {key: revenue, type: mean, event: purchase, value: sum, winsorize: 0.99}
  - {key: errors, type: mean, event: checkout_error, higher_is_better: false}
experiments:
`)
	for i := range p.experiments {
		fmt.Fprintf(&b, `  - key: exp-%02d
    team: team%d
    owner: U0PM%d
    variants: [{key: control, weight: 50}, {key: treatment, weight: 50}]
    primary_metrics: [purchase]
    guardrail_metrics: [errors]
    secondary_metrics: [revenue]
    planned_days: %d
`, i, i%p.teams, i%p.teams, 28+i%3*7)
		if i%10 == 0 { // every tenth is a phased rollout
			b.WriteString("    rollout: {steps: []}\n")
		}
	}
	return b.String()
}

// soak runs p.days of growthbot through the real wiring (newService, the
// job table, the console's router and outbox against a fake Slack), on a
// clock that moves from job to job: every job that serve would run fires at
// its scheduled times (rollouts every quarter hour, pulses, digests and
// weekly updates in each team's time zone, housekeeping at 03:30 UTC), each
// night's data is imported, and slash commands arrive by day. It returns
// the sizes after a checkpoint.
func soak(t *testing.T, dir string, p soakParams) soakResult {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(dir, "soak.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "soak.yaml", soakConfig(p)), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	// Whole days in the past, so that every row's time has passed.
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -p.days-1)
	res := soakResult{runs: map[string]int{}}
	began := time.Now()
	e := &env{getenv: func(k string) string { return p.vars[k] }, log: slog.New(slog.DiscardHandler)}
	clock := workflows.NewFakeClock(start)
	local, err := openLocal(ctx, e, db, appOptions{clock: clock, log: e.log}, "U0PM0", "C0TEAM0", "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer local.Close()
		svc, con := local.svc, local.console
		var keys []string
		for i := range p.experiments {
			keys = append(keys, fmt.Sprintf("exp-%02d", i))
			if _, err := svc.StartExperiment(ctx, workflows.ActorCLI, keys[i]); err != nil {
				t.Fatal(err)
			}
		}
		con.Settle(ctx)
		type firing struct {
			at   time.Time
			job  workflows.Job
			opts workflows.JobOptions
		}
		r := rand.New(rand.NewPCG(12, 30))
		for day := range p.days {
			from := start.AddDate(0, 0, day)
			// The schedules as serve reads them: the job table, the
			// settings, each team's time zone.
			scheduled, err := svc.ScheduledJobs(ctx, svc.Jobs())
			if err != nil {
				t.Fatal(err)
			}
			var due []firing
			for _, sj := range scheduled {
				if sj.Job.Name == workflows.JobHousekeeping && !p.housekeeping {
					continue
				}
				for at := sj.Schedule.Next(from.Add(-time.Nanosecond)); at.Before(from.AddDate(0, 0, 1)); at = sj.Schedule.Next(at) {
					due = append(due, firing{at, sj.Job, sj.Options(at)})
				}
			}
			// Yesterday's data arrives at 00:05; commands during office
			// hours, between the jobs.
			clock.Set(from.Add(5 * time.Minute))
			soakImport(t, svc, p, r, keys, from.AddDate(0, 0, -1))
			for i := range p.commandsPerDay {
				due = append(due, firing{at: from.Add(8*time.Hour + time.Duration(i)*10*time.Hour/time.Duration(max(p.commandsPerDay, 1)))})
			}
			slices.SortStableFunc(due, func(a, b firing) int { return a.at.Compare(b.at) })
			for _, f := range due {
				clock.Set(f.at)
				if f.job.Run == nil {
					con.Exec(ctx, "/exp list")
					continue
				}
				if _, err := f.job.Run(ctx, f.opts); err != nil {
					t.Fatalf("%s %+v at %s: %v", f.job.Name, f.opts, f.at, err)
				}
				res.runs[f.job.Name]++
				con.Settle(ctx)
			}
			if testing.Verbose() && (day%5 == 4 || day == p.days-1) {
				t.Logf("day %d done (%v)", day+1, time.Since(began).Round(time.Second))
			}
		}
		for _, c := range local.fake.Calls() {
			if c.Error != "" && c.Error != "not_in_channel" {
				t.Errorf("Slack answered %s to %s", c.Error, c.Method)
				break
			}
		}
	}()
	res.elapsed = time.Since(began)
	res.measure(t, db)
	return res
}

// soakImport writes a day's exposures and events through the store's
// import writers (the code of `growthbot import`).
func soakImport(t *testing.T, svc *workflows.Service, p soakParams, r *rand.Rand, keys []string, day time.Time) {
	t.Helper()
	var xs []workflows.Exposure
	var es []workflows.Event
	for range p.activePerDay {
		u := r.IntN(p.population)
		unit := fmt.Sprintf("u%d", u)
		h := fnv.New64a()
		h.Write([]byte(unit))
		seed := h.Sum64()
		for k := range p.experimentsPerUnit {
			exp := keys[int((seed>>(k*8))%uint64(len(keys)))]
			variant := "control"
			if (seed>>(k+40))&1 == 1 {
				variant = "treatment"
			}
			xs = append(xs, workflows.Exposure{UnitID: unit, Experiment: exp, Variant: variant,
				At: day.Add(time.Duration(r.Int64N(int64(24 * time.Hour)))).Truncate(time.Millisecond)})
		}
		for range p.eventsPerUnit {
			ev := workflows.Event{UnitID: unit, Name: "page_view", Value: 1,
				At: day.Add(time.Duration(r.Int64N(int64(24 * time.Hour)))).Truncate(time.Millisecond)}
			switch k := r.IntN(20); {
			case k < 2:
				ev.Name, ev.Value = "purchase", float64(r.IntN(20000))/100
			case k < 3:
				ev.Name = "checkout_error"
			case k < 8:
				ev.Name = "add_to_cart"
			}
			es = append(es, ev)
		}
	}
	slices.SortFunc(es, func(a, b workflows.Event) int { return a.At.Compare(b.At) })
	err := svc.Store.Update(context.Background(), func(tx workflows.Tx) error {
		xw, err := tx.ExposureWriter()
		if err != nil {
			return err
		}
		if _, err := xw.Write(xs); err != nil {
			return err
		}
		if err := xw.Close(); err != nil {
			return err
		}
		ew, err := tx.EventWriter()
		if err != nil {
			return err
		}
		if _, err := ew.Write(es); err != nil {
			return err
		}
		return ew.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// measure checkpoints the database and reads its file sizes, and each
// table's rows and bytes (SQLite's dbstat).
func (r *soakResult) measure(t *testing.T, path string) {
	t.Helper()
	conn, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	for name, into := range map[string]*int64{path: &r.mainBytes, path + "-wal": &r.walBytes} {
		if fi, err := os.Stat(name); err == nil {
			*into = fi.Size()
		}
	}
	var free, pageSize int64
	if err := conn.QueryRow(`SELECT * FROM pragma_freelist_count, pragma_page_size`).Scan(&free, &pageSize); err != nil {
		t.Fatal(err)
	}
	r.freeBytes = free * pageSize
	rows, err := conn.Query(`SELECT s.name, m.type, SUM(s.pgsize) FROM dbstat s JOIN sqlite_master m ON m.name = s.name
		GROUP BY s.name ORDER BY 3 DESC`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s tableSize
		var typ string
		if err := rows.Scan(&s.name, &typ, &s.bytes); err != nil {
			t.Fatal(err)
		}
		if typ == "table" {
			s.rows = -1 // counted below
		}
		r.tables = append(r.tables, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	r.jobRows = map[string]int64{}
	jobs, err := conn.Query(`SELECT job, COUNT(*) FROM job_runs GROUP BY job`)
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Close()
	for jobs.Next() {
		var job string
		var n int64
		if err := jobs.Scan(&job, &n); err != nil {
			t.Fatal(err)
		}
		r.jobRows[job] = n
	}
	for i, s := range r.tables {
		if s.rows == -1 {
			if err := conn.QueryRow(`SELECT COUNT(*) FROM "` + s.name + `"`).Scan(&r.tables[i].rows); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Four days of ten experiments in five teams, with housekeeping keeping a
// day, against the same without housekeeping: what grows with every job
// run, request and pulse is bounded (README: Retention). The month-long
// figure is TestSoakMonth (-tags load).
func TestSoakHousekeepingBoundsTheDatabase(t *testing.T) {
	p := soakParams{days: 4, teams: 5, experiments: 10, population: 2000, activePerDay: 300, experimentsPerUnit: 3,
		eventsPerUnit: 3, commandsPerDay: 12, vars: map[string]string{envKeepDelivery: "1h", envKeepMessages: "24h",
			envKeepJobRuns: "1h", envKeepSnapshots: "24h"}}
	results := map[bool]soakResult{}
	for _, hk := range []bool{false, true} {
		p.housekeeping = hk
		results[hk] = soak(t, t.TempDir(), p)
		if testing.Verbose() {
			results[hk].report(t, fmt.Sprintf("housekeeping %v", hk))
		}
	}
	with, without := results[true], results[false]
	if with.runs[workflows.JobHousekeeping] != p.days || without.runs[workflows.JobRollouts] != 96*p.days ||
		without.jobRows[workflows.JobRollouts] != 96*int64(p.days) {
		t.Fatalf("job runs: %v with housekeeping, %v without; records left %v / %v", with.runs, without.runs, with.jobRows, without.jobRows)
	}
	// Housekeeping runs at 03:30 and keeps the rollouts' records of the
	// 25 hours before (their hour of catch-up and a day): the day since
	// adds 82 more.
	if n := with.jobRows[workflows.JobRollouts]; n > 4*25+82+1 {
		t.Errorf("%d rollouts records left with housekeeping, want at most %d", n, 4*25+82+1)
	}
	for _, table := range []string{"slack_deliveries", "outbox", "snapshots"} {
		w, wo := with.table(table), without.table(table)
		if w.rows >= wo.rows || w.bytes > wo.bytes {
			t.Errorf("%s: %d rows, %d bytes with housekeeping; %d rows, %d bytes without", table, w.rows, w.bytes, wo.rows, wo.bytes)
		}
	}
	// The day's commands since 03:30 only; each experiment's two newest
	// scorecards and its newest posted one.
	if n := with.table("slack_deliveries").rows; n > without.table("slack_deliveries").rows/int64(p.days) {
		t.Errorf("%d delivery records left, more than a day's", n)
	}
	if n := with.table("snapshots").rows; n > 3*int64(p.experiments) {
		t.Errorf("%d snapshots left, more than 3 per experiment", n)
	}
}
