//! Upgrades: a replica written by today's code (schema 7, a generated ward with visits, committed
//! in `tests/fixtures/golden/`) must open with every later version of the code, migrate, and read
//! the same ward — the same households, visits and figures — and accept new visits. When a
//! migration is added, this test runs it over a real file of the previous schema.
//!
//! The fixture was made with `gocua --db ward-schema7.sqlite demo --households 30 --seed 7
//! --no-serve` and the figures beside it (`*.expected.json`) with `gocua --json progress` and
//! `gocua --json households`. Never regenerate them to make this test pass.

use std::path::Path;

use gocua_app::App;
use gocua_domain::Lang;
use gocua_store::Store;
use serde_json::{Value, json};

fn golden() -> (tempfile::TempDir, std::path::PathBuf, Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("ward.sqlite");
    std::fs::copy(dir.join("ward-schema7.sqlite"), &db).expect("the golden replica");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("ward-schema7.expected.json")).unwrap(),
    )
    .unwrap();
    (tmp, db, expected)
}

fn app(db: &Path) -> App {
    let mut app = App::new(Store::open(db).expect("open and migrate"), Lang::Vi).unwrap();
    app.set_clock(Some(
        gocua_domain::Timestamp::parse_local("2026-11-22 19:00").unwrap(),
    ));
    app
}

fn run(app: &mut App, cmd: &str, args: Value) -> Value {
    app.dispatch_json(cmd, args)
        .unwrap_or_else(|e| panic!("{cmd}: {e:?}"))
}

#[test]
fn a_schema_7_replica_opens_migrates_and_reads_the_same_ward() {
    let (_tmp, db, expected) = golden();
    assert_eq!(expected["schema_version"], 7);
    let mut a = app(&db);
    let ward = run(&mut a, "progress", json!({"by": "ward"}));
    assert_eq!(ward[0]["label"], expected["ward"]);
    assert_eq!(ward[0]["progress"], expected["progress"]);
    assert_eq!(ward[0]["target"], expected["target"]);
    let rows = run(
        &mut a,
        "list_households",
        json!({"filter": {"limit": 100000}}),
    );
    let mut ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let want: Vec<&str> = expected["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ids, want);
    let visits: u64 = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["n_visits"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(visits, expected["visits"].as_u64().unwrap());

    // The projection the old file carried equals one rebuilt by this code from its documents.
    run(&mut a, "rebuild_projection", Value::Null);
    let rebuilt = run(&mut a, "progress", json!({"by": "ward"}));
    assert_eq!(rebuilt[0]["progress"], expected["progress"]);

    // It takes new visits, and they are there after reopening.
    let h = ids[0].to_string();
    run(
        &mut a,
        "record_visit",
        json!({"household": h, "outcome": "nobody_home"}),
    );
    drop(a);
    let mut again = app(&db);
    let detail = run(&mut again, "household_detail", json!({ "id": h }));
    assert!(
        !detail["visits"].as_array().unwrap().is_empty(),
        "the new visit is kept"
    );
}
