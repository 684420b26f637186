//! The built `gocua` binary as a ward office and a phone: `hub serve` on loopback, `hub pair`,
//! `pair`, `sync`, `hub devices`, `hub revoke`, `hub pairing-guard` and `hub log`, each a separate
//! process as a user runs them. Phone commands run under `umask 000`, so every file they make
//! must set its own mode.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn gocua(db: &Path, args: &[&str]) -> (i32, String, String) {
    // Through a shell that drops the umask: a permissive one must not loosen any file's mode.
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_gocua"))
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
    // The phone's replica is encrypted from the start, with a new key file beside it.
    let key_file = dir.path().join("phone.sqlite.key");
    assert!(
        paired.contains(&key_file.display().to_string()),
        "says where the key is: {paired}"
    );
    assert_eq!(mode(&key_file), 0o600);
    assert_eq!(mode(&phone_db), 0o600);
    assert!(
        !std::fs::read(&phone_db)
            .unwrap()
            .starts_with(b"SQLite format 3")
    );
    let sync_out = ok(&phone_db, &["sync", "--json"]);
    let sync: serde_json::Value = serde_json::from_str(&sync_out).unwrap();
    // The credential is in the encrypted replica and in no output.
    let token = {
        use gocua_store::KeyProvider as _;
        let key = gocua_store::KeyFile::new(key_file.clone()).load().unwrap();
        let opts = gocua_store::StoreOptions {
            key,
            ..Default::default()
        };
        let store = gocua_store::Store::open_with(&phone_db, opts).unwrap();
        store.meta_get("device.token").unwrap().unwrap()
    };
    assert!(token.len() >= 32);
    let whoami = ok(&phone_db, &["whoami", "--json"]);
    let devices_out = ok(&hub_db, &["hub", "devices", "--json"]);
    for out in [&paired, &sync_out, &whoami, &devices_out] {
        assert!(!out.contains(&token), "the device token leaked: {out}");
    }
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
    assert_eq!(mode(&phone_db), 0o600, "a restored replica is private");
    ok(&phone_db, &["sync"]);
    // Without its key the replica does not open, and says why in both languages.
    let wrong = dir.path().join("wrong.key");
    std::fs::write(&wrong, format!("{}\n", "ab".repeat(32))).unwrap();
    std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = std::fs::read(&phone_db).unwrap();
    let (code_k, out_k, _) = gocua(
        &phone_db,
        &[
            "households",
            "--key-file",
            wrong.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code_k, 1);
    let e: serde_json::Value = serde_json::from_str(&out_k).unwrap();
    assert_eq!(e["error"]["code"], "wrong_key", "{out_k}");
    let (_, _, err_k) = gocua(
        &phone_db,
        &["households", "--key-file", wrong.to_str().unwrap()],
    );
    assert!(err_k.contains("Sai khóa mở dữ liệu"), "{err_k}");
    assert_eq!(
        std::fs::read(&phone_db).unwrap(),
        before,
        "a wrong key changed the replica"
    );

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
    // The phone records a visit, then the office revokes it before the phone syncs again.
    let households: serde_json::Value =
        serde_json::from_str(&ok(&phone_db, &["households", "--json"])).unwrap();
    let hid = households[0]["id"].as_str().unwrap().to_string();
    // No identity to set: the phone is p-01's since pairing.
    ok(&phone_db, &["visit", &hid, "--outcome", "nobody_home"]);
    let hub_visits = || -> usize {
        let d: serde_json::Value =
            serde_json::from_str(&ok(&hub_db, &["household", &hid, "--json"])).unwrap();
        d["visits"].as_array().unwrap().len()
    };
    let on_hub = hub_visits();
    ok(&hub_db, &["hub", "revoke", dev["id"].as_str().unwrap()]);
    let (code3, _, err) = gocua(&phone_db, &["sync"]);
    assert_eq!(code3, 1);
    assert!(err.contains("thu hồi"), "{err}");
    assert!(
        err.contains("đã được xóa khỏi điện thoại"),
        "tells the user the data was removed: {err}"
    );
    // Wiped: replica, side files and key; the visit never reached the hub.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("phone.sqlite"))
        .collect();
    assert!(left.is_empty(), "left on the phone: {left:?}");
    assert_eq!(
        hub_visits(),
        on_hub,
        "the revoked phone's last visit reached the hub"
    );
    let (code4, out4, _) = gocua(&phone_db, &["sync", "--lang", "en", "--json"]);
    assert_eq!(code4, 1);
    assert!(out4.contains("not_paired"), "{out4}");
    assert!(!phone_db.exists(), "sync made an empty replica");
}

#[test]
fn encrypt_turns_a_plain_replica_into_an_encrypted_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ward.sqlite");
    ok(
        &db,
        &["demo", "--no-serve", "--households", "20", "--seed", "2"],
    );
    let plain = ok(&db, &["progress", "--json"]);
    assert!(std::fs::read(&db).unwrap().starts_with(b"SQLite format 3"));
    let key = dir.path().join("keys").join("ward.key");
    std::fs::create_dir(key.parent().unwrap()).unwrap();
    let out = ok(
        &db,
        &[
            "encrypt",
            "--key-file",
            key.to_str().unwrap(),
            "--lang",
            "en",
        ],
    );
    assert!(out.contains("Encrypted"), "{out}");
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&db), 0o600);
    assert!(!std::fs::read(&db).unwrap().starts_with(b"SQLite format 3"));
    // Without the key: a clear error, with the key (flag or environment): the same ward.
    let (code, out, _) = gocua(&db, &["progress", "--json"]);
    assert_eq!(code, 1);
    assert!(out.contains("wrong_key"), "{out}");
    assert_eq!(
        ok(
            &db,
            &["progress", "--json", "--key-file", key.to_str().unwrap()]
        ),
        plain
    );
    let via_env = Command::new(env!("CARGO_BIN_EXE_gocua"))
        .args(["progress", "--json", "--db"])
        .arg(&db)
        .env("GOCUA_KEY_FILE", &key)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&via_env.stdout), plain);
    // Twice is an error, not a second layer.
    let (code2, out2, _) = gocua(
        &db,
        &["encrypt", "--key-file", key.to_str().unwrap(), "--json"],
    );
    assert_eq!(code2, 1);
    assert!(out2.contains("already_encrypted"), "{out2}");
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
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

#[test]
fn the_office_gets_a_sign_in_link_while_the_hub_runs_and_a_report_file() {
    let dir = tempfile::tempdir().unwrap();
    let hub_db = dir.path().join("ward.sqlite");
    ok(
        &hub_db,
        &["demo", "--no-serve", "--households", "40", "--seed", "8"],
    );
    let (code, _, err) = gocua(&hub_db, &["hub", "signin-link"]);
    assert_eq!(code, 1, "no link before the hub ever ran");
    assert!(err.contains("gocua hub serve"), "{err}");
    let (_hub, url) = serve(&hub_db);
    let port = url.rsplit(':').next().unwrap().to_string();
    // Twice, while the hub holds the database: two different one-time links.
    let links: Vec<String> = (0..2)
        .map(|_| {
            let v: serde_json::Value =
                serde_json::from_str(&ok(&hub_db, &["hub", "signin-link", "--json"])).unwrap();
            v["url"].as_str().unwrap().to_string()
        })
        .collect();
    for link in &links {
        let token = link
            .strip_prefix(&format!("https://127.0.0.1:{port}/office/#signin="))
            .unwrap_or_else(|| panic!("{link}"));
        assert_eq!(token.len(), 64);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_ne!(links[0], links[1]);
    let xlsx = dir.path().join("bao-cao.xlsx");
    ok(&hub_db, &["report", "--xlsx", xlsx.to_str().unwrap()]);
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
}
