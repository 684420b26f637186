-- Replica schema v2: projection rows of residents, visits and corrections are keyed within their
-- household. Their ids are random and unique in practice, but a document from a buggy or hostile
-- peer that reuses another household's ids must still merge (and rebuild) instead of wedging
-- sync on a UNIQUE constraint. The projection is derived, so the tables are recreated and the
-- store rebuilds them from the documents on open (`projection_stale`).

DROP TABLE p_residents_fts;
DROP TABLE p_residents;
DROP TABLE p_visits;
DROP TABLE p_visit_actions;
DROP TABLE p_corrections;

CREATE TABLE p_residents (
    id           TEXT NOT NULL,
    household_id TEXT NOT NULL,
    full_name    TEXT NOT NULL,
    name_key     TEXT NOT NULL,   -- folded: no case, no diacritics, đ→d
    roster_key   BLOB NOT NULL,   -- Vietnamese order, given name first
    birth_year   INTEGER,
    gender       TEXT,
    cccd_number  TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    cccd         INTEGER NOT NULL,  -- 0 none, 1 applied, 2 has
    level2       INTEGER NOT NULL,  -- 0/1
    activation   INTEGER NOT NULL,  -- 0 none, 1 level 1, 2 level 2
    guided       INTEGER NOT NULL,  -- 0/1
    blockers     TEXT NOT NULL DEFAULT '',
    excluded     INTEGER NOT NULL DEFAULT 0,  -- moved out, deceased or done elsewhere
    UNIQUE (household_id, id)
);
CREATE INDEX p_residents_by_id ON p_residents (id);
CREATE INDEX p_residents_by_roster ON p_residents (roster_key);

CREATE VIRTUAL TABLE p_residents_fts USING fts5 (
    name_key, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TABLE p_visits (
    id           TEXT NOT NULL,
    household_id TEXT NOT NULL,
    at           INTEGER NOT NULL,
    day          TEXT NOT NULL,
    volunteer    TEXT NOT NULL,
    team         TEXT,
    device       TEXT,
    outcome      TEXT NOT NULL,
    json         TEXT NOT NULL,
    PRIMARY KEY (household_id, id)
) WITHOUT ROWID;
CREATE INDEX p_visits_by_day ON p_visits (day);

CREATE TABLE p_visit_actions (
    visit_id     TEXT NOT NULL,
    resident_id  TEXT NOT NULL,
    household_id TEXT NOT NULL,
    volunteer    TEXT NOT NULL,
    day          TEXT NOT NULL,
    at           INTEGER NOT NULL,
    level2       INTEGER NOT NULL,
    activation   INTEGER NOT NULL,
    guided       INTEGER NOT NULL,
    PRIMARY KEY (household_id, visit_id, resident_id)
) WITHOUT ROWID;

CREATE TABLE p_corrections (
    id           TEXT NOT NULL,
    household_id TEXT NOT NULL,
    resident_id  TEXT NOT NULL,
    at           INTEGER NOT NULL,
    by           TEXT NOT NULL,
    json         TEXT NOT NULL,
    PRIMARY KEY (household_id, id)
) WITHOUT ROWID;

INSERT OR REPLACE INTO meta (key, value) VALUES ('projection_stale', '1');
