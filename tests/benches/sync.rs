//! Benchmarks of sync against the product's targets, each beside a baseline measured in the
//! same run: a phone's sync after 40 offline visits (vs the Automerge change bytes of those
//! visits), a lead's first full sync of the 10,000-household ward (vs the same data as one
//! Automerge document synced with Automerge's own protocol), 50 phones syncing at once, and the
//! hub's memory with the ward loaded on demand.
//!
//! A plain timing binary (`harness = false`) that prints a Markdown table. `cargo bench -p
//! gocua-tests` runs it in full; without `--bench` on the command line (as `cargo test
//! --benches` runs it) or with `GOCUA_BENCH_QUICK=1` it smoke-runs every step on small wards.
//! A first argument that does not start with `--` picks sections by name: visits | lead | crowd.
//!
//! The hub of the lead's sync runs as a separate process, so its memory is its own: the `gocua`
//! binary (`gocua hub serve`) when it is built next to this one and answers, otherwise this
//! same binary re-executed in hub mode (see [`HUB_CHILD_ENV`]).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use gocua_domain::{HouseholdId, Role, TeamId, Timestamp, Volunteer};
use gocua_hub::{HubConfig, RunningHub};
use gocua_store::{Store, StoreOptions};
use gocua_sync::pairing::PairingPayload;
use gocua_sync::wire::{self, SyncResponse};
use gocua_sync::{Access, HubLimits, PhoneSession, hub_round};
use gocua_tests::{Phone, write_ward};
use gocua_wardgen::{GeneratedWard, WardSpec, generate, random_visit};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Set to a database path, this binary runs a hub on it instead of the benchmarks: prints
/// `READY <pairing payload for a lead>` and serves until its standard input closes.
const HUB_CHILD_ENV: &str = "GOCUA_BENCH_HUB_CHILD";
const SEED: u64 = 2026;

/// What each section does, scaled down in quick mode.
struct Sizes {
    quick: bool,
    /// Ward sizes (homes) for the offline-visits sync.
    visit_wards: Vec<usize>,
    visits: usize,
    /// Repetitions of the offline-visits sync (each with new visits); the median is reported.
    visit_reps: usize,
    lead_ward: WardSpec,
    /// Ward (homes) and number of phones for the crowd.
    crowd_ward: usize,
    phones: usize,
}

impl Sizes {
    fn spec(&self, households: usize) -> WardSpec {
        if self.quick {
            WardSpec::small(SEED).with_households(households)
        } else {
            WardSpec::full(SEED).with_households(households)
        }
    }
}

fn main() {
    if let Ok(db) = std::env::var(HUB_CHILD_ENV) {
        hub_child(Path::new(&db));
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = !args.iter().any(|a| a == "--bench")
        || std::env::var("GOCUA_BENCH_QUICK").is_ok_and(|v| v == "1");
    let filter: Option<String> = args.iter().find(|a| !a.starts_with("--")).cloned();
    let wanted = |section: &str| filter.as_deref().is_none_or(|f| section.contains(f));
    let sizes = if quick {
        Sizes {
            quick,
            visit_wards: vec![60, 120],
            visits: 8,
            visit_reps: 1,
            lead_ward: WardSpec::small(SEED).with_households(120),
            crowd_ward: 60,
            phones: 6,
        }
    } else {
        Sizes {
            quick,
            visit_wards: vec![2_000, 10_000],
            visits: 40,
            visit_reps: 5,
            lead_ward: WardSpec::full(SEED),
            crowd_ward: 2_000,
            phones: 50,
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
    println!(
        "machine: {} cores, load average {}; mode: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        if quick {
            "quick (smoke run, small wards)"
        } else {
            "full"
        }
    );

    // Wards are written once and copied for each hub that needs a fresh replica.
    let mut wards = Wards::new(work.path());
    if wanted("visits") {
        for &n in &sizes.visit_wards {
            let spec = sizes.spec(n);
            let (g, file) = wards.get(&spec);
            rt.block_on(offline_visits(&sizes, &g, &file, work.path(), &mut out));
        }
    }
    if wanted("lead") {
        let (g, file) = wards.get(&sizes.lead_ward);
        lead_first_sync(&rt, &g, &file, work.path(), &mut out);
    }
    if wanted("crowd") {
        let spec = sizes.spec(sizes.crowd_ward);
        let (g, file) = wards.get(&spec);
        rt.block_on(crowd(&sizes, &g, &file, work.path(), &mut out));
    }
    out.print();
    println!(
        "\ntotal bench time {:.1} s",
        started.elapsed().as_secs_f64()
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
        if !self.verdicts.is_empty() {
            println!();
            for v in &self.verdicts {
                println!("- {v}");
            }
        }
        if !self.notes.is_empty() {
            println!();
            for n in &self.notes {
                println!("- {n}");
            }
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
            "wrote a ward of {} households, {} residents, {} visits in {}",
            g.households.len(),
            g.resident_count(),
            g.visits.len(),
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
    })
    .await
    .expect("start hub")
}

/// A pairing payload that reaches an in-process hub directly (no proxy in between).
fn pairing(hub: &RunningHub, role: Role, team: Option<&TeamId>) -> String {
    let store = hub.hub.store.lock().expect("hub store");
    gocua_hub::new_pairing(
        &store,
        role,
        team,
        &hub.urls,
        hub.fingerprint,
        &hub.hub.ward,
        600,
        gocua_hub::server::now(),
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
    phone: &mut Phone,
    households: &[String],
    volunteer: &Volunteer,
    rng: &mut impl Rng,
) -> (u64, Vec<String>) {
    let mut ids = Vec::new();
    let mut before = Vec::new();
    for hid in households {
        let heads = phone
            .store
            .doc_heads(hid)
            .expect("heads")
            .expect("held document");
        before.push(heads);
        let h = phone
            .store
            .household_state(&HouseholdId::parse(hid).expect("id"))
            .expect("state")
            .household;
        let at = evening(rng);
        let v = random_visit(rng, &h, volunteer, at);
        phone.store.record_visit(&v).expect("record visit");
        ids.push(v.id.to_string());
    }
    let mut bytes = 0u64;
    for (hid, heads) in households.iter().zip(&before) {
        bytes += phone
            .store
            .changes_since(hid, heads)
            .expect("changes")
            .len() as u64;
    }
    (bytes, ids)
}

// ---------------------------------------------------------------------------------------------
// 1. One phone's sync after 40 offline visits

async fn offline_visits(
    sizes: &Sizes,
    g: &GeneratedWard,
    ward: &Path,
    root: &Path,
    out: &mut Report,
) {
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
    let held = phone.household_ids();
    eprintln!(
        "ward {n}: the volunteer's first sync brought {} documents ({}, {}) in {} ms",
        first.new_docs,
        held.len(),
        kib(first.bytes_up + first.bytes_down),
        first.elapsed_ms
    );

    let mut rng = ChaCha8Rng::seed_from_u64(SEED + n as u64);
    let mut order = held.clone();
    order.shuffle(&mut rng);
    let visits = sizes
        .visits
        .min(held.len() / sizes.visit_reps.max(1))
        .max(1);
    let (mut times, mut wire_bytes, mut change_bytes) = (Vec::new(), Vec::new(), Vec::new());
    let mut recorded = BTreeSet::new();
    let mut rounds = 0;
    for rep in 0..sizes.visit_reps {
        let chosen = &order[rep * visits..(rep + 1) * visits];
        let (bytes, ids) = visit_offline(&mut phone, chosen, &volunteer, &mut rng);
        recorded.extend(ids);
        let t = Instant::now();
        let r = phone.sync().await.expect("sync");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(
            r.accepted as usize, visits,
            "every visited household is accepted: {r:?}"
        );
        assert!(
            r.refused.is_empty() && r.protocol_msgs == 0,
            "fast path only: {r:?}"
        );
        rounds = rounds.max(r.rounds);
        wire_bytes.push((r.bytes_up + r.bytes_down) as f64);
        change_bytes.push(bytes as f64);
    }
    let on_hub = hub
        .hub
        .store
        .lock()
        .expect("hub store")
        .visit_ids()
        .expect("visit ids");
    assert!(
        recorded.is_subset(&on_hub),
        "every offline visit reached the hub"
    );
    hub.stop().await;

    let ratios: Vec<f64> = wire_bytes
        .iter()
        .zip(&change_bytes)
        .map(|(w, c)| w / c)
        .collect();
    let ratio = median(&ratios);
    out.row(
        &format!("phone sync after {visits} offline visits, ward of {n}"),
        &format!(
            "volunteer holding {} households; HTTPS on loopback; median of {}",
            held.len(),
            sizes.visit_reps
        ),
        format!(
            "{} wall; {} on the wire (up+down), {} round(s)",
            ms(Duration::from_secs_f64(median(&times) / 1000.0)),
            kib(median(&wire_bytes) as u64),
            rounds
        ),
        format!(
            "Automerge change bytes of the visits: {}",
            kib(median(&change_bytes) as u64)
        ),
        format!("{ratio:.2}× (target ≤ 1.5×)"),
    );
    out.verdicts.push(format!(
        "Sync after {visits} offline visits in a ward of {n}: wire bytes {ratio:.2}× the change bytes (≤ 1.5×): {}; median {} (range {}–{}).",
        met(ratio <= 1.5),
        ms(Duration::from_secs_f64(median(&times) / 1000.0)),
        ms(Duration::from_secs_f64(percentile(&times, 0.0) / 1000.0)),
        ms(Duration::from_secs_f64(percentile(&times, 100.0) / 1000.0)),
    ));
}

// ---------------------------------------------------------------------------------------------
// 2 and 4. A lead's first full sync, with the hub in its own process

/// Memory figures of a process, from /proc/<pid>/status, in bytes.
#[derive(Clone, Copy, Debug, Default)]
struct Mem {
    rss: u64,
    hwm: u64,
}

fn mem_of(pid: u32) -> Mem {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or(0)
    };
    Mem {
        rss: field("VmRSS:"),
        hwm: field("VmHWM:"),
    }
}

/// A hub running as a separate process.
struct HubProcess {
    child: Child,
    payload: String,
    kind: &'static str,
}

impl HubProcess {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(mut self) {
        // Closing stdin stops the re-executed hub cleanly; `gocua hub serve` is simply ended.
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(15);
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
        .args(["hub", "serve", "--db"])
        .arg(db)
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", gocua.display()))?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return Err(format!(
                "`gocua hub serve` exited ({status}): {}",
                err.trim()
            ));
        }
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("`gocua hub serve` did not listen within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let paired = Command::new(&gocua)
        .args(["hub", "pair", "--db"])
        .arg(db)
        .args(["--role", "lead", "--json"])
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
            // The hub may advertise the machine's network addresses; the bench stays on loopback.
            p.hub_urls = vec![format!("https://127.0.0.1:{port}")];
            Ok(HubProcess {
                child,
                payload: p.to_uri(),
                kind: "`gocua hub serve` process",
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
        kind: "separate hub process (this binary re-executed; `gocua hub` not available)",
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

fn lead_first_sync(
    rt: &tokio::runtime::Runtime,
    g: &GeneratedWard,
    ward: &Path,
    root: &Path,
    out: &mut Report,
) {
    let n = g.households.len();
    let db = copy_replica(ward, root, "lead-hub");
    let (stored, file_size, docs) = {
        let s = Store::open(&db).expect("open hub replica");
        (
            s.stored_size().expect("stored size"),
            std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0),
            s.doc_count().expect("docs"),
        )
    };
    let hub = match start_cli_hub(&db) {
        Ok(h) => h,
        Err(why) => {
            out.notes.push(format!("Hub process: `gocua hub` was not usable ({why}); the bench ran its own binary as the hub process instead."));
            start_child_hub(&db)
        }
    };
    // Let the freshly started hub settle before reading its memory.
    std::thread::sleep(Duration::from_millis(300));
    let at_start = mem_of(hub.pid());
    let mut phone = Phone::new("máy tổ trưởng");
    let (report, wall) = rt.block_on(async {
        phone.pair(&hub.payload).await.expect("pair lead");
        let t = Instant::now();
        let r = phone.sync().await.expect("lead's first sync");
        (r, t.elapsed())
    });
    let after = mem_of(hub.pid());
    let held = phone.household_ids().len();
    assert_eq!(held as u64 + 1, docs, "the lead received every document");
    assert!(
        report.refused.is_empty() && report.protocol_msgs == 0,
        "{report:?}"
    );
    // A second lead's full sync shows whether the hub's memory keeps growing.
    let mut second = Phone::new("máy tổ trưởng 2");
    let after_second = if let Ok(p) = second_lead_payload(&hub, &db) {
        rt.block_on(async {
            second.pair(&p).await.expect("pair second lead");
            second.sync().await.expect("second lead's sync");
        });
        Some(mem_of(hub.pid()))
    } else {
        None
    };
    let kind = hub.kind;
    hub.stop();
    drop(second);

    // Baseline: the same data as ONE Automerge document, synced with Automerge's own protocol.
    let (base_bytes, base_time, base_msgs, build_time, base_changes) = whole_ward_baseline(ward);
    // Where the time goes: the same protocol in process, without HTTPS.
    let split = in_process_split(ward, root);

    let bytes = report.bytes_up + report.bytes_down;
    let bytes_ratio = bytes as f64 / base_bytes as f64;
    let time_ratio = wall.as_secs_f64() / base_time.as_secs_f64();
    out.row(
        &format!("lead's first full sync, ward of {n}"),
        &format!("empty replica, role lead without team; {docs} documents; HTTPS on loopback; {kind}"),
        format!("{} wall; {} on the wire; {} rounds", ms(wall), kib(bytes), report.rounds),
        format!(
            "one whole-ward Automerge doc ({base_changes} changes, built in {}), Automerge sync in process: {}, {} in {base_msgs} messages",
            ms(build_time),
            ms(base_time),
            kib(base_bytes)
        ),
        format!("bytes {bytes_ratio:.2}× (target ≤ 1.5×); time {time_ratio:.1}× (target ≤ 2×)"),
    );
    out.row(
        "… where the lead's sync time goes",
        "same protocol in process (hub_round + PhoneSession), no HTTPS",
        format!(
            "total {}: hub rounds {}, frame encode {} + decode {}, phone merge {}",
            ms(split.total),
            ms(split.hub),
            ms(split.encode),
            ms(split.decode),
            ms(split.apply)
        ),
        format!(
            "phone merge without projection cost is not separable; {} pages",
            split.rounds
        ),
        format!(
            "networked − in process: {:+.0} ms",
            (wall.as_secs_f64() - split.total.as_secs_f64()) * 1000.0
        ),
    );
    out.row(
        "hub memory, ward loaded on demand",
        &format!("{kind}; cache bounded at 512 documents"),
        format!(
            "RSS after start {}; after the lead's full sync RSS {}, peak (VmHWM) {}{}",
            kib(at_start.rss),
            kib(after.rss),
            kib(after.hwm),
            after_second
                .map(|m| format!(
                    "; after a second lead's full sync RSS {}, peak {}",
                    kib(m.rss),
                    kib(m.hwm)
                ))
                .unwrap_or_default()
        ),
        format!(
            "ward stored: documents {} ({docs}), SQLite file {}",
            kib(stored),
            kib(file_size)
        ),
        format!(
            "peak − start = {:.1}× the stored documents",
            (after.hwm.saturating_sub(at_start.rss)) as f64 / stored as f64
        ),
    );
    out.verdicts.push(format!(
        "Lead's first full sync of {n} households: bytes {bytes_ratio:.2}× the whole-ward Automerge sync (≤ 1.5×): {}; time {time_ratio:.1}× (≤ 2×): {} ({} vs {}).",
        met(bytes_ratio <= 1.5),
        met(time_ratio <= 2.0),
        ms(wall),
        ms(base_time)
    ));
    out.verdicts.push(format!(
        "Hub memory with the ward on demand: peak {} for a ward whose documents take {} (RSS after start {}).",
        kib(after.hwm),
        kib(stored),
        kib(at_start.rss)
    ));
}

/// A second lead pairing for a hub process: the re-executed hub only prints one, so a second
/// join code is written into its replica directly (SQLite lets two processes share the file).
fn second_lead_payload(hub: &HubProcess, db: &Path) -> Result<String, String> {
    let first = PairingPayload::parse(&hub.payload).map_err(|e| e.to_string())?;
    let store = Store::open(db).map_err(|e| e.to_string())?;
    gocua_hub::new_pairing(
        &store,
        Role::Lead,
        None,
        &first.hub_urls,
        first.cert_sha256,
        &first.ward,
        600,
        gocua_hub::server::now(),
    )
    .map(|p| p.to_uri())
    .map_err(|e| e.to_string())
}

/// Builds the whole ward as one Automerge document (one map per household, one change per
/// household) and syncs it to an empty peer with Automerge's sync protocol, in process.
/// Returns (encoded message bytes, sync time, messages, build time, changes).
fn whole_ward_baseline(ward: &Path) -> (u64, Duration, u32, Duration, usize) {
    let store = Store::open(ward).expect("open ward");
    let t = Instant::now();
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
    let build = t.elapsed();
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
            peer.sync()
                .receive_sync_message(&mut theirs, Message::decode(&enc).expect("decode"))
                .expect("receive");
        }
        if let Some(m) = peer.sync().generate_sync_message(&mut theirs) {
            let enc = m.encode();
            bytes += enc.len() as u64;
            msgs += 1;
            moved = true;
            whole
                .sync()
                .receive_sync_message(&mut ours, Message::decode(&enc).expect("decode"))
                .expect("receive");
        }
        if !moved {
            break;
        }
    }
    let elapsed = t.elapsed();
    assert_eq!(
        peer.get_heads(),
        whole.get_heads(),
        "the baseline peer converged"
    );
    (bytes, elapsed, msgs, build, changes)
}

struct Split {
    total: Duration,
    hub: Duration,
    encode: Duration,
    decode: Duration,
    apply: Duration,
    rounds: u32,
}

/// The lead's first sync again, in process: the hub's rounds, the frames and the phone's merge
/// timed apart. Stands in for a profiler (perf is not available here).
fn in_process_split(ward: &Path, root: &Path) -> Split {
    let db = copy_replica(ward, root, "split-hub");
    let mut hub = Store::open_with(
        &db,
        StoreOptions {
            cache_docs: 512,
            ..Default::default()
        },
    )
    .expect("open hub");
    let access = Access {
        peer: "bench-lead".into(),
        can_write_plan: true,
        allowed: hub.hub_all_households().expect("households"),
    };
    let phone_dir = tempfile::tempdir().expect("tempdir");
    let mut phone = Store::open(&phone_dir.path().join("phone.sqlite")).expect("open phone");
    let mut session = PhoneSession::new("hub");
    let mut s = Split {
        total: Duration::ZERO,
        hub: Duration::ZERO,
        encode: Duration::ZERO,
        decode: Duration::ZERO,
        apply: Duration::ZERO,
        rounds: 0,
    };
    let t0 = Instant::now();
    let mut batch = 0;
    loop {
        batch += 1;
        let t = Instant::now();
        let Some(req) = session.next_request(&mut phone, batch).expect("request") else {
            break;
        };
        let up = wire::encode(&req).expect("encode");
        s.encode += t.elapsed();
        let t = Instant::now();
        let req = wire::decode(&up).expect("decode");
        s.decode += t.elapsed();
        let t = Instant::now();
        let (resp, _) = hub_round(&mut hub, &access, req, HubLimits::default()).expect("hub round");
        s.hub += t.elapsed();
        let t = Instant::now();
        let down = wire::encode(&resp).expect("encode");
        s.encode += t.elapsed();
        let t = Instant::now();
        let resp: SyncResponse = wire::decode(&down).expect("decode");
        s.decode += t.elapsed();
        let t = Instant::now();
        session.apply(&mut phone, resp).expect("apply");
        s.apply += t.elapsed();
        s.rounds += 1;
    }
    s.total = t0.elapsed();
    assert_eq!(
        phone.doc_count().expect("docs"),
        hub.doc_count().expect("docs"),
        "the in-process lead got everything"
    );
    s
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
    let (phones, first_times) = sync_all(phones).await;
    let first_total = t.elapsed();
    let held: usize = phones.iter().map(|(p, _)| p.household_ids().len()).sum();

    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut recorded = BTreeSet::new();
    let mut phones = phones;
    for (phone, volunteer) in phones.iter_mut() {
        let mut ids = phone.household_ids();
        ids.shuffle(&mut rng);
        let k = rng.gen_range(2..=5).min(ids.len());
        let (_, visits) = visit_offline(phone, &ids[..k], volunteer, &mut rng);
        recorded.extend(visits);
    }
    let t = Instant::now();
    let (_phones, times) = sync_all(phones).await;
    let total = t.elapsed();
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
    out.row(
        &format!("{p} phones sync at once, ward of {n}"),
        &format!(
            "{p} volunteers of {} teams, own replicas ({} households held in all), {} offline visits in all; hub and phones share the 2 cores",
            g.teams.len(),
            held,
            recorded.len()
        ),
        format!(
            "total {}; per phone p50 {}, p99 {}; {} of {} visits on the hub afterwards",
            ms(total),
            ms(Duration::from_secs_f64(percentile(&times, 50.0) / 1000.0)),
            ms(Duration::from_secs_f64(percentile(&times, 99.0) / 1000.0)),
            recorded.len() - lost,
            recorded.len()
        ),
        format!(
            "their first syncs, also all at once: total {}, p50 {}, p99 {}",
            ms(first_total),
            ms(Duration::from_secs_f64(percentile(&first_times, 50.0) / 1000.0)),
            ms(Duration::from_secs_f64(percentile(&first_times, 99.0) / 1000.0)),
        ),
        format!("lost: {lost} (target 0)"),
    );
    out.verdicts.push(format!(
        "{p} phones syncing at once: zero loss: {} ({lost} lost of {}); total {}, p50 {}, p99 {}.",
        met(lost == 0),
        recorded.len(),
        ms(total),
        ms(Duration::from_secs_f64(percentile(&times, 50.0) / 1000.0)),
        ms(Duration::from_secs_f64(percentile(&times, 99.0) / 1000.0)),
    ));
    assert_eq!(lost, 0, "visits lost with {p} phones at once");
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
