-- Ingestion: who saw which variant (exposures) and what units did (events).
--
-- These tables grow to tens of millions of rows, so they trade the rest of
-- the schema's readable RFC 3339 text for integers: times are Unix
-- milliseconds, units and event names are integer ids.

-- units maps the ids of exposed units back to the text teams send. A unit
-- id is the first 8 bytes of the SHA-256 of that text: hashing, rather than
-- numbering units as they arrive, lets an import compute ids without a
-- lookup per row. Only exposures record the text (the units analysis sees),
-- and they refuse an import whose unit would collide with a stored one.
-- Events carry the id alone: recording their units too would cost a random
-- insert per new unit on the hot path. The risk left is an event of a
-- unit never exposed whose id equals an exposed unit's: with ten million
-- units sending events and a million exposed, about 1 in 2 million.
CREATE TABLE units (
    id  INTEGER PRIMARY KEY,
    key TEXT NOT NULL
);

CREATE TABLE event_names (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- An exposure is stored once per experiment, unit and variant; the
-- earliest one wins (store/ingest.go). A unit with rows for two variants is
-- kept, and left out of the analysis. The import checks the experiment: a foreign key would make
-- every multi-row insert keep a statement journal, and experiments are
-- never deleted.
CREATE TABLE exposures (
    experiment TEXT NOT NULL,
    unit       INTEGER NOT NULL,
    variant    TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (experiment, unit, variant)
) WITHOUT ROWID;

-- The key is the whole event, so a retried batch can never count twice,
-- exactly and without a hash. Time first: imports arrive roughly in time
-- order, so inserts append to the right edge of the tree (an index on unit
-- would take a random page per row), and aggregation reads a window of
-- time in one range scan that serves every experiment at once.
CREATE TABLE events (
    at    INTEGER NOT NULL,
    unit  INTEGER NOT NULL,
    event INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (at, unit, event, value)
) WITHOUT ROWID;
