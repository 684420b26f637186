//! The phone app's Tauri shell: thin adapters from the UI's `invoke` to the runtime in
//! `gocua-shell` — `dispatch` (the whole command table), `sync_status`, `sync` (progress on a
//! channel), `pair`, and the app lock (`unlock`, `set_pin`, `lock`, `forget`) — with the
//! encrypted replica in the app's data folder, its key under the user's PIN.
//!
//! Commands are `async` so SQLite work never runs on the window's main thread; the shell takes
//! its replica lock only for each short step, so recording never waits for a sync.

use std::path::PathBuf;

use gocua_app::CommandError;
use gocua_client::PairInfo;
use gocua_domain::Lang;
use gocua_shell::{Shell, SyncProgressEvent, SyncStatus};
use tauri::ipc::Channel;
use tauri::{Manager, Runtime, State};

/// Overrides the data folder (tests and the desktop end-to-end run use a fresh one).
pub const DATA_DIR_ENV: &str = "GOCUA_APP_DATA";
/// Pins "now" (Vietnam local `YYYY-MM-DD HH:MM`), as `gocua` does: reproducible tests only.
pub const NOW_ENV: &str = "GOCUA_NOW";

fn lang_of(lang: Option<String>) -> Lang {
    lang.as_deref().and_then(Lang::parse).unwrap_or_default()
}

/// Runs one command of the command table.
#[tauri::command]
async fn dispatch(
    shell: State<'_, Shell>,
    cmd: String,
    args: Option<serde_json::Value>,
    lang: Option<String>,
) -> Result<serde_json::Value, CommandError> {
    shell.dispatch(&cmd, args.unwrap_or(serde_json::Value::Null), lang_of(lang))
}

/// The sync bar's status, without syncing.
#[tauri::command]
async fn sync_status(
    shell: State<'_, Shell>,
    lang: Option<String>,
) -> Result<SyncStatus, CommandError> {
    Ok(shell.status(lang_of(lang)))
}

/// Syncs with the hub; progress goes to `on_progress`, the status after the attempt is the
/// answer (a failed sync is a status, not an error).
#[tauri::command]
async fn sync(
    shell: State<'_, Shell>,
    lang: Option<String>,
    on_progress: Channel<SyncProgressEvent>,
) -> Result<SyncStatus, CommandError> {
    let mut send = |ev: SyncProgressEvent| {
        // A closed window just stops listening; the sync goes on.
        let _ = on_progress.send(ev);
    };
    Ok(shell.sync(lang_of(lang), &mut send).await)
}

/// Pairs with the hub whose QR payload the camera (or a pasted text, or an image) gave.
#[tauri::command]
async fn pair(
    shell: State<'_, Shell>,
    payload: String,
    device_name: Option<String>,
    lang: Option<String>,
) -> Result<PairInfo, CommandError> {
    let name = device_name.unwrap_or_else(|| "điện thoại".into());
    shell.pair(&payload, &name, lang_of(lang)).await
}

/// Unlocks the replica with the PIN; the status after it is the answer.
#[tauri::command]
async fn unlock(
    shell: State<'_, Shell>,
    pin: String,
    lang: Option<String>,
) -> Result<SyncStatus, CommandError> {
    let lang = lang_of(lang);
    shell.unlock(&pin, lang)?;
    Ok(shell.status(lang))
}

/// Sets the PIN after pairing (`old` absent) or changes it.
#[tauri::command]
async fn set_pin(
    shell: State<'_, Shell>,
    pin: String,
    old: Option<String>,
    lang: Option<String>,
) -> Result<SyncStatus, CommandError> {
    let lang = lang_of(lang);
    shell.set_pin(old.as_deref(), &pin, lang)?;
    Ok(shell.status(lang))
}

/// Locks the app now (the UI calls it when the app has been in the background a while).
#[tauri::command]
async fn lock(shell: State<'_, Shell>, lang: Option<String>) -> Result<SyncStatus, CommandError> {
    let lang = lang_of(lang);
    shell.lock(lang)?;
    Ok(shell.status(lang))
}

/// A forgotten PIN: wipes the replica and its key so the phone can be paired again.
#[tauri::command]
async fn forget(shell: State<'_, Shell>, lang: Option<String>) -> Result<SyncStatus, CommandError> {
    let lang = lang_of(lang);
    shell.forget(lang)?;
    Ok(shell.status(lang))
}

/// Opens the shell in `dir`: the replica's key beside it under the PIN lock (an Android
/// Keystore layer under that file is the next step; see ARCHITECTURE.md, "The phone app").
pub fn open_shell(dir: &std::path::Path) -> Result<Shell, CommandError> {
    Shell::open(dir, Lang::Vi)
}

/// Opens the shell in `dir` and applies the `GOCUA_NOW` test clock if set.
fn shell_in(dir: &std::path::Path) -> Result<Shell, CommandError> {
    let shell = open_shell(dir)?;
    if let Some(now) = std::env::var(NOW_ENV)
        .ok()
        .and_then(|s| gocua_domain::Timestamp::parse_local(&s).ok())
    {
        shell.set_clock(Some(now));
    }
    Ok(shell)
}

/// The app on any runtime with its commands. With `dir` (tests) the shell is opened there now;
/// otherwise the setup hook opens it in `GOCUA_APP_DATA` or the platform's app data folder,
/// which only the running app knows.
pub fn builder<R: Runtime>(
    builder: tauri::Builder<R>,
    dir: Option<PathBuf>,
) -> Result<tauri::Builder<R>, CommandError> {
    let builder = builder.invoke_handler(tauri::generate_handler![
        dispatch,
        sync_status,
        sync,
        pair,
        unlock,
        set_pin,
        lock,
        forget
    ]);
    if let Some(dir) = dir {
        return Ok(builder.manage(shell_in(&dir)?));
    }
    Ok(builder.setup(|app| {
        let dir = match std::env::var_os(DATA_DIR_ENV) {
            Some(d) => PathBuf::from(d),
            None => app.path().app_data_dir()?,
        };
        let shell = shell_in(&dir).map_err(|e| Box::new(e) as Box<dyn std::error::Error>)?;
        app.manage(shell);
        Ok(())
    }))
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let app = match builder(tauri::Builder::default(), None) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Gõ Cửa: {e}");
            std::process::exit(1);
        }
    };
    #[cfg(mobile)]
    let app = app.plugin(tauri_plugin_biometric::init());
    if let Err(e) = app.run(tauri::generate_context!()) {
        eprintln!("Gõ Cửa: {e}");
        std::process::exit(1);
    }
}
