//! Benchmark of the province's reports on a real PostgreSQL (a throwaway cluster on loopback,
//! TLS, fsync on): one ward's full report (10,000 households) and its incremental report after
//! an evening's sync; 100 wards reporting (rows, time, database size); the province's ranking
//! query over 100 wards × 10,000 households (target ≤ 200 ms).
//!
//! The 100 wards are one generated 10,000-household ward reported under 100 ward codes:
//! generating and loading a full ward through the store's writes takes about a minute, so 100
//! distinct ones would take over an hour. Each simulated ward is a separate report (its own
//! transaction, rows and sequence), so rows, time and size are those of 100 wards; only the
//! figures repeat.
//!
//! A plain timing binary (`harness = false`): `cargo bench -p gocua-province --bench province`
//! runs it in full; without `--bench` (as `cargo test --all-targets` runs it) or with
//! `GOCUA_BENCH_QUICK=1` it smoke-runs on a small ward and 3 simulated wards.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gocua_province::testing::{Cluster, ward_hub};
use gocua_province::{Outcome, ReportOptions};
use gocua_wardgen::WardSpec;

const AS_OF: time::Date = time::macros::date!(2026 - 11 - 22);

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = !args.iter().any(|a| a == "--bench")
        || std::env::var("GOCUA_BENCH_QUICK").is_ok_and(|v| v == "1");
    let (spec, wards, runs) = if quick {
        (WardSpec::small(2026).with_households(60), 3, 3)
    } else {
        (WardSpec::full(2026), 100, 21)
    };
    println!(
        "province benchmark ({})",
        if quick {
            "quick: smoke run, small ward"
        } else {
            "full"
        }
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let pg = Cluster::start_with(true);
    let dir = tempfile::tempdir().expect("dir");
    let t = Instant::now();
    let (store, g, held) = ward_hub(&dir.path().join("hub.sqlite"), &spec);
    println!(
        "ward generated and loaded: {} households, {} visits ({} held back as the last evening), {:.1} s",
        g.households.len(),
        g.visits.len(),
        held.len(),
        t.elapsed().as_secs_f64()
    );
    let store = Arc::new(Mutex::new(store));
    rt.block_on(async {
        let target = pg.database("province").await;
        let opts = ReportOptions {
            as_of: AS_OF,
            now: 1_795_000_000,
            full: false,
        };
        // One ward's first, full report.
        let t = Instant::now();
        let s = gocua_province::report(&store, &target, opts)
            .await
            .expect("report");
        let full_time = t.elapsed();
        assert_eq!(s.outcome, Outcome::Applied);
        println!(
            "one ward, full report: {} households sent, {} queued (zstd JSON), store lock held {} to read, {} in all (connect, TLS, schema check, one transaction)",
            s.households_sent,
            format_bytes(s.bytes_queued as i64),
            ms(s.read_time),
            ms(full_time)
        );
        // The evening's sync, then the incremental report.
        let t = Instant::now();
        {
            let mut st = store.lock().unwrap();
            for v in &held {
                st.record_visit(v).expect("visit");
            }
        }
        let sync_time = t.elapsed();
        let t = Instant::now();
        let s = gocua_province::report(&store, &target, opts)
            .await
            .expect("report");
        let inc_time = t.elapsed();
        assert_eq!(s.outcome, Outcome::Applied);
        assert!(!s.full);
        println!(
            "one ward, incremental report after an evening's sync ({} visits merged in {}): {} households sent, {} queued, lock held {} to read, {} in all",
            held.len(),
            ms(sync_time),
            s.households_sent,
            format_bytes(s.bytes_queued as i64),
            ms(s.read_time),
            ms(inc_time)
        );
        let s = gocua_province::report(&store, &target, opts)
            .await
            .expect("report");
        println!(
            "one ward, report with nothing changed: {} households sent",
            s.households_sent
        );

        // Many wards: the same ward under `wards` codes, each its own report and transaction.
        let base = {
            let st = store.lock().unwrap();
            gocua_province::report::read(&st, AS_OF).expect("read")
        };
        let report = base.into_report(1, String::new(), 1_795_000_000, true);
        let many = pg.database("province_many").await;
        let mut client = many.connect().await.expect("connect");
        gocua_province::schema::migrate(&mut client)
            .await
            .expect("migrate");
        let t = Instant::now();
        let mut per_ward = Vec::new();
        for i in 0..wards {
            let mut r = report.clone();
            r.ward_code = format!("w-bench-{i:03}");
            r.ward_name = format!("Phường Thử {i:03}");
            r.report_id = format!("bench-{i}");
            let w = Instant::now();
            let o = gocua_province::send::apply(&mut client, &r)
                .await
                .expect("apply");
            per_ward.push(w.elapsed());
            assert_eq!(o, Outcome::Applied);
        }
        let all = t.elapsed();
        client
            .batch_execute("VACUUM ANALYZE")
            .await
            .expect("analyze");
        let rows: i64 = client
            .query_one(
                "SELECT (SELECT count(*) FROM province.household_status)
                      + (SELECT count(*) FROM province.ward_progress)
                      + (SELECT count(*) FROM province.ward_daily)
                      + (SELECT count(*) FROM province.ward_blockers)
                      + (SELECT count(*) FROM province.wards)",
                &[],
            )
            .await
            .expect("rows")
            .get(0);
        let size = pg.database_size("province_many").await;
        println!(
            "{wards} wards reporting in full, one after another: {} in all, {} per ward (median), {rows} rows, database {}",
            ms(all),
            ms(median(per_ward)),
            format_bytes(size)
        );
        let households: i64 = client
            .query_one("SELECT count(*) FROM province.household_status", &[])
            .await
            .expect("count")
            .get(0);
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..runs {
            let t = Instant::now();
            n = gocua_province::view::ranking(&client)
                .await
                .expect("ranking")
                .len();
            times.push(t.elapsed());
        }
        println!(
            "province ranking query (province.ward_ranking with wards_behind), {n} wards × {} households: {} median of {runs} (target ≤ 200 ms)",
            households / n.max(1) as i64,
            ms(median(times))
        );
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            gocua_province::view::table(&client).await.expect("table");
            times.push(t.elapsed());
        }
        println!(
            "`gocua province` queries (ranking, totals, daily trend): {} median",
            ms(median(times))
        );
    });
}

fn format_bytes(b: i64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / (1 << 20) as f64)
    } else {
        format!("{:.1} KiB", b as f64 / 1024.0)
    }
}
