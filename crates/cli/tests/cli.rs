//! The built `gocua` binary on a temporary replica: the demo ward, tables in both languages,
//! JSON output, and errors with their exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `gocua` with a pinned clock (the demo ward's evening) and no language from the caller's
/// environment.
fn gocua(db: &Path, args: &[&str]) -> Run {
    gocua_env(db, args, &[])
}

fn gocua_env(db: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gocua"));
    cmd.args(args)
        .arg("--db")
        .arg(db)
        .env_remove("GOCUA_LANG")
        .env("GOCUA_NOW", "2026-11-22 19:00");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

fn ok(db: &Path, args: &[&str]) -> String {
    let r = gocua(db, args);
    assert_eq!(
        r.code, 0,
        "gocua {args:?}\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    r.stdout
}

fn json(db: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&ok(db, &all)).unwrap()
}

fn demo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo").join("ward.sqlite");
    let out = ok(
        &db,
        &["demo", "--no-serve", "--households", "60", "--seed", "3"],
    );
    assert!(out.starts_with("Đã tạo phường mẫu"), "{out}");
    assert!(out.contains("Đã kích hoạt tài khoản"), "{out}");
    (dir, db)
}

#[test]
fn demo_then_tables_in_both_languages() {
    let (_dir, db) = demo();
    let again = ok(&db, &["demo", "--no-serve"]);
    assert!(again.starts_with("Phường mẫu đã có sẵn"), "{again}");

    let vi = ok(&db, &["progress", "--by", "group"]);
    assert!(vi.starts_with("Tổ dân phố"), "{vi}");
    assert!(vi.contains("Tổ dân phố 1"), "{vi}");
    assert!(
        vi.contains(",") && vi.contains("%)"),
        "Vietnamese decimals: {vi}"
    );
    let en = ok(&db, &["progress", "--by", "group", "--lang", "en"]);
    assert!(en.starts_with("Group"), "{en}");
    let from_env = gocua_env(&db, &["progress", "--by", "group"], &[("GOCUA_LANG", "en")]);
    assert_eq!(from_env.stdout, en);

    let ward = ok(&db, &["progress"]);
    assert!(ward.contains("so với chỉ tiêu"), "{ward}");
    let board = ok(&db, &["leaderboard", "--by", "team"]);
    assert!(board.lines().nth(2).unwrap().starts_with("1 "), "{board}");

    let streets = ok(&db, &["streets"]);
    assert!(streets.lines().count() > 3, "{streets}");
    let days = ok(&db, &["daily"]);
    assert!(days.contains("2026-11-22"), "{days}");
    let who = ok(&db, &["whoami"]);
    assert!(who.starts_with("Vai trò: Tổ trưởng"), "{who}");
}

#[test]
fn json_output_parses_and_search_ignores_diacritics() {
    let (_dir, db) = demo();
    let rows = json(&db, &["households", "--limit", "3"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let hid = rows[0]["id"].as_str().unwrap().to_string();

    let hits = json(&db, &["search", "NGUYEN", "--limit", "5"]);
    let hits = hits.as_array().unwrap();
    assert!(!hits.is_empty());
    for h in hits {
        let name = h["full_name"].as_str().unwrap();
        assert!(name.contains("Nguyễn"), "{name}");
    }
    let table = ok(&db, &["search", "nguyen"]);
    assert!(table.contains("Nguyễn"), "{table}");

    let detail = json(&db, &["household", &hid]);
    let rid = detail["residents"][0]["id"].as_str().unwrap().to_string();
    let spec = format!("{rid}:cccd=has,level2,activation=level2");
    let visit = json(
        &db,
        &[
            "visit",
            &hid,
            "--outcome",
            "met",
            "--resident",
            &spec,
            "--note",
            "Kích hoạt tại nhà",
        ],
    );
    assert_eq!(visit["household"], hid.as_str());
    assert_eq!(visit["actions"][0]["reached"]["activation"], "level2");
    let human = ok(&db, &["household", &hid]);
    assert!(human.contains("Kích hoạt tại nhà"), "{human}");
    let progress = json(&db, &["progress"]);
    assert!(progress[0]["progress"]["activated"].as_u64().unwrap() > 0);
}

#[test]
fn errors_speak_the_users_language() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.sqlite");
    let vi = gocua(&missing, &["progress"]);
    assert_eq!(vi.code, 1);
    assert!(
        vi.stderr.starts_with("Lỗi: Chưa có tệp dữ liệu"),
        "{}",
        vi.stderr
    );
    let en = gocua(&missing, &["progress", "--lang", "en"]);
    assert_eq!(en.code, 1);
    assert!(
        en.stderr.starts_with("Error: No replica at"),
        "{}",
        en.stderr
    );
    let j = gocua(&missing, &["progress", "--json"]);
    assert_eq!(j.code, 1);
    let body: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(body["error"]["code"], "no_database");
    assert!(!missing.exists(), "reading commands never create a replica");

    let (_dir, db) = demo();
    let hid = json(&db, &["households", "--limit", "1"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = gocua(&db, &["revisit", &hid, "--at", "2026-11-23 10:00"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("Lỗi: Giờ hẹn 2026-11-23 10:00 nằm ngoài khung giờ đi"),
        "{}",
        r.stderr
    );
    let r = gocua(&db, &["revisit", &hid, "--at", "2026-11-23 19:30"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    ok(&db, &["identity", "--role", "volunteer"]);
    let r = gocua(&db, &["assign", "household", &hid, "--team", "t-01"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "Lỗi: Chỉ tổ trưởng hoặc văn phòng phường được phân công lại"
    );

    let usage = gocua(&db, &["visit", &hid, "--outcome", "danced"]);
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    let usage = gocua(
        &db,
        &["visit", &hid, "--outcome", "met", "--resident", "r-1:flew"],
    );
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    assert!(
        usage.stderr.starts_with("Lỗi: --resident r-1:flew"),
        "{}",
        usage.stderr
    );
}

#[test]
fn gen_list_writes_a_registry_list_whose_broken_rows_import_reports() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ward.sqlite");
    let list = dir.path().join("nhan-khau.xlsx");
    let list_arg = list.to_str().unwrap();
    let made: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &[
            "gen-list",
            "--shape",
            "registry",
            "--households",
            "40",
            "--broken",
            "4",
            "--out",
            list_arg,
        ],
    ))
    .unwrap();
    assert!(list.exists());
    let broken = made["broken"].as_array().unwrap();
    assert!(broken.len() >= 4, "{made}");
    ok(
        &db,
        &[
            "init",
            "--ward-name",
            "Phường Ngọc Hà",
            "--campaign",
            "90 ngày, đêm",
            "--start",
            "2026-11-01",
            "--end",
            "2027-01-29",
        ],
    );
    let report = json(&db, &["import", list_arg]);
    assert_eq!(report["imported"], false);
    assert_eq!(report["shape"], "registry");
    let rows = |v: &serde_json::Value| -> Vec<(u64, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["row"].as_u64().unwrap(),
                    e["code"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(rows(&report["errors"]), rows(&made["broken"]));
    let report = json(&db, &["import", list_arg, "--accept-valid-rows"]);
    assert_eq!(report["imported"], true);
    assert_eq!(report["households"], made["households"]);
    assert_eq!(report["residents"], made["residents"]);

    let r = gocua(&db, &["gen-list", "--shape", "template", "--out", list_arg]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("registry"), "{}", r.stderr);
}

#[test]
fn households_says_when_it_cut_the_list_and_not_when_it_did_not() {
    let (_dir, db) = demo();
    let cut = gocua(&db, &["households", "--limit", "3", "--json"]);
    assert_eq!(cut.code, 0, "{}", cut.stderr);
    let rows: serde_json::Value = serde_json::from_str(&cut.stdout).unwrap();
    assert_eq!(
        rows.as_array().unwrap().len(),
        3,
        "stdout stays the rows asked for"
    );
    assert!(
        cut.stderr.contains("Chỉ hiện 3 hộ đầu tiên"),
        "{}",
        cut.stderr
    );
    let whole = gocua(&db, &["households", "--limit", "100000"]);
    assert_eq!(whole.code, 0);
    assert!(!whole.stderr.contains("Chỉ hiện"), "{}", whole.stderr);
}

#[test]
fn json_errors_keep_their_own_codes() {
    let (dir, db) = demo();
    let code = |r: Run| -> String {
        assert_ne!(r.code, 0);
        let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {} / {}", r.stdout, r.stderr);
        });
        v["error"]["code"].as_str().unwrap().to_string()
    };
    assert_eq!(
        code(gocua(
            &db,
            &[
                "--json",
                "hub",
                "pair",
                "--role",
                "volunteer",
                "--team",
                "t-99"
            ]
        )),
        // The demo was made with --no-serve: the hub has no address to put in a code yet.
        "hub_never_ran"
    );
    let garbage = dir.path().join("garbage.sqlite");
    std::fs::write(&garbage, b"not a database, not at all, no").unwrap();
    assert_eq!(
        code(gocua(
            &garbage,
            &["--json", "hub", "serve", "--bind", "127.0.0.1:0"]
        )),
        "wrong_key"
    );
    assert_eq!(
        code(gocua(&db, &["--json", "household", "h-nope"])),
        "not_found"
    );
}
