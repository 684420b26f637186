//! Daily progress separates what the campaign achieved from what the imported list already had.

use gocua_domain::{
    Activation, Campaign, Funnel, GroupId, Household, HouseholdId, HouseholdOutcome, Resident,
    ResidentAction, ResidentId, StreetId, Timestamp, Visit, VisitId, VolunteerId,
};
use gocua_store::{PlanEntry, Store};

fn resident(id: &str, base: Funnel) -> Resident {
    Resident {
        id: ResidentId::parse(id).unwrap(),
        full_name: format!("Nguyễn Văn {id}"),
        birth_year: Some(1980),
        gender: None,
        cccd_number: String::new(),
        phone: String::new(),
        base,
    }
}

#[test]
fn residents_activated_before_the_campaign_are_baseline_not_new() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("r.sqlite")).unwrap();
    let d = |s| gocua_domain::time::parse_date(s).unwrap();
    let campaign = Campaign::new("15 ngày đêm", d("2026-11-15"), d("2026-11-29")).unwrap();
    store.put_plan(&[PlanEntry::Campaign(campaign)]).unwrap();
    let activated = Funnel {
        activation: Activation::Level1,
        ..Funnel::default()
    };
    let h = Household {
        id: HouseholdId::parse("h-1").unwrap(),
        street: StreetId::parse("s-1").unwrap(),
        group: GroupId::parse("g-1").unwrap(),
        kind: Default::default(),
        house_no: "1".into(),
        address: "1 Ngõ 1".into(),
        head: "Nguyễn Văn A".into(),
        residents: vec![
            resident("r-1", activated),
            resident("r-2", Funnel::default()),
        ],
    };
    store.upsert_households(&[h], |_, _| {}).unwrap();
    // One visit on the 20th records activation for both: only r-2 is new that day.
    let action = |r: &str| ResidentAction {
        resident: ResidentId::parse(r).unwrap(),
        reached: Funnel {
            activation: Activation::Level2,
            ..Funnel::default()
        },
        blockers: vec![],
        note: String::new(),
    };
    store
        .record_visit(&Visit {
            id: VisitId::parse("v-1").unwrap(),
            household: HouseholdId::parse("h-1").unwrap(),
            at: Timestamp::parse_local("2026-11-20 19:00").unwrap(),
            volunteer: VolunteerId::parse("p-1").unwrap(),
            team: None,
            device: None,
            recorded_by: None,
            outcome: HouseholdOutcome::Met,
            actions: vec![action("r-1"), action("r-2")],
            household_blockers: vec![],
            revisit: None,
            note: String::new(),
        })
        .unwrap();
    let days = store.daily_progress(d("2026-11-22")).unwrap();
    assert_eq!(days.len(), 15);
    let first = &days[0];
    assert_eq!(
        (first.new_activations, first.cumulative_activated),
        (0, 1),
        "r-1 is the baseline"
    );
    let day20 = days.iter().find(|r| r.day == d("2026-11-20")).unwrap();
    assert_eq!(
        (
            day20.visits,
            day20.new_activations,
            day20.cumulative_activated
        ),
        (1, 1, 2)
    );
    assert_eq!(days.last().unwrap().cumulative_activated, 2);
}
