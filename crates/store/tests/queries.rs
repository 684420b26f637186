//! Queries over the projection: search, easy-first order, progress cuts, daily figures and the
//! assignment lookups the hub's access control uses.

use expect_test::{Expect, expect};
use gocua_domain::time::parse_date;
use gocua_domain::{
    Activation, Assignment, Blocker, CccdStatus, Correction, CorrectionId, Funnel, Group, GroupId,
    GroupKind, Household, HouseholdId, HouseholdKind, HouseholdOutcome, Resident, ResidentAction,
    ResidentId, Street, StreetKind, Team, TeamId, Timestamp, Visit, VisitId, VolunteerId, Ward,
    WardId, campaign::Campaign,
};
use gocua_store::queries::{Dimension, HouseholdFilter};
use gocua_store::{PlanEntry, Store};
use gocua_wardgen::{GeneratedWard, WardSpec};
use time::Date;

fn today() -> Date {
    parse_date("2026-11-22").unwrap()
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("replica.sqlite")).unwrap();
    (dir, store)
}

/// Loads a generated ward the way the app does: plan, households, then the visit history.
fn load(store: &mut Store, g: &GeneratedWard) {
    store.load_ward(g, |_, _| {}).unwrap();
}

fn small_ward(seed: u64) -> (tempfile::TempDir, Store, GeneratedWard) {
    let g = gocua_wardgen::generate(&WardSpec::small(seed));
    let (dir, mut store) = open();
    load(&mut store, &g);
    (dir, store, g)
}

fn id<T: TryFrom<String>>(s: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(s.to_string()).unwrap()
}

fn resident(rid: &str, name: &str, year: i32, base: Funnel) -> Resident {
    Resident {
        id: id(rid),
        full_name: name.to_string(),
        birth_year: Some(year),
        gender: None,
        cccd_number: String::new(),
        phone: String::new(),
        base,
    }
}

const ACTIVATED: Funnel = Funnel {
    cccd: CccdStatus::Has,
    level2_collected: true,
    activation: Activation::Level2,
    guided: false,
};

/// A hand-built ward: one group, two streets (one assigned to team t-1), a few households.
fn tiny() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = open();
    let campaign = Campaign::new(
        "15 ngày đêm",
        parse_date("2026-11-15").unwrap(),
        parse_date("2026-11-29").unwrap(),
    )
    .unwrap();
    let at = Timestamp::parse_local("2026-11-14 08:00").unwrap();
    store
        .put_plan(&[
            PlanEntry::Ward(Ward {
                id: id::<WardId>("w-1"),
                name: "Phường Trúc Bạch".into(),
                district: "Ba Đình".into(),
            }),
            PlanEntry::Campaign(campaign),
            PlanEntry::Group(Group {
                id: id("g-1"),
                name: "Tổ dân phố 1".into(),
                kind: GroupKind::ToDanPho,
            }),
            PlanEntry::Street(Street {
                id: id("s-1"),
                group: id("g-1"),
                name: "Ngõ 12 Trúc Bạch".into(),
                kind: StreetKind::Ngo,
            }),
            PlanEntry::Street(Street {
                id: id("s-2"),
                group: id("g-1"),
                name: "Đường Âu Cơ".into(),
                kind: StreetKind::Duong,
            }),
            PlanEntry::Team(Team {
                id: id("t-1"),
                name: "Tổ công tác 1".into(),
                lead: None,
                mobile: false,
            }),
            PlanEntry::StreetAssignment {
                street: id("s-1"),
                assignment: Assignment {
                    team: id("t-1"),
                    volunteer: None,
                    at,
                    by: None,
                },
            },
        ])
        .unwrap();
    let hh = |hid: &str, street: &str, no: &str, residents: Vec<Resident>| Household {
        id: id(hid),
        street: id(street),
        group: id("g-1"),
        kind: HouseholdKind::Home,
        house_no: no.to_string(),
        address: format!("Số {no}"),
        head: residents
            .first()
            .map(|r| r.full_name.clone())
            .unwrap_or_default(),
        residents,
    };
    let none = Funnel::default();
    store
        .upsert_households(
            &[
                hh(
                    "h-a",
                    "s-1",
                    "10",
                    vec![
                        resident("r-a1", "Nguyễn Văn Bằng", 1970, none),
                        resident("r-a2", "Trần Xuân Do", 1975, none),
                    ],
                ),
                hh(
                    "h-b",
                    "s-1",
                    "2",
                    vec![
                        resident("r-b1", "Lê Xuân Dương", 1960, none),
                        resident("r-b2", "Phạm Xuân Đặng", 1990, none),
                        resident("r-b3", "Hoàng Xuân Đỗ", 1992, none),
                    ],
                ),
                hh(
                    "h-c",
                    "s-2",
                    "5",
                    vec![
                        resident("r-c1", "Đặng Thị Hoa", 1980, ACTIVATED),
                        resident("r-c2", "Bé Na", 2020, none),
                    ],
                ),
                hh(
                    "h-d",
                    "s-2",
                    "1",
                    vec![resident("r-d1", "Lê Minh Đức", 2001, none)],
                ),
            ],
            |_, _| {},
        )
        .unwrap();
    (dir, store)
}

fn visit(
    vid: &str,
    household: &str,
    at: &str,
    outcome: HouseholdOutcome,
    actions: Vec<(&str, Funnel)>,
) -> Visit {
    Visit {
        id: id::<VisitId>(vid),
        household: id(household),
        at: Timestamp::parse_local(at).unwrap(),
        volunteer: id::<VolunteerId>("p-1"),
        team: Some(id::<TeamId>("t-1")),
        device: None,
        recorded_by: None,
        outcome,
        actions: actions
            .into_iter()
            .map(|(r, reached)| ResidentAction {
                resident: id(r),
                reached,
                blockers: vec![],
                note: String::new(),
            })
            .collect(),
        household_blockers: if outcome == HouseholdOutcome::NobodyHome {
            vec![Blocker::NobodyHome]
        } else {
            vec![]
        },
        revisit: None,
        note: String::new(),
    }
}

fn check_search(store: &Store, query: &str, expect: Expect) {
    let hits = store.search_residents(query, 20).unwrap();
    let names: Vec<String> = hits
        .iter()
        .map(|h| format!("{} ({})", h.full_name, h.household_id))
        .collect();
    expect.assert_eq(&names.join("\n"));
}

#[test]
fn search_ignores_diacritics_and_case_and_sorts_by_given_name() {
    let (_dir, store) = tiny();
    check_search(
        &store,
        "nguyen van bang",
        expect![["Nguyễn Văn Bằng (h-a)"]],
    );
    check_search(
        &store,
        "dang",
        expect![["
        Phạm Xuân Đặng (h-b)
        Đặng Thị Hoa (h-c)"]],
    );
    check_search(&store, "DUC", expect![["Lê Minh Đức (h-d)"]]);
    check_search(&store, "Bằng", expect![["Nguyễn Văn Bằng (h-a)"]]);
    // Vietnamese order of given names: Do < Dương < Đặng < Đỗ.
    check_search(
        &store,
        "xuan",
        expect![["
        Trần Xuân Do (h-a)
        Lê Xuân Dương (h-b)
        Phạm Xuân Đặng (h-b)
        Hoàng Xuân Đỗ (h-b)"]],
    );
    check_search(
        &store,
        "xuân d",
        expect![["
        Trần Xuân Do (h-a)
        Lê Xuân Dương (h-b)
        Phạm Xuân Đặng (h-b)
        Hoàng Xuân Đỗ (h-b)"]],
    );
    check_search(&store, "", expect![[""]]);
    assert_eq!(store.search_residents("xuan", 2).unwrap().len(), 2);
}

#[test]
fn hostile_search_input_never_errors() {
    let (_dir, store) = tiny();
    for q in [
        "\"",
        "*",
        ")",
        "NEAR(",
        "AND",
        "a OR",
        "\"nguy",
        "x\"*) OR (\"",
        "-",
        "^",
        "{a b}",
        "đ:*",
        "NOT d",
    ] {
        let hits = store.search_residents(q, 10);
        assert!(hits.is_ok(), "{q:?}: {hits:?}");
        let f = HouseholdFilter {
            search: Some(q.to_string()),
            ..Default::default()
        };
        assert!(store.households(&f, today()).is_ok(), "{q:?}");
    }
    check_search(&store, "\"nguy", expect![["Nguyễn Văn Bằng (h-a)"]]);
}

fn check_households(store: &Store, f: &HouseholdFilter, expect: Expect) {
    let rows = store.households(f, today()).unwrap();
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let blockers: Vec<&str> = r.blockers.iter().map(|b| b.code()).collect();
            format!(
                "{} {} {} open={} eligible={} activated={} visits={} team={} [{}]",
                r.id,
                r.street_name,
                r.house_no,
                r.n_open,
                r.n_eligible,
                r.n_activated,
                r.n_visits,
                r.team.as_ref().map(|t| t.as_str()).unwrap_or("-"),
                blockers.join(",")
            )
        })
        .collect();
    expect.assert_eq(&lines.join("\n"));
}

#[test]
fn households_come_easy_first() {
    let (_dir, mut store) = tiny();
    check_households(
        &store,
        &HouseholdFilter::default(),
        expect![["
        h-b Ngõ 12 Trúc Bạch 2 open=3 eligible=3 activated=0 visits=0 team=t-1 []
        h-a Ngõ 12 Trúc Bạch 10 open=2 eligible=2 activated=0 visits=0 team=t-1 []
        h-d Đường Âu Cơ 1 open=1 eligible=1 activated=0 visits=0 team=- []
        h-c Đường Âu Cơ 5 open=0 eligible=1 activated=1 visits=0 team=- []"]],
    );
    // A closed door moves the household behind the easy ones, even with more work left.
    store
        .record_visit(&visit(
            "v-1",
            "h-b",
            "2026-11-20 19:00",
            HouseholdOutcome::NobodyHome,
            vec![],
        ))
        .unwrap();
    check_households(
        &store,
        &HouseholdFilter::default(),
        expect![["
        h-a Ngõ 12 Trúc Bạch 10 open=2 eligible=2 activated=0 visits=0 team=t-1 []
        h-d Đường Âu Cơ 1 open=1 eligible=1 activated=0 visits=0 team=- []
        h-b Ngõ 12 Trúc Bạch 2 open=3 eligible=3 activated=0 visits=1 team=t-1 [nobody_home]
        h-c Đường Âu Cơ 5 open=0 eligible=1 activated=1 visits=0 team=- []"]],
    );
    // A blocker on a resident who is still open counts too.
    let mut v = visit(
        "v-2",
        "h-d",
        "2026-11-20 19:10",
        HouseholdOutcome::Met,
        vec![("r-d1", Funnel::default())],
    );
    v.actions[0].blockers = vec![Blocker::NoSmartphone];
    store.record_visit(&v).unwrap();
    let f = HouseholdFilter {
        team: Some(id("t-1")),
        ..Default::default()
    };
    check_households(
        &store,
        &f,
        expect![["
        h-a Ngõ 12 Trúc Bạch 10 open=2 eligible=2 activated=0 visits=0 team=t-1 []
        h-b Ngõ 12 Trúc Bạch 2 open=3 eligible=3 activated=0 visits=1 team=t-1 [nobody_home]"]],
    );
    let f = HouseholdFilter {
        street: Some(id("s-2")),
        limit: Some(1),
        ..Default::default()
    };
    check_households(
        &store,
        &f,
        expect![[
            "h-d Đường Âu Cơ 1 open=1 eligible=1 activated=0 visits=1 team=- [no_smartphone]"
        ]],
    );
    let f = HouseholdFilter {
        search: Some("duong".into()),
        ..Default::default()
    };
    check_households(
        &store,
        &f,
        expect![[
            "h-b Ngõ 12 Trúc Bạch 2 open=3 eligible=3 activated=0 visits=1 team=t-1 [nobody_home]"
        ]],
    );
}

#[test]
fn generated_ward_lists_are_easy_first() {
    let (_dir, store, g) = small_ward(7);
    let rows = store
        .households(&HouseholdFilter::default(), today())
        .unwrap();
    assert_eq!(rows.len(), g.households.len());
    let tier = |r: &gocua_store::queries::HouseholdRow| {
        let blocked = !r.blockers.is_empty();
        if r.n_open == 0 {
            2
        } else if blocked {
            1
        } else {
            0
        }
    };
    for w in rows.windows(2) {
        // Tier 0 may still show blockers of residents who are not open, so compare loosely:
        // done households never come before households with work left.
        assert!(
            !w[0].is_done() || w[1].is_done(),
            "{:?} before {:?}",
            w[0].id,
            w[1].id
        );
        if tier(&w[0]) == tier(&w[1]) && !w[0].is_done() && w[0].blockers.is_empty() {
            assert!(w[0].n_open >= w[1].n_open);
        }
    }
    assert!(rows.iter().any(|r| r.n_visits > 0));
}

#[test]
fn a_later_nobody_home_never_lowers_activation_but_a_correction_does() {
    let (_dir, mut store) = tiny();
    let activated = |s: &Store| {
        s.progress(Dimension::Ward, today()).unwrap()[0]
            .progress
            .activated
    };
    assert_eq!(activated(&store), 1);
    let reached = Funnel {
        activation: Activation::Level1,
        ..Funnel::default()
    };
    store
        .record_visit(&visit(
            "v-1",
            "h-a",
            "2026-11-18 19:00",
            HouseholdOutcome::Met,
            vec![("r-a1", reached)],
        ))
        .unwrap();
    assert_eq!(activated(&store), 2);
    store
        .record_visit(&visit(
            "v-2",
            "h-a",
            "2026-11-20 19:00",
            HouseholdOutcome::NobodyHome,
            vec![("r-a1", Funnel::default())],
        ))
        .unwrap();
    assert_eq!(activated(&store), 2);
    let c = Correction::new(
        id::<CorrectionId>("c-1"),
        id::<ResidentId>("r-a1"),
        Timestamp::parse_local("2026-11-21 08:00").unwrap(),
        id("p-lead"),
        Funnel::default(),
        "nhập nhầm người",
    )
    .unwrap();
    store.add_correction(&id::<HouseholdId>("h-a"), &c).unwrap();
    assert_eq!(activated(&store), 1);
    let detail = store
        .household_detail(&id("h-a"), today())
        .unwrap()
        .unwrap();
    let visits: Vec<&str> = detail.visits.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(visits, ["v-2", "v-1"], "newest first");
    assert_eq!(detail.corrections.len(), 1);
    assert_eq!(detail.residents[0].funnel, Funnel::default());
}

#[test]
fn progress_cuts_add_up_to_the_ward() {
    let (_dir, store, g) = small_ward(3);
    let ward = store.progress(Dimension::Ward, today()).unwrap();
    assert_eq!(ward.len(), 1);
    let total = ward[0].progress;
    assert_eq!(total.households as usize, g.households.len());
    assert_eq!(ward[0].target, Some(g.campaign.targets));
    assert!(total.activated > 0 && total.activated <= total.eligible);
    for by in [Dimension::Group, Dimension::Street, Dimension::Team] {
        let rows = store.progress(by, today()).unwrap();
        let mut sum = gocua_domain::Progress::default();
        for r in &rows {
            sum.add(&r.progress);
        }
        assert_eq!(sum, total, "{by:?}");
    }
    assert_eq!(
        store.progress(Dimension::Group, today()).unwrap().len(),
        g.groups.len()
    );
    let volunteers = store.progress(Dimension::Volunteer, today()).unwrap();
    assert_eq!(volunteers.len(), g.volunteers.len());
    assert!(
        volunteers
            .iter()
            .all(|r| r.quota.map(|q| q.quota) == Some(g.campaign.quota_per_volunteer))
    );
    assert!(
        volunteers
            .iter()
            .any(|r| r.quota.is_some_and(|q| q.done > 0))
    );
    let orgs = store.progress(Dimension::Org, today()).unwrap();
    let quota: u32 = orgs.iter().map(|r| r.quota.unwrap().quota).sum();
    assert_eq!(
        quota,
        g.campaign.quota_per_volunteer * g.volunteers.len() as u32
    );

    let board = store.leaderboard(Dimension::Volunteer, today()).unwrap();
    for w in board.windows(2) {
        assert!(w[0].quota.unwrap().done >= w[1].quota.unwrap().done);
    }
    let teams = store.leaderboard(Dimension::Team, today()).unwrap();
    assert_eq!(teams.len(), g.teams.len());
    for w in teams.windows(2) {
        assert!(w[0].progress.activated_percent() >= w[1].progress.activated_percent());
    }
}

#[test]
fn daily_rows_cover_the_campaign() {
    let (_dir, store, g) = small_ward(5);
    let days = store.daily_progress(today()).unwrap();
    assert_eq!(days.len(), g.campaign.days().len());
    assert_eq!(days.first().unwrap().day, g.campaign.start);
    assert_eq!(days.last().unwrap().day, g.campaign.end);
    let visits: u32 = days.iter().map(|d| d.visits).sum();
    let in_campaign = g
        .visits
        .iter()
        .filter(|v| (g.campaign.start..=g.campaign.end).contains(&v.at.local_date()))
        .count();
    assert_eq!(visits as usize, in_campaign);
    assert!(days.iter().any(|d| d.new_activations > 0));
    for w in days.windows(2) {
        assert_eq!(
            w[1].cumulative_activated,
            w[0].cumulative_activated + w[1].new_activations
        );
    }
    let ward = store.progress(Dimension::Ward, today()).unwrap();
    assert_eq!(
        days.last().unwrap().cumulative_activated,
        ward[0].progress.activated
    );
}

#[test]
fn streets_and_assignments() {
    let (_dir, mut store) = tiny();
    let streets = store.streets(None, today()).unwrap();
    let names: Vec<String> = streets
        .iter()
        .map(|s| {
            format!(
                "{} {} hh={} team={:?}",
                s.id,
                s.name,
                s.households,
                s.team.as_ref().map(|t| t.as_str())
            )
        })
        .collect();
    expect![[r#"
        s-2 Đường Âu Cơ hh=2 team=None
        s-1 Ngõ 12 Trúc Bạch hh=2 team=Some("t-1")"#]]
    .assert_eq(&names.join("\n"));
    assert_eq!(store.streets(Some(&id("t-1")), today()).unwrap().len(), 1);
    assert_eq!(
        store.households_of_team(&id("t-1")).unwrap(),
        ["h-a", "h-b"]
    );
    assert_eq!(
        store.assignment_of(&id("h-a")).unwrap(),
        Some((id("t-1"), None))
    );
    assert_eq!(store.assignment_of(&id("h-c")).unwrap(), None);
    // A household handed to another team leaves its street's team.
    let at = Timestamp::parse_local("2026-11-20 08:00").unwrap();
    store
        .put_plan(&[
            PlanEntry::Team(Team {
                id: id("t-2"),
                name: "Tổ công tác 2".into(),
                lead: None,
                mobile: false,
            }),
            PlanEntry::HouseholdAssignment {
                household: id("h-a"),
                assignment: Some(Assignment {
                    team: id("t-2"),
                    volunteer: Some(id("p-9")),
                    at,
                    by: None,
                }),
            },
        ])
        .unwrap();
    assert_eq!(store.households_of_team(&id("t-1")).unwrap(), ["h-b"]);
    assert_eq!(store.households_of_team(&id("t-2")).unwrap(), ["h-a"]);
    assert_eq!(
        store.assignment_of(&id("h-a")).unwrap(),
        Some((id("t-2"), Some(id("p-9"))))
    );
    assert_eq!(store.streets(Some(&id("t-2")), today()).unwrap().len(), 1);
    let teams: Vec<String> = store.teams().unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(teams, ["Tổ công tác 1", "Tổ công tác 2"]);
    assert_eq!(store.groups().unwrap()[0].id, id::<GroupId>("g-1"));
    assert_eq!(store.ward().unwrap().unwrap().name, "Phường Trúc Bạch");
    assert_eq!(store.campaign().unwrap().unwrap().name, "15 ngày đêm");
    // Eligibility: the child born in 2020 is listed but does not count.
    let detail = store
        .household_detail(&id("h-c"), today())
        .unwrap()
        .unwrap();
    let eligible: Vec<(&str, bool)> = detail
        .residents
        .iter()
        .map(|r| (r.full_name.as_str(), r.eligible))
        .collect();
    assert_eq!(eligible, [("Đặng Thị Hoa", true), ("Bé Na", false)]);
    assert!(
        store
            .household_detail(&id("h-zzz"), today())
            .unwrap()
            .is_none()
    );
}
