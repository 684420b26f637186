//! The phone app's runtime (`gocua-shell`, what the Tauri app and the browser shell run) against
//! a real hub on loopback: an encrypted replica from the first start, pairing, the sync bar's
//! status (last sync, changes not yet on the hub, state and reason), recording while a sync
//! hangs on the network, an unreachable hub, and a revoked phone wiped.

use gocua_domain::{Role, Timestamp};
use gocua_shell::{PinKeyFile, REPLICA_FILE, Shell, SyncState};
use gocua_store::{FileKind, KeyFile};
use gocua_tests::{TestHub, small_ward, visit_ids};
use serde_json::json;

fn open(dir: &std::path::Path) -> Shell {
    let keys = PinKeyFile::beside(&dir.join(REPLICA_FILE)).with_iterations(1_000);
    let shell = Shell::open_with(dir, keys, gocua_domain::Lang::Vi).expect("open shell");
    shell.set_clock(Some(Timestamp::parse_local("2026-11-22 19:00").unwrap()));
    shell
}

fn first_team(g: &gocua_wardgen::GeneratedWard) -> String {
    g.volunteers
        .iter()
        .find_map(|v| v.team.as_ref())
        .expect("a volunteer with a team")
        .to_string()
}

fn households(shell: &Shell) -> Vec<String> {
    let v = shell
        .dispatch("list_households", json!({}), gocua_domain::Lang::Vi)
        .expect("list households");
    v["rows"]
        .as_array()
        .or_else(|| v.as_array())
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

fn record(shell: &Shell, household: &str) -> String {
    let v = shell
        .dispatch(
            "record_visit",
            json!({"household": household, "outcome": "nobody_home"}),
            gocua_domain::Lang::Vi,
        )
        .expect("record a visit");
    v["visit"]["id"]
        .as_str()
        .or_else(|| v["id"].as_str())
        .expect("visit id")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairs_syncs_and_counts_what_is_not_yet_on_the_hub() {
    let g = small_ward(41, 60);
    let hub = TestHub::start(&g).await;
    let dir = tempfile::tempdir().unwrap();
    let shell = open(dir.path());

    // Encrypted from the first start, its key private.
    let db = dir.path().join(REPLICA_FILE);
    assert_eq!(gocua_store::file_kind(&db).unwrap(), FileKind::Opaque);
    let before = shell.status(gocua_domain::Lang::Vi);
    assert!(!before.paired);
    assert_eq!(before.state, SyncState::Idle);
    assert_eq!(before.last_sync, None);

    // A bad payload is refused in Vietnamese and leaves the phone unpaired.
    let bad = shell
        .pair("gocua://pair?garbage", "máy thử", gocua_domain::Lang::Vi)
        .await
        .unwrap_err();
    assert!(!bad.message.is_empty() && bad.code != "internal", "{bad:?}");
    assert!(!shell.status(gocua_domain::Lang::Vi).paired);

    let team = first_team(&g);
    let payload = hub.pairing(Role::Volunteer, Some(&team));
    let info = shell
        .pair(&format!("  {payload}\n"), "máy thử", gocua_domain::Lang::Vi)
        .await
        .expect("pair");
    assert_eq!(info.role, "volunteer");
    assert_eq!(info.team.as_deref(), Some(team.as_str()));

    let mut events = Vec::new();
    let st = shell
        .sync(gocua_domain::Lang::Vi, &mut |e| events.push(e))
        .await;
    assert_eq!(st.state, SyncState::Done, "{st:?}");
    assert!(
        st.paired && st.last_sync.is_some() && st.error.is_none(),
        "{st:?}"
    );
    assert_eq!(st.pending, 0, "everything received is on the hub");
    assert!(!events.is_empty(), "progress was reported");
    let mine = households(&shell);
    assert!(!mine.is_empty(), "the team's households arrived");

    // Two visits offline: two documents not yet on the hub.
    let v1 = record(&shell, &mine[0]);
    let v2 = record(&shell, &mine[1]);
    assert_eq!(shell.status(gocua_domain::Lang::Vi).pending, 2);

    let st = shell.sync(gocua_domain::Lang::Vi, &mut |_| {}).await;
    assert_eq!((st.state, st.pending), (SyncState::Done, 0), "{st:?}");
    let on_hub = hub.with_store(|s| visit_ids(s));
    assert!(on_hub.contains(&v1) && on_hub.contains(&v2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_does_not_wait_for_a_sync_stuck_on_the_network() {
    let g = small_ward(42, 40);
    let hub = TestHub::start(&g).await;
    let dir = tempfile::tempdir().unwrap();
    let shell = std::sync::Arc::new(open(dir.path()));
    let payload = hub.pairing(Role::Volunteer, Some(&first_team(&g)));
    shell
        .pair(&payload, "máy thử", gocua_domain::Lang::Vi)
        .await
        .expect("pair");
    shell.sync(gocua_domain::Lang::Vi, &mut |_| {}).await;
    let mine = households(&shell);

    // The hub's address now leads to a listener that accepts and never answers.
    let stall = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    hub.proxy.retarget(stall.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = stall.accept().await {
            conns.push(c);
        }
    });
    let s2 = shell.clone();
    let syncing = tokio::spawn(async move { s2.sync(gocua_domain::Lang::Vi, &mut |_| {}).await });
    while shell.status(gocua_domain::Lang::Vi).state != SyncState::Syncing {
        tokio::task::yield_now().await;
    }
    let s3 = shell.clone();
    let h = mine[0].clone();
    let visit = tokio::task::spawn_blocking(move || record(&s3, &h))
        .await
        .unwrap();
    assert!(
        !syncing.is_finished(),
        "the sync is still waiting on the network"
    );
    assert_eq!(
        shell.status(gocua_domain::Lang::Vi).state,
        SyncState::Syncing
    );
    // A second sync while one runs is not started twice.
    assert_eq!(
        shell.sync(gocua_domain::Lang::Vi, &mut |_| {}).await.state,
        SyncState::Syncing
    );
    syncing.abort();
    held.abort();
    let _ = syncing.await;
    assert!(!visit.is_empty());
    assert_eq!(shell.status(gocua_domain::Lang::Vi).pending, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_hub_and_a_revoked_phone_are_told_apart() {
    let g = small_ward(43, 40);
    let hub = TestHub::start(&g).await;
    let dir = tempfile::tempdir().unwrap();
    let shell = open(dir.path());
    let payload = hub.pairing(Role::Volunteer, Some(&first_team(&g)));
    shell
        .pair(&payload, "máy thử", gocua_domain::Lang::Vi)
        .await
        .expect("pair");
    let st = shell.sync(gocua_domain::Lang::Vi, &mut |_| {}).await;
    let last = st.last_sync;
    let mine = households(&shell);

    // Off the ward's Wi-Fi: unreachable, with the reason in Vietnamese; the visit waits.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = closed.local_addr().unwrap();
    drop(closed);
    hub.proxy.retarget(nowhere);
    record(&shell, &mine[0]);
    let st = shell.sync(gocua_domain::Lang::Vi, &mut |_| {}).await;
    assert_eq!(st.state, SyncState::Unreachable, "{st:?}");
    let err = st.error.expect("a reason");
    assert_eq!(err.code, "hub_unreachable");
    assert!(
        err.message.contains("Không kết nối được"),
        "{}",
        err.message
    );
    assert_eq!((st.pending, st.last_sync), (1, last));

    // Back on the Wi-Fi, the office has revoked the phone: the ward's data leaves it.
    hub.proxy.retarget(hub.running().addr);
    let device = shell.paired().expect("paired").device_id;
    assert!(hub.with_store(|s| s.hub_revoke_device(&device, 1)).unwrap());
    let st = shell.sync(gocua_domain::Lang::En, &mut |_| {}).await;
    assert_eq!(st.state, SyncState::Failed, "{st:?}");
    assert_eq!(st.error.expect("why").code, "device_wiped");
    assert!(!st.paired);
    assert!(!dir.path().join(REPLICA_FILE).exists(), "replica deleted");
    assert!(
        !KeyFile::beside(&dir.path().join(REPLICA_FILE)).exists(),
        "key destroyed"
    );
    let refused = shell
        .dispatch("list_households", json!({}), gocua_domain::Lang::Vi)
        .unwrap_err();
    assert_eq!(refused.code, "device_wiped");
}

/// Finds `needle` anywhere in the bytes of `path` (what `strings | grep` would show).
fn file_contains(path: &std::path::Path, needle: &[u8]) -> bool {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_locks_the_replica_and_only_the_pin_opens_it_again() {
    let vi = gocua_domain::Lang::Vi;
    let g = small_ward(43, 40);
    let hub = TestHub::start(&g).await;
    let dir = tempfile::tempdir().unwrap();
    let key_path = KeyFile::beside(&dir.path().join(REPLICA_FILE))
        .path()
        .to_path_buf();
    let ((household, visit), raw_key) = {
        let shell = open(dir.path());
        let payload = hub.pairing(Role::Volunteer, Some(&first_team(&g)));
        shell.pair(&payload, "máy thử", vi).await.expect("pair");
        shell.sync(vi, &mut |_| {}).await;
        let s = shell.status(vi);
        assert!(s.paired && !s.pin_set && !s.locked, "{s:?}");
        let raw_key = std::fs::read_to_string(&key_path)
            .unwrap()
            .trim()
            .to_string();
        assert_eq!(raw_key.len(), 64, "a raw key before the PIN");

        // Weak PINs are refused in Vietnamese, and nothing changes.
        let weak = shell.set_pin(None, "123456", vi).unwrap_err();
        assert_eq!(weak.code, "pin_weak");
        assert!(weak.message.contains("dễ đoán"), "{}", weak.message);
        assert!(!shell.status(vi).pin_set);

        shell.set_pin(None, "190845", vi).expect("set the PIN");
        assert!(shell.status(vi).pin_set && !shell.status(vi).locked);
        let household = households(&shell)[0].clone();
        let visit = record(&shell, &household);
        // Locking closes the replica: commands are refused until the PIN is entered.
        shell.lock(vi).expect("lock");
        let refused = shell.dispatch("whoami", json!(null), vi).unwrap_err();
        assert_eq!(refused.code, "locked");
        ((household, visit), raw_key)
    };
    // The raw key is no longer anywhere in the key file.
    assert!(!file_contains(&key_path, raw_key.as_bytes()));
    assert!(!file_contains(&key_path, raw_key.to_lowercase().as_bytes()));

    // A restart: locked, paired, nothing opens, syncing does nothing, pairing is refused.
    let shell = open(dir.path());
    let s = shell.status(vi);
    assert!(s.locked && s.pin_set && s.paired, "{s:?}");
    assert_eq!(
        shell.dispatch("whoami", json!(null), vi).unwrap_err().code,
        "locked"
    );
    assert_eq!(shell.sync(vi, &mut |_| {}).await.state, SyncState::Idle);
    assert_eq!(
        shell
            .pair(
                &hub.pairing(Role::Volunteer, Some(&first_team(&g))),
                "x",
                vi
            )
            .await
            .unwrap_err()
            .code,
        "locked"
    );
    // Wrong PINs count down; the right one opens the same data.
    let wrong = shell.unlock("190846", vi).unwrap_err();
    assert_eq!(wrong.code, "pin_wrong");
    assert!(wrong.message.contains("Còn 4 lần"), "{}", wrong.message);
    shell.unlock("190845", vi).expect("unlock");
    assert!(!shell.status(vi).locked);
    let detail = shell
        .dispatch("household_detail", json!({ "id": household }), vi)
        .expect("detail");
    assert!(
        detail.to_string().contains(&visit),
        "the visit is still there"
    );
    let after = shell.sync(vi, &mut |_| {}).await;
    assert_eq!(after.state, SyncState::Done, "{after:?}");
    assert_eq!(after.pending, 0);

    // Changing the PIN needs the current one.
    assert_eq!(
        shell
            .set_pin(Some("000001"), "246810", vi)
            .unwrap_err()
            .code,
        "pin_wrong"
    );
    shell.set_pin(Some("190845"), "246810", vi).expect("change");
    shell.lock(vi).unwrap();
    assert_eq!(shell.unlock("190845", vi).unwrap_err().code, "pin_wrong");
    shell.unlock("246810", vi).expect("new PIN");

    // A forgotten PIN: the key and the replica are gone, the phone is unpaired.
    shell.lock(vi).unwrap();
    shell.forget(vi).expect("forget");
    assert!(!key_path.exists());
    assert!(!dir.path().join(REPLICA_FILE).exists());
    let s = shell.status(vi);
    assert!(!s.paired && !s.locked && !s.pin_set, "{s:?}");
}
