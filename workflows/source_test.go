package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/growthbot/growthbot/workflows"
)

const sourceBase = `sources:
  - key: warehouse
    type: postgres
    dsn_env: WAREHOUSE_DSN
    exposures: {table: analytics.exposures, unit_id: user_id, experiment: experiment_key, variant: variation, timestamp: ts}
    events: {table: analytics.events, unit_id: user_id, event: event_name, value: amount, timestamp: ts}
teams:
  - {key: growth, channel: C0GROWTH, lead: U0LEAD, approvers: [U0PM], source: warehouse}
metrics:
  - {key: purchase, type: proportion, event: purchase}
experiments:
  - {key: exp, team: growth, variants: [{key: a}, {key: b}], primary_metrics: [purchase], source: warehouse}
`

func TestParseSources(t *testing.T) {
	cfg, err := workflows.ParseConfig("g.yaml", []byte(sourceBase), workflows.ConfigEnv{})
	if err != nil {
		t.Fatal(err)
	}
	src := cfg.Sources[0]
	want := workflows.Source{Key: "warehouse", Type: "postgres", DSNEnv: "WAREHOUSE_DSN", StatementTimeout: time.Minute, MaxConnections: 4,
		Exposures: workflows.SourceTable{Table: "analytics.exposures", UnitID: "user_id", Experiment: "experiment_key", Variant: "variation", Timestamp: "ts"},
		Events:    workflows.SourceTable{Table: "analytics.events", UnitID: "user_id", Event: "event_name", Value: "amount", Timestamp: "ts"}}
	if src != want || cfg.Teams[0].Source != "warehouse" || cfg.Experiments[0].Source != "warehouse" {
		t.Errorf("parsed %+v, team source %q, experiment source %q", src, cfg.Teams[0].Source, cfg.Experiments[0].Source)
	}
	// A source stored before may be named without being defined again.
	other := strings.ReplaceAll(sourceBase[strings.Index(sourceBase, "teams:"):], "source: warehouse}", "source: lake}")
	if _, err := workflows.ParseConfig("g.yaml", []byte(other), workflows.ConfigEnv{Sources: []string{"lake"}}); err != nil {
		t.Errorf("a stored source: %v", err)
	}

	for _, c := range []struct {
		name, from, to, want string
	}{
		{"unknown type", "type: postgres", "type: mysql", `g.yaml:3: source "warehouse": type "mysql" is not supported (supported: postgres)`},
		{"a DSN in place of its variable", "dsn_env: WAREHOUSE_DSN", "dsn_env: postgres://u:p@h/db", `g.yaml:4: source "warehouse": dsn_env "postgres://u:p@h/db" must name an environment variable`},
		{"no dsn_env", "    dsn_env: WAREHOUSE_DSN\n", "", `source "warehouse": dsn_env "" must name an environment variable`},
		{"table and query", "{table: analytics.events,", "{table: analytics.events, query: SELECT 1,", `g.yaml:6: source "warehouse": events needs exactly one of table or query`},
		{"not a table name", "table: analytics.events", "table: analytics.events; DROP TABLE x", `events table "analytics.events; DROP TABLE x" must be a table name`},
		{"a query that is not a SELECT", "{table: analytics.events,", "{query: DELETE FROM analytics.events,", `g.yaml:6: source "warehouse": events query must be a SELECT`},
		{"missing column", "variant: variation, ", "", `g.yaml:5: source "warehouse": exposures has no variant column`},
		{"not a column name", "event: event_name", `event: "event name"`, `events event "event name" must be a column name`},
		{"a column of the other table", "value: amount, timestamp: ts}\nteams", "value: amount, timestamp: ts, variant: v}\nteams", `events map unit_id, event, value and timestamp`},
		{"no events", "    events: {table: analytics.events, unit_id: user_id, event: event_name, value: amount, timestamp: ts}\n", "", `g.yaml:2: source "warehouse" has no events`},
		{"timeout", "dsn_env: WAREHOUSE_DSN", "dsn_env: WAREHOUSE_DSN\n    statement_timeout: forever", `statement_timeout "forever" must be a duration from 1s to 1h`},
		{"connections", "dsn_env: WAREHOUSE_DSN", "dsn_env: WAREHOUSE_DSN\n    max_connections: 0", `max_connections 0 must be from 1 to 64`},
		{"unknown source of a team", "approvers: [U0PM], source: warehouse", "approvers: [U0PM], source: warehous", `team "growth": source "warehous" is not defined (did you mean "warehouse"?)`},
		{"unknown source of an experiment", "primary_metrics: [purchase], source: warehouse", "primary_metrics: [purchase], source: lake", `experiment "exp": source "lake" is not defined`},
		{"unknown key", "dsn_env: WAREHOUSE_DSN", "dsn_env: WAREHOUSE_DSN\n    dsn: secret", `g.yaml:5: source "warehouse": unknown key "dsn" (allowed: key, type, dsn_env,`},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := strings.Replace(sourceBase, c.from, c.to, 1)
			if data == sourceBase {
				t.Fatalf("%q is not in the base config", c.from)
			}
			_, err := workflows.ParseConfig("g.yaml", []byte(data), workflows.ConfigEnv{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant %q", err, c.want)
			}
		})
	}
}
