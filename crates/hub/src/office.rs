//! The office's side of the hub: the dashboard (`/office/`, the built UI embedded in the binary),
//! sign-in with one-time links, sessions in an `HttpOnly; Secure; SameSite=Strict` cookie, the
//! command table over HTTP (`POST /api/v1/command/{cmd}`, run on the hub's replica as the
//! office), the import upload and the XLSX report.
//!
//! Every office request is checked before anything runs, in this order: it comes from the
//! hub's own pages (`Sec-Fetch-Site` absent or `same-origin`, `Origin` absent or the hub's own:
//! 403 `cross_site`), it carries a live office session (401 `no_session` / `session_expired`;
//! a device's Bearer credential is not one), and its body has the right content type (415).
//! Refusals are written to the hub's audit log (throttled per address).

use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gocua_app::commands::{DeviceRow, IssuePairing, PairingIssued};
use gocua_app::{App, Command, Identity};
use gocua_domain::Lang;
use gocua_store::Store;
use gocua_store::audit::{AuditKind, NewAudit};
use gocua_store::office::{OfficeSessionRow, SessionCheck};
use serde::{Deserialize, Serialize};

use crate::audit::Event;
use crate::limits::{drain_small, read_body};
use crate::server::{ApiError, Hub, KeepBody, blocking, content_type_is, now, random_hex};

/// The session cookie's name.
pub const COOKIE: &str = "gocua_office";
/// A sign-in link works once, within this.
pub const SIGNIN_TTL_SECS: i64 = 30 * 60;
/// A session ends this long after sign-in…
pub const SESSION_ABSOLUTE_SECS: i64 = 12 * 3600;
/// …or this long after its last use, whichever comes first.
pub const SESSION_IDLE_SECS: i64 = 2 * 3600;
/// The largest household list the import accepts.
pub const IMPORT_MAX_BYTES: usize = 50 << 20;
/// Command arguments are small (a visit with its residents is the largest).
const COMMAND_MAX_BYTES: usize = 1 << 20;
/// Pairing codes issued from the dashboard stay valid this long (as `gocua hub pair`).
const PAIRING_TTL_SECS: i64 = 15 * 60;

const CSP: &str =
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'";

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/office_ui.rs"));
}

/// Issues a one-time sign-in token (stored hashed) and logs it; see [`signin_url`].
pub fn new_signin_token(store: &Store, now: i64) -> Result<String, gocua_store::Error> {
    let token = random_hex(32);
    store.office_add_signin(&token, now, now + SIGNIN_TTL_SECS)?;
    store.audit_append(
        &[NewAudit::new(AuditKind::OfficeSignInLink)
            .detail(format!("{} min", SIGNIN_TTL_SECS / 60))],
        now,
    )?;
    Ok(token)
}

/// `https://host:port/office/#signin=<token>`: the fragment never reaches a server or a log.
pub fn signin_url(base: &str, token: &str) -> String {
    format!("{}/office/#signin={token}", base.trim_end_matches('/'))
}

/// What `GET/POST /api/v1/office/session` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeSession {
    pub ward: String,
    /// When the session ends if it is not used again (unix seconds): the earlier of its
    /// absolute end and its idle end.
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

pub(crate) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/", get(|| async { see_other("/office/") }))
        .route("/office", get(|| async { see_other("/office/") }))
        .route("/office/", get(static_file))
        .route("/office/{*path}", get(static_file))
        .route(
            "/api/v1/office/session",
            post(sign_in).get(session_info).delete(sign_out),
        )
        .route("/api/v1/command/{cmd}", post(command))
        .route("/api/v1/office/import", post(import))
        .route("/api/v1/office/report.xlsx", get(report))
}

fn see_other(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// The language the page asked for (`Accept-Language: en…` is English, anything else
/// Vietnamese).
fn lang_of(h: &HeaderMap) -> Lang {
    match h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) {
        Some(v) if v.trim_start().to_ascii_lowercase().starts_with("en") => Lang::En,
        _ => Lang::Vi,
    }
}

fn cross_site() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "cross_site",
        "Yêu cầu không đến từ trang quản lý của máy chủ phường nên bị từ chối",
        "The request did not come from the hub's own dashboard and is refused",
    )
}

/// The CSRF check: a browser says where a request comes from; only the hub's own pages pass.
/// `navigation` also lets through what the user opened directly (`Sec-Fetch-Site: none`, a
/// download link typed or pasted), for `GET`s that change nothing.
fn check_site(h: &HeaderMap, navigation: bool) -> Result<(), ApiError> {
    if let Some(site) = h.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("");
        if !(site == "same-origin" || navigation && site == "none") {
            return Err(cross_site());
        }
    }
    if let Some(origin) = h.get(header::ORIGIN) {
        let host = h
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let own = origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("https://"))
            .is_some_and(|rest| !host.is_empty() && rest.eq_ignore_ascii_case(host));
        if !own {
            return Err(cross_site());
        }
    }
    Ok(())
}

/// The session id from the `gocua_office` cookie, if any (malformed or huge: none).
fn session_cookie(h: &HeaderMap) -> Option<String> {
    for v in h.get_all(header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for pair in v.split(';') {
            if let Some((k, val)) = pair.trim().split_once('=')
                && k == COOKIE
                && !val.is_empty()
                && val.len() <= 128
                && val.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Some(val.to_string());
            }
        }
    }
    None
}

fn no_session() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "no_session",
        "Chưa đăng nhập trang quản lý: hãy mở liên kết đăng nhập mà máy chủ phường in ra (hoặc chạy `gocua hub signin-link`)",
        "Not signed in to the dashboard: open the sign-in link the hub printed (or run `gocua hub signin-link`)",
    )
}

fn session_expired() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "session_expired",
        "Phiên đăng nhập đã hết hạn: hãy đăng nhập lại bằng liên kết mới (`gocua hub signin-link`)",
        "The session has expired: sign in again with a new link (`gocua hub signin-link`)",
    )
}

fn refusal_event(ip: IpAddr, e: &ApiError) -> Event {
    Event::throttled(
        NewAudit::new(AuditKind::OfficeRefused)
            .ip(ip)
            .code(e.body.code.clone()),
        ip.to_string(),
    )
}

/// Logs a refusal found outside the store lock, and gives it back.
async fn audited(hub: &Arc<Hub>, ip: IpAddr, e: ApiError) -> ApiError {
    let hub2 = hub.clone();
    let event = refusal_event(ip, &e);
    let _ = tokio::task::spawn_blocking(move || {
        let store = hub2.lock();
        hub2.audit(&store, vec![event]);
    })
    .await;
    e
}

/// The session of a request, checked (and its last use moved) under the store lock.
fn session_of(
    hub: &Hub,
    store: &Store,
    cookie: Option<&str>,
    ip: IpAddr,
) -> Result<OfficeSessionRow, ApiError> {
    let check = match cookie {
        Some(c) => store.office_session(c, now(), SESSION_IDLE_SECS)?,
        None => SessionCheck::Unknown,
    };
    match check {
        SessionCheck::Valid(row) => Ok(row),
        SessionCheck::Expired => {
            let e = session_expired();
            hub.audit(store, vec![refusal_event(ip, &e)]);
            Err(e)
        }
        SessionCheck::Unknown => {
            let e = no_session();
            hub.audit(store, vec![refusal_event(ip, &e)]);
            Err(e)
        }
    }
}

/// Everything an office request must pass before its body is read: site, session, and (when
/// `want` is given) content type.
async fn admit(
    hub: &Arc<Hub>,
    h: &HeaderMap,
    ip: IpAddr,
    navigation: bool,
    want: Option<&'static str>,
) -> Result<OfficeSessionRow, ApiError> {
    if let Err(e) = check_site(h, navigation) {
        return Err(audited(hub, ip, e).await);
    }
    let cookie = session_cookie(h);
    let hub2 = hub.clone();
    let row = blocking(move || {
        let store = hub2.lock();
        session_of(&hub2, &store, cookie.as_deref(), ip)
    })
    .await?;
    if let Some(want) = want
        && content_type_is(h, want) != Some(true)
    {
        let e = ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            &format!("Kiểu dữ liệu gửi lên phải là {want}"),
            &format!("The request body must be {want}"),
        );
        return Err(audited(hub, ip, e).await);
    }
    Ok(row)
}

fn session_body(hub: &Hub, store: &Store, row: &OfficeSessionRow, lang: Lang) -> OfficeSession {
    let ward = store
        .ward()
        .ok()
        .flatten()
        .map(|w| w.name)
        .unwrap_or_else(|| hub.ward.clone());
    OfficeSession {
        ward,
        expires_at: row.expires_at.min(row.last_used + SESSION_IDLE_SECS),
        lang: Some(lang.pick("vi", "en").to_string()),
    }
}

fn set_cookie(value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("gocua_office=; Max-Age=0"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

fn signin_invalid() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "signin_invalid",
        "Liên kết đăng nhập không đúng, đã dùng hoặc đã hết hạn: hãy tạo liên kết mới bằng `gocua hub signin-link`",
        "The sign-in link is wrong, used or expired: make a new one with `gocua hub signin-link`",
    )
}

async fn sign_in(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    h: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let ip = addr.ip();
    let lang = lang_of(&h);
    if let Err(e) = check_site(&h, false) {
        drain_small(body, &h).await;
        return Err(audited(&hub, ip, e).await);
    }
    if content_type_is(&h, "application/json") != Some(true) {
        drain_small(body, &h).await;
        return Err(audited(
            &hub,
            ip,
            crate::server::wrong_content_type("application/json"),
        )
        .await);
    }
    let bytes = read_body(body, &h, 4 << 10, &hub.http).await?;
    let token = serde_json::from_slice::<SignIn>(&bytes)
        .ok()
        .map(|s| s.token.trim().to_ascii_lowercase())
        .filter(|t| t.len() <= 128);
    let session = random_hex(32);
    let hub2 = hub.clone();
    let session2 = session.clone();
    let out = blocking(move || {
        let mut store = hub2.lock();
        let t = now();
        let row = match &token {
            Some(token) => {
                store.office_redeem_signin(token, &session2, t, t + SESSION_ABSOLUTE_SECS)?
            }
            None => None,
        };
        let event = match &row {
            Some(_) => Event::always(NewAudit::new(AuditKind::OfficeSignIn).ip(ip)),
            None => Event::throttled(
                NewAudit::new(AuditKind::OfficeSignInFailed)
                    .ip(ip)
                    .code("signin_invalid"),
                ip.to_string(),
            ),
        };
        hub2.audit(&store, vec![event]);
        Ok(row.map(|r| session_body(&hub2, &store, &r, lang)))
    })
    .await?;
    let Some(body) = out else {
        // Outside the lock: a guesser waits, nobody else does.
        tokio::time::sleep(hub.http.pair_failure_delay).await;
        return Err(signin_invalid());
    };
    let mut r = axum::Json(body).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&session, SESSION_ABSOLUTE_SECS),
    );
    Ok(r)
}

async fn session_info(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    h: HeaderMap,
) -> Result<axum::Json<OfficeSession>, ApiError> {
    let ip = addr.ip();
    let lang = lang_of(&h);
    let row = admit(&hub, &h, ip, false, None).await?;
    let hub2 = hub.clone();
    blocking(move || {
        let store = hub2.lock();
        Ok(axum::Json(session_body(&hub2, &store, &row, lang)))
    })
    .await
}

async fn sign_out(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    if let Err(e) = check_site(&h, false) {
        return Err(audited(&hub, addr.ip(), e).await);
    }
    if let Some(cookie) = session_cookie(&h) {
        let hub2 = hub.clone();
        blocking(move || Ok(hub2.lock().office_end_session(&cookie)?)).await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, set_cookie("", 0));
    Ok(r)
}

/// A command error in both languages, with a status that says what kind it is.
fn app_error(e: gocua_app::Error) -> ApiError {
    let status = match e.code() {
        "unknown_command" | "not_found" => StatusCode::NOT_FOUND,
        "bad_args" => StatusCode::BAD_REQUEST,
        "forbidden" => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, e.code(), &e.message(Lang::Vi), &e.message(Lang::En))
}

fn hub_error(e: crate::HubError) -> ApiError {
    let status = match &e {
        crate::HubError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, e.code(), &e.message(Lang::Vi), &e.message(Lang::En))
}

/// Commands the dashboard may not run: they read a path on the hub's disk (`import`: the
/// dashboard uploads instead), change whom the hub's replica belongs to (`set_identity`), or
/// fill a real ward's replica with generated households (`generate_demo`).
fn not_over_web(cmd: &Command) -> Option<ApiError> {
    let (vi, en) = match cmd {
        Command::Import(_) => (
            "Nhập danh sách từ trang quản lý bằng nút tải tệp lên (không dùng đường dẫn trên máy chủ)",
            "Import from the dashboard by uploading the file (not by a path on the hub)",
        ),
        Command::SetIdentity(_) => (
            "Không đổi danh tính của máy chủ phường qua trang quản lý",
            "The hub's identity is not changed from the dashboard",
        ),
        Command::GenerateDemo(_) => (
            "Không tạo phường mẫu trên máy chủ phường qua trang quản lý: dùng `gocua demo`",
            "A demo ward is not generated on the hub from the dashboard: use `gocua demo`",
        ),
        _ => return None,
    };
    Some(ApiError::new(StatusCode::FORBIDDEN, "not_over_web", vi, en))
}

/// The office's identity on the hub: whatever the replica's own identity says (a demo sets a
/// lead), the dashboard is the office; its visits are credited to the hub's own actor
/// (`hub_bind_own_actor`).
fn office_identity() -> Identity {
    Identity::default()
}

fn device_rows(store: &Store) -> Result<Vec<DeviceRow>, ApiError> {
    let teams = store.teams()?;
    let volunteers = store.volunteers()?;
    Ok(store
        .hub_devices()?
        .into_iter()
        .map(|d| DeviceRow {
            team_name: d
                .team
                .as_ref()
                .and_then(|t| teams.iter().find(|x| &x.id == t).map(|x| x.name.clone())),
            volunteer_name: d.volunteer.as_ref().and_then(|v| {
                volunteers
                    .iter()
                    .find(|x| &x.id == v)
                    .map(|x| x.name.clone())
            }),
            id: d.id,
            name: d.name,
            role: d.role,
            team: d.team,
            volunteer: d.volunteer,
            paired_at: d.created_at,
            last_sync: d.last_sync,
            revoked: d.revoked_at.is_some(),
        })
        .collect())
}

fn issue_pairing(hub: &Hub, store: &Store, a: IssuePairing) -> Result<PairingIssued, ApiError> {
    let Some(addr) = hub.address() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "hub_address_unknown",
            "Máy chủ phường chưa biết địa chỉ của mình nên chưa tạo được mã ghép nối",
            "The hub does not know its own address yet, so it cannot make a pairing code",
        ));
    };
    let ward = store
        .ward()?
        .map(|w| w.name)
        .unwrap_or_else(|| hub.ward.clone());
    let payload = crate::new_pairing(
        store,
        &crate::DeviceFor {
            role: a.role,
            team: a.team,
            volunteer: a.volunteer,
        },
        &crate::HubIdentity {
            urls: &addr.urls,
            fingerprint: addr.fingerprint,
            ward: &ward,
        },
        PAIRING_TTL_SECS,
        now(),
    )
    .map_err(hub_error)?;
    let uri = payload.to_uri();
    let svg = crate::qr::svg(&uri).map_err(ApiError::internal)?;
    Ok(PairingIssued {
        payload: uri,
        svg,
        expires_at: payload.expires_at,
    })
}

/// Runs one command on the hub's replica as the office; the hub-only ones are answered here.
fn run_command(
    hub: &Hub,
    store: &mut Store,
    cmd: Command,
    lang: Lang,
) -> Result<serde_json::Value, ApiError> {
    match cmd {
        Command::ListDevices => json(&device_rows(store)?),
        Command::RevokeDevice(a) => {
            let done = crate::revoke_device(store, &a.device, now()).map_err(hub_error)?;
            let row = device_rows(store)?.into_iter().find(|d| d.id == a.device);
            match (done, row) {
                (true, Some(row)) => json(&row),
                _ => Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_device",
                    "Không có thiết bị đang hoạt động với mã này",
                    "No active device with this id",
                )),
            }
        }
        Command::IssuePairing(a) => json(&issue_pairing(hub, store, a)?),
        cmd => App::borrowed(store, lang, office_identity())
            .dispatch_json_raw(cmd, &mut |_| {})
            .map_err(app_error),
    }
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

fn bad_json(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_json",
        &format!("Dữ liệu gửi lên không phải JSON hợp lệ: {e}"),
        &format!("The request body is not valid JSON: {e}"),
    )
}

async fn command(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    UrlPath(name): UrlPath<String>,
    h: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let ip = addr.ip();
    let lang = lang_of(&h);
    if let Err(e) = admit(&hub, &h, ip, false, Some("application/json")).await {
        drain_small(body, &h).await;
        return Err(e);
    }
    let bytes = read_body(body, &h, COMMAND_MAX_BYTES, &hub.http).await?;
    let args: serde_json::Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).map_err(bad_json)?
    };
    let cmd = gocua_app::parse_command(&name, args).map_err(app_error)?;
    if let Some(e) = not_over_web(&cmd) {
        return Err(audited(&hub, ip, e).await);
    }
    let hub2 = hub.clone();
    let value = blocking(move || {
        let mut store = hub2.lock();
        run_command(&hub2, &mut store, cmd, lang)
    })
    .await?;
    Ok(axum::Json(value).into_response())
}

#[derive(Deserialize)]
struct ImportQuery {
    #[serde(default)]
    accept_valid_rows: bool,
    #[serde(default)]
    name: String,
}

async fn import(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<ImportQuery>,
    h: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let ip = addr.ip();
    let lang = lang_of(&h);
    if let Err(e) = admit(&hub, &h, ip, false, Some("application/octet-stream")).await {
        drain_small(body, &h).await;
        return Err(e);
    }
    let ext = Path::new(&q.name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext != "xlsx" && ext != "csv" {
        drain_small(body, &h).await;
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unknown_format",
            "Chỉ nhập được tệp .xlsx hoặc .csv",
            "Only .xlsx and .csv files can be imported",
        ));
    }
    let bytes = read_body(body, &h, IMPORT_MAX_BYTES, &hub.http).await?;
    let hub2 = hub.clone();
    let accept = q.accept_valid_rows;
    let value = blocking(move || {
        let mut store = hub2.lock();
        // Beside the replica (same disk, same protection), private (0600), removed on drop.
        let dir = store
            .path()
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut file = tempfile::Builder::new()
            .prefix(".gocua-import-")
            .suffix(&format!(".{ext}"))
            .tempfile_in(&dir)
            .map_err(ApiError::internal)?;
        std::io::Write::write_all(&mut file, &bytes).map_err(ApiError::internal)?;
        std::io::Write::flush(&mut file).map_err(ApiError::internal)?;
        let cmd = Command::Import(gocua_app::commands::Import {
            path: file.path().to_path_buf(),
            accept_valid_rows: accept,
        });
        let out = App::borrowed(&mut store, lang, office_identity())
            .dispatch_json_raw(cmd, &mut |_| {})
            .map_err(app_error);
        drop(file);
        out
    })
    .await?;
    Ok(axum::Json(value).into_response())
}

#[derive(Deserialize)]
struct ReportQuery {
    #[serde(default)]
    lang: Option<String>,
}

async fn report(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<ReportQuery>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    let ip = addr.ip();
    admit(&hub, &h, ip, true, None).await?;
    let lang = match q.lang.as_deref() {
        Some("en") => Lang::En,
        Some("vi") => Lang::Vi,
        _ => lang_of(&h),
    };
    let hub2 = hub.clone();
    let (bytes, name) = blocking(move || {
        let mut store = hub2.lock();
        let app = App::borrowed(&mut store, lang, office_identity());
        let bytes = app.report_xlsx(lang).map_err(app_error)?;
        let ward = app.store().ward()?.map(|w| w.name).unwrap_or_default();
        Ok((bytes, gocua_app::report::file_name(&ward, app.today())))
    })
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// Where the dashboard's files come from: the binary (built with `ui/dist`), or a directory
/// (tests, and a developer's fresh build with [`Hub::serve_office_ui_from`]).
enum Source<'a> {
    Embedded,
    Dir(&'a Path),
}

impl Source<'_> {
    fn get(&self, rel: &str) -> Option<Vec<u8>> {
        match self {
            Source::Embedded => embedded::FILES
                .iter()
                .find(|(p, _)| *p == rel)
                .map(|(_, b)| b.to_vec()),
            Source::Dir(dir) => {
                let path = dir.join(rel);
                path.is_file().then(|| std::fs::read(path).ok()).flatten()
            }
        }
    }
}

fn security_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

const NOT_BUILT: &str = "<!doctype html>
<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Gõ Cửa — chưa có trang quản lý</title></head>
<body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5\">
<h1>Chưa có trang quản lý</h1>
<p>Máy chủ phường này được biên dịch khi giao diện chưa được dựng. Hãy dựng giao diện rồi biên dịch lại máy chủ:</p>
<pre>cd ui &amp;&amp; npm ci &amp;&amp; npm run build
cargo build --release -p gocua-cli</pre>
<hr>
<h1 lang=\"en\">The dashboard is not built</h1>
<p lang=\"en\">This hub was compiled before the UI was built. Build the UI, then rebuild the hub:</p>
<pre>cd ui &amp;&amp; npm ci &amp;&amp; npm run build
cargo build --release -p gocua-cli</pre>
</body></html>
";

/// `/office/` is `office.html`; `/office/<path>` is `ui/dist/<path>`; a path without an
/// extension that is no file is the page itself (the dashboard's own routes).
async fn static_file(State(hub): State<Arc<Hub>>, uri: Uri) -> Response {
    let rel = uri
        .path()
        .strip_prefix("/office/")
        .unwrap_or("")
        .to_string();
    let clean = Path::new(&rel)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    if !clean || rel.contains('\\') {
        return StatusCode::NOT_FOUND.into_response();
    }
    let dir = hub.office_ui_dir();
    let source = match &dir {
        Some(d) => Source::Dir(d),
        None => Source::Embedded,
    };
    let Some(page) = source.get("office.html") else {
        let mut r = (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response();
        r.extensions_mut().insert(KeepBody);
        security_headers(&mut r);
        return r;
    };
    let (name, bytes) = if rel.is_empty() || rel == "office.html" {
        ("office.html".to_string(), page)
    } else if let Some(b) = source.get(&rel) {
        (rel.clone(), b)
    } else if !rel.rsplit('/').next().unwrap_or("").contains('.') {
        ("office.html".to_string(), page)
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if name.starts_with("assets/") && !name.ends_with(".html") {
        // Vite names assets by their content hash.
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut r = (
        [
            (header::CONTENT_TYPE, content_type(&name)),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response();
    security_headers(&mut r);
    r
}

/// Whether the binary carries the dashboard (`ui/dist/office.html` existed at build time).
pub fn embedded_ui() -> bool {
    embedded::FILES.iter().any(|(p, _)| *p == "office.html")
}
