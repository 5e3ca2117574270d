-- Scheduled job runs: one row per job, scope and period, so that a job runs
-- once per period across restarts and overlapping processes.
CREATE TABLE job_runs (
    job         TEXT NOT NULL,
    scope       TEXT NOT NULL,  -- a team key, an experiment key, or '*'
    period      TEXT NOT NULL,  -- e.g. 2026-11-16 (pulse), 2026-10 (digest)
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    attempt     INTEGER NOT NULL DEFAULT 1,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    error       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job, scope, period)
) WITHOUT ROWID;

-- One scorecard per experiment and day, for history, trends and the reviews.
CREATE TABLE snapshots (
    experiment TEXT NOT NULL REFERENCES experiments (key),
    day        TEXT NOT NULL,  -- YYYY-MM-DD in the team's time zone
    at         TEXT NOT NULL,
    scorecard  TEXT NOT NULL,  -- JSON
    posted     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (experiment, day)
) WITHOUT ROWID;
