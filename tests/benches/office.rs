//! Benchmark of the office dashboard's hub side on the 10,000-household demo ward: each
//! breakdown of `progress`, `daily_progress` and `leaderboard` through the HTTP API (signed
//! in, over TLS on loopback, as the dashboard calls them), and the full XLSX report, through
//! the API and built directly. Targets: each breakdown ≤ 100 ms, the report ≤ 2 s.
//!
//! A plain timing binary (`harness = false`) like `benches/sync.rs`: `cargo bench -p gocua-tests
//! --bench office` runs it in full; without `--bench` (as `cargo test --benches` runs it) or with
//! `GOCUA_BENCH_QUICK=1` it smoke-runs on a small ward.

use std::time::{Duration, Instant};

use gocua_domain::{Lang, Timestamp};
use gocua_hub::HubConfig;
use gocua_store::queries::Dimension;
use gocua_tests::write_ward;
use gocua_wardgen::{WardSpec, generate};

const SEED: u64 = 2026;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = !args.iter().any(|a| a == "--bench")
        || std::env::var("GOCUA_BENCH_QUICK").is_ok_and(|v| v == "1");
    let (spec, runs) = if quick {
        (WardSpec::small(SEED).with_households(60), 3)
    } else {
        (WardSpec::full(SEED), 15)
    };
    gocua_tests::print_bench_header(quick, "quick (smoke run, small ward)");
    let work = tempfile::tempdir().expect("temporary directory");
    let db = work.path().join("hub.sqlite");
    let g = generate(&spec);
    drop(write_ward(&db, &g));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let running = gocua_hub::start(HubConfig {
            db: db.clone(),
            bind: "127.0.0.1:0".parse().expect("addr"),
            advertise: vec!["127.0.0.1".into()],
            limits: Default::default(),
            http: Default::default(),
            key: None,
            durability: gocua_store::Durability::Grouped,
        })
        .await
        .expect("start hub");
        let base = format!("https://127.0.0.1:{}", running.addr.port());
        let client = gocua_client::tls::pinned_client(running.fingerprint, Duration::from_secs(60))
            .expect("client");
        let token = {
            let store = running.hub.store.lock().expect("store");
            gocua_hub::office::new_signin_token(&store, gocua_hub::server::now()).expect("token")
        };
        let r = client
            .post(format!("{base}/api/v1/office/session"))
            .header("content-type", "application/json")
            .body(serde_json::json!({ "token": token }).to_string())
            .send()
            .await
            .expect("sign in");
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("cookie")
            .to_string();
        let call = |cmd: &'static str, args: serde_json::Value| {
            let client = client.clone();
            let cookie = cookie.clone();
            let base = base.clone();
            async move {
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/command/{cmd}"))
                    .header("content-type", "application/json")
                    .header("cookie", cookie)
                    .body(args.to_string())
                    .send()
                    .await
                    .expect("answer");
                assert_eq!(r.status(), 200, "{cmd}");
                let n = r.bytes().await.expect("body").len();
                (t.elapsed(), n)
            }
        };
        let households = running
            .hub
            .store
            .lock()
            .expect("store")
            .hub_all_households()
            .expect("households")
            .len();
        println!("ward: {households} households; {runs} runs each, median (max)");
        println!(
            "{:<34} {:>10} {:>10} {:>10}",
            "through the HTTP API", "median", "max", "bytes"
        );
        let mut cases: Vec<(String, &'static str, serde_json::Value)> = Vec::new();
        for by in Dimension::ALL {
            cases.push((
                format!("progress by {}", by.as_str()),
                "progress",
                serde_json::json!({"by": by.as_str()}),
            ));
        }
        for by in [Dimension::Team, Dimension::Volunteer, Dimension::Org] {
            cases.push((
                format!("leaderboard by {}", by.as_str()),
                "leaderboard",
                serde_json::json!({"by": by.as_str()}),
            ));
        }
        cases.push((
            "daily_progress".into(),
            "daily_progress",
            serde_json::Value::Null,
        ));
        cases.push(("hard_cases".into(), "hard_cases", serde_json::json!({})));
        for (label, cmd, args) in cases {
            let mut times = Vec::new();
            let mut bytes = 0;
            for _ in 0..runs {
                let (t, n) = call(cmd, args.clone()).await;
                times.push(t);
                bytes = n;
            }
            let max = *times.iter().max().expect("runs");
            println!(
                "{label:<34} {:>10} {:>10} {bytes:>10}",
                ms(median(times)),
                ms(max)
            );
        }
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..runs.min(5) {
            let t = Instant::now();
            let r = client
                .get(format!("{base}/api/v1/office/report.xlsx?lang=vi"))
                .header("cookie", cookie.clone())
                .send()
                .await
                .expect("report");
            assert_eq!(r.status(), 200);
            bytes = r.bytes().await.expect("body").len();
            times.push(t.elapsed());
        }
        let max = *times.iter().max().expect("runs");
        println!(
            "{:<34} {:>10} {:>10} {bytes:>10}",
            "report.xlsx (7 sheets)",
            ms(median(times)),
            ms(max)
        );
        // The same report built directly on the store, without HTTP.
        {
            let store = running.hub.store.lock().expect("store");
            let today = Timestamp(gocua_hub::server::now()).local_date();
            let mut times = Vec::new();
            for _ in 0..runs.min(5) {
                let t = Instant::now();
                let b = gocua_app::report::build(&store, Lang::Vi, today).expect("report");
                times.push(t.elapsed());
                bytes = b.len();
            }
            let max = *times.iter().max().expect("runs");
            println!(
                "{:<34} {:>10} {:>10} {bytes:>10}",
                "report::build (no HTTP)",
                ms(median(times)),
                ms(max)
            );
        }
        running.stop().await;
    });
}
