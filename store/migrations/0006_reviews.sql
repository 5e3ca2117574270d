-- Growth reviews: one row per team and month, written when the digest is
-- first posted and updated when the team lead decides the course.
CREATE TABLE reviews (
    team        TEXT NOT NULL REFERENCES teams (key),
    month       TEXT NOT NULL,                -- YYYY-MM in the team's time zone
    message_key TEXT NOT NULL DEFAULT '',     -- outbox key of the latest posted digest
    posted_at   TEXT,
    course      TEXT NOT NULL DEFAULT '' CHECK (course IN ('', 'stay', 'change')),
    changes     TEXT NOT NULL DEFAULT '',     -- what changes, for 'change'
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  TEXT,
    PRIMARY KEY (team, month)
) WITHOUT ROWID;

-- Computed KPIs (monthly active units, retention) read the events of a
-- month as one range of the events table's primary key, which begins with
-- the time and holds the unit: the table is its own covering index for
-- them. An index on (unit, at) would double the biggest table's size and
-- slow every import, for a query that runs once a month per team, so there
-- is none.
