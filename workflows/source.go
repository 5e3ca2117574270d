package workflows

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Source is a data source experiments are analysed from, other than the
// embedded store: a warehouse that already holds a team's exposures and
// events. growthbot sends it SQL that computes the sufficient statistics
// (see AggregateRequest for the rules) and reads back a few rows per metric.
type Source struct {
	Key  string
	Type string // SourcePostgres
	// DSNEnv names the environment variable that holds the connection
	// string. The DSN itself is never stored or logged.
	DSNEnv    string
	Exposures SourceTable
	Events    SourceTable
	// StatementTimeout bounds every statement growthbot sends.
	StatementTimeout time.Duration
	// MaxConnections bounds the source's connection pool.
	MaxConnections int
}

// SourceTable maps a table (or a query) of a source to what growthbot
// reads: the columns' names.
type SourceTable struct {
	// Table is a table or view, optionally schema-qualified; Query is a
	// SELECT in its place. Exactly one is set.
	Table, Query string
	UnitID       string
	Timestamp    string
	Experiment   string // exposures
	Variant      string // exposures
	Event        string // events
	Value        string // events; empty: every event's value is 0
}

// SourcePostgres is the type of a PostgreSQL source.
const SourcePostgres = "postgres"

// Source defaults.
const (
	DefaultStatementTimeout = 60 * time.Second
	DefaultMaxConnections   = 4
	maxSourceConnections    = 64
)

// Warehouse is an open source. Implementations keep one connection pool
// per source, read in read-only transactions under the statement timeout,
// and name what is wrong in the errors they return (a *SourceError).
type Warehouse interface {
	AggregateStore
	// Check connects, finds the tables and columns and checks their types,
	// and counts the rows and their time range.
	Check(ctx context.Context) (SourceCheck, error)
	// SQL returns the statements Aggregate sends for reqs, readable and
	// runnable by hand.
	SQL(reqs []AggregateRequest) (string, error)
	// MonthlyActivity and EventSpan are ReviewStore's, over the source's
	// events: a team's computed KPIs.
	MonthlyActivity(ctx context.Context, bounds []time.Time) ([]Activity, error)
	EventSpan(ctx context.Context) (first, last time.Time, err error)
}

// activityStore is what computed KPIs read: the embedded store's
// transaction, or a source.
type activityStore interface {
	MonthlyActivity(bounds []time.Time) ([]Activity, error)
	EventSpan() (first, last time.Time, err error)
}

// warehouseActivity reads a source's activity with a context.
type warehouseActivity struct {
	ctx context.Context
	w   Warehouse
}

func (a warehouseActivity) MonthlyActivity(bounds []time.Time) ([]Activity, error) {
	return a.w.MonthlyActivity(a.ctx, bounds)
}

func (a warehouseActivity) EventSpan() (time.Time, time.Time, error) { return a.w.EventSpan(a.ctx) }

// sourceActivity opens a team's source for its computed KPIs.
func (s *Service) sourceActivity(ctx context.Context, tx Tx, key string) (activityStore, error) {
	src, err := tx.Source(key)
	if err != nil {
		return nil, err
	}
	if s.Warehouses == nil {
		return nil, Errorf(EINVALID, "source %q: this growthbot cannot read %s sources", key, src.Type)
	}
	w, err := s.Warehouses.Open(src)
	if err != nil {
		return nil, err
	}
	return warehouseActivity{ctx: ctx, w: w}, nil
}

// Warehouses opens sources. Opening the same source twice returns the same
// pool.
type Warehouses interface {
	Open(src Source) (Warehouse, error)
}

// SourceCheck is what `growthbot source test` prints.
type SourceCheck struct {
	Tables []SourceTableCheck
}

// SourceTableCheck describes one table of a source.
type SourceTableCheck struct {
	Role        string // "exposures" or "events"
	Name        string // the table, or "query"
	Rows        int64
	First, Last time.Time // zero when there are no rows
}

// SourceError is a problem with a source, named the way apply names
// problems: which source, and what is wrong with it.
type SourceError struct {
	Source string
	// Down is true when the source could not be reached or did not answer
	// in time: worth retrying, and not the config's fault.
	Down    bool
	Message string
	Err     error
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("source %q: %s", e.Source, e.Message)
}

// Unwrap makes a SourceError a domain error whose message is shown as it
// is: ECONFLICT when the source is down, EINVALID when it does not match
// the config.
func (e *SourceError) Unwrap() []error {
	code := EINVALID
	if e.Down {
		code = ECONFLICT
	}
	errs := []error{&Error{Code: code, Message: e.Error()}}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// IsSourceDown reports whether err says a source is unreachable.
func IsSourceDown(err error) bool {
	var se *SourceError
	return errors.As(err, &se) && se.Down
}

// The config file's sources.
type (
	sourceYAML struct {
		Key              string           `yaml:"key"`
		Type             string           `yaml:"type"`
		DSNEnv           string           `yaml:"dsn_env"`
		Exposures        *sourceTableYAML `yaml:"exposures"`
		Events           *sourceTableYAML `yaml:"events"`
		StatementTimeout string           `yaml:"statement_timeout"`
		MaxConnections   *int             `yaml:"max_connections"`
	}
	sourceTableYAML struct {
		Table      string `yaml:"table"`
		Query      string `yaml:"query"`
		UnitID     string `yaml:"unit_id"`
		Experiment string `yaml:"experiment"`
		Variant    string `yaml:"variant"`
		Event      string `yaml:"event"`
		Value      string `yaml:"value"`
		Timestamp  string `yaml:"timestamp"`
	}
)

var (
	identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,62}$`)
	tablePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$`)
	selectStart  = regexp.MustCompile(`(?is)^\s*(select|with)\s`)
)

func (p *configParser) sources(raw []sourceYAML, nodes []*yaml.Node) {
	seen := map[string]int{}
	for i, r := range raw {
		it := itemAt(nodes, i)
		if !p.checkKey("source", r.Key, it, seen) {
			continue
		}
		what := fmt.Sprintf("source %q", r.Key)
		s := Source{Key: r.Key, Type: r.Type, DSNEnv: r.DSNEnv, StatementTimeout: DefaultStatementTimeout, MaxConnections: DefaultMaxConnections}
		if r.Type != SourcePostgres {
			p.add(it.line("type"), "%s: type %q is not supported (supported: %s)", what, r.Type, SourcePostgres)
		}
		if !envNamePattern.MatchString(r.DSNEnv) {
			p.add(it.line("dsn_env"), "%s: dsn_env %q must name an environment variable (like WAREHOUSE_DSN) that holds the connection string; the DSN itself never goes in the file", what, r.DSNEnv)
		}
		if r.StatementTimeout != "" {
			d, err := time.ParseDuration(r.StatementTimeout)
			if err != nil || d < time.Second || d > time.Hour {
				p.add(it.line("statement_timeout"), "%s: statement_timeout %q must be a duration from 1s to 1h, like 30s", what, r.StatementTimeout)
			}
			s.StatementTimeout = d
		}
		if r.MaxConnections != nil {
			s.MaxConnections = *r.MaxConnections
			if s.MaxConnections < 1 || s.MaxConnections > maxSourceConnections {
				p.add(it.line("max_connections"), "%s: max_connections %d must be from 1 to %d", what, s.MaxConnections, maxSourceConnections)
			}
		}
		s.Exposures = p.sourceTable(r.Exposures, it, what, "exposures", []string{"unit_id", "experiment", "variant", "timestamp"})
		s.Events = p.sourceTable(r.Events, it, what, "events", []string{"unit_id", "event", "timestamp"})
		p.cfg.Sources = append(p.cfg.Sources, s)
	}
}

func (p *configParser) sourceTable(r *sourceTableYAML, it item, what, role string, required []string) SourceTable {
	if r == nil {
		p.add(it.line("key"), "%s has no %s: map its table and columns, like {table: analytics.%s, unit_id: user_id, ...}", what, role, role)
		return SourceTable{}
	}
	line := it.line(role)
	t := SourceTable{Table: r.Table, Query: strings.TrimSpace(r.Query), UnitID: r.UnitID, Timestamp: r.Timestamp}
	cols := map[string]*string{"unit_id": &t.UnitID, "timestamp": &t.Timestamp}
	if role == "exposures" {
		t.Experiment, t.Variant = r.Experiment, r.Variant
		cols["experiment"], cols["variant"] = &t.Experiment, &t.Variant
		if r.Event != "" || r.Value != "" {
			p.add(line, "%s: exposures map unit_id, experiment, variant and timestamp (event and value belong to events)", what)
		}
	} else {
		t.Event, t.Value = r.Event, r.Value
		cols["event"], cols["value"] = &t.Event, &t.Value
		if r.Experiment != "" || r.Variant != "" {
			p.add(line, "%s: events map unit_id, event, value and timestamp (experiment and variant belong to exposures)", what)
		}
	}
	switch {
	case (t.Table == "") == (t.Query == ""):
		p.add(line, "%s: %s needs exactly one of table or query", what, role)
	case t.Table != "" && !tablePattern.MatchString(t.Table):
		p.add(line, "%s: %s table %q must be a table name, optionally with its schema (like analytics.%s)", what, role, t.Table, role)
	case t.Query != "" && !selectStart.MatchString(t.Query):
		p.add(line, "%s: %s query must be a SELECT (or WITH ... SELECT)", what, role)
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range cols {
			if !yield(k) {
				return
			}
		}
	}) {
		v := *cols[name]
		switch {
		case v == "" && slices.Contains(required, name):
			p.add(line, "%s: %s has no %s column", what, role, name)
		case v != "" && !identPattern.MatchString(v):
			p.add(line, "%s: %s %s %q must be a column name", what, role, name, v)
		}
	}
	return t
}

// checkSourceRef reports a source key that is neither in the file nor
// stored.
func (p *configParser) checkSourceRef(it item, what, key string) {
	if key == "" {
		return
	}
	known := slices.Clone(p.env.Sources)
	for _, s := range p.cfg.Sources {
		known = append(known, s.Key)
	}
	if !slices.Contains(known, key) {
		p.add(it.line("source"), "%s: source %q is not defined%s", what, key, didYouMean(key, known))
	}
}

// CheckSources connects to every source the file defines and checks its
// tables, so that apply refuses a source that cannot work. Problems carry
// the line of the source's definition.
func (s *Service) CheckSources(ctx context.Context, cfg *Config) error {
	if len(cfg.Sources) == 0 {
		return nil
	}
	var problems []Problem
	for _, src := range cfg.Sources {
		line := cfg.Line("source", src.Key)
		if s.Warehouses == nil {
			problems = append(problems, Problem{cfg.File, line, fmt.Sprintf("source %q: this growthbot cannot read %s sources", src.Key, src.Type)})
			continue
		}
		w, err := s.Warehouses.Open(src)
		if err == nil {
			_, err = w.Check(ctx)
		}
		if err != nil {
			problems = append(problems, Problem{cfg.File, line, ErrorMessage(err)})
		}
	}
	if len(problems) > 0 {
		return &ConfigError{File: cfg.File, Problems: problems}
	}
	return nil
}

// TestSource checks a stored source: `growthbot source test KEY`.
func (s *Service) TestSource(ctx context.Context, key string) (Source, SourceCheck, error) {
	src, w, err := s.openSource(ctx, key)
	if err != nil {
		return src, SourceCheck{}, err
	}
	check, err := w.Check(ctx)
	return src, check, err
}

// SourceSQL returns the SQL a pulse sends to the source of the running
// experiments that use it: `growthbot source sql KEY`. key names a source
// or an experiment.
func (s *Service) SourceSQL(ctx context.Context, key string) (string, error) {
	var reqs []AggregateRequest
	var srcKey string
	err := s.Store.View(ctx, func(tx Tx) error {
		var exps []Experiment
		if e, err := tx.Experiment(key); err == nil {
			if e.StartedAt.IsZero() {
				return Errorf(ECONFLICT, "experiment %q has not started, so there is no window to query yet", key)
			}
			exps = []Experiment{e}
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		} else {
			if _, err := tx.Source(key); err != nil {
				return Errorf(ENOTFOUND, "no source or experiment %q", key)
			}
			srcKey = key
			if exps, err = tx.Experiments(ExperimentFilter{States: []State{StateRunning, StateDecisionPending}}); err != nil {
				return err
			}
		}
		for _, e := range exps {
			req, err := aggregateRequest(tx, e)
			if err != nil {
				return err
			}
			if req.Source == nil || (srcKey != "" && req.Source.Key != srcKey) {
				continue
			}
			if srcKey == "" {
				srcKey = req.Source.Key
			}
			reqs = append(reqs, req)
		}
		if srcKey == "" {
			return Errorf(EINVALID, "experiment %q reads the embedded store, which has no SQL to show", key)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	_, w, err := s.openSource(ctx, srcKey)
	if err != nil {
		return "", err
	}
	if len(reqs) == 0 {
		return fmt.Sprintf("-- no running experiment reads source %q\n", srcKey), nil
	}
	return w.SQL(reqs)
}

func (s *Service) openSource(ctx context.Context, key string) (Source, Warehouse, error) {
	var src Source
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		src, err = tx.Source(key)
		return err
	})
	if err != nil {
		return src, nil, err
	}
	if s.Warehouses == nil {
		return src, nil, Errorf(EINVALID, "source %q: this growthbot cannot read %s sources", key, src.Type)
	}
	w, err := s.Warehouses.Open(src)
	return src, w, err
}

// sourceOf returns the source an experiment reads: its own, else its
// team's default; nil for the embedded store.
func sourceOf(tx Tx, e Experiment) (*Source, error) {
	key := e.Source
	if key == "" {
		team, err := tx.Team(e.Team)
		if err != nil {
			return nil, err
		}
		key = team.Source
	}
	if key == "" {
		return nil, nil
	}
	src, err := tx.Source(key)
	if err != nil {
		return nil, err
	}
	return &src, nil
}

// aggregate computes the requests' statistics, each from its source: the
// embedded store in one pass for all it holds, and one call per warehouse.
// A warehouse that fails fails only its own requests: failed[i] is set and
// aggs[i] is zero. An error of the embedded store fails everything.
func (s *Service) aggregate(ctx context.Context, reqs []AggregateRequest) (aggs []Aggregate, failed []error, err error) {
	aggs = make([]Aggregate, len(reqs))
	failed = make([]error, len(reqs))
	groups := map[string][]int{}
	var order []string
	for i, r := range reqs {
		key := ""
		if r.Source != nil {
			key = r.Source.Key
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	for _, key := range order {
		idx := groups[key]
		sub := make([]AggregateRequest, len(idx))
		for j, i := range idx {
			sub[j] = reqs[i]
		}
		var store AggregateStore = s.Store
		var openErr error
		if key != "" {
			if s.Warehouses == nil {
				openErr = Errorf(EINVALID, "source %q: this growthbot cannot read %s sources", key, sub[0].Source.Type)
			} else {
				store, openErr = s.Warehouses.Open(*sub[0].Source)
			}
		}
		var res []Aggregate
		if openErr == nil {
			res, openErr = store.Aggregate(ctx, sub)
		}
		if openErr != nil {
			if key == "" {
				return nil, nil, openErr
			}
			s.Log.Warn("source failed", "source", key, "err", openErr)
			for _, i := range idx {
				failed[i] = openErr
			}
			continue
		}
		for j, i := range idx {
			aggs[i] = res[j]
		}
	}
	return aggs, failed, nil
}
