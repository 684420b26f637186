//! The built `gocua` binary as a ward office and a phone: `hub serve` on loopback, `hub pair`,
//! `pair`, `sync`, `hub devices`, `hub revoke`, `hub pairing-guard` and `hub log`, each a separate
//! process as a user runs them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn gocua(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gocua"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("GOCUA_LANG")
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

/// Kills the hub process even when an assertion fails.
struct HubProcess(Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db: &Path) -> (HubProcess, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gocua"))
        .args([
            "hub",
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--advertise",
            "127.0.0.1",
            "--db",
        ])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("https://127.0.0.1:") {
                let _ = tx.send(format!("https://127.0.0.1:{url}"));
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the hub prints its address");
    (HubProcess(child), url)
}

#[test]
fn a_phone_pairs_and_syncs_with_the_hub_process() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = dir.path().join("office").join("ward.sqlite");
    let phone_db = dir.path().join("phone.sqlite");
    ok(
        &hub_db,
        &["demo", "--no-serve", "--households", "60", "--seed", "5"],
    );
    let (_hub, url) = serve(&hub_db);

    // The office issues a code for one volunteer; the QR image files are written too.
    let png = dir.path().join("qr.png");
    let (code_nv, _, err_nv) = gocua(
        &hub_db,
        &["hub", "pair", "--role", "volunteer", "--team", "t-01"],
    );
    assert_eq!(code_nv, 1, "a volunteer's code names the volunteer");
    assert!(err_nv.contains("--volunteer"), "{err_nv}");
    let code: serde_json::Value = serde_json::from_str(&ok(
        &hub_db,
        &[
            "hub",
            "pair",
            "--role",
            "volunteer",
            "--volunteer",
            "p-01",
            "--json",
        ],
    ))
    .unwrap();
    let payload = code["payload"].as_str().unwrap().to_string();
    assert!(payload.starts_with("gocua://pair?"), "{payload}");
    let shown = ok(
        &hub_db,
        &[
            "hub",
            "pair",
            "--role",
            "lead",
            "--png",
            png.to_str().unwrap(),
        ],
    );
    assert!(
        shown.contains("Mã ghép nối") && shown.contains('█'),
        "{shown}"
    );
    assert!(std::fs::metadata(&png).unwrap().len() > 100);

    let paired = ok(&phone_db, &["pair", &payload, "--name", "Máy của Lan"]);
    assert!(paired.contains("Đã ghép nối"), "{paired}");
    assert!(paired.contains(&url), "{paired}");
    let sync: serde_json::Value =
        serde_json::from_str(&ok(&phone_db, &["sync", "--json"])).unwrap();
    assert!(sync["new_docs"].as_u64().unwrap() > 1, "{sync}");
    let households: serde_json::Value =
        serde_json::from_str(&ok(&phone_db, &["households", "--json"])).unwrap();
    assert!(
        households.as_array().is_some_and(|a| !a.is_empty()),
        "{households}"
    );

    // Pairing made the phone who it is: the first visit works, credited to p-01, and no local
    // command can make it someone else.
    let hid = households[0]["id"].as_str().unwrap().to_string();
    let visit: serde_json::Value = serde_json::from_str(&ok(
        &phone_db,
        &["visit", &hid, "--outcome", "nobody_home", "--json"],
    ))
    .unwrap();
    assert_eq!(visit["volunteer"], "p-01", "{visit}");
    assert!(
        visit["device"]
            .as_str()
            .is_some_and(|d| d.starts_with("d-"))
    );
    for forged in [
        &["identity", "--role", "lead"][..],
        &["identity", "--role", "volunteer", "--volunteer", "p-02"][..],
    ] {
        let (c, _, e) = gocua(&phone_db, forged);
        assert_eq!(c, 1, "{forged:?}");
        assert!(e.contains("ghép nối lại"), "{e}");
    }
    let sync: serde_json::Value =
        serde_json::from_str(&ok(&phone_db, &["sync", "--json"])).unwrap();
    assert_eq!(sync["refused_count"], 0, "{sync}");
    assert_eq!(sync["accepted"], 1, "{sync}");

    // A phone restored from a backup gets a new actor id and syncs on.
    let backup = dir.path().join("backup.sqlite");
    std::fs::copy(&phone_db, &backup).unwrap();
    let (code_r, _, err_r) = gocua(&phone_db, &["restore", backup.to_str().unwrap()]);
    assert_eq!(
        code_r, 1,
        "an existing replica is not replaced without --force"
    );
    assert!(err_r.contains("--force"), "{err_r}");
    let first = ok(&phone_db, &["restore", backup.to_str().unwrap(), "--force"]);
    let second = ok(&phone_db, &["restore", backup.to_str().unwrap(), "--force"]);
    assert!(first.starts_with("Đã khôi phục"), "{first}");
    assert_ne!(first, second, "every restore takes a fresh actor id");
    ok(&phone_db, &["sync"]);

    // The same code cannot pair a second phone.
    let (code2, _, err) = gocua(&dir.path().join("other.sqlite"), &["pair", &payload]);
    assert_eq!(code2, 1);
    assert!(err.contains("đã được dùng"), "{err}");

    // The office sees the device, revokes it, and the phone is refused at once.
    let devices: serde_json::Value =
        serde_json::from_str(&ok(&hub_db, &["hub", "devices", "--json"])).unwrap();
    let dev = &devices.as_array().unwrap()[0];
    assert_eq!(dev["name"], "Máy của Lan");
    assert!(dev["last_sync"].as_i64().is_some());
    ok(&hub_db, &["hub", "revoke", dev["id"].as_str().unwrap()]);
    let (code3, _, err) = gocua(&phone_db, &["sync"]);
    assert_eq!(code3, 1);
    assert!(err.contains("thu hồi"), "{err}");
    let (_, _, err_en) = gocua(&phone_db, &["sync", "--lang", "en"]);
    assert!(err_en.contains("revoked"), "{err_en}");
}

/// The payload with its join code replaced.
fn with_code(payload: &str, code: &str) -> String {
    let start = payload.find("&c=").expect("a code") + 3;
    let end = payload[start..]
        .find('&')
        .map_or(payload.len(), |i| start + i);
    format!("{}{code}{}", &payload[..start], &payload[end..])
}

#[test]
fn the_office_sees_and_clears_the_pairing_guard_and_reads_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = dir.path().join("office").join("ward.sqlite");
    let phone_db = dir.path().join("phone.sqlite");
    ok(
        &hub_db,
        &["demo", "--no-serve", "--households", "40", "--seed", "7"],
    );
    let (_hub, _url) = serve(&hub_db);
    let shown = ok(&hub_db, &["hub", "pairing-guard"]);
    assert!(shown.contains("Ghép nối đang mở"), "{shown}");

    let code: serde_json::Value =
        serde_json::from_str(&ok(&hub_db, &["hub", "pair", "--role", "lead", "--json"])).unwrap();
    let payload = code["payload"].as_str().unwrap().to_string();
    // Twenty wrong codes from anywhere lock the guard (the ward-wide budget).
    let stranger = dir.path().join("stranger.sqlite");
    for i in 0..20 {
        let wrong = with_code(&payload, &format!("ZZZZZZZZZ{}", (b'2' + (i % 8)) as char));
        let (status, _, err) = gocua(&stranger, &["pair", &wrong]);
        assert_eq!(status, 1);
        assert!(err.contains("không đúng"), "{err}");
    }
    let (_, _, err) = gocua(&stranger, &["pair", &with_code(&payload, "ZZZZZZZZZZ")]);
    assert!(err.contains("tạm khoá"), "{err}");
    let shown = ok(&hub_db, &["hub", "pairing-guard"]);
    assert!(shown.contains("đang bị KHOÁ"), "{shown}");
    let state: serde_json::Value =
        serde_json::from_str(&ok(&hub_db, &["hub", "pairing-guard", "--json"])).unwrap();
    assert_eq!(state["locked"], true, "{state}");
    assert_eq!(state["refused_while_locked"], 1, "{state}");

    // A right code still pairs while locked.
    ok(&phone_db, &["pair", &payload, "--name", "Máy tổ trưởng"]);

    let cleared = ok(
        &hub_db,
        &["hub", "pairing-guard", "--clear", "--lang", "en"],
    );
    assert!(cleared.contains("Pairing unlocked"), "{cleared}");
    assert!(cleared.contains("Pairing is open"), "{cleared}");
    let (status, _, err) = gocua(&stranger, &["pair", &with_code(&payload, "ZZZZZZZZZZ")]);
    assert_eq!(status, 1);
    assert!(
        err.contains("không đúng"),
        "answered again after clearing: {err}"
    );

    let devices: serde_json::Value =
        serde_json::from_str(&ok(&hub_db, &["hub", "devices", "--json"])).unwrap();
    ok(
        &hub_db,
        &["hub", "revoke", devices[0]["id"].as_str().unwrap()],
    );

    // The log, newest first, in Vietnamese by default.
    let log = ok(&hub_db, &["hub", "log"]);
    for label in [
        "Văn phòng thu hồi thiết bị",
        "Văn phòng mở khoá ghép nối",
        "Ghép nối thành công",
        "Ghép nối bị từ chối",
        "Văn phòng tạo mã ghép nối",
    ] {
        assert!(log.contains(label), "{label} missing from\n{log}");
    }
    assert!(
        log.find("Văn phòng thu hồi").unwrap() < log.find("Văn phòng tạo mã").unwrap(),
        "newest first:\n{log}"
    );
    let en = ok(&hub_db, &["hub", "log", "--lang", "en", "--limit", "3"]);
    assert_eq!(en.lines().count(), 3, "{en}");
    assert!(en.contains("Office revoked a device"), "{en}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&hub_db, &["hub", "log", "--json", "--limit", "2"])).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["kind"], "office_revoke");
    // The failure after clearing is past the throttle's ten per address and minute: counted
    // for the period's summary, not written one by one.
    assert_eq!(entries[1]["kind"], "office_guard_clear");
}
