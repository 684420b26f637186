//! The projection: rows derived from documents, for queries, search and dashboards. Always
//! written inside the transaction that stores the document change it derives from.

use automerge::AutoCommit;
use gocua_domain::{Blocker, Funnel, resident_funnel, text, visit::current_blockers};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{DocKind, Result, household_doc, plan_doc};

const PLAN_TABLES: &[&str] = &[
    "p_plan",
    "p_groups",
    "p_streets",
    "p_orgs",
    "p_teams",
    "p_volunteers",
    "p_street_assign",
    "p_household_assign",
    "p_team_sessions",
];

const HOUSEHOLD_TABLES: &[&str] = &[
    "p_households",
    "p_residents",
    "p_visits",
    "p_visit_actions",
    "p_corrections",
    "p_hard_cases",
];

pub(crate) fn project(
    tx: &Connection,
    id: &str,
    kind: DocKind,
    doc: &mut AutoCommit,
) -> Result<()> {
    match kind {
        DocKind::Household => project_household(tx, id, doc),
        DocKind::Plan => project_plan(tx, doc),
    }
}

pub(crate) fn clear(tx: &Connection) -> Result<()> {
    for t in PLAN_TABLES.iter().chain(HOUSEHOLD_TABLES) {
        tx.execute(&format!("DELETE FROM {t}"), [])?;
    }
    tx.execute("DELETE FROM p_residents_fts", [])?;
    Ok(())
}

pub(crate) fn remove_household(tx: &Connection, id: &str) -> Result<()> {
    tx.prepare_cached(
        "DELETE FROM p_residents_fts WHERE rowid IN (SELECT rowid FROM p_residents WHERE household_id = ?1)",
    )?
    .execute([id])?;
    for sql in [
        "DELETE FROM p_residents WHERE household_id = ?1",
        "DELETE FROM p_visits WHERE household_id = ?1",
        "DELETE FROM p_visit_actions WHERE household_id = ?1",
        "DELETE FROM p_corrections WHERE household_id = ?1",
        "DELETE FROM p_hard_cases WHERE household_id = ?1",
        "DELETE FROM p_households WHERE id = ?1",
    ] {
        tx.prepare_cached(sql)?.execute([id])?;
    }
    Ok(())
}

fn blockers_text(bs: &[Blocker]) -> String {
    let mut codes: Vec<&str> = bs.iter().map(|b| b.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes.join(",")
}

/// What a household row says about its visits. Bookings are history, not visits: they set the
/// booked return but count for nothing else.
struct VisitSummary {
    blockers: String,
    n_visits: i64,
    last_visit: Option<i64>,
    revisit_at: Option<i64>,
}

impl VisitSummary {
    fn of(visits: &[gocua_domain::Visit]) -> VisitSummary {
        let knocks: Vec<&gocua_domain::Visit> = visits.iter().filter(|v| v.is_visit()).collect();
        let latest = knocks.last();
        VisitSummary {
            blockers: latest
                .map(|v| blockers_text(&v.household_blockers))
                .unwrap_or_default(),
            n_visits: knocks.len() as i64,
            last_visit: latest.map(|v| v.at.0),
            // The latest event decides: a later knock without a booking means the return happened.
            revisit_at: visits
                .last()
                .and_then(|v| v.revisit.as_ref())
                .map(|r| r.at.0),
        }
    }
}

/// Sorts house numbers naturally: "2" < "10" < "10A" < "10/3".
pub fn house_key(house_no: &str) -> String {
    let digits: String = house_no
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let rest = &house_no[digits.len()..];
    format!("{:0>8}{}", digits, text::fold(rest))
}

fn funnel_cols(f: Funnel) -> (i64, i64, i64, i64) {
    (
        f.cccd as i64,
        f.level2_collected as i64,
        f.activation as i64,
        f.guided as i64,
    )
}

/// The snake_case name serde gives a unit enum variant.
pub(crate) fn variant<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn project_household(tx: &Connection, id: &str, doc: &AutoCommit) -> Result<()> {
    project_household_state(tx, id, &household_doc::read(doc, id), false)
}

/// A household's rows from its state as read; `fresh` when the document was just created here,
/// so it has no rows to remove first.
pub(crate) fn project_household_state(
    tx: &Connection,
    id: &str,
    st: &household_doc::HouseholdState,
    fresh: bool,
) -> Result<()> {
    if !fresh {
        remove_household(tx, id)?;
    }
    let h = &st.household;
    let summary = VisitSummary::of(&st.visits);
    tx.prepare_cached(
        "INSERT INTO p_households (id, street_id, group_id, kind, house_no, address, head, sort_key,
            blockers, n_visits, last_visit, revisit_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        id,
        h.street.as_str(),
        h.group.as_str(),
        variant(&h.kind),
        h.house_no,
        h.address,
        h.head,
        house_key(&h.house_no).into_bytes(),
        summary.blockers,
        summary.n_visits,
        summary.last_visit,
        summary.revisit_at,
    ])?;
    let mut ins_res = tx.prepare_cached(
        "INSERT INTO p_residents (id, household_id, full_name, name_key, roster_key, birth_year, gender,
            cccd_number, phone, cccd, level2, activation, guided, blockers, excluded,
            base_level2, base_activation)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?;
    let mut ins_fts =
        tx.prepare_cached("INSERT INTO p_residents_fts (rowid, name_key) VALUES (?1, ?2)")?;
    for r in &h.residents {
        let f = resident_funnel(&r.id, r.base, &st.visits, &st.corrections);
        let blockers = current_blockers(&r.id, &st.visits);
        let excluded = blockers.iter().any(|b| b.removes_from_target());
        let (c, l2, a, g) = funnel_cols(f);
        let name_key = text::fold(&r.full_name);
        ins_res.execute(params![
            r.id.as_str(),
            id,
            r.full_name,
            name_key,
            text::roster_key(&r.full_name),
            r.birth_year,
            r.gender.map(|g| variant(&g)),
            r.cccd_number,
            r.phone,
            c,
            l2,
            a,
            g,
            blockers_text(&blockers),
            excluded as i64,
            r.base.level2_collected as i64,
            r.base.activation as i64,
        ])?;
        ins_fts.execute(params![tx.last_insert_rowid(), name_key])?;
    }
    for v in &st.visits {
        insert_visit_rows(tx, id, &h.residents, v)?;
    }
    let mut ins_corr = tx.prepare_cached(
        "INSERT INTO p_corrections (id, household_id, resident_id, at, by, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for c in &st.corrections {
        ins_corr.execute(params![
            c.id.as_str(),
            id,
            c.resident.as_str(),
            c.at.0,
            c.by.as_str(),
            serde_json::to_string(c).unwrap_or_default()
        ])?;
    }
    let mut ins_hard = tx.prepare_cached(
        "INSERT INTO p_hard_cases (household_id, reason, at, by, note) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for m in &st.hard_cases {
        ins_hard.execute(params![
            id,
            m.reason.code(),
            m.at.0,
            m.by.as_ref().map(|b| b.as_str()),
            m.note
        ])?;
    }
    Ok(())
}

fn insert_visit_rows(
    tx: &Connection,
    id: &str,
    residents: &[gocua_domain::Resident],
    v: &gocua_domain::Visit,
) -> Result<()> {
    let day = gocua_domain::time::format_date(v.at.local_date());
    tx.prepare_cached(
        "INSERT OR REPLACE INTO p_visits (id, household_id, at, day, volunteer, team, device, outcome, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        v.id.as_str(),
        id,
        v.at.0,
        day,
        v.volunteer.as_str(),
        v.team.as_ref().map(|t| t.as_str()),
        v.device.as_ref().map(|d| d.as_str()),
        variant(&v.outcome),
        serde_json::to_string(v).unwrap_or_default(),
    ])?;
    let mut ins_action = tx.prepare_cached(
        "INSERT OR REPLACE INTO p_visit_actions
            (visit_id, resident_id, household_id, volunteer, day, at, level2, activation, guided)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for a in &v.actions {
        if !residents.iter().any(|r| r.id == a.resident) {
            continue;
        }
        let (_, l2, act, g) = funnel_cols(a.reached);
        ins_action.execute(params![
            v.id.as_str(),
            a.resident.as_str(),
            id,
            v.volunteer.as_str(),
            day,
            v.at.0,
            l2,
            act,
            g
        ])?;
    }
    Ok(())
}

/// The projection change one new visit makes: its rows, the funnel and blockers of the residents
/// it mentions, and the household's visit summary. Same rows as `project_household` would write.
pub(crate) fn project_new_visit(
    tx: &Connection,
    id: &str,
    doc: &AutoCommit,
    visit: &gocua_domain::Visit,
) -> Result<()> {
    let known: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM p_visits WHERE household_id = ?1 AND id = ?2")?
        .query_row([id, visit.id.as_str()], |r| r.get(0))
        .optional()?;
    if known.is_some() {
        // A visit re-recorded under an existing id may touch other residents: project it all.
        return project_household(tx, id, doc);
    }
    let st = household_doc::read(doc, id);
    let h = &st.household;
    if let Some(v) = st.visits.iter().find(|v| v.id == visit.id) {
        insert_visit_rows(tx, id, &h.residents, v)?;
    }
    let mut upd = tx.prepare_cached(
        "UPDATE p_residents SET cccd = ?2, level2 = ?3, activation = ?4, guided = ?5, blockers = ?6, excluded = ?7
         WHERE id = ?1 AND household_id = ?8",
    )?;
    for r in h
        .residents
        .iter()
        .filter(|r| visit.action_for(&r.id).is_some())
    {
        let f = resident_funnel(&r.id, r.base, &st.visits, &st.corrections);
        let blockers = current_blockers(&r.id, &st.visits);
        let excluded = blockers.iter().any(|b| b.removes_from_target());
        let (c, l2, a, g) = funnel_cols(f);
        upd.execute(params![
            r.id.as_str(),
            c,
            l2,
            a,
            g,
            blockers_text(&blockers),
            excluded as i64,
            id
        ])?;
    }
    let summary = VisitSummary::of(&st.visits);
    tx.prepare_cached(
        "UPDATE p_households SET blockers = ?2, n_visits = ?3, last_visit = ?4, revisit_at = ?5 WHERE id = ?1",
    )?
    .execute(params![id, summary.blockers, summary.n_visits, summary.last_visit, summary.revisit_at])?;
    Ok(())
}

fn project_plan(tx: &Connection, doc: &AutoCommit) -> Result<()> {
    let p = plan_doc::read(doc);
    for t in PLAN_TABLES {
        tx.execute(&format!("DELETE FROM {t}"), [])?;
    }
    let json = |v: &dyn erased::Json| v.json();
    if let Some(w) = &p.ward {
        tx.execute(
            "INSERT INTO p_plan (key, json) VALUES ('ward', ?1)",
            [json(w)],
        )?;
    }
    if let Some(c) = &p.campaign {
        tx.execute(
            "INSERT INTO p_plan (key, json) VALUES ('campaign', ?1)",
            [json(c)],
        )?;
    }
    for g in &p.groups {
        tx.execute(
            "INSERT INTO p_groups (id, name, kind, area, sort_key) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                g.id.as_str(),
                g.name,
                variant(&g.kind),
                variant(&g.kind.area()),
                text::sort_key(&g.name)
            ],
        )?;
    }
    for s in &p.streets {
        tx.execute(
            "INSERT INTO p_streets (id, group_id, name, kind, sort_key) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![s.id.as_str(), s.group.as_str(), s.name, variant(&s.kind), text::sort_key(&s.name)],
        )?;
    }
    for o in &p.orgs {
        tx.execute(
            "INSERT INTO p_orgs (id, name, kind) VALUES (?1, ?2, ?3)",
            params![o.id.as_str(), o.name, variant(&o.kind)],
        )?;
    }
    for t in &p.teams {
        tx.execute(
            "INSERT INTO p_teams (id, name, lead, mobile) VALUES (?1, ?2, ?3, ?4)",
            params![
                t.id.as_str(),
                t.name,
                t.lead.as_ref().map(|l| l.as_str()),
                t.mobile
            ],
        )?;
    }
    for s in &p.sessions {
        tx.execute(
            "INSERT INTO p_team_sessions (id, team, date, start, \"end\", place, note, at, by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                s.id.as_str(),
                s.team.as_str(),
                gocua_domain::time::format_date(s.date),
                hm(s.start),
                hm(s.end),
                s.place,
                s.note,
                s.at.0,
                s.by.as_ref().map(|b| b.as_str())
            ],
        )?;
    }
    for v in &p.volunteers {
        tx.execute(
            "INSERT INTO p_volunteers (id, name, org, team, role, phone) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![v.id.as_str(), v.name, v.org.as_str(), v.team.as_ref().map(|t| t.as_str()), v.role.as_str(), v.phone],
        )?;
    }
    for (table, key, map) in [
        (
            "p_street_assign",
            "street_id",
            p.street_assign
                .iter()
                .map(|(k, a)| (k.as_str(), a))
                .collect::<Vec<_>>(),
        ),
        (
            "p_household_assign",
            "household_id",
            p.household_assign
                .iter()
                .map(|(k, a)| (k.as_str(), a))
                .collect(),
        ),
    ] {
        let sql = format!(
            "INSERT INTO {table} ({key}, team, volunteer, at, by) VALUES (?1, ?2, ?3, ?4, ?5)"
        );
        for (k, a) in map {
            tx.execute(
                &sql,
                params![
                    k,
                    a.team.as_str(),
                    a.volunteer.as_ref().map(|v| v.as_str()),
                    a.at.0,
                    a.by.as_ref().map(|b| b.as_str())
                ],
            )?;
        }
    }
    Ok(())
}

fn hm(t: time::Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

mod erased {
    /// Lets one closure serialise the differently typed plan singletons.
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}

/// A canonical text dump of the projection, for tests comparing a replica's incremental
/// projection with a rebuild or with another replica. With `households`, household tables keep
/// only those households' rows.
pub(crate) fn dump(conn: &Connection, households: Option<&[String]>) -> Result<String> {
    let mut out = String::new();
    for t in PLAN_TABLES.iter().chain(HOUSEHOLD_TABLES) {
        let key_col = if *t == "p_households" {
            "id"
        } else {
            "household_id"
        };
        let filter = HOUSEHOLD_TABLES.contains(t) && households.is_some();
        // Resident rowids differ between replicas by construction; every other column is compared.
        let mut stmt = conn.prepare(&format!(
            "SELECT *, {} AS k FROM {t}",
            if filter { key_col } else { "''" }
        ))?;
        let cols = stmt.column_count() - 1;
        let mut lines: Vec<String> = Vec::new();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            if filter {
                let k: String = row.get(cols)?;
                if !households.unwrap_or(&[]).contains(&k) {
                    continue;
                }
            }
            let mut line = String::new();
            for i in 0..cols {
                let v: rusqlite::types::Value = row.get(i)?;
                line.push_str(&format!("{v:?}|"));
            }
            lines.push(line);
        }
        lines.sort();
        out.push_str(&format!("## {t} ({})\n", lines.len()));
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    // Every resident must be found by the search index under their own (phrase-quoted) name.
    let mut stmt = conn.prepare(
        "SELECT r.household_id FROM p_residents r JOIN p_residents_fts f ON f.rowid = r.rowid
         WHERE p_residents_fts MATCH '\"' || replace(r.name_key, '\"', '') || '\"'",
    )?;
    let found: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let found = found
        .iter()
        .filter(|h| households.is_none_or(|keep| keep.contains(h)))
        .count();
    out.push_str(&format!(
        "## residents found by their own name in the search index: {found}\n"
    ));
    Ok(out)
}
