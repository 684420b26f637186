-- Province schema v1: what ward hubs report (gocua hub report). One row per ward in `wards`,
-- its progress cut by ward, residential group, team and organisation, its daily figures, its
-- open households by blocker, and one status row per household under an opaque id (an HMAC of
-- the household id under a secret that never leaves the ward's hub). No table holds a name, an
-- address, a CCCD or a phone number. Each report replaces the ward's figures in one
-- transaction; `wards_only_forward` refuses a report older than what is held.

CREATE TABLE province.wards (
    ward_code        text PRIMARY KEY CHECK (ward_code ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    ward_name        text NOT NULL,
    district         text NOT NULL,
    -- Which hub reports for the ward (from its secret; a hub restored from its backup keeps it):
    -- another hub claiming the same ward is refused.
    hub_id           text NOT NULL CHECK (hub_id ~ '^[0-9a-f]{32}$'),
    -- The hub's report sequence and the report's id: a retried report (same id) is applied once.
    report_seq       bigint NOT NULL CHECK (report_seq > 0),
    report_id        text NOT NULL,
    -- Visits and corrections in the ward's data: an older copy of the ward has fewer.
    events           bigint NOT NULL CHECK (events >= 0),
    -- The day the figures are judged on (eligibility, daily rows), Vietnam's date.
    as_of            date NOT NULL,
    built_at         timestamptz NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    campaign_start   date,
    campaign_end     date,
    target_cccd      integer,
    target_level2    integer,
    target_activated integer,
    households_total integer NOT NULL
);

CREATE FUNCTION province.wards_only_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.hub_id <> OLD.hub_id THEN
        RAISE EXCEPTION 'ward % is reported by another hub', NEW.ward_code USING ERRCODE = 'GC003';
    END IF;
    IF NEW.events < OLD.events THEN
        RAISE EXCEPTION 'report of ward % is older than the one held (% events < %)',
            NEW.ward_code, NEW.events, OLD.events USING ERRCODE = 'GC001';
    END IF;
    IF NEW.report_seq <= OLD.report_seq THEN
        RAISE EXCEPTION 'report % of ward % is not newer than report % held',
            NEW.report_seq, NEW.ward_code, OLD.report_seq USING ERRCODE = 'GC002';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER wards_only_forward BEFORE UPDATE ON province.wards
    FOR EACH ROW EXECUTE FUNCTION province.wards_only_forward();

-- `gocua progress --by ward|group|team|org` of each ward, row for row (`position` keeps the
-- ward's own order). The households no team has yet are the team row with an empty key.
CREATE TABLE province.ward_progress (
    ward_code          text NOT NULL REFERENCES province.wards ON DELETE CASCADE,
    dimension          text NOT NULL CHECK (dimension IN ('ward', 'group', 'team', 'org')),
    key                text NOT NULL,
    label              text NOT NULL,
    position           integer NOT NULL,
    households         integer NOT NULL,
    visited_households integer NOT NULL,
    eligible           integer NOT NULL,
    cccd               integer NOT NULL,
    level2             integer NOT NULL,
    activated          integer NOT NULL,
    guided             integer NOT NULL,
    target_cccd        integer,
    target_level2      integer,
    target_activated   integer,
    quota_done         integer,
    quota              integer,
    PRIMARY KEY (ward_code, dimension, key)
);

-- `gocua daily` of each ward: one row per campaign day.
CREATE TABLE province.ward_daily (
    ward_code            text NOT NULL REFERENCES province.wards ON DELETE CASCADE,
    day                  date NOT NULL,
    visits               integer NOT NULL,
    households_visited   integer NOT NULL,
    new_level2           integer NOT NULL,
    new_activations      integer NOT NULL,
    cumulative_activated integer NOT NULL,
    PRIMARY KEY (ward_code, day)
);

-- Households with work left, by what stands in the way (a household counts once per blocker).
CREATE TABLE province.ward_blockers (
    ward_code  text NOT NULL REFERENCES province.wards ON DELETE CASCADE,
    blocker    text NOT NULL,
    households integer NOT NULL,
    PRIMARY KEY (ward_code, blocker)
);

-- One row per household, under an opaque id: where it stands, never who lives there.
CREATE TABLE province.household_status (
    ward_code   text NOT NULL REFERENCES province.wards ON DELETE CASCADE,
    hid         text NOT NULL CHECK (hid ~ '^[0-9a-f]{32}$'),
    group_key   text NOT NULL,
    team_key    text NOT NULL,
    stage       smallint NOT NULL,
    n_eligible  integer NOT NULL,
    n_open      integer NOT NULL,
    n_activated integer NOT NULL,
    n_visits    integer NOT NULL,
    blockers    text[] NOT NULL,
    PRIMARY KEY (ward_code, hid)
);
CREATE INDEX household_status_open ON province.household_status (ward_code) WHERE n_open > 0;

-- Every report committed: which, when, how much it carried.
CREATE TABLE province.report_log (
    ward_code          text NOT NULL,
    report_seq         bigint NOT NULL,
    report_id          text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('full', 'incremental')),
    events             bigint NOT NULL,
    households_sent    integer NOT NULL,
    households_removed integer NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ward_code, report_seq)
);

-- Reports refused because they were older than what is held (a hub restored from an old
-- backup, a delayed retry): the province sees them, the figures do not move.
CREATE TABLE province.report_refusals (
    ward_code   text NOT NULL,
    report_seq  bigint NOT NULL,
    events      bigint NOT NULL,
    reason      text NOT NULL,
    held_seq    bigint NOT NULL,
    held_events bigint NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
