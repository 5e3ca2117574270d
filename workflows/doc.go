// Package workflows is growthbot's domain: teams, metrics, experiments,
// decisions, goals and KPIs, the rules that move them (the experiment
// lifecycle, decisions, rollouts, reviews), and the interfaces the domain
// needs from the outside world (storage, messaging, clock).
//
// It must not import any adapter: not store (SQLite), not bot (Slack), not
// cmd. Adapters implement or call what is declared here. The stats package,
// pure math, may be used freely. Technology that is not the domain lives in
// subpackages that import it: wire formats of imported rows in
// workflows/codec (the domain takes typed Rows), the cron runtime in
// workflows/schedule (the domain keeps the table of jobs and takes a
// ScheduleParser). Only the standard library, stats and the YAML library
// are imported here.
package workflows
