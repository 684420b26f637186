-- Replica schema v8 (hub only): the province's reports. The hub pushes what the province needs
-- from its projection into the province's PostgreSQL (`gocua hub report`, crates/province).
-- A report is built here, queued in `province_outbox` (so it survives a restart while the
-- province's database is unreachable) and removed once PostgreSQL has committed it.
-- `province_sent` is what PostgreSQL is known to hold of the per-household status rows (opaque
-- id -> digest of the row), so the next report sends only the rows that changed.

CREATE TABLE province_outbox (
    -- The hub's report sequence: strictly increasing, never reused.
    seq        INTEGER PRIMARY KEY,
    report_id  TEXT NOT NULL,
    -- Events (visits, corrections) in the ward's documents when the report was built.
    events     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    -- The report itself, zstd-compressed JSON (no names, CCCD or phone numbers in it).
    payload    BLOB NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);

CREATE TABLE province_sent (
    hid    TEXT PRIMARY KEY,
    digest BLOB NOT NULL
) WITHOUT ROWID;
