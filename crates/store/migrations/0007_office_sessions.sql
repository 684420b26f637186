-- Replica schema v7 (hub only): the office's web sign-in. One-time sign-in tokens the hub prints
-- (`/office/#signin=…`) and the sessions they open, both stored as SHA-256 hashes only: a copy
-- of the database signs nobody in.

CREATE TABLE hub_office_signin (
    hash       BLOB PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;

CREATE TABLE hub_office_sessions (
    hash       BLOB PRIMARY KEY,
    created_at INTEGER NOT NULL,
    last_used  INTEGER NOT NULL,
    -- Absolute end (sign-in + 12 h); the idle end is last_used + the hub's idle limit.
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
