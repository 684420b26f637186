//! Documents from a buggy or hostile peer that reuse another household's resident and visit ids
//! still merge and rebuild: ids are scoped to their household in the projection.

use gocua_domain::{Funnel, HouseholdOutcome, Resident, ResidentAction, Visit};
use gocua_domain::{
    GroupId, Household, HouseholdId, ResidentId, StreetId, Timestamp, VisitId, VolunteerId,
};
use gocua_store::Store;

fn household(id: &str, resident: &str) -> Household {
    Household {
        id: HouseholdId::parse(id).unwrap(),
        street: StreetId::parse("s-001").unwrap(),
        group: GroupId::parse("g-01").unwrap(),
        kind: Default::default(),
        house_no: "12".into(),
        address: format!("Số 12, {id}"),
        head: "Nguyễn Văn Bằng".into(),
        residents: vec![Resident {
            id: ResidentId::parse(resident).unwrap(),
            full_name: "Nguyễn Văn Bằng".into(),
            birth_year: Some(1980),
            gender: None,
            cccd_number: String::new(),
            phone: String::new(),
            base: Funnel::default(),
        }],
    }
}

fn visit(household: &str, resident: &str) -> Visit {
    Visit {
        id: VisitId::parse("v-same").unwrap(),
        household: HouseholdId::parse(household).unwrap(),
        at: Timestamp(1_795_348_800),
        volunteer: VolunteerId::parse("p-01").unwrap(),
        team: None,
        device: None,
        recorded_by: None,
        outcome: HouseholdOutcome::Met,
        actions: vec![ResidentAction {
            resident: ResidentId::parse(resident).unwrap(),
            reached: Funnel {
                level2_collected: true,
                ..Funnel::default()
            },
            blockers: vec![],
            note: String::new(),
        }],
        household_blockers: vec![],
        revisit: None,
        note: String::new(),
    }
}

#[test]
fn reused_ids_across_households_merge_and_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Store::open(&dir.path().join("a.sqlite")).unwrap();
    let mut b = Store::open(&dir.path().join("b.sqlite")).unwrap();
    a.upsert_households(&[household("h-1", "r-same")], |_, _| {})
        .unwrap();
    a.record_visit(&visit("h-1", "r-same")).unwrap();
    b.upsert_households(&[household("h-2", "r-same")], |_, _| {})
        .unwrap();
    b.record_visit(&visit("h-2", "r-same")).unwrap();
    let bytes = b.doc_bytes("h-2").unwrap().unwrap();
    let out = a.merge_remote("h-2", &bytes).unwrap();
    assert!(out.changed && out.missing_deps.is_empty());
    let incremental = a.projection_dump(None).unwrap();
    assert!(incremental.contains("h-1") && incremental.contains("h-2"));
    assert!(incremental.contains("## p_residents (2)"), "{incremental}");
    assert!(incremental.contains("## p_visits (2)"), "{incremental}");
    a.rebuild_projection(|_, _| {}).unwrap();
    assert_eq!(a.projection_dump(None).unwrap(), incremental);
}
