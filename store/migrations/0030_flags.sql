-- Flags that any OpenFeature SDK can use (issue 17): layers, exposure
-- logging at evaluation and team holdouts. Variant values live in the
-- experiments' variants JSON.
ALTER TABLE experiments ADD COLUMN layer TEXT NOT NULL DEFAULT '';
ALTER TABLE experiments ADD COLUMN layer_share REAL NOT NULL DEFAULT 0;
ALTER TABLE experiments ADD COLUMN layer_ranges TEXT NOT NULL DEFAULT '[]';
ALTER TABLE experiments ADD COLUMN log_exposures INTEGER NOT NULL DEFAULT 1;

ALTER TABLE teams ADD COLUMN holdout_share REAL NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN holdout_start TEXT;
ALTER TABLE teams ADD COLUMN holdout_end TEXT;
