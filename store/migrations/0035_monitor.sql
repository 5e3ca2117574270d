-- Data monitoring: one row per watched problem (an experiment without new
-- exposures, a metric whose event stopped, KPIs missing before a review),
-- so that each is posted once when it opens and once when it clears.
CREATE TABLE monitor_alerts (
    key        TEXT PRIMARY KEY,
    opened_at  TEXT NOT NULL,
    cleared_at TEXT
) WITHOUT ROWID;
