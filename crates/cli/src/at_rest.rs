//! The replica's key on the command line: `--key-file FILE` or `GOCUA_KEY_FILE`, else the key
//! file `<db>.key` beside the replica when there is one. `gocua pair` makes that file for a new
//! phone replica and encrypts from the start; `gocua encrypt` encrypts an existing replica; a
//! phone the office revoked is wiped here, key first.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use clap::Args;
use gocua_app::CommandError;
use gocua_client::ClientError;
use gocua_domain::Lang;
use gocua_store::{FileKind, Key, KeyFile, KeyProvider, Store, StoreOptions};

use crate::Global;

#[derive(Debug, Args, Clone, Default)]
pub struct EncryptArgs {}

/// A store error as the user sees it, code kept for `--json`.
pub fn store_err(e: gocua_store::Error, lang: Lang) -> anyhow::Error {
    anyhow::Error::new(CommandError::new(e.code(), e.message(lang)))
}

/// A client error as the user sees it, code kept for `--json`.
pub fn client_err(e: ClientError, lang: Lang) -> anyhow::Error {
    anyhow::Error::new(CommandError::new(&e.code(), e.message(lang)))
}

/// The key file this replica uses: the one named on the command line or in the environment,
/// else `<db>.key` if it exists. `None`: a plain replica.
pub fn key_file(g: &Global, db: &Path) -> Option<KeyFile> {
    match &g.key_file {
        Some(p) => Some(KeyFile::new(p.clone())),
        None => Some(KeyFile::beside(db)).filter(KeyFile::exists),
    }
}

/// The key read from the key file, if there is one; a named file that is missing is an error.
pub fn key(g: &Global, db: &Path) -> Result<Option<Key>, gocua_store::Error> {
    key_file(g, db).map(|kf| kf.read()).transpose()
}

/// Options for opening the replica at `db`, with its key.
pub fn options(g: &Global, db: &Path) -> Result<StoreOptions, gocua_store::Error> {
    Ok(StoreOptions {
        key: key(g, db)?,
        ..StoreOptions::default()
    })
}

/// Opens the replica at `db` with its key: what every command that reads or writes it calls.
pub fn open_store(g: &Global, db: &Path) -> Result<Store> {
    let lang = g.lang();
    options(g, db)
        .and_then(|o| Store::open_with(db, o))
        .map_err(|e| store_err(e, lang))
}

/// Where a phone replica's key is, as `gocua pair` reports it.
pub struct PairKey {
    pub path: PathBuf,
    /// The key file was made just now.
    pub created: bool,
    /// An existing plain replica was encrypted just now.
    pub encrypted_now: bool,
}

/// Opens the replica `gocua pair` pairs, encrypted: with the key file given (or `<db>.key`),
/// made with a random key when there is none; a plain replica already there is encrypted in
/// place first. A key file made here is removed again if the replica cannot be opened with it.
pub fn open_for_pairing(g: &Global, db: &Path) -> Result<(Store, PairKey)> {
    let lang = g.lang();
    let kf = g
        .key_file
        .clone()
        .map(KeyFile::new)
        .unwrap_or_else(|| KeyFile::beside(db));
    let kind = gocua_store::file_kind(db).map_err(|e| store_err(e, lang))?;
    let (key, created) = match kf.load().map_err(|e| store_err(e, lang))? {
        Some(k) => (k, false),
        // Encrypted with a key we do not have: say so rather than make a useless new one.
        None if kind == FileKind::Opaque => {
            return Err(store_err(
                gocua_store::Error::WrongKey {
                    path: db.display().to_string(),
                    given: false,
                },
                lang,
            ));
        }
        None => (kf.create().map_err(|e| store_err(e, lang))?, true),
    };
    let opened = (|| {
        if kind == FileKind::Plain {
            gocua_store::encrypt_file(db, &key)?;
        }
        Store::open_with(
            db,
            StoreOptions {
                key: Some(key),
                ..StoreOptions::default()
            },
        )
    })();
    match opened {
        Ok(store) => Ok((
            store,
            PairKey {
                path: kf.path().to_path_buf(),
                created,
                encrypted_now: kind == FileKind::Plain,
            },
        )),
        Err(e) => {
            if created {
                let _ = kf.destroy();
            }
            Err(store_err(e, lang))
        }
    }
}

/// The lines `gocua pair` prints about the key.
pub fn describe_pair_key(k: &PairKey, lang: Lang) -> String {
    let p = k.path.display();
    let mut out = match (lang, k.created) {
        (Lang::Vi, true) => format!(
            "Dữ liệu trên máy này được mã hóa; khóa mới tạo ở {p} (chỉ chủ máy đọc được). Giữ kín tệp khóa, đừng sao chép nó cùng tệp dữ liệu."
        ),
        (Lang::Vi, false) => format!("Dữ liệu trên máy này được mã hóa bằng khóa ở {p}."),
        (Lang::En, true) => format!(
            "This replica is encrypted; its new key is in {p} (readable by you only). Keep the key file private, never copy it along with the replica."
        ),
        (Lang::En, false) => format!("This replica is encrypted with the key in {p}."),
    };
    if k.encrypted_now {
        out.push('\n');
        out.push_str(lang.pick(
            "Tệp dữ liệu có sẵn chưa mã hóa đã được mã hóa.",
            "The existing unencrypted replica was encrypted.",
        ));
    }
    out
}

/// `gocua encrypt`: encrypts the plain replica at `--db` in place with the key in `--key-file`
/// (made with a random key if the file does not exist; default `<db>.key`).
pub fn encrypt(_a: EncryptArgs, g: &Global) -> Result<()> {
    let db = g.db_or("gocua.sqlite");
    let lang = g.lang();
    let kf = g
        .key_file
        .clone()
        .map(KeyFile::new)
        .unwrap_or_else(|| KeyFile::beside(&db));
    match gocua_store::file_kind(&db).map_err(|e| store_err(e, lang))? {
        FileKind::Plain => {}
        FileKind::Opaque => {
            return Err(store_err(
                gocua_store::Error::AlreadyEncrypted(db.display().to_string()),
                lang,
            ));
        }
        FileKind::Missing | FileKind::Empty => {
            return Err(anyhow!(lang.pick(
                "Chưa có tệp dữ liệu để mã hóa: chọn tệp bằng --db",
                "No replica to encrypt: pick one with --db",
            )));
        }
    }
    let (key, created) = match kf.load().map_err(|e| store_err(e, lang))? {
        Some(k) => (k, false),
        None => (kf.create().map_err(|e| store_err(e, lang))?, true),
    };
    if let Err(e) = gocua_store::encrypt_file(&db, &key) {
        if created {
            let _ = kf.destroy();
        }
        return Err(store_err(e, lang));
    }
    let shown_key = kf.path().display();
    if g.json {
        println!(
            "{}",
            serde_json::json!({"db": db, "key_file": kf.path(), "key_created": created})
        );
    } else {
        match lang {
            Lang::Vi => println!("Đã mã hóa {}; khóa ở {shown_key}.", db.display()),
            Lang::En => println!("Encrypted {}; its key is in {shown_key}.", db.display()),
        }
        if g.key_file.is_some() {
            println!(
                "{}",
                lang.pick(
                    "Mỗi lệnh sau cần --key-file (hoặc GOCUA_KEY_FILE) trỏ tới tệp khóa này.",
                    "Every later command needs --key-file (or GOCUA_KEY_FILE) naming this key file.",
                )
            );
        }
    }
    Ok(())
}

/// Wipes a replica the hub says is revoked: its key, then its files. Returns the error to show.
pub fn wipe_revoked(store: Store, g: &Global, db: &Path) -> anyhow::Error {
    let kf = key_file(g, db);
    let e = gocua_client::wipe_revoked(store, kf.as_ref().map(|k| k as &dyn KeyProvider));
    client_err(e, g.lang())
}
