//! Benchmarks of sync against the product's targets, each beside a baseline measured in the
//! same run: a phone's sync after 40 offline visits (vs the Automerge change bytes of those
//! visits), a lead's first full sync of the 10,000-household ward (vs the same data as one
//! Automerge document synced with Automerge's own protocol; and with an encrypted phone against
//! a plain one), 50 phones syncing at once, the hub's memory with the ward loaded on demand, and
//! the load curve: 10, 50, 100 and 200 phones' first syncs and 40-visit syncs at once.
//!
//! A plain timing binary (`harness = false`) that prints a Markdown table. `cargo bench -p
//! gocua-tests` runs it in full; without `--bench` on the command line (as `cargo test
//! --benches` runs it) or with `GOCUA_BENCH_QUICK=1` it smoke-runs every step on small wards.
//! A first argument that does not start with `--` picks sections by name: visits | lead | crowd | load.
//!
//! The hub of the lead's sync runs as a separate process, so its memory is its own: the `gocua`
//! binary (`gocua hub serve`, from `cargo build --release -p gocua-cli`) when it is built next
//! to this one, otherwise this same binary re-executed in hub mode (see [`HUB_CHILD_ENV`]).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use gocua_client::HUB_PEER;
use gocua_domain::{HouseholdId, Role, TeamId, Timestamp, Volunteer};
use gocua_hub::{HubConfig, RunningHub};
use gocua_store::{Store, StoreOptions};
use gocua_sync::pairing::PairingPayload;
use gocua_sync::wire::{self, SavedDoc, SyncResponse};
use gocua_sync::{Access, HubLimits, PhoneSession, Replica, hub_round};
use gocua_tests::{Phone, write_ward};
use gocua_wardgen::{GeneratedWard, WardSpec, generate, random_visit};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Set to a database path, this binary runs a hub on it instead of the benchmarks: prints
/// `READY <pairing payload for a lead>` and serves until its standard input closes.
const HUB_CHILD_ENV: &str = "GOCUA_BENCH_HUB_CHILD";
/// Set to `load-all:<db>` or `encode-page:<db>`, this binary measures one thing about memory in
/// a fresh process (where the allocator holds nothing from earlier steps) and prints
/// `PROBE <bytes>`.
const PROBE_ENV: &str = "GOCUA_BENCH_PROBE";
const SEED: u64 = 2026;

/// What each section does, scaled down in quick mode.
struct Sizes {
    /// Wards for the offline-visits sync: the volunteer's team holds about the same number of
    /// households in each, so only the ward's size changes.
    visit_wards: Vec<WardSpec>,
    visits: usize,
    /// Repetitions of the offline-visits sync, each with new visits; medians are reported.
    visit_reps: usize,
    lead_ward: WardSpec,
    /// Households the lead visits (and pushes) after its first sync, to fill the hub's cache.
    lead_pushes: usize,
    /// Full syncs of a plain and of an encrypted lead's phone, each.
    encrypted_reps: usize,
    crowd_ward: WardSpec,
    phones: usize,
    /// Rounds of "everyone visits a few households offline, then all sync at once".
    crowd_waves: usize,
    load_ward: WardSpec,
    /// Phones at once, one hub process per count: the curve.
    load_phones: Vec<usize>,
    /// Offline visits per phone before the sync at once.
    load_visits: usize,
}

fn main() {
    if let Ok(db) = std::env::var(HUB_CHILD_ENV) {
        hub_child(Path::new(&db));
        return;
    }
    if let Ok(spec) = std::env::var(PROBE_ENV) {
        probe(&spec);
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = !args.iter().any(|a| a == "--bench")
        || std::env::var("GOCUA_BENCH_QUICK").is_ok_and(|v| v == "1");
    let filter: Option<String> = args.iter().find(|a| !a.starts_with("--")).cloned();
    let wanted = |section: &str| filter.as_deref().is_none_or(|f| section.contains(f));
    let sizes = if quick {
        Sizes {
            visit_wards: vec![
                WardSpec {
                    teams: 2,
                    ..WardSpec::small(SEED).with_households(40)
                },
                WardSpec::small(SEED).with_households(120),
            ],
            visits: 8,
            visit_reps: 1,
            lead_ward: WardSpec::small(SEED).with_households(120),
            lead_pushes: 20,
            encrypted_reps: 1,
            crowd_ward: WardSpec::small(SEED).with_households(60),
            phones: 6,
            crowd_waves: 1,
            load_ward: WardSpec::small(SEED).with_households(60),
            load_phones: vec![2, 4],
            load_visits: 3,
        }
    } else {
        Sizes {
            // Two teams share 2,000 homes: about 1,000 each, as each of the ten teams has in
            // the full ward.
            visit_wards: vec![
                WardSpec {
                    teams: 2,
                    volunteers: 8,
                    ..WardSpec::full(SEED).with_households(2_000)
                },
                WardSpec::full(SEED),
            ],
            visits: 40,
            visit_reps: 7,
            lead_ward: WardSpec::full(SEED),
            lead_pushes: 2_000,
            encrypted_reps: 3,
            crowd_ward: WardSpec::full(SEED),
            phones: 50,
            crowd_waves: 3,
            // One volunteer per phone at 200 phones: 20 in each of the ten teams.
            load_ward: WardSpec {
                volunteers: 200,
                ..WardSpec::full(SEED)
            },
            load_phones: vec![10, 50, 100, 200],
            load_visits: 40,
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let work = tempfile::tempdir().expect("temporary directory");
    let mut out = Report::default();
    let started = Instant::now();
    gocua_tests::print_bench_header(quick, "quick (smoke run, small wards)");

    // Wards are written once and copied for each hub that needs a fresh replica.
    let mut wards = Wards::new(work.path());
    if wanted("visits") {
        let made: Vec<(GeneratedWard, PathBuf)> = sizes
            .visit_wards
            .iter()
            .map(|spec| wards.get(spec))
            .collect();
        rt.block_on(offline_visits(&sizes, &made, work.path(), &mut out));
    }
    if wanted("lead") {
        let (g, file) = wards.get(&sizes.lead_ward);
        lead_first_sync(&rt, &sizes, &g, &file, work.path(), &mut out);
    }
    if wanted("crowd") {
        let (g, file) = wards.get(&sizes.crowd_ward);
        rt.block_on(crowd(&sizes, &g, &file, work.path(), &mut out));
    }
    if wanted("load") {
        let (g, file) = wards.get(&sizes.load_ward);
        for &n in &sizes.load_phones {
            rt.block_on(load(n, false, &sizes, &g, &file, work.path(), &mut out));
        }
        // The same-run baseline: the most phones, with every commit waiting for the disk inside
        // the hub's store lock (as before rounds shared their flushes).
        if let Some(&n) = sizes.load_phones.last() {
            rt.block_on(load(n, true, &sizes, &g, &file, work.path(), &mut out));
        }
    }
    out.print();
    println!(
        "\ntotal bench time {:.1} s; load average at the end {}",
        started.elapsed().as_secs_f64(),
        gocua_tests::load_average()
    );
}

// ---------------------------------------------------------------------------------------------
// Report

#[derive(Default)]
struct Report {
    rows: Vec<[String; 5]>,
    verdicts: Vec<String>,
    notes: Vec<String>,
}

impl Report {
    fn row(&mut self, what: &str, setup: &str, measured: String, baseline: String, ratio: String) {
        eprintln!("  {what}: {measured} | {baseline} | {ratio}");
        self.rows
            .push([what.into(), setup.into(), measured, baseline, ratio]);
    }

    fn print(&self) {
        println!("\n| measurement | setup | measured | baseline (same run) | ratio |");
        println!("| --- | --- | --- | --- | --- |");
        for r in &self.rows {
            println!("| {} | {} | {} | {} | {} |", r[0], r[1], r[2], r[3], r[4]);
        }
        for (i, v) in self.verdicts.iter().enumerate() {
            println!("{}- {v}", if i == 0 { "\n" } else { "" });
        }
        for (i, n) in self.notes.iter().enumerate() {
            println!("{}- {n}", if i == 0 { "\n" } else { "" });
        }
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

fn msf(millis: f64) -> String {
    ms(Duration::from_secs_f64(millis.max(0.0) / 1000.0))
}

fn kib(bytes: u64) -> String {
    if bytes >= 10 << 20 {
        format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
    } else if bytes >= 10 << 10 {
        format!("{:.0} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

/// Nearest-rank percentile.
fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * s.len() as f64).ceil().max(1.0) as usize;
    s[rank.min(s.len()) - 1]
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

// ---------------------------------------------------------------------------------------------
// Wards and hubs

/// Generated wards, each written once to a replica file.
struct Wards {
    dir: PathBuf,
    made: Vec<(WardSpec, GeneratedWard, PathBuf)>,
}

impl Wards {
    fn new(dir: &Path) -> Wards {
        Wards {
            dir: dir.join("wards"),
            made: Vec::new(),
        }
    }

    fn get(&mut self, spec: &WardSpec) -> (GeneratedWard, PathBuf) {
        if let Some((_, g, p)) = self.made.iter().find(|(s, _, _)| s == spec) {
            return (g.clone(), p.clone());
        }
        std::fs::create_dir_all(&self.dir).expect("wards folder");
        let g = generate(spec);
        let path = self.dir.join(format!("ward-{}.sqlite", self.made.len()));
        let t = Instant::now();
        drop(write_ward(&path, &g));
        eprintln!(
            "wrote a ward of {} households, {} residents, {} visits, {} teams in {}",
            g.households.len(),
            g.resident_count(),
            g.visits.len(),
            g.teams.len(),
            ms(t.elapsed())
        );
        self.made.push((spec.clone(), g.clone(), path.clone()));
        (g, path)
    }
}

/// Copies a closed replica (and its WAL, if any) into a new folder of its own.
fn copy_replica(from: &Path, root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("hub folder");
    let to = dir.join("hub.sqlite");
    std::fs::copy(from, &to).expect("copy replica");
    for ext in ["sqlite-wal", "sqlite-shm"] {
        let side = from.with_extension(ext);
        if side.exists() {
            std::fs::copy(&side, to.with_extension(ext)).expect("copy replica side file");
        }
    }
    to
}

async fn start_hub(db: &Path) -> RunningHub {
    gocua_hub::start(HubConfig {
        db: db.to_path_buf(),
        bind: "127.0.0.1:0".parse().expect("addr"),
        advertise: vec!["127.0.0.1".into()],
        limits: HubLimits::default(),
        http: Default::default(),
        key: None,
        durability: gocua_store::Durability::Grouped,
    })
    .await
    .expect("start hub")
}

/// A pairing payload that reaches an in-process hub directly (no proxy in between).
fn pairing(hub: &RunningHub, role: Role, team: Option<&TeamId>) -> String {
    let store = hub.hub.store.lock().expect("hub store");
    let now = gocua_hub::server::now();
    gocua_hub::new_pairing(
        &store,
        &gocua_tests::device_for(&store, role, team),
        &gocua_hub::HubIdentity {
            urls: &hub.urls,
            fingerprint: hub.fingerprint,
            ward: &hub.hub.ward,
        },
        600,
        now,
    )
    .expect("pairing")
    .to_uri()
}

fn volunteers_of<'a>(g: &'a GeneratedWard, team: &TeamId) -> Vec<&'a Volunteer> {
    g.volunteers
        .iter()
        .filter(|v| v.team.as_ref() == Some(team))
        .collect()
}

fn evening(rng: &mut impl Rng) -> Timestamp {
    // 2026-11-22 19:00 local plus up to two hours.
    Timestamp(1_795_348_800 + rng.gen_range(0..7200))
}

/// Records a visit on each household offline; returns the Automerge change bytes they made
/// (what an ideal sync would have to carry) and the visit ids.
fn visit_offline(
    phone: &mut Store,
    households: &[String],
    volunteer: &Volunteer,
    rng: &mut impl Rng,
) -> (u64, Vec<String>) {
    let mut ids = Vec::new();
    let mut before = Vec::new();
    for hid in households {
        before.push(phone.doc_heads(hid).expect("heads").expect("held document"));
        let h = phone
            .household_state(&HouseholdId::parse(hid).expect("id"))
            .expect("state");
        let at = evening(rng);
        let v = gocua_tests::paired_visit(phone, random_visit(rng, &h.household, volunteer, at));
        phone.record_visit(&v).expect("record visit");
        ids.push(v.id.to_string());
    }
    let mut bytes = 0u64;
    for (hid, heads) in households.iter().zip(&before) {
        bytes += phone.changes_since(hid, heads).expect("changes").len() as u64;
    }
    (bytes, ids)
}

/// Wall time of the parts of one sync run in process (no HTTPS): stands in for a profiler,
/// which this machine does not have.
#[derive(Default)]
struct Split {
    total: Duration,
    /// The phone building requests (manifest, records, changes since).
    request: Duration,
    encode: Duration,
    decode: Duration,
    /// `hub_round`, and the hub's own device and access look-ups before it.
    hub: Duration,
    /// The phone merging the answer.
    apply: Duration,
    rounds: u32,
    note: String,
}

/// One whole sync between a phone store and a hub store, in process, with the frames encoded
/// and decoded as on the network.
fn sync_in_process(phone: &mut Store, hub: &mut Store, access: &Access) -> Split {
    let mut session = PhoneSession::new(HUB_PEER);
    let mut s = Split::default();
    let t0 = Instant::now();
    let mut batch: u64 = phone
        .meta_get("sync.batch")
        .ok()
        .flatten()
        .and_then(|b| b.parse().ok())
        .unwrap_or(0);
    loop {
        batch += 1;
        let t = Instant::now();
        let Some(req) = session.next_request(phone, batch).expect("request") else {
            break;
        };
        s.request += t.elapsed();
        let t = Instant::now();
        let up = wire::encode(&req).expect("encode");
        s.encode += t.elapsed();
        let t = Instant::now();
        let req = wire::decode(&up).expect("decode");
        s.decode += t.elapsed();
        let t = Instant::now();
        let (resp, _) = hub_round(hub, access, req, HubLimits::default()).expect("hub round");
        s.hub += t.elapsed();
        let t = Instant::now();
        let down = wire::encode(&resp).expect("encode");
        s.encode += t.elapsed();
        let t = Instant::now();
        let resp: SyncResponse = wire::decode(&down).expect("decode");
        s.decode += t.elapsed();
        let t = Instant::now();
        session.apply(phone, resp).expect("apply");
        s.apply += t.elapsed();
        s.rounds += 1;
    }
    phone
        .meta_set("sync.batch", &batch.to_string())
        .expect("batch");
    s.total = t0.elapsed();
    s
}

fn split_text(s: &Split) -> String {
    format!(
        "total {}: phone builds requests {}, hub {}, frames encode {} + decode {}, phone merges {}",
        ms(s.total),
        ms(s.request),
        ms(s.hub),
        ms(s.encode),
        ms(s.decode),
        ms(s.apply)
    )
}

// ---------------------------------------------------------------------------------------------
// 1. One phone's sync after 40 offline visits

/// One ward's hub and a volunteer's phone on it, for the offline-visits sync.
struct VisitRig {
    n: usize,
    /// The ward as written, before any of this bench's visits.
    ward: PathBuf,
    hub: RunningHub,
    phone: Phone,
    volunteer: Volunteer,
    held: usize,
    order: Vec<String>,
    next: usize,
    rng: ChaCha8Rng,
    times: Vec<f64>,
    wire_bytes: Vec<f64>,
    change_bytes: Vec<f64>,
    recorded: BTreeSet<String>,
}

impl VisitRig {
    async fn new(g: &GeneratedWard, ward: &Path, root: &Path) -> VisitRig {
        let n = g.households.len();
        let db = copy_replica(ward, root, &format!("visits-{n}"));
        let hub = start_hub(&db).await;
        let team = g.teams[0].id.clone();
        let volunteer = volunteers_of(g, &team)[0].clone();
        let mut phone = Phone::new("máy tình nguyện viên");
        phone
            .pair(&pairing(&hub, Role::Volunteer, Some(&team)))
            .await
            .expect("pair");
        let first = phone.sync().await.expect("first sync");
        let mut order = phone.household_ids();
        eprintln!(
            "ward {n}: the volunteer's first sync brought {} documents ({}) in {} ms",
            first.new_docs,
            kib(first.bytes_up + first.bytes_down),
            first.elapsed_ms
        );
        let mut rng = ChaCha8Rng::seed_from_u64(SEED + n as u64);
        order.shuffle(&mut rng);
        VisitRig {
            n,
            ward: ward.to_path_buf(),
            hub,
            phone,
            volunteer,
            held: order.len(),
            order,
            next: 0,
            rng,
            times: Vec::new(),
            wire_bytes: Vec::new(),
            change_bytes: Vec::new(),
            recorded: BTreeSet::new(),
        }
    }

    /// The next households to visit: distinct within one call, cycling through the held ones.
    fn next_households(&mut self, k: usize) -> Vec<String> {
        let k = k.min(self.order.len());
        let out = (0..k)
            .map(|i| self.order[(self.next + i) % self.order.len()].clone())
            .collect();
        self.next = (self.next + k) % self.order.len();
        out
    }

    /// Visits `k` households offline, then syncs through HTTPS.
    async fn rep(&mut self, k: usize) {
        let these = self.next_households(k);
        let (bytes, ids) = visit_offline(
            &mut self.phone.store,
            &these,
            &self.volunteer,
            &mut self.rng,
        );
        self.recorded.extend(ids);
        let t = Instant::now();
        let r = self.phone.sync().await.expect("sync");
        self.times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(
            r.accepted as usize,
            these.len(),
            "every visited household is accepted: {r:?}"
        );
        assert!(
            r.refused.is_empty() && r.protocol_msgs == 0,
            "fast path only: {r:?}"
        );
        assert_eq!(r.rounds, 1, "{r:?}");
        self.wire_bytes.push((r.bytes_up + r.bytes_down) as f64);
        self.change_bytes.push(bytes as f64);
    }

    /// Visits `k` households offline, then syncs in process, timed part by part.
    fn split(&mut self, k: usize) -> Split {
        let these = self.next_households(k);
        let _ = visit_offline(
            &mut self.phone.store,
            &these,
            &self.volunteer,
            &mut self.rng,
        );
        // The pushes this sync will make, kept to merge them again below.
        let deltas: Vec<(String, Vec<u8>)> = these
            .iter()
            .map(|id| {
                let base = self.phone.store.peer_heads(HUB_PEER, id).expect("records");
                let base = base.unwrap_or_default();
                (
                    id.clone(),
                    self.phone.store.changes_since(id, &base).expect("changes"),
                )
            })
            .collect();
        let phone = &mut self.phone.store;
        let mut hub_store = self.hub.hub.store.lock().expect("hub store");
        let t = Instant::now();
        let id = phone.meta_get("device.id").expect("meta").expect("paired");
        let token = phone
            .meta_get("device.token")
            .expect("meta")
            .expect("paired");
        let dev = hub_store
            .hub_device_by_token(&id, &token)
            .expect("device")
            .expect("known");
        let access = gocua_hub::server::access_for(&hub_store, &dev).expect("access");
        let lookup = t.elapsed();
        let mut s = sync_in_process(phone, &mut hub_store, &access);
        s.hub += lookup;
        s.total += lookup;
        // Two fixed costs of every hub round, timed alone.
        let t = Instant::now();
        let listed = Replica::held(&*hub_store).expect("held").len();
        let held_time = t.elapsed();
        let t = Instant::now();
        let records = Replica::peer_records(&*hub_store, &dev.id)
            .expect("records")
            .len();
        let records_time = t.elapsed();
        s.note = format!(
            "of the hub's part: looking up the device and its team's households {}; listing all {listed} hub documents with heads (once per round) {}; reading the device's {records} records {}; the rest is merging the {} pushed documents",
            ms(lookup),
            ms(held_time),
            ms(records_time),
            these.len()
        );
        drop(hub_store);
        // The same pushes merged into a fresh copy of the ward (a cold cache, as on the hub
        // after restart): one transaction each, as `hub_round` does, and all in one. These
        // households had no visit from this bench before, so the ward as written is their base.
        let opts = || StoreOptions {
            cache_docs: 512,
            ..Default::default()
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let one = copy_replica(&self.ward, dir.path(), "one");
        let mut hub1 = Store::open_with(&one, opts()).expect("open copy");
        let t = Instant::now();
        for (id, bytes) in &deltas {
            let m = hub1.merge_remote(id, bytes).expect("merge");
            assert!(m.missing_deps.is_empty());
        }
        let one_by_one = t.elapsed();
        let all = copy_replica(&self.ward, dir.path(), "all");
        let mut hub2 = Store::open_with(&all, opts()).expect("open copy");
        let t = Instant::now();
        let merged = hub2.merge_remote_many(&deltas).expect("merge");
        assert!(merged.iter().all(|m| m.missing_deps.is_empty()));
        let together = t.elapsed();
        s.note.push_str(&format!(
            ". Merging the same {} pushes into a fresh copy of the hub: one transaction each {}, all in one transaction {}",
            deltas.len(),
            ms(one_by_one),
            ms(together)
        ));
        s
    }
}

/// The same offline-visits sync on wards of different sizes, interleaved rep by rep so the
/// machine's changing load falls on every ward alike.
async fn offline_visits(
    sizes: &Sizes,
    wards: &[(GeneratedWard, PathBuf)],
    root: &Path,
    out: &mut Report,
) {
    let mut rigs = Vec::new();
    for (g, file) in wards {
        rigs.push(VisitRig::new(g, file, root).await);
    }
    for rep in 0..sizes.visit_reps {
        // Alternate which ward goes first, against drift within a rep.
        let order: Vec<usize> = if rep % 2 == 0 {
            (0..rigs.len()).collect()
        } else {
            (0..rigs.len()).rev().collect()
        };
        for i in order {
            rigs[i].rep(sizes.visits).await;
        }
    }
    let splits: Vec<Split> = rigs.iter_mut().map(|r| r.split(sizes.visits)).collect();
    let mut medians = Vec::new();
    for (rig, split) in rigs.into_iter().zip(splits) {
        let on_hub = rig
            .hub
            .hub
            .store
            .lock()
            .expect("hub store")
            .visit_ids()
            .expect("visit ids");
        assert!(
            rig.recorded.is_subset(&on_hub),
            "every offline visit reached the hub"
        );
        rig.hub.stop().await;
        let n = rig.n;
        let visits = sizes.visits.min(rig.held);
        let ratios: Vec<f64> = rig
            .wire_bytes
            .iter()
            .zip(&rig.change_bytes)
            .map(|(w, c)| w / c)
            .collect();
        let ratio = median(&ratios);
        let time = median(&rig.times);
        medians.push((n, time, median(&rig.wire_bytes)));
        out.row(
            &format!("phone sync after {visits} offline visits, ward of {n}"),
            &format!(
                "volunteer holding {} of {n} households; HTTPS on loopback; median of {} syncs",
                rig.held,
                rig.times.len()
            ),
            format!(
                "{} wall (range {}–{}); {} on the wire (up+down), 1 round",
                msf(time),
                msf(percentile(&rig.times, 0.0)),
                msf(percentile(&rig.times, 100.0)),
                kib(median(&rig.wire_bytes) as u64),
            ),
            format!(
                "Automerge change bytes of the visits: {}",
                kib(median(&rig.change_bytes) as u64)
            ),
            format!("{ratio:.2}× (target ≤ 1.5×)"),
        );
        out.row(
            &format!("… where its time goes, ward of {n}"),
            "the same sync once more, in process (no HTTPS)",
            split_text(&split),
            split.note.clone(),
            format!(
                "networked − in process: {:+.1} ms",
                time - split.total.as_secs_f64() * 1000.0
            ),
        );
        out.verdicts.push(format!(
            "Sync after {visits} offline visits, ward of {n}: wire bytes {ratio:.2}× the change bytes (≤ 1.5×): {}; median {}.",
            met(ratio <= 1.5),
            msf(time),
        ));
    }
    if let (Some(small), Some(large)) = (medians.first(), medians.last())
        && large.0 > small.0
    {
        out.verdicts.push(format!(
                "Independent of the ward's size: from {} to {} households, bytes on the wire {:.2}×, time {:.2}×.",
                small.0,
                large.0,
                large.2 / small.2,
                large.1 / small.1
            ));
    }
}

// ---------------------------------------------------------------------------------------------
// 2 and 4. A lead's first full sync, with the hub in its own process

use gocua_tests::{Mem, mem_of};

/// A hub running as a separate process.
struct HubProcess {
    child: Child,
    payload: String,
    cli: bool,
}

impl HubProcess {
    fn mem(&self) -> Mem {
        mem_of(&self.child.id().to_string())
    }

    fn kind(&self) -> &'static str {
        if self.cli {
            "`gocua hub serve` process"
        } else {
            "hub process (this binary re-executed)"
        }
    }

    fn stop(mut self) {
        // The re-executed hub stops when its stdin closes; `gocua hub serve` on Ctrl-C.
        drop(self.child.stdin.take());
        if self.cli {
            let _ = Command::new("kill")
                .args(["-INT", &self.child.id().to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(25);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `gocua hub serve` and `gocua hub pair`, when the binary is built next to this one and its
/// hub commands work.
fn start_cli_hub(db: &Path) -> Result<HubProcess, String> {
    start_cli_hub_with(db, &[])
}

/// [`start_cli_hub`] with more arguments for `gocua hub serve`.
fn start_cli_hub_with(db: &Path, serve_args: &[&str]) -> Result<HubProcess, String> {
    let gocua = match std::env::var_os("GOCUA_BIN") {
        Some(p) => PathBuf::from(p),
        None => {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            // target/<profile>/deps/sync-<hash> → target/<profile>/gocua
            exe.parent()
                .and_then(Path::parent)
                .map(|d| d.join("gocua"))
                .ok_or("no target folder")?
        }
    };
    if !gocua.exists() {
        return Err(format!("{} is not built", gocua.display()));
    }
    let port = free_port();
    let mut child = Command::new(&gocua)
        .args(["--lang", "en", "--db"])
        .arg(db)
        .args(["hub", "serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(serve_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", gocua.display()))?;
    // The hub has written its addresses for `hub pair` once it prints its fingerprint.
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains("SHA-256"));
    // Keep draining its output so the hub never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    if !ready {
        let _ = child.wait();
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        return Err(format!("`gocua hub serve` stopped: {}", err.trim()));
    }
    let paired = Command::new(&gocua)
        .args(["--json", "--db"])
        .arg(db)
        .args(["hub", "pair", "--role", "lead"])
        .output();
    let payload = paired
        .map_err(|e| e.to_string())
        .and_then(|o| {
            if o.status.success() {
                Ok(o.stdout)
            } else {
                Err(format!(
                    "`gocua hub pair` failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            }
        })
        .and_then(|stdout| {
            let v: serde_json::Value = serde_json::from_slice(&stdout)
                .map_err(|e| format!("`gocua hub pair --json`: {e}"))?;
            v.get("payload")
                .and_then(|p| p.as_str())
                .map(str::to_string)
                .ok_or_else(|| "no \"payload\" in its JSON".to_string())
        })
        .and_then(|text| PairingPayload::parse(&text).map_err(|e| format!("payload: {e}")));
    match payload {
        Ok(mut p) => {
            // Whatever the hub advertises, the bench stays on loopback.
            p.hub_urls = vec![format!("https://127.0.0.1:{port}")];
            Ok(HubProcess {
                child,
                payload: p.to_uri(),
                cli: true,
            })
        }
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}

/// This binary, re-executed in hub mode.
fn start_child_hub(db: &Path) -> HubProcess {
    let exe = std::env::current_exe().expect("own executable");
    let mut child = Command::new(exe)
        .env(HUB_CHILD_ENV, db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start hub process");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("child stdout"))
        .read_line(&mut line)
        .expect("hub process says READY");
    let payload = line
        .trim()
        .strip_prefix("READY ")
        .expect("READY line")
        .to_string();
    HubProcess {
        child,
        payload,
        cli: false,
    }
}

/// Hub mode of this binary: serve `db` on loopback until stdin closes.
fn hub_child(db: &Path) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let hub = rt.block_on(start_hub(db));
    let payload = pairing(&hub, Role::Lead, None);
    println!("READY {payload}");
    let _ = std::io::stdout().flush();
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    rt.block_on(hub.stop());
}

/// Another lead pairing for a hub process, written into its replica directly (SQLite lets two
/// processes share the file).
fn another_lead(first_payload: &str, db: &Path) -> String {
    process_pairing(first_payload, db, Role::Lead, None)
}

/// A pairing for a hub process, written into its replica directly.
fn process_pairing(first_payload: &str, db: &Path, role: Role, team: Option<&TeamId>) -> String {
    let first = PairingPayload::parse(first_payload).expect("payload");
    let store = Store::open(db).expect("open hub replica");
    let now = gocua_hub::server::now();
    gocua_hub::new_pairing(
        &store,
        &gocua_tests::device_for(&store, role, team),
        &gocua_hub::HubIdentity {
            urls: &first.hub_urls,
            fingerprint: first.cert_sha256,
            ward: &first.ward,
        },
        600,
        now,
    )
    .expect("pairing")
    .to_uri()
}

fn lead_first_sync(
    rt: &tokio::runtime::Runtime,
    sizes: &Sizes,
    g: &GeneratedWard,
    ward: &Path,
    root: &Path,
    out: &mut Report,
) {
    let n = g.households.len();
    let db = copy_replica(ward, root, "lead-hub");
    let (stored, file_size, docs) = {
        let s = Store::open(&db).expect("open hub replica");
        let file = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        (
            s.stored_size().expect("stored size"),
            file,
            s.doc_count().expect("docs"),
        )
    };
    let hub = match start_cli_hub(&db) {
        Ok(h) => h,
        Err(why) => {
            out.notes.push(format!(
                "Hub process: `gocua hub serve` was not usable ({why}); the bench ran its own binary as the hub process instead."
            ));
            start_child_hub(&db)
        }
    };
    // Let the freshly started hub settle before reading its memory.
    std::thread::sleep(Duration::from_millis(300));
    let at_start = hub.mem();
    let mut lead = Phone::new("máy tổ trưởng");
    let (report, wall) = rt.block_on(async {
        lead.pair(&hub.payload).await.expect("pair lead");
        let t = Instant::now();
        let r = lead.sync().await.expect("lead's first sync");
        (r, t.elapsed())
    });
    let after_first = hub.mem();
    let held = lead.household_ids();
    assert_eq!(
        held.len() as u64 + 1,
        docs,
        "the lead received every document"
    );
    assert!(
        report.refused.is_empty() && report.protocol_msgs == 0,
        "{report:?}"
    );

    // A second lead's full sync: does the hub's memory keep growing?
    let second_payload = another_lead(&hub.payload, &db);
    rt.block_on(async {
        let mut second = Phone::new("máy tổ trưởng 2");
        second
            .pair(&second_payload)
            .await
            .expect("pair second lead");
        second.sync().await.expect("second lead's sync");
    });
    let after_second = hub.mem();
    // The lead visits many households and syncs: the hub loads every one of them to merge,
    // past its 512-document cache.
    let pushes = sizes.lead_pushes.min(held.len());
    let volunteer = g
        .volunteers
        .iter()
        .find(|v| v.role == Role::Lead)
        .unwrap_or(&g.volunteers[0]);
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let _ = visit_offline(&mut lead.store, &held[..pushes], volunteer, &mut rng);
    let t = Instant::now();
    let pushed = rt.block_on(lead.sync()).expect("lead pushes its visits");
    let push_time = t.elapsed();
    assert_eq!(pushed.accepted as usize, pushes, "{pushed:?}");
    let after_push = hub.mem();
    // Encrypted phones against plain ones: more leads sync in full from the same hub, plain and
    // encrypted (SQLCipher, raw 256-bit key) in turn, so both see the same hub and load.
    let mut walls: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for i in 0..sizes.encrypted_reps * 2 {
        let encrypted = i % 2 == 1;
        let payload = another_lead(&hub.payload, &db);
        let wall = rt.block_on(async {
            let mut p = if encrypted {
                Phone::encrypted("máy tổ trưởng (mã hóa)")
            } else {
                Phone::new("máy tổ trưởng (không mã hóa)")
            };
            p.pair(&payload).await.expect("pair lead");
            let t = Instant::now();
            p.sync().await.expect("lead's full sync");
            let wall = t.elapsed();
            assert_eq!(p.store.is_encrypted(), encrypted);
            assert_eq!(p.household_ids().len() as u64 + 1, docs);
            wall
        });
        walls[usize::from(encrypted)].push(wall.as_secs_f64());
    }
    let kind = hub.kind();
    let cli = hub.cli;
    hub.stop();
    drop(lead);

    // Baseline: the same data as ONE Automerge document, synced with Automerge's own protocol.
    let base = whole_ward_baseline(ward);
    // Why: the same protocol in process, timed by part, and the bytes taken apart.
    let split_with = |key: Option<gocua_store::Key>, name: &str| {
        let db = copy_replica(ward, root, name);
        let opts = StoreOptions {
            cache_docs: 512,
            ..Default::default()
        };
        let mut hub = Store::open_with(&db, opts).expect("open hub");
        let allowed = hub.hub_all_households().expect("households");
        let access = Access {
            peer: "bench-lead".into(),
            can_write_plan: true,
            may_correct: true,
            allowed,
            ..Default::default()
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let phone_opts = StoreOptions {
            key,
            ..Default::default()
        };
        let mut phone =
            Store::open_with(&dir.path().join("phone.sqlite"), phone_opts).expect("open phone");
        let s = sync_in_process(&mut phone, &mut hub, &access);
        assert_eq!(
            phone.doc_count().expect("docs"),
            docs,
            "the in-process lead got everything"
        );
        s
    };
    let split = split_with(None, "split-hub");
    let split_encrypted = split_with(Some(gocua_store::Key::random()), "split-hub-encrypted");
    let why = bytes_analysis(ward);
    let all_loaded = run_probe("load-all", ward);
    let encode_peak = run_probe("encode-page", ward);

    let bytes = report.bytes_up + report.bytes_down;
    let bytes_ratio = bytes as f64 / base.bytes as f64;
    let time_ratio = wall.as_secs_f64() / base.sync.as_secs_f64();
    out.row(
        &format!("lead's first full sync, ward of {n}"),
        &format!("empty replica, role lead without team; {docs} documents; HTTPS on loopback; {kind}"),
        format!("{} wall; {} on the wire; {} rounds", ms(wall), kib(bytes), report.rounds),
        format!(
            "the ward as one Automerge doc ({} changes), Automerge sync to an empty peer in process: {}, {} in {} messages",
            base.changes,
            ms(base.sync),
            kib(base.bytes),
            base.msgs
        ),
        format!("bytes {bytes_ratio:.2}× (target ≤ 1.5×); time {time_ratio:.1}× (target ≤ 2×)"),
    );
    out.row(
        "… where the lead's time goes",
        "the same first sync in process (no HTTPS)",
        split_text(&split),
        format!(
            "Automerge alone: loading every saved doc once {} (the store's merge loads each once, strictly), or {} saved uncompressed; reading each household into domain values for the projection {}; the baseline peer saving its doc {}",
            ms(why.load),
            ms(why.load_nocompress),
            ms(why.read),
            ms(base.save)
        ),
        format!("networked − in process: {:+.0} ms", (wall.as_secs_f64() - split.total.as_secs_f64()) * 1000.0),
    );
    let (plain_wall, enc_wall) = (median(&walls[0]), median(&walls[1]));
    out.row(
        "… with an encrypted phone",
        &format!(
            "after the above, {} more leads sync in full from the same hub, a plain and an encrypted (SQLCipher 4, raw key) replica in turn; median of {} each",
            sizes.encrypted_reps * 2,
            sizes.encrypted_reps
        ),
        format!(
            "encrypted {} wall; plain {} wall",
            msf(enc_wall * 1000.0),
            msf(plain_wall * 1000.0)
        ),
        format!(
            "in process, encrypted phone: {}",
            split_text(&split_encrypted)
        ),
        format!(
            "encrypted / plain: wall {:.2}×, phone merges in process {:.2}×",
            enc_wall / plain_wall.max(1e-9),
            split_encrypted.apply.as_secs_f64() / split.apply.as_secs_f64().max(1e-9)
        ),
    );
    out.row(
        "… where the lead's bytes go",
        &format!(
            "{docs} saved documents, {} raw ({} saved uncompressed)",
            kib(why.raw),
            kib(why.raw_nocompress)
        ),
        format!(
            "pages as sent: {}; of which change hashes (the heads inside each saved doc, incompressible) ≥ {}",
            kib(why.pages),
            kib(why.hashes)
        ),
        format!(
            "same pages with each doc saved uncompressed (`save_nocompress`, then zstd over the page): {}; that at zstd level 19: {}",
            kib(why.pages_nocompress),
            kib(why.nocompress_19)
        ),
        format!(
            "{:.2}× / {:.2}× the baseline",
            why.pages_nocompress as f64 / base.bytes as f64,
            why.nocompress_19 as f64 / base.bytes as f64
        ),
    );
    let peak = after_push.hwm;
    out.row(
        "hub memory, ward loaded on demand",
        &format!("{kind}; document cache bounded at 512"),
        format!(
            "RSS after start {}; after the lead's full sync {} (peak {}); after a second lead's {} (peak {}); after the lead pushed visits to {pushes} households ({}) {} (peak {})",
            kib(at_start.rss),
            kib(after_first.rss),
            kib(after_first.hwm),
            kib(after_second.rss),
            kib(after_second.hwm),
            ms(push_time),
            kib(after_push.rss),
            kib(peak)
        ),
        format!(
            "ward stored: documents {} ({docs}), SQLite file {}; in a fresh process, all {docs} documents loaded at once: +{} RSS; encoding one first-sync page: ≤ +{} peak",
            kib(stored),
            kib(file_size),
            kib(all_loaded),
            kib(encode_peak)
        ),
        format!(
            "peak − start = {} ({:.1}× the stored documents)",
            kib(peak.saturating_sub(at_start.rss)),
            peak.saturating_sub(at_start.rss) as f64 / stored as f64
        ),
    );
    out.verdicts.push(format!(
        "Lead's first full sync of {n} households: bytes {bytes_ratio:.2}× the whole-ward Automerge sync (≤ 1.5×): {}; time {time_ratio:.1}× (≤ 2×): {} ({} vs {}).",
        met(bytes_ratio <= 1.5),
        met(time_ratio <= 2.0),
        ms(wall),
        ms(base.sync)
    ));
    out.verdicts.push(format!(
        "Hub memory with the ward on demand: peak {} (start {}), against {} for the ward's documents all loaded and {} stored: {}.",
        kib(peak),
        kib(at_start.rss),
        kib(all_loaded),
        kib(stored),
        if docs <= 512 {
            "cannot tell, the ward is no larger than the cache"
        } else if peak < at_start.rss + all_loaded / 2 {
            "met, documents are not all held"
        } else {
            "NOT met"
        }
    ));
    if !cli {
        out.notes.push("The hub-process figures come from this bench binary re-executed as a hub (same hub code, no CLI).".into());
    }
}

/// Runs one memory probe in a fresh copy of this binary.
fn run_probe(kind: &str, db: &Path) -> u64 {
    let exe = std::env::current_exe().expect("own executable");
    let o = Command::new(exe)
        .env(PROBE_ENV, format!("{kind}:{}", db.display()))
        .stderr(Stdio::inherit())
        .output()
        .expect("run probe");
    let text = String::from_utf8_lossy(&o.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("PROBE "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("probe {kind} printed no figure: {text}"))
}

/// Probe mode: `load-all` is the resident memory of every document of the ward loaded at once
/// (what a hub holding the whole ward would need); `encode-page` is the peak memory added by
/// encoding one first-sync page as the hub does (an upper bound: peaks from building the page
/// count too).
fn probe(spec: &str) {
    let (kind, db) = spec.split_once(':').expect("kind:db");
    let store = Store::open(Path::new(db)).expect("open ward");
    let manifest = store.manifest().expect("manifest");
    let bytes = match kind {
        "load-all" => {
            let before = mem_of("self").rss;
            let docs: Vec<AutoCommit> = manifest
                .iter()
                .map(|(id, _, _)| store.load(id).expect("load").expect("document"))
                .collect();
            let after = mem_of("self").rss;
            assert_eq!(docs.len(), manifest.len());
            after.saturating_sub(before)
        }
        "encode-page" => {
            let (mut page, mut fill) = (Vec::new(), 0usize);
            for (id, heads, _) in &manifest {
                if fill >= HubLimits::default().page_bytes {
                    break;
                }
                let bytes = store.doc_bytes(id).expect("bytes").expect("document");
                fill += bytes.len();
                let _ = heads;
                page.push(SavedDoc {
                    doc: id.clone(),
                    bytes,
                });
            }
            let resp = SyncResponse {
                new_docs: page,
                more: true,
                ..Default::default()
            };
            let before = mem_of("self");
            let frame = wire::encode(&resp).expect("encode");
            let after = mem_of("self");
            assert!(!frame.is_empty());
            after.hwm.saturating_sub(before.rss)
        }
        other => panic!("unknown probe {other}"),
    };
    println!("PROBE {bytes}");
}

struct Baseline {
    bytes: u64,
    sync: Duration,
    msgs: u32,
    changes: usize,
    /// The receiving peer saving what it got (what persisting it would cost at least).
    save: Duration,
}

/// Builds the whole ward as one Automerge document (one map per document, one change per
/// document) and syncs it to an empty peer with Automerge's sync protocol, in process.
fn whole_ward_baseline(ward: &Path) -> Baseline {
    let store = Store::open(ward).expect("open ward");
    let mut whole = AutoCommit::new();
    let mut changes = 0;
    for (id, _, _) in store.manifest().expect("manifest") {
        let doc = store.load(&id).expect("load").expect("document");
        let obj = whole
            .put_object(ROOT, id.as_str(), ObjType::Map)
            .expect("map");
        for item in doc.map_range(ROOT, ..) {
            if let Value::Scalar(s) = item.value.into_value() {
                whole
                    .put(&obj, item.key.as_ref(), s.into_owned())
                    .expect("put");
            }
        }
        whole.commit();
        changes += 1;
    }
    drop(store);

    let t = Instant::now();
    let mut peer = AutoCommit::new();
    let (mut ours, mut theirs) = (State::new(), State::new());
    let (mut bytes, mut msgs) = (0u64, 0u32);
    loop {
        let mut moved = false;
        if let Some(m) = whole.sync().generate_sync_message(&mut ours) {
            let enc = m.encode();
            bytes += enc.len() as u64;
            msgs += 1;
            moved = true;
            let m = Message::decode(&enc).expect("decode");
            peer.sync()
                .receive_sync_message(&mut theirs, m)
                .expect("receive");
        }
        if let Some(m) = peer.sync().generate_sync_message(&mut theirs) {
            let enc = m.encode();
            bytes += enc.len() as u64;
            msgs += 1;
            moved = true;
            let m = Message::decode(&enc).expect("decode");
            whole
                .sync()
                .receive_sync_message(&mut ours, m)
                .expect("receive");
        }
        if !moved {
            break;
        }
    }
    let sync = t.elapsed();
    assert_eq!(
        peer.get_heads(),
        whole.get_heads(),
        "the baseline peer converged"
    );
    let t = Instant::now();
    let saved = peer.save();
    let save = t.elapsed();
    assert!(!saved.is_empty());
    Baseline {
        bytes,
        sync,
        msgs,
        changes,
        save,
    }
}

struct BytesWhy {
    raw: u64,
    pages: u64,
    hashes: u64,
    pages_nocompress: u64,
    nocompress_19: u64,
    /// Loading every saved document with Automerge alone.
    load: Duration,
    /// Every document saved with `save_nocompress`, before zstd.
    raw_nocompress: u64,
    /// Loading those uncompressed saves.
    load_nocompress: Duration,
    /// Reading every household document into domain values, as the projection does.
    read: Duration,
}

/// Takes the first sync's bytes apart: the pages as the hub builds them, and the same pages
/// with each document saved without Automerge's own per-column compression.
fn bytes_analysis(ward: &Path) -> BytesWhy {
    let store = Store::open(ward).expect("open ward");
    let page_limit = HubLimits::default().page_bytes;
    let mut why = BytesWhy {
        raw: 0,
        pages: 0,
        hashes: 0,
        pages_nocompress: 0,
        nocompress_19: 0,
        load: Duration::ZERO,
        load_nocompress: Duration::ZERO,
        read: Duration::ZERO,
        raw_nocompress: 0,
    };
    let (mut page, mut page_nc, mut fill) = (Vec::new(), Vec::new(), 0usize);
    let mut all_nc = Vec::new();
    let flush = |page: &mut Vec<SavedDoc>, page_nc: &mut Vec<SavedDoc>, why: &mut BytesWhy| {
        let resp = SyncResponse {
            new_docs: std::mem::take(page),
            more: true,
            ..Default::default()
        };
        why.pages += wire::encode(&resp).expect("encode").len() as u64;
        let resp_nc = SyncResponse {
            new_docs: std::mem::take(page_nc),
            more: true,
            ..Default::default()
        };
        why.pages_nocompress += wire::encode(&resp_nc).expect("encode").len() as u64;
    };
    for (id, heads, _) in store.manifest().expect("manifest") {
        let raw = store.doc_bytes(&id).expect("bytes").expect("document");
        let t = Instant::now();
        let mut doc = AutoCommit::load(&raw).expect("load");
        why.load += t.elapsed();
        if id != gocua_store::PLAN_DOC_ID {
            let t = Instant::now();
            let state = gocua_store::household_doc::read(&doc, &id);
            why.read += t.elapsed();
            std::hint::black_box(state);
        }
        let nc = doc.save_nocompress();
        why.raw_nocompress += nc.len() as u64;
        let t = Instant::now();
        let again = AutoCommit::load(&nc).expect("load uncompressed");
        why.load_nocompress += t.elapsed();
        drop(again);
        // Each saved document states its heads (the page no longer repeats them beside it).
        why.hashes += 32 * heads.len() as u64;
        why.raw += raw.len() as u64;
        fill += raw.len();
        all_nc.extend_from_slice(id.as_bytes());
        all_nc.extend_from_slice(&nc);
        page_nc.push(SavedDoc {
            doc: id.clone(),
            bytes: nc,
        });
        page.push(SavedDoc {
            doc: id,
            bytes: raw,
        });
        if fill >= page_limit {
            flush(&mut page, &mut page_nc, &mut why);
            fill = 0;
        }
    }
    if !page.is_empty() {
        flush(&mut page, &mut page_nc, &mut why);
    }
    why.nocompress_19 = all_nc
        .chunks(page_limit * 2)
        .map(|c| zstd::bulk::compress(c, 19).expect("zstd").len() as u64)
        .sum();
    why
}

// ---------------------------------------------------------------------------------------------
// 3. Many phones at once

async fn crowd(sizes: &Sizes, g: &GeneratedWard, ward: &Path, root: &Path, out: &mut Report) {
    let n = g.households.len();
    let db = copy_replica(ward, root, "crowd-hub");
    let hub = start_hub(&db).await;
    let mut phones = Vec::new();
    for i in 0..sizes.phones {
        let team = &g.teams[i % g.teams.len()];
        let members = volunteers_of(g, &team.id);
        let volunteer = members[(i / g.teams.len()) % members.len()].clone();
        let mut phone = Phone::new(&format!("máy {i}"));
        phone
            .pair(&pairing(&hub, Role::Volunteer, Some(&team.id)))
            .await
            .expect("pair");
        phones.push((phone, volunteer));
    }
    // First syncs, all at once too (setup, reported for information).
    let t = Instant::now();
    let (mut phones, first_times) = sync_all(phones).await;
    let first_total = t.elapsed();
    let held: usize = phones.iter().map(|(p, _)| p.household_ids().len()).sum();

    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut recorded = BTreeSet::new();
    let (mut times, mut totals) = (Vec::new(), Vec::new());
    for _ in 0..sizes.crowd_waves {
        for (phone, volunteer) in phones.iter_mut() {
            let mut ids = phone.household_ids();
            ids.shuffle(&mut rng);
            let k = rng.gen_range(2..=5).min(ids.len());
            let (_, visits) = visit_offline(&mut phone.store, &ids[..k], volunteer, &mut rng);
            recorded.extend(visits);
        }
        let t = Instant::now();
        let (back, wave) = sync_all(phones).await;
        totals.push(t.elapsed().as_secs_f64() * 1000.0);
        phones = back;
        times.extend(wave);
    }
    let on_hub = hub
        .hub
        .store
        .lock()
        .expect("hub store")
        .visit_ids()
        .expect("visit ids");
    let lost = recorded.difference(&on_hub).count();
    hub.stop().await;

    let p = sizes.phones;
    let waves = sizes.crowd_waves;
    out.row(
        &format!("{p} phones sync at once, ward of {n}"),
        &format!(
            "{p} volunteers of {} teams, each its own replica ({} households held in all); {waves} waves of 2–5 offline visits per phone, then all {p} sync at once; phones are tasks in this process (hub and phones share the 2 cores)",
            g.teams.len(),
            held,
        ),
        format!(
            "per wave: total {} (median of {waves}); per phone p50 {}, p99 {} (n={}); {} of {} visits on the hub afterwards",
            msf(median(&totals)),
            msf(percentile(&times, 50.0)),
            msf(percentile(&times, 99.0)),
            times.len(),
            recorded.len() - lost,
            recorded.len()
        ),
        format!(
            "their first syncs, also all at once: total {}, per phone p50 {}, p99 {}",
            ms(first_total),
            msf(percentile(&first_times, 50.0)),
            msf(percentile(&first_times, 99.0)),
        ),
        format!("lost: {lost} (target 0)"),
    );
    out.verdicts.push(format!(
        "{p} phones syncing at once: zero loss: {} ({lost} lost of {}); per wave {}, per phone p50 {}, p99 {}.",
        met(lost == 0),
        recorded.len(),
        msf(median(&totals)),
        msf(percentile(&times, 50.0)),
        msf(percentile(&times, 99.0)),
    ));
    assert_eq!(lost, 0, "visits lost with {p} phones at once");
}

// ---------------------------------------------------------------------------------------------
// 5. Load: n phones against one `gocua hub serve` process, for the curve

async fn load(
    n: usize,
    commit_in_lock: bool,
    sizes: &Sizes,
    g: &GeneratedWard,
    ward: &Path,
    root: &Path,
    out: &mut Report,
) {
    let households = g.households.len();
    let db = copy_replica(ward, root, &format!("load-hub-{n}-{commit_in_lock}"));
    let extra: &[&str] = if commit_in_lock {
        &["--commit-in-lock"]
    } else {
        &[]
    };
    let how = if commit_in_lock {
        " (baseline: `--commit-in-lock`, each commit waits for the disk inside the store lock)"
    } else {
        ""
    };
    let hub = start_cli_hub_with(&db, extra).unwrap_or_else(|e| {
        eprintln!("  ({e}: the hub runs as this binary re-executed)");
        start_child_hub(&db)
    });
    let kind = hub.kind();
    let mut phones = Vec::new();
    for i in 0..n {
        let team = &g.teams[i % g.teams.len()];
        let members = volunteers_of(g, &team.id);
        let volunteer = members[(i / g.teams.len()) % members.len()].clone();
        let payload = process_pairing(&hub.payload, &db, Role::Volunteer, Some(&team.id));
        let mut phone = Phone::new(&format!("máy {i}"));
        phone.pair(&payload).await.expect("pair");
        phones.push((phone, volunteer));
    }
    let start_mem = hub.mem();
    // 1. n first syncs at once.
    let t = Instant::now();
    let (mut phones, first_times) = sync_all(phones).await;
    let first_total = t.elapsed();
    let first_mem = hub.mem();
    let held: usize = phones.iter().map(|(p, _)| p.household_ids().len()).sum();
    // 2. Each phone records its visits offline, then all sync at once.
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ n as u64);
    let mut recorded = BTreeSet::new();
    for (phone, volunteer) in phones.iter_mut() {
        let mut ids = phone.household_ids();
        ids.shuffle(&mut rng);
        let k = sizes.load_visits.min(ids.len());
        let (_, visits) = visit_offline(&mut phone.store, &ids[..k], volunteer, &mut rng);
        recorded.extend(visits);
    }
    let t = Instant::now();
    let (phones, times) = sync_all(phones).await;
    let total = t.elapsed();
    let mem = hub.mem();
    hub.stop();
    drop(phones);
    let on_hub = Store::open(&db)
        .expect("open hub replica")
        .visit_ids()
        .expect("visit ids");
    let lost = recorded.difference(&on_hub).count();
    out.row(
        &format!("{n} phones at once, ward of {households}{how}"),
        &format!(
            "{n} volunteers' replicas (tasks in this process, {held} households held in all) against one {kind}; {} offline visits each, then all {n} sync at once",
            sizes.load_visits
        ),
        format!(
            "total {}; per phone p50 {}, p99 {}; {} of {} visits on the hub; hub RSS {} → peak {}",
            ms(total),
            msf(percentile(&times, 50.0)),
            msf(percentile(&times, 99.0)),
            recorded.len() - lost,
            recorded.len(),
            kib(start_mem.rss),
            kib(mem.hwm)
        ),
        format!(
            "their {n} first syncs at once: total {}, per phone p50 {}, p99 {}; hub peak {}",
            ms(first_total),
            msf(percentile(&first_times, 50.0)),
            msf(percentile(&first_times, 99.0)),
            kib(first_mem.hwm)
        ),
        format!("lost: {lost} (target 0)"),
    );
    out.verdicts.push(format!(
        "{n} phones at once{how} ({} visits each): zero loss: {} ({lost} lost of {}); total {}, p50 {}, p99 {}; first syncs total {}.",
        sizes.load_visits,
        met(lost == 0),
        recorded.len(),
        ms(total),
        msf(percentile(&times, 50.0)),
        msf(percentile(&times, 99.0)),
        ms(first_total),
    ));
    assert_eq!(lost, 0, "visits lost with {n} phones at once");
}

/// Syncs every phone at once, each in its own task; returns the phones and each one's time (ms).
///
/// Local tasks on one thread: `gocua_client::sync` takes `&mut dyn FnMut(SyncProgress)`
/// without `Send`, so its future cannot move between threads. The hub's work runs on its own
/// blocking threads either way.
async fn sync_all(phones: Vec<(Phone, Volunteer)>) -> (Vec<(Phone, Volunteer)>, Vec<f64>) {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let mut tasks = Vec::new();
            for (mut phone, volunteer) in phones {
                tasks.push(tokio::task::spawn_local(async move {
                    let t = Instant::now();
                    let r = phone.sync().await.expect("sync");
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    assert!(r.refused.is_empty(), "{r:?}");
                    (phone, volunteer, ms)
                }));
            }
            let mut back = Vec::new();
            let mut times = Vec::new();
            for t in tasks {
                let (p, v, ms) = t.await.expect("phone task");
                back.push((p, v));
                times.push(ms);
            }
            (back, times)
        })
        .await
}
