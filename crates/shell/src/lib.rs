//! The phone app's runtime, the same for the Tauri app (`src-tauri/`) and the browser shell
//! (`gocua phone serve`): one encrypted replica in the app's data folder, the command table over
//! it, pairing from a QR payload, and sync with a status the sync bar shows at all times.
//!
//! The replica sits behind a mutex that every step takes briefly: a command runs under it, and a
//! sync takes it only to build a request or merge an answer, never while waiting on the network,
//! so recording a visit never waits for a sync. One sync or pairing runs at a time.

#[cfg(feature = "http")]
pub mod http;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use gocua_app::{App, CommandError};
use gocua_client::{ClientError, HUB_PEER, PairInfo, ReplicaLock, SyncProgress};
use gocua_domain::Lang;
use gocua_store::{KeyProvider, Store, StoreOptions};
use serde::Serialize;

/// The replica's file name in the app's data folder.
pub const REPLICA_FILE: &str = "replica.sqlite";
/// Where the time of the last completed sync is kept (unix seconds).
const META_LAST_SYNC: &str = "sync.last_ok";

/// Where the phone's sync with the ward hub stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// No sync since the app started (the last one's time is still shown).
    #[default]
    Idle,
    Syncing,
    Done,
    /// The hub refused or the sync broke off; `error` says why.
    Failed,
    /// No hub at any of its addresses (not on the ward's Wi-Fi).
    Unreachable,
}

/// How far a running sync is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncProgressEvent {
    pub round: u32,
    pub docs_received: u64,
    pub docs_remaining: u64,
}

impl From<SyncProgress> for SyncProgressEvent {
    fn from(p: SyncProgress) -> Self {
        SyncProgressEvent {
            round: p.round,
            docs_received: p.docs_received,
            docs_remaining: p.docs_remaining,
        }
    }
}

/// What the sync bar shows: state, last completed sync, changes not yet on the hub, and why the
/// last attempt failed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub state: SyncState,
    /// Unix seconds of the last sync that completed.
    pub last_sync: Option<i64>,
    /// Documents with local changes the hub is not known to hold.
    pub pending: u64,
    pub error: Option<CommandError>,
    /// Whether this replica is paired with a hub (the first screen is pairing otherwise).
    pub paired: bool,
    pub progress: Option<SyncProgressEvent>,
}

#[derive(Default)]
struct Running {
    state: SyncState,
    error: Option<CommandError>,
    progress: Option<SyncProgressEvent>,
}

/// The phone app's state: what the Tauri app manages and the browser shell serves.
pub struct Shell {
    db: PathBuf,
    keys: Box<dyn KeyProvider + Send + Sync>,
    /// `None` only after a revocation wiped the replica (until it is paired again).
    app: Mutex<Option<App>>,
    running: Mutex<Running>,
    /// One sync or pairing at a time.
    exclusive: OneAtATime,
    /// A pinned clock (tests, demos), kept across the app being reopened by pairing.
    clock: Mutex<Option<gocua_domain::Timestamp>>,
}

/// Keeps syncs and pairings one at a time: the second caller is told at once, not queued.
#[derive(Default)]
struct OneAtATime(AtomicBool);

struct Turn<'a>(&'a AtomicBool);

impl OneAtATime {
    fn try_take(&self) -> Option<Turn<'_>> {
        self.0
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Turn(&self.0))
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn store_err(e: gocua_store::Error, lang: Lang) -> CommandError {
    CommandError::new(e.code(), e.message(lang))
}

fn client_err(e: &ClientError, lang: Lang) -> CommandError {
    CommandError::new(&e.code(), e.message(lang))
}

fn busy(lang: Lang) -> CommandError {
    CommandError::new(
        "busy",
        lang.pick(
            "Đang đồng bộ hoặc ghép nối: hãy chờ xong rồi thử lại",
            "A sync or pairing is under way: wait for it to end and try again",
        ),
    )
}

fn wiped(lang: Lang) -> CommandError {
    client_err(
        &ClientError::Wiped {
            removed: Vec::new(),
        },
        lang,
    )
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Opens the replica at `db`, encrypted with the key `keys` keeps; a first start makes the key.
fn open_replica(db: &Path, keys: &dyn KeyProvider, lang: Lang) -> Result<App, CommandError> {
    let key = match keys.load().map_err(|e| store_err(e, lang))? {
        Some(key) => key,
        None if db.exists() => {
            // The file is there but its key is gone: never make a new key over it.
            return Err(CommandError::new(
                "key_missing",
                lang.pick(
                    &format!(
                        "Không tìm thấy khóa của dữ liệu trên máy ({}). Hãy ghép nối lại với máy chủ phường.",
                        keys.describe()
                    ),
                    &format!(
                        "The replica's key is missing ({}). Pair with the ward hub again.",
                        keys.describe()
                    ),
                ),
            ));
        }
        None => keys.create().map_err(|e| store_err(e, lang))?,
    };
    let store = Store::open_with(
        db,
        StoreOptions {
            key: Some(key),
            ..StoreOptions::default()
        },
    )
    .map_err(|e| store_err(e, lang))?;
    App::new(store, lang).map_err(|e| e.to_command_error(lang))
}

/// Lets a sync reach the shell's replica one step at a time.
struct Live<'a>(&'a Mutex<Option<App>>);

impl ReplicaLock for Live<'_> {
    fn with_store<R>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, ClientError>,
    ) -> Result<R, ClientError> {
        match lock(self.0).as_mut() {
            Some(app) => f(app.store_mut()),
            None => Err(ClientError::NotPaired),
        }
    }
}

impl Shell {
    /// Opens (creating on first start) the encrypted replica `replica.sqlite` in `dir`, its key
    /// kept by `keys`.
    pub fn open(
        dir: &Path,
        keys: Box<dyn KeyProvider + Send + Sync>,
        lang: Lang,
    ) -> Result<Shell, CommandError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            CommandError::new(
                "io",
                lang.pick(
                    &format!("Không tạo được thư mục dữ liệu {}: {e}", dir.display()),
                    &format!("Cannot create the data folder {}: {e}", dir.display()),
                ),
            )
        })?;
        let db = dir.join(REPLICA_FILE);
        let app = open_replica(&db, keys.as_ref(), lang)?;
        Ok(Shell {
            db,
            keys,
            app: Mutex::new(Some(app)),
            running: Mutex::new(Running::default()),
            exclusive: OneAtATime::default(),
            clock: Mutex::new(None),
        })
    }

    /// Pins the app's clock (tests, reproducible demos); `None` is the system clock.
    pub fn set_clock(&self, now: Option<gocua_domain::Timestamp>) {
        *lock(&self.clock) = now;
        if let Some(app) = lock(&self.app).as_mut() {
            app.set_clock(now);
        }
    }

    /// The replica's file.
    pub fn replica_path(&self) -> &Path {
        &self.db
    }

    /// Runs one command of the command table, answering in `lang`.
    pub fn dispatch(
        &self,
        cmd: &str,
        args: serde_json::Value,
        lang: Lang,
    ) -> Result<serde_json::Value, CommandError> {
        let mut guard = lock(&self.app);
        let app = guard.as_mut().ok_or_else(|| wiped(lang))?;
        app.set_lang(lang);
        app.dispatch_json(cmd, args)
    }

    /// The hub this replica is paired with.
    pub fn paired(&self) -> Option<PairInfo> {
        let guard = lock(&self.app);
        guard
            .as_ref()
            .and_then(|app| gocua_client::paired_hub(app.store()).ok().flatten())
    }

    /// The sync bar's status now, without syncing.
    pub fn status(&self, lang: Lang) -> SyncStatus {
        let (paired, last_sync, pending, read_err) = {
            let guard = lock(&self.app);
            match guard.as_ref() {
                None => (false, None, 0, None),
                Some(app) => {
                    let s = app.store();
                    let read = || -> Result<_, gocua_store::Error> {
                        Ok((
                            s.meta_get("device.id")?.is_some(),
                            s.meta_get(META_LAST_SYNC)?.and_then(|v| v.parse().ok()),
                            s.unsynced_docs(HUB_PEER)?,
                        ))
                    };
                    match read() {
                        Ok((p, l, n)) => (p, l, n, None),
                        Err(e) => (false, None, 0, Some(store_err(e, lang))),
                    }
                }
            }
        };
        let r = lock(&self.running);
        SyncStatus {
            state: r.state,
            last_sync,
            pending,
            error: read_err.or_else(|| r.error.clone()),
            paired,
            progress: r.progress,
        }
    }

    fn set_running(&self, state: SyncState, error: Option<CommandError>) {
        let mut r = lock(&self.running);
        r.state = state;
        r.error = error;
        r.progress = None;
    }

    /// Syncs with the paired hub until both sides are quiet, reporting progress; resolves with
    /// the status after the attempt (a failed sync is a status, not an error). A sync already
    /// under way is not started twice: the status says `syncing`.
    pub async fn sync(
        &self,
        lang: Lang,
        on_progress: &mut (dyn FnMut(SyncProgressEvent) + Send),
    ) -> SyncStatus {
        let Some(_one) = self.exclusive.try_take() else {
            return self.status(lang);
        };
        self.set_running(SyncState::Syncing, None);
        let result = {
            let running = &self.running;
            let mut progress = |p: SyncProgress| {
                let ev = SyncProgressEvent::from(p);
                lock(running).progress = Some(ev);
                on_progress(ev);
            };
            gocua_client::sync_shared(&Live(&self.app), &mut progress).await
        };
        match result {
            Ok(report) => {
                let refused = report
                    .refused
                    .first()
                    .map(|r| CommandError::new(&r.code, lang.pick(&r.message_vi, &r.message_en)));
                if let Some(app) = lock(&self.app).as_ref() {
                    // The time is a convenience for the user: failing to keep it loses nothing.
                    let _ = app
                        .store()
                        .meta_set(META_LAST_SYNC, &now_secs().to_string());
                }
                self.set_running(SyncState::Done, refused);
            }
            Err(ClientError::Revoked { .. }) => {
                // The office cut this phone off: the ward's data leaves it now, key first.
                let taken = lock(&self.app).take();
                let err = match taken {
                    Some(app) => {
                        gocua_client::wipe_revoked(app.into_store(), Some(self.keys.as_ref()))
                    }
                    None => ClientError::Wiped {
                        removed: Vec::new(),
                    },
                };
                self.set_running(SyncState::Failed, Some(client_err(&err, lang)));
            }
            Err(e @ ClientError::Unreachable(_)) => {
                self.set_running(SyncState::Unreachable, Some(client_err(&e, lang)))
            }
            Err(e) => self.set_running(SyncState::Failed, Some(client_err(&e, lang))),
        }
        self.status(lang)
    }

    /// Pairs this replica with the hub in a QR payload (trimmed). A replica wiped after a
    /// revocation is made anew first. Nothing is stored unless pairing succeeds; the caller
    /// syncs next.
    pub async fn pair(
        &self,
        payload: &str,
        device_name: &str,
        lang: Lang,
    ) -> Result<PairInfo, CommandError> {
        let Some(_one) = self.exclusive.try_take() else {
            return Err(busy(lang));
        };
        let taken = lock(&self.app).take();
        let app = match taken {
            Some(app) => app,
            None => open_replica(&self.db, self.keys.as_ref(), lang)?,
        };
        let mut store = app.into_store();
        let result = gocua_client::pair(&mut store, payload.trim(), device_name, now_secs()).await;
        // Whoever the hub says this device is, the app reads it afresh.
        let mut app = App::new(store, lang).map_err(|e| e.to_command_error(lang))?;
        app.set_clock(*lock(&self.clock));
        *lock(&self.app) = Some(app);
        match result {
            Ok(info) => {
                self.set_running(SyncState::Idle, None);
                Ok(info)
            }
            Err(e) => Err(client_err(&e, lang)),
        }
    }
}
