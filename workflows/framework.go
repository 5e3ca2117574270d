package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Recommend is what a decision framework advises for an experiment.
type Recommend string

// Recommendations.
const (
	RecommendShip        Recommend = "ship"
	RecommendExtend      Recommend = "extend"
	RecommendKill        Recommend = "kill"
	RecommendKeepRunning Recommend = "keep_running"
	RecommendInvestigate Recommend = "investigate"
	RecommendDiscuss     Recommend = "discuss"
	// RecommendDecide asks for a decision on judgement: the data will not
	// settle it in any reasonable time.
	RecommendDecide Recommend = "decide"
)

// Condition is a fact about a scorecard that a framework rule can test.
type Condition string

// Conditions. Each is computed from a scorecard by Scorecard.Holds.
const (
	CondSRM                 Condition = "srm"
	CondNotMature           Condition = "not_mature"
	CondGuardrailFailing    Condition = "guardrail_failing"
	CondGuardrailRegressing Condition = "guardrail_regressing"
	CondPrimaryWinning      Condition = "primary_winning"
	CondPrimaryLosing       Condition = "primary_losing"
	CondUnderpowered        Condition = "underpowered"
	CondPastEnd             Condition = "past_end"
	// CondGuardrailUnknown: a guardrail could not be computed.
	CondGuardrailUnknown Condition = "guardrail_unknown"
	// CondOutOfReach: the target effect needs several times the planned
	// days (see OutOfReachFactor).
	CondOutOfReach Condition = "out_of_reach"
)

var conditions = []Condition{CondSRM, CondNotMature, CondGuardrailFailing, CondGuardrailRegressing,
	CondPrimaryWinning, CondPrimaryLosing, CondUnderpowered, CondPastEnd, CondGuardrailUnknown, CondOutOfReach}

var recommendations = []Recommend{RecommendShip, RecommendExtend, RecommendKill, RecommendKeepRunning,
	RecommendInvestigate, RecommendDiscuss, RecommendDecide}

// Framework maps a scorecard to a recommendation with a reason: its rules
// are tried in order and the first whose conditions all hold wins.
type Framework struct {
	Name        string
	Description string
	Rules       []Rule
	// RollbackOnRegression makes a rollout go back to 0 % on a guardrail
	// regression instead of halting where it is.
	RollbackOnRegression bool
}

// Rule is one line of a framework.
type Rule struct {
	When      []Term
	Recommend Recommend
	Reason    string
}

// Term is a condition, possibly negated.
type Term struct {
	Not       bool
	Condition Condition
}

func (t Term) String() string {
	if t.Not {
		return "not " + string(t.Condition)
	}
	return string(t.Condition)
}

// Recommendation is a framework's advice for one scorecard.
type Recommendation struct {
	Action    Recommend
	Variant   string // ship: the variant to ship
	Reason    string
	Framework string
}

// Recommend evaluates the framework on a scorecard.
func (f Framework) Recommend(sc Scorecard) Recommendation {
	for _, r := range f.Rules {
		if slices.IndexFunc(r.When, func(t Term) bool { return sc.Holds(t.Condition) == t.Not }) >= 0 {
			continue
		}
		rec := Recommendation{Action: r.Recommend, Reason: r.Reason, Framework: f.Name}
		if r.Recommend == RecommendShip {
			rec.Variant = sc.Winner()
		}
		if detail := sc.Detail(r.When); detail != "" {
			rec.Reason += " " + detail
		}
		if rec.Action == RecommendShip && sc.Guardrails == GuardrailsUnknown {
			rec.Reason += " A guardrail is unknown (" + sc.GuardrailReason + "), so a person must approve a ship; it is not auto-approved."
		}
		return rec
	}
	return Recommendation{Action: RecommendKeepRunning, Reason: "No rule of the framework applies.", Framework: f.Name}
}

// ParseFramework reads a decision framework from YAML. name is the file's
// name for messages.
func ParseFramework(name string, data []byte) (Framework, error) {
	var raw struct {
		Name         string `yaml:"name"`
		Description  string `yaml:"description"`
		OnRegression string `yaml:"on_regression"`
		Rules        []struct {
			When      []string `yaml:"when"`
			Recommend string   `yaml:"recommend"`
			Reason    string   `yaml:"reason"`
		} `yaml:"rules"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return Framework{}, Errorf(EINVALID, "framework %s: %v", name, err)
	}
	f := Framework{Name: raw.Name, Description: strings.TrimSpace(raw.Description)}
	var problems []string
	switch raw.OnRegression {
	case "", "halt":
	case "rollback":
		f.RollbackOnRegression = true
	default:
		problems = append(problems, fmt.Sprintf("on_regression %q must be halt or rollback", raw.OnRegression))
	}
	if f.Name == "" {
		problems = append(problems, "it has no name")
	}
	if len(raw.Rules) == 0 {
		problems = append(problems, "it has no rules")
	}
	for i, r := range raw.Rules {
		rule := Rule{Recommend: Recommend(r.Recommend), Reason: strings.TrimSpace(r.Reason)}
		if !slices.Contains(recommendations, rule.Recommend) {
			problems = append(problems, fmt.Sprintf("rule %d: recommend %q must be one of %v", i+1, r.Recommend, recommendations))
		}
		for _, w := range r.When {
			t := Term{Condition: Condition(w)}
			if c, ok := strings.CutPrefix(w, "not "); ok {
				t = Term{Not: true, Condition: Condition(strings.TrimSpace(c))}
			}
			if !slices.Contains(conditions, t.Condition) {
				problems = append(problems, fmt.Sprintf("rule %d: unknown condition %q%s", i+1, w, didYouMean(string(t.Condition), conditionNames())))
			}
			rule.When = append(rule.When, t)
		}
		f.Rules = append(f.Rules, rule)
	}
	if len(problems) > 0 {
		return f, Errorf(EINVALID, "framework %s: %s", name, strings.Join(problems, "; "))
	}
	return f, nil
}

func conditionNames() []string {
	out := make([]string, len(conditions))
	for i, c := range conditions {
		out[i] = string(c)
	}
	return out
}

// Framework returns the framework an experiment follows: its own, else its
// team's default, else clear-signals.
func (s *Service) framework(e Experiment, team Team) Framework {
	for _, name := range []string{e.Framework, team.Framework, DefaultFramework} {
		for _, f := range s.FrameworkSet {
			if name != "" && f.Name == name {
				return f
			}
		}
	}
	return Framework{Name: DefaultFramework, Rules: []Rule{{Recommend: RecommendKeepRunning, Reason: "No framework is loaded."}}}
}
