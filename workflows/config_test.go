package workflows_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/growthbot/growthbot/templates"
	"github.com/growthbot/growthbot/workflows"
)

var env = workflows.ConfigEnv{Frameworks: []string{"clear-signals", "do-no-harm"}}

func TestParseExampleConfig(t *testing.T) {
	cfg, err := workflows.ParseConfig("growthbot.example.yaml", templates.ExampleConfig(), env)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Teams) != 2 || len(cfg.Metrics) < 5 || len(cfg.Experiments) != 3 || cfg.Settings == nil {
		t.Fatalf("got %d teams, %d metrics, %d experiments, settings %v", len(cfg.Teams), len(cfg.Metrics), len(cfg.Experiments), cfg.Settings)
	}
	var ratio, lowerIsBetter bool
	for _, m := range cfg.Metrics {
		ratio = ratio || m.Type == workflows.MetricRatio
		lowerIsBetter = lowerIsBetter || !m.HigherIsBetter
	}
	if !ratio || !lowerIsBetter {
		t.Errorf("example must show a ratio metric (%v) and a guardrail with higher_is_better: false (%v)", ratio, lowerIsBetter)
	}
	e := cfg.Experiments[0]
	if e.Key != "one-click-checkout" || e.Method != workflows.MethodSequential || e.Control() != "control" ||
		e.MinDays != 7 || e.PlannedDays != 14 || e.State != workflows.StateDraft {
		t.Errorf("first experiment: %+v", e)
	}
	if plan := cfg.Experiments[2].RolloutPlan; len(plan) != 4 || plan[2].Percent != 50 || plan[2].MinSample != 1000 || plan[2].Hold.Hours() != 48 {
		t.Errorf("rollout plan: %+v", plan)
	}
}

// valid is a minimal valid file; cases below break one thing each.
const valid = `teams:
  - key: checkout
    channel: C0CHECKOUT
    lead: U0LEAD
    approvers: [U0PM]
metrics:
  - {key: purchase, type: proportion, event: purchase}
  - {key: errors, type: mean, event: checkout_error, higher_is_better: false}
experiments:
  - key: one-click
    team: checkout
    variants: [{key: control, weight: 50}, {key: treatment, weight: 50}]
    primary_metrics: [purchase]
    guardrail_metrics: [errors]
`

func TestParseConfigProblems(t *testing.T) {
	tests := []struct {
		name string
		// edit changes the valid file: old -> new.
		old, new string
		env      *workflows.ConfigEnv
		line     int
		want     string
	}{
		{"unknown top-level key", "teams:", "team:", nil, 1, `unknown key "team" (did you mean "teams"?)`},
		{"unknown team key", "    lead: U0LEAD", "    leed: U0LEAD", nil, 4, `team "checkout": unknown key "leed" (did you mean "lead"?)`},
		{"unknown nested key", "{key: control, weight: 50}", "{key: control, wieght: 50}", nil, 12, `experiment "one-click" variant "control": unknown key "wieght"`},
		{"unknown team reference", "    team: checkout", "    team: chekout", nil, 11, `team "chekout" is not defined (did you mean "checkout"?)`},
		{"unknown metric reference", "primary_metrics: [purchase]", "primary_metrics: [purchse]", nil, 13, `"purchse" is not a metric (did you mean "purchase"?)`},
		{"duplicate team key", "metrics:", "  - {key: checkout, channel: C0X2, lead: U0A, approvers: [U0B]}\nmetrics:", nil, 6, `duplicate team key "checkout" (first defined on line 2)`},
		{"duplicate metric key", "  - {key: errors,", "  - {key: purchase,", nil, 8, `duplicate metric key "purchase"`},
		{"weights add to zero", "weight: 50}, {key: treatment, weight: 50}", "weight: 0}, {key: treatment, weight: 0}", nil, 12, "weights add up to 0"},
		{"negative weight", "{key: treatment, weight: 50}", "{key: treatment, weight: -5}", nil, 12, "weights must be 0 or more"},
		{"malformed channel", "C0CHECKOUT", "checkout-channel", nil, 3, `"checkout-channel" is not a Slack channel id`},
		{"malformed user", "lead: U0LEAD", "lead: bob", nil, 4, `"bob" is not a Slack user id`},
		{"malformed approver", "[U0PM]", "[U0PM, alice]", nil, 5, `approvers: "alice" is not a Slack user id`},
		{"bad metric type", "type: proportion", "type: percentage", nil, 7, `type "percentage" must be mean, proportion or ratio`},
		{"bad method", "    team: checkout\n", "    team: checkout\n    method: frequentist\n", nil, 12, `method "frequentist" must be fixed, sequential or bayesian`},
		{"unknown framework", "    team: checkout\n", "    team: checkout\n    decision_framework: clear-signal\n", nil, 12, `unknown decision framework "clear-signal" (did you mean "clear-signals"?)`},
		{"wrong value type", "    team: checkout\n", "    team: checkout\n    min_days: seven\n", nil, 12, "cannot unmarshal str `seven` into int"},
		{"one variant", "[{key: control, weight: 50}, {key: treatment, weight: 50}]", "[{key: control}]", nil, 12, "needs at least two variants"},
		{"duplicate variant", "{key: treatment, weight: 50}", "{key: control, weight: 50}", nil, 12, `duplicate variant "control"`},
		{"no primary metric", "    primary_metrics: [purchase]\n", "", nil, 10, "has no primary_metrics"},
		{"bad time zone", "    approvers: [U0PM]\n", "    approvers: [U0PM]\n    timezone: Mars/Olympus\n", nil, 6, `unknown time zone "Mars/Olympus"`},
		{"ratio of unknown metric", "metrics:\n", "metrics:\n  - {key: aov, type: ratio, numerator: revenue, denominator: purchase}\n", nil, 7, `numerator "revenue" is not a metric`},
		{"bad yaml", "    lead: U0LEAD", "    lead: [U0LEAD", nil, 4, "YAML syntax: did not find expected"},
		{"an event name two teams claim", "    approvers: [U0PM]\n", "    approvers: [U0PM]\n    events: {names: [purchase]}\n" +
			"  - {key: growth, channel: C0GROWTH, lead: U0A, approvers: [U0B], events: {names: [purchase]}}\n", nil, 7,
			`team "growth": events.names "purchase" is team "checkout"'s already: an event belongs to one team`},
		{"an empty unit prefix", "    approvers: [U0PM]\n", "    approvers: [U0PM]\n    events: {unit_prefixes: [\"\"]}\n", nil, 6,
			`team "checkout": events.unit_prefixes has an entry that is empty`},
		{"duplicate mapping key", "    lead: U0LEAD", "    lead: U0LEAD\n    lead: U0OTHER", nil, 5, `team "checkout": key "lead" appears twice (first on line 4)`},
		{"team known only to the store", "teams:\n  - key: checkout\n    channel: C0CHECKOUT\n    lead: U0LEAD\n    approvers: [U0PM]\n", "", &workflows.ConfigEnv{Frameworks: env.Frameworks}, 6, `team "checkout" is not defined`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(valid, tc.old) {
				t.Fatalf("test edit %q does not apply", tc.old)
			}
			data := strings.Replace(valid, tc.old, tc.new, 1)
			e := env
			if tc.env != nil {
				e = *tc.env
			}
			_, err := workflows.ParseConfig("g.yaml", []byte(data), e)
			var cfgErr *workflows.ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("ParseConfig error = %v, want a *ConfigError", err)
			}
			if workflows.ErrorCode(err) != workflows.EINVALID {
				t.Errorf("code %q, want invalid", workflows.ErrorCode(err))
			}
			for _, p := range cfgErr.Problems {
				if strings.Contains(p.Message, tc.want) {
					if p.Line != tc.line {
						t.Errorf("problem %q on line %d, want line %d", p.Message, p.Line, tc.line)
					}
					return
				}
			}
			t.Errorf("no problem says %q; got:\n%v", tc.want, err)
		})
	}
}

func TestParseConfigListsEveryProblem(t *testing.T) {
	data := strings.NewReplacer("C0CHECKOUT", "nope", "team: checkout", "team: nobody", "[purchase]", "[missing]").Replace(valid)
	_, err := workflows.ParseConfig("g.yaml", []byte(data), env)
	var cfgErr *workflows.ConfigError
	if !errors.As(err, &cfgErr) || len(cfgErr.Problems) != 3 {
		t.Fatalf("want exactly 3 problems, got %v", err)
	}
	if !strings.HasPrefix(err.Error(), "g.yaml: 3 problems, nothing applied:\n  g.yaml:3: ") {
		t.Errorf("message:\n%s", err)
	}
}

func TestParseConfigValid(t *testing.T) {
	cfg, err := workflows.ParseConfig("g.yaml", []byte(valid), env)
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.Experiments[0]
	if e.Method != workflows.MethodSequential || e.Alpha != workflows.DefaultAlpha || e.Name != "one-click" ||
		cfg.Teams[0].Timezone != "UTC" || cfg.Teams[0].RequiredApprovals != 1 || cfg.Metrics[1].HigherIsBetter {
		t.Errorf("defaults not applied: %+v %+v %+v", e, cfg.Teams[0], cfg.Metrics[1])
	}
	if cfg.Line("experiment", "one-click") != 10 {
		t.Errorf("experiment line %d, want 10", cfg.Line("experiment", "one-click"))
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"one-click-checkout", "free-shipping-banner", "guided-onboarding"}
	for _, tc := range []struct{ word, want string }{
		{"one-click-chekout", "one-click-checkout"},
		{"guided-onbaording", "guided-onboarding"},
		{"pricing-page", ""},
		{"one-clcik-checkout", "one-click-checkout"},
		{"", ""},
	} {
		if got := workflows.Closest(tc.word, cands); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
