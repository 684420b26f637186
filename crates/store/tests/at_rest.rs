//! Residents' data at rest: an encrypted replica shows nothing to `strings`, a wrong or missing
//! key is refused without changing a byte, a plain replica is encrypted in place, and a wipe
//! leaves no file behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gocua_domain::Lang;
use gocua_store::{
    Error, FileKind, Key, KeyFile, KeyProvider, Store, StoreOptions, encrypt_file, file_kind,
};
use gocua_wardgen::{GeneratedWard, WardSpec};

const TOKEN: &str = "5f3c9a0e7d2b4c6a8e1f0d3b5a7c9e2f4b6d8a0c1e3f5a7b9d2c4e6f8a0b1c3d";

fn opts(key: Option<Key>) -> StoreOptions {
    StoreOptions {
        key,
        ..StoreOptions::default()
    }
}

fn ward() -> GeneratedWard {
    gocua_wardgen::generate(&WardSpec::small(7).with_households(40))
}

/// A replica holding a ward and a device credential, as a paired phone does.
fn filled(path: &Path, key: Option<Key>, g: &GeneratedWard) -> Store {
    let mut store = Store::open_with(path, opts(key)).expect("open");
    store.load_ward(g, |_, _| {}).expect("load ward");
    store.meta_set("device.token", TOKEN).expect("token");
    store
}

/// Every file in a folder, by name, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).expect("read"),
            )
        })
        .collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    !n.is_empty() && hay.windows(n.len()).any(|w| w == n)
}

/// What `strings` on the replica's folder shows of residents and the credential: each secret
/// that can be found in the raw bytes of any file (database, -wal, -shm).
fn visible_secrets(dir: &Path, g: &GeneratedWard) -> Vec<String> {
    let all: Vec<u8> = files(dir).into_values().flatten().collect();
    let residents: Vec<_> = g.households.iter().flat_map(|h| &h.residents).collect();
    let name = &residents[0].full_name;
    let cccd = &residents
        .iter()
        .find(|r| !r.cccd_number.is_empty())
        .expect("a resident with a CCCD number")
        .cccd_number;
    let phone = &residents
        .iter()
        .find(|r| !r.phone.is_empty())
        .expect("a resident with a phone")
        .phone;
    let folded = gocua_domain::text::fold(name);
    [name.as_str(), &folded, cccd, phone, TOKEN]
        .into_iter()
        .filter(|s| contains(&all, s))
        .map(str::to_string)
        .collect()
}

#[test]
fn strings_finds_residents_in_a_plain_replica_and_nothing_in_an_encrypted_one() {
    let g = ward();
    for encrypted in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.sqlite");
        let store = filled(&path, encrypted.then(Key::random), &g);
        // While the replica is open its latest pages sit in the write-ahead log: check it too.
        assert!(dir.path().join("phone.sqlite-wal").exists());
        let open = visible_secrets(dir.path(), &g);
        drop(store);
        let closed = visible_secrets(dir.path(), &g);
        if encrypted {
            assert_eq!(open, Vec::<String>::new(), "visible while open");
            assert_eq!(closed, Vec::<String>::new(), "visible once closed");
            assert_eq!(file_kind(&path).unwrap(), FileKind::Opaque);
        } else {
            // The check can fail: on a plain file it sees all five.
            assert_eq!(open.len(), 5, "plain while open: {open:?}");
            assert_eq!(closed.len(), 5, "plain once closed: {closed:?}");
            assert_eq!(file_kind(&path).unwrap(), FileKind::Plain);
        }
    }
}

#[test]
fn a_wrong_or_missing_key_is_refused_and_changes_nothing() {
    let g = ward();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let right = Key::random();
    drop(filled(&path, Some(right.clone()), &g));
    let before = files(dir.path());

    let wrong = Store::open_with(&path, opts(Some(Key::random())))
        .err()
        .expect("a wrong key is refused");
    assert!(
        matches!(&wrong, Error::WrongKey { given: true, .. }),
        "{wrong:?}"
    );
    assert_eq!(wrong.code(), "wrong_key");
    assert!(
        wrong
            .message(Lang::Vi)
            .starts_with("Sai khóa mở dữ liệu: khóa này không mở được tệp"),
        "{}",
        wrong.message(Lang::Vi)
    );
    assert!(wrong.message(Lang::En).starts_with("Wrong key"));
    assert_eq!(files(dir.path()), before, "a wrong key changed the folder");

    let missing = Store::open(&path).err().expect("no key is refused");
    assert!(
        matches!(&missing, Error::WrongKey { given: false, .. }),
        "{missing:?}"
    );
    assert_eq!(missing.code(), "wrong_key");
    assert!(missing.message(Lang::Vi).contains("--key-file"));
    assert!(!missing.message(Lang::En).contains("file is not a database"));
    assert_eq!(
        files(dir.path()),
        before,
        "a missing key changed the folder"
    );

    // A passphrase is a wrong key too.
    let pass = Key::passphrase("một câu mật khẩu rất dài").unwrap();
    assert!(matches!(
        Store::open_with(&path, opts(Some(pass))),
        Err(Error::WrongKey { given: true, .. })
    ));
    assert_eq!(files(dir.path()), before);

    // The right key opens it, with everything in it.
    let store = Store::open_with(&path, opts(Some(right))).expect("right key");
    assert!(store.is_encrypted());
    assert_eq!(
        store.meta_get("device.token").unwrap().as_deref(),
        Some(TOKEN)
    );
    assert_eq!(store.doc_count().unwrap(), g.households.len() as u64 + 1);
}

#[test]
fn a_key_on_a_plain_file_is_refused_not_ignored() {
    let g = ward();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    drop(filled(&path, None, &g));
    let before = files(dir.path());
    let e = Store::open_with(&path, opts(Some(Key::random())))
        .err()
        .expect("refused");
    assert_eq!(e.code(), "not_encrypted");
    assert!(e.message(Lang::Vi).contains("gocua encrypt"));
    assert_eq!(files(dir.path()), before);
    // Plain files keep working without a key (the hub's default).
    assert!(!Store::open(&path).unwrap().is_encrypted());
}

#[test]
fn a_passphrase_opens_what_it_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("laptop.sqlite");
    let pass = || Some(Key::passphrase("ngõ 12 ngách 5 số nhà 3").unwrap());
    let s = Store::open_with(&path, opts(pass())).unwrap();
    s.meta_set("device.token", TOKEN).unwrap();
    drop(s);
    assert!(!contains(&std::fs::read(&path).unwrap(), TOKEN));
    let s = Store::open_with(&path, opts(pass())).unwrap();
    assert_eq!(s.meta_get("device.token").unwrap().as_deref(), Some(TOKEN));
}

#[test]
fn a_plain_replica_is_encrypted_in_place_and_stays_the_same_replica() {
    let g = ward();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let store = filled(&path, None, &g);
    let dump = store.projection_dump(None).unwrap();
    let actor = store.actor().clone();
    drop(store);
    let key = Key::random();
    encrypt_file(&path, &key).expect("encrypt");
    assert_eq!(visible_secrets(dir.path(), &g), Vec::<String>::new());
    // Nothing but the replica is left behind.
    assert_eq!(
        files(dir.path()).into_keys().collect::<Vec<_>>(),
        ["phone.sqlite"]
    );
    assert!(matches!(Store::open(&path), Err(Error::WrongKey { .. })));
    let store = Store::open_with(&path, opts(Some(key.clone()))).unwrap();
    assert_eq!(store.projection_dump(None).unwrap(), dump);
    assert_eq!(store.actor(), &actor, "encrypting is not copying");
    assert_eq!(
        store.meta_get("device.token").unwrap().as_deref(),
        Some(TOKEN)
    );
    drop(store);
    let again = encrypt_file(&path, &key).unwrap_err();
    assert_eq!(again.code(), "already_encrypted");
}

#[test]
fn encrypting_a_replica_another_program_holds_open_is_refused() {
    let g = ward();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let held = filled(&path, None, &g);
    let e = encrypt_file(&path, &Key::random()).unwrap_err();
    assert_eq!(e.code(), "in_use");
    drop(held);
    // Still the plain replica it was, and no temporary file is left.
    assert_eq!(file_kind(&path).unwrap(), FileKind::Plain);
    assert_eq!(
        files(dir.path()).into_keys().collect::<Vec<_>>(),
        ["hub.sqlite"]
    );
    assert_eq!(
        Store::open(&path)
            .unwrap()
            .meta_get("device.token")
            .unwrap()
            .as_deref(),
        Some(TOKEN)
    );
}

#[test]
fn a_wipe_deletes_the_replica_its_side_files_and_its_key() {
    let g = ward();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let kf = KeyFile::beside(&path);
    let key = kf.create().unwrap();
    let store = filled(&path, Some(key), &g);
    let names: Vec<String> = files(dir.path()).into_keys().collect();
    assert_eq!(
        names,
        [
            "phone.sqlite",
            "phone.sqlite-shm",
            "phone.sqlite-wal",
            "phone.sqlite.key"
        ]
    );
    let gone = store.wipe().expect("wipe");
    let gone: Vec<PathBuf> = gone
        .into_iter()
        .map(|p| p.file_name().unwrap().into())
        .collect();
    assert!(gone.contains(&PathBuf::from("phone.sqlite")), "{gone:?}");
    kf.destroy().unwrap();
    assert!(
        files(dir.path()).is_empty(),
        "{:?}",
        files(dir.path()).keys()
    );
}

#[test]
fn a_backup_is_restored_atomically_and_a_wrong_key_replaces_nothing() {
    let g = ward();
    let dir = tempfile::tempdir().unwrap();
    let key = Key::random();
    let backup = dir.path().join("backup.sqlite");
    let b = filled(&backup, Some(key.clone()), &g);
    let backup_actor = b.actor().clone();
    drop(b);
    let db = dir.path().join("phone.sqlite");
    let current = Store::open_with(&db, opts(Some(key.clone()))).unwrap();
    current.meta_set("marker", "current").unwrap();
    drop(current);
    let before = std::fs::read(&db).unwrap();

    let e = Store::restore_from(&backup, &db, opts(Some(Key::random())))
        .err()
        .expect("wrong key");
    assert_eq!(e.code(), "wrong_key");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "replaced despite the error"
    );
    assert_eq!(
        files(dir.path()).into_keys().collect::<Vec<_>>(),
        ["backup.sqlite", "phone.sqlite"]
    );

    let restored = Store::restore_from(&backup, &db, opts(Some(key))).expect("restore");
    assert_eq!(restored.meta_get("marker").unwrap(), None);
    assert_eq!(
        restored.meta_get("device.token").unwrap().as_deref(),
        Some(TOKEN)
    );
    assert_ne!(
        restored.actor(),
        &backup_actor,
        "a restored replica takes a new actor"
    );
}
