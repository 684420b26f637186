//! Read-only queries over the projection: work lists in easy-first order, household details,
//! search, progress by any slice of the ward, leaderboards and daily figures; for team leads,
//! hard cases, team schedules and the team board.
//!
//! Eligibility (who counts towards targets) is decided here, in one place: a resident counts if
//! not excluded (moved out, deceased, done elsewhere) and born in or before
//! `as_of.year() - campaign.eligible_age` (an unknown birth year counts, as in
//! `Campaign::is_eligible`). Without a campaign the legal age of 14 applies.

use std::collections::HashMap;

use gocua_domain::{
    Activation, Blocker, CccdStatus, Correction, Funnel, Gender, Group, GroupId, HardCase,
    HardCaseMark, HouseholdId, HouseholdKind, Org, OrgId, Progress, ResidentId, Role, SessionId,
    StreetId, Targets, Team, TeamId, TeamSession, Timestamp, Visit, Volunteer, VolunteerId, Ward,
    campaign::Campaign, progress::ratio_percent, text, time::date_serde,
};
use rusqlite::{OptionalExtension, ToSql, params};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use time::Date;

use crate::{Error, Result, Store};

/// Age used when the replica has no campaign yet.
const DEFAULT_ELIGIBLE_AGE: u8 = 14;

/// Which households to list. Every field narrows the list; all `None` lists the whole replica.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HouseholdFilter {
    pub team: Option<TeamId>,
    pub volunteer: Option<VolunteerId>,
    pub street: Option<StreetId>,
    pub group: Option<GroupId>,
    /// A resident's name (diacritics and case ignored) or a house number.
    pub search: Option<String>,
    pub limit: Option<usize>,
}

/// One line of a work list.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdRow {
    pub id: HouseholdId,
    pub street: StreetId,
    pub street_name: String,
    pub group: GroupId,
    pub group_name: String,
    pub kind: HouseholdKind,
    pub house_no: String,
    pub address: String,
    pub head: String,
    pub n_residents: u32,
    /// Residents who count towards targets.
    pub n_eligible: u32,
    /// Eligible residents whose account is not activated yet: the work left here.
    pub n_open: u32,
    pub n_activated: u32,
    /// Household blockers of the latest visit, then every resident's standing blockers.
    pub blockers: Vec<Blocker>,
    pub n_visits: u32,
    pub last_visit: Option<Timestamp>,
    pub revisit_at: Option<Timestamp>,
    pub team: Option<TeamId>,
    pub volunteer: Option<VolunteerId>,
}

impl HouseholdRow {
    /// Nothing left to do: no eligible resident is waiting for activation.
    pub fn is_done(&self) -> bool {
        self.n_open == 0
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentRow {
    pub id: ResidentId,
    pub full_name: String,
    pub birth_year: Option<i32>,
    pub gender: Option<Gender>,
    pub cccd_number: String,
    pub phone: String,
    pub funnel: Funnel,
    /// `Funnel::stage`, 0–4.
    pub stage: u8,
    pub eligible: bool,
    pub blockers: Vec<Blocker>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdDetail {
    pub row: HouseholdRow,
    /// Oldest first (the head is usually the oldest), then in roster order.
    pub residents: Vec<ResidentRow>,
    /// Newest first.
    pub visits: Vec<Visit>,
    /// Newest first.
    pub corrections: Vec<Correction>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreetRow {
    pub id: StreetId,
    pub name: String,
    pub group: GroupId,
    pub group_name: String,
    pub team: Option<TeamId>,
    pub volunteer: Option<VolunteerId>,
    pub households: u32,
    pub progress: Progress,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentHit {
    pub id: ResidentId,
    pub household_id: HouseholdId,
    pub full_name: String,
    pub birth_year: Option<i32>,
    pub address: String,
    pub stage: u8,
}

/// The slice of the ward a progress table is cut by.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Ward,
    Group,
    Street,
    Team,
    Volunteer,
    Org,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Ward,
        Dimension::Group,
        Dimension::Street,
        Dimension::Team,
        Dimension::Volunteer,
        Dimension::Org,
    ];

    pub fn parse(s: &str) -> Option<Dimension> {
        match text::fold(s).as_str() {
            "ward" | "phuong" => Some(Dimension::Ward),
            "group" | "to" | "to dan pho" => Some(Dimension::Group),
            "street" | "duong" => Some(Dimension::Street),
            "team" | "to cong tac" => Some(Dimension::Team),
            "volunteer" | "tinh nguyen vien" => Some(Dimension::Volunteer),
            "org" | "organisation" | "organization" | "don vi" => Some(Dimension::Org),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Ward => "ward",
            Dimension::Group => "group",
            Dimension::Street => "street",
            Dimension::Team => "team",
            Dimension::Volunteer => "volunteer",
            Dimension::Org => "org",
        }
    }
}

/// Personal quota progress ("1×20": each member guides 20 people).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub done: u32,
    pub quota: u32,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressRow {
    /// Id of the ward, group, street, team, volunteer or organisation; empty for the households
    /// no team has been given yet (label empty too: the caller words it in its language).
    pub key: String,
    pub label: String,
    pub progress: Progress,
    /// Campaign targets, on the ward row.
    pub target: Option<Targets>,
    /// On volunteer and organisation rows.
    pub quota: Option<Quota>,
}

/// One day of the campaign.
///
/// `new_level2` / `new_activations` count residents who are level-2 collected / activated now
/// and whose first visit action recording that step fell on this day. `cumulative_activated`
/// starts from the baseline — residents activated now whose activation no visit recorded (it
/// came with the imported list) or was first recorded before the campaign started — and adds
/// each day's new activations, so on the last day it equals the ward's activated count (unless
/// activations were recorded after the campaign ended). Residents a lead corrected back down
/// are not counted on any day. All counts are over eligible residents. A resident who already
/// had a step when the list was imported counts in the baseline, even if a visit records it
/// again.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRow {
    /// `YYYY-MM-DD`.
    #[serde(with = "date_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub day: Date,
    pub visits: u32,
    pub households_visited: u32,
    pub new_level2: u32,
    pub new_activations: u32,
    pub cumulative_activated: u32,
}

/// A household flagged as a hard case, with the team it waits with now.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardCaseRow {
    pub household: HouseholdRow,
    /// In `HardCase` order.
    pub reasons: Vec<HardCaseMark>,
    /// The team that has the household now (`household.team`), by name.
    pub team_name: Option<String>,
    /// Whether that team is a mobile team (tổ lưu động).
    pub mobile_team: bool,
    /// No eligible resident is waiting for activation any more.
    pub done: bool,
}

/// One volunteer's line on the team board.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardRow {
    pub volunteer: VolunteerId,
    pub name: String,
    pub role: Role,
    /// Households assigned to this volunteer personally (not only to the team).
    pub households_assigned: u32,
    /// Of those, households with at least one visit (by anyone).
    pub assigned_visited: u32,
    /// Distinct households this volunteer visited (bookings do not count).
    pub households_visited: u32,
    /// Distinct residents whose level-2 application this volunteer's visits collected.
    pub level2_collected: u32,
    /// Distinct residents this volunteer's visits activated (level 1 or 2).
    pub activated: u32,
    /// The personal quota ("1×20") as the leaderboard counts it.
    pub quota: Quota,
    /// Visits this volunteer made today (Vietnam's date).
    pub visits_today: u32,
}

/// The whole team's figures on the board.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardTotals {
    /// The team's households and its funnel over their eligible residents.
    pub progress: Progress,
    /// Team households no volunteer has personally.
    pub unassigned_households: u32,
    /// Sum of the members' figures.
    pub level2_collected: u32,
    pub activated: u32,
    pub quota: Quota,
    /// Visits logged under this team today.
    pub visits_today: u32,
}

/// A team lead's board: every member's work and the team's totals.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamBoard {
    pub team: TeamId,
    pub team_name: String,
    pub mobile: bool,
    /// The day `visits_today` is about, `YYYY-MM-DD`.
    #[serde(with = "date_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub day: Date,
    /// Members in roster order (given name first).
    pub volunteers: Vec<BoardRow>,
    pub totals: BoardTotals,
}

/// Per-household figures every progress cut is summed from.
struct HouseholdStat {
    street: String,
    group: String,
    team: Option<String>,
    volunteer: Option<String>,
    progress: Progress,
}

/// SQL for "this resident counts towards targets"; `?cutoff` is the latest eligible birth year.
const ELIGIBLE: &str = "(excluded = 0 AND (birth_year IS NULL OR birth_year <= :cutoff))";

/// Households with the team and volunteer responsible for them now: a household's own
/// assignment wins over its street's.
const ASSIGNED_HOUSEHOLDS: &str = "
    SELECT h.*,
           CASE WHEN ha.household_id IS NOT NULL THEN ha.team ELSE sa.team END AS team,
           CASE WHEN ha.household_id IS NOT NULL THEN ha.volunteer ELSE sa.volunteer END AS volunteer
    FROM p_households h
    LEFT JOIN p_household_assign ha ON ha.household_id = h.id
    LEFT JOIN p_street_assign sa ON sa.street_id = h.street_id";

impl Store {
    pub fn campaign(&self) -> Result<Option<Campaign>> {
        self.plan_json("campaign")
    }

    pub fn ward(&self) -> Result<Option<Ward>> {
        self.plan_json("ward")
    }

    fn plan_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT json FROM p_plan WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        json.map(|j| {
            serde_json::from_str(&j)
                .map_err(|e| Error::CorruptDoc(format!("plan.{key}"), e.to_string()))
        })
        .transpose()
    }

    /// Latest birth year that counts towards targets on `as_of`.
    fn eligible_cutoff(&self, as_of: Date) -> Result<i64> {
        let age = self
            .campaign()?
            .map(|c| c.eligible_age)
            .unwrap_or(DEFAULT_ELIGIBLE_AGE);
        Ok(i64::from(as_of.year()) - i64::from(age))
    }

    /// Households in easy-first order ("dễ làm trước, khó làm sau"): first those with work left
    /// and nothing standing in the way, most open residents first; then those with work left and
    /// a blocker (on the household, or on a resident still open); households with nothing left
    /// last. Ties go by street, then house number.
    pub fn households(&self, f: &HouseholdFilter, as_of: Date) -> Result<Vec<HouseholdRow>> {
        self.household_rows(f, None, false, as_of)
    }

    fn household_rows(
        &self,
        f: &HouseholdFilter,
        id: Option<&HouseholdId>,
        only_hard_cases: bool,
        as_of: Date,
    ) -> Result<Vec<HouseholdRow>> {
        let cutoff = self.eligible_cutoff(as_of)?;
        let team = f.team.as_ref().map(|t| t.as_str());
        let volunteer = f.volunteer.as_ref().map(|v| v.as_str());
        let street = f.street.as_ref().map(|s| s.as_str());
        let group = f.group.as_ref().map(|g| g.as_str());
        let id = id.map(|h| h.as_str());
        let mut conds: Vec<&str> = Vec::new();
        let mut args: Vec<(&str, &dyn ToSql)> = vec![(":cutoff", &cutoff)];
        for (value, cond, name) in [
            (&team, "team = :team", ":team"),
            (&volunteer, "volunteer = :volunteer", ":volunteer"),
            (&street, "street_id = :street", ":street"),
            (&group, "group_id = :group", ":group"),
            (&id, "id = :id", ":id"),
        ] {
            if value.is_some() {
                conds.push(cond);
                args.push((name, value));
            }
        }
        if only_hard_cases {
            conds.push("id IN (SELECT household_id FROM p_hard_cases)");
        }
        let search = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let fts = search.and_then(fts_query);
        let raw_search = search.unwrap_or_default();
        match &fts {
            Some(q) => {
                conds.push(
                    "(house_no = :raw OR id IN (SELECT household_id FROM p_residents WHERE rowid IN
                        (SELECT rowid FROM p_residents_fts WHERE p_residents_fts MATCH :fts)))",
                );
                args.push((":raw", &raw_search));
                args.push((":fts", q));
            }
            None if search.is_some() => {
                conds.push("house_no = :raw");
                args.push((":raw", &raw_search));
            }
            None => {}
        }
        let limit = f
            .limit
            .map(|l| l.min(i64::MAX as usize) as i64)
            .unwrap_or(-1);
        args.push((":limit", &limit));
        let where_ = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let sql = format!(
            "WITH hh AS (SELECT * FROM ({ASSIGNED_HOUSEHOLDS}) {where_}),
             res AS (
                SELECT household_id,
                       COUNT(*) AS n_residents,
                       SUM(elig) AS n_eligible,
                       SUM(elig AND activation = 0) AS n_open,
                       SUM(elig AND activation > 0) AS n_activated,
                       SUM(elig AND activation = 0 AND blockers <> '') AS n_open_blocked,
                       group_concat(NULLIF(blockers, ''), ',') AS blockers
                FROM (SELECT household_id, activation, blockers, {ELIGIBLE} AS elig
                      FROM p_residents WHERE household_id IN (SELECT id FROM hh))
                GROUP BY household_id
             )
             SELECT hh.id, hh.street_id, COALESCE(s.name, ''), hh.group_id, COALESCE(g.name, ''), hh.kind,
                    hh.house_no, hh.address, hh.head,
                    COALESCE(res.n_residents, 0), COALESCE(res.n_eligible, 0), COALESCE(res.n_open, 0),
                    COALESCE(res.n_activated, 0), hh.blockers, res.blockers,
                    hh.n_visits, hh.last_visit, hh.revisit_at, hh.team, hh.volunteer,
                    CASE WHEN COALESCE(res.n_open, 0) = 0 THEN 2
                         WHEN hh.blockers <> '' OR COALESCE(res.n_open_blocked, 0) > 0 THEN 1
                         ELSE 0 END AS tier
             FROM hh
             LEFT JOIN res ON res.household_id = hh.id
             LEFT JOIN p_streets s ON s.id = hh.street_id
             LEFT JOIN p_groups g ON g.id = hh.group_id
             ORDER BY tier, COALESCE(res.n_open, 0) DESC, s.sort_key, hh.sort_key, hh.id
             LIMIT :limit"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(args.as_slice())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let hh_blockers: String = r.get(13)?;
            let res_blockers: Option<String> = r.get(14)?;
            let mut blockers = parse_blockers(&hh_blockers);
            for b in parse_blockers(res_blockers.as_deref().unwrap_or_default()) {
                if !blockers.contains(&b) {
                    blockers.push(b);
                }
            }
            out.push(HouseholdRow {
                id: HouseholdId::parse(&r.get::<_, String>(0)?)?,
                street: StreetId::parse(&r.get::<_, String>(1)?)?,
                street_name: r.get(2)?,
                group: GroupId::parse(&r.get::<_, String>(3)?)?,
                group_name: r.get(4)?,
                kind: enum_from(&r.get::<_, String>(5)?).unwrap_or_default(),
                house_no: r.get(6)?,
                address: r.get(7)?,
                head: r.get(8)?,
                n_residents: r.get(9)?,
                n_eligible: r.get(10)?,
                n_open: r.get(11)?,
                n_activated: r.get(12)?,
                blockers,
                n_visits: r.get(15)?,
                last_visit: r.get::<_, Option<i64>>(16)?.map(Timestamp),
                revisit_at: r.get::<_, Option<i64>>(17)?.map(Timestamp),
                team: opt_id(r.get(18)?)?,
                volunteer: opt_id(r.get(19)?)?,
            });
        }
        Ok(out)
    }

    /// One household with its residents, visits and corrections; `None` if this replica does
    /// not hold it.
    pub fn household_detail(
        &self,
        id: &HouseholdId,
        as_of: Date,
    ) -> Result<Option<HouseholdDetail>> {
        let Some(row) = self
            .household_rows(&HouseholdFilter::default(), Some(id), false, as_of)?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let cutoff = self.eligible_cutoff(as_of)?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, full_name, birth_year, gender, cccd_number, phone, cccd, level2, activation, guided,
                    blockers, {ELIGIBLE}
             FROM p_residents WHERE household_id = :id
             ORDER BY birth_year IS NULL, birth_year, roster_key, id"
        ))?;
        let mut rows =
            stmt.query(rusqlite::named_params! { ":id": id.as_str(), ":cutoff": cutoff })?;
        let mut residents = Vec::new();
        while let Some(r) = rows.next()? {
            let funnel = funnel_from(r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?);
            residents.push(ResidentRow {
                id: ResidentId::parse(&r.get::<_, String>(0)?)?,
                full_name: r.get(1)?,
                birth_year: r.get(2)?,
                gender: r.get::<_, Option<String>>(3)?.and_then(|g| enum_from(&g)),
                cccd_number: r.get(4)?,
                phone: r.get(5)?,
                funnel,
                stage: funnel.stage(),
                eligible: r.get(11)?,
                blockers: parse_blockers(&r.get::<_, String>(10)?),
            });
        }
        let visits = self.json_rows::<Visit>(
            "SELECT id, json FROM p_visits WHERE household_id = ?1 ORDER BY at DESC, id DESC",
            id.as_str(),
        )?;
        let corrections = self.json_rows::<Correction>(
            "SELECT id, json FROM p_corrections WHERE household_id = ?1 ORDER BY at DESC, id DESC",
            id.as_str(),
        )?;
        Ok(Some(HouseholdDetail {
            row,
            residents,
            visits,
            corrections,
        }))
    }

    fn json_rows<T: DeserializeOwned>(&self, sql: &str, arg: &str) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([arg], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row?;
            out.push(
                serde_json::from_str(&json).map_err(|e| Error::CorruptDoc(id, e.to_string()))?,
            );
        }
        Ok(out)
    }

    /// Streets in Vietnamese order with their progress. With `team`, the streets assigned to it
    /// and the streets where it was given single households; the progress is still the whole
    /// street's.
    pub fn streets(&self, team: Option<&TeamId>, as_of: Date) -> Result<Vec<StreetRow>> {
        let mut per_street: HashMap<String, Progress> = HashMap::new();
        let mut team_streets: Vec<String> = Vec::new();
        for h in self.household_stats(as_of)? {
            if team.is_some_and(|t| h.team.as_deref() == Some(t.as_str())) {
                team_streets.push(h.street.clone());
            }
            per_street.entry(h.street).or_default().add(&h.progress);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.id, s.name, s.group_id, COALESCE(g.name, ''), sa.team, sa.volunteer
             FROM p_streets s
             LEFT JOIN p_groups g ON g.id = s.group_id
             LEFT JOIN p_street_assign sa ON sa.street_id = s.id
             ORDER BY s.sort_key, s.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let street_team: Option<String> = r.get(4)?;
            if team.is_some_and(|t| {
                street_team.as_deref() != Some(t.as_str()) && !team_streets.contains(&id)
            }) {
                continue;
            }
            let progress = per_street.get(&id).copied().unwrap_or_default();
            out.push(StreetRow {
                id: StreetId::parse(&id)?,
                name: r.get(1)?,
                group: GroupId::parse(&r.get::<_, String>(2)?)?,
                group_name: r.get(3)?,
                team: opt_id(street_team)?,
                volunteer: opt_id(r.get(5)?)?,
                households: progress.households,
                progress,
            });
        }
        Ok(out)
    }

    /// Residents whose name matches every word of `query` as a prefix, diacritics and case
    /// ignored ("nguyen van b" finds "Nguyễn Văn Bằng"), in roster order (given name first).
    pub fn search_residents(&self, query: &str, limit: usize) -> Result<Vec<ResidentHit>> {
        let Some(q) = fts_query(query) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        // The full-text index yields the matching rowids (a one-letter prefix matches half the
        // ward); walking the roster index in order and stopping at `limit` beats sorting them
        // all, and costs one pass over the index when few match. The planner, left alone,
        // sorts, hence INDEXED BY.
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.household_id, r.full_name, r.birth_year, COALESCE(h.address, ''),
                    r.cccd, r.level2, r.activation, r.guided
             FROM (SELECT rowid AS rid FROM p_residents INDEXED BY p_residents_by_roster
                   WHERE rowid IN (SELECT rowid FROM p_residents_fts WHERE p_residents_fts MATCH ?1)
                   ORDER BY roster_key, rowid
                   LIMIT ?2) top
             JOIN p_residents r ON r.rowid = top.rid
             LEFT JOIN p_households h ON h.id = r.household_id
             ORDER BY r.roster_key, r.rowid",
        )?;
        let mut rows = stmt.query(params![q, limit.min(i64::MAX as usize) as i64])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(ResidentHit {
                id: ResidentId::parse(&r.get::<_, String>(0)?)?,
                household_id: HouseholdId::parse(&r.get::<_, String>(1)?)?,
                full_name: r.get(2)?,
                birth_year: r.get(3)?,
                address: r.get(4)?,
                stage: funnel_from(r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?).stage(),
            });
        }
        Ok(out)
    }

    /// Funnel counts over eligible residents, cut by `by`. Groups and streets follow geography,
    /// teams and volunteers the current assignment (households nobody has yet form one row
    /// with an empty key); an organisation sums its members' households. The ward row carries
    /// the campaign targets; volunteer and organisation rows carry their quota.
    pub fn progress(&self, by: Dimension, as_of: Date) -> Result<Vec<ProgressRow>> {
        let stats = self.household_stats(as_of)?;
        let campaign = self.campaign()?;
        let row = |key: String, label: String| ProgressRow {
            key,
            label,
            progress: Progress::default(),
            target: None,
            quota: None,
        };
        let mut rows: Vec<ProgressRow> = match by {
            Dimension::Ward => {
                let ward = self.ward()?;
                let mut r = row(
                    ward.as_ref().map(|w| w.id.to_string()).unwrap_or_default(),
                    ward.map(|w| w.name).unwrap_or_default(),
                );
                r.target = campaign.as_ref().map(|c| c.targets);
                for h in &stats {
                    r.progress.add(&h.progress);
                }
                vec![r]
            }
            Dimension::Group => {
                let labels = self.pairs("SELECT id, name FROM p_groups ORDER BY sort_key, id")?;
                cut(&stats, labels, |h| Some(h.group.as_str()))
            }
            Dimension::Street => {
                let labels = self.pairs("SELECT id, name FROM p_streets ORDER BY sort_key, id")?;
                cut(&stats, labels, |h| Some(h.street.as_str()))
            }
            Dimension::Team => {
                let labels = sorted_by_name(self.pairs("SELECT id, name FROM p_teams")?);
                cut(&stats, labels, |h| h.team.as_deref())
            }
            Dimension::Volunteer => {
                let mut labels: Vec<(String, String)> =
                    self.pairs("SELECT id, name FROM p_volunteers")?;
                labels.sort_by_cached_key(|(id, name)| (text::roster_key(name), id.clone()));
                let mut rows = cut(&stats, labels, |h| h.volunteer.as_deref());
                // Households with no volunteer of their own belong to their whole team: they
                // are nobody's personal progress, so no "unassigned" row here.
                rows.retain(|r| !r.key.is_empty());
                let done = self.quota_done("a.volunteer")?;
                let quota = campaign
                    .as_ref()
                    .map(|c| c.quota_per_volunteer)
                    .unwrap_or(0);
                for r in &mut rows {
                    r.quota = Some(Quota {
                        done: done.get(&r.key).copied().unwrap_or(0),
                        quota,
                    });
                }
                rows
            }
            Dimension::Org => {
                let labels = sorted_by_name(self.pairs("SELECT id, name FROM p_orgs")?);
                let members: Vec<(String, String)> =
                    self.pairs("SELECT id, org FROM p_volunteers")?;
                let org_of: HashMap<&str, &str> = members
                    .iter()
                    .map(|(v, o)| (v.as_str(), o.as_str()))
                    .collect();
                let mut rows = cut(&stats, labels, |h| {
                    h.volunteer.as_deref().and_then(|v| org_of.get(v).copied())
                });
                rows.retain(|r| !r.key.is_empty());
                let done = self.quota_done("v.org")?;
                let per = campaign
                    .as_ref()
                    .map(|c| c.quota_per_volunteer)
                    .unwrap_or(0);
                for r in &mut rows {
                    let n = members.iter().filter(|(_, o)| *o == r.key).count() as u32;
                    r.quota = Some(Quota {
                        done: done.get(&r.key).copied().unwrap_or(0),
                        quota: per.saturating_mul(n),
                    });
                }
                rows
            }
        };
        for r in &mut rows {
            if r.key.is_empty() && by != Dimension::Ward {
                r.label.clear();
            }
        }
        Ok(rows)
    }

    /// Progress rows ranked for friendly competition (thi đua): volunteers by quota done,
    /// organisations by share of their quota, everyone else by share of eligible residents
    /// activated. Households nobody has yet are left out.
    pub fn leaderboard(&self, by: Dimension, as_of: Date) -> Result<Vec<ProgressRow>> {
        let mut rows = self.progress(by, as_of)?;
        rows.retain(|r| !r.key.is_empty() || by == Dimension::Ward);
        let share = |r: &ProgressRow| -> u64 {
            match (by, r.quota) {
                (Dimension::Volunteer, Some(q)) => u64::from(q.done) * 1_000_000,
                (Dimension::Org, Some(q)) => (ratio_percent(q.done, q.quota) * 100.0) as u64,
                _ => (r.progress.activated_percent() * 100.0) as u64,
            }
        };
        rows.sort_by(|a, b| {
            share(b)
                .cmp(&share(a))
                .then(b.progress.activated.cmp(&a.progress.activated))
                .then_with(|| text::sort_key(&a.label).cmp(&text::sort_key(&b.label)))
                .then_with(|| a.key.cmp(&b.key))
        });
        Ok(rows)
    }

    /// One row for every day of the campaign; empty without a campaign. See [`DayRow`] for what
    /// each figure means.
    pub fn daily_progress(&self, as_of: Date) -> Result<Vec<DayRow>> {
        let Some(c) = self.campaign()? else {
            return Ok(Vec::new());
        };
        let cutoff = self.eligible_cutoff(as_of)?;
        let start = gocua_domain::time::format_date(c.start);
        let end = gocua_domain::time::format_date(c.end);

        let mut visits: HashMap<String, (u32, u32)> = HashMap::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT day, COUNT(*), COUNT(DISTINCT household_id) FROM p_visits
                 WHERE day BETWEEN ?1 AND ?2 AND outcome != 'booking' GROUP BY day",
            )?;
            let rows = stmt.query_map([&start, &end], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
            })?;
            for row in rows {
                let (d, n, hh) = row?;
                visits.insert(d, (n, hh));
            }
        }
        // First day a visit recorded each step, for residents who hold that step now.
        // A resident who already had the step when imported counts in the starting total, not
        // as progress on the day a visit records it again.
        let first_days =
            |step: &str, now: &str, base: &str| -> Result<Vec<(Option<String>, u32)>> {
                let sql = format!(
                    "SELECT CASE WHEN {base} THEN NULL ELSE f.first_day END AS d, COUNT(*)
                 FROM p_residents r
                 LEFT JOIN (SELECT household_id, resident_id, MIN(day) AS first_day
                            FROM p_visit_actions WHERE {step}
                            GROUP BY household_id, resident_id) f
                   ON f.resident_id = r.id AND f.household_id = r.household_id
                 WHERE {now} AND {ELIGIBLE}
                 GROUP BY d"
                );
                let mut stmt = self.conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(rusqlite::named_params! { ":cutoff": cutoff }, |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            };
        let activations = first_days(
            "activation > 0",
            "r.activation > 0",
            "r.base_activation > 0",
        )?;
        let level2 = first_days("level2 = 1", "r.level2 = 1", "r.base_level2 = 1")?;
        let per_day = |v: &[(Option<String>, u32)]| -> HashMap<String, u32> {
            v.iter()
                .filter_map(|(d, n)| d.clone().map(|d| (d, *n)))
                .collect()
        };
        let new_act = per_day(&activations);
        let new_l2 = per_day(&level2);
        let mut cumulative: u32 = activations
            .iter()
            .filter(|(d, _)| d.as_deref().is_none_or(|d| d < start.as_str()))
            .map(|(_, n)| n)
            .sum();
        let mut out = Vec::new();
        for day in c.days() {
            let key = gocua_domain::time::format_date(day);
            let (n_visits, hh) = visits.get(&key).copied().unwrap_or((0, 0));
            let acts = new_act.get(&key).copied().unwrap_or(0);
            cumulative += acts;
            out.push(DayRow {
                day,
                visits: n_visits,
                households_visited: hh,
                new_level2: new_l2.get(&key).copied().unwrap_or(0),
                new_activations: acts,
                cumulative_activated: cumulative,
            });
        }
        Ok(out)
    }

    /// Who is responsible for a household now: its own assignment, else its street's.
    pub fn assignment_of(
        &self,
        household: &HouseholdId,
    ) -> Result<Option<(TeamId, Option<VolunteerId>)>> {
        let own: Option<(String, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT team, volunteer FROM p_household_assign WHERE household_id = ?1",
            )?
            .query_row([household.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let found = match own {
            Some(a) => Some(a),
            None => self
                .conn
                .prepare_cached(
                    "SELECT sa.team, sa.volunteer FROM p_households h
                     JOIN p_street_assign sa ON sa.street_id = h.street_id WHERE h.id = ?1",
                )?
                .query_row([household.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?,
        };
        found
            .map(|(t, v): (String, Option<String>)| Ok((TeamId::parse(&t)?, opt_id(v)?)))
            .transpose()
    }

    /// Ids of the households a team is responsible for now (the hub's access rule), including
    /// households assigned to it whose documents this replica does not hold yet.
    pub fn households_of_team(&self, team: &TeamId) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id FROM ({ASSIGNED_HOUSEHOLDS}) WHERE team = ?1
             UNION SELECT household_id FROM p_household_assign WHERE team = ?1
             ORDER BY 1"
        ))?;
        let rows = stmt.query_map([team.as_str()], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Teams in Vietnamese order of their names.
    pub fn teams(&self) -> Result<Vec<Team>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, lead, mobile FROM p_teams")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, lead, mobile) = row?;
            out.push(Team {
                id: TeamId::parse(&id)?,
                name,
                lead: opt_id(lead)?,
                mobile,
            });
        }
        out.sort_by_cached_key(|t| (text::sort_key(&t.name), t.id.clone()));
        Ok(out)
    }

    /// Volunteers in roster order (given name first).
    /// The plan's volunteers; phone numbers only where this replica keeps them (the hub).
    pub fn volunteers(&self) -> Result<Vec<Volunteer>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT v.id, v.name, v.org, v.team, v.role, COALESCE(c.phone, v.phone)
                 FROM p_volunteers v LEFT JOIN volunteer_contacts c ON c.volunteer_id = v.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let role: String = r.get(4)?;
            out.push(Volunteer {
                id: VolunteerId::parse(&r.get::<_, String>(0)?)?,
                name: r.get(1)?,
                org: OrgId::parse(&r.get::<_, String>(2)?)?,
                team: opt_id(r.get(3)?)?,
                role: Role::parse(&role)
                    .ok_or_else(|| Error::CorruptDoc("plan.volunteer".into(), role))?,
                phone: r.get(5)?,
            });
        }
        out.sort_by_cached_key(|v| (text::roster_key(&v.name), v.id.clone()));
        Ok(out)
    }

    /// Residential groups in Vietnamese order.
    pub fn groups(&self) -> Result<Vec<Group>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, kind FROM p_groups ORDER BY sort_key, id")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let kind: String = r.get(2)?;
            out.push(Group {
                id: GroupId::parse(&r.get::<_, String>(0)?)?,
                name: r.get(1)?,
                kind: enum_from(&kind)
                    .ok_or_else(|| Error::CorruptDoc("plan.group".into(), kind))?,
            });
        }
        Ok(out)
    }

    /// Organisations in Vietnamese order.
    pub fn orgs(&self) -> Result<Vec<Org>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, kind FROM p_orgs")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let kind: String = r.get(2)?;
            out.push(Org {
                id: OrgId::parse(&r.get::<_, String>(0)?)?,
                name: r.get(1)?,
                kind: enum_from(&kind).ok_or_else(|| Error::CorruptDoc("plan.org".into(), kind))?,
            });
        }
        out.sort_by_cached_key(|o| (text::sort_key(&o.name), o.id.clone()));
        Ok(out)
    }

    /// Every household with its funnel counts and who is responsible for it.
    fn household_stats(&self, as_of: Date) -> Result<Vec<HouseholdStat>> {
        let cutoff = self.eligible_cutoff(as_of)?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT hh.street_id, hh.group_id, hh.team, hh.volunteer, hh.n_visits > 0,
                    COALESCE(SUM(r.elig), 0),
                    COALESCE(SUM(r.elig AND r.cccd = 2), 0),
                    COALESCE(SUM(r.elig AND r.level2 = 1), 0),
                    COALESCE(SUM(r.elig AND r.activation > 0), 0),
                    COALESCE(SUM(r.elig AND r.guided = 1), 0)
             FROM ({ASSIGNED_HOUSEHOLDS}) hh
             LEFT JOIN (SELECT household_id, cccd, level2, activation, guided, {ELIGIBLE} AS elig
                        FROM p_residents) r ON r.household_id = hh.id
             GROUP BY hh.id"
        ))?;
        let rows = stmt.query_map(rusqlite::named_params! { ":cutoff": cutoff }, |r| {
            Ok(HouseholdStat {
                street: r.get(0)?,
                group: r.get(1)?,
                team: r.get(2)?,
                volunteer: r.get(3)?,
                progress: Progress {
                    households: 1,
                    visited_households: r.get::<_, bool>(4)? as u32,
                    eligible: r.get(5)?,
                    cccd: r.get(6)?,
                    level2: r.get(7)?,
                    activated: r.get(8)?,
                    guided: r.get(9)?,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Distinct residents someone activated or guided, per `key_col` (`a.volunteer` or `v.org`).
    fn quota_done(&self, key_col: &str) -> Result<HashMap<String, u32>> {
        self.pairs(&format!(
            "SELECT {key_col}, COUNT(DISTINCT a.resident_id)
             FROM p_visit_actions a LEFT JOIN p_volunteers v ON v.id = a.volunteer
             WHERE (a.activation > 0 OR a.guided = 1) AND {key_col} IS NOT NULL
             GROUP BY {key_col}"
        ))
        .map(|v| v.into_iter().collect())
    }

    fn pairs<A: rusqlite::types::FromSql, B: rusqlite::types::FromSql>(
        &self,
        sql: &str,
    ) -> Result<Vec<(A, B)>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Store {
    /// Households flagged as hard cases, those still open first (flagged longest ago first),
    /// then the done ones. With `team`, only those the team has now.
    pub fn hard_cases(&self, team: Option<&TeamId>, as_of: Date) -> Result<Vec<HardCaseRow>> {
        let filter = HouseholdFilter {
            team: team.cloned(),
            ..Default::default()
        };
        let rows = self.household_rows(&filter, None, true, as_of)?;
        let mut marks: HashMap<String, Vec<HardCaseMark>> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT household_id, reason, at, by, note FROM p_hard_cases")?;
            let mut q = stmt.query([])?;
            while let Some(r) = q.next()? {
                let Some(reason) = HardCase::parse(&r.get::<_, String>(1)?) else {
                    continue;
                };
                marks.entry(r.get(0)?).or_default().push(HardCaseMark {
                    reason,
                    at: Timestamp(r.get(2)?),
                    by: opt_id(r.get(3)?)?,
                    note: r.get(4)?,
                });
            }
        }
        let teams = self.teams()?;
        let mut out: Vec<HardCaseRow> = rows
            .into_iter()
            .map(|h| {
                let mut reasons = marks.remove(h.id.as_str()).unwrap_or_default();
                reasons.sort_by_key(|m| m.reason);
                let t = teams.iter().find(|t| Some(&t.id) == h.team.as_ref());
                HardCaseRow {
                    done: h.is_done(),
                    team_name: t.map(|t| t.name.clone()),
                    mobile_team: t.is_some_and(|t| t.mobile),
                    reasons,
                    household: h,
                }
            })
            .collect();
        let first = |r: &HardCaseRow| r.reasons.iter().map(|m| m.at).min();
        out.sort_by(|a, b| {
            (a.done, first(a), a.household.id.as_str()).cmp(&(
                b.done,
                first(b),
                b.household.id.as_str(),
            ))
        });
        Ok(out)
    }

    /// Sessions of the teams' schedules by date and start time; with `team`, only its own.
    pub fn team_sessions(&self, team: Option<&TeamId>) -> Result<Vec<TeamSession>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, team, date, start, \"end\", place, note, at, by FROM p_team_sessions
             WHERE ?1 IS NULL OR team = ?1
             ORDER BY date, start, team, id",
        )?;
        let mut q = stmt.query([team.map(|t| t.as_str())])?;
        let mut out = Vec::new();
        while let Some(r) = q.next()? {
            let id: String = r.get(0)?;
            let bad = |what: &str| Error::CorruptDoc(format!("plan.ts.{id}"), what.to_string());
            let hm = |i: usize| -> Result<time::Time> {
                gocua_domain::time::parse_hm(&r.get::<_, String>(i)?).ok_or_else(|| bad("time"))
            };
            out.push(TeamSession {
                id: SessionId::parse(&id)?,
                team: TeamId::parse(&r.get::<_, String>(1)?)?,
                date: gocua_domain::time::parse_date(&r.get::<_, String>(2)?)?,
                start: hm(3)?,
                end: hm(4)?,
                place: r.get(5)?,
                note: r.get(6)?,
                at: Timestamp(r.get(7)?),
                by: opt_id(r.get(8)?)?,
            });
        }
        Ok(out)
    }

    /// The team board on `today`: each member's households and work, and the team's totals.
    /// Every query is bounded by the team (its members' rows through indexes on volunteer and
    /// day, its households through the assignment), so the board costs the team, not the ward.
    pub fn team_board(&self, team: &TeamId, today: Date) -> Result<Option<TeamBoard>> {
        let Some(t) = self.teams()?.into_iter().find(|x| &x.id == team) else {
            return Ok(None);
        };
        let day = gocua_domain::time::format_date(today);
        let quota = self.campaign()?.map(|c| c.quota_per_volunteer).unwrap_or(0);
        let mut members: Vec<Volunteer> = self
            .volunteers()?
            .into_iter()
            .filter(|v| v.team.as_ref() == Some(team))
            .collect();
        members.sort_by_cached_key(|v| (text::roster_key(&v.name), v.id.clone()));

        // Households by the volunteer who has them (NULL: the whole team's).
        let mut assigned: HashMap<Option<String>, (u32, u32)> = HashMap::new();
        {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT volunteer, COUNT(*), SUM(n_visits > 0) FROM ({ASSIGNED_HOUSEHOLDS})
                 WHERE team = ?1 GROUP BY volunteer"
            ))?;
            let mut q = stmt.query([team.as_str()])?;
            while let Some(r) = q.next()? {
                assigned.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
            }
        }
        // What each member's visits did, and their visits (today's apart).
        let mut work: HashMap<String, (u32, u32, u32)> = HashMap::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT a.volunteer,
                        COUNT(DISTINCT CASE WHEN a.level2 = 1 THEN a.household_id || '/' || a.resident_id END),
                        COUNT(DISTINCT CASE WHEN a.activation > 0 THEN a.household_id || '/' || a.resident_id END),
                        COUNT(DISTINCT CASE WHEN a.activation > 0 OR a.guided = 1 THEN a.resident_id END)
                 FROM p_visit_actions a
                 WHERE a.volunteer IN (SELECT id FROM p_volunteers WHERE team = ?1)
                 GROUP BY a.volunteer",
            )?;
            let mut q = stmt.query([team.as_str()])?;
            while let Some(r) = q.next()? {
                work.insert(r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?));
            }
        }
        let mut visits: HashMap<String, (u32, u32)> = HashMap::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT volunteer, COUNT(DISTINCT household_id), SUM(day = ?2) FROM p_visits
                 WHERE volunteer IN (SELECT id FROM p_volunteers WHERE team = ?1)
                   AND outcome != 'booking'
                 GROUP BY volunteer",
            )?;
            let mut q = stmt.query([team.as_str(), day.as_str()])?;
            while let Some(r) = q.next()? {
                visits.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
            }
        }
        let team_today: u32 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM p_visits WHERE day = ?2 AND team = ?1 AND outcome != 'booking'",
            )?
            .query_row([team.as_str(), day.as_str()], |r| r.get(0))?;

        let mut totals = BoardTotals {
            progress: self.team_progress(team, today)?,
            unassigned_households: assigned.get(&None).map_or(0, |a| a.0),
            level2_collected: 0,
            activated: 0,
            quota: Quota { done: 0, quota: 0 },
            visits_today: team_today,
        };
        let volunteers = members
            .into_iter()
            .map(|v| {
                let (households_assigned, assigned_visited) = assigned
                    .get(&Some(v.id.to_string()))
                    .copied()
                    .unwrap_or((0, 0));
                let (level2_collected, activated, done) =
                    work.get(v.id.as_str()).copied().unwrap_or((0, 0, 0));
                let (households_visited, visits_today) =
                    visits.get(v.id.as_str()).copied().unwrap_or((0, 0));
                totals.level2_collected += level2_collected;
                totals.activated += activated;
                totals.quota.done += done;
                totals.quota.quota += quota;
                BoardRow {
                    volunteer: v.id,
                    name: v.name,
                    role: v.role,
                    households_assigned,
                    assigned_visited,
                    households_visited,
                    level2_collected,
                    activated,
                    quota: Quota { done, quota },
                    visits_today,
                }
            })
            .collect();
        Ok(Some(TeamBoard {
            team: t.id,
            team_name: t.name,
            mobile: t.mobile,
            day: today,
            volunteers,
            totals,
        }))
    }

    /// The funnel over the eligible residents of the households a team has now.
    fn team_progress(&self, team: &TeamId, as_of: Date) -> Result<Progress> {
        let cutoff = self.eligible_cutoff(as_of)?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT COUNT(*), COALESCE(SUM(visited), 0), COALESCE(SUM(elig), 0),
                    COALESCE(SUM(cccd), 0), COALESCE(SUM(level2), 0),
                    COALESCE(SUM(activated), 0), COALESCE(SUM(guided), 0)
             FROM (SELECT hh.n_visits > 0 AS visited,
                          SUM(r.elig) AS elig,
                          SUM(r.elig AND r.cccd = 2) AS cccd,
                          SUM(r.elig AND r.level2 = 1) AS level2,
                          SUM(r.elig AND r.activation > 0) AS activated,
                          SUM(r.elig AND r.guided = 1) AS guided
                   FROM ({ASSIGNED_HOUSEHOLDS}) hh
                   LEFT JOIN (SELECT household_id, cccd, level2, activation, guided,
                                     {ELIGIBLE} AS elig
                              FROM p_residents) r ON r.household_id = hh.id
                   WHERE hh.team = :team
                   GROUP BY hh.id)"
        ))?;
        Ok(stmt.query_row(
            rusqlite::named_params! { ":cutoff": cutoff, ":team": team.as_str() },
            |r| {
                Ok(Progress {
                    households: r.get(0)?,
                    visited_households: r.get(1)?,
                    eligible: r.get(2)?,
                    cccd: r.get(3)?,
                    level2: r.get(4)?,
                    activated: r.get(5)?,
                    guided: r.get(6)?,
                })
            },
        )?)
    }
}

/// Sums household figures into one row per label, in the labels' order, plus a row with an
/// empty key for households whose key is missing or unknown.
fn cut<'a>(
    stats: &'a [HouseholdStat],
    labels: Vec<(String, String)>,
    key: impl Fn(&'a HouseholdStat) -> Option<&'a str>,
) -> Vec<ProgressRow> {
    let index: HashMap<String, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.clone(), i))
        .collect();
    let mut rows: Vec<ProgressRow> = labels
        .into_iter()
        .map(|(key, label)| ProgressRow {
            key,
            label,
            progress: Progress::default(),
            target: None,
            quota: None,
        })
        .collect();
    let mut rest: Option<Progress> = None;
    for h in stats {
        match key(h).and_then(|k| index.get(k)) {
            Some(&i) => rows[i].progress.add(&h.progress),
            None => rest.get_or_insert_with(Progress::default).add(&h.progress),
        }
    }
    if let Some(progress) = rest {
        rows.push(ProgressRow {
            key: String::new(),
            label: String::new(),
            progress,
            target: None,
            quota: None,
        });
    }
    rows
}

fn sorted_by_name(mut labels: Vec<(String, String)>) -> Vec<(String, String)> {
    labels.sort_by_cached_key(|(id, name)| (text::sort_key(name), id.clone()));
    labels
}

/// Builds an FTS5 query from what a user typed: every word must match as a prefix of some word
/// of the folded name. Words are split the way the index's tokenizer splits (on anything not a
/// letter or digit), so no user input can reach FTS5's query syntax; each is still quoted.
/// `None` when nothing searchable is left.
pub fn fts_query(input: &str) -> Option<String> {
    let folded = text::fold(input);
    let terms: Vec<String> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" AND "))
    }
}

fn parse_blockers(codes: &str) -> Vec<Blocker> {
    let mut out: Vec<Blocker> = codes.split(',').filter_map(Blocker::parse).collect();
    out.sort();
    out.dedup();
    out
}

fn funnel_from(cccd: i64, level2: bool, activation: i64, guided: bool) -> Funnel {
    Funnel {
        cccd: match cccd {
            2 => CccdStatus::Has,
            1 => CccdStatus::Applied,
            _ => CccdStatus::None,
        },
        level2_collected: level2,
        activation: match activation {
            2 => Activation::Level2,
            1 => Activation::Level1,
            _ => Activation::None,
        },
        guided,
    }
}

fn enum_from<T: DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

fn opt_id<T: TryFrom<String, Error = gocua_domain::Error>>(s: Option<String>) -> Result<Option<T>> {
    Ok(s.map(T::try_from).transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_input_never_reaches_fts_syntax() {
        assert_eq!(
            fts_query("Nguyễn  Văn"),
            Some("\"nguyen\"* AND \"van\"*".to_string())
        );
        assert_eq!(fts_query("ĐỨC"), Some("\"duc\"*".to_string()));
        assert_eq!(
            fts_query("\"a\" OR b*)"),
            Some("\"a\"* AND \"or\"* AND \"b\"*".to_string())
        );
        assert_eq!(fts_query(" \"*() "), None);
        assert_eq!(fts_query(""), None);
    }
}
