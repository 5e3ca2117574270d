-- The outbox: every message growthbot sends is written here first, in the
-- transaction of the change it reports, then delivered by a worker.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    op              TEXT NOT NULL CHECK (op IN ('post', 'update', 'respond', 'ephemeral', 'upload', 'webhook')),
    lane            TEXT NOT NULL,
    channel         TEXT NOT NULL DEFAULT '',
    parent          TEXT NOT NULL DEFAULT '',
    target          TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    user_id         TEXT NOT NULL DEFAULT '',
    secret_env      TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    file            BLOB,
    filename        TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    ts              TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
-- The head of each lane is the undelivered message with the smallest id.
CREATE INDEX outbox_undelivered ON outbox (lane, id) WHERE state IN ('pending', 'sending');

-- Inbound Slack deliveries already seen, so that a retry is not applied twice.
CREATE TABLE slack_deliveries (
    id          TEXT PRIMARY KEY,
    received_at TEXT NOT NULL
) WITHOUT ROWID;
