//! The trust boundary through the real HTTPS hub: what a device may read and write follows from
//! the hub's own records (assignments, what it delivered to or accepted from that device, the
//! actors bound at pairing), never from what the device says about itself.

use automerge::sync::SyncDoc;
use gocua_domain::{HouseholdId, Role, TeamId, Timestamp, VolunteerId};
use gocua_store::{PlanEntry, Store};
use gocua_sync::wire::{
    self, Claim, DocDelta, DocMsg, DocResult, HeldDoc, SyncRequest, SyncResponse,
};
use gocua_tests::{Phone, TestHub, paired_visit, raw_sync, small_ward};

const EVENING: Timestamp = Timestamp(1_795_348_800);

/// Everything the hub holds that a refusal must leave alone.
fn hub_state(hub: &TestHub) -> (Vec<(String, Vec<gocua_store::ChangeHash>, i64)>, String) {
    hub.with_store(|s| {
        (
            s.manifest().expect("manifest"),
            s.projection_dump(None).expect("dump"),
        )
    })
}

async fn paired(hub: &TestHub, name: &str, role: Role, team: Option<&str>) -> Phone {
    let mut phone = Phone::new(name);
    phone.pair(&hub.pairing(role, team)).await.expect("pair");
    phone.sync().await.expect("first sync");
    phone
}

fn team_of(hub: &TestHub, team: &str) -> std::collections::BTreeSet<String> {
    hub.with_store(|s| {
        s.households_of_team(&TeamId::parse(team).expect("team"))
            .expect("team households")
            .into_iter()
            .collect()
    })
}

fn foreign_household(hub: &TestHub, team: &str) -> String {
    let mine = team_of(hub, team);
    hub.with_store(|s| {
        s.hub_all_households()
            .expect("households")
            .into_iter()
            .find(|h| !mine.contains(h))
            .expect("a household of another team")
    })
}

/// The next batch number of a phone, spent (as the client does before sending).
fn next_batch(phone: &Phone) -> u64 {
    let b = phone
        .store
        .meta_get("sync.batch")
        .expect("meta")
        .unwrap_or_default()
        .parse::<u64>()
        .unwrap_or(0)
        + 1;
    phone
        .store
        .meta_set("sync.batch", &b.to_string())
        .expect("spend batch");
    b
}

async fn send(hub: &TestHub, phone: &Phone, req: SyncRequest) -> (u16, Vec<u8>) {
    raw_sync(hub, &phone.auth(), wire::encode(&req).expect("encode")).await
}

fn refused_code(resp: &SyncResponse, doc: &str) -> Option<String> {
    resp.results.iter().find_map(|r| match r {
        DocResult::Refused { doc: d, code, .. } if d == doc => Some(code.clone()),
        _ => None,
    })
}

/// A first Automerge sync message from an empty document: "send me everything".
fn empty_doc_hello() -> Vec<u8> {
    let mut empty = automerge::AutoCommit::new();
    let mut state = automerge::sync::State::new();
    empty
        .sync()
        .generate_sync_message(&mut state)
        .expect("a first message")
        .encode()
}

/// Claims to hold `doc` and asks the hub for it with a first protocol message: what a curious
/// device would send.
async fn probe(hub: &TestHub, phone: &Phone, doc: &str) -> SyncResponse {
    let req = SyncRequest {
        batch: next_batch(phone),
        claim: Claim::Full(vec![HeldDoc {
            doc: doc.to_string(),
            heads: vec![],
        }]),
        push: vec![],
        protocol: vec![DocMsg {
            doc: doc.to_string(),
            msg: empty_doc_hello(),
        }],
    };
    let (status, body) = send(hub, phone, req).await;
    assert_eq!(status, 200);
    wire::decode(&body).expect("answer")
}

#[tokio::test]
async fn a_forged_full_claim_reads_nothing_and_writes_nothing_outside_the_team() {
    let g = small_ward(61, 40);
    let team = g.teams[0].id.to_string();
    let hub = TestHub::start(&g).await;
    let mut phone = paired(&hub, "máy tò mò", Role::Volunteer, Some(&team)).await;
    let foreign = foreign_household(&hub, &team);
    let before = hub_state(&hub);

    // Claim to hold the foreign household and ask for it through Automerge's protocol.
    let resp = probe(&hub, &phone, &foreign).await;
    assert_eq!(
        refused_code(&resp, &foreign).as_deref(),
        Some("forbidden_household"),
        "{:?}",
        resp.results
    );
    assert!(
        resp.protocol.iter().all(|m| m.doc != foreign)
            && resp.new_docs.iter().all(|d| d.doc != foreign)
            && resp.pull.iter().all(|d| d.doc != foreign),
        "nothing of the foreign household may come back"
    );

    // Claim it again and push a visit on it, made from the hub's own bytes plus a new visit.
    let mut forged = Store::open(&phone.dir.path().join("forged.sqlite")).expect("open");
    let bytes = hub.with_store(|s| s.doc_bytes(&foreign).expect("bytes").expect("doc"));
    forged.merge_remote(&foreign, &bytes).expect("copy");
    let h = forged
        .household_state(&HouseholdId::parse(&foreign).expect("id"))
        .expect("state")
        .household;
    let vol = &g.volunteers[0];
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(61);
    let v = paired_visit(
        &phone.store,
        gocua_wardgen::random_visit(&mut rng, &h, vol, EVENING),
    );
    let base = forged.doc_heads(&foreign).expect("heads").expect("doc");
    forged.record_visit(&v).expect("forged visit");
    let changes = forged.changes_since(&foreign, &base).expect("changes");
    let req = SyncRequest {
        batch: next_batch(&phone),
        claim: Claim::Full(vec![HeldDoc {
            doc: foreign.clone(),
            heads: base.iter().map(|h| h.0).collect(),
        }]),
        push: vec![DocDelta {
            doc: foreign.clone(),
            base: base.iter().map(|h| h.0).collect(),
            heads: vec![],
            changes,
        }],
        protocol: vec![],
    };
    let (status, body) = send(&hub, &phone, req).await;
    assert_eq!(status, 200);
    let resp: SyncResponse = wire::decode(&body).expect("answer");
    assert_eq!(
        refused_code(&resp, &foreign).as_deref(),
        Some("forbidden_household"),
        "{:?}",
        resp.results
    );
    assert_eq!(hub_state(&hub), before, "the hub changed nothing");
    // The phone still syncs normally and holds only its team's households.
    phone.sync().await.expect("sync");
    let held: std::collections::BTreeSet<String> = phone.household_ids().into_iter().collect();
    assert_eq!(held, team_of(&hub, &team));
}

#[tokio::test]
async fn lists_longer_than_what_the_device_may_hold_are_refused_before_any_work() {
    let g = small_ward(62, 30);
    let team = g.teams[0].id.to_string();
    let hub = TestHub::start(&g).await;
    let phone = paired(&hub, "máy", Role::Volunteer, Some(&team)).await;
    let before = hub_state(&hub);
    // The same document a million times: a few KB once compressed, refused by the size its
    // body inflates to before anything else.
    let one = HeldDoc {
        doc: team_of(&hub, &team)
            .into_iter()
            .next()
            .expect("a household"),
        heads: vec![],
    };
    let claim = |n: usize, batch: u64| SyncRequest {
        batch,
        claim: Claim::Full(vec![one.clone(); n]),
        push: vec![],
        protocol: vec![],
    };
    let frame = wire::encode(&claim(1_000_000, next_batch(&phone))).expect("encode");
    assert!(frame.len() < 64 << 10, "the claim is small on the wire");
    let (status, body) = raw_sync(&hub, &phone.auth(), frame).await;
    let err: gocua_sync::api::ErrorBody = serde_json::from_slice(&body).expect("json error");
    assert_eq!((status, err.code.as_str()), (400, "wire.too_large"));
    // Ten thousand fit in the body a volunteer may send, but not in what it may hold.
    let (status, body) = send(&hub, &phone, claim(10_000, next_batch(&phone))).await;
    let err: gocua_sync::api::ErrorBody = serde_json::from_slice(&body).expect("json error");
    assert_eq!((status, err.code.as_str()), (422, "request_too_large"));
    assert!(err.message_vi.contains("nhiều tài liệu hơn"));
    // Heads lists are bounded too.
    let req = SyncRequest {
        batch: next_batch(&phone),
        claim: Claim::Full(vec![HeldDoc {
            doc: "plan".into(),
            heads: vec![[7u8; 32]; 10_000],
        }]),
        push: vec![],
        protocol: vec![],
    };
    let (status, _) = send(&hub, &phone, req).await;
    assert_eq!(status, 422);
    assert_eq!(hub_state(&hub), before);
}

/// Pushes one visit on one of the phone's own households, as built by `edit`, and returns the
/// hub's verdict on it.
async fn push_visit(
    phone: &mut Phone,
    g: &gocua_wardgen::GeneratedWard,
    edit: impl FnOnce(&mut gocua_domain::Visit),
) -> (String, Option<String>) {
    let hid = phone
        .household_ids()
        .into_iter()
        .next()
        .expect("a household");
    let h = phone
        .store
        .household_state(&HouseholdId::parse(&hid).expect("id"))
        .expect("state")
        .household;
    // Each phone's name gives its own visit id.
    let seed = phone
        .name
        .bytes()
        .fold(0u64, |a, b| a.wrapping_mul(31) + u64::from(b));
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
    let mut v = paired_visit(
        &phone.store,
        gocua_wardgen::random_visit(&mut rng, &h, &g.volunteers[0], EVENING),
    );
    edit(&mut v);
    phone.store.record_visit(&v).expect("record");
    let report = phone.sync().await.expect("sync");
    let refusal = report
        .refused
        .iter()
        .find(|r| r.doc == hid)
        .map(|r| r.code.clone());
    (v.id.to_string(), refusal)
}

#[tokio::test]
async fn a_volunteers_device_may_credit_only_its_own_volunteer() {
    let g = small_ward(63, 40);
    let team = g.teams[0].id.to_string();
    let other_team = g.teams[1].id.to_string();
    let hub = TestHub::start(&g).await;
    let mut phone = paired(&hub, "máy p", Role::Volunteer, Some(&team)).await;
    let me = phone.store.meta_get("device.volunteer").unwrap().unwrap();
    let someone_else = g
        .volunteers
        .iter()
        .find(|v| v.id.as_str() != me)
        .expect("another volunteer")
        .id
        .clone();
    let on_hub = |id: &str| hub.with_store(|s| s.visit_ids().unwrap().contains(id));

    // Credited to another volunteer: refused, not on the hub.
    let (id, refusal) = push_visit(&mut phone, &g, |v| {
        v.volunteer = someone_else.clone();
    })
    .await;
    assert_eq!(refusal.as_deref(), Some("forbidden_edit"));
    assert!(!on_hub(&id));

    // A fresh phone for each forgery: a refused change stays on the phone that made it.
    let mut phone = paired(&hub, "máy p2", Role::Volunteer, Some(&team)).await;
    let (id, refusal) = push_visit(&mut phone, &g, |v| {
        v.team = Some(TeamId::parse(&other_team).unwrap());
    })
    .await;
    assert_eq!(refusal.as_deref(), Some("forbidden_edit"), "another team");
    assert!(!on_hub(&id));

    let mut phone = paired(&hub, "máy p3", Role::Volunteer, Some(&team)).await;
    let (id, refusal) = push_visit(&mut phone, &g, |v| {
        v.device = Some(gocua_domain::DeviceId::parse("d-0123456789abcdef").unwrap());
    })
    .await;
    assert_eq!(refusal.as_deref(), Some("forbidden_edit"), "another device");
    assert!(!on_hub(&id));

    // An honest visit from the same kind of device is accepted.
    let mut phone = paired(&hub, "máy p4", Role::Volunteer, Some(&team)).await;
    let (id, refusal) = push_visit(&mut phone, &g, |_| {}).await;
    assert_eq!(refusal, None);
    assert!(on_hub(&id));
}

#[tokio::test]
async fn a_lead_may_record_for_others_only_saying_so() {
    let g = small_ward(64, 40);
    let team = g.teams[0].id.to_string();
    let hub = TestHub::start(&g).await;
    let lead_vol = g
        .volunteers
        .iter()
        .find(|v| v.team.as_ref().map(|t| t.as_str()) == Some(team.as_str()))
        .expect("a team member")
        .id
        .clone();
    let other: VolunteerId = g
        .volunteers
        .iter()
        .find(|v| v.id != lead_vol)
        .expect("another")
        .id
        .clone();
    let device = gocua_hub::DeviceFor {
        role: Role::Lead,
        team: Some(TeamId::parse(&team).unwrap()),
        volunteer: Some(lead_vol.clone()),
    };
    let pair_lead = |name: &'static str| {
        let payload = hub.pairing_for(&device);
        async move {
            let mut p = Phone::new(name);
            p.pair(&payload).await.expect("pair lead");
            p.sync().await.expect("first sync");
            p
        }
    };
    let mut lead = pair_lead("máy tổ trưởng").await;
    let on_hub = |id: &str| hub.with_store(|s| s.visit_ids().unwrap().contains(id));
    let (id, refusal) = push_visit(&mut lead, &g, |v| {
        v.volunteer = other.clone();
        v.recorded_by = Some(lead_vol.clone());
    })
    .await;
    assert_eq!(
        refusal, None,
        "entered for someone else, saying who entered it"
    );
    assert!(on_hub(&id));

    let mut lead = pair_lead("máy tổ trưởng 2").await;
    let (id, refusal) = push_visit(&mut lead, &g, |v| {
        v.volunteer = other.clone();
        v.recorded_by = None;
    })
    .await;
    assert_eq!(refusal.as_deref(), Some("forbidden_edit"));
    assert!(!on_hub(&id));
}

#[tokio::test]
async fn work_on_a_household_reassigned_meanwhile_is_accepted_and_nothing_new_is_read() {
    let g = small_ward(65, 40);
    let (t0, t1) = (g.teams[0].id.to_string(), g.teams[1].id.to_string());
    let hub = TestHub::start(&g).await;
    let mut vol = paired(&hub, "máy tình nguyện viên", Role::Volunteer, Some(&t0)).await;
    let mut lead = paired(&hub, "máy tổ trưởng", Role::Lead, None).await;
    let hid = vol.household_ids().into_iter().next().expect("a household");

    // Offline: the volunteer visits; the lead hands the household to another team.
    let h = vol
        .store
        .household_state(&HouseholdId::parse(&hid).unwrap())
        .unwrap()
        .household;
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(65);
    let v = vol.record(gocua_wardgen::random_visit(
        &mut rng,
        &h,
        &g.volunteers[0],
        EVENING,
    ));
    lead.store
        .put_plan(&[PlanEntry::HouseholdAssignment {
            household: HouseholdId::parse(&hid).unwrap(),
            assignment: Some(gocua_domain::Assignment {
                team: TeamId::parse(&t1).unwrap(),
                volunteer: None,
                at: EVENING,
                by: None,
            }),
        }])
        .unwrap();
    lead.sync().await.expect("lead sync");
    let report = vol.sync().await.expect("volunteer sync");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert!(hub.with_store(|s| s.visit_ids().unwrap().contains(v.id.as_str())));
    assert!(!vol.household_ids().contains(&hid), "dropped once uploaded");

    // The new team works on it; the old device, claiming it and asking, receives none of it.
    let mut other = paired(&hub, "máy tổ khác", Role::Volunteer, Some(&t1)).await;
    let h = other
        .store
        .household_state(&HouseholdId::parse(&hid).unwrap())
        .unwrap()
        .household;
    let newer = other.record(gocua_wardgen::random_visit(
        &mut rng,
        &h,
        &g.volunteers[1],
        EVENING,
    ));
    other.sync().await.expect("other sync");
    let resp = probe(&hub, &vol, &hid).await;
    for m in resp.protocol.iter().filter(|m| m.doc == hid) {
        let msg = automerge::sync::Message::decode(&m.msg).unwrap();
        assert!(
            msg.changes.is_empty(),
            "a household reassigned away sends no changes"
        );
    }
    assert!(resp.new_docs.iter().all(|d| d.doc != hid));
    assert!(resp.pull.iter().all(|d| d.doc != hid));
    // What it had handed in stays, and the new team's visit is on the hub, not on that phone.
    assert!(hub.with_store(|s| s.visit_ids().unwrap().contains(newer.id.as_str())));
    assert!(!vol.store.visit_ids().unwrap().contains(newer.id.as_str()));
}

#[tokio::test]
async fn a_volunteers_phone_gets_no_volunteer_phone_numbers_and_shows_id_numbers_masked() {
    let g = small_ward(66, 40);
    let team = g.teams[0].id.to_string();
    let hub = TestHub::start(&g).await;
    let phone = paired(&hub, "máy", Role::Volunteer, Some(&team)).await;
    let numbers: Vec<&str> = g
        .volunteers
        .iter()
        .map(|v| v.phone.as_str())
        .filter(|p| !p.is_empty())
        .collect();
    assert!(
        !numbers.is_empty(),
        "the generated ward has volunteers' numbers"
    );
    // The hub keeps them for the office...
    let kept = hub.with_store(|s| s.volunteers().unwrap());
    assert!(kept.iter().all(|v| numbers.contains(&v.phone.as_str())));
    // ...but the plan every device receives carries none, not even in its history.
    let plan = hub.with_store(|s| s.doc_bytes(gocua_store::PLAN_DOC_ID).unwrap().unwrap());
    let text = String::from_utf8_lossy(&plan);
    for n in &numbers {
        assert!(
            !text.contains(n),
            "volunteer number {n} in the plan document"
        );
    }
    assert!(
        phone
            .store
            .volunteers()
            .unwrap()
            .iter()
            .all(|v| v.phone.is_empty())
    );

    // The household screen of a volunteer masks ID and phone numbers.
    let hid = phone.household_ids().into_iter().next().unwrap();
    let store = Store::open(&phone.dir.path().join("phone.sqlite")).unwrap();
    let mut app = gocua_app::App::new(store, gocua_domain::Lang::Vi).unwrap();
    let shown = app
        .dispatch_json("household_detail", serde_json::json!({ "id": hid }))
        .unwrap();
    let residents = shown["residents"].as_array().unwrap();
    let with_numbers: Vec<&serde_json::Value> = residents
        .iter()
        .filter(|r| !r["cccd_number"].as_str().unwrap_or("").is_empty())
        .collect();
    assert!(!with_numbers.is_empty());
    for r in with_numbers {
        let id = r["cccd_number"].as_str().unwrap();
        assert!(id.contains("*****"), "{id}");
    }
    for r in residents {
        let p = r["phone"].as_str().unwrap_or("");
        assert!(p.is_empty() || p.contains(" *** "), "{p}");
    }
}
