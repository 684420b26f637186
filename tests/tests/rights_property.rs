//! Property: random devices of random roles and teams, honest and forged requests mixed, over
//! many seeds. No device ever receives a household outside its rights or changes one, no visit
//! lands credited as its device may not credit it, and every honest visit reaches the hub.
//!
//! Hub and phones are real replicas in temporary SQLite files; rights come from the hub crate's
//! own `access_for`, rounds from the real `hub_round` (stepped in process, no HTTP, so many
//! seeds stay fast). `GOCUA_RIGHTS_SEEDS` sets how many seeds run (default 12).

use std::collections::{BTreeMap, BTreeSet};

use automerge::sync::SyncDoc;
use gocua_domain::{Assignment, HouseholdId, Role, TeamId, Timestamp, Visit, VolunteerId};
use gocua_hub::server::access_for;
use gocua_store::{PLAN_DOC_ID, PlanEntry, Store, hub::Device};
use gocua_sync::wire::{Claim, DocDelta, DocMsg, HeldDoc, SyncRequest, SyncResponse};
use gocua_sync::{Access, HubLimits, PhoneSession, hub_round};
use gocua_tests::{paired_visit, small_ward, write_ward};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const EVENING: i64 = 1_795_348_800;

struct Dev {
    hub_record: Device,
    phone: Store,
    batch: u64,
    /// A second actor the device declared: what a tampered phone writes forged changes with.
    tampered_actor: automerge::ActorId,
}

fn add_device(
    hub: &Store,
    dir: &std::path::Path,
    i: usize,
    role: Role,
    team: Option<TeamId>,
    volunteer: Option<VolunteerId>,
) -> Dev {
    let code = gocua_sync::pairing::new_join_code((i as u64 + 1).to_le_bytes());
    let added = hub
        .hub_add_join_code(
            &code,
            role,
            team.as_ref(),
            volunteer.as_ref(),
            "test",
            i64::MAX,
        )
        .expect("code");
    assert!(added);
    let id = format!("d-{:016x}", i as u64 + 1);
    let gocua_store::hub::PairOutcome::Paired(dev) = hub
        .hub_pair(&code, &id, "máy", "token", 0, &Default::default())
        .expect("pair")
    else {
        panic!("a fresh code pairs");
    };
    let phone = Store::open(&dir.join(format!("phone-{i}.sqlite"))).expect("phone");
    // What pairing writes on the phone.
    phone.meta_set("device.id", &id).unwrap();
    phone.meta_set("device.role", role.as_str()).unwrap();
    if let Some(t) = &team {
        phone.meta_set("device.team", t.as_str()).unwrap();
    }
    if let Some(v) = &volunteer {
        phone.meta_set("device.volunteer", v.as_str()).unwrap();
    }
    // What the phone declares when it pairs.
    hub.hub_bind_actor(&id, phone.actor().to_bytes(), 0)
        .expect("bind actor");
    let tampered_actor = automerge::ActorId::random();
    hub.hub_bind_actor(&id, tampered_actor.to_bytes(), 0)
        .expect("bind actor");
    Dev {
        hub_record: dev,
        phone,
        batch: 0,
        tampered_actor,
    }
}

/// Checks one answer against what the device may receive, decided before the round.
fn check_answer(seed: u64, access: &Access, resp: &SyncResponse) {
    for d in resp
        .new_docs
        .iter()
        .map(|d| &d.doc)
        .chain(resp.pull.iter().map(|d| &d.doc))
    {
        assert!(
            d == PLAN_DOC_ID || access.allowed.contains(d),
            "seed {seed}: {} received {d} outside its rights",
            access.peer
        );
    }
    for m in &resp.protocol {
        if m.doc != PLAN_DOC_ID && !access.allowed.contains(&m.doc) {
            let msg = automerge::sync::Message::decode(&m.msg).expect("message");
            assert!(
                msg.changes.is_empty(),
                "seed {seed}: {} read {} through the protocol",
                access.peer,
                m.doc
            );
        }
    }
}

fn heads_of(hub: &Store) -> BTreeMap<String, Vec<gocua_store::ChangeHash>> {
    hub.manifest()
        .expect("manifest")
        .into_iter()
        .map(|(d, h, _)| (d, h))
        .collect()
}

fn honest_sync(seed: u64, hub: &mut Store, d: &mut Dev) {
    let mut session = PhoneSession::new("hub");
    for _ in 0..gocua_sync::protocol::MAX_ROUNDS {
        d.batch += 1;
        let Some(req) = session
            .next_request(&mut d.phone, d.batch)
            .expect("request")
        else {
            return;
        };
        let access = access_for(hub, &d.hub_record).expect("access");
        let (resp, _) = hub_round(hub, &access, req, HubLimits::default()).expect("round");
        check_answer(seed, &access, &resp);
        let round = session.apply(&mut d.phone, resp).expect("apply");
        assert!(
            round.refused.is_empty(),
            "seed {seed}: an honest device was refused: {:?}",
            round.refused
        );
    }
}

/// A forged request from device `d`: claims, protocol probes and pushes of crafted changes to
/// households chosen at random from the whole ward.
fn forged_request(
    rng: &mut ChaCha8Rng,
    hub: &mut Store,
    d: &Dev,
    g: &gocua_wardgen::GeneratedWard,
    former: &[String],
) -> SyncRequest {
    let all: Vec<String> = hub.hub_all_households().unwrap().into_iter().collect();
    let some = |rng: &mut ChaCha8Rng, n: usize| -> Vec<String> {
        (0..n).map(|_| all.choose(rng).unwrap().clone()).collect()
    };
    let claim = if rng.gen_bool(0.5) {
        Claim::Full(
            {
                let n = rng.gen_range(0..6);
                some(rng, n)
            }
            .into_iter()
            .map(|doc| HeldDoc { doc, heads: vec![] })
            .collect(),
        )
    } else {
        Claim::Digest([rng.r#gen(); 32])
    };
    let mut protocol = Vec::new();
    let n = rng.gen_range(0..3);
    let mut probed = some(rng, n);
    // Households reassigned away from the device are the ones it could still name rightly.
    if let Some(f) = former.choose(rng) {
        probed.push(f.clone());
    }
    for doc in probed {
        let mut empty = automerge::AutoCommit::new();
        let msg = empty
            .sync()
            .generate_sync_message(&mut automerge::sync::State::new())
            .unwrap()
            .encode();
        protocol.push(DocMsg { doc, msg });
    }
    let mut push = Vec::new();
    let n = rng.gen_range(0..3);
    for doc in some(rng, n) {
        // A visit on it, written on a copy of the hub's own bytes with the device's declared
        // actor (or, sometimes, an actor nobody declared), credited at random.
        let actor = if rng.gen_bool(0.8) {
            d.tampered_actor.clone()
        } else {
            automerge::ActorId::random()
        };
        let mut forged = automerge::AutoCommit::load(&hub.doc_bytes(&doc).unwrap().unwrap())
            .unwrap()
            .with_actor(actor);
        let base = forged.get_heads();
        let h = hub
            .household_state(&HouseholdId::parse(&doc).unwrap())
            .unwrap()
            .household;
        let vol = g.volunteers.choose(rng).unwrap();
        let at = Timestamp(EVENING + rng.gen_range(0..7200));
        let mut v: Visit = gocua_wardgen::random_visit(rng, &h, vol, at);
        if rng.gen_bool(0.5) {
            v = paired_visit(&d.phone, v);
        }
        gocua_store::household_doc::put_visit(&mut forged, &v).unwrap();
        let changes = if rng.gen_bool(0.1) {
            vec![0xAB; 40]
        } else {
            forged
                .get_changes(&base)
                .iter()
                .flat_map(|c| c.raw_bytes().to_vec())
                .collect()
        };
        push.push(DocDelta {
            doc,
            base: base.iter().map(|h| h.0).collect(),
            heads: vec![],
            changes,
        });
    }
    SyncRequest {
        batch: d.batch + 1,
        claim,
        push,
        protocol,
    }
}

/// What the forged rounds of a run met, so the test can check it tried what it claims to.
#[derive(Default, Debug)]
struct Seen {
    refusals: BTreeMap<String, u32>,
    forged_accepted: u32,
    probes: u32,
    /// Probes of households the device held before they were reassigned away.
    former_probes: u32,
}

fn run(seed: u64, seen: &mut Seen) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let g = small_ward(seed, 24);
    let dir = tempfile::tempdir().unwrap();
    let mut hub = write_ward(&dir.path().join("hub.sqlite"), &g);
    let teams: Vec<TeamId> = g.teams.iter().map(|t| t.id.clone()).collect();
    let mut devs = Vec::new();
    for i in 0..4 {
        // The first device leads, so work moves between teams in every run.
        let role = if i == 0 {
            Role::Lead
        } else {
            *[Role::Volunteer, Role::Volunteer, Role::Lead]
                .choose(&mut rng)
                .unwrap()
        };
        let team = if role == Role::Lead && rng.gen_bool(0.5) {
            None
        } else {
            Some(teams.choose(&mut rng).unwrap().clone())
        };
        let volunteer = match &team {
            Some(t) => g
                .volunteers
                .iter()
                .filter(|v| v.team.as_ref() == Some(t))
                .collect::<Vec<_>>()
                .choose(&mut rng)
                .map(|v| v.id.clone()),
            None => None,
        };
        let volunteer = if role == Role::Volunteer || rng.gen_bool(0.5) {
            volunteer
        } else {
            None
        };
        if role == Role::Volunteer && volunteer.is_none() {
            continue;
        }
        devs.push(add_device(&hub, dir.path(), i, role, team, volunteer));
    }
    for d in devs.iter_mut() {
        honest_sync(seed, &mut hub, d);
    }
    let mut honest: BTreeSet<String> = BTreeSet::new();
    let mut forged_rounds = 0;
    for _ in 0..40 {
        let i = rng.gen_range(0..devs.len());
        match rng.gen_range(0..10) {
            0..=2 => {
                let d = &mut devs[i];
                let held: Vec<String> = d
                    .phone
                    .manifest()
                    .unwrap()
                    .into_iter()
                    .map(|(id, _, _)| id)
                    .filter(|id| id != PLAN_DOC_ID)
                    .collect();
                if let Some(hid) = held.choose(&mut rng) {
                    let h = d
                        .phone
                        .household_state(&HouseholdId::parse(hid).unwrap())
                        .unwrap()
                        .household;
                    let vol = g.volunteers.choose(&mut rng).unwrap();
                    let at = Timestamp(EVENING + rng.gen_range(0..7200));
                    let v =
                        paired_visit(&d.phone, gocua_wardgen::random_visit(&mut rng, &h, vol, at));
                    d.phone.record_visit(&v).unwrap();
                    honest.insert(v.id.to_string());
                }
            }
            3..=4 => {
                let d = &mut devs[i];
                if d.hub_record.role >= Role::Lead {
                    let street = g.streets.choose(&mut rng).unwrap().id.clone();
                    d.phone
                        .put_plan(&[PlanEntry::StreetAssignment {
                            street,
                            assignment: Assignment {
                                team: teams.choose(&mut rng).unwrap().clone(),
                                volunteer: None,
                                at: Timestamp(EVENING + rng.gen_range(0..7200)),
                                by: None,
                            },
                        }])
                        .unwrap();
                    honest_sync(seed, &mut hub, d);
                }
            }
            5..=6 => honest_sync(seed, &mut hub, &mut devs[i]),
            _ => {
                forged_rounds += 1;
                let access = access_for(&hub, &devs[i].hub_record).expect("access");
                let former: Vec<String> =
                    access.held.difference(&access.allowed).cloned().collect();
                seen.former_probes += u32::from(!former.is_empty());
                let req = forged_request(&mut rng, &mut hub, &devs[i], &g, &former);
                devs[i].batch += 1;
                let before = heads_of(&hub);
                let visits_before = hub.visit_ids().unwrap();
                seen.probes += req.protocol.len() as u32;
                if let Ok((resp, _)) = hub_round(&mut hub, &access, req, HubLimits::default()) {
                    check_answer(seed, &access, &resp);
                    for r in &resp.results {
                        match r {
                            gocua_sync::wire::DocResult::Refused { code, .. } => {
                                *seen.refusals.entry(code.clone()).or_default() += 1
                            }
                            gocua_sync::wire::DocResult::Accepted { .. } => {
                                seen.forged_accepted += 1
                            }
                            _ => {}
                        }
                    }
                }
                let after = heads_of(&hub);
                for (doc, heads) in &after {
                    if before.get(doc) != Some(heads) {
                        assert!(
                            access.allowed.contains(doc)
                                || access.held.contains(doc)
                                || (doc == PLAN_DOC_ID && access.can_write_plan),
                            "seed {seed}: {} changed {doc} outside its rights",
                            access.peer
                        );
                    }
                }
                let me = &devs[i].hub_record;
                let new: BTreeSet<String> = hub
                    .visit_ids()
                    .unwrap()
                    .difference(&visits_before)
                    .cloned()
                    .collect();
                for v in visits_in(&mut hub, before.keys(), &new) {
                    assert_eq!(
                        v.device.as_ref().map(|d| d.as_str()),
                        Some(me.id.as_str()),
                        "seed {seed}: a visit landed in another device's name"
                    );
                    if me.role == Role::Volunteer {
                        assert_eq!(Some(&v.volunteer), me.volunteer.as_ref(), "seed {seed}");
                    }
                }
            }
        }
    }
    // Everyone syncs until quiet: every honest visit is on the hub, each phone holds its team's.
    for _ in 0..3 {
        for d in devs.iter_mut() {
            honest_sync(seed, &mut hub, d);
        }
    }
    let on_hub = hub.visit_ids().unwrap();
    let lost: Vec<&String> = honest.difference(&on_hub).collect();
    assert!(lost.is_empty(), "seed {seed}: honest visits lost: {lost:?}");
    for d in &devs {
        let access = access_for(&hub, &d.hub_record).unwrap();
        for (doc, _, _) in d.phone.manifest().unwrap() {
            assert!(
                doc == PLAN_DOC_ID || access.allowed.contains(&doc),
                "seed {seed}: {} still holds {doc}",
                access.peer
            );
        }
    }
    assert!(
        forged_rounds > 0 || devs.len() < 2,
        "seed {seed} forged nothing"
    );
}

/// The visits with these ids, looked up in the listed households.
fn visits_in<'a>(
    hub: &mut Store,
    docs: impl Iterator<Item = &'a String>,
    ids: &BTreeSet<String>,
) -> Vec<Visit> {
    if ids.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for doc in docs.filter(|d| *d != PLAN_DOC_ID) {
        let st = hub
            .household_state(&HouseholdId::parse(doc).unwrap())
            .unwrap();
        out.extend(
            st.visits
                .into_iter()
                .filter(|v| ids.contains(v.id.as_str())),
        );
    }
    assert_eq!(out.len(), ids.len(), "every new visit found");
    out
}

#[test]
fn no_device_receives_or_changes_a_household_outside_its_rights() {
    let seeds: u64 = std::env::var("GOCUA_RIGHTS_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let mut seen = Seen::default();
    for seed in 0..seeds {
        run(seed, &mut seen);
    }
    eprintln!("{seen:?}");
    for code in ["forbidden_household", "forbidden_edit", "corrupt_changes"] {
        assert!(
            seen.refusals.contains_key(code),
            "never refused as {code}: {seen:?}"
        );
    }
    assert!(
        seen.forged_accepted > 0 && seen.probes > 0 && seen.former_probes > 0,
        "{seen:?}"
    );
}
