//! The phone app's runtime, the same for the Tauri app (`src-tauri/`) and the browser shell
//! (`gocua phone serve`): one encrypted replica in the app's data folder, the command table over
//! it, pairing from a QR payload, and sync with a status the sync bar shows at all times.
//!
//! The replica sits behind a mutex that every step takes briefly: a command runs under it, and a
//! sync takes it only to build a request or merge an answer, never while waiting on the network,
//! so recording a visit never waits for a sync. One sync or pairing runs at a time.

#[cfg(feature = "http")]
pub mod http;
pub mod pin;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use gocua_app::{App, CommandError};
use gocua_client::{ClientError, HUB_PEER, PairInfo, ReplicaLock, SyncProgress};
use gocua_domain::Lang;
use gocua_store::{KeyProvider, Store, StoreOptions};
use serde::Serialize;

pub use pin::{LockState, PinError, PinKeyFile};

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
    /// A PIN protects the replica's key.
    pub pin_set: bool,
    /// The PIN must be entered before anything else (the replica is closed).
    pub locked: bool,
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
    keys: PinKeyFile,
    /// `None` while locked, and after a revocation wiped the replica (until it is paired again).
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

fn locked(lang: Lang) -> CommandError {
    CommandError::new(
        "locked",
        lang.pick(
            "Ứng dụng đang khoá: hãy nhập mã PIN",
            "The app is locked: enter your PIN",
        ),
    )
}

/// A refused PIN in the user's language.
fn pin_err(e: &PinError, lang: Lang) -> CommandError {
    use pin::Weakness;
    let (code, vi, en) = match e {
        PinError::Wrong { left: 0 } => (
            "pin_wrong",
            "Sai mã PIN. Lần thử sau sẽ phải chờ".to_string(),
            "Wrong PIN. The next try will have to wait".to_string(),
        ),
        PinError::Wrong { left } => (
            "pin_wrong",
            format!("Sai mã PIN. Còn {left} lần thử"),
            format!("Wrong PIN. {left} tries left"),
        ),
        PinError::Wait { seconds } => (
            "pin_wait",
            format!("Nhập sai quá nhiều lần. Hãy chờ {seconds} giây rồi thử lại"),
            format!("Too many wrong PINs. Wait {seconds} seconds and try again"),
        ),
        PinError::Weak(Weakness::Length | Weakness::NotDigits) => (
            "pin_weak",
            format!(
                "Mã PIN phải gồm {} đến {} chữ số",
                pin::MIN_DIGITS,
                pin::MAX_DIGITS
            ),
            format!(
                "The PIN must be {} to {} digits",
                pin::MIN_DIGITS,
                pin::MAX_DIGITS
            ),
        ),
        PinError::Weak(Weakness::Guessable) => (
            "pin_weak",
            "Mã PIN này quá dễ đoán (số lặp lại hoặc liên tiếp): hãy chọn mã khác".to_string(),
            "This PIN is too easy to guess (repeated or consecutive digits): choose another"
                .to_string(),
        ),
        PinError::NotAllowed => (
            "pin_not_set",
            "Chưa đặt mã PIN, hoặc mã PIN hiện tại chưa được nhập".to_string(),
            "No PIN is set, or the current PIN was not given".to_string(),
        ),
        PinError::Store(detail) => (
            "pin_store",
            format!("Không lưu được khoá của ứng dụng: {detail}"),
            format!("Cannot keep the app's key: {detail}"),
        ),
    };
    CommandError::new(code, lang.pick(&vi, &en))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Opens the replica at `db`, encrypted with the key `keys` keeps; a first start makes the key.
fn open_replica(db: &Path, keys: &PinKeyFile, lang: Lang) -> Result<App, CommandError> {
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
    /// in `replica.sqlite.key` under the app lock. With a PIN set the shell starts locked.
    pub fn open(dir: &Path, lang: Lang) -> Result<Shell, CommandError> {
        Shell::open_with(dir, PinKeyFile::beside(&dir.join(REPLICA_FILE)), lang)
    }

    /// [`Shell::open`] with the key file given (tests use fewer PBKDF2 rounds).
    pub fn open_with(dir: &Path, keys: PinKeyFile, lang: Lang) -> Result<Shell, CommandError> {
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
        let app = match keys.state().map_err(|e| store_err(e, lang))? {
            LockState::Locked => None,
            LockState::NoPin | LockState::Unlocked => Some(open_replica(&db, &keys, lang)?),
        };
        Ok(Shell {
            db,
            keys,
            app: Mutex::new(app),
            running: Mutex::new(Running::default()),
            exclusive: OneAtATime::default(),
            clock: Mutex::new(None),
        })
    }

    fn lock_state(&self) -> LockState {
        // A key file that cannot be read is treated as locked: nothing opens without the PIN.
        self.keys.state().unwrap_or(LockState::Locked)
    }

    /// The replica's key is under a PIN and not entered yet.
    pub fn is_locked(&self) -> bool {
        self.lock_state() == LockState::Locked
    }

    /// Opens the replica with the PIN. Wrong PINs are counted; past a few, each try waits.
    pub fn unlock(&self, pin: &str, lang: Lang) -> Result<(), CommandError> {
        if !self.is_locked() {
            return Ok(());
        }
        self.keys.unlock(pin).map_err(|e| pin_err(&e, lang))?;
        let mut app = open_replica(&self.db, &self.keys, lang)?;
        app.set_clock(*lock(&self.clock));
        *lock(&self.app) = Some(app);
        Ok(())
    }

    /// Sets the PIN (first time: `old` is `None`) or changes it (`old` is the current PIN).
    pub fn set_pin(&self, old: Option<&str>, new: &str, lang: Lang) -> Result<(), CommandError> {
        if self.is_locked() {
            return Err(locked(lang));
        }
        if lock(&self.app).is_none() {
            return Err(wiped(lang));
        }
        self.keys.set_pin(old, new).map_err(|e| pin_err(&e, lang))
    }

    /// Closes the replica and forgets its key until the PIN is entered again. Refused while a
    /// sync or pairing runs (`busy`); without a PIN there is nothing to lock with.
    pub fn lock(&self, lang: Lang) -> Result<(), CommandError> {
        if self.lock_state() == LockState::NoPin {
            return Err(pin_err(&PinError::NotAllowed, lang));
        }
        let Some(_one) = self.exclusive.try_take() else {
            return Err(busy(lang));
        };
        // Dropping the app closes the database; SQLCipher wipes its copy of the key.
        lock(&self.app).take();
        self.keys.lock();
        Ok(())
    }

    /// For a forgotten PIN: destroys the key and the replica (changes not yet on the hub are
    /// lost) so the phone can be paired again.
    pub fn forget(&self, lang: Lang) -> Result<(), CommandError> {
        let Some(_one) = self.exclusive.try_take() else {
            return Err(busy(lang));
        };
        let taken = lock(&self.app).take();
        let result = match taken {
            Some(app) => match gocua_client::wipe_revoked(app.into_store(), Some(&self.keys)) {
                ClientError::Wiped { .. } => Ok(()),
                e => Err(client_err(&e, lang)),
            },
            None => self
                .keys
                .destroy()
                .and_then(|()| {
                    gocua_store::files::side_files(&self.db)
                        .iter()
                        .chain(std::iter::once(&self.db))
                        .try_for_each(|p| gocua_store::files::shred(p))
                })
                .map_err(|e| store_err(e, lang)),
        };
        self.set_running(SyncState::Idle, None);
        result
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
        let app = guard.as_mut().ok_or_else(|| self.closed(lang))?;
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
        let lock_state = self.lock_state();
        let locked = lock_state == LockState::Locked;
        let (paired, last_sync, pending, read_err) = {
            let guard = lock(&self.app);
            match guard.as_ref() {
                // A PIN is set after pairing: a locked replica is a paired one.
                None => (locked, None, 0, None),
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
            pin_set: lock_state != LockState::NoPin,
            locked,
        }
    }

    /// The error for a command while the replica is closed: locked, or wiped.
    fn closed(&self, lang: Lang) -> CommandError {
        if self.is_locked() {
            locked(lang)
        } else {
            wiped(lang)
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
        if self.is_locked() {
            return self.status(lang);
        }
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
                    Some(app) => gocua_client::wipe_revoked(app.into_store(), Some(&self.keys)),
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
        if self.is_locked() {
            return Err(locked(lang));
        }
        let Some(_one) = self.exclusive.try_take() else {
            return Err(busy(lang));
        };
        let taken = lock(&self.app).take();
        let app = match taken {
            Some(app) => app,
            None => open_replica(&self.db, &self.keys, lang)?,
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
