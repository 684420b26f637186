//! The demo ward: a generated, realistic ward (names, addresses, teams, a campaign and evenings
//! of visits) loaded into an empty replica through the same store writes real data takes.

use gocua_domain::Role;
use gocua_store::{PlanEntry, Store};
use gocua_wardgen::WardSpec;

use crate::commands::DemoReport;
use crate::{Identity, ProgressEvent, Result, Stage};

/// Homes in the demo when the caller does not say: the ward of the product brief.
pub const DEFAULT_HOUSEHOLDS: usize = 10_000;

/// Generates and loads the ward. Returns the report and an identity for the demo's user: the
/// lead of the first team, so visits can be recorded at once.
pub(crate) fn load(
    store: &mut Store,
    seed: u64,
    households: Option<usize>,
    progress: &mut dyn FnMut(ProgressEvent),
) -> Result<(DemoReport, Option<Identity>)> {
    let n = households.unwrap_or(DEFAULT_HOUSEHOLDS);
    // Small demos keep the small ward's proportions (a handful of streets and teams).
    let spec = if n <= 200 {
        WardSpec::small(seed)
    } else {
        WardSpec::full(seed)
    };
    let g = gocua_wardgen::generate(&spec.with_households(n));
    store.put_plan(&PlanEntry::for_ward(&g))?;
    store.upsert_households(&g.households, |done, total| {
        progress(ProgressEvent {
            stage: Stage::Households,
            done: done as u64,
            total: total as u64,
        })
    })?;
    let total = g.visits.len() as u64;
    for (i, v) in g.visits.iter().enumerate() {
        store.record_visit(v)?;
        let done = i as u64 + 1;
        // Every 64 visits: often enough for a bar, rarely enough to cost nothing.
        if done & 63 == 0 || done == total {
            progress(ProgressEvent {
                stage: Stage::Visits,
                done,
                total,
            });
        }
    }
    let lead = g
        .volunteers
        .iter()
        .find(|v| v.role == Role::Lead && v.team.is_some())
        .map(|v| Identity {
            volunteer: Some(v.id.clone()),
            team: v.team.clone(),
            role: Role::Lead,
            device: None,
        });
    let homes = g
        .households
        .iter()
        .filter(|h| h.kind == gocua_domain::HouseholdKind::Home)
        .count();
    let report = DemoReport {
        ward: g.ward.name.clone(),
        households: g.households.len(),
        homes,
        sites: g.households.len() - homes,
        residents: g.resident_count(),
        visits: g.visits.len(),
        teams: g.teams.len(),
        volunteers: g.volunteers.len(),
        identity: None,
    };
    Ok((report, lead))
}
