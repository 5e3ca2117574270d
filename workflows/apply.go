package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// errDryRun rolls back a dry run's transaction after it did everything.
var errDryRun = errors.New("dry run")

// ApplyReport says what applying a config file did.
type ApplyReport struct {
	Created   []string // e.g. "team checkout"
	Updated   []string
	Unchanged []string
	// Untouched are stored items the file does not mention; apply never
	// deletes.
	Untouched []string
	// Warnings are advice that does not stop the apply, such as a team
	// larger than settings.max_team_size.
	Warnings []string
}

// Changed reports whether applying changed anything.
func (r ApplyReport) Changed() bool { return len(r.Created)+len(r.Updated) > 0 }

// ApplyConfig validates a config file against itself and the stored state,
// then upserts its teams, metrics, experiments and settings in one
// transaction. A file with any problem changes nothing and returns a
// *ConfigError listing every problem. Applying the same file twice changes
// nothing the second time. A dry run reports what would change and changes
// nothing.
func (s *Service) ApplyConfig(ctx context.Context, file string, data []byte, actor string, dryRun bool) (ApplyReport, error) {
	var report ApplyReport
	// Sources are checked over the network before the write transaction,
	// which must stay short; the file is parsed again inside it.
	var parsed *Config
	err := s.Store.View(ctx, func(tx Tx) error {
		env, _, _, err := s.configEnv(tx)
		if err != nil {
			return err
		}
		parsed, err = ParseConfig(file, data, env)
		return err
	})
	if err == nil {
		err = s.CheckSources(ctx, parsed)
	}
	if err != nil {
		return report, err
	}
	err = s.Store.Update(ctx, func(tx Tx) error {
		report = ApplyReport{}
		env, teams, metrics, err := s.configEnv(tx)
		if err != nil {
			return err
		}
		cfg, err := ParseConfig(file, data, env)
		if err != nil {
			return err
		}
		if err := checkAgainstStore(tx, cfg); err != nil {
			return err
		}
		if err := resolveLayers(tx, cfg); err != nil {
			return err
		}
		if err := applyConfig(tx, cfg, actor, &report, teams, metrics); err != nil {
			return err
		}
		settings, err := tx.Settings()
		if err != nil {
			return err
		}
		for _, t := range cfg.Teams {
			if w := t.SizeWarning(settings); w != "" {
				report.Warnings = append(report.Warnings, fmt.Sprintf("%s:%d: %s", cfg.File, cfg.Line("team", t.Key), w))
			}
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return report, err
}

// configEnv is what a config file is checked against in the stored state.
func (s *Service) configEnv(tx Tx) (ConfigEnv, []Team, []Metric, error) {
	env := ConfigEnv{Frameworks: s.Frameworks, ParseSchedule: s.ParseSchedule}
	teams, err := tx.Teams()
	if err != nil {
		return env, nil, nil, err
	}
	metrics, err := tx.Metrics()
	if err != nil {
		return env, nil, nil, err
	}
	sources, err := tx.Sources()
	if err != nil {
		return env, nil, nil, err
	}
	for _, t := range teams {
		env.Teams = append(env.Teams, t.Key)
	}
	for _, m := range metrics {
		env.Metrics = append(env.Metrics, m.Key)
	}
	for _, src := range sources {
		env.Sources = append(env.Sources, src.Key)
	}
	return env, teams, metrics, nil
}

// checkAgainstStore finds what the file may not change in the stored state:
// the variants or team of an experiment that has started.
func checkAgainstStore(tx Tx, cfg *Config) error {
	var problems []Problem
	for _, e := range cfg.Experiments {
		old, err := tx.Experiment(e.Key)
		if ErrorCode(err) == ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		if old.State == StateDraft {
			continue
		}
		line := cfg.Line("experiment", e.Key)
		if !same(old.Variants, e.Variants) {
			problems = append(problems, Problem{cfg.File, line, fmt.Sprintf("experiment %q is %s: its variants, weights and values cannot change any more (start a new experiment instead)", e.Key, old.State)})
		}
		if old.Layer != e.Layer || (cfg.layerShareGiven[e.Key] && old.LayerShare != e.LayerShare) {
			problems = append(problems, Problem{cfg.File, line, fmt.Sprintf("experiment %q is %s: its layer and layer_share cannot change any more (layer %q, share %g), or units would move between experiments", e.Key, old.State, old.Layer, old.LayerShare)})
		}
		if old.Team != e.Team {
			problems = append(problems, Problem{cfg.File, line, fmt.Sprintf("experiment %q is %s: it cannot move from team %q to %q", e.Key, old.State, old.Team, e.Team)})
		}
	}
	if len(problems) > 0 {
		return &ConfigError{File: cfg.File, Problems: problems}
	}
	return nil
}

// resolveLayers gives the file's layered experiments without a layer_share
// an equal part of what the layer's other experiments leave (a started
// experiment keeps its share), then refuses layers whose shares add up to
// more than 1.
func resolveLayers(tx Tx, cfg *Config) error {
	stored, err := tx.Experiments(ExperimentFilter{})
	if err != nil {
		return err
	}
	all := map[string]Experiment{}
	for _, e := range stored {
		all[e.Key] = e
	}
	inFile := map[string]int{}
	for i, e := range cfg.Experiments {
		inFile[e.Key] = i
		if old, ok := all[e.Key]; ok {
			e = e.withLifecycleOf(old)
			if old.State != StateDraft && !cfg.layerShareGiven[e.Key] {
				e.LayerShare = old.LayerShare
			}
		}
		all[e.Key] = e
	}
	// Per layer: what the given shares leave, split among the others.
	left, open := map[string]float64{}, map[string]int{}
	for _, e := range all {
		if e.Layer == "" || e.State.Terminal() {
			continue
		}
		if _, ok := left[e.Layer]; !ok {
			left[e.Layer] = 1
		}
		_, ok := inFile[e.Key]
		if ok && e.State == StateDraft && !cfg.layerShareGiven[e.Key] {
			open[e.Layer]++
			continue
		}
		left[e.Layer] -= e.LayerShare
	}
	var exps []Experiment
	for key, e := range all {
		if i, ok := inFile[key]; ok && e.Layer != "" && e.State == StateDraft && !cfg.layerShareGiven[key] {
			e.LayerShare = max(left[e.Layer], 0) / float64(open[e.Layer])
			cfg.Experiments[i].LayerShare = e.LayerShare
		}
		exps = append(exps, e)
	}
	slices.SortFunc(exps, func(a, b Experiment) int { return strings.Compare(a.Key, b.Key) })
	problems := checkLayers(cfg.File, func(key string) int { return cfg.Line("experiment", key) }, exps)
	for _, e := range exps {
		if _, ok := inFile[e.Key]; ok && e.Layer != "" && !e.State.Terminal() && e.LayerShare <= 0 {
			problems = append(problems, Problem{cfg.File, cfg.Line("experiment", e.Key), fmt.Sprintf("experiment %q: the other experiments of layer %q take all of it, so nothing is left for it; give them a layer_share", e.Key, e.Layer)})
		}
	}
	if len(problems) > 0 {
		return &ConfigError{File: cfg.File, Problems: problems}
	}
	return nil
}

func applyConfig(tx Tx, cfg *Config, actor string, report *ApplyReport, oldTeams []Team, oldMetrics []Metric) error {
	for _, src := range cfg.Sources {
		old, err := tx.Source(src.Key)
		if err := upsert(tx, report, actor, "source", src.Key, old, src, err, func() error { return tx.PutSource(src) }); err != nil {
			return err
		}
	}
	for _, t := range cfg.Teams {
		old, err := tx.Team(t.Key)
		if err := upsert(tx, report, actor, "team", t.Key, old, t, err, func() error { return tx.PutTeam(t) }); err != nil {
			return err
		}
	}
	for _, m := range cfg.Metrics {
		old, err := tx.Metric(m.Key)
		if err := upsert(tx, report, actor, "metric", m.Key, old, m, err, func() error { return tx.PutMetric(m) }); err != nil {
			return err
		}
	}
	for _, e := range cfg.Experiments {
		old, err := tx.Experiment(e.Key)
		if err == nil {
			e = e.withLifecycleOf(old)
		} else {
			e.CreatedAt, e.UpdatedAt = tx.Now(), tx.Now()
		}
		if err := upsert(tx, report, actor, "experiment", e.Key, old, e, err, func() error {
			e.UpdatedAt = tx.Now()
			return tx.PutExperiment(e)
		}); err != nil {
			return err
		}
	}
	if cfg.Settings != nil {
		old, err := tx.Settings()
		if err != nil {
			return err
		}
		var lookupErr error
		if old == (Settings{}) {
			lookupErr = Errorf(ENOTFOUND, "no settings yet")
		}
		if err := upsert(tx, report, actor, "settings", "", old, *cfg.Settings, lookupErr, func() error { return tx.PutSettings(*cfg.Settings) }); err != nil {
			return err
		}
	}
	for _, t := range oldTeams {
		if !slices.ContainsFunc(cfg.Teams, func(n Team) bool { return n.Key == t.Key }) {
			report.Untouched = append(report.Untouched, "team "+t.Key)
		}
	}
	for _, m := range oldMetrics {
		if !slices.ContainsFunc(cfg.Metrics, func(n Metric) bool { return n.Key == m.Key }) {
			report.Untouched = append(report.Untouched, "metric "+m.Key)
		}
	}
	return nil
}

// upsert writes one item when it is new or changed, and audits the change.
// lookupErr is the error of reading the stored item.
func upsert[T any](tx Tx, report *ApplyReport, actor, kind, key string, old, cur T, lookupErr error, put func() error) error {
	name := kind
	if key != "" {
		name += " " + key
	}
	subject := kind
	if key != "" {
		subject += ":" + key
	}
	switch {
	case ErrorCode(lookupErr) == ENOTFOUND:
		report.Created = append(report.Created, name)
		if err := put(); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		return audit(tx, actor, kind+".create", subject, "config apply", nil, cur)
	case lookupErr != nil:
		return lookupErr
	case same(old, cur):
		report.Unchanged = append(report.Unchanged, name)
		return nil
	}
	report.Updated = append(report.Updated, name)
	if err := put(); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	return audit(tx, actor, kind+".update", subject, "config apply", old, cur)
}
