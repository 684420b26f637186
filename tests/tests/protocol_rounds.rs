//! The sync protocol stepped in process, round by round, between a hub replica and a phone
//! replica (no HTTP): the Automerge sync-protocol fallback settles what the fast path cannot.

use gocua_domain::{HouseholdId, Role, TeamId, Timestamp};
use gocua_store::Store;
use gocua_sync::{Access, HubLimits, PhoneSession, Replica, hub_round};
use gocua_tests::{small_ward, write_ward};
use rand::SeedableRng;

const PEER_ON_PHONE: &str = "hub";

/// Runs rounds until the phone has nothing more to say; returns protocol messages seen.
fn sync(hub: &mut Store, phone: &mut Store, access: &Access, batch: &mut u64) -> u32 {
    let mut session = PhoneSession::new(PEER_ON_PHONE);
    let mut protocol = 0;
    for _ in 0..32 {
        *batch += 1;
        let Some(req) = session.next_request(phone, *batch).unwrap() else {
            return protocol;
        };
        if std::env::var("TRACE").is_ok() {
            eprintln!(
                "req push={:?} protocol={:?} claim_full={}",
                req.push
                    .iter()
                    .map(|d| (&d.doc, d.changes.len()))
                    .collect::<Vec<_>>(),
                req.protocol
                    .iter()
                    .map(|m| (&m.doc, m.msg.len()))
                    .collect::<Vec<_>>(),
                matches!(req.claim, gocua_sync::wire::Claim::Full(_))
            );
        }
        let (resp, stats) = hub_round(hub, access, req, HubLimits::default()).unwrap();
        if std::env::var("TRACE").is_ok() {
            eprintln!(
                "resp results={:?} pull={} new={} protocol={:?} need_manifest={}",
                resp.results,
                resp.pull.len(),
                resp.new_docs.len(),
                resp.protocol
                    .iter()
                    .map(|m| (&m.doc, m.msg.len()))
                    .collect::<Vec<_>>(),
                resp.need_manifest
            );
        }
        protocol += stats.protocol_msgs;
        let round = session.apply(phone, resp).unwrap();
        assert!(round.refused.is_empty(), "{:?}", round.refused);
    }
    panic!("sync did not settle in 32 rounds");
}

#[test]
fn records_that_claim_too_much_fall_back_to_the_automerge_protocol() {
    let g = small_ward(21, 20);
    let dir = tempfile::tempdir().unwrap();
    let mut hub = write_ward(&dir.path().join("hub.sqlite"), &g);
    let mut phone = Store::open(&dir.path().join("phone.sqlite")).unwrap();
    let team = TeamId::parse(g.teams[0].id.as_str()).unwrap();
    let access = Access {
        peer: "d-phone".into(),
        can_write_plan: Role::Volunteer.may_write_plan(),
        may_correct: false,
        allowed: hub.households_of_team(&team).unwrap().into_iter().collect(),
        ..Default::default()
    };
    let mut batch = 0;
    assert_eq!(
        sync(&mut hub, &mut phone, &access, &mut batch),
        0,
        "a first sync needs no protocol"
    );
    let hid = phone
        .manifest()
        .unwrap()
        .into_iter()
        .map(|m| m.0)
        .find(|d| d != "plan")
        .unwrap();
    let volunteer = g
        .volunteers
        .iter()
        .find(|v| v.team.as_ref() == Some(&team))
        .unwrap();
    let h = phone
        .household_state(&HouseholdId::parse(&hid).unwrap())
        .unwrap()
        .household;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);

    // Two visits; the phone wrongly believes the hub already has the first one (as after a hub
    // restored from an old backup), so its push of the second lacks a dependency on the hub.
    let v1 = gocua_wardgen::random_visit(&mut rng, &h, volunteer, Timestamp(1_795_348_800));
    phone.record_visit(&v1).unwrap();
    let heads = phone.doc_heads(&hid).unwrap().unwrap();
    phone
        .set_peer_records(PEER_ON_PHONE, &[(hid.clone(), heads)])
        .unwrap();
    let v2 = gocua_wardgen::random_visit(&mut rng, &h, volunteer, Timestamp(1_795_349_000));
    phone.record_visit(&v2).unwrap();

    let protocol = sync(&mut hub, &mut phone, &access, &mut batch);
    assert!(
        protocol > 0,
        "the fast path cannot settle this; the sync protocol must run"
    );
    let on_hub = hub.visit_ids().unwrap();
    assert!(on_hub.contains(v1.id.as_str()) && on_hub.contains(v2.id.as_str()));
    assert_eq!(hub.doc_heads(&hid).unwrap(), phone.doc_heads(&hid).unwrap());
    // The protocol's state is persisted per (peer, document) and a further sync is quiet.
    assert_eq!(sync(&mut hub, &mut phone, &access, &mut batch), 0);
    let ids = [hid.clone()];
    assert_eq!(
        hub.projection_dump(Some(&ids)).unwrap(),
        phone.projection_dump(Some(&ids)).unwrap()
    );
}
