-- Replica schema v3: the imported baseline of each resident's funnel, so daily progress can
-- tell progress made during the campaign from progress already made before it.

ALTER TABLE p_residents ADD COLUMN base_level2 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE p_residents ADD COLUMN base_activation INTEGER NOT NULL DEFAULT 0;

INSERT OR REPLACE INTO meta (key, value) VALUES ('projection_stale', '1');
