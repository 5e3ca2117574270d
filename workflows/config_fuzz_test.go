package workflows_test

import (
	"bytes"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

// The shapes a valid config's values must have; they repeat the parser's
// rules on purpose, so that a change to one side shows.
var (
	configKey     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	configChannel = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	configUser    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
)

// fuzzEnv knows a team and a metric the file may refer to without
// defining them, as a store that already holds some would.
var fuzzEnv = workflows.ConfigEnv{Frameworks: []string{"clear-signals", "do-no-harm"}, Teams: []string{"growth"}, Metrics: []string{"signups"}}

// FuzzParseConfig throws arbitrary bytes at ParseConfig. It must not
// panic; a refusal is a *ConfigError whose every problem says what is wrong
// and points at a line of the file (or at none, 0); a file it accepts must
// hold only what the rules allow, so that apply never stores an item
// another part of growthbot cannot use. Run it with
//
//	go test -run='^$' -fuzz='^FuzzParseConfig$' ./workflows
func FuzzParseConfig(f *testing.F) {
	f.Add(templates.ExampleConfig())
	f.Add([]byte(valid))
	f.Add([]byte(""))
	f.Add([]byte("teams: [\n"))
	f.Add([]byte("settings: {sequential_tuning: 1000, min_sample_per_arm: 100, schedules: {pulse: '0 9 * * *'}}\n"))
	f.Add([]byte(strings.Replace(valid, "    guardrail_metrics: [errors]\n",
		"    guardrail_metrics: [errors]\n    rollout: {steps: [{percent: 5, hold: 1d}, {percent: 100, hold: 90m, min_sample: 10}]}\n", 1)))
	f.Add([]byte(strings.Replace(valid, "metrics:\n", "metrics:\n  - {key: aov, type: ratio, numerator: signups, denominator: purchase}\n", 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := workflows.ParseConfig("g.yaml", data, fuzzEnv)
		if err != nil {
			checkConfigError(t, data, err)
			return
		}
		checkConfig(t, cfg)
		// Parsing is a pure function of the file: apply's dry run and the
		// real one must agree.
		again, err := workflows.ParseConfig("g.yaml", data, fuzzEnv)
		if err != nil || !reflect.DeepEqual(again, cfg) {
			t.Fatalf("a second parse differs: %v", err)
		}
	})
}

func checkConfigError(t *testing.T, data []byte, err error) {
	t.Helper()
	ce, ok := err.(*workflows.ConfigError)
	if !ok {
		t.Fatalf("error %T %v, want a *workflows.ConfigError", err, err)
	}
	if workflows.ErrorCode(err) != workflows.EINVALID {
		t.Fatalf("code %q, want invalid", workflows.ErrorCode(err))
	}
	if len(ce.Problems) == 0 {
		t.Fatalf("a ConfigError without problems")
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, p := range ce.Problems {
		if strings.TrimSpace(p.Message) == "" || p.File != "g.yaml" {
			t.Fatalf("problem without a message or file: %+v", p)
		}
		// One past the last line is where "the file ends too early" points.
		if p.Line < 0 || p.Line > lines+1 {
			t.Fatalf("problem %q on line %d of a file of %d lines", p.Message, p.Line, lines)
		}
	}
}

// checkConfig checks the rules every accepted config satisfies.
func checkConfig(t *testing.T, cfg *workflows.Config) {
	t.Helper()
	// Items the file defines, and every key it may refer to.
	var fileTeams, fileMetrics, fileExps []string
	ratios := map[string]bool{}
	for _, tm := range cfg.Teams {
		checkItem(t, cfg, "team", tm.Key, fileTeams)
		fileTeams = append(fileTeams, tm.Key)
		if !configChannel.MatchString(tm.Channel) || !configUser.MatchString(tm.Lead) || len(tm.Approvers) == 0 {
			t.Fatalf("team %q: channel %q, lead %q, approvers %q", tm.Key, tm.Channel, tm.Lead, tm.Approvers)
		}
		for _, u := range slices.Concat(tm.Approvers, tm.Members) {
			if !configUser.MatchString(u) {
				t.Fatalf("team %q: user %q", tm.Key, u)
			}
		}
		if tm.RequiredApprovals < 1 || tm.RequiredApprovals > len(tm.Approvers) {
			t.Fatalf("team %q: required approvals %d of %d approvers", tm.Key, tm.RequiredApprovals, len(tm.Approvers))
		}
		if _, err := time.LoadLocation(tm.Timezone); err != nil || tm.Timezone == "Local" {
			t.Fatalf("team %q: time zone %q", tm.Key, tm.Timezone)
		}
		checkFramework(t, tm.Framework, false)
		if !finite(tm.Targets.MRRGrowth, tm.Targets.NPS) {
			t.Fatalf("team %q: targets %+v", tm.Key, tm.Targets)
		}
	}
	for _, m := range cfg.Metrics {
		checkItem(t, cfg, "metric", m.Key, fileMetrics)
		fileMetrics = append(fileMetrics, m.Key)
		if m.Type == workflows.MetricRatio {
			ratios[m.Key] = true
		}
	}
	teams, metrics := slices.Concat(fuzzEnv.Teams, fileTeams), slices.Concat(fuzzEnv.Metrics, fileMetrics)
	for _, m := range cfg.Metrics {
		switch m.Type {
		case workflows.MetricMean, workflows.MetricProportion:
			if m.Event == "" || (m.Value != workflows.ValueCount && m.Value != workflows.ValueSum) {
				t.Fatalf("metric %q: event %q, value %q", m.Key, m.Event, m.Value)
			}
		case workflows.MetricRatio:
			for _, part := range []string{m.Numerator, m.Denominator} {
				if !slices.Contains(metrics, part) || ratios[part] || part == m.Key {
					t.Fatalf("ratio %q of %q over %q", m.Key, m.Numerator, m.Denominator)
				}
			}
		default:
			t.Fatalf("metric %q: type %q", m.Key, m.Type)
		}
		if m.Winsorize != 0 && !(m.Winsorize > 0.5 && m.Winsorize < 1) {
			t.Fatalf("metric %q: winsorize %v", m.Key, m.Winsorize)
		}
	}
	for _, e := range cfg.Experiments {
		checkItem(t, cfg, "experiment", e.Key, fileExps)
		fileExps = append(fileExps, e.Key)
		checkExperiment(t, e, teams, metrics)
	}
	if s := cfg.Settings; s != nil {
		if s.MinSamplePerArm < 0 || s.PulseCadenceDays < 0 || !finite(s.SequentialTuning) || s.SequentialTuning < 0 {
			t.Fatalf("settings %+v", *s)
		}
		for _, spec := range []string{s.PulseSchedule, s.RolloutsSchedule, s.DigestSchedule} {
			if spec != "" && len(strings.Fields(spec)) != 5 {
				t.Fatalf("schedule %q", spec)
			}
		}
	}
}

func checkExperiment(t *testing.T, e workflows.Experiment, teams, metrics []string) {
	t.Helper()
	if !slices.Contains(teams, e.Team) || e.State != workflows.StateDraft {
		t.Fatalf("experiment %q: team %q, state %q", e.Key, e.Team, e.State)
	}
	if e.Owner != "" && !configUser.MatchString(e.Owner) {
		t.Fatalf("experiment %q: owner %q", e.Key, e.Owner)
	}
	if len(e.Variants) < 2 {
		t.Fatalf("experiment %q: %d variants", e.Key, len(e.Variants))
	}
	seen, total := map[string]bool{}, 0.0
	for _, v := range e.Variants {
		if !configKey.MatchString(v.Key) || seen[v.Key] || !finite(v.Weight) || v.Weight < 0 {
			t.Fatalf("experiment %q: variant %+v", e.Key, v)
		}
		seen[v.Key] = true
		total += v.Weight
	}
	if !(total > 0) || math.IsInf(total, 0) {
		t.Fatalf("experiment %q: weights add up to %v", e.Key, total)
	}
	if len(e.PrimaryMetrics) == 0 {
		t.Fatalf("experiment %q: no primary metric", e.Key)
	}
	used := map[string]bool{}
	for _, m := range slices.Concat(e.PrimaryMetrics, e.GuardrailMetrics, e.SecondaryMetrics) {
		if !slices.Contains(metrics, m) || used[m] {
			t.Fatalf("experiment %q: metric %q unknown or listed twice", e.Key, m)
		}
		used[m] = true
	}
	switch e.Method {
	case workflows.MethodFixed, workflows.MethodSequential, workflows.MethodBayesian:
	default:
		t.Fatalf("experiment %q: method %q", e.Key, e.Method)
	}
	checkFramework(t, e.Framework, true)
	if !(e.Alpha > 0 && e.Alpha <= 0.5) || !(e.TargetMDE > 0 && e.TargetMDE <= 10) ||
		e.MinDays < 0 || e.PlannedDays < 1 || e.PlannedDays > 365 || e.PlannedDays < e.MinDays {
		t.Fatalf("experiment %q: alpha %v, target MDE %v, days %d..%d", e.Key, e.Alpha, e.TargetMDE, e.MinDays, e.PlannedDays)
	}
	last := 0.0
	for _, s := range e.RolloutPlan {
		if !(s.Percent > last && s.Percent <= 100) || s.Hold < 0 || s.MinSample < 0 {
			t.Fatalf("experiment %q: rollout plan %+v", e.Key, e.RolloutPlan)
		}
		last = s.Percent
	}
}

// checkItem checks an item's key: well formed, not defined before in the
// file, and placed on a line.
func checkItem(t *testing.T, cfg *workflows.Config, kind, key string, before []string) {
	t.Helper()
	if !configKey.MatchString(key) || slices.Contains(before, key) {
		t.Fatalf("%s key %q is malformed or repeated", kind, key)
	}
	if cfg.Line(kind, key) < 1 {
		t.Fatalf("%s %q has no line", kind, key)
	}
}

func checkFramework(t *testing.T, name string, optional bool) {
	t.Helper()
	if (name == "" && optional) || slices.Contains(fuzzEnv.Frameworks, name) {
		return
	}
	t.Fatalf("framework %q", name)
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
