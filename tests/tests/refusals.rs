//! Bad requests against the real hub: each is refused with a clear error and changes nothing.

use gocua_domain::Role;
use gocua_store::PLAN_DOC_ID;
use gocua_sync::PhoneSession;
use gocua_sync::wire::{self, Claim, DocDelta, DocResult, SyncRequest, SyncResponse};
use gocua_tests::{Phone, TestHub, raw_sync, small_ward};

/// Everything the hub holds that a refusal must leave alone.
fn hub_state(hub: &TestHub) -> (Vec<(String, Vec<gocua_store::ChangeHash>, i64)>, String) {
    hub.with_store(|s| {
        (
            s.manifest().expect("manifest"),
            s.projection_dump(None).expect("dump"),
        )
    })
}

async fn hub_and_volunteer(seed: u64) -> (TestHub, Phone, String) {
    let g = small_ward(seed, 30);
    let team = g.teams[0].id.to_string();
    let hub = TestHub::start(&g).await;
    let mut phone = Phone::new("máy tình nguyện viên");
    phone
        .pair(&hub.pairing(Role::Volunteer, Some(&team)))
        .await
        .expect("pair");
    phone.sync().await.expect("first sync");
    (hub, phone, team)
}

fn code_of(e: &gocua_client::ClientError) -> String {
    e.code()
}

#[tokio::test]
async fn unknown_and_revoked_devices_are_refused() {
    let (hub, mut phone, _) = hub_and_volunteer(1).await;
    let before = hub_state(&hub);
    // A forged credential.
    let real_token = phone.store.meta_get("device.token").unwrap().unwrap();
    phone.store.meta_set("device.token", "00").unwrap();
    let e = phone.sync().await.unwrap_err();
    assert_eq!(code_of(&e), "unknown_device");
    assert!(
        e.message(gocua_domain::Lang::Vi)
            .contains("chưa được ghép nối"),
        "{}",
        e.message(gocua_domain::Lang::Vi)
    );
    phone.store.meta_set("device.token", &real_token).unwrap();
    // Revoked: cut off at once.
    let id = phone.store.meta_get("device.id").unwrap().unwrap();
    assert!(hub.with_store(|s| s.hub_revoke_device(&id, 1)).unwrap());
    let e = phone.sync().await.unwrap_err();
    assert_eq!(code_of(&e), "device_revoked");
    assert_eq!(hub_state(&hub), before);
}

#[tokio::test]
async fn expired_and_reused_join_codes_are_refused() {
    let g = small_ward(2, 20);
    let hub = TestHub::start(&g).await;
    let team = g.teams[0].id.to_string();
    let payload = hub.pairing(Role::Volunteer, Some(&team));
    let mut a = Phone::new("a");
    a.pair(&payload).await.expect("first use works");
    let mut b = Phone::new("b");
    let e = b.pair(&payload).await.unwrap_err();
    assert_eq!(code_of(&e), "join_code_used");
    assert!(
        b.store.meta_get("device.id").unwrap().is_none(),
        "a refused pairing stores nothing"
    );
    // A code the hub considers expired (the phone's clock is behind the hub's).
    let fp = hub.fingerprint();
    let expired = hub.with_store(|s| {
        gocua_hub::new_pairing(
            s,
            &gocua_tests::device_for(s, Role::Volunteer, Some(&g.teams[0].id)),
            &gocua_hub::HubIdentity {
                urls: &[hub.proxy.url()],
                fingerprint: fp,
                ward: "x",
            },
            -5,
            gocua_hub::server::now(),
        )
        .unwrap()
    });
    let e = gocua_client::pair(
        &mut b.store,
        &expired.to_uri(),
        "b",
        expired.expires_at - 60,
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(&e), "join_code_expired");
    // The phone itself refuses a payload it can see is expired.
    let e = b.pair(&expired.to_uri()).await.unwrap_err();
    assert_eq!(code_of(&e), "join_code_expired");
    // Unknown codes are refused; wrong guesses from an address never lock out a right code
    // from the same address (tests/tests/hostile.rs covers the pairing guard).
    let mut wrong = expired.clone();
    wrong.join_code = "ABCD-EFGHJK".into();
    wrong.expires_at = gocua_hub::server::now() + 600;
    for _ in 0..10 {
        let e = b.pair(&wrong.to_uri()).await.unwrap_err();
        assert_eq!(code_of(&e), "join_code_unknown");
    }
    assert!(b.store.meta_get("device.id").unwrap().is_none());
    let right = hub.pairing(Role::Volunteer, Some(&team));
    b.pair(&right).await.expect("a right code pairs");
}

#[tokio::test]
async fn a_hub_with_another_certificate_is_refused() {
    let (hub, mut phone, _) = hub_and_volunteer(3).await;
    let g = small_ward(4, 10);
    let impostor = TestHub::start(&g).await;
    // Same address the phone knows, different certificate.
    hub.proxy.retarget(impostor.running().addr);
    let before = phone.store.projection_dump(None).unwrap();
    let e = phone.sync().await.unwrap_err();
    assert_eq!(code_of(&e), "certificate_mismatch");
    assert!(e.message(gocua_domain::Lang::Vi).contains("không khớp"));
    assert_eq!(phone.store.projection_dump(None).unwrap(), before);
    // Pairing with a payload whose fingerprint is not the hub's is refused before any code is sent.
    let mut payload =
        gocua_sync::pairing::PairingPayload::parse(&impostor.pairing(Role::Office, None)).unwrap();
    payload.cert_sha256 = hub.fingerprint();
    payload.hub_urls = vec![impostor.proxy.url()];
    let mut other = Phone::new("c");
    let e = other.pair(&payload.to_uri()).await.unwrap_err();
    assert_eq!(code_of(&e), "certificate_mismatch");
}

#[tokio::test]
async fn a_volunteer_cannot_read_or_write_another_teams_household_nor_the_plan() {
    let (hub, mut phone, team) = hub_and_volunteer(5).await;
    let foreign: String = hub.with_store(|s| {
        let mine = s
            .households_of_team(&gocua_domain::TeamId::parse(&team).unwrap())
            .unwrap();
        s.hub_all_households()
            .unwrap()
            .into_iter()
            .find(|h| !mine.contains(h))
            .expect("a foreign household")
    });
    assert!(!phone.household_ids().contains(&foreign));
    let before = hub_state(&hub);
    // Changes to a foreign household (copied from the hub's own bytes) pushed as if ours.
    let bytes = hub.with_store(|s| s.doc_bytes(&foreign).unwrap().unwrap());
    let mut session_batch = phone
        .store
        .meta_get("sync.batch")
        .unwrap()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    session_batch += 1;
    let req = SyncRequest {
        batch: session_batch,
        claim: Claim::Full(vec![]),
        push: vec![DocDelta {
            doc: foreign.clone(),
            base: vec![],
            heads: vec![],
            changes: bytes,
        }],
        protocol: vec![],
    };
    let (status, body) = raw_sync(&hub, &phone.auth(), wire::encode(&req).unwrap()).await;
    phone
        .store
        .meta_set("sync.batch", &session_batch.to_string())
        .unwrap();
    assert_eq!(status, 200);
    let resp: SyncResponse = wire::decode(&body).unwrap();
    assert!(
        resp.results.iter().any(|r| matches!(r, DocResult::Refused { doc, code, .. } if *doc == foreign && code == "forbidden_household")),
        "{:?}",
        resp.results
    );
    assert!(
        resp.new_docs.iter().all(|d| d.doc != foreign),
        "the foreign household must not be sent"
    );
    assert_eq!(hub_state(&hub).1, before.1);
    // Writing the plan: refused, said so, and the hub's plan is untouched.
    let plan_before = hub.with_store(|s| s.doc_heads(PLAN_DOC_ID).unwrap());
    phone.reassign_first_street("t-99");
    let report = phone.sync().await.expect("sync completes with a refusal");
    assert!(
        report
            .refused
            .iter()
            .any(|r| r.code == "forbidden_plan_write"),
        "{:?}",
        report.refused
    );
    assert!(
        report
            .refused
            .iter()
            .any(|r| r.message_vi.contains("tổ trưởng"))
    );
    assert_eq!(
        hub.with_store(|s| s.doc_heads(PLAN_DOC_ID).unwrap()),
        plan_before
    );
}

#[tokio::test]
async fn truncated_forged_and_replayed_frames_change_nothing() {
    let (hub, mut phone, _) = hub_and_volunteer(6).await;
    // Some real work, so a real push exists.
    let hid = phone.household_ids()[0].clone();
    let g = small_ward(6, 30);
    let h = phone
        .store
        .household_state(&gocua_domain::HouseholdId::parse(&hid).unwrap())
        .unwrap()
        .household;
    let v = g
        .volunteers
        .iter()
        .find(|v| v.team == Some(g.teams[0].id.clone()))
        .unwrap();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(6);
    let visit =
        gocua_wardgen::random_visit(&mut rng, &h, v, gocua_domain::Timestamp(1_795_348_800));
    let visit = phone.record(visit);
    let batch = phone
        .store
        .meta_get("sync.batch")
        .unwrap()
        .unwrap()
        .parse::<u64>()
        .unwrap()
        + 1;
    let mut session = PhoneSession::new(gocua_client::HUB_PEER);
    let req = session
        .next_request(&mut phone.store, batch)
        .unwrap()
        .unwrap();
    let frame = wire::encode(&req).unwrap();
    let before = hub_state(&hub);
    // Truncated at several points, and with flipped bits.
    for cut in [0, 3, 10, frame.len() / 2, frame.len() - 1] {
        let (status, body) = raw_sync(&hub, &phone.auth(), frame[..cut].to_vec()).await;
        assert_eq!(status, 400, "cut at {cut}");
        let err: gocua_sync::api::ErrorBody = serde_json_from(&body);
        assert!(err.code.starts_with("wire."), "{}", err.code);
        assert!(!err.message_vi.is_empty());
    }
    let mut forged = frame.clone();
    let n = forged.len();
    forged[n - 5] ^= 0x55;
    let (status, _) = raw_sync(&hub, &phone.auth(), forged).await;
    assert_eq!(status, 400);
    // Well-framed but garbage changes: refused per document.
    let garbage = SyncRequest {
        batch,
        claim: Claim::Full(vec![]),
        push: vec![DocDelta {
            doc: hid.clone(),
            base: vec![],
            heads: vec![],
            changes: vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3],
        }],
        protocol: vec![gocua_sync::wire::DocMsg {
            doc: hid.clone(),
            msg: vec![0x42, 0x99],
        }],
    };
    let (status, body) = raw_sync(&hub, &phone.auth(), wire::encode(&garbage).unwrap()).await;
    assert_eq!(status, 200);
    let resp: SyncResponse = wire::decode(&body).unwrap();
    let codes: Vec<&str> = resp
        .results
        .iter()
        .filter_map(|r| match r {
            DocResult::Refused { code, .. } => Some(code.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(codes, vec!["corrupt_changes", "corrupt_sync_message"]);
    assert_eq!(hub_state(&hub).1, before.1, "nothing merged");
    // The real frame now carries an old batch number: replayed, refused, nothing merged.
    let (status, body) = raw_sync(&hub, &phone.auth(), frame.clone()).await;
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
    let err: gocua_sync::api::ErrorBody = serde_json_from(&body);
    assert_eq!(err.code, "replayed_batch");
    assert_eq!(hub_state(&hub).1, before.1);
    // A phone whose counter fell behind (say, restored from a backup) catches up by itself, and
    // its next sync delivers the visit.
    phone.store.meta_set("sync.batch", "1").unwrap();
    phone.sync().await.unwrap();
    assert!(
        hub.with_store(|s| s.visit_ids().unwrap())
            .contains(visit.id.as_str())
    );
}

fn serde_json_from<T: serde::de::DeserializeOwned>(b: &[u8]) -> T {
    serde_json::from_slice(b).expect("json error body")
}

#[tokio::test]
async fn only_leads_may_correct_residents() {
    let (hub, mut phone, team) = hub_and_volunteer(7).await;
    let hid = phone.household_ids()[0].clone();
    let household = gocua_domain::HouseholdId::parse(&hid).unwrap();
    let resident = phone
        .store
        .household_state(&household)
        .unwrap()
        .household
        .residents[0]
        .id
        .clone();
    let correction = |id: u64| {
        gocua_domain::Correction::new(
            gocua_domain::CorrectionId::random(id),
            resident.clone(),
            gocua_domain::Timestamp(1_795_348_800),
            gocua_domain::VolunteerId::parse("p-01").unwrap(),
            gocua_domain::Funnel::default(),
            "nhập nhầm",
        )
        .unwrap()
    };
    // A volunteer's phone that writes a correction anyway (the app would not) is refused.
    let before = hub_state(&hub);
    phone
        .store
        .add_correction(&household, &correction(1))
        .unwrap();
    let report = phone.sync().await.expect("sync completes with a refusal");
    let refusal = report
        .refused
        .iter()
        .find(|r| r.doc == hid)
        .expect("refused");
    assert_eq!(refusal.code, "forbidden_edit");
    assert!(
        refusal.message_vi.contains("điều chỉnh"),
        "{}",
        refusal.message_vi
    );
    assert_eq!(
        hub_state(&hub).1,
        before.1,
        "the hub's projection is unchanged"
    );

    // A lead's correction of the same household is accepted.
    let mut lead = Phone::new("máy tổ trưởng");
    lead.pair(&hub.pairing(Role::Lead, Some(&team)))
        .await
        .expect("pair lead");
    lead.sync().await.expect("lead's first sync");
    lead.store
        .add_correction(&household, &correction(2))
        .unwrap();
    let report = lead.sync().await.expect("lead sync");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    let corrected = hub.with_store(|s| s.household_state(&household).unwrap().corrections.len());
    assert_eq!(corrected, 1);
}

#[tokio::test]
async fn a_volunteer_that_lost_its_record_of_the_plan_is_not_refused_for_it() {
    // What a sync killed at the wrong moment leaves: the phone no longer knows the hub has the
    // plan it holds, so it sends the plan's changes back. The hub has them all: nothing to
    // refuse, nothing to merge.
    let (hub, mut phone, _) = hub_and_volunteer(8).await;
    let plan_before = hub.with_store(|s| s.doc_heads(PLAN_DOC_ID).unwrap());
    phone
        .store
        .forget_peer("hub", Some(&[PLAN_DOC_ID.to_string()]))
        .unwrap();
    let report = phone.sync().await.expect("sync");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(
        hub.with_store(|s| s.doc_heads(PLAN_DOC_ID).unwrap()),
        plan_before
    );
    // Settled: the next sync sends nothing at all.
    let again = phone.sync().await.expect("sync");
    assert_eq!((again.pushed, again.refused_count), (0, 0), "{again:?}");
    // A plan change of its own is still refused.
    phone.reassign_first_street("t-99");
    let refused = phone.sync().await.expect("sync").refused;
    assert!(
        refused.iter().any(|r| r.code == "forbidden_plan_write"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_refused_plan_change_is_sent_once_per_sync_not_every_round() {
    // A refusal that stands (a volunteer may never change the plan) must not be pushed again
    // round after round until the sync gives up: once per sync, and the rest of the sync goes on.
    let (hub, mut phone, _) = hub_and_volunteer(9).await;
    phone.reassign_first_street("t-99");
    let hid = phone.household_ids()[0].clone();
    let h = phone
        .store
        .household_state(&gocua_domain::HouseholdId::parse(&hid).unwrap())
        .unwrap()
        .household;
    let g = small_ward(9, 30);
    let v = g
        .volunteers
        .iter()
        .find(|v| v.team == Some(g.teams[0].id.clone()))
        .unwrap();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(9);
    let visit = phone.record(gocua_wardgen::random_visit(
        &mut rng,
        &h,
        v,
        gocua_domain::Timestamp(1_795_348_800),
    ));
    let report = phone.sync().await.expect("sync completes with a refusal");
    assert_eq!(report.refused_count, 1, "{:?}", report.refused);
    assert_eq!(report.refused[0].code, "forbidden_plan_write");
    assert!(report.rounds <= 3, "{} rounds: {report:?}", report.rounds);
    assert!(report.bytes_up < 16_000, "{} B up", report.bytes_up);
    assert!(
        hub.with_store(|s| gocua_tests::visit_ids(s))
            .contains(visit.id.as_str()),
        "the visit of the same sync still reached the hub"
    );
    // The next sync says it again, once.
    let again = phone.sync().await.expect("sync");
    assert_eq!(again.refused_count, 1, "{:?}", again.refused);
    assert!(again.rounds <= 2, "{again:?}");
}

#[tokio::test]
async fn a_phone_whose_record_lags_a_merged_plan_change_settles_at_once() {
    // A sync killed between merging a lead's plan change and recording that the hub holds it:
    // the phone holds the hub's plan but believes the hub has the older one, so it pushes the
    // lead's change back. Accepted as nothing new; a few rounds, a few bytes, no refusal.
    let (hub, mut phone, _) = hub_and_volunteer(10).await;
    let old = phone.store.doc_heads(PLAN_DOC_ID).unwrap().unwrap();
    hub.with_store(|s| {
        let mut team = s.plan_state().unwrap().teams[0].clone();
        team.name.push_str(" (đổi tên)");
        s.put_plan(&[gocua_store::PlanEntry::Team(team)]).unwrap();
    });
    phone.sync().await.expect("sync gets the lead's change");
    let new = phone.store.doc_heads(PLAN_DOC_ID).unwrap().unwrap();
    assert_ne!(old, new);
    phone
        .store
        .set_peer_heads("hub", &[(PLAN_DOC_ID.to_string(), old)])
        .unwrap();
    assert_eq!(phone.store.unsynced_docs("hub").unwrap(), 1);
    let report = phone.sync().await.expect("sync");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert!(report.rounds <= 3, "{report:?}");
    assert!(report.bytes_up < 16_000, "{} B up", report.bytes_up);
    assert_eq!(phone.store.unsynced_docs("hub").unwrap(), 0);
    let quiet = phone.sync().await.expect("sync");
    assert_eq!((quiet.pushed, quiet.refused_count), (0, 0), "{quiet:?}");
}

#[tokio::test]
async fn a_sync_killed_after_merging_the_plan_cannot_leave_the_record_of_the_hub_behind() {
    // The phone's record of what the hub holds commits with the merge of what the hub sent:
    // a write of that record failing (a kill just before it) takes the merge with it.
    let (hub, mut phone, _) = hub_and_volunteer(11).await;
    hub.with_store(|s| {
        let mut team = s.plan_state().unwrap().teams[0].clone();
        team.name.push_str(" (đổi tên)");
        s.put_plan(&[gocua_store::PlanEntry::Team(team)]).unwrap();
    });
    let batch = phone
        .store
        .meta_get("sync.batch")
        .unwrap()
        .unwrap()
        .parse::<u64>()
        .unwrap()
        + 1;
    phone
        .store
        .meta_set("sync.batch", &batch.to_string())
        .unwrap();
    let mut session = PhoneSession::new(gocua_client::HUB_PEER);
    let req = session
        .next_request(&mut phone.store, batch)
        .unwrap()
        .unwrap();
    let (status, body) = raw_sync(&hub, &phone.auth(), wire::encode(&req).unwrap()).await;
    assert_eq!(status, 200);
    let resp: SyncResponse = wire::decode(&body).unwrap();
    assert!(
        resp.pull.iter().any(|d| d.doc == PLAN_DOC_ID),
        "the hub sends the lead's change"
    );
    gocua_store::set_failpoint(Some(gocua_store::sync::PEER_HEADS_FAILPOINT));
    let _ = session.apply(&mut phone.store, resp);
    gocua_store::set_failpoint(None);
    let held = phone.store.doc_heads(PLAN_DOC_ID).unwrap();
    let recorded = phone
        .store
        .peer_heads(gocua_client::HUB_PEER, PLAN_DOC_ID)
        .unwrap();
    let sorted = |h: Option<Vec<gocua_store::ChangeHash>>| {
        let mut h = h.unwrap_or_default();
        h.sort();
        h
    };
    assert_eq!(sorted(held), sorted(recorded), "merged without its record");
    // The next sync settles in a few rounds, refusing nothing.
    let report = phone.sync().await.expect("sync");
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert!(report.rounds <= 3, "{report:?}");
    assert_eq!(
        phone.store.doc_heads(PLAN_DOC_ID).unwrap(),
        hub.with_store(|s| s.doc_heads(PLAN_DOC_ID).unwrap())
    );
}
