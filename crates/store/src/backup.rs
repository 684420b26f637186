//! Hub backups: one SQLite file, encrypted exactly like the replica it copies, holding a
//! consistent copy of the replica (`VACUUM INTO`, safe while the hub serves) plus the files kept
//! beside it (the TLS identity phones pin), written atomically; and restoring one into a new
//! folder, refusing a truncated or foreign file before anything is written.

use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest as _, Sha256};

use crate::files::{self, FileKind};
use crate::key::Key;
use crate::{Error, Result, Store, StoreOptions};

/// What `gocua_backup_meta.format` says in every hub backup.
pub const BACKUP_FORMAT: &str = "gocua-hub-backup";
/// The newest backup layout this build writes and reads.
pub const BACKUP_VERSION: i64 = 1;
/// Width of the zero-padded page count, so writing it never changes the file's size.
const PAGES_WIDTH: usize = 12;

/// A file kept beside the hub's replica, carried in a backup.
#[derive(Clone, PartialEq, Eq)]
pub struct BackupFile {
    /// A plain file name (no folder), e.g. `hub-cert.pem`.
    pub name: String,
    /// Unix permission bits to restore it with (the private key: 0600).
    pub mode: u32,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for BackupFile {
    // The TLS private key must never reach a log line through a stray `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupFile")
            .field("name", &self.name)
            .field("mode", &format_args!("{:o}", self.mode))
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// What a backup holds, as written or as restored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BackupInfo {
    pub path: PathBuf,
    /// Unix seconds when the copy was taken.
    pub created_at: i64,
    /// The replica's schema version in the copy.
    pub schema: i64,
    pub encrypted: bool,
    pub bytes: u64,
    /// Names of the files carried beside the replica.
    pub files: Vec<String>,
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

fn remove_with_side_files(path: &Path) {
    for p in std::iter::once(path.to_path_buf()).chain(files::side_files(path)) {
        let _ = std::fs::remove_file(p);
    }
}

/// A file name a backup may carry: no folders, nothing hidden, nothing odd.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// A numeric pragma; SQLCipher answers some (`page_size`) as text.
fn pragma_i64(conn: &Connection, name: &str) -> rusqlite::Result<i64> {
    let v: rusqlite::types::Value = conn.pragma_query_value(None, name, |r| r.get(0))?;
    Ok(match v {
        rusqlite::types::Value::Integer(i) => i,
        rusqlite::types::Value::Text(t) => t.trim().parse().unwrap_or(-1),
        _ => -1,
    })
}

fn open_raw(path: &Path, key: Option<&Key>) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    if let Some(key) = key {
        let text = key.sqlcipher_text();
        let sql = zeroize::Zeroizing::new(format!("PRAGMA key = '{}';", text.replace('\'', "''")));
        conn.execute_batch(&sql)?;
    }
    conn.execute_batch("PRAGMA cipher_log_level = NONE; PRAGMA temp_store = MEMORY;")?;
    Ok(conn)
}

impl Store {
    /// Writes a backup of this replica to `dest`, with `extra` files (the hub's TLS identity)
    /// inside it. Safe while another process (the hub) writes the replica: `VACUUM INTO` copies
    /// one consistent snapshot. The copy is encrypted with the replica's own key (`key`, which
    /// must be the key this store was opened with, `None` for a plain replica), created 0600,
    /// fsynced and renamed into place, so `dest` is either absent or a whole backup.
    pub fn write_backup(
        &self,
        dest: &Path,
        key: Option<&Key>,
        extra: &[BackupFile],
        now: i64,
    ) -> Result<BackupInfo> {
        if key.is_some() != self.is_encrypted() {
            // A plain copy of an encrypted replica would undo its protection: never write one.
            return Err(Error::NotEncrypted(self.path().display().to_string()));
        }
        if let Some(bad) = extra.iter().find(|f| !plain_name(&f.name)) {
            return Err(Error::BackupDamaged {
                path: bad.name.clone(),
                detail: "not a plain file name".into(),
            });
        }
        let tmp = sibling(dest, ".partial");
        remove_with_side_files(&tmp);
        let result = (|| -> Result<BackupInfo> {
            // Created private before SQLite writes a byte into it (VACUUM INTO accepts an empty
            // file); an unwritable folder fails here, naming the path the user gave.
            drop(files::create_private(&tmp).map_err(|e| Error::io("create", dest, e))?);
            self.conn
                .execute("VACUUM INTO ?1", [tmp.to_string_lossy().as_ref()])
                .map_err(|e| match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::DiskFull) | Some(rusqlite::ErrorCode::CannotOpen) => {
                        Error::io("write", dest, io::Error::other(e.to_string()))
                    }
                    _ => Error::Sqlite(e),
                })?;
            let encrypted = files::file_kind(&tmp)? == FileKind::Opaque;
            if encrypted != key.is_some() {
                return Err(Error::BackupDamaged {
                    path: dest.display().to_string(),
                    detail: "the copy is not encrypted like the replica".into(),
                });
            }
            let schema: i64 = self
                .conn
                .pragma_query_value(None, "user_version", |r| r.get(0))?;
            let conn = open_raw(&tmp, key)?;
            conn.pragma_update(None, "journal_mode", "DELETE")?;
            conn.execute_batch(
                "CREATE TABLE gocua_backup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 CREATE TABLE gocua_backup_files (name TEXT PRIMARY KEY, mode INTEGER NOT NULL,
                     sha256 BLOB NOT NULL, bytes BLOB NOT NULL);",
            )?;
            for (k, v) in [
                ("format", BACKUP_FORMAT.to_string()),
                ("version", BACKUP_VERSION.to_string()),
                ("created_at", now.to_string()),
                ("schema", schema.to_string()),
                ("pages", "0".repeat(PAGES_WIDTH)),
            ] {
                conn.execute(
                    "INSERT INTO gocua_backup_meta (key, value) VALUES (?1, ?2)",
                    params![k, v],
                )?;
            }
            for f in extra {
                conn.execute(
                    "INSERT INTO gocua_backup_files (name, mode, sha256, bytes) VALUES (?1, ?2, ?3, ?4)",
                    params![f.name, f.mode, Sha256::digest(&f.bytes).to_vec(), f.bytes],
                )?;
            }
            // The page count goes in last, in a value of the same width, so the file stays that
            // size: a restore compares it with the file's length and refuses a truncated copy.
            let pages = pragma_i64(&conn, "page_count")?;
            conn.execute(
                "UPDATE gocua_backup_meta SET value = ?1 WHERE key = 'pages'",
                [format!("{pages:0width$}", width = PAGES_WIDTH)],
            )?;
            let page_size = pragma_i64(&conn, "page_size")?;
            conn.close().map_err(|(_, e)| Error::Sqlite(e))?;
            let len = std::fs::metadata(&tmp)
                .map_err(|e| Error::io("read", &tmp, e))?
                .len();
            if len != (pages * page_size) as u64 {
                return Err(Error::BackupDamaged {
                    path: dest.display().to_string(),
                    detail: format!("{len} bytes written, {} expected", pages * page_size),
                });
            }
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io("write", dest, e))?;
            std::fs::rename(&tmp, dest).map_err(|e| Error::io("rename", dest, e))?;
            files::sync_parent(dest);
            Ok(BackupInfo {
                path: dest.to_path_buf(),
                created_at: now,
                schema,
                encrypted,
                bytes: len,
                files: extra.iter().map(|f| f.name.clone()).collect(),
            })
        })();
        if result.is_err() {
            remove_with_side_files(&tmp);
        }
        result
    }
}

/// Reads and checks a backup copied to `tmp`: its format, its length against the page count it
/// records, SQLite's integrity check, each file's SHA-256. Takes the carried files out of the
/// copy, leaving a plain replica file. `shown` is the path the user gave.
fn check_and_unpack(
    tmp: &Path,
    shown: &Path,
    key: Option<&Key>,
) -> Result<(BackupInfo, Vec<BackupFile>)> {
    let shown_s = shown.display().to_string();
    let damaged = |detail: String| Error::BackupDamaged {
        path: shown_s.clone(),
        detail,
    };
    let kind = files::file_kind(tmp)?;
    if matches!(kind, FileKind::Empty | FileKind::Missing) {
        return Err(damaged("the file is empty".into()));
    }
    let conn = open_raw(tmp, key)?;
    let readable = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    });
    if let Err(e) = readable {
        return Err(match (e.sqlite_error_code(), kind, key.is_some()) {
            (Some(rusqlite::ErrorCode::NotADatabase), FileKind::Plain, true) => {
                Error::NotEncrypted(shown_s.clone())
            }
            (Some(rusqlite::ErrorCode::NotADatabase), FileKind::Opaque, given) => Error::WrongKey {
                path: shown_s.clone(),
                given,
            },
            (Some(rusqlite::ErrorCode::NotADatabase), _, _) => Error::NotABackup(shown_s.clone()),
            _ => damaged(e.to_string()),
        });
    }
    let has_meta: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'gocua_backup_meta'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| damaged(e.to_string()))?;
    if has_meta.is_none() {
        return Err(Error::NotABackup(shown_s.clone()));
    }
    let meta = |k: &str| -> Result<String> {
        conn.query_row(
            "SELECT value FROM gocua_backup_meta WHERE key = ?1",
            [k],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(|e| damaged(e.to_string()))?
        .ok_or_else(|| damaged(format!("no {k} in its manifest")))
    };
    if meta("format")? != BACKUP_FORMAT {
        return Err(Error::NotABackup(shown_s.clone()));
    }
    let number = |k: &str| -> Result<i64> {
        meta(k)?
            .trim()
            .parse::<i64>()
            .map_err(|_| damaged(format!("{k} is not a number")))
    };
    let version = number("version")?;
    if version > BACKUP_VERSION {
        return Err(Error::SchemaTooNew(version));
    }
    let pages = number("pages")?;
    let page_size = pragma_i64(&conn, "page_size").map_err(|e| damaged(e.to_string()))?;
    let len = std::fs::metadata(tmp)
        .map_err(|e| Error::io("read", tmp, e))?
        .len();
    if pages <= 0 || len != (pages * page_size) as u64 {
        return Err(damaged(format!(
            "{len} bytes instead of {} (cut short or padded)",
            pages.max(0) * page_size
        )));
    }
    let integrity: String = conn
        .query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))
        .map_err(|e| damaged(e.to_string()))?;
    if integrity != "ok" {
        return Err(damaged(integrity));
    }
    let mut carried = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT name, mode, sha256, bytes FROM gocua_backup_files ORDER BY name")
            .map_err(|e| damaged(e.to_string()))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .map_err(|e| damaged(e.to_string()))?;
        for row in rows {
            let (name, mode, sha, bytes) = row.map_err(|e| damaged(e.to_string()))?;
            if !plain_name(&name) {
                return Err(damaged(format!("carries a file named {name:?}")));
            }
            if Sha256::digest(&bytes).as_slice() != sha.as_slice() {
                return Err(damaged(format!("{name} does not match its checksum")));
            }
            carried.push(BackupFile {
                name,
                mode: (mode as u32) & 0o644,
                bytes,
            });
        }
    }
    let info = BackupInfo {
        path: shown.to_path_buf(),
        created_at: number("created_at")?,
        schema: number("schema")?,
        encrypted: kind == FileKind::Opaque,
        bytes: len,
        files: carried.iter().map(|f| f.name.clone()).collect(),
    };
    conn.execute_batch("DROP TABLE gocua_backup_files; DROP TABLE gocua_backup_meta;")
        .map_err(|e| damaged(e.to_string()))?;
    conn.close().map_err(|(_, e)| Error::Sqlite(e))?;
    Ok((info, carried))
}

/// Restores the hub backup at `backup` as the replica `db`, and the files it carries beside it
/// (in `db`'s folder, made if missing). Refuses when a replica or any of those files is already
/// there ([`Error::HubExists`]), and refuses a truncated, damaged or foreign file or a wrong key
/// before writing anything; on any failure whatever was written is removed again. The restored
/// replica is private (0600), encrypted with `key` exactly as the backup was; opened at its new
/// path it takes a new actor id, so its changes never collide with the lost hub's.
pub fn restore_backup(backup: &Path, db: &Path, key: Option<Key>) -> Result<BackupInfo> {
    let dir = match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let exists = |p: &Path| p.try_exists().unwrap_or(true);
    if std::iter::once(db.to_path_buf())
        .chain(files::side_files(db))
        .any(|p| exists(&p))
    {
        return Err(Error::HubExists(db.display().to_string()));
    }
    let made_dir = !exists(&dir);
    if made_dir {
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    }
    let tmp = sibling(db, ".restoring");
    remove_with_side_files(&tmp);
    let mut written: Vec<PathBuf> = Vec::new();
    let result = (|| -> Result<BackupInfo> {
        {
            let mut from = std::fs::File::open(backup).map_err(|e| Error::io("open", backup, e))?;
            let mut to = files::create_private(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = match from.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::io("read", backup, e)),
                };
                to.write_all(&buf[..n])
                    .map_err(|e| Error::io("copy", &tmp, e))?;
            }
            to.sync_all().map_err(|e| Error::io("sync", &tmp, e))?;
        }
        let (info, carried) = check_and_unpack(&tmp, backup, key.as_ref())?;
        // A replica of this build, with a ward in it: not some other SQLite file.
        let store = Store::open_with(
            &tmp,
            StoreOptions {
                key: key.clone(),
                ..StoreOptions::default()
            },
        )?;
        if store.ward()?.is_none() {
            return Err(Error::NotABackup(backup.display().to_string()));
        }
        store.close()?;
        if let Some(f) = carried.iter().find(|f| exists(&dir.join(&f.name))) {
            return Err(Error::HubExists(dir.join(&f.name).display().to_string()));
        }
        for f in &carried {
            let path = dir.join(&f.name);
            let part = dir.join(format!(".{}.restoring", f.name));
            let _ = std::fs::remove_file(&part);
            let mut out =
                files::create_private(&part).map_err(|e| Error::io("create", &part, e))?;
            written.push(part.clone());
            out.write_all(&f.bytes)
                .and_then(|()| out.sync_all())
                .map_err(|e| Error::io("write", &part, e))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(&part, std::fs::Permissions::from_mode(f.mode))
                    .map_err(|e| Error::io("write", &part, e))?;
            }
            drop(out);
            std::fs::rename(&part, &path).map_err(|e| Error::io("rename", &path, e))?;
            written.pop();
            written.push(path);
        }
        // The replica goes in last: its presence marks a finished restore.
        for p in files::side_files(&tmp) {
            let _ = std::fs::remove_file(p);
        }
        std::fs::rename(&tmp, db).map_err(|e| Error::io("rename", db, e))?;
        files::sync_parent(db);
        Ok(info)
    })();
    if result.is_err() {
        remove_with_side_files(&tmp);
        for p in &written {
            let _ = std::fs::remove_file(p);
        }
        if made_dir {
            let _ = std::fs::remove_dir(&dir);
        }
    }
    result
}
