-- Replica schema v5: who a device is and what it may hold come from the hub's own records.

-- The volunteer a join code pairs, and so the device's volunteer: visits it writes are credited
-- to this person only.
ALTER TABLE hub_join_codes ADD COLUMN volunteer TEXT;
ALTER TABLE hub_devices ADD COLUMN volunteer TEXT;

-- Household documents the hub delivered to or accepted from each device. A device may push work
-- on these even after they were reassigned away from it; what it claims to hold adds nothing.
CREATE TABLE hub_device_docs (
    device_id TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    PRIMARY KEY (device_id, doc_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO hub_device_docs (device_id, doc_id)
    SELECT peer, doc_id FROM peer_heads
    WHERE doc_id <> 'plan' AND peer IN (SELECT id FROM hub_devices);

-- Automerge actors and the device that writes with them, declared by the device itself over its
-- authenticated connection (first come; an actor never moves to another device).
CREATE TABLE hub_device_actors (
    actor     BLOB PRIMARY KEY,
    device_id TEXT NOT NULL,
    since     INTEGER NOT NULL
) WITHOUT ROWID;

-- Volunteers' phone numbers stay on the replica that imported them (the hub): the plan document,
-- which every device receives, carries none.
CREATE TABLE volunteer_contacts (
    volunteer_id TEXT PRIMARY KEY,
    phone        TEXT NOT NULL
) WITHOUT ROWID;
