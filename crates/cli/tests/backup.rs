//! `gocua hub backup` and `gocua hub restore` as separate processes on a real hub on loopback:
//! a backup taken while a phone syncs, restored into a new folder and served, with the paired
//! phones syncing on against the same pinned certificate; an older backup restored under phones
//! holding newer work converges with nothing lost and no refusal shown; a truncated, foreign or
//! misplaced backup is refused with nothing written.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

fn gocua(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gocua"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("GOCUA_LANG")
        .env_remove("GOCUA_KEY_FILE")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn ok(db: &Path, args: &[&str]) -> String {
    let (code, out, err) = gocua(db, args);
    assert_eq!(code, 0, "gocua {args:?}\n{out}\n{err}");
    out
}

fn json(db: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = ok(db, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Kills the hub process even when an assertion fails.
struct HubProcess(Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// `gocua hub serve` on a fixed loopback port (so a restored hub is where phones look for it),
/// returned once it prints its address.
fn serve(db: &Path, port: u16, key: Option<&Path>) -> HubProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gocua"));
    cmd.args(["hub", "serve", "--advertise", "127.0.0.1", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--db")
        .arg(db)
        .env_remove("GOCUA_KEY_FILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(k) = key {
        cmd.arg("--key-file").arg(k);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("SHA-256") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the hub prints its fingerprint");
    HubProcess(child)
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn pair(hub_db: &Path, phone: &Path, who: &[&str], key: &[&str]) {
    let mut args = vec!["hub", "pair"];
    args.extend_from_slice(who);
    args.extend_from_slice(key);
    let code = json(hub_db, &args);
    ok(phone, &["pair", code["payload"].as_str().unwrap()]);
}

fn sync(phone: &Path) -> Value {
    json(phone, &["sync"])
}

fn households(db: &Path, key: &[&str]) -> Vec<String> {
    let mut args = vec!["households", "--limit", "100000"];
    args.extend_from_slice(key);
    json(db, &args)
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

fn visit(phone: &Path, household: &str) -> String {
    let v = json(phone, &["visit", household, "--outcome", "nobody_home"]);
    v["id"].as_str().unwrap().to_string()
}

/// The visit ids a replica holds for a household.
fn visits_of(db: &Path, household: &str, key: &[&str]) -> Vec<String> {
    let mut args = vec!["household", household];
    args.extend_from_slice(key);
    json(db, &args)["visits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn fingerprint(hub_db: &Path, key: &[&str]) -> String {
    let mut args = vec!["hub", "signin-link"];
    args.extend_from_slice(key);
    json(hub_db, &args)["fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
}

fn demo_hub(dir: &Path) -> PathBuf {
    let hub_db = dir.join("office").join("ward.sqlite");
    ok(
        &hub_db,
        &["demo", "--no-serve", "--households", "80", "--seed", "9"],
    );
    hub_db
}

#[test]
fn an_encrypted_hub_backed_up_while_a_phone_syncs_is_restored_and_the_phone_syncs_on() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo_hub(dir.path());
    // The hub's replica is encrypted: its backup must be too, with the same key.
    ok(&hub_db, &["encrypt"]);
    let key_file = dir.path().join("office").join("ward.sqlite.key");
    let kf = key_file.to_str().unwrap().to_string();
    let key = ["--key-file", kf.as_str()];
    let port = free_port();
    let hub = serve(&hub_db, port, Some(&key_file));
    let phone = dir.path().join("phone.sqlite");
    pair(
        &hub_db,
        &phone,
        &["--role", "volunteer", "--volunteer", "p-01"],
        &key,
    );
    sync(&phone);
    let held = households(&phone, &[]);
    assert!(held.len() > 2, "{held:?}");
    let before = visit(&phone, &held[0]);

    // Backups while the phone syncs, over and over: each is whole, private and encrypted.
    let backup = dir.path().join("backups").join("hub-1.gocua-backup");
    std::fs::create_dir_all(backup.parent().unwrap()).unwrap();
    let syncing = {
        let phone = phone.clone();
        let first = held[1].clone();
        std::thread::spawn(move || {
            for _ in 0..4 {
                visit(&phone, &first);
                sync(&phone);
            }
        })
    };
    let b = backup.to_str().unwrap();
    for _ in 0..4 {
        let mut args = vec!["hub", "backup", b];
        args.extend_from_slice(&key);
        let info = json(&hub_db, &args);
        assert_eq!(info["encrypted"], true, "{info}");
        let files: Vec<&str> = info["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(files, ["hub-cert.pem", "hub-key.pem"], "{info}");
    }
    syncing.join().unwrap();
    assert_eq!(mode(&backup), 0o600);
    let bytes = std::fs::read(&backup).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"), "a plain backup");
    assert!(
        !bytes.windows(11).any(|w| w == b"PRIVATE KEY"),
        "the TLS key is readable in the backup"
    );
    assert!(
        std::fs::read_dir(backup.parent().unwrap()).unwrap().count() == 1,
        "no temporary file is left beside the backup"
    );
    // Human output says where it went, in the user's language.
    let mut args = vec!["hub", "backup", b];
    args.extend_from_slice(&key);
    let said = ok(&hub_db, &args);
    assert!(said.starts_with("Đã sao lưu máy chủ phường vào"), "{said}");
    let pinned = fingerprint(&hub_db, &key);

    // Work after the last backup: on the lost hub and the phone only.
    let after = visit(&phone, &held[2]);
    assert_eq!(sync(&phone)["refused_count"], 0);
    drop(hub);

    // The backup restored into a new folder, with the same key, served where the phone looks.
    let new_db = dir.path().join("new-office").join("ward.sqlite");
    let mut args = vec!["hub", "restore", b];
    args.extend_from_slice(&key);
    let restored = json(&new_db, &args);
    assert_eq!(restored["fingerprint"].as_str(), Some(pinned.as_str()));
    assert_eq!(mode(&new_db), 0o600);
    assert_eq!(mode(&new_db.with_file_name("hub-key.pem")), 0o600);
    assert!(
        !std::fs::read(&new_db)
            .unwrap()
            .starts_with(b"SQLite format 3")
    );
    assert!(visits_of(&new_db, &held[0], &key).contains(&before));
    assert!(!visits_of(&new_db, &held[2], &key).contains(&after));
    let _hub = serve(&new_db, port, Some(&key_file));
    let s = sync(&phone);
    assert_eq!(s["refused_count"], 0, "{s}");
    assert!(
        visits_of(&new_db, &held[2], &key).contains(&after),
        "the phone's visit after the backup is on the restored hub"
    );
    let later = visit(&phone, &held[0]);
    assert_eq!(sync(&phone)["refused_count"], 0);
    assert!(visits_of(&new_db, &held[0], &key).contains(&later));

    // Restoring over a hub is refused, and changes nothing.
    let before_bytes = std::fs::read(&new_db).unwrap();
    let mut args = vec!["hub", "restore", b, "--json"];
    args.extend_from_slice(&key);
    let (code, out, _) = gocua(&new_db, &args);
    assert_eq!(code, 1);
    let e: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["error"]["code"], "hub_exists", "{out}");
    assert_eq!(std::fs::read(&new_db).unwrap(), before_bytes);
    // Without its key the encrypted backup does not restore.
    let (code, out, _) = gocua(
        &dir.path().join("keyless").join("ward.sqlite"),
        &["hub", "restore", b, "--json"],
    );
    assert_eq!(code, 1);
    let e: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["error"]["code"], "wrong_key", "{out}");
    assert!(!dir.path().join("keyless").exists());
}

#[test]
fn an_older_backup_restored_under_phones_with_newer_work_converges_without_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo_hub(dir.path());
    let port = free_port();
    let hub = serve(&hub_db, port, None);
    let teams = json(&hub_db, &["team", "list"]);
    let teams = teams.as_array().unwrap();
    let volunteer_of = |t: &Value| -> String {
        t["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == "volunteer")
            .map(|m| m["id"].as_str().unwrap().to_string())
            .unwrap()
    };
    let (team_a, team_b) = (&teams[0], &teams[1]);
    let a = team_a["id"].as_str().unwrap().to_string();
    let b = team_b["id"].as_str().unwrap().to_string();
    // A volunteer of each of two teams, and team A's lead.
    let phone_a = dir.path().join("phone-a.sqlite");
    let phone_b = dir.path().join("phone-b.sqlite");
    let lead = dir.path().join("lead.sqlite");
    pair(
        &hub_db,
        &phone_a,
        &["--role", "volunteer", "--volunteer", &volunteer_of(team_a)],
        &[],
    );
    pair(
        &hub_db,
        &phone_b,
        &["--role", "volunteer", "--volunteer", &volunteer_of(team_b)],
        &[],
    );
    let mut lead_args = vec!["--role", "lead", "--team", a.as_str()];
    if let Some(l) = team_a["lead"].as_str() {
        lead_args.extend(["--volunteer", l]);
    }
    pair(&hub_db, &lead, &lead_args, &[]);
    let office = dir.path().join("office-phone.sqlite");
    pair(&hub_db, &office, &["--role", "office"], &[]);
    let all = [&phone_a, &phone_b, &lead, &office];
    for p in all {
        sync(p);
    }
    let mut acknowledged: Vec<(String, String)> = Vec::new();
    for p in [&phone_a, &phone_b] {
        let h = households(p, &[])[0].clone();
        acknowledged.push((h.clone(), visit(p, &h)));
        assert_eq!(sync(p)["refused_count"], 0);
    }
    let backup = dir.path().join("old.gocua-backup");
    ok(&hub_db, &["hub", "backup", backup.to_str().unwrap()]);

    // Newer work the backup lacks: the lead hands one of team A's streets to team B; B's
    // volunteer receives its households and visits them; A's volunteer drops them.
    let streets = json(&lead, &["streets"]);
    let street = streets
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["team"] == a.as_str() && s["households"].as_u64() > Some(0))
        .map(|s| s["id"].as_str().unwrap().to_string())
        .unwrap();
    json(&lead, &["assign", "street", &street, "--team", &b]);
    assert_eq!(sync(&lead)["refused_count"], 0);
    let s = sync(&phone_b);
    assert!(s["new_docs"].as_u64() > Some(0), "{s}");
    let moved: Vec<String> = json(&phone_b, &["households", "--street", &street])
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!moved.is_empty());
    for h in &moved {
        acknowledged.push((h.clone(), visit(&phone_b, h)));
    }
    for round in 0..2 {
        for p in [&phone_a, &phone_b] {
            let hs = households(p, &[]);
            let h = hs[round % hs.len()].clone();
            acknowledged.push((h.clone(), visit(p, &h)));
        }
    }
    for p in all {
        assert_eq!(sync(p)["refused_count"], 0);
    }
    drop(hub);
    // The office imports a list on the hub after the backup; its phone receives the households.
    let list = dir.path().join("list.csv");
    ok(
        &hub_db,
        &[
            "gen-list",
            "--clean",
            "--households",
            "6",
            "--out",
            list.to_str().unwrap(),
        ],
    );
    let imported = json(&hub_db, &["import", list.to_str().unwrap()]);
    assert_eq!(imported["imported"], true, "{imported}");
    let on_old_hub = households(&hub_db, &[]);
    let hub = serve(&hub_db, port, None);
    assert_eq!(sync(&office)["refused_count"], 0);
    assert_eq!(households(&office, &[]), on_old_hub);
    drop(hub);

    let new_db = dir.path().join("restored").join("ward.sqlite");
    ok(&new_db, &["hub", "restore", backup.to_str().unwrap()]);
    let _hub = serve(&new_db, port, None);
    // Every phone syncs against the older hub, B's volunteer first (the restored hub does not
    // know yet that the street is B's): nothing refused is shown, and then it is quiet.
    let mut shown = Vec::new();
    for _ in 0..2 {
        for p in [&phone_b, &phone_a, &lead, &office] {
            let s = sync(p);
            if s["refused_count"] != 0 {
                shown.push(format!("{}: {}", p.display(), s["refused"]));
            }
        }
    }
    assert!(shown.is_empty(), "refusals shown: {shown:#?}");
    for p in all {
        let s = sync(p);
        assert_eq!(s["pushed"], 0, "quiet: {s}");
    }
    for (h, v) in &acknowledged {
        assert!(
            visits_of(&new_db, h, &[]).contains(v),
            "visit {v} of {h} is lost on the restored hub"
        );
    }
    let on_hub = json(&new_db, &["streets"]);
    let moved_street = on_hub
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == street.as_str())
        .unwrap();
    assert_eq!(moved_street["team"], b.as_str(), "the lead's reassignment");
    assert_eq!(
        households(&new_db, &[]),
        on_old_hub,
        "the households imported after the backup are back on the hub"
    );
    assert!(
        households(&phone_a, &[]).iter().all(|h| !moved.contains(h)),
        "A's volunteer holds none of the street it lost"
    );
}

#[test]
fn a_truncated_foreign_or_unwritable_backup_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = demo_hub(dir.path());
    // Before the hub ever ran there is no TLS identity: the backup says so and still works.
    let backup = dir.path().join("hub.gocua-backup");
    let b = backup.to_str().unwrap();
    let info = json(&hub_db, &["hub", "backup", b]);
    assert_eq!(info["files"], serde_json::json!([]), "{info}");
    let _hub = serve(&hub_db, free_port(), None);
    let info = json(&hub_db, &["hub", "backup", b]);
    assert_eq!(info["encrypted"], false);
    let good = std::fs::read(&backup).unwrap();

    let refused = |file: &Path, code: &str| {
        let target = dir
            .path()
            .join(format!("restore-{code}"))
            .join("ward.sqlite");
        let (status, out, _) = gocua(
            &target,
            &["hub", "restore", file.to_str().unwrap(), "--json"],
        );
        assert_eq!(status, 1, "{out}");
        let e: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(e["error"]["code"], code, "{out}");
        assert!(
            !target.parent().unwrap().exists(),
            "{code}: something was written"
        );
        let (_, _, err) = gocua(&target, &["hub", "restore", file.to_str().unwrap()]);
        err
    };
    // Cut short anywhere: at half, or by one page.
    for cut in [good.len() / 2, good.len() - 4096, good.len() - 1] {
        let t = dir.path().join(format!("cut-{cut}"));
        std::fs::write(&t, &good[..cut]).unwrap();
        let err = refused(&t, "backup_damaged");
        assert!(err.contains("bị hỏng"), "{err}");
    }
    // A replica that is no backup, and bytes that are no database.
    let err = refused(&hub_db, "not_a_backup");
    assert!(err.contains("không phải bản sao lưu"), "{err}");
    let junk = dir.path().join("junk");
    std::fs::write(&junk, vec![7u8; 8192]).unwrap();
    // Without a key, bytes that are no database might be an encrypted backup: it says both.
    let err = refused(&junk, "wrong_key");
    assert!(err.contains("không phải dữ liệu Gõ Cửa"), "{err}");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    refused(&empty, "backup_damaged");
    // The good one restores.
    let target = dir.path().join("fine").join("ward.sqlite");
    ok(&target, &["hub", "restore", b]);
    assert!(target.with_file_name("hub-cert.pem").exists());

    // An unwritable place for a backup: a clear error in both languages, nothing left behind.
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    let there = locked.join("b.gocua-backup");
    let (code, out, _) = gocua(
        &hub_db,
        &["hub", "backup", there.to_str().unwrap(), "--json"],
    );
    if std::fs::write(locked.join("probe"), b"").is_ok() {
        // Running as root: permissions do not stop anyone; a missing folder still does.
        let nowhere = dir.path().join("no-such-folder").join("b.gocua-backup");
        let (code, out, _) = gocua(
            &hub_db,
            &["hub", "backup", nowhere.to_str().unwrap(), "--json"],
        );
        assert_eq!(code, 1, "{out}");
        let e: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(e["error"]["code"], "io", "{out}");
    } else {
        assert_eq!(code, 1, "{out}");
        let e: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(e["error"]["code"], "io", "{out}");
        let (_, _, vi) = gocua(&hub_db, &["hub", "backup", there.to_str().unwrap()]);
        assert!(vi.contains("Không tạo được tệp"), "{vi}");
        let (_, _, en) = gocua(
            &hub_db,
            &["hub", "backup", there.to_str().unwrap(), "--lang", "en"],
        );
        assert!(en.contains("cannot create"), "{en}");
        assert_eq!(std::fs::read_dir(&locked).unwrap().count(), 0);
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
}
