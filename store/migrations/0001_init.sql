-- The domain: teams, metrics, experiments, decisions, the audit log, goals,
-- KPIs and settings. Times are RFC 3339 text in UTC; lists are JSON arrays.

CREATE TABLE teams (
    key                TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    channel            TEXT NOT NULL,
    lead               TEXT NOT NULL,
    approvers          TEXT NOT NULL DEFAULT '[]',
    members            TEXT NOT NULL DEFAULT '[]',
    timezone           TEXT NOT NULL DEFAULT 'UTC',
    framework          TEXT NOT NULL,
    required_approvals INTEGER NOT NULL DEFAULT 1,
    target_mrr_growth  REAL NOT NULL DEFAULT 0,
    target_nps         REAL NOT NULL DEFAULT 0,
    webhook_url        TEXT NOT NULL DEFAULT '',
    webhook_secret_env TEXT NOT NULL DEFAULT ''
);

CREATE TABLE metrics (
    key              TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    type             TEXT NOT NULL CHECK (type IN ('mean', 'proportion', 'ratio')),
    event            TEXT NOT NULL DEFAULT '',
    value            TEXT NOT NULL DEFAULT '',
    numerator        TEXT NOT NULL DEFAULT '',
    denominator      TEXT NOT NULL DEFAULT '',
    higher_is_better INTEGER NOT NULL DEFAULT 1,
    winsorize        REAL NOT NULL DEFAULT 0,
    tags             TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE experiments (
    key               TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    team              TEXT NOT NULL REFERENCES teams (key),
    owner             TEXT NOT NULL DEFAULT '',
    hypothesis        TEXT NOT NULL DEFAULT '',
    variants          TEXT NOT NULL,
    primary_metrics   TEXT NOT NULL DEFAULT '[]',
    guardrail_metrics TEXT NOT NULL DEFAULT '[]',
    secondary_metrics TEXT NOT NULL DEFAULT '[]',
    method            TEXT NOT NULL,
    alpha             REAL NOT NULL,
    framework         TEXT NOT NULL DEFAULT '',
    min_days          INTEGER NOT NULL,
    planned_days      INTEGER NOT NULL,
    target_mde        REAL NOT NULL,
    rollout_plan      TEXT NOT NULL DEFAULT '[]',
    state             TEXT NOT NULL CHECK (state IN ('draft', 'running', 'decision_pending', 'shipped', 'killed')),
    started_at        TEXT,
    ends_at           TEXT,
    decided_at        TEXT,
    winner            TEXT NOT NULL DEFAULT '',
    rollout_percent   REAL NOT NULL DEFAULT 0,
    rollout_step      INTEGER NOT NULL DEFAULT 0,
    rollout_paused    INTEGER NOT NULL DEFAULT 0,
    rollout_step_at   TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX experiments_team_state ON experiments (team, state);

CREATE TABLE decisions (
    id                    INTEGER PRIMARY KEY,
    experiment            TEXT NOT NULL REFERENCES experiments (key),
    action                TEXT NOT NULL CHECK (action IN ('ship', 'extend', 'kill')),
    variant               TEXT NOT NULL DEFAULT '',
    days                  INTEGER NOT NULL DEFAULT 0,
    reason                TEXT NOT NULL DEFAULT '',
    requester             TEXT NOT NULL,
    recommendation        TEXT NOT NULL DEFAULT '',
    recommendation_reason TEXT NOT NULL DEFAULT '',
    auto_approved         INTEGER NOT NULL DEFAULT 0,
    required_approvals    INTEGER NOT NULL DEFAULT 1,
    approvals             TEXT NOT NULL DEFAULT '[]',
    rejected_by           TEXT NOT NULL DEFAULT '',
    state                 TEXT NOT NULL CHECK (state IN ('pending', 'applied', 'rejected', 'superseded')),
    created_at            TEXT NOT NULL,
    resolved_at           TEXT,
    message_channel       TEXT NOT NULL DEFAULT '',
    message_ts            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX decisions_experiment ON decisions (experiment, id);
-- At most one pending decision per experiment: two requests at once cannot
-- both open.
CREATE UNIQUE INDEX decisions_one_pending ON decisions (experiment) WHERE state = 'pending';

-- The audit log is append-only; the triggers make that a property of the
-- database, not a convention of the code.
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    reason  TEXT NOT NULL DEFAULT '',
    before  TEXT NOT NULL DEFAULT '',
    after   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_subject ON audit (subject, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit entries are never updated');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit entries are never deleted');
END;

CREATE TABLE goals (
    id         INTEGER PRIMARY KEY,
    team       TEXT NOT NULL REFERENCES teams (key),
    quarter    TEXT NOT NULL,
    title      TEXT NOT NULL,
    owner      TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL CHECK (status IN ('in_progress', 'done', 'dropped')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX goals_team_quarter ON goals (team, quarter);

CREATE TABLE kpis (
    team   TEXT NOT NULL,
    name   TEXT NOT NULL,
    period TEXT NOT NULL,
    value  REAL NOT NULL,
    PRIMARY KEY (team, name, period)
) WITHOUT ROWID;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
