-- Replica schema v6: a lead's planning. Mobile teams (tổ lưu động), hard cases flagged on
-- households (`hc.<reason>` in the household document) and the sessions of each team's schedule
-- (`ts.<session>` in the plan). All projection: the store rebuilds it from the documents on open.

ALTER TABLE p_teams ADD COLUMN mobile INTEGER NOT NULL DEFAULT 0;

CREATE TABLE p_hard_cases (
    household_id TEXT NOT NULL,
    reason       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    by           TEXT,
    note         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (household_id, reason)
) WITHOUT ROWID;

CREATE TABLE p_team_sessions (
    id     TEXT PRIMARY KEY,
    team   TEXT NOT NULL,
    date   TEXT NOT NULL,   -- YYYY-MM-DD, sorts as text
    start  TEXT NOT NULL,   -- HH:MM
    "end"  TEXT NOT NULL,
    place  TEXT NOT NULL,
    note   TEXT NOT NULL DEFAULT '',
    at     INTEGER NOT NULL,
    by     TEXT
) WITHOUT ROWID;
CREATE INDEX p_team_sessions_by_team ON p_team_sessions (team, date, start);

-- The team board counts each volunteer's own work.
CREATE INDEX p_visit_actions_by_volunteer ON p_visit_actions (volunteer);
CREATE INDEX p_visits_by_volunteer_day ON p_visits (volunteer, day);

INSERT OR REPLACE INTO meta (key, value) VALUES ('projection_stale', '1');
