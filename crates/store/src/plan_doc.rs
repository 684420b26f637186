//! The ward plan document: ward, campaign, groups, streets, organisations, teams, volunteers,
//! assignments and the sessions of team schedules. A flat map of JSON values (one
//! last-writer-wins register per entity), written only by leads and the office.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ROOT, ReadDoc, Value, transaction::Transactable};
use gocua_domain::{
    Assignment, Campaign, Group, HouseholdId, Org, SessionId, Street, StreetId, Team, TeamSession,
    Volunteer, Ward,
};
use serde::{Deserialize, Serialize};

use crate::Result;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlanEntry {
    Ward(Ward),
    Campaign(Campaign),
    Group(Group),
    Street(Street),
    Org(Org),
    Team(Team),
    Volunteer(Volunteer),
    StreetAssignment {
        street: StreetId,
        assignment: Assignment,
    },
    /// `None` hands the household back to whoever has its street.
    HouseholdAssignment {
        household: HouseholdId,
        assignment: Option<Assignment>,
    },
    /// One session of a team's schedule; `None` removes it.
    TeamSession {
        id: SessionId,
        session: Option<TeamSession>,
    },
}

impl PlanEntry {
    pub fn key(&self) -> String {
        match self {
            PlanEntry::Ward(_) => "ward".to_string(),
            PlanEntry::Campaign(_) => "campaign".to_string(),
            PlanEntry::Group(g) => format!("g.{}", g.id),
            PlanEntry::Street(s) => format!("s.{}", s.id),
            PlanEntry::Org(o) => format!("o.{}", o.id),
            PlanEntry::Team(t) => format!("t.{}", t.id),
            PlanEntry::Volunteer(v) => format!("p.{}", v.id),
            PlanEntry::StreetAssignment { street, .. } => format!("as.{street}"),
            PlanEntry::HouseholdAssignment { household, .. } => format!("ah.{household}"),
            PlanEntry::TeamSession { id, .. } => format!("ts.{id}"),
        }
    }

    /// Every plan entry a whole ward needs, in the order they are best written.
    pub fn for_ward(w: &gocua_domain::WardData) -> Vec<PlanEntry> {
        let mut out = vec![
            PlanEntry::Ward(w.ward.clone()),
            PlanEntry::Campaign(w.campaign.clone()),
        ];
        out.extend(w.groups.iter().cloned().map(PlanEntry::Group));
        out.extend(w.streets.iter().cloned().map(PlanEntry::Street));
        out.extend(w.orgs.iter().cloned().map(PlanEntry::Org));
        out.extend(w.teams.iter().cloned().map(PlanEntry::Team));
        out.extend(w.volunteers.iter().cloned().map(PlanEntry::Volunteer));
        out.extend(
            w.street_assignments
                .iter()
                .map(|(street, a)| PlanEntry::StreetAssignment {
                    street: street.clone(),
                    assignment: a.clone(),
                }),
        );
        out
    }

    fn value_json(&self) -> Option<String> {
        let j = match self {
            PlanEntry::Ward(x) => serde_json::to_string(x),
            PlanEntry::Campaign(x) => serde_json::to_string(x),
            PlanEntry::Group(x) => serde_json::to_string(x),
            PlanEntry::Street(x) => serde_json::to_string(x),
            PlanEntry::Org(x) => serde_json::to_string(x),
            PlanEntry::Team(x) => serde_json::to_string(x),
            PlanEntry::Volunteer(x) => serde_json::to_string(x),
            PlanEntry::StreetAssignment { assignment, .. } => serde_json::to_string(assignment),
            PlanEntry::HouseholdAssignment {
                assignment: Some(a),
                ..
            } => serde_json::to_string(a),
            PlanEntry::HouseholdAssignment {
                assignment: None, ..
            } => return None,
            PlanEntry::TeamSession {
                session: Some(x), ..
            } => serde_json::to_string(x),
            PlanEntry::TeamSession { session: None, .. } => return None,
        };
        j.ok()
    }
}

/// Writes entries, skipping those whose value is already current (idempotent re-runs).
pub fn put_entries(doc: &mut AutoCommit, entries: &[PlanEntry]) -> Result<()> {
    if doc.get(ROOT, "schema")?.is_none() {
        doc.put(ROOT, "schema", 1i64)?;
    }
    for e in entries {
        let key = e.key();
        let now = match doc.get(ROOT, key.as_str())? {
            Some((Value::Scalar(s), _)) => s.as_str().map(str::to_string),
            _ => None,
        };
        match e.value_json() {
            Some(json) if now.as_deref() != Some(json.as_str()) => {
                doc.put(ROOT, key.as_str(), json)?;
            }
            None if now.is_some() => {
                doc.delete(ROOT, key.as_str())?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanState {
    pub ward: Option<Ward>,
    pub campaign: Option<Campaign>,
    pub groups: Vec<Group>,
    pub streets: Vec<Street>,
    pub orgs: Vec<Org>,
    pub teams: Vec<Team>,
    pub volunteers: Vec<Volunteer>,
    pub street_assign: BTreeMap<StreetId, Assignment>,
    pub household_assign: BTreeMap<HouseholdId, Assignment>,
    pub sessions: Vec<TeamSession>,
    pub ignored_entries: u32,
}

/// Reads the plan leniently: malformed entries are skipped and counted.
pub fn read(doc: &AutoCommit) -> PlanState {
    let mut p = PlanState::default();
    for item in doc.map_range(ROOT, ..) {
        let key = item.key.to_string();
        let Value::Scalar(s) = item.value.into_value() else {
            p.ignored_entries += 1;
            continue;
        };
        if key == "schema" {
            continue;
        }
        let Some(json) = s.as_str() else {
            p.ignored_entries += 1;
            continue;
        };
        let ok = match key.split_once('.') {
            None if key == "ward" => serde_json::from_str(json).map(|w| p.ward = Some(w)).is_ok(),
            None if key == "campaign" => serde_json::from_str(json)
                .map(|c| p.campaign = Some(c))
                .is_ok(),
            Some(("g", id)) => push_if(&mut p.groups, json, |g: &Group| g.id.as_str() == id),
            Some(("s", id)) => push_if(&mut p.streets, json, |s: &Street| s.id.as_str() == id),
            Some(("o", id)) => push_if(&mut p.orgs, json, |o: &Org| o.id.as_str() == id),
            Some(("t", id)) => push_if(&mut p.teams, json, |t: &Team| t.id.as_str() == id),
            Some(("p", id)) => {
                push_if(&mut p.volunteers, json, |v: &Volunteer| v.id.as_str() == id)
            }
            Some(("as", id)) => match (
                StreetId::parse(id),
                serde_json::from_str::<Assignment>(json),
            ) {
                (Ok(sid), Ok(a)) => p.street_assign.insert(sid, a).is_none(),
                _ => false,
            },
            Some(("ah", id)) => match (
                HouseholdId::parse(id),
                serde_json::from_str::<Assignment>(json),
            ) {
                (Ok(hid), Ok(a)) => p.household_assign.insert(hid, a).is_none(),
                _ => false,
            },
            Some(("ts", id)) => {
                push_if(&mut p.sessions, json, |s: &TeamSession| s.id.as_str() == id)
            }
            _ => false,
        };
        if !ok {
            p.ignored_entries += 1;
        }
    }
    p
}

fn push_if<T: for<'de> Deserialize<'de>>(
    v: &mut Vec<T>,
    json: &str,
    key_matches: impl Fn(&T) -> bool,
) -> bool {
    match serde_json::from_str::<T>(json) {
        Ok(x) if key_matches(&x) => {
            v.push(x);
            true
        }
        _ => false,
    }
}
