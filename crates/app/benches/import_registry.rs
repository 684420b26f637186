//! Benchmark of importing a real-shaped 30,000-row list (the registry's "DANH SÁCH NHÂN KHẨU"
//! with title rows, merged group cells, numbers that lost their zeros, NFD names and mixed
//! dates): parsing the XLSX and the CSV, and the whole `import` command into a fresh replica,
//! then the same list again.
//!
//! A plain timing binary like the store's bench: `cargo bench -p gocua-app --bench
//! import_registry` prints a Markdown table; without `--bench` (as `cargo test --benches` runs
//! it) it only smoke-tests each step on a small list.

use std::time::{Duration, Instant};

use gocua_app::commands::{Command, CreateWard, Import, Response};
use gocua_app::{App, import};
use gocua_domain::{Lang, Timestamp};
use gocua_wardgen::{RegistrySpec, registry_list};

fn main() {
    let full_run = std::env::args().any(|a| a == "--bench");
    // About three residents a household: 10,000 households give about 30,000 rows.
    let (households, parses) = if full_run { (10_000, 3) } else { (60, 1) };
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rows: Vec<[String; 4]> = Vec::new();

    let t = Instant::now();
    let list = registry_list(&RegistrySpec::messy(2026, households));
    let generated = t.elapsed();
    let xlsx = dir.path().join("nhan-khau.xlsx");
    let csv = dir.path().join("nhan-khau.csv");
    let t = Instant::now();
    list.write_xlsx(&xlsx).expect("write xlsx");
    let written = t.elapsed();
    std::fs::write(&csv, list.to_csv()).expect("write csv");
    let size = std::fs::metadata(&xlsx).map_or(0, |m| m.len());
    let setup = format!(
        "{} rows, {} households, {} residents; XLSX {:.1} MB",
        list.rows.len(),
        list.households.len(),
        list.residents(),
        size as f64 / 1e6
    );
    rows.push([
        "generate the list and write the XLSX".into(),
        setup.clone(),
        format!("generate {}, write {}", ms(generated), ms(written)),
        "—".into(),
    ]);

    for (label, path) in [("XLSX", &xlsx), ("CSV", &csv)] {
        let mut times = Vec::new();
        for _ in 0..parses {
            let t = Instant::now();
            let parsed = import::parse_path(path, Lang::Vi, &mut |_, _| {}).expect("parse");
            times.push(t.elapsed());
            assert!(parsed.errors.is_empty(), "{:?}", &parsed.errors[..1]);
            assert_eq!(parsed.households.len(), list.households.len());
        }
        times.sort();
        rows.push([
            format!("parse the {label} (import::parse_path)"),
            setup.clone(),
            format!("median {} (n={})", ms(times[times.len() / 2]), times.len()),
            "—".into(),
        ]);
    }

    let mut app = App::open(&dir.path().join("replica.sqlite"), Lang::Vi).expect("replica");
    app.set_clock(Some(
        Timestamp::parse_local("2026-11-22 19:00").expect("time"),
    ));
    app.execute(
        Command::CreateWard(CreateWard {
            ward_name: "Phường Ngọc Hà".into(),
            district: "Quận Ba Đình, Hà Nội".into(),
            campaign: "90 ngày, đêm".into(),
            start: time::macros::date!(2026 - 11 - 01),
            end: time::macros::date!(2027 - 01 - 29),
            targets: Default::default(),
            eligible_age: None,
            quota_per_volunteer: None,
        }),
        &mut |_| {},
    )
    .expect("create ward");
    for label in ["import command into a fresh replica", "the same list again"] {
        let t = Instant::now();
        let response = app
            .execute(
                Command::Import(Import {
                    path: xlsx.clone(),
                    accept_valid_rows: false,
                }),
                &mut |_| {},
            )
            .expect("import");
        let took = t.elapsed();
        let Response::Import(report) = response else {
            panic!("not an import report");
        };
        assert!(report.imported);
        rows.push([
            label.into(),
            setup.clone(),
            format!(
                "{} (created {}, unchanged {})",
                secs(took),
                report.summary.created,
                report.summary.unchanged
            ),
            "seconds, not minutes".into(),
        ]);
    }

    println!("| step | setup | measured | target |");
    println!("| --- | --- | --- | --- |");
    for [a, b, c, d] in rows {
        println!("| {a} | {b} | {c} | {d} |");
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
