//! Opening a replica: its key, its files' mode, pragmas, numbered migrations, the replica's own
//! actor id, failpoints.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use automerge::{ActorId, AutoCommit};
use rusqlite::{Connection, OptionalExtension, params};

use crate::files::{self, FileKind};
use crate::key::Key;
use crate::{Error, Result};

/// Numbered migrations; the index + 1 is the schema version stored in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_replica.sql"),
    include_str!("../migrations/0002_household_scoped_keys.sql"),
    include_str!("../migrations/0003_resident_baseline.sql"),
    include_str!("../migrations/0004_audit_log.sql"),
    include_str!("../migrations/0005_device_rights.sql"),
    include_str!("../migrations/0006_team_leads.sql"),
    include_str!("../migrations/0007_office_sessions.sql"),
    include_str!("../migrations/0008_province_outbox.sql"),
];

/// Bump when the projection is derived differently (a sort key, a rule): replicas then rebuild
/// their projection on open.
const PROJECTION_VERSION: &str = "2";

#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Documents kept loaded in memory; the hub bounds this so a whole ward is never all loaded.
    pub cache_docs: usize,
    /// Incremental chunks a document may accumulate before it is compacted into one snapshot.
    pub compact_after: i64,
    /// How hard a commit is pushed to the disk.
    pub durability: Durability,
    /// The key of an encrypted replica (SQLCipher); `None` for a plain file. A new file opened
    /// with a key is encrypted from its first byte. Taken out when the store opens: the store
    /// does not keep it.
    pub key: Option<Key>,
}

/// SQLite's `synchronous` setting, as a choice about what a power cut may cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is on the disk before the write returns (`synchronous=FULL`): a phone whose
    /// battery dies right after "saved" still has the visit. The default.
    #[default]
    Full,
    /// Commits survive a crash of the app but a power cut may lose the last ones
    /// (`synchronous=NORMAL`); never corrupts. For bulk work and benchmarks.
    Normal,
    /// Commits reach the write-ahead log without waiting for the disk (`synchronous=NORMAL`),
    /// and whoever wrote them makes them durable with [`WalFlush::flush`] before telling anyone
    /// they are saved. For the hub: the flush runs after its store lock is released, so rounds
    /// of different devices do not queue behind each other's disk waits, and one flush covers
    /// every commit before it (group commit).
    Grouped,
}

/// Makes every commit so far of a [`Durability::Grouped`] store durable: one `fsync` of its
/// write-ahead log, which holds them in order. Needs no lock on the store.
#[derive(Clone, Debug)]
pub struct WalFlush {
    wal: PathBuf,
}

impl WalFlush {
    pub fn flush(&self) -> std::io::Result<()> {
        match std::fs::File::open(&self.wal) {
            Ok(f) => f.sync_data(),
            // No log: it was checkpointed into the database, which SQLite synced first.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_docs: 2048,
            compact_after: 32,
            durability: Durability::Full,
            key: None,
        }
    }
}

pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) actor: ActorId,
    pub(crate) cache: HashMap<String, AutoCommit>,
    /// Automerge sync states of the sessions under way, keyed by (peer, document). Only their
    /// durable part (`State::encode`) is persisted; the rest lives for one session.
    pub(crate) live_sync: HashMap<(String, String), automerge::sync::State>,
    /// What merges may change; the hub narrows it per device for the length of a round.
    pub(crate) merge_policy: gocua_sync::MergePolicy,
    pub(crate) opts: StoreOptions,
    path: PathBuf,
    encrypted: bool,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, StoreOptions::default())
    }

    /// Opens (creating if needed) the replica at `path`. A new file is created with mode 0600
    /// before SQLite opens it, and SQLite gives its `-wal` and `-shm` files the same mode. With
    /// a key, the key is checked before anything is written: a wrong or missing key is
    /// [`Error::WrongKey`] and leaves the file as it was.
    pub fn open_with(path: &Path, mut opts: StoreOptions) -> Result<Store> {
        let key = opts.key.take();
        let kind = files::file_kind(path)?;
        if kind == FileKind::Missing {
            match files::create_private(path) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io("create", path, e)),
            }
        }
        let mut conn = Connection::open(path)?;
        if let Some(key) = &key {
            let text = key.sqlcipher_text();
            let sql =
                zeroize::Zeroizing::new(format!("PRAGMA key = '{}';", text.replace('\'', "''")));
            conn.execute_batch(&sql)?;
        }
        // A wrong key is an answer for the user (`WrongKey`), not a line SQLCipher prints to stderr.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        // The first read decrypts page 1; it is where a wrong key shows, before any write.
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            let not_a_db = matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::NotADatabase)
            );
            if !not_a_db {
                return Err(e.into());
            }
            let shown = path.display().to_string();
            return Err(match (key.is_some(), kind) {
                (true, FileKind::Plain) => Error::NotEncrypted(shown),
                (given, _) => Error::WrongKey { path: shown, given },
            });
        }
        // Files made by an older version, or copied in, may be readable by others.
        for p in std::iter::once(path.to_path_buf()).chain(files::side_files(path)) {
            files::make_private(&p);
        }
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Sorts, temporary tables and statement journals stay in memory, never in a plain
        // temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let sync = match opts.durability {
            Durability::Full => "FULL",
            Durability::Normal | Durability::Grouped => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        let path = path.to_path_buf();
        let actor = ensure_actor(&conn, &path)?;
        let mut store = Store {
            conn,
            actor,
            cache: HashMap::new(),
            live_sync: HashMap::new(),
            merge_policy: gocua_sync::MergePolicy::TRUSTED,
            opts,
            path,
            encrypted: key.is_some(),
        };
        // A migration that reshaped the projection, or a new way of deriving it (sort keys,
        // funnel rules), leaves it to be derived again from the documents.
        let derived_by = store.meta_get("projection_version")?;
        if store.meta_get("projection_stale")?.is_some()
            || derived_by.as_deref() != Some(PROJECTION_VERSION)
        {
            store.rebuild_projection(|_, _| {})?;
            store.meta_delete("projection_stale")?;
            store.meta_set("projection_version", PROJECTION_VERSION)?;
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The flush of this store's write-ahead log (see [`Durability::Grouped`]).
    pub fn wal_flush(&self) -> WalFlush {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        WalFlush { wal: wal.into() }
    }

    /// Rows changed through this connection since it opened: tells whether anything may need a
    /// [`WalFlush`].
    pub fn total_changes(&self) -> u64 {
        self.conn.total_changes()
    }

    /// Whether this replica's file is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// This replica's Automerge actor: never shared with another device.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// Takes a new actor id, e.g. after this file was restored from a backup, so changes made
    /// from now on can never collide with changes the original made after the backup.
    pub fn rotate_actor(&mut self) -> Result<ActorId> {
        let actor = ActorId::random();
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('actor', ?1)",
            params![actor.to_hex_string()],
        )?;
        self.cache.clear();
        self.actor = actor.clone();
        Ok(actor)
    }

    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn meta_delete(&self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [key])?;
        Ok(())
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let latest = MIGRATIONS.len() as i64;
    if version > latest {
        return Err(Error::SchemaTooNew(version));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Loads this replica's actor, creating one on first open. A file found at another path than
/// the one it was created at is a copy (a restore, or a phone cloned from another): it gets a
/// fresh actor so two devices never write under the same actor id.
fn ensure_actor(conn: &Connection, path: &Path) -> Result<ActorId> {
    let here = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let here = here.to_string_lossy().to_string();
    let get = |k: &str| -> Result<Option<String>> {
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
            .optional()?)
    };
    let actor = match (get("actor")?, get("actor_path")?) {
        (Some(hex), Some(p)) if p == here => ActorId::from(
            hex::decode(&hex).map_err(|e| Error::CorruptDoc("meta.actor".into(), e.to_string()))?,
        ),
        _ => {
            let actor = ActorId::random();
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('actor', ?1)",
                params![actor.to_hex_string()],
            )?;
            actor
        }
    };
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('actor_path', ?1)",
        params![here],
    )?;
    Ok(actor)
}

#[cfg(feature = "failpoints")]
thread_local! {
    static FAIL_AT: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
}

/// Makes the next write on this thread fail at `step` (tests only), or clears it with `None`.
#[cfg(feature = "failpoints")]
pub fn set_failpoint(step: Option<&'static str>) {
    FAIL_AT.with(|f| f.set(step));
}

/// Steps at which a write can be made to fail, in the order a write passes them.
pub const FAILPOINTS: &[&str] = &[
    "after_change_bytes",
    "after_doc_row",
    "after_projection",
    "before_commit",
];

#[inline]
pub(crate) fn failpoint(_step: &'static str) -> Result<()> {
    #[cfg(feature = "failpoints")]
    if FAIL_AT.with(|f| f.get()) == Some(_step) {
        return Err(Error::Injected(_step));
    }
    Ok(())
}
