//! Benchmark of the hub under hostile load: its peak memory around 32 concurrent zstd bombs
//! (without a credential, and from 32 paired devices), and another phone's sync latency while
//! one device keeps sending the largest full claim the hub accepts from it.
//!
//! A plain timing binary (`harness = false`) like `benches/sync.rs`: `cargo bench -p gocua-tests
//! --bench hostile` runs it in full; without `--bench` on the command line (as `cargo test
//! --benches` runs it) or with `GOCUA_BENCH_QUICK=1` it smoke-runs on a small ward. The hub runs
//! as a separate process (this binary re-executed, see [`HUB_CHILD_ENV`]) so its memory is its
//! own.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gocua_domain::{HouseholdId, Role, TeamId, Timestamp};
use gocua_hub::HubConfig;
use gocua_sync::api::{self, PairRequest, PairResponse};
use gocua_sync::pairing::PairingPayload;
use gocua_sync::wire::{self, Claim, HeldDoc, SyncRequest};
use gocua_tests::{Phone, bomb_frame, write_ward};
use gocua_wardgen::{WardSpec, generate, random_visit};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Set to `<db>:<devices>`, this binary serves `db` as a hub instead: prints `READY <n>`, then
/// one pairing payload per line (`devices` volunteers of the first team, one of the second
/// team), and serves until its standard input closes.
const HUB_CHILD_ENV: &str = "GOCUA_BENCH_HOSTILE_HUB";
const SEED: u64 = 2027;
const BOMBS: usize = 32;

fn main() {
    if let Ok(spec) = std::env::var(HUB_CHILD_ENV) {
        hub_child(&spec);
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = !args.iter().any(|a| a == "--bench")
        || std::env::var("GOCUA_BENCH_QUICK").is_ok_and(|v| v == "1");
    let (spec, runs) = if quick {
        (WardSpec::small(SEED).with_households(60), 3)
    } else {
        (WardSpec::full(SEED), 15)
    };
    gocua_tests::print_bench_header(quick, "quick (smoke run, small ward)");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let work = tempfile::tempdir().expect("temporary directory");
    let db = work.path().join("hub.sqlite");
    let g = generate(&spec);
    drop(write_ward(&db, &g));
    let hub = HubProcess::start(&db, BOMBS);
    let mut rows: Vec<[String; 3]> = Vec::new();
    rt.block_on(async {
        let auths = bombs(&hub, &mut rows).await;
        claims(&hub, &g, auths[0].clone(), runs, &mut rows).await;
    });
    hub.stop();
    println!("\n| measurement | setup | measured |");
    println!("| --- | --- | --- |");
    for r in &rows {
        println!("| {} | {} | {} |", r[0], r[1], r[2]);
    }
    println!("\nload average at the end {}", gocua_tests::load_average());
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// Nearest-rank percentile, in milliseconds.
fn percentile(v: &[Duration], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * s.len() as f64).ceil().max(1.0) as usize;
    s[rank.min(s.len()) - 1]
}

// ---------------------------------------------------------------------------------------------
// The hub in its own process

struct HubProcess {
    child: Child,
    /// Pairing payloads for volunteers of the first team.
    flooders: Vec<String>,
    /// One for a volunteer of the second team: the phone whose latency is measured.
    honest: String,
    url: String,
    fingerprint: [u8; 32],
}

use gocua_tests::{Mem, mem_of};

impl HubProcess {
    fn start(db: &Path, devices: usize) -> HubProcess {
        let exe = std::env::current_exe().expect("own executable");
        let mut child = Command::new(exe)
            .env(HUB_CHILD_ENV, format!("{}:{devices}", db.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hub process");
        let mut lines = BufReader::new(child.stdout.take().expect("child stdout")).lines();
        let ready = lines.next().expect("READY").expect("READY line");
        let n: usize = ready
            .strip_prefix("READY ")
            .and_then(|n| n.parse().ok())
            .expect("READY <n>");
        let mut payloads: Vec<String> = (0..n)
            .map(|_| lines.next().expect("payload").expect("payload line"))
            .collect();
        let honest = payloads.pop().expect("the honest phone's payload");
        let p = PairingPayload::parse(&honest).expect("payload");
        HubProcess {
            child,
            flooders: payloads,
            honest,
            url: p.hub_urls[0].clone(),
            fingerprint: p.cert_sha256,
        }
    }

    fn mem(&self) -> Mem {
        mem_of(&self.child.id().to_string())
    }

    fn stop(mut self) {
        drop(self.child.stdin.take());
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

fn hub_child(spec: &str) {
    let (db, devices) = spec.rsplit_once(':').expect("<db>:<devices>");
    let devices: usize = devices.parse().expect("device count");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let hub = rt
        .block_on(gocua_hub::start(HubConfig {
            db: db.into(),
            bind: "127.0.0.1:0".parse().expect("addr"),
            advertise: vec!["127.0.0.1".into()],
            limits: Default::default(),
            http: Default::default(),
            key: None,
            durability: gocua_store::Durability::Grouped,
        }))
        .expect("start hub");
    let payloads: Vec<String> = {
        let mut store = hub.hub.store.lock().expect("hub store");
        let teams: Vec<TeamId> = store
            .plan_state()
            .expect("plan")
            .teams
            .iter()
            .map(|t| t.id.clone())
            .collect();
        let identity = gocua_hub::HubIdentity {
            urls: &hub.urls,
            fingerprint: hub.fingerprint,
            ward: &hub.hub.ward,
        };
        let now = gocua_hub::server::now();
        (0..=devices)
            .map(|i| {
                let team = if i < devices { &teams[0] } else { &teams[1] };
                let device = gocua_tests::device_for(&store, Role::Volunteer, Some(team));
                gocua_hub::new_pairing(&store, &device, &identity, 3600, now)
                    .expect("pairing")
                    .to_uri()
            })
            .collect()
    };
    println!("READY {}", payloads.len());
    for p in payloads {
        println!("{p}");
    }
    let _ = std::io::stdout().flush();
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    rt.block_on(hub.stop());
}

// ---------------------------------------------------------------------------------------------
// Raw requests

fn client(hub: &HubProcess) -> reqwest::Client {
    gocua_client::tls::pinned_client(hub.fingerprint, Duration::from_secs(120)).expect("client")
}

/// Pairs a device without a replica: its `Authorization` header.
async fn pair_raw(c: &reqwest::Client, hub: &HubProcess, payload: &str) -> String {
    let p = PairingPayload::parse(payload).expect("payload");
    let r = c
        .post(format!("{}{}", hub.url, api::PATH_PAIR))
        .header("content-type", "application/json")
        .body(
            serde_json::to_vec(&PairRequest {
                code: p.join_code,
                device_name: "bench".into(),
                actor: None,
            })
            .expect("json"),
        )
        .send()
        .await
        .expect("pair");
    let pr: PairResponse =
        serde_json::from_slice(&r.bytes().await.expect("body")).expect("pair response");
    format!("Bearer {}.{}", pr.device_id, pr.token)
}

async fn post_sync(
    c: &reqwest::Client,
    url: &str,
    auth: Option<&str>,
    frame: Vec<u8>,
) -> (u16, String) {
    let mut req = c
        .post(format!("{url}{}", api::PATH_SYNC))
        .header("content-type", "application/octet-stream")
        .body(frame);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let bytes = r.bytes().await.unwrap_or_default();
            let code = serde_json::from_slice::<gocua_sync::api::ErrorBody>(&bytes)
                .map(|b| b.code)
                .unwrap_or_else(|_| "ok".into());
            (status, code)
        }
        Err(e) => (0, format!("connection: {e}")),
    }
}

fn tally(answers: &[(u16, String)]) -> String {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for (s, c) in answers {
        *counts.entry(format!("{s} {c}")).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(k, n)| format!("{n}× {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// 1. Bombs

/// Returns the flooders' credentials.
async fn bombs(hub: &HubProcess, rows: &mut Vec<[String; 3]>) -> Vec<String> {
    let c = client(hub);
    let mut auths = Vec::new();
    for p in hub.flooders.clone() {
        auths.push(pair_raw(&c, hub, &p).await);
    }
    // Bombs declaring the largest body there is, and "liars" declaring exactly what these
    // devices may send (the bound of their team's documents) while expanding to 256 MiB:
    // those are inflated up to the bound and then refused.
    let (bound, _) = device_bound(&c, hub, &auths[0]).await;
    let max = wire::MAX_BODY;
    let bomb = bomb_frame(max as u32, max);
    let liar = bomb_frame(bound as u32, max);
    std::thread::sleep(Duration::from_millis(300));
    let liar_setup = format!(
        "32 paired devices, declared {:.1} MiB (their bound), expanding to 256 MiB",
        bound as f64 / (1 << 20) as f64
    );
    let phases: [(&str, &Vec<u8>, bool); 3] = [
        ("no credential", &bomb, false),
        ("32 paired devices, declared 256 MiB", &bomb, true),
        (&liar_setup, &liar, true),
    ];
    for (setup, frame, with_auth) in phases {
        let before = hub.mem();
        let t = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..BOMBS {
            let c = c.clone();
            let frame = (*frame).clone();
            let auth = with_auth.then(|| auths[i % auths.len()].clone());
            let url = hub.url.clone();
            tasks.push(tokio::spawn(async move {
                post_sync(&c, &url, auth.as_deref(), frame).await
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.expect("task"));
        }
        let wall = t.elapsed();
        std::thread::sleep(Duration::from_millis(200));
        let after = hub.mem();
        let grew = after.hwm.saturating_sub(before.hwm);
        rows.push([
            format!(
                "hub peak RSS around {BOMBS} concurrent zstd bombs ({} each)",
                bomb.len()
            ),
            setup.to_string(),
            format!(
                "peak {} → {} (+{}; target < +50 MiB: {}); RSS after {}; {:.0} ms; answers: {}",
                mib(before.hwm),
                mib(after.hwm),
                mib(grew),
                if grew < 50 << 20 { "met" } else { "NOT met" },
                mib(after.rss),
                wall.as_secs_f64() * 1000.0,
                tally(&answers)
            ),
        ]);
        eprintln!("  {}", rows.last().map(|r| r[2].as_str()).unwrap_or(""));
    }
    auths
}

// ---------------------------------------------------------------------------------------------
// 2. The largest full claim, over and over, while another phone syncs

async fn claims(
    hub: &HubProcess,
    g: &gocua_wardgen::GeneratedWard,
    auth: String,
    runs: usize,
    rows: &mut Vec<[String; 3]>,
) {
    let c = client(hub);
    // A fresh device of the first team floods; its bound is what its team may hold.
    let mut honest = Phone::new("máy đo");
    honest
        .pair(&hub.honest)
        .await
        .expect("pair the measured phone");
    honest.sync().await.expect("first sync");
    let team2 = g.teams[1].id.clone();
    let volunteer = g
        .volunteers
        .iter()
        .find(|v| v.team.as_ref() == Some(&team2))
        .expect("a volunteer of the second team")
        .clone();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let held = honest.household_ids();
    let measure = |phone: &mut Phone, rng: &mut ChaCha8Rng| {
        for hid in held.iter().take(3) {
            let h = phone
                .store
                .household_state(&HouseholdId::parse(hid).expect("id"))
                .expect("state")
                .household;
            phone.record(random_visit(rng, &h, &volunteer, Timestamp(1_795_348_800)));
        }
    };
    let mut quiet = Vec::new();
    for _ in 0..runs {
        measure(&mut honest, &mut rng);
        let t = Instant::now();
        honest.sync().await.expect("sync");
        quiet.push(t.elapsed());
    }

    // The flooder: a paired volunteer of the first team, sending the longest full claim the hub
    // accepts from it (twice what it may hold, plus a margin: `Access::max_list`), within the
    // body bound of what its team may hold. Heads are random, so the frame does not compress.
    let (bound, documents) = device_bound(&c, hub, &auth).await;
    let mut heads_rng = ChaCha8Rng::seed_from_u64(SEED + 1);
    let mut entry = |i: usize| HeldDoc {
        doc: format!("h-{i:07}"),
        heads: vec![rand::Rng::r#gen(&mut heads_rng)],
    };
    let per_entry = postcard_len(&entry(0));
    let n = ((bound - 64) / per_entry).min(2 * documents + 64);
    let claim: Vec<HeldDoc> = (0..n).map(&mut entry).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        let c = c.clone();
        let url = hub.url.clone();
        tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut times = Vec::new();
            let mut size = 0;
            let mut batch = 1u64;
            while !stop.load(Ordering::SeqCst) {
                let frame = wire::encode(&SyncRequest {
                    batch,
                    claim: Claim::Full(claim.clone()),
                    push: vec![],
                    protocol: vec![],
                })
                .expect("encode");
                size = frame.len();
                batch += 1;
                let t = Instant::now();
                answers.push(post_sync(&c, &url, Some(&auth), frame).await);
                times.push(t.elapsed());
            }
            (answers, times, size)
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut loaded = Vec::new();
    for _ in 0..runs {
        measure(&mut honest, &mut rng);
        let t = Instant::now();
        honest.sync().await.expect("sync under flood");
        loaded.push(t.elapsed());
    }
    stop.store(true, Ordering::SeqCst);
    let (answers, times, size) = flood.await.expect("flood task");
    rows.push([
        "another phone's sync (3 new visits), no flood".into(),
        format!("{runs} runs, volunteer of another team"),
        format!(
            "p50 {:.1} ms, p99 {:.1} ms",
            percentile(&quiet, 50.0),
            percentile(&quiet, 99.0)
        ),
    ]);
    rows.push([
        "… while one device repeatedly sends the largest full claim".into(),
        format!(
            "{n} entries ({} KiB frame, bound {} MiB), {} requests",
            size / 1024,
            bound >> 20,
            answers.len()
        ),
        format!(
            "p50 {:.1} ms, p99 {:.1} ms; the flooder's requests p50 {:.1} ms; hub answered: {}",
            percentile(&loaded, 50.0),
            percentile(&loaded, 99.0),
            percentile(&times, 50.0),
            tally(&answers)
        ),
    ]);
    eprintln!("  {}", rows.last().map(|r| r[2].as_str()).unwrap_or(""));
}

/// What a device may send, and the number of documents the hub says it may hold.
async fn device_bound(c: &reqwest::Client, hub: &HubProcess, auth: &str) -> (usize, usize) {
    let status: api::StatusResponse = serde_json::from_slice(
        &c.get(format!("{}{}", hub.url, api::PATH_STATUS))
            .header("authorization", auth)
            .send()
            .await
            .expect("status")
            .bytes()
            .await
            .expect("status body"),
    )
    .expect("status json");
    let documents = status.documents as usize;
    (
        gocua_hub::HttpLimits::default().body_for(documents),
        documents,
    )
}

fn postcard_len(e: &HeldDoc) -> usize {
    // An encoded claim of one entry, less the frame and the claim's own overhead.
    let one = wire::encode(&SyncRequest {
        batch: 1,
        claim: Claim::Full(vec![e.clone(), e.clone()]),
        ..Default::default()
    })
    .expect("encode")
    .len();
    let none = wire::encode(&SyncRequest {
        batch: 1,
        claim: Claim::Full(vec![e.clone()]),
        ..Default::default()
    })
    .expect("encode")
    .len();
    one.saturating_sub(none).max(1)
}
