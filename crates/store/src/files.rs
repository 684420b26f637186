//! A replica's files at rest: created private (0600) whatever the umask, SQLite's side files
//! (`-wal`, `-shm`, `-journal`), encrypting a plain replica in place, restoring a backup, and
//! wiping a replica off the device.

use std::fs::File;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::key::Key;
use crate::{Error, Result, Store, StoreOptions};

/// The first 16 bytes of every plain SQLite file. An encrypted file starts with its random salt.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What a path holds, judged from its first bytes without opening it as a database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Missing,
    /// Zero bytes: a replica about to be created.
    Empty,
    /// A plain (unencrypted) SQLite file.
    Plain,
    /// Neither: an encrypted replica, or not a database at all.
    Opaque,
}

pub fn file_kind(path: &Path) -> Result<FileKind> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(FileKind::Missing),
        Err(e) => return Err(Error::io("open", path, e)),
    };
    let mut head = [0u8; 16];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("read", path, e)),
        }
    }
    Ok(match n {
        0 => FileKind::Empty,
        16 if &head == SQLITE_MAGIC => FileKind::Plain,
        _ => FileKind::Opaque,
    })
}

/// SQLite's side files of a database: the write-ahead log, its shared-memory index, and the
/// rollback journal. SQLite creates them with the database file's own mode.
pub fn side_files(db: &Path) -> [PathBuf; 3] {
    ["-wal", "-shm", "-journal"].map(|suffix| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    })
}

/// Creates a new file readable and writable by its owner only (0600), whatever the umask.
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // Private from the first moment, never chmod-ed after the fact.
        options.mode(0o600);
    }
    let f = options.open(path)?;
    // A umask can only take bits away, but an odd one (0o277) could leave the owner unable to
    // write; set the mode exactly.
    set_private(&f)?;
    Ok(f)
}

fn set_private(f: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = f;
    Ok(())
}

/// Takes group and other permissions off an existing file (a replica made by an older version,
/// or copied in with a loose mode). Files owned by someone else are left as they are.
pub(crate) fn make_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The mode of a file that group or others may use, if it is one.
pub fn open_to_others(meta: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Best effort: makes a create, rename or delete durable on filesystems that need a directory
/// fsync.
pub fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Overwrites a file with zeros, flushes it and deletes it; a missing file is fine. On flash
/// storage the old blocks may survive the overwrite, which is why what matters is that the
/// replica is encrypted and its key is shredded too.
pub fn shred(path: &Path) -> Result<()> {
    let mut f = match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("open", path, e)),
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        f.write_all(&zeros[..n])
            .map_err(|e| Error::io("overwrite", path, e))?;
        left -= n as u64;
    }
    f.sync_all().map_err(|e| Error::io("sync", path, e))?;
    drop(f);
    std::fs::remove_file(path).map_err(|e| Error::io("delete", path, e))?;
    sync_parent(path);
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io("delete", path, e)),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Encrypts the plain replica at `path` with `key`, replacing the file atomically: the encrypted
/// copy is written beside it (mode 0600) with `sqlcipher_export`, flushed, then renamed over the
/// original. A failure at any point leaves the plain replica as it was. The replica keeps its
/// actor id: it is the same replica, not a copy.
pub fn encrypt_file(path: &Path, key: &Key) -> Result<()> {
    match file_kind(path)? {
        FileKind::Plain => {}
        FileKind::Opaque => return Err(Error::AlreadyEncrypted(path.display().to_string())),
        FileKind::Missing | FileKind::Empty => {
            return Err(Error::io(
                "open",
                path,
                io::Error::new(io::ErrorKind::NotFound, "no replica"),
            ));
        }
    }
    let tmp = sibling(path, ".encrypting");
    for p in std::iter::once(tmp.clone()).chain(side_files(&tmp)) {
        remove_if_present(&p)?;
    }
    let result = (|| {
        let store = Store::open_with(path, StoreOptions::default())?;
        drop(create_private(&tmp).map_err(|e| Error::io("create", &tmp, e))?);
        store.export_encrypted(&tmp, key)?;
        store.close()?;
        // Closing the last connection folds the log into the file and deletes it; a log still
        // there means another process has the replica open, and renaming under it would lose
        // what it writes next.
        if side_files(path)[0].exists() {
            return Err(Error::InUse(path.display().to_string()));
        }
        File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io("sync", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io("rename", path, e))?;
        sync_parent(path);
        Ok(())
    })();
    if result.is_err() {
        for p in std::iter::once(tmp.clone()).chain(side_files(&tmp)) {
            let _ = std::fs::remove_file(p);
        }
    }
    result
}

impl Store {
    /// Writes an encrypted copy of this replica into `dest` (an empty file).
    fn export_encrypted(&self, dest: &Path, key: &Key) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let dest_str = dest.to_string_lossy().to_string();
        self.conn.execute(
            "ATTACH DATABASE ?1 AS gocua_encrypted KEY ?2",
            rusqlite::params![dest_str, &*key.sqlcipher_text()],
        )?;
        let exported = (|| -> Result<()> {
            self.conn
                .query_row("SELECT sqlcipher_export('gocua_encrypted')", [], |_| Ok(()))?;
            self.conn
                .pragma_update(Some("gocua_encrypted"), "user_version", version)?;
            Ok(())
        })();
        self.conn.execute_batch("DETACH DATABASE gocua_encrypted")?;
        exported
    }

    /// Closes the connection, so SQLite folds its log into the file.
    pub fn close(self) -> Result<()> {
        let Store { conn, .. } = self;
        conn.close().map_err(|(_, e)| Error::Sqlite(e))
    }

    /// Closes this replica and deletes it from the device: the database and its side files,
    /// each overwritten with zeros first. The key (if any) is the caller's to destroy, through
    /// its [`crate::KeyProvider`]; with the key gone, whatever flash storage kept is unreadable.
    /// Returns the files deleted.
    pub fn wipe(self) -> Result<Vec<PathBuf>> {
        let path = self.path().to_path_buf();
        // A close that fails still drops the connection; the files go either way.
        let _ = self.close();
        let mut gone = Vec::new();
        for p in std::iter::once(path.clone()).chain(side_files(&path)) {
            if p.exists() {
                shred(&p)?;
                gone.push(p);
            }
        }
        Ok(gone)
    }

    /// Puts a copy of `backup` in place of the replica at `db`, atomically, and gives it a new
    /// actor id. The copy is made private (0600) beside `db` and opened with `opts` (so a wrong
    /// key, or a file that is no replica, is refused before anything is replaced), then renamed
    /// over `db`.
    pub fn restore_from(backup: &Path, db: &Path, opts: StoreOptions) -> Result<Store> {
        let tmp = sibling(db, ".restoring");
        for p in std::iter::once(tmp.clone()).chain(side_files(&tmp)) {
            remove_if_present(&p)?;
        }
        let result = (|| {
            let mut from = File::open(backup).map_err(|e| Error::io("open", backup, e))?;
            let mut to = create_private(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
            io::copy(&mut from, &mut to).map_err(|e| Error::io("copy", &tmp, e))?;
            to.sync_all().map_err(|e| Error::io("sync", &tmp, e))?;
            drop(to);
            Store::open_with(&tmp, opts.clone())?.close()?;
            for p in side_files(db) {
                remove_if_present(&p)?;
            }
            std::fs::rename(&tmp, db).map_err(|e| Error::io("rename", db, e))?;
            sync_parent(db);
            Ok(())
        })();
        if let Err(e) = result {
            for p in std::iter::once(tmp.clone()).chain(side_files(&tmp)) {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        let mut store = Store::open_with(db, opts)?;
        store.rotate_actor()?;
        Ok(store)
    }
}
