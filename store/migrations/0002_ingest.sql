-- Ingestion: who saw which variant (exposures) and what units did (events).
--
-- These tables grow to tens of millions of rows, so they trade the rest of
-- the schema's readable RFC 3339 text for integers: times are Unix
-- milliseconds, units and event names are integer ids.

-- units maps a unit id (the text teams send) to the 64-bit integer the big
-- tables use: the first 8 bytes of its SHA-256. Hashing, rather than
-- numbering units in order of arrival, lets an import compute the id
-- without a lookup per row. Two unit ids with the same hash (about 1 in
-- 10^13 for a million units) would merge two units' data, so the trigger
-- refuses the import that would store the second one.
CREATE TABLE units (
    id  INTEGER PRIMARY KEY,
    key TEXT NOT NULL
);
CREATE TRIGGER units_no_collision BEFORE INSERT ON units
WHEN EXISTS (SELECT 1 FROM units WHERE id = NEW.id AND key <> NEW.key)
BEGIN
    SELECT RAISE(ABORT, 'unit id hash collision');
END;

CREATE TABLE event_names (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- An exposure is stored once per experiment, unit and variant; the first
-- one wins. A unit with rows for two variants is kept, and left out of the
-- analysis.
CREATE TABLE exposures (
    experiment TEXT NOT NULL REFERENCES experiments (key),
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
