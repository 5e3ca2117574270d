package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Config is a parsed and validated config file: what `growthbot apply`
// upserts.
type Config struct {
	File        string
	Teams       []Team
	Metrics     []Metric
	Experiments []Experiment
	Sources     []Source
	// Settings is nil when the file has no settings section, so that applying
	// a file without one leaves the stored settings alone.
	Settings *Settings

	// lines remembers where each item was defined, for problems found when
	// the config meets the stored state.
	lines map[string]int
	// layerShareGiven lists the experiments whose layer_share the file
	// sets; the others get an equal part of what is left (see resolveLayers).
	layerShareGiven map[string]bool
}

// Line returns the line where the team, metric or experiment (kind is
// "team", "metric" or "experiment") was defined, or 0.
func (c *Config) Line(kind, key string) int { return c.lines[kind+":"+key] }

// Problem is one thing wrong with a config file.
type Problem struct {
	File    string
	Line    int
	Message string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Message)
}

// ConfigError lists everything wrong with a config file. A file with any
// problem is refused as a whole.
type ConfigError struct {
	File     string
	Problems []Problem
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	fmt.Fprintf(&b, "%s: %d problem%s, nothing applied:", e.File, n, plural(n))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Unwrap makes a ConfigError an EINVALID domain error.
func (e *ConfigError) Unwrap() error { return &Error{Code: EINVALID, Message: e.Error()} }

// ConfigEnv is what a config file is checked against besides itself.
type ConfigEnv struct {
	// Frameworks are the names of the known decision frameworks.
	Frameworks []string
	// Teams and Metrics are the keys already stored, which a file may refer
	// to without defining them.
	Teams   []string
	Metrics []string
	Sources []string
	// ParseSchedule, when set, checks the schedules' cron specs in full;
	// without it only their five fields are counted.
	ParseSchedule ScheduleParser
}

// The file format. Field tags are also the list of allowed keys.
type (
	configFile struct {
		Teams       []teamYAML       `yaml:"teams"`
		Metrics     []metricYAML     `yaml:"metrics"`
		Experiments []experimentYAML `yaml:"experiments"`
		Settings    *settingsYAML    `yaml:"settings"`
		Sources     []sourceYAML     `yaml:"sources"`
	}
	teamYAML struct {
		Key               string   `yaml:"key"`
		Name              string   `yaml:"name"`
		Channel           string   `yaml:"channel"`
		Lead              string   `yaml:"lead"`
		Approvers         []string `yaml:"approvers"`
		Members           []string `yaml:"members"`
		Timezone          string   `yaml:"timezone"`
		Framework         string   `yaml:"framework"`
		Source            string   `yaml:"source"`
		RequiredApprovals *int     `yaml:"required_approvals"`
		Targets           *struct {
			MRRGrowth *float64 `yaml:"mrr_growth"`
			NPS       *float64 `yaml:"nps"`
		} `yaml:"targets"`
		Webhook *struct {
			URL       string `yaml:"url"`
			SecretEnv string `yaml:"secret_env"`
		} `yaml:"webhook"`
		Holdout *struct {
			Share *float64 `yaml:"share"`
			Start string   `yaml:"start"`
			End   string   `yaml:"end"`
		} `yaml:"holdout"`
		Events *struct {
			Names        []string `yaml:"names"`
			UnitPrefixes []string `yaml:"unit_prefixes"`
		} `yaml:"events"`
	}
	metricYAML struct {
		Key            string   `yaml:"key"`
		Name           string   `yaml:"name"`
		Type           string   `yaml:"type"`
		Event          string   `yaml:"event"`
		Value          string   `yaml:"value"`
		Numerator      string   `yaml:"numerator"`
		Denominator    string   `yaml:"denominator"`
		HigherIsBetter *bool    `yaml:"higher_is_better"`
		Winsorize      *float64 `yaml:"winsorize"`
		Tags           []string `yaml:"tags"`
	}
	experimentYAML struct {
		Key               string        `yaml:"key"`
		Name              string        `yaml:"name"`
		Team              string        `yaml:"team"`
		Owner             string        `yaml:"owner"`
		Hypothesis        string        `yaml:"hypothesis"`
		Variants          []variantYAML `yaml:"variants"`
		PrimaryMetrics    []string      `yaml:"primary_metrics"`
		GuardrailMetrics  []string      `yaml:"guardrail_metrics"`
		SecondaryMetrics  []string      `yaml:"secondary_metrics"`
		Method            string        `yaml:"method"`
		Alpha             *float64      `yaml:"alpha"`
		DecisionFramework string        `yaml:"decision_framework"`
		MinDays           *int          `yaml:"min_days"`
		PlannedDays       *int          `yaml:"planned_days"`
		TargetMDE         *float64      `yaml:"target_mde"`
		Rollout           *rolloutYAML  `yaml:"rollout"`
		Layer             string        `yaml:"layer"`
		LayerShare        *float64      `yaml:"layer_share"`
		LogExposures      *bool         `yaml:"log_exposures"`
		Source            string        `yaml:"source"`
	}
	variantYAML struct {
		Key    string    `yaml:"key"`
		Weight *float64  `yaml:"weight"`
		Value  yaml.Node `yaml:"value"`
	}
	rolloutYAML struct {
		Steps []struct {
			Percent   float64 `yaml:"percent"`
			Hold      string  `yaml:"hold"`
			MinSample int64   `yaml:"min_sample"`
		} `yaml:"steps"`
	}
	settingsYAML struct {
		Schedules *struct {
			Pulse    string `yaml:"pulse"`
			Rollouts string `yaml:"rollouts"`
			Digest   string `yaml:"digest"`
			Weekly   string `yaml:"weekly"`
		} `yaml:"schedules"`
		MinSamplePerArm  int64   `yaml:"min_sample_per_arm"`
		PulseCadenceDays int     `yaml:"pulse_cadence_days"`
		SequentialTuning float64 `yaml:"sequential_tuning"`
		MaxTeamSize      int     `yaml:"max_team_size"`
		Timezone         string  `yaml:"timezone"`
		Currency         string  `yaml:"currency"`
		Monitoring       *struct {
			NoExposures string `yaml:"no_exposures"`
			NoEvents    string `yaml:"no_events"`
		} `yaml:"monitoring"`
	}
)

var (
	keyPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	channelPattern  = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	userPattern     = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	envNamePattern  = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	yamlLine        = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// ParseConfig parses and validates a config file. file names it in messages.
// Every problem found is reported, each with its line, in one *ConfigError.
func ParseConfig(file string, data []byte, env ConfigEnv) (*Config, error) {
	p := &configParser{file: file, env: env, cfg: &Config{File: file, lines: map[string]int{}, layerShareGiven: map[string]bool{}}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(0, "the file is empty; see templates/growthbot.example.yaml for the shape")
		} else {
			p.yamlError(err)
		}
		return nil, p.err()
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "the file must be a mapping with teams, metrics, experiments and settings")
		return nil, p.err()
	}
	p.checkKeys(root, reflect.TypeFor[configFile](), "")
	// A type error leaves the rest of the file decoded, so checking goes on:
	// the report lists every problem, not just the first kind found.
	var raw configFile
	if err := root.Decode(&raw); err != nil {
		p.yamlError(err)
	}
	p.sources(raw.Sources, childSeq(root, "sources"))
	p.teams(raw.Teams, childSeq(root, "teams"))
	p.metrics(raw.Metrics, childSeq(root, "metrics"))
	p.experiments(raw.Experiments, childSeq(root, "experiments"))
	if raw.Settings != nil {
		p.settings(raw.Settings, child(root, "settings"))
	}
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	return p.cfg, nil
}

type configParser struct {
	file     string
	env      ConfigEnv
	cfg      *Config
	problems []Problem
}

func (p *configParser) add(line int, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (p *configParser) err() error {
	slices.SortStableFunc(p.problems, func(a, b Problem) int { return a.Line - b.Line })
	return &ConfigError{File: p.file, Problems: p.problems}
}

// yamlError turns a YAML error, which may hold several "line N: ..." parts,
// into problems.
func (p *configParser) yamlError(err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, msg := range msgs {
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			text := strings.ReplaceAll(m[2], "!!", "")
			if strings.HasPrefix(text, "did not find expected") {
				// yaml.v3 counts lines from 0 for parser errors (and from 1
				// for scanner errors); people count from 1.
				line++
			}
			if te == nil {
				text = "YAML syntax: " + text
			}
			p.add(line, "%s", text)
			continue
		}
		p.add(0, "%s", strings.TrimPrefix(msg, "yaml: "))
	}
}

// checkKeys reports every mapping key in n, and below it, that typ does not
// have, with the closest allowed key as a suggestion.
func (p *configParser) checkKeys(n *yaml.Node, typ reflect.Type, where string) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ == reflect.TypeFor[yaml.Node]() {
		return // free-form: a variant's value
	}
	switch {
	case n.Kind == yaml.SequenceNode && typ.Kind() == reflect.Slice:
		for i, item := range n.Content {
			p.checkKeys(item, typ.Elem(), itemLabel(where, item, i))
		}
	case n.Kind == yaml.MappingNode && typ.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		var names []string
		for f := range typ.Fields() {
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			fields[name] = f.Type
			names = append(names, name)
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			// yaml.v3 keeps the last of two equal keys without a word when
			// decoding a node; a silently ignored line is worse than an error.
			if first, dup := seen[k.Value]; dup {
				p.add(k.Line, "%s", strings.TrimPrefix(where+": ", ": ")+fmt.Sprintf("key %q appears twice (first on line %d)", k.Value, first))
			}
			seen[k.Value] = k.Line
			ft, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("unknown key %q", k.Value)
				if where != "" {
					msg = fmt.Sprintf("%s: unknown key %q", where, k.Value)
				}
				if s := Closest(k.Value, names); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				} else {
					msg += fmt.Sprintf(" (allowed: %s)", strings.Join(names, ", "))
				}
				p.add(k.Line, "%s", msg)
				continue
			}
			next := k.Value
			if where != "" {
				next = where + "." + k.Value
			}
			p.checkKeys(v, ft, next)
		}
	}
}

// itemLabel names the i-th item of the list at where for messages: team
// "checkout", variant "control", rollout step 2.
func itemLabel(where string, n *yaml.Node, i int) string {
	kind := strings.TrimSuffix(where[strings.LastIndex(where, ".")+1:], "s")
	switch kind {
	case "step":
		kind = "rollout step"
	case "primary_metric", "guardrail_metric", "secondary_metric":
		return where
	}
	label := fmt.Sprintf("%s %d", kind, i+1)
	if k := child(n, "key"); k != nil && k.Kind == yaml.ScalarNode && k.Value != "" {
		label = fmt.Sprintf("%s %q", kind, k.Value)
	}
	if dot := strings.LastIndex(where, "."); dot >= 0 {
		return where[:dot] + " " + label
	}
	return label
}

// child returns the value node of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// childSeq returns the items of the sequence under key in n.
func childSeq(n *yaml.Node, key string) []*yaml.Node {
	if c := child(n, key); c != nil && c.Kind == yaml.SequenceNode {
		return c.Content
	}
	return nil
}

// item locates the fields of one list item, for precise line numbers.
type item struct{ n *yaml.Node }

// line returns the line of key's value, or of the item when key is absent.
func (it item) line(key string) int {
	if c := child(it.n, key); c != nil {
		return c.Line
	}
	if it.n != nil {
		return it.n.Line
	}
	return 0
}

// elemLine returns the line of the i-th element of the sequence under key.
func (it item) elemLine(key string, i int) int {
	if c := child(it.n, key); c != nil && c.Kind == yaml.SequenceNode && i < len(c.Content) {
		return c.Content[i].Line
	}
	return it.line(key)
}

func itemAt(nodes []*yaml.Node, i int) item {
	if i < len(nodes) {
		return item{nodes[i]}
	}
	return item{}
}

// checkKey reports a missing, malformed or duplicate key; it returns whether
// the key is usable.
func (p *configParser) checkKey(kind, key string, it item, seen map[string]int) bool {
	switch {
	case key == "":
		p.add(it.line("key"), "a %s has no key", kind)
		return false
	case !keyPattern.MatchString(key):
		p.add(it.line("key"), "%s key %q: use lower-case letters, digits, - and _ (at most 63)", kind, key)
		return false
	case seen[key] > 0:
		p.add(it.line("key"), "duplicate %s key %q (first defined on line %d)", kind, key, seen[key])
		return false
	}
	seen[key] = it.line("key")
	p.cfg.lines[kind+":"+key] = it.line("key")
	return true
}

func (p *configParser) checkUsers(it item, field string, what string, users []string) {
	for i, u := range users {
		if !userPattern.MatchString(u) {
			p.add(it.elemLine(field, i), "%s: %q is not a Slack user id (like U0123ABCD); copy it from the user's profile, \"Copy member ID\"", what, u)
		}
	}
}

func (p *configParser) checkFramework(it item, field, what, name string) {
	if name != "" && len(p.env.Frameworks) > 0 && !slices.Contains(p.env.Frameworks, name) {
		msg := fmt.Sprintf("%s: unknown decision framework %q", what, name)
		if s := Closest(name, p.env.Frameworks); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else {
			msg += fmt.Sprintf(" (known: %s)", strings.Join(p.env.Frameworks, ", "))
		}
		p.add(it.line(field), "%s", msg)
	}
}

func (p *configParser) teams(raw []teamYAML, nodes []*yaml.Node) {
	seen, claimed := map[string]int{}, map[string]string{}
	for i, r := range raw {
		it := itemAt(nodes, i)
		if !p.checkKey("team", r.Key, it, seen) {
			continue
		}
		what := fmt.Sprintf("team %q", r.Key)
		t := Team{
			Key: r.Key, Name: orDefault(r.Name, r.Key), Channel: r.Channel, Lead: r.Lead,
			Approvers: r.Approvers, Members: r.Members,
			Timezone: orDefault(r.Timezone, DefaultTimezone), Framework: orDefault(r.Framework, DefaultFramework),
			RequiredApprovals: 1, Source: r.Source,
		}
		p.checkSourceRef(it, what, r.Source)
		if !channelPattern.MatchString(r.Channel) {
			if r.Channel == "" {
				p.add(it.line("key"), "%s has no channel: give the Slack channel id (like C0123ABCD) where its messages go", what)
			} else {
				p.add(it.line("channel"), "%s: %q is not a Slack channel id (like C0123ABCD); find it at the bottom of the channel's details", what, r.Channel)
			}
		}
		if r.Lead == "" {
			p.add(it.line("key"), "%s has no lead: give the Slack user id of the team lead", what)
		} else {
			p.checkUsers(it, "lead", what+" lead", []string{r.Lead})
		}
		p.checkUsers(it, "approvers", what+" approvers", r.Approvers)
		p.checkUsers(it, "members", what+" members", r.Members)
		if _, err := time.LoadLocation(t.Timezone); err != nil || t.Timezone == "Local" {
			p.add(it.line("timezone"), "%s: unknown time zone %q (use an IANA name like Europe/Berlin)", what, r.Timezone)
		}
		p.checkFramework(it, "framework", what, r.Framework)
		if r.RequiredApprovals != nil {
			t.RequiredApprovals = *r.RequiredApprovals
			if t.RequiredApprovals < 1 || t.RequiredApprovals > len(r.Approvers) {
				p.add(it.line("required_approvals"), "%s: required_approvals is %d, but it must be from 1 to the number of approvers (%d)", what, t.RequiredApprovals, len(r.Approvers))
			}
		}
		if len(r.Approvers) == 0 {
			p.add(it.line("key"), "%s has no approvers: decisions the data does not settle need someone to approve them", what)
		}
		if r.Targets != nil {
			if v := r.Targets.MRRGrowth; v != nil {
				t.Targets.MRRGrowth = *v
				if *v <= -1 || *v > 10 || math.IsNaN(*v) {
					p.add(it.line("targets"), "%s: targets.mrr_growth %v is a monthly growth fraction (0.05 means 5 %%)", what, *v)
				}
			}
			if v := r.Targets.NPS; v != nil {
				t.Targets.NPS = *v
				if *v < -100 || *v > 100 || math.IsNaN(*v) {
					p.add(it.line("targets"), "%s: targets.nps %v must be from -100 to 100", what, *v)
				}
			}
		}
		if r.Webhook != nil {
			t.Webhook = Webhook{URL: r.Webhook.URL, SecretEnv: r.Webhook.SecretEnv}
			if u, err := url.Parse(r.Webhook.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				p.add(it.line("webhook"), "%s: webhook url %q must be an http or https URL", what, r.Webhook.URL)
			}
			if !envNamePattern.MatchString(r.Webhook.SecretEnv) {
				p.add(it.line("webhook"), "%s: webhook secret_env %q must name an environment variable (like CHECKOUT_WEBHOOK_SECRET) that holds the signing secret", what, r.Webhook.SecretEnv)
			}
		}
		if r.Holdout != nil {
			t.Holdout = p.holdout(r.Holdout.Share, r.Holdout.Start, r.Holdout.End, item{child(it.n, "holdout")}, what, t.Location())
		}
		if r.Events != nil {
			t.Events = EventMatch{Names: r.Events.Names, UnitPrefixes: r.Events.UnitPrefixes}
			p.checkEventMatch(item{child(it.n, "events")}, what, t.Events, claimed)
		}
		p.cfg.Teams = append(p.cfg.Teams, t)
	}
}

// checkEventMatch checks a team's teams[].events: names and prefixes that
// are not empty, and claimed by no other team of the file (claimed maps
// "names X" or "unit_prefixes X" to the team that took it).
func (p *configParser) checkEventMatch(it item, what string, m EventMatch, claimed map[string]string) {
	for _, list := range []struct {
		field  string
		values []string
	}{{"names", m.Names}, {"unit_prefixes", m.UnitPrefixes}} {
		for _, v := range list.values {
			switch key := list.field + " " + v; {
			case v == "" || len(v) > MaxNameBytes:
				p.add(it.line(list.field), "%s: events.%s has an entry that is empty or longer than %d bytes", what, list.field, MaxNameBytes)
			case claimed[key] != "" && claimed[key] != what:
				p.add(it.line(list.field), "%s: events.%s %q is %s's already: an event belongs to one team", what, list.field, v, claimed[key])
			default:
				claimed[key] = what
			}
		}
	}
}

func (p *configParser) metrics(raw []metricYAML, nodes []*yaml.Node) {
	seen := map[string]int{}
	known := slices.Clone(p.env.Metrics)
	for _, r := range raw {
		known = append(known, r.Key)
	}
	types := map[string]MetricType{}
	for _, r := range raw {
		types[r.Key] = MetricType(r.Type)
	}
	for i, r := range raw {
		it := itemAt(nodes, i)
		if !p.checkKey("metric", r.Key, it, seen) {
			continue
		}
		what := fmt.Sprintf("metric %q", r.Key)
		m := Metric{
			Key: r.Key, Name: orDefault(r.Name, r.Key), Type: MetricType(r.Type), Event: r.Event,
			Numerator: r.Numerator, Denominator: r.Denominator, HigherIsBetter: true, Tags: r.Tags,
		}
		if r.HigherIsBetter != nil {
			m.HigherIsBetter = *r.HigherIsBetter
		}
		switch m.Type {
		case MetricMean, MetricProportion:
			if r.Event == "" {
				p.add(it.line("key"), "%s has no event: name the event it counts", what)
			}
			if r.Numerator != "" || r.Denominator != "" {
				p.add(it.line("numerator"), "%s: numerator and denominator are for ratio metrics", what)
			}
			switch r.Value {
			case "", ValueCount:
				m.Value = ValueCount
			case ValueSum:
				m.Value = ValueSum
				if m.Type == MetricProportion {
					p.add(it.line("value"), "%s: a proportion counts units with the event; value: sum is for mean metrics", what)
				}
			default:
				p.add(it.line("value"), "%s: value %q must be count or sum", what, r.Value)
			}
		case MetricRatio:
			if r.Event != "" {
				p.add(it.line("event"), "%s: a ratio metric has numerator and denominator metrics, not an event", what)
			}
			for _, part := range []struct{ field, key string }{{"numerator", r.Numerator}, {"denominator", r.Denominator}} {
				switch {
				case part.key == "":
					p.add(it.line("key"), "%s has no %s: name a mean or proportion metric", what, part.field)
				case !slices.Contains(known, part.key):
					p.add(it.line(part.field), "%s: %s %q is not a metric%s", what, part.field, part.key, didYouMean(part.key, known))
				case types[part.key] == MetricRatio:
					p.add(it.line(part.field), "%s: %s %q is itself a ratio; use mean or proportion metrics", what, part.field, part.key)
				case part.key == r.Key:
					p.add(it.line(part.field), "%s: a ratio cannot use itself as its %s", what, part.field)
				}
			}
		case "":
			p.add(it.line("key"), "%s has no type: use mean, proportion or ratio", what)
		default:
			p.add(it.line("type"), "%s: type %q must be mean, proportion or ratio", what, r.Type)
		}
		if r.Winsorize != nil {
			m.Winsorize = *r.Winsorize
			if !(m.Winsorize > 0.5 && m.Winsorize < 1) {
				p.add(it.line("winsorize"), "%s: winsorize %v is a percentile between 0.5 and 1, like 0.999", what, m.Winsorize)
			}
		}
		p.cfg.Metrics = append(p.cfg.Metrics, m)
	}
}

func (p *configParser) experiments(raw []experimentYAML, nodes []*yaml.Node) {
	seen := map[string]int{}
	teams := slices.Clone(p.env.Teams)
	for _, t := range p.cfg.Teams {
		teams = append(teams, t.Key)
	}
	metrics := slices.Clone(p.env.Metrics)
	for _, m := range p.cfg.Metrics {
		metrics = append(metrics, m.Key)
	}
	for i, r := range raw {
		it := itemAt(nodes, i)
		if !p.checkKey("experiment", r.Key, it, seen) {
			continue
		}
		what := fmt.Sprintf("experiment %q", r.Key)
		e := Experiment{
			Key: r.Key, Name: orDefault(r.Name, r.Key), Team: r.Team, Owner: r.Owner, Hypothesis: strings.TrimSpace(r.Hypothesis),
			PrimaryMetrics: r.PrimaryMetrics, GuardrailMetrics: r.GuardrailMetrics, SecondaryMetrics: r.SecondaryMetrics,
			Method: Method(orDefault(r.Method, string(MethodSequential))), Alpha: DefaultAlpha, Framework: r.DecisionFramework,
			MinDays: DefaultMinDays, PlannedDays: DefaultPlannedDays, TargetMDE: DefaultTargetMDE, State: StateDraft,
			Source: r.Source,
		}
		p.checkSourceRef(it, what, r.Source)
		switch {
		case r.Team == "":
			p.add(it.line("key"), "%s has no team", what)
		case !slices.Contains(teams, r.Team):
			p.add(it.line("team"), "%s: team %q is not defined%s", what, r.Team, didYouMean(r.Team, teams))
		}
		if r.Owner != "" {
			p.checkUsers(it, "owner", what+" owner", []string{r.Owner})
		}
		if n := utf8.RuneCountInString(e.Name); n > MaxNameLength {
			p.add(it.line("name"), "%s: the name is %d characters long; keep it to %d", what, n, MaxNameLength)
		}
		if n := utf8.RuneCountInString(e.Hypothesis); n > MaxHypothesisLength {
			p.add(it.line("hypothesis"), "%s: the hypothesis is %d characters long; keep it to %d", what, n, MaxHypothesisLength)
		}
		p.variants(&e, r.Variants, it, what)
		if len(r.PrimaryMetrics) == 0 {
			p.add(it.line("key"), "%s has no primary_metrics: name the metric the hypothesis is about", what)
		}
		used := map[string]string{}
		for _, list := range []struct {
			field string
			keys  []string
		}{{"primary_metrics", r.PrimaryMetrics}, {"guardrail_metrics", r.GuardrailMetrics}, {"secondary_metrics", r.SecondaryMetrics}} {
			for j, k := range list.keys {
				switch {
				case !slices.Contains(metrics, k):
					p.add(it.elemLine(list.field, j), "%s: %s: %q is not a metric%s", what, list.field, k, didYouMean(k, metrics))
				case used[k] != "":
					p.add(it.elemLine(list.field, j), "%s: metric %q is listed twice (also in %s)", what, k, used[k])
				default:
					used[k] = list.field
				}
			}
		}
		switch e.Method {
		case MethodFixed, MethodSequential, MethodBayesian:
		default:
			p.add(it.line("method"), "%s: method %q must be fixed, sequential or bayesian", what, r.Method)
		}
		if r.Alpha != nil {
			e.Alpha = *r.Alpha
			if !(e.Alpha > 0 && e.Alpha <= 0.5) {
				p.add(it.line("alpha"), "%s: alpha %v must be above 0 and at most 0.5 (0.05 is usual)", what, e.Alpha)
			}
		}
		p.checkFramework(it, "decision_framework", what, r.DecisionFramework)
		if r.MinDays != nil {
			e.MinDays = *r.MinDays
		}
		if r.PlannedDays != nil {
			e.PlannedDays = *r.PlannedDays
		}
		if e.MinDays < 0 || e.MinDays > 365 {
			p.add(it.line("min_days"), "%s: min_days %d must be from 0 to 365", what, e.MinDays)
		}
		if e.PlannedDays < 1 || e.PlannedDays > 365 {
			p.add(it.line("planned_days"), "%s: planned_days %d must be from 1 to 365", what, e.PlannedDays)
		} else if e.PlannedDays < e.MinDays {
			p.add(it.line("planned_days"), "%s: planned_days %d is shorter than min_days %d", what, e.PlannedDays, e.MinDays)
		}
		if r.TargetMDE != nil {
			e.TargetMDE = *r.TargetMDE
			if !(e.TargetMDE > 0 && e.TargetMDE <= 10) {
				p.add(it.line("target_mde"), "%s: target_mde %v is a relative lift above 0, like 0.05 for 5 %%", what, e.TargetMDE)
			}
		}
		if r.Rollout != nil {
			e.RolloutPlan = p.rollout(r.Rollout, child(it.n, "rollout"), what)
		}
		e.Layer, e.NoExposureLogging = r.Layer, r.LogExposures != nil && !*r.LogExposures
		if r.Layer != "" && !keyPattern.MatchString(r.Layer) {
			p.add(it.line("layer"), "%s: layer %q: use lower-case letters, digits, - and _ (at most 63)", what, r.Layer)
		}
		if r.LayerShare != nil {
			e.LayerShare = *r.LayerShare
			p.cfg.layerShareGiven[e.Key] = true
			switch {
			case r.Layer == "":
				p.add(it.line("layer_share"), "%s: layer_share needs a layer", what)
			case !(e.LayerShare > 0 && e.LayerShare <= 1):
				p.add(it.line("layer_share"), "%s: layer_share %v is the fraction of the layer's units the experiment may take: above 0, at most 1", what, e.LayerShare)
			}
		}
		p.cfg.Experiments = append(p.cfg.Experiments, e)
	}
}

func (p *configParser) variants(e *Experiment, raw []variantYAML, it item, what string) {
	if len(raw) < 2 {
		p.add(it.line("variants"), "%s needs at least two variants, the first being the control", what)
	}
	seen := map[string]bool{}
	total := 0.0
	for j, v := range raw {
		line := it.elemLine("variants", j)
		switch {
		case v.Key == "":
			p.add(line, "%s: variant %d has no key", what, j+1)
		case !keyPattern.MatchString(v.Key):
			p.add(line, "%s: variant key %q: use lower-case letters, digits, - and _", what, v.Key)
		case seen[v.Key]:
			p.add(line, "%s: duplicate variant %q", what, v.Key)
		}
		seen[v.Key] = true
		w := 1.0
		if v.Weight != nil {
			w = *v.Weight
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			p.add(line, "%s: variant %q has weight %v; weights must be 0 or more", what, v.Key, w)
			w = 0
		}
		total += w
		value, err := variantValue(&v.Value)
		if err != "" {
			p.add(v.Value.Line, "%s: variant %q: value %s", what, v.Key, err)
		}
		e.Variants = append(e.Variants, Variant{Key: v.Key, Weight: w, Value: value})
	}
	if kinds := valueKinds(e.Variants); len(kinds) > 1 {
		p.add(it.line("variants"), "%s: the variants' values must all be of one type, so that an SDK can read them with one call, but they are %s (a variant without a value evaluates to its key, a string)", what, strings.Join(kinds, " and "))
	}
	if len(raw) >= 2 && total <= 0 {
		p.add(it.line("variants"), "%s: the variant weights add up to %v; they must add up to more than zero", what, total)
	}
}

func (p *configParser) rollout(r *rolloutYAML, n *yaml.Node, what string) []RolloutStep {
	it := item{n}
	if len(r.Steps) == 0 {
		return DefaultRolloutPlan()
	}
	var plan []RolloutStep
	last := 0.0
	for j, s := range r.Steps {
		line := it.elemLine("steps", j)
		if !(s.Percent > last && s.Percent <= 100) {
			p.add(line, "%s: rollout step %d is %v %%; steps must rise, above 0 and at most 100", what, j+1, s.Percent)
		}
		last = s.Percent
		hold := 24 * time.Hour
		if s.Hold != "" {
			d, err := ParseHold(s.Hold)
			if err != nil {
				p.add(line, "%s: rollout step %d: %v", what, j+1, err)
			}
			hold = d
		}
		if s.MinSample < 0 {
			p.add(line, "%s: rollout step %d: min_sample %d must be 0 or more", what, j+1, s.MinSample)
		}
		plan = append(plan, RolloutStep{Percent: s.Percent, Hold: hold, MinSample: s.MinSample})
	}
	return plan
}

// ParseHold reads a duration like 90m, 12h or 2d.
func ParseHold(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n >= 0 && n <= 365 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("hold %q must be a duration like 90m, 12h or 2d", s)
}

func (p *configParser) settings(r *settingsYAML, n *yaml.Node) {
	it := item{n}
	s := Settings{MinSamplePerArm: r.MinSamplePerArm, PulseCadenceDays: r.PulseCadenceDays, SequentialTuning: r.SequentialTuning,
		MaxTeamSize: r.MaxTeamSize, Timezone: r.Timezone, Currency: r.Currency}
	if s.Currency != "" && !currencyPattern.MatchString(s.Currency) {
		p.add(it.line("currency"), "settings: currency %q: use an ISO 4217 code in capitals, like EUR or USD", s.Currency)
	}
	if m := r.Monitoring; m != nil {
		mon := item{child(n, "monitoring")}
		for _, f := range []struct {
			field, value string
			to           *time.Duration
		}{{"no_exposures", m.NoExposures, &s.NoExposures}, {"no_events", m.NoEvents, &s.NoEvents}} {
			if f.value == "" {
				continue
			}
			d, err := ParseHold(f.value)
			if err != nil || d < time.Minute {
				p.add(mon.line(f.field), "settings: monitoring.%s %q must be a duration of a minute or more, like 12h or 2d", f.field, f.value)
			}
			*f.to = d
		}
	}
	if s.MaxTeamSize < 0 {
		p.add(it.line("max_team_size"), "settings: max_team_size must be 0 (the default, %d) or more", DefaultMaxTeamSize)
	}
	if s.Timezone != "" {
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			p.add(it.line("timezone"), "settings: timezone %q is not an IANA time zone, like Europe/Berlin or UTC", s.Timezone)
		}
	}
	if r.Schedules != nil {
		s.PulseSchedule, s.RolloutsSchedule, s.DigestSchedule = r.Schedules.Pulse, r.Schedules.Rollouts, r.Schedules.Digest
		s.WeeklySchedule = r.Schedules.Weekly
		sched := item{child(n, "schedules")}
		for _, spec := range []struct{ field, value string }{{"pulse", s.PulseSchedule}, {"rollouts", s.RolloutsSchedule},
			{"digest", s.DigestSchedule}, {"weekly", s.WeeklySchedule}} {
			if spec.value == "" {
				continue
			}
			if len(strings.Fields(spec.value)) != 5 {
				p.add(sched.line(spec.field), "settings: schedules.%s %q must be a cron spec with five fields, like \"0 9 * * *\"", spec.field, spec.value)
			} else if parse := p.env.ParseSchedule; parse != nil {
				if _, err := parse(spec.value, time.UTC); err != nil {
					p.add(sched.line(spec.field), "settings: schedules.%s %q is not a cron spec: %v", spec.field, spec.value, err)
				}
			}
		}
	}
	if s.MinSamplePerArm < 0 {
		p.add(it.line("min_sample_per_arm"), "settings: min_sample_per_arm must be 0 or more")
	}
	if s.PulseCadenceDays < 0 {
		p.add(it.line("pulse_cadence_days"), "settings: pulse_cadence_days must be 0 or more")
	}
	// YAML has .nan and .inf, which would make every sequential analysis
	// fail; the negated comparison refuses NaN too.
	if !(s.SequentialTuning >= 0 && s.SequentialTuning <= math.MaxFloat64) {
		p.add(it.line("sequential_tuning"), "settings: sequential_tuning must be a number, 0 or more")
	}
	p.cfg.Settings = &s
}

// MaxValueSize bounds a variant's value, as JSON.
const MaxValueSize = 64 << 10

// variantValue turns a variant's YAML value into JSON; it returns a problem
// for anything but a boolean, string, number or mapping.
func variantValue(n *yaml.Node) (json.RawMessage, string) {
	if n.Kind == 0 {
		return nil, ""
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err.Error()
	}
	switch v.(type) {
	case bool, string, int, int64, uint64, float64, map[string]any:
	default:
		return nil, "must be a boolean, a string, a number or a mapping (a JSON object)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, "cannot be written as JSON (mapping keys must be strings, numbers finite): " + err.Error()
	}
	if len(b) > MaxValueSize {
		return nil, fmt.Sprintf("is %d bytes as JSON; keep it to %d", len(b), MaxValueSize)
	}
	return b, ""
}

// ValueKind names a JSON value's type: boolean, string, number or object.
func ValueKind(v json.RawMessage) string {
	if len(v) == 0 {
		return "string"
	}
	switch v[0] {
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 'n':
		return "null"
	}
	return "number"
}

// valueKinds lists the kinds of the variants' values, each once.
func valueKinds(vs []Variant) []string {
	var kinds []string
	for _, v := range vs {
		if k := ValueKind(v.Value); !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// holdout reads a team's holdout: a share of units kept out of every
// experiment and rollout of the team from start to end (dates, inclusive).
func (p *configParser) holdout(share *float64, start, end string, it item, what string, loc *time.Location) Holdout {
	var h Holdout
	if share == nil || !(*share > 0 && *share <= 0.5) {
		p.add(it.line("share"), "%s: holdout share must be above 0 and at most 0.5 (0.05 keeps 5 %% of units out)", what)
	} else {
		h.Share = *share
	}
	for _, d := range []struct {
		field, value string
		to           *time.Time
	}{{"start", start, &h.Start}, {"end", end, &h.End}} {
		t, err := time.ParseInLocation(time.DateOnly, d.value, loc)
		if err != nil {
			p.add(it.line(d.field), "%s: holdout %s %q must be a date like 2026-01-31", what, d.field, d.value)
			continue
		}
		if d.field == "end" {
			t = t.AddDate(0, 0, 1) // the end date is the last day in
		}
		*d.to = t.UTC()
	}
	if !h.Start.IsZero() && !h.End.IsZero() {
		if !h.End.After(h.Start) {
			p.add(it.line("end"), "%s: holdout end %s is before its start %s", what, end, start)
		}
	}
	return h
}

func didYouMean(word string, candidates []string) string {
	if s := Closest(word, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
