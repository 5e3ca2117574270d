package main

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/growthbot/growthbot/bot/fakeslack"
	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// scheduledJobs are the jobs README promises `growthbot serve` runs on its
// own. The test below proves each through serve's own wiring; it is written
// out here, not read from the job table, so that a job dropped from the
// table fails it.
var scheduledJobs = []string{workflows.JobPulse, workflows.JobRollouts, workflows.JobDigest, workflows.JobHousekeeping,
	workflows.JobWeekly}

// shiftedClock runs at the wall clock's pace from a time a test sets, so
// that what paces itself by the clock (the outbox) keeps going while the
// test jumps over hours.
type shiftedClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func newShiftedClock(at time.Time) *shiftedClock {
	c := &shiftedClock{}
	c.Set(at)
	return c
}

func (c *shiftedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Set makes the clock read at now.
func (c *shiftedClock) Set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(at)
}

// jobRuns returns the recorded runs of a job as "scope period status".
func jobRuns(t *testing.T, path, job string) []string {
	t.Helper()
	var out []string
	withDB(t, path, func(tx workflows.Tx) {
		runs, err := tx.JobRuns(job, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			out = append(out, r.Scope+" "+r.Period+" "+string(r.Status))
		}
	})
	return out
}

// waitUntil polls cond for up to 20 s, then fails with what describe says.
func waitUntil(t *testing.T, what string, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 20 s:\n%s", what, describe())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// postedText reports whether any message in the channel, thread replies
// included, contains s.
func postedText(fake *fakeslack.Server, channel, s string) bool {
	var walk func([]fakeslack.Message) bool
	walk = func(msgs []fakeslack.Message) bool {
		return slices.ContainsFunc(msgs, func(m fakeslack.Message) bool {
			return strings.Contains(m.Text, s) || strings.Contains(string(m.Blocks), s) || walk(m.Replies)
		})
	}
	return walk(fake.Messages(channel))
}

// `growthbot serve`, left to its own schedule, runs every job. It starts on
// Sunday 1 November 2026 in the evening, and the clock then passes 09:00 in
// Berlin on Monday, when checkout's pulse and October's growth review are
// due (the review waits for the month's first weekday), as is the weekly
// update (Mondays), and 08:30 UTC,
// when the guided onboarding rollout's one-day hold at 5 % has passed.
func TestServeRunsEveryJobOnItsSchedule(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	started := time.Date(2026, 11, 1, 8, 30, 0, 0, time.UTC)
	withWiredService(t, db, appOptions{clock: workflows.NewFakeClock(started)}, func(svc *workflows.Service) {
		for _, key := range []string{"one-click-checkout", "guided-onboarding"} {
			if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, key); err != nil {
				t.Fatal(err)
			}
		}
		if got := svc.JobNames(); !slices.Equal(got, scheduledJobs) {
			t.Fatalf("the job table has %q; this test proves %q: prove each new job here", got, scheduledJobs)
		}
	})
	exposeRollout(t, db, started.Add(time.Hour))

	fake := fakeslack.New()
	defer fake.Close()
	fake.SetScopes(manifestScopes(t)...)
	clock := newShiftedClock(time.Date(2026, 11, 1, 20, 0, 0, 0, time.UTC))
	serveClock = clock
	t.Cleanup(func() { serveClock = nil })
	_, stop, logs := startServeLogged(t, map[string]string{envDB: db, envBotToken: "xoxb-test", envSlackAPIURL: fake.APIURL()},
		"--poll", "20ms")

	// At start, only catch-up runs: yesterday's pulses, and a rollout
	// that is still holding.
	waitUntil(t, "the catch-up", func() bool { return slices.Contains(jobRuns(t, db, workflows.JobPulse), "checkout 2026-11-01 done") },
		logs.String)
	if runs := jobRuns(t, db, workflows.JobDigest); len(runs) != 0 {
		t.Fatalf("digest ran before it was due: %q", runs)
	}
	if runs := jobRuns(t, db, workflows.JobPulse); slices.Contains(runs, "checkout 2026-11-02 done") {
		t.Fatalf("Monday's pulse ran on Sunday: %q", runs)
	}
	clock.Set(time.Date(2026, 11, 2, 8, 31, 0, 0, time.UTC))

	evidence := map[string]func() bool{
		workflows.JobPulse: func() bool {
			return slices.Contains(jobRuns(t, db, workflows.JobPulse), "checkout 2026-11-02 done")
		},
		workflows.JobRollouts: func() bool {
			var pct float64
			withDB(t, db, func(tx workflows.Tx) {
				e, err := tx.Experiment("guided-onboarding")
				if err != nil {
					t.Fatal(err)
				}
				pct = e.RolloutPercent
			})
			return pct == 25 && postedText(fake, "C0ONBOARD", "25 %")
		},
		workflows.JobHousekeeping: func() bool { // 03:30 UTC
			return slices.Contains(jobRuns(t, db, workflows.JobHousekeeping), "* 2026-11-02 done")
		},
		workflows.JobDigest: func() bool {
			return slices.Contains(jobRuns(t, db, workflows.JobDigest), "checkout 2026-10 done") &&
				postedText(fake, "C0CHECKOUT", "October 2026")
		},
		// Monday 2 November is in ISO week 45; one-click checkout started
		// the day before, last week.
		workflows.JobWeekly: func() bool {
			return slices.Contains(jobRuns(t, db, workflows.JobWeekly), "checkout 2026-W45 done") &&
				postedText(fake, "C0CHECKOUT", "Weekly update of Checkout")
		},
	}
	for _, job := range scheduledJobs {
		waitUntil(t, job+" on its schedule", evidence[job], func() string {
			var b strings.Builder
			for _, ch := range []string{"C0CHECKOUT", "C0ONBOARD"} {
				for _, m := range fake.Messages(ch) {
					b.WriteString(ch + ": " + m.Text + "\n")
				}
			}
			return b.String() + logs.String()
		})
	}
	for _, c := range fake.Calls() {
		if c.Error != "" {
			t.Errorf("Slack answered %s to %s", c.Error, c.Method)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d:\n%s", code, logs)
	}
}

// `growthbot jobs run digest --team T --period P` and `jobs run rollouts`,
// run by hand, exit 0, and serve delivers what they enqueued.
func TestJobsRunByHandAreDelivered(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	// Started two days ago: the first step's one-day hold has passed.
	withWiredService(t, db, appOptions{clock: workflows.NewFakeClock(time.Now().Add(-48 * time.Hour))}, func(svc *workflows.Service) {
		if _, err := svc.StartExperiment(context.Background(), workflows.ActorCLI, "guided-onboarding"); err != nil {
			t.Fatal(err)
		}
	})
	exposeRollout(t, db, time.Now().Add(-47*time.Hour))
	fake := fakeslack.New()
	defer fake.Close()
	vars := map[string]string{envDB: db, envBotToken: "xoxb-test", envSlackAPIURL: fake.APIURL()}
	month := time.Now().AddDate(0, -2, 0).Format("2006-01")
	digest := run(t, "", vars, "jobs", "run", "digest", "--team", "checkout", "--period", month)
	if digest.code != 0 || !strings.Contains(digest.stdout, "digest checkout "+month+": posted") {
		t.Fatalf("jobs run digest: %+v", digest)
	}
	rollouts := run(t, "", vars, "jobs", "run", "rollouts")
	if rollouts.code != 0 || !strings.Contains(rollouts.stdout, "rollouts guided-onboarding: advanced from 5 % to 25 %") {
		t.Fatalf("jobs run rollouts: %+v", rollouts)
	}
	_, stop, logs := startServeLogged(t, vars)
	title, _ := time.Parse("2006-01", month)
	waitUntil(t, "delivery", func() bool {
		return postedText(fake, "C0CHECKOUT", "Growth review: Checkout, "+title.Format("January 2006")) && postedText(fake, "C0ONBOARD", "25 %")
	}, logs.String)
	list := run(t, "", vars, "jobs", "list")
	for _, want := range []string{`(?m)^pulse +0 9 \* \* \*`, `(?m)^rollouts +\*/15 \* \* \* \* +\* ` + time.Now().UTC().Format("2006-01-02T"),
		`(?m)^digest +0 9 1-3 \* \*`, `(?m)^housekeeping +30 3 \* \* \*`} {
		if !regexp.MustCompile(want).MatchString(list.stdout) {
			t.Errorf("jobs list lacks %q:\n%s", want, list.stdout)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
}

// A team added by `growthbot apply` in another process while serve runs is
// scheduled within a minute (here within a few polls), and its pulse runs
// when due, with no restart.
func TestServePicksUpAppliedTeams(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	fake := fakeslack.New()
	defer fake.Close()
	clock := newShiftedClock(time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC))
	serveClock = clock
	t.Cleanup(func() { serveClock = nil })
	vars := map[string]string{envDB: db, envBotToken: "xoxb-test", envSlackAPIURL: fake.APIURL()}
	_, stop, logs := startServeLogged(t, vars, "--poll", "50ms")

	team := "teams:\n  - {key: growth, name: Growth, channel: C0GROWTH, lead: U0GLEAD, approvers: [U0GLEAD], timezone: UTC}\n"
	applied := time.Now()
	if res := run(t, "", vars, "apply", "-f", writeFile(t, dir, "team.yaml", team)); res.code != 0 {
		t.Fatal(res)
	}
	waitUntil(t, "scheduling the new team", func() bool {
		return strings.Contains(logs.String(), `msg="scheduler: scheduled" component=scheduler entry="pulse growth"`)
	}, logs.String)
	if took := time.Since(applied); took > time.Minute {
		t.Errorf("the new team was scheduled %s after apply; want within a minute", took)
	}
	clock.Set(time.Date(2026, 11, 2, 9, 0, 30, 0, time.UTC))
	waitUntil(t, "the new team's pulse", func() bool {
		return slices.Contains(jobRuns(t, db, workflows.JobPulse), "growth 2026-11-02 done")
	}, logs.String)
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
}

// Without SLACK_BOT_TOKEN, serve keeps messages to Slack in the outbox, as
// it warns, and sends no request Slack could only refuse; started again
// with the token, it delivers them.
func TestServeWithoutBotTokenHoldsMessages(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	fake := fakeslack.New()
	defer fake.Close()
	vars := map[string]string{envDB: db, envSlackAPIURL: fake.APIURL()}
	// The weekly update: a post to each team channel.
	if res := run(t, "", vars, "jobs", "run", "weekly"); res.code != 0 || !strings.Contains(res.stdout, "posted") {
		t.Fatal(res)
	}
	_, stop, logs := startServeLogged(t, vars, "--poll", "20ms")
	time.Sleep(time.Second) // fifty polls of the outbox
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d:\n%s", code, logs)
	}
	if !strings.Contains(logs.String(), "SLACK_BOT_TOKEN is not set: messages to Slack channels wait in the outbox") {
		t.Errorf("serve did not warn:\n%s", logs)
	}
	if calls := fake.Calls(); len(calls) != 0 {
		t.Errorf("serve without a bot token called Slack: %+v", calls)
	}
	vars[envBotToken] = "xoxb-test"
	_, stop, logs = startServeLogged(t, vars, "--poll", "20ms")
	waitUntil(t, "the weekly updates", func() bool {
		posted := map[string]bool{}
		for _, c := range fake.Calls() {
			if c.Method == "chat.postMessage" && c.Error == "" {
				posted[c.Params.Get("channel")] = true
			}
		}
		return posted["C0CHECKOUT"] && posted["C0ONBOARD"]
	}, logs.String)
	if code := stop(); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
}

// `growthbot jobs run housekeeping` prunes the rollouts' quarter-hour
// records older than GROWTHBOT_KEEP_JOB_RUNS but keeps the newest, keeps a
// digest's record for good, and says what it did; `jobs list` still shows
// the last rollouts run.
func TestJobsRunHousekeepingPrunesJobRuns(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.db")
	if res := run(t, "", nil, "apply", "-f", writeFile(t, dir, "g.yaml", string(templates.ExampleConfig())), "--db", db); res.code != 0 {
		t.Fatal(res)
	}
	now := time.Now().UTC()
	old := now.AddDate(0, 0, -20)
	withWiredService(t, db, appOptions{clock: workflows.NewFakeClock(old)}, func(svc *workflows.Service) {
		ctx := context.Background()
		for range 8 { // two hours of quarter hours, 20 days ago
			if _, err := svc.RunRollouts(ctx, workflows.JobOptions{}); err != nil {
				t.Fatal(err)
			}
			svc.Clock.(*workflows.FakeClock).Advance(15 * time.Minute)
		}
		if _, err := svc.RunDigest(ctx, workflows.JobOptions{Team: "checkout", Period: old.AddDate(0, -1, 0).Format("2006-01")}); err != nil {
			t.Fatal(err)
		}
	})
	vars := map[string]string{envDB: db, envKeepJobRuns: "240h"}
	if res := run(t, "", vars, "jobs", "run", "rollouts"); res.code != 0 {
		t.Fatal(res)
	}
	res := run(t, "", vars, "jobs", "run", "housekeeping")
	if res.code != 0 || !strings.Contains(res.stdout, "pruned 8 job runs older than 240h") {
		t.Fatalf("jobs run housekeeping: %+v", res)
	}
	if runs := jobRuns(t, db, workflows.JobRollouts); len(runs) != 1 || !strings.HasPrefix(runs[0], "* "+now.Format("2006-01-02T")) {
		t.Errorf("rollouts records left: %q, want today's only", runs)
	}
	if runs := jobRuns(t, db, workflows.JobDigest); len(runs) != 1 {
		t.Errorf("digest records left: %q, want the one", runs)
	}
	if list := run(t, "", vars, "jobs", "list"); !regexp.MustCompile(`(?m)^rollouts +\*/15 \* \* \* \* +\* ` + now.Format("2006-01-02T")).MatchString(list.stdout) {
		t.Errorf("jobs list:\n%s", list.stdout)
	}
	// A bad period is refused with the variable's name.
	vars[envKeepJobRuns] = "ten days"
	if res := run(t, "", vars, "jobs", "run", "housekeeping", "--force"); res.code != 2 || !strings.Contains(res.stderr, "GROWTHBOT_KEEP_JOB_RUNS") {
		t.Errorf("a bad GROWTHBOT_KEEP_JOB_RUNS: %+v", res)
	}
}
