-- Replica schema v4 (hub only): the audit log, and the state that guards pairing.
--
-- The audit log is append-only: triggers refuse every UPDATE and DELETE, so no code path of
-- the hub or the `gocua` command can rewrite history (someone with the file itself can, of
-- course: it records what the hub saw, it is not a notary).

CREATE TABLE hub_audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,            -- unix seconds
    kind   TEXT NOT NULL,               -- see gocua_store::audit::AuditKind
    ip     TEXT,
    device TEXT,
    doc    TEXT,
    code   TEXT,                        -- a refusal's stable code, or a reason
    detail TEXT NOT NULL DEFAULT '',
    count  INTEGER NOT NULL DEFAULT 1   -- > 1 for a summary of throttled events
);
CREATE INDEX hub_audit_by_kind ON hub_audit (kind, at);

CREATE TRIGGER hub_audit_no_update BEFORE UPDATE ON hub_audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER hub_audit_no_delete BEFORE DELETE ON hub_audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- INSERT OR REPLACE deletes the row it replaces without firing DELETE triggers.
CREATE TRIGGER hub_audit_no_replace BEFORE INSERT ON hub_audit
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM hub_audit WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Join codes are looked up by their public name (the part before the dash); the secret after
-- it is only ever compared as a hash. Wrong secrets for a name are counted on that code, which
-- is burned after a few. Codes made before this migration have no name and no longer pair.
ALTER TABLE hub_join_codes ADD COLUMN lookup TEXT;
ALTER TABLE hub_join_codes ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hub_join_codes ADD COLUMN burned_at INTEGER;
CREATE UNIQUE INDEX hub_join_codes_by_lookup ON hub_join_codes (lookup) WHERE lookup IS NOT NULL;

-- One row: the ward-wide budget of failed pairings (unknown names and wrong secrets alike).
CREATE TABLE hub_pairing_guard (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    window_start         INTEGER NOT NULL,
    failures             INTEGER NOT NULL,  -- failures answered in the current window
    locked_until         INTEGER NOT NULL,  -- 0: not locked
    strikes              INTEGER NOT NULL,  -- locks in a row: each one lasts twice as long
    last_failure         INTEGER NOT NULL,
    refused_while_locked INTEGER NOT NULL
);
INSERT INTO hub_pairing_guard VALUES (1, 0, 0, 0, 0, 0, 0);
