//! Every file a replica makes is private (0600) even under a permissive umask: the database, its
//! -wal and -shm, key files, an encrypted copy, a restored backup. Alone in its test binary,
//! since the umask belongs to the whole process.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use gocua_store::{Key, KeyFile, KeyProvider, Store, StoreOptions, encrypt_file};

fn modes(dir: &Path) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                e.metadata().unwrap().permissions().mode() & 0o777,
            )
        })
        .collect();
    v.sort();
    v
}

fn all_private(dir: &Path, expect: &[&str]) {
    let m = modes(dir);
    let names: Vec<&str> = m.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, expect, "{m:?}");
    for (name, mode) in &m {
        assert_eq!(*mode, 0o600, "{name} has mode {mode:o}");
    }
}

#[test]
fn every_file_is_private_whatever_the_umask() {
    // SAFETY: umask only swaps the process's file-creation mask; no other test shares this
    // binary, so none creates files meanwhile.
    let old = unsafe { libc::umask(0) };
    let dir = tempfile::tempdir().unwrap();
    let g = gocua_wardgen::generate(&gocua_wardgen::WardSpec::small(3).with_households(10));

    // A plain replica, open: database, log and index.
    let plain = dir.path().join("hub.sqlite");
    let mut s = Store::open(&plain).unwrap();
    s.load_ward(&g, |_, _| {}).unwrap();
    all_private(
        dir.path(),
        &["hub.sqlite", "hub.sqlite-shm", "hub.sqlite-wal"],
    );
    drop(s);

    // A file made by an older version with a loose mode is tightened when opened.
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o666)).unwrap();
    drop(Store::open(&plain).unwrap());
    all_private(dir.path(), &["hub.sqlite"]);

    // Encrypting it in place: the encrypted copy replaces it, private.
    encrypt_file(&plain, &Key::from_bytes([1; 32])).unwrap();
    all_private(dir.path(), &["hub.sqlite"]);

    // A phone: its key file and its encrypted replica.
    let phone = dir.path().join("phone.sqlite");
    let kf = KeyFile::beside(&phone);
    let key = kf.create().unwrap();
    let s = Store::open_with(
        &phone,
        StoreOptions {
            key: Some(key.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    s.meta_set("device.token", "secret").unwrap();
    all_private(
        dir.path(),
        &[
            "hub.sqlite",
            "phone.sqlite",
            "phone.sqlite-shm",
            "phone.sqlite-wal",
            "phone.sqlite.key",
        ],
    );
    drop(s);

    // A restored backup.
    let backup = dir.path().join("backup.sqlite");
    std::fs::copy(&phone, &backup).unwrap();
    std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o644)).unwrap();
    let restored = Store::restore_from(
        &backup,
        &phone,
        StoreOptions {
            key: Some(key),
            ..Default::default()
        },
    )
    .unwrap();
    drop(restored);
    std::fs::remove_file(&backup).unwrap();
    all_private(
        dir.path(),
        &["hub.sqlite", "phone.sqlite", "phone.sqlite.key"],
    );
    unsafe { libc::umask(old) };
}
