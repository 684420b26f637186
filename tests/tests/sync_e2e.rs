//! End-to-end sync through the real HTTPS hub on loopback: phones edit offline, syncs are cut
//! off, the hub restarts, leads reassign work; everything converges and no visit is lost.

use std::collections::{BTreeMap, BTreeSet};

use gocua_domain::{
    Assignment, Correction, CorrectionId, Funnel, HouseholdId, Role, Timestamp, Volunteer,
};
use gocua_store::{PLAN_DOC_ID, PlanEntry, Store};
use gocua_tests::{Phone, TestHub, small_ward, visit_ids};
use rand::{Rng, SeedableRng, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;

struct Device {
    phone: Phone,
    role: Role,
    team: Option<String>,
    volunteer: Volunteer,
}

fn evening(rng: &mut ChaCha8Rng) -> Timestamp {
    // 2026-11-22 19:00 local plus up to two hours.
    Timestamp(1_795_348_800 + rng.gen_range(0..7200))
}

fn random_work(
    d: &mut Device,
    rng: &mut ChaCha8Rng,
    teams: &[String],
    recorded: &mut BTreeSet<String>,
) {
    let held = d.phone.household_ids();
    if held.is_empty() {
        return;
    }
    for _ in 0..rng.gen_range(1..5) {
        let hid = held.choose(rng).expect("held");
        let h = d
            .phone
            .store
            .household_state(&HouseholdId::parse(hid).expect("id"))
            .expect("state")
            .household;
        let at = evening(rng);
        let v = d
            .phone
            .record(gocua_wardgen::random_visit(rng, &h, &d.volunteer, at));
        recorded.insert(v.id.to_string());
    }
    if d.role != Role::Volunteer && rng.gen_bool(0.7) {
        let plan = d.phone.store.plan_state().expect("plan");
        // Reassign a street, or a single hard household, to another team.
        let team = gocua_domain::TeamId::parse(teams.choose(rng).expect("team")).expect("team id");
        let assignment = Assignment {
            team,
            volunteer: None,
            at: evening(rng),
            by: Some(d.volunteer.id.clone()),
        };
        let entry = if rng.gen_bool(0.5) {
            PlanEntry::StreetAssignment {
                street: plan.streets.choose(rng).expect("street").id.clone(),
                assignment,
            }
        } else {
            let hid = HouseholdId::parse(held.choose(rng).expect("held")).expect("id");
            PlanEntry::HouseholdAssignment {
                household: hid,
                assignment: Some(assignment),
            }
        };
        d.phone.store.put_plan(&[entry]).expect("reassign");
        // And a correction of one resident.
        let hid = HouseholdId::parse(held.choose(rng).expect("held")).expect("id");
        let st = d.phone.store.household_state(&hid).expect("state");
        if let Some(r) = st.household.residents.choose(rng) {
            let c = Correction::new(
                CorrectionId::random(rng.r#gen()),
                r.id.clone(),
                evening(rng),
                d.volunteer.id.clone(),
                Funnel::default(),
                "nhập nhầm trạng thái",
            )
            .expect("correction");
            d.phone.store.add_correction(&hid, &c).expect("correct");
        }
    }
}

fn household_dump(store: &Store, ids: &[String]) -> String {
    store.projection_dump(Some(ids)).expect("dump")
}

/// What happened across a run, so the test can check it exercised what it claims to.
#[derive(Default, Debug)]
struct Seen {
    cut_syncs_failed: u32,
    dropped: u32,
    reassignments: u32,
    visits: u32,
}

async fn converge_once(seed: u64, seen: &mut Seen) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let g = small_ward(seed, 40);
    let teams: Vec<String> = g.teams.iter().map(|t| t.id.to_string()).collect();
    let mut hub = TestHub::start(&g).await;
    let pick = |team: &str, role: Role| -> Volunteer {
        g.volunteers
            .iter()
            .find(|v| {
                v.team.as_ref().map(|t| t.as_str()) == Some(team)
                    && (role == Role::Volunteer || v.role == role)
            })
            .or_else(|| {
                g.volunteers
                    .iter()
                    .find(|v| v.team.as_ref().map(|t| t.as_str()) == Some(team))
            })
            .cloned()
            .expect("volunteer")
    };
    let layout = [
        (Role::Volunteer, Some(teams[0].clone())),
        (Role::Volunteer, Some(teams[0].clone())),
        (Role::Volunteer, Some(teams[1].clone())),
        (Role::Lead, None),
        (Role::Lead, None),
    ];
    let mut devices = Vec::new();
    for (i, (role, team)) in layout.iter().enumerate() {
        let mut phone = Phone::new(&format!("máy {i}"));
        phone
            .pair(&hub.pairing(*role, team.as_deref()))
            .await
            .expect("pair");
        let volunteer = pick(team.as_deref().unwrap_or(&teams[2]), *role);
        devices.push(Device {
            phone,
            role: *role,
            team: team.clone(),
            volunteer,
        });
    }
    for d in devices.iter_mut() {
        d.phone.sync().await.expect("first sync");
    }
    let mut recorded: BTreeSet<String> = hub.with_store(|s| visit_ids(s));
    let authors_before: BTreeMap<String, String> = BTreeMap::new();
    let _ = authors_before;

    for round in 0..5 {
        for d in devices.iter_mut() {
            if rng.gen_bool(0.8) {
                random_work(d, &mut rng, &teams, &mut recorded);
            }
        }
        if round == 2 {
            hub.restart().await;
        }
        let order: Vec<usize> = {
            let mut o: Vec<usize> = (0..devices.len()).collect();
            o.shuffle(&mut rng);
            o
        };
        for i in order {
            if rng.gen_bool(0.3) {
                // Cut the answer off part-way: the phone gets an error and loses nothing.
                hub.proxy.cut_next_after(rng.gen_range(0..3000));
                match devices[i].phone.sync().await {
                    Err(_) => seen.cut_syncs_failed += 1,
                    Ok(r) => seen.dropped += r.dropped,
                }
            } else if rng.gen_bool(0.8) {
                seen.dropped += devices[i].phone.sync().await.expect("sync").dropped;
            }
        }
    }
    // Everyone syncs until nothing moves.
    for _ in 0..4 {
        for d in devices.iter_mut() {
            seen.dropped += d.phone.sync().await.expect("final sync").dropped;
        }
    }

    let hub_visits = hub.with_store(|s| visit_ids(s));
    seen.visits += recorded.len() as u32;
    seen.reassignments +=
        hub.with_store(|s| s.plan_state().expect("plan").household_assign.len() as u32);
    let lost: Vec<&String> = recorded.difference(&hub_visits).collect();
    assert!(
        lost.is_empty(),
        "seed {seed}: visits lost on the hub: {lost:?}"
    );
    let hub_plan = hub.with_store(|s| s.doc_heads(PLAN_DOC_ID).expect("heads"));
    for d in &devices {
        let held = d.phone.household_ids();
        let expected: BTreeSet<String> = hub.with_store(|s| match (&d.role, &d.team) {
            (Role::Volunteer, Some(t)) | (Role::Lead, Some(t)) => s
                .households_of_team(&gocua_domain::TeamId::parse(t).expect("team"))
                .expect("team docs")
                .into_iter()
                .collect(),
            _ => s.hub_all_households().expect("all"),
        });
        assert_eq!(
            held.iter().cloned().collect::<BTreeSet<_>>(),
            expected,
            "seed {seed}: {} holds the wrong documents",
            d.phone.name
        );
        assert_eq!(
            d.phone.store.doc_heads(PLAN_DOC_ID).expect("plan heads"),
            hub_plan,
            "seed {seed}: plan differs"
        );
        let theirs = household_dump(&d.phone.store, &held);
        let ours = hub.with_store(|s| household_dump(s, &held));
        assert_eq!(
            theirs, ours,
            "seed {seed}: {} did not converge with the hub",
            d.phone.name
        );
        // Every visit this phone holds keeps its author.
        for v in visit_ids(&d.phone.store) {
            assert!(hub_visits.contains(&v));
        }
    }
    if let Some(r) = hub.running.take() {
        r.stop().await;
    }
}

/// The property: for many seeds, random offline work converges and loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_converge_with_the_hub_over_many_seeds() {
    let seeds: u64 = std::env::var("GOCUA_E2E_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let mut seen = Seen::default();
    for seed in 0..seeds {
        converge_once(seed, &mut seen).await;
    }
    eprintln!("{seen:?}");
    // The run must have exercised cut syncs, reassignments that dropped documents, and visits.
    assert!(
        seen.cut_syncs_failed > 0 && seen.dropped > 0 && seen.reassignments > 0 && seen.visits > 0,
        "{seen:?}"
    );
}

/// The hub's replica is restored from an old backup: phones still hold what it lost, and the
/// sync protocol (not just the fast path) brings every visit back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_restored_from_an_old_backup_gets_everything_back() {
    let g = small_ward(11, 30);
    let team = g.teams[0].id.to_string();
    let mut hub = TestHub::start(&g).await;
    let mut phone = Phone::new("máy");
    phone
        .pair(&hub.pairing(Role::Volunteer, Some(&team)))
        .await
        .expect("pair");
    phone.sync().await.expect("sync");
    let volunteer = g
        .volunteers
        .iter()
        .find(|v| v.team.as_ref().map(|t| t.as_str()) == Some(team.as_str()))
        .unwrap()
        .clone();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut dev = Device {
        phone,
        role: Role::Volunteer,
        team: Some(team.clone()),
        volunteer,
    };
    let mut recorded = BTreeSet::new();
    random_work(
        &mut dev,
        &mut rng,
        std::slice::from_ref(&team),
        &mut recorded,
    );
    dev.phone.sync().await.expect("sync");

    // Back up the hub (stopped, so the file is whole), then keep working.
    if let Some(r) = hub.running.take() {
        r.stop().await;
    }
    let backup = hub.dir.path().join("backup.sqlite");
    std::fs::copy(&hub.db, &backup).expect("backup");
    hub.restart().await;
    for _ in 0..3 {
        random_work(
            &mut dev,
            &mut rng,
            std::slice::from_ref(&team),
            &mut recorded,
        );
        dev.phone.sync().await.expect("sync");
    }
    // Disaster: restore the old backup. The restored hub takes a new actor id.
    if let Some(r) = hub.running.take() {
        r.stop().await;
    }
    std::fs::copy(&backup, &hub.db).expect("restore");
    let _ = std::fs::remove_file(hub.db.with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(hub.db.with_extension("sqlite-shm"));
    Store::open(&hub.db)
        .expect("open")
        .rotate_actor()
        .expect("rotate");
    hub.restart().await;
    // The phone worked on meanwhile, on top of changes the restored hub no longer has.
    random_work(
        &mut dev,
        &mut rng,
        std::slice::from_ref(&team),
        &mut recorded,
    );
    let before = hub.with_store(|s| visit_ids(s));
    assert!(
        !recorded.is_subset(&before),
        "the backup must really be missing visits"
    );
    for _ in 0..3 {
        dev.phone.sync().await.expect("sync after restore");
    }
    let after = hub.with_store(|s| visit_ids(s));
    let lost: Vec<_> = recorded.difference(&after).collect();
    assert!(lost.is_empty(), "visits lost after the restore: {lost:?}");
    let held = dev.phone.household_ids();
    assert_eq!(
        household_dump(&dev.phone.store, &held),
        hub.with_store(|s| household_dump(s, &held))
    );
}
