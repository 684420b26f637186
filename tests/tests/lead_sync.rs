//! A team lead's work through the real HTTPS hub: a hard case flagged offline reaches the mobile
//! team's phones with its flag and leaves the old team's; two flags made concurrently both
//! survive; a team's schedule reaches its volunteers; a volunteer's forged flag is refused, and
//! so is a lead's forged change to the campaign's targets (the office's alone).

use gocua_app::App;
use gocua_domain::{HardCase, HardCaseMark, HouseholdId, Lang, Role, TeamId, Timestamp};
use gocua_store::Store;
use gocua_tests::{Phone, TestHub, small_ward};
use serde_json::{Value, json};

const NOW: &str = "2026-11-22 19:00";

async fn paired(hub: &TestHub, name: &str, role: Role, team: Option<&str>) -> Phone {
    let mut phone = Phone::new(name);
    phone.pair(&hub.pairing(role, team)).await.expect("pair");
    phone.sync().await.expect("first sync");
    phone
}

/// Runs a command on a phone's replica, offline, as its app would: the identity is the one the
/// hub gave at pairing.
fn command(phone: &mut Phone, cmd: &str, args: Value) -> Value {
    let placeholder = phone.dir.path().join(format!("swap-{cmd}.sqlite"));
    let store = std::mem::replace(
        &mut phone.store,
        Store::open(&placeholder).expect("placeholder"),
    );
    let mut app = App::new(store, Lang::Vi).expect("app");
    app.set_clock(Some(Timestamp::parse_local(NOW).unwrap()));
    let out = app.dispatch_json(cmd, args.clone());
    phone.store = app.into_store();
    out.unwrap_or_else(|e| panic!("{cmd} {args}: {e:?}"))
}

fn reasons(store: &mut Store, hid: &str) -> Vec<HardCase> {
    store
        .household_state(&HouseholdId::parse(hid).unwrap())
        .expect("household")
        .hard_cases
        .into_iter()
        .map(|m| m.reason)
        .collect()
}

fn mobile_team(g: &gocua_domain::WardData) -> String {
    g.teams
        .iter()
        .find(|t| t.mobile)
        .expect("a mobile team")
        .id
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_made_offline_moves_the_household_to_the_mobile_teams_phones() {
    let g = small_ward(71, 40);
    let (t0, mobile) = (g.teams[0].id.to_string(), mobile_team(&g));
    let hub = TestHub::start(&g).await;
    let mut old = paired(&hub, "máy tổ 1", Role::Volunteer, Some(&t0)).await;
    let mut moved = paired(&hub, "máy tổ lưu động", Role::Volunteer, Some(&mobile)).await;
    let mut lead = paired(&hub, "máy tổ trưởng", Role::Lead, Some(&t0)).await;
    let hid = old.household_ids().into_iter().next().expect("a household");
    assert!(!moved.household_ids().contains(&hid));

    // Offline, on the lead's phone.
    let flagged = command(
        &mut lead,
        "flag_hard_case",
        json!({"household": hid, "reasons": ["bedridden"], "note": "nằm liệt giường, cần máy"}),
    );
    assert_eq!(flagged["routed_to"], json!(mobile));
    let report = lead.sync().await.expect("lead sync");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    let on_hub = hub.with_store(|s| {
        (
            s.assignment_of(&HouseholdId::parse(&hid).unwrap())
                .unwrap()
                .map(|(t, _)| t.to_string()),
            reasons(s, &hid),
        )
    });
    assert_eq!(on_hub, (Some(mobile.clone()), vec![HardCase::Bedridden]));

    // The mobile team's phone receives the household with its flag.
    let report = moved.sync().await.expect("mobile sync");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert!(moved.household_ids().contains(&hid));
    assert_eq!(reasons(&mut moved.store, &hid), [HardCase::Bedridden]);
    let listed = moved
        .store
        .hard_cases(
            Some(&TeamId::parse(&mobile).unwrap()),
            gocua_domain::time::parse_date("2026-11-22").unwrap(),
        )
        .expect("hard cases");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].household.id.as_str(), hid);
    assert!(listed[0].mobile_team);
    assert_eq!(listed[0].reasons[0].note, "nằm liệt giường, cần máy");

    // The old team's phone lets it go.
    old.sync().await.expect("old team sync");
    assert!(
        !old.household_ids().contains(&hid),
        "dropped from the old team"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_flags_made_concurrently_both_survive() {
    let g = small_ward(72, 40);
    let (t0, mobile) = (g.teams[0].id.to_string(), mobile_team(&g));
    let hub = TestHub::start(&g).await;
    let mut lead = paired(&hub, "máy tổ trưởng", Role::Lead, Some(&t0)).await;
    let mut office = paired(&hub, "máy văn phòng", Role::Office, None).await;
    let mut moved = paired(&hub, "máy tổ lưu động", Role::Volunteer, Some(&mobile)).await;
    let hid = lead
        .household_ids()
        .into_iter()
        .next()
        .expect("a household");

    // Both offline, each with a reason of their own.
    command(
        &mut lead,
        "flag_hard_case",
        json!({"household": hid, "reasons": ["elderly"]}),
    );
    command(
        &mut office,
        "flag_hard_case",
        json!({"household": hid, "reasons": ["needs_interpreter"], "note": "tiếng H'Mông"}),
    );
    for phone in [&mut lead, &mut office] {
        let report = phone.sync().await.expect("sync");
        assert!(report.refused.is_empty(), "{:?}", report.refused);
    }
    office.sync().await.expect("office catches up");
    let both = [HardCase::Elderly, HardCase::NeedsInterpreter];
    assert_eq!(hub.with_store(|s| reasons(s, &hid)), both);
    assert_eq!(reasons(&mut office.store, &hid), both);
    moved.sync().await.expect("mobile sync");
    assert_eq!(reasons(&mut moved.store, &hid), both);
    let listed = command(&mut moved, "hard_cases", json!({}));
    assert_eq!(listed[0]["reasons"][1]["note"], "tiếng H'Mông");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teams_schedule_reaches_its_volunteers() {
    let g = small_ward(73, 40);
    let t0 = g.teams[0].id.to_string();
    let hub = TestHub::start(&g).await;
    let mut lead = paired(&hub, "máy tổ trưởng", Role::Lead, Some(&t0)).await;
    let mut vol = paired(&hub, "máy tình nguyện viên", Role::Volunteer, Some(&t0)).await;
    let session = command(
        &mut lead,
        "set_team_schedule",
        json!({"team": t0, "date": "2026-11-24", "start": "08:00", "end": "11:30",
               "place": "Nhà văn hóa tổ dân phố 1", "note": "mang máy thu nhận hồ sơ mức 2"}),
    );
    let report = lead.sync().await.expect("lead sync");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    vol.sync().await.expect("volunteer sync");
    let got = command(&mut vol, "team_schedule", json!({}));
    assert_eq!(got, json!([session]));

    // Removed on the lead's phone, gone from the volunteer's after both sync.
    command(
        &mut lead,
        "remove_team_schedule",
        json!({"id": session["id"]}),
    );
    lead.sync().await.expect("lead sync");
    vol.sync().await.expect("volunteer sync");
    assert_eq!(command(&mut vol, "team_schedule", json!({})), json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteers_forged_flag_is_refused_by_the_hub() {
    let g = small_ward(74, 40);
    let t0 = g.teams[0].id.to_string();
    let hub = TestHub::start(&g).await;
    let mut vol = paired(&hub, "máy tình nguyện viên", Role::Volunteer, Some(&t0)).await;
    let hid = vol.household_ids().into_iter().next().expect("a household");
    // The app refuses; a tampered phone writes the flag into its replica anyway.
    vol.store
        .flag_hard_case(
            &HouseholdId::parse(&hid).unwrap(),
            &[HardCaseMark {
                reason: HardCase::Disabled,
                at: Timestamp::parse_local(NOW).unwrap(),
                by: None,
                note: String::new(),
            }],
            None,
        )
        .expect("local write");
    let report = vol.sync().await.expect("sync completes with a refusal");
    assert!(
        report
            .refused
            .iter()
            .any(|r| r.doc == hid && r.message_vi.contains("hộ khó")),
        "{:?}",
        report.refused
    );
    assert_eq!(hub.with_store(|s| reasons(s, &hid)), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leads_forged_campaign_change_is_refused_by_the_hub() {
    let g = small_ward(75, 40);
    let t0 = g.teams[0].id.to_string();
    let hub = TestHub::start(&g).await;
    let mut lead = paired(&hub, "máy tổ trưởng", Role::Lead, Some(&t0)).await;
    let before = hub.with_store(|s| s.plan_state().unwrap().campaign);
    let mut forged = lead
        .store
        .plan_state()
        .unwrap()
        .campaign
        .expect("a campaign");
    // `update_campaign` is the office's; a tampered lead's phone writes the plan anyway.
    forged.targets.activated = 1;
    lead.store
        .put_plan(&[gocua_store::PlanEntry::Campaign(forged)])
        .expect("local write");
    let report = lead.sync().await.expect("sync completes with a refusal");
    assert!(
        report.refused.iter().any(|r| r.doc == "plan"),
        "{:?}",
        report.refused
    );
    assert_eq!(hub.with_store(|s| s.plan_state().unwrap().campaign), before);
    // A lead's own plan work still goes through: a schedule session for its team.
    let mut lead2 = paired(&hub, "máy tổ trưởng 2", Role::Lead, Some(&t0)).await;
    command(
        &mut lead2,
        "set_team_schedule",
        json!({"team": t0, "date": "2026-11-29", "start": "08:00", "end": "11:00", "place": "Nhà văn hoá"}),
    );
    let ok = lead2.sync().await.expect("sync");
    assert!(ok.refused.is_empty(), "{:?}", ok.refused);
    assert_eq!(
        hub.with_store(|s| s.plan_state().unwrap().sessions.len()),
        1
    );
}
