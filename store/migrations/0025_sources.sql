-- Sources: warehouses experiments are analysed from instead of this file.
-- A source's definition (its type, the environment variable that holds its
-- DSN, its tables and columns) is one JSON document, as config as code
-- gives it; the DSN itself is never stored.
CREATE TABLE sources (
    key        TEXT PRIMARY KEY,
    definition TEXT NOT NULL
) WITHOUT ROWID;

-- The source an experiment reads, and a team's default for its
-- experiments; '' for this file.
ALTER TABLE experiments ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN source TEXT NOT NULL DEFAULT '';
