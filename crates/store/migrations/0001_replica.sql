-- Replica schema v1: Automerge documents (the truth) and their projection (rebuildable).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per Automerge document: a snapshot written at the last compaction and the heads now.
CREATE TABLE docs (
    id        TEXT PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('household', 'plan')),
    snapshot  BLOB NOT NULL,
    heads     BLOB NOT NULL,
    n_changes INTEGER NOT NULL DEFAULT 0,
    -- Local write counter: lets the hub tell a device what changed since its last sync.
    seq       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX docs_by_seq ON docs (seq);

-- Incremental change chunks since the snapshot, in the order they were written.
CREATE TABLE doc_changes (
    doc_id TEXT NOT NULL REFERENCES docs (id) ON DELETE CASCADE,
    n      INTEGER NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (doc_id, n)
) WITHOUT ROWID;

-- Automerge sync state per (peer, document), so the next sync resumes where this one stopped.
CREATE TABLE sync_states (
    peer   TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    state  BLOB NOT NULL,
    PRIMARY KEY (peer, doc_id)
) WITHOUT ROWID;

-- Heads each peer is known to hold, per document (the manifest the fast path compares).
CREATE TABLE peer_heads (
    peer   TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    heads  BLOB NOT NULL,
    PRIMARY KEY (peer, doc_id)
) WITHOUT ROWID;

---------------------------------------------------------------------------------------------------
-- Projection. Everything below can be rebuilt from `docs` + `doc_changes`.

CREATE TABLE p_plan (
    key   TEXT PRIMARY KEY,  -- 'ward' | 'campaign'
    json  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE p_groups (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    area TEXT NOT NULL,
    sort_key BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE p_streets (
    id       TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    sort_key BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE p_orgs (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE p_teams (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    lead TEXT
) WITHOUT ROWID;

CREATE TABLE p_volunteers (
    id    TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    org   TEXT NOT NULL,
    team  TEXT,
    role  TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE p_street_assign (
    street_id TEXT PRIMARY KEY,
    team      TEXT NOT NULL,
    volunteer TEXT,
    at        INTEGER NOT NULL,
    by        TEXT
) WITHOUT ROWID;

CREATE TABLE p_household_assign (
    household_id TEXT PRIMARY KEY,
    team         TEXT NOT NULL,
    volunteer    TEXT,
    at           INTEGER NOT NULL,
    by           TEXT
) WITHOUT ROWID;

CREATE TABLE p_households (
    id          TEXT PRIMARY KEY,
    street_id   TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    house_no    TEXT NOT NULL,
    address     TEXT NOT NULL,
    head        TEXT NOT NULL,
    sort_key    BLOB NOT NULL,
    blockers    TEXT NOT NULL DEFAULT '',   -- household blockers of the latest visit
    n_visits    INTEGER NOT NULL DEFAULT 0,
    last_visit  INTEGER,
    revisit_at  INTEGER
) WITHOUT ROWID;
CREATE INDEX p_households_by_street ON p_households (street_id);

-- Residents keep an integer rowid: the full-text index refers to it.
CREATE TABLE p_residents (
    id           TEXT NOT NULL UNIQUE,
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
    excluded     INTEGER NOT NULL DEFAULT 0  -- moved out, deceased or done elsewhere
);
CREATE INDEX p_residents_by_household ON p_residents (household_id);
CREATE INDEX p_residents_by_roster ON p_residents (roster_key);

CREATE VIRTUAL TABLE p_residents_fts USING fts5 (
    name_key, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TABLE p_visits (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL,
    at           INTEGER NOT NULL,
    day          TEXT NOT NULL,
    volunteer    TEXT NOT NULL,
    team         TEXT,
    device       TEXT,
    outcome      TEXT NOT NULL,
    json         TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX p_visits_by_household ON p_visits (household_id);
CREATE INDEX p_visits_by_day ON p_visits (day);

-- What each visit did for each resident: feeds quotas, leaderboards and daily progress.
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
    PRIMARY KEY (visit_id, resident_id)
) WITHOUT ROWID;
CREATE INDEX p_visit_actions_by_household ON p_visit_actions (household_id);

CREATE TABLE p_corrections (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL,
    resident_id  TEXT NOT NULL,
    at           INTEGER NOT NULL,
    by           TEXT NOT NULL,
    json         TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX p_corrections_by_household ON p_corrections (household_id);

---------------------------------------------------------------------------------------------------
-- Hub-only tables: who may sync what. Outside the CRDT by design.

CREATE TABLE hub_devices (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    team        TEXT,
    token_hash  BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    last_sync   INTEGER,
    last_batch  INTEGER NOT NULL DEFAULT 0,
    hub_cursor  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE hub_join_codes (
    code_hash  BLOB PRIMARY KEY,
    role       TEXT NOT NULL,
    team       TEXT,
    label      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    device_id  TEXT
) WITHOUT ROWID;
