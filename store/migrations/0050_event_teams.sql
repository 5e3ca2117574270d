-- Events of a team (issue 18): an event may name its team, or a team's
-- teams[].events (event names, unit id prefixes) claims it at import. A
-- team's computed KPIs (active users, retention) count its own events;
-- company-wide ones count every event.
--
-- teams.events is the team's EventMatch as JSON.
ALTER TABLE teams ADD COLUMN events TEXT NOT NULL DEFAULT '{}';

-- event_teams numbers the teams events belong to, as event_names numbers
-- event names: events.team holds the number (0: no team), a byte or two in
-- the biggest table rather than the key's text. A team gets its number
-- with its first event, so a team with none costs a review nothing.
CREATE TABLE event_teams (
    id   INTEGER PRIMARY KEY,
    team TEXT NOT NULL UNIQUE
);

-- Not in the key: an event is the same event whichever team it is
-- attributed to, and a retried import stores it once. Rows stored before
-- this column read 0. A review of a team scans its months' range of the
-- key and keeps the rows of the team, as a company-wide review scans them
-- all.
ALTER TABLE events ADD COLUMN team INTEGER NOT NULL DEFAULT 0;
