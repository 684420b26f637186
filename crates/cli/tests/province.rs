//! The built `gocua` binary and a real PostgreSQL (a throwaway cluster on loopback, TLS
//! verified): `gocua province --migrate`, `gocua hub report` from two demo wards, `gocua province`
//! printing their table with the wards' own figures; a password in the URL or a loose password
//! file is refused and nothing is sent.

use std::path::Path;
use std::process::Command;

use gocua_province::testing::{Cluster, PASSWORD};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn gocua(db: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gocua"));
    cmd.args(args)
        .arg("--db")
        .arg(db)
        .env_remove("GOCUA_LANG")
        .env_remove("GOCUA_PROVINCE_URL")
        .env_remove("GOCUA_PROVINCE_PASSWORD")
        .env_remove("GOCUA_PROVINCE_PASSWORD_FILE")
        .env("GOCUA_NOW", "2026-11-22 19:00");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn ok(db: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let r = gocua(db, args, env);
    assert_eq!(
        r.code, 0,
        "gocua {args:?}\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    r.stdout
}

#[test]
fn wards_report_and_the_province_prints_their_table() {
    let pg = Cluster::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(pg.database("province"));
    let url = pg.url("province");
    let dir = tempfile::tempdir().unwrap();
    let pw_file = dir.path().join("province.pw");
    std::fs::write(&pw_file, format!("{PASSWORD}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pw_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let pw = pw_file.to_str().unwrap();
    let env = [("GOCUA_PROVINCE_PASSWORD", PASSWORD)];

    let first = dir.path().join("a.sqlite");
    let out = ok(&first, &["province", "--migrate", "--url", &url], &env);
    assert!(out.contains("0001_schema.sql"), "{out}");

    let mut wards = Vec::new();
    for (i, seed) in [3u64, 11].into_iter().enumerate() {
        let db = dir.path().join(format!("ward-{i}.sqlite"));
        ok(
            &db,
            &[
                "demo",
                "--no-serve",
                "--households",
                "60",
                "--seed",
                &seed.to_string(),
            ],
            &[],
        );
        let out = ok(
            &db,
            &["hub", "report", "--to", &url, "--password-file", pw],
            &[],
        );
        assert!(out.starts_with("Đã gửi báo cáo số 1"), "{out}");
        assert!(out.contains("kết nối mã hóa TLS"), "{out}");
        let again: serde_json::Value = serde_json::from_str(&ok(
            &db,
            &["hub", "report", "--json"],
            &[
                ("GOCUA_PROVINCE_URL", &url),
                ("GOCUA_PROVINCE_PASSWORD", PASSWORD),
            ],
        ))
        .unwrap();
        assert_eq!(again["outcome"], "applied");
        assert_eq!(again["full"], false);
        assert_eq!(again["households_sent"], 0);
        let ward: serde_json::Value =
            serde_json::from_str(&ok(&db, &["progress", "--json"], &[])).unwrap();
        wards.push(ward[0].clone());
    }
    assert_ne!(wards[0]["key"], wards[1]["key"], "two different wards");

    let table: serde_json::Value =
        serde_json::from_str(&ok(&first, &["province", "--json", "--url", &url], &env)).unwrap();
    let rows = table["wards"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for w in &wards {
        let row = rows
            .iter()
            .find(|r| r["ward_code"] == w["key"])
            .unwrap_or_else(|| panic!("{w} in {table}"));
        for f in [
            "households",
            "visited_households",
            "eligible",
            "cccd",
            "level2",
            "activated",
        ] {
            assert_eq!(row[f], w["progress"][f], "{f} of {}", w["key"]);
        }
    }
    let sum = |f: &str| -> u64 {
        wards
            .iter()
            .map(|w| w["progress"][f].as_u64().unwrap())
            .sum()
    };
    assert_eq!(
        table["totals"]["activated"].as_u64().unwrap(),
        sum("activated")
    );

    let text = ok(&first, &["province", "--daily", "--url", &url], &env);
    assert!(text.contains("Toàn tỉnh (2 phường, xã)"), "{text}");
    assert!(text.contains("Kích hoạt lũy kế"), "{text}");
    for w in &wards {
        assert!(text.contains(w["label"].as_str().unwrap()), "{text}");
    }
    let en = ok(&first, &["province", "--lang", "en", "--url", &url], &env);
    assert!(en.contains("Province (2 wards)"), "{en}");
}

#[test]
fn a_password_on_the_command_line_or_in_a_loose_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ward.sqlite");
    ok(
        &db,
        &["demo", "--no-serve", "--households", "30", "--seed", "5"],
        &[],
    );
    let r = gocua(
        &db,
        &[
            "hub",
            "report",
            "--json",
            "--to",
            "postgres://ward:secret@127.0.0.1:1/province",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{} {}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["error"]["code"], "password_in_url");

    let loose = dir.path().join("pw");
    std::fs::write(&loose, "secret\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = gocua(
        &db,
        &[
            "hub",
            "report",
            "--to",
            "postgres://ward@127.0.0.1:1/province",
            "--password-file",
            loose.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("0644") || r.stderr.contains("644"),
        "{}",
        r.stderr
    );
}
