//! The networked subcommands: `hub …` (the ward-office server, pairing codes, devices), `pair`
//! (join a hub from its QR payload) and `sync` (exchange documents with the paired hub).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use gocua_domain::{Lang, Role, TeamId};
use gocua_hub::{HubConfig, qr, tls};
use gocua_store::{FileKind, Key, Store};

use crate::{Global, at_rest};

#[derive(Debug, Args, Clone)]
pub struct HubArgs {
    #[command(subcommand)]
    pub cmd: HubCmd,
}

#[derive(Debug, Subcommand, Clone)]
pub enum HubCmd {
    /// Serve the ward over HTTPS (the certificate is made on first start, kept next to --db).
    Serve(ServeArgs),
    /// Issue a one-time pairing code and show it as a QR code.
    Pair(CodeArgs),
    /// List paired devices with their last sync.
    Devices,
    /// Print a fresh one-time sign-in link to the office dashboard (works while the hub runs).
    SigninLink,
    /// Cut a lost or stolen device off at once.
    Revoke {
        /// The device id, as `hub devices` lists it.
        device: String,
    },
    /// Show the pairing guard: failed pairings, lock, burned codes (--clear unlocks it).
    PairingGuard {
        /// Unlock pairing and forget the count of failures (burned codes stay burned).
        #[arg(long)]
        clear: bool,
    },
    /// Back up the hub (while it serves) into one file: the replica, encrypted as it is, and
    /// the TLS identity phones pin (sao lưu).
    Backup {
        /// Where to write the backup; written whole or not at all.
        file: PathBuf,
    },
    /// Restore a hub backup as a new hub at --db, in a new folder, with its TLS identity, so
    /// paired phones keep working (khôi phục máy chủ phường).
    Restore {
        /// A file `gocua hub backup` wrote.
        backup: PathBuf,
    },
    /// The hub's audit log, newest first: pairings, refusals, revoked and unknown callers,
    /// office actions.
    Log {
        /// How many entries to show.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Push the ward's progress into the province's PostgreSQL (báo cáo lên tỉnh); no names,
    /// CCCD or phone numbers leave the ward.
    Report(crate::province::ReportArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub bind: SocketAddr,
    /// Host names or addresses phones use to reach the hub [default: this machine's addresses].
    #[arg(long)]
    pub advertise: Vec<String>,
    /// Also show a pairing QR code for this role when starting (volunteer, lead, office).
    #[arg(long)]
    pub pair_role: Option<String>,
    /// Team for that pairing code.
    #[arg(long)]
    pub pair_team: Option<String>,
    /// Volunteer for that pairing code.
    #[arg(long)]
    pub pair_volunteer: Option<String>,
    /// Wait for the disk inside every commit, instead of once per request after the store lock
    /// is released (the default; every answer still waits until what it wrote is on the disk).
    #[arg(long)]
    pub commit_in_lock: bool,
    #[command(flatten)]
    pub province: crate::province::ServeProvince,
}

#[derive(Debug, Args, Clone)]
pub struct CodeArgs {
    /// volunteer | lead | office
    #[arg(long, default_value = "volunteer")]
    pub role: String,
    /// Team id (a volunteer's is taken from the plan; a lead without a team leads the ward).
    #[arg(long)]
    pub team: Option<String>,
    /// The volunteer the device is for (required for volunteers): its visits are credited to
    /// this person only, whatever the phone says.
    #[arg(long)]
    pub volunteer: Option<String>,
    /// Minutes the code stays valid.
    #[arg(long, default_value_t = 15)]
    pub minutes: i64,
    /// Also write the QR code as a PNG image.
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Also write the QR code as an SVG image.
    #[arg(long)]
    pub svg: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct PairArgs {
    /// The text of the hub's QR code (gocua://pair?…).
    pub payload: String,
    /// A name for this device, shown to the ward office.
    #[arg(long, default_value = "điện thoại")]
    pub name: String,
}

#[derive(Debug, Args, Clone, Default)]
pub struct SyncArgs {}

#[derive(Debug, Args, Clone)]
pub struct RestoreArgs {
    /// The backup file (a copy of a replica's .sqlite file).
    pub backup: PathBuf,
    /// Replace an existing replica at --db.
    #[arg(long)]
    pub force: bool,
}

/// `gocua restore BACKUP`: puts a backup in place of the replica and gives it a new actor id, so
/// the changes it makes from now on can never collide with changes the lost device made after
/// the backup was taken. The next sync brings back from the hub whatever the backup lacks. The
/// backup opens with the replica's key; a plain backup restored where a key is in use is
/// encrypted with it. The restored file is private (0600) and replaces the old one atomically.
/// A hub or store error that keeps its own code for `--json` scripts.
fn coded(code: &str, message: String) -> anyhow::Error {
    anyhow::Error::new(gocua_app::CommandError::new(code, message))
}

pub fn restore(a: RestoreArgs, g: &Global) -> Result<()> {
    let db = g.db_or("gocua.sqlite");
    let lang = g.lang();
    if db.exists() && !a.force {
        return Err(coded(
            "replica_exists",
            t(
                lang,
                "Đã có tệp dữ liệu ở đây: thêm --force để thay bằng bản sao lưu",
                "A replica already exists here: add --force to replace it with the backup",
            )
            .to_string(),
        ));
    }
    let serr = |e| at_rest::store_err(e, lang);
    let mut opts = at_rest::options(g, &db).map_err(serr)?;
    let key = opts.key.take();
    let plain_backup = gocua_store::file_kind(&a.backup).map_err(serr)? == FileKind::Plain;
    let store = match key {
        Some(key) if plain_backup => {
            Store::restore_from(&a.backup, &db, opts.clone())
                .and_then(Store::close)
                .map_err(serr)?;
            gocua_store::encrypt_file(&db, &key).map_err(serr)?;
            opts.key = Some(key);
            Store::open_with(&db, opts).map_err(serr)?
        }
        key => {
            opts.key = key;
            Store::restore_from(&a.backup, &db, opts).map_err(serr)?
        }
    };
    println!(
        "{} {} ({}: {})",
        t(lang, "Đã khôi phục", "Restored"),
        db.display(),
        t(lang, "mã tác nhân mới", "new actor id"),
        store.actor().to_hex_string()
    );
    Ok(())
}

fn t(lang: Lang, vi: &str, en: &str) -> String {
    lang.pick(vi, en).to_string()
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

fn data_dir(db: &Path) -> PathBuf {
    match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

pub fn hub(args: HubArgs, g: &Global) -> Result<()> {
    let db = g.db_or("gocua.sqlite");
    let lang = g.lang();
    match args.cmd {
        HubCmd::Serve(a) => {
            let key = at_rest::key(g, &db).map_err(|e| at_rest::store_err(e, lang))?;
            runtime()?.block_on(serve(a, &db, lang, key))
        }
        HubCmd::Pair(a) => pair_code(a, &mut at_rest::open_store(g, &db)?, &db, g.json, lang),
        HubCmd::Devices => devices(&at_rest::open_store(g, &db)?, g.json, lang),
        HubCmd::SigninLink => signin_link(&at_rest::open_store(g, &db)?, &db, g.json, lang),
        HubCmd::PairingGuard { clear } => {
            pairing_guard(&at_rest::open_store(g, &db)?, clear, g.json, lang)
        }
        HubCmd::Log { limit } => audit_log(&at_rest::open_store(g, &db)?, limit, g.json, lang),
        HubCmd::Backup { file } => backup(&db, &file, g),
        HubCmd::Restore { backup } => restore_hub(&backup, &db, g),
        HubCmd::Report(a) => crate::province::hub_report(a, g),
        HubCmd::Revoke { device } => {
            let store = at_rest::open_store(g, &db)?;
            if gocua_hub::revoke_device(&store, &device, gocua_hub::server::now())
                .map_err(|e| coded(e.code(), e.message(lang)))?
            {
                println!("{}", t(lang, "Đã thu hồi thiết bị.", "Device revoked."));
                Ok(())
            } else {
                Err(coded(
                    "unknown_device",
                    t(
                        lang,
                        "Không có thiết bị đang hoạt động với mã này",
                        "No active device with this id",
                    )
                    .to_string(),
                ))
            }
        }
    }
}

/// The files kept beside the hub's replica that a restored hub needs: its TLS identity.
fn identity_files(db: &Path, lang: Lang) -> Result<Vec<gocua_store::backup::BackupFile>> {
    let dir = data_dir(db);
    let mut out = Vec::new();
    for (name, mode) in [(tls::CERT_FILE, 0o644), (tls::KEY_FILE, 0o600)] {
        match std::fs::read(dir.join(name)) {
            Ok(bytes) => out.push(gocua_store::backup::BackupFile {
                name: name.to_string(),
                mode,
                bytes,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(at_rest::store_err(
                    gocua_store::Error::io("read", &dir.join(name), e),
                    lang,
                ));
            }
        }
    }
    if out.len() == 1 {
        // Half an identity restores into a hub no paired phone trusts.
        return Err(at_rest::store_err(
            gocua_store::Error::BackupDamaged {
                path: dir.display().to_string(),
                detail: format!(
                    "{} without {}",
                    out[0].name,
                    if out[0].name == tls::CERT_FILE {
                        tls::KEY_FILE
                    } else {
                        tls::CERT_FILE
                    }
                ),
            },
            lang,
        ));
    }
    Ok(out)
}

/// `gocua hub backup FILE`: a consistent copy of the hub's replica (also while `hub serve`
/// writes it), encrypted with the replica's key if it has one, plus its TLS identity, in one
/// file written atomically (0600).
fn backup(db: &Path, file: &Path, g: &Global) -> Result<()> {
    let lang = g.lang();
    if !db.exists() {
        return Err(coded(
            "no_ward",
            t(
                lang,
                "Chưa có dữ liệu máy chủ phường ở đây: chọn tệp bằng --db",
                "No hub replica here: pick it with --db",
            ),
        ));
    }
    let serr = |e| at_rest::store_err(e, lang);
    let key = at_rest::key(g, db).map_err(serr)?;
    let store = at_rest::open_store(g, db)?;
    let extra = identity_files(db, lang)?;
    let info = store
        .write_backup(file, key.as_ref(), &extra, gocua_hub::server::now())
        .map_err(serr)?;
    if g.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    println!(
        "{} {} ({} B{}; {})",
        t(lang, "Đã sao lưu máy chủ phường vào", "Hub backed up to"),
        file.display(),
        info.bytes,
        if info.encrypted {
            t(
                lang,
                ", mã hóa bằng khóa của máy chủ",
                ", encrypted with the hub's key",
            )
        } else {
            String::new()
        },
        if info.files.is_empty() {
            t(
                lang,
                "chưa có chứng chỉ TLS: máy chủ chưa chạy lần nào",
                "no TLS identity yet: the hub has never run",
            )
        } else {
            format!("{} {}", t(lang, "kèm", "with"), info.files.join(", "))
        }
    );
    Ok(())
}

/// `gocua --db NEW/ward.sqlite hub restore BACKUP`: a new hub from a backup, in a folder with
/// no hub in it; the same certificate, so paired phones' pins still hold.
fn restore_hub(backup: &Path, db: &Path, g: &Global) -> Result<()> {
    let lang = g.lang();
    let serr = |e| at_rest::store_err(e, lang);
    let key = at_rest::key(g, db).map_err(serr)?;
    let info = gocua_store::backup::restore_backup(backup, db, key).map_err(serr)?;
    let fingerprint = if info.files.is_empty() {
        None
    } else {
        Some(
            tls::load_or_create(&data_dir(db), &[])
                .map(|i| gocua_sync::pairing::fingerprint_hex(&i.fingerprint))
                .map_err(|e| coded("tls", e.to_string()))?,
        )
    };
    if g.json {
        let mut v = serde_json::to_value(&info)?;
        v["db"] = serde_json::json!(db);
        v["fingerprint"] = serde_json::json!(fingerprint);
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "{} {} ({} {})",
        t(lang, "Đã khôi phục máy chủ phường vào", "Hub restored to"),
        db.display(),
        t(lang, "bản sao lưu lúc", "backup taken"),
        local_time(info.created_at)
    );
    match fingerprint {
        Some(fp) => println!(
            "{}: {fp}",
            t(
                lang,
                "Dấu vân tay chứng chỉ (SHA-256, điện thoại đã ghép nối vẫn dùng được)",
                "Certificate fingerprint (SHA-256; paired phones keep working)"
            )
        ),
        None => println!(
            "{}",
            t(
                lang,
                "Bản sao lưu không có chứng chỉ TLS: máy chủ sẽ tạo chứng chỉ mới, điện thoại phải ghép nối lại.",
                "The backup has no TLS identity: the hub will make a new one and phones must pair again."
            )
        ),
    }
    Ok(())
}

/// Called by `gocua demo` after the ward is ready, unless `--no-serve`: serves the demo ward
/// and shows a pairing code for a volunteer of the first team.
pub fn serve_demo(db: &Path, g: &Global) -> Result<()> {
    let plan = at_rest::open_store(g, db)?.plan_state()?;
    let team = plan.teams.first().map(|t| t.id.clone());
    let volunteer = plan
        .volunteers
        .iter()
        .find(|v| v.team.is_some() && v.team == team && v.role == Role::Volunteer)
        .map(|v| v.id.to_string());
    let args = ServeArgs {
        bind: "0.0.0.0:8443".parse().map_err(|e| anyhow!("{e}"))?,
        advertise: vec![],
        pair_role: volunteer.as_ref().map(|_| "volunteer".to_string()),
        pair_team: team.map(|t| t.to_string()),
        pair_volunteer: volunteer,
        commit_in_lock: false,
        province: Default::default(),
    };
    let key = at_rest::key(g, db).map_err(|e| at_rest::store_err(e, g.lang()))?;
    runtime()?.block_on(serve(args, db, g.lang(), key))
}

/// Starts the hub and serves until Ctrl-C.
pub async fn serve(a: ServeArgs, db: &Path, lang: Lang, key: Option<Key>) -> Result<()> {
    if !db.exists() {
        return Err(coded("no_ward", t(
            lang,
            "Chưa có dữ liệu phường: hãy chạy `gocua demo`, hoặc `gocua init` rồi `gocua import`, trước",
            "No ward data yet: run `gocua demo`, or `gocua init` then `gocua import`, first",
        ).to_string()));
    }
    let running = gocua_hub::start(HubConfig {
        db: db.to_path_buf(),
        bind: a.bind,
        advertise: a.advertise.clone(),
        limits: Default::default(),
        http: Default::default(),
        key,
        durability: if a.commit_in_lock {
            gocua_store::Durability::Full
        } else {
            gocua_store::Durability::Grouped
        },
    })
    .await
    .map_err(|e| coded(e.code(), e.message(lang)))?;
    {
        let store = running
            .hub
            .store
            .lock()
            .map_err(|_| anyhow!("store lock"))?;
        store.meta_set("hub.urls", &serde_json::to_string(&running.urls)?)?;
    }
    println!(
        "{}",
        t(
            lang,
            "Máy chủ phường Gõ Cửa đang chạy tại:",
            "Gõ Cửa ward hub is running at:"
        )
    );
    for u in &running.urls {
        println!("  {u}");
    }
    println!(
        "{}: {}",
        t(
            lang,
            "Dấu vân tay chứng chỉ (SHA-256)",
            "Certificate fingerprint (SHA-256)"
        ),
        gocua_sync::pairing::fingerprint_hex(&running.fingerprint)
    );
    {
        let store = running
            .hub
            .store
            .lock()
            .map_err(|_| anyhow!("store lock"))?;
        let token = gocua_hub::office::new_signin_token(&store, gocua_hub::server::now())?;
        let host = if a.bind.ip().is_unspecified() || a.bind.ip().is_loopback() {
            "127.0.0.1".to_string()
        } else {
            a.bind.ip().to_string()
        };
        let base = if host.contains(':') {
            format!("https://[{host}]:{}", running.addr.port())
        } else {
            format!("https://{host}:{}", running.addr.port())
        };
        print_signin(&gocua_hub::office::signin_url(&base, &token), lang);
    }
    if let Some(role) = &a.pair_role {
        let p = CodeArgs {
            role: role.clone(),
            team: a.pair_team.clone(),
            volunteer: a.pair_volunteer.clone(),
            minutes: 60,
            png: None,
            svg: None,
        };
        let payload = {
            let store = running
                .hub
                .store
                .lock()
                .map_err(|_| anyhow!("store lock"))?;
            issue(
                &store,
                &p,
                &running.urls,
                running.fingerprint,
                &running.hub.ward,
                lang,
            )?
        };
        show_qr(&payload, &p, lang)?;
    }
    println!(
        "{}",
        t(
            lang,
            "Tạo mã cho máy khác: gocua hub pair --role volunteer --volunteer p-01. Nhấn Ctrl-C để dừng.",
            "More codes: gocua hub pair --role volunteer --volunteer p-01. Press Ctrl-C to stop.",
        )
    );
    let reporter = crate::province::spawn_for_hub(running.hub.clone(), &a.province, None, lang)?;
    tokio::signal::ctrl_c().await.ok();
    println!("{}", t(lang, "Đang dừng…", "Stopping…"));
    if let Some(r) = reporter {
        r.abort();
    }
    running.stop().await;
    Ok(())
}

fn issue(
    store: &Store,
    p: &CodeArgs,
    urls: &[String],
    fp: [u8; 32],
    ward: &str,
    lang: Lang,
) -> Result<gocua_sync::pairing::PairingPayload> {
    let role = Role::parse(&p.role).ok_or_else(|| {
        coded(
            "bad_role",
            t(
                lang,
                "Vai trò phải là volunteer, lead hoặc office",
                "Role must be volunteer, lead or office",
            )
            .to_string(),
        )
    })?;
    let team = p
        .team
        .as_deref()
        .map(TeamId::parse)
        .transpose()
        .map_err(|e| coded(e.code(), e.message(lang)))?;
    let volunteer = p
        .volunteer
        .as_deref()
        .map(gocua_domain::VolunteerId::parse)
        .transpose()
        .map_err(|e| coded(e.code(), e.message(lang)))?;
    gocua_hub::new_pairing(
        store,
        &gocua_hub::DeviceFor {
            role,
            team,
            volunteer,
        },
        &gocua_hub::HubIdentity {
            urls,
            fingerprint: fp,
            ward,
        },
        p.minutes * 60,
        gocua_hub::server::now(),
    )
    .map_err(|e| coded(e.code(), e.message(lang)))
}

fn show_qr(payload: &gocua_sync::pairing::PairingPayload, p: &CodeArgs, lang: Lang) -> Result<()> {
    let uri = payload.to_uri();
    println!("{}", qr::render_terminal(&uri)?);
    println!(
        "{}: {}",
        t(lang, "Mã ghép nối", "Pairing code"),
        payload.join_code
    );
    // Whom the code makes the phone: the office hands it to that person only.
    let whom: Vec<String> = [
        Some(p.role.clone()),
        p.volunteer.clone(),
        p.team
            .as_ref()
            .map(|t| format!("{} {t}", lang.pick("tổ", "team"))),
    ]
    .into_iter()
    .flatten()
    .collect();
    println!("{}: {}", t(lang, "Cho", "For"), whom.join(" · "));
    println!(
        "{} {} {}",
        t(lang, "Hết hạn sau", "Expires in"),
        p.minutes,
        t(
            lang,
            "phút; mỗi mã chỉ dùng một lần.",
            "minutes; each code works once."
        )
    );
    println!("{uri}");
    for (kind, path) in write_qr_files(&uri, p)? {
        println!("{kind}: {}", path.display());
    }
    Ok(())
}

/// Writes the QR code images `--png`/`--svg` ask for (with or without `--json`).
fn write_qr_files<'a>(uri: &str, p: &'a CodeArgs) -> Result<Vec<(&'static str, &'a Path)>> {
    let mut written = Vec::new();
    if let Some(path) = &p.png {
        qr::write_png(uri, path, 8)?;
        written.push(("PNG", path.as_path()));
    }
    if let Some(path) = &p.svg {
        qr::write_svg(uri, path)?;
        written.push(("SVG", path.as_path()));
    }
    Ok(written)
}

fn pair_code(a: CodeArgs, store: &mut Store, db: &Path, json: bool, lang: Lang) -> Result<()> {
    let identity = tls::load_or_create(&data_dir(db), &[])?;
    let urls: Vec<String> = store
        .meta_get("hub.urls")?
        .and_then(|s| serde_json::from_str(&s).ok())
        .filter(|v: &Vec<String>| !v.is_empty())
        .ok_or_else(|| {
            coded(
                "hub_never_ran",
                t(
                    lang,
                    "Máy chủ phường chưa chạy lần nào: hãy chạy `gocua hub serve` trước",
                    "The hub has never run: start `gocua hub serve` first",
                )
                .to_string(),
            )
        })?;
    let ward = store
        .plan_state()
        .ok()
        .and_then(|p| p.ward)
        .map(|w| w.name)
        .unwrap_or_default();
    let payload = issue(store, &a, &urls, identity.fingerprint, &ward, lang)?;
    if json {
        let uri = payload.to_uri();
        let files: Vec<String> = write_qr_files(&uri, &a)?
            .into_iter()
            .map(|(_, p)| p.display().to_string())
            .collect();
        println!(
            "{}",
            serde_json::json!({"payload": uri, "code": payload.join_code, "expires_at": payload.expires_at, "files": files})
        );
        return Ok(());
    }
    show_qr(&payload, &a, lang)
}

fn print_signin(url: &str, lang: Lang) {
    println!(
        "{}",
        t(
            lang,
            "Trang quản lý của văn phòng (mở trên máy này; liên kết dùng một lần, trong 30 phút):",
            "Office dashboard (open on this machine; the link works once, within 30 minutes):"
        )
    );
    println!("  {url}");
    if !gocua_hub::office::embedded_ui() {
        println!(
            "{}",
            t(
                lang,
                "  (Bản này chưa có giao diện: cd ui && npm ci && npm run build, rồi biên dịch lại.)",
                "  (This build has no dashboard yet: cd ui && npm ci && npm run build, then rebuild.)"
            )
        );
    }
}

/// `gocua hub signin-link`: a fresh one-time link to the dashboard on this machine, written
/// into the hub's database while it runs (SQLite WAL; the hub reads it on sign-in).
fn signin_link(store: &Store, db: &Path, json: bool, lang: Lang) -> Result<()> {
    let urls: Vec<String> = store
        .meta_get("hub.urls")?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let port = urls
        .iter()
        .find_map(|u| u.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()))
        .ok_or_else(|| {
            coded(
                "hub_never_ran",
                t(
                    lang,
                    "Máy chủ phường chưa chạy lần nào: hãy chạy `gocua hub serve` trước",
                    "The hub has never run: start `gocua hub serve` first",
                )
                .to_string(),
            )
        })?;
    let token = gocua_hub::office::new_signin_token(store, gocua_hub::server::now())?;
    let url = gocua_hub::office::signin_url(&format!("https://127.0.0.1:{port}"), &token);
    let fp = tls::load_or_create(&data_dir(db), &[])
        .map(|i| gocua_sync::pairing::fingerprint_hex(&i.fingerprint))
        .unwrap_or_default();
    if json {
        println!(
            "{}",
            serde_json::json!({"url": url, "expires_in": gocua_hub::office::SIGNIN_TTL_SECS, "fingerprint": fp})
        );
        return Ok(());
    }
    print_signin(&url, lang);
    println!(
        "{}: {fp}",
        t(
            lang,
            "Dấu vân tay chứng chỉ (SHA-256)",
            "Certificate fingerprint (SHA-256)"
        )
    );
    Ok(())
}

fn devices(store: &Store, json: bool, lang: Lang) -> Result<()> {
    let devs = store.hub_devices()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&devs)?);
        return Ok(());
    }
    println!(
        "{:<16} {:<22} {:<18} {:<8} {:<18} {}",
        t(lang, "Mã", "Id"),
        t(lang, "Tên", "Name"),
        t(lang, "Vai trò", "Role"),
        t(lang, "Tổ", "Team"),
        t(lang, "Đồng bộ lần cuối", "Last sync"),
        t(lang, "Trạng thái", "Status")
    );
    for d in devs {
        let last = d
            .last_sync
            .map(|s| gocua_domain::Timestamp(s).format_local())
            .unwrap_or_else(|| t(lang, "chưa", "never"));
        let status = if d.revoked_at.is_some() {
            t(lang, "đã thu hồi", "revoked")
        } else {
            t(lang, "hoạt động", "active")
        };
        println!(
            "{:<16} {:<22} {:<18} {:<8} {:<18} {}",
            d.id,
            d.name,
            d.role.label(lang),
            d.team.map(|t| t.to_string()).unwrap_or_else(|| "—".into()),
            last,
            status
        );
    }
    Ok(())
}

fn local_time(at: i64) -> String {
    gocua_domain::Timestamp(at).format_local()
}

/// `gocua hub pairing-guard [--clear]`.
fn pairing_guard(store: &Store, clear: bool, json: bool, lang: Lang) -> Result<()> {
    let now = gocua_hub::server::now();
    if clear {
        gocua_hub::clear_pairing_guard(store, now).map_err(|e| coded(e.code(), e.message(lang)))?;
    }
    let g = store.hub_pairing_guard(now)?;
    if json {
        let mut v = serde_json::to_value(&g)?;
        v["locked"] = serde_json::json!(g.locked_until.is_some());
        v["cleared"] = serde_json::json!(clear);
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if clear {
        println!(
            "{}",
            t(
                lang,
                "Đã mở khoá ghép nối và xoá số lần nhập sai.",
                "Pairing unlocked; failure count cleared."
            )
        );
    }
    match g.locked_until {
        Some(until) => println!(
            "{} {} ({} {})",
            t(lang, "Ghép nối đang bị KHOÁ đến", "Pairing is LOCKED until"),
            local_time(until),
            g.refused_while_locked,
            t(
                lang,
                "lần thử bị từ chối khi đang khoá",
                "attempts refused while locked"
            )
        ),
        None => println!("{}", t(lang, "Ghép nối đang mở.", "Pairing is open.")),
    }
    println!(
        "{}: {}/{} · {}: {}",
        t(
            lang,
            "Lần nhập sai trong khung giờ này",
            "Failures in this window"
        ),
        g.failures,
        g.free_failures,
        t(lang, "lần bị khoá liên tiếp", "locks in a row"),
        g.strikes
    );
    if let Some(at) = g.last_failure {
        println!(
            "{}: {}",
            t(lang, "Lần nhập sai gần nhất", "Last failure"),
            local_time(at)
        );
    }
    if !g.burned_codes.is_empty() {
        println!(
            "{}",
            t(
                lang,
                "Mã bị khoá vì nhập sai nhiều lần (hãy tạo mã mới):",
                "Codes burned by wrong tries (make new ones):"
            )
        );
        for c in &g.burned_codes {
            println!("  {}-…  {}  {}", c.name, c.label, local_time(c.burned_at));
        }
    }
    if g.locked_until.is_some() && !clear {
        println!(
            "{}",
            t(
                lang,
                "Người có mã đúng vẫn ghép nối được. Mở khoá: gocua hub pairing-guard --clear",
                "Holders of a right code can still pair. Unlock: gocua hub pairing-guard --clear"
            )
        );
    }
    Ok(())
}

/// `gocua hub log [--limit N]`: newest first.
fn audit_log(store: &Store, limit: usize, json: bool, lang: Lang) -> Result<()> {
    let entries = store.audit_recent(limit)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(());
    }
    if entries.is_empty() {
        println!(
            "{}",
            t(
                lang,
                "Nhật ký kiểm tra còn trống.",
                "The audit log is empty."
            )
        );
        return Ok(());
    }
    for e in &entries {
        let label = gocua_store::audit::AuditKind::parse(&e.kind)
            .map(|k| k.label(lang).to_string())
            .unwrap_or_else(|| e.kind.clone());
        let mut line = format!("{}  {label}", local_time(e.at));
        for (name, v) in [
            (t(lang, "thiết bị", "device"), &e.device),
            (t(lang, "hộ", "doc"), &e.doc),
            (t(lang, "mã", "code"), &e.code),
            ("IP".to_string(), &e.ip),
        ] {
            if let Some(v) = v {
                line.push_str(&format!("  {name} {v}"));
            }
        }
        if e.count > 1 {
            line.push_str(&format!("  ×{}", e.count));
        }
        if !e.detail.is_empty() {
            line.push_str(&format!("  — {}", e.detail));
        }
        println!("{line}");
    }
    Ok(())
}

/// `gocua pair PAYLOAD`: pairs this replica (a phone) with a hub.
pub fn pair(a: PairArgs, g: &Global) -> Result<()> {
    let db = g.db_or("gocua.sqlite");
    let lang = g.lang();
    let (mut store, key) = at_rest::open_for_pairing(g, &db)?;
    let info = runtime()?
        .block_on(gocua_client::pair(
            &mut store,
            &a.payload,
            &a.name,
            gocua_hub::server::now(),
        ))
        .map_err(|e| at_rest::client_err(e, lang))?;
    if g.json {
        let mut v = serde_json::to_value(&info)?;
        v["key_file"] = serde_json::json!(key.path);
        v["key_created"] = serde_json::json!(key.created);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{} {} ({})",
            t(lang, "Đã ghép nối với", "Paired with"),
            info.ward,
            info.hub_urls.join(", ")
        );
        println!(
            "{}: {} · {}",
            t(lang, "Thiết bị", "Device"),
            info.device_id,
            info.role
        );
        println!("{}", at_rest::describe_pair_key(&key, lang));
        println!(
            "{}",
            t(
                lang,
                "Chạy `gocua sync` để tải dữ liệu về.",
                "Run `gocua sync` to fetch the data."
            )
        );
    }
    Ok(())
}

/// The first line of `gocua sync`'s human output. Its counts are `--json`'s: "documents sent"
/// is `pushed` (refusals are listed after it), "received" is `pulled + new_docs`.
fn sync_summary(lang: Lang, report: &gocua_client::SyncReport) -> String {
    format!(
        "{} {} {} · ↑ {} {} · ↓ {} {} · {} ms",
        t(lang, "Đồng bộ xong sau", "Synced in"),
        report.rounds,
        t(lang, "lượt", "rounds"),
        report.pushed,
        t(lang, "tài liệu gửi lên", "documents sent"),
        report.pulled + report.new_docs,
        t(lang, "tài liệu nhận về", "received"),
        report.elapsed_ms
    )
}

/// `gocua sync`: syncs this replica with its hub, with a progress bar on large syncs.
pub fn sync(_a: SyncArgs, g: &Global) -> Result<()> {
    let db = g.db_or("gocua.sqlite");
    let lang = g.lang();
    if !db.exists() {
        // Not even a replica (e.g. wiped after a revocation): make no empty file.
        return Err(at_rest::client_err(
            gocua_client::ClientError::NotPaired,
            lang,
        ));
    }
    let mut store = at_rest::open_store(g, &db)?;
    let bar = indicatif::ProgressBar::hidden();
    if !g.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(t(lang, "Đang đồng bộ", "Syncing"));
    }
    let result = runtime()?.block_on(gocua_client::sync(&mut store, &mut |p| {
        bar.set_length(p.docs_received + p.docs_remaining);
        bar.set_position(p.docs_received);
    }));
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        // The office cut this phone off: the ward's data leaves it now, key first.
        Err(gocua_client::ClientError::Revoked { .. }) => {
            return Err(at_rest::wipe_revoked(store, g, &db));
        }
        Err(e) => return Err(at_rest::client_err(e, lang)),
    };
    if g.json {
        let mut v = serde_json::to_value(&report)?;
        v["refused"] = serde_json::json!(
            report
                .refused
                .iter()
                .map(|r| serde_json::json!({"doc": r.doc, "code": r.code, "message": lang.pick(&r.message_vi, &r.message_en)}))
                .collect::<Vec<_>>()
        );
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("{}", sync_summary(lang, &report));
    println!(
        "{}: {} B ↑, {} B ↓",
        t(lang, "Dung lượng", "Bytes"),
        report.bytes_up,
        report.bytes_down
    );
    if report.dropped > 0 {
        println!(
            "{} {}",
            report.dropped,
            t(
                lang,
                "hộ đã giao cho tổ khác: đã gửi hết dữ liệu lên và xoá khỏi máy",
                "households reassigned away: all work uploaded, removed from this device",
            )
        );
    }
    for r in &report.refused {
        eprintln!(
            "{} {}: {}",
            t(lang, "Bị từ chối", "Refused"),
            r.doc,
            lang.pick(&r.message_vi, &r.message_en)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sync_summary_counts_what_json_counts() {
        let report = gocua_client::SyncReport {
            rounds: 2,
            pushed: 3,
            accepted: 2,
            pulled: 1,
            new_docs: 4,
            refused_count: 1,
            ..Default::default()
        };
        let en = sync_summary(Lang::En, &report);
        assert!(en.contains("↑ 3 documents sent"), "{en}");
        assert!(en.contains("↓ 5 received"), "{en}");
        let vi = sync_summary(Lang::Vi, &report);
        assert!(vi.contains("↑ 3 tài liệu gửi lên"), "{vi}");
    }
}
