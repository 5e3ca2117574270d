-- Messages carry data: the kind of domain value a message says and the value
-- as JSON. The Slack adapter renders it when it delivers, outside the
-- writer. Rows from before keep their rendered body (kind '') and are
-- delivered as they are.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN payload TEXT NOT NULL DEFAULT '';
