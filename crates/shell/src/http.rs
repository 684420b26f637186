//! The browser shell: the phone app's UI and its runtime ([`Shell`]) over plain HTTP on
//! loopback, for trying the app in a desktop browser and for the end-to-end tests that drive
//! real replicas from Chromium. Same command table and same shell calls as the Tauri app:
//! `POST /api/v1/command/{cmd}`, `POST /api/v1/shell/{status,sync,pair}`; everything else is a
//! file of the built UI (`ui/dist`).
//!
//! It listens on loopback only and answers only requests addressed to a loopback host with a
//! JSON body and, when the browser sends an `Origin`, from its own origin: another web page the
//! user opens cannot drive the replica (no CORS, no "simple" cross-site POST, no DNS rebinding).

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use gocua_app::CommandError;
use gocua_domain::Lang;
use serde::Deserialize;

use crate::Shell;

struct Served {
    shell: Shell,
    ui: PathBuf,
}

/// The language the page asked for (`Accept-Language: en…` is English, anything else
/// Vietnamese).
fn lang(h: &HeaderMap) -> Lang {
    match h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) {
        Some(v) if v.trim_start().to_ascii_lowercase().starts_with("en") => Lang::En,
        _ => Lang::Vi,
    }
}

fn error(status: StatusCode, e: CommandError) -> Response {
    let mut r = (status, axum::Json(e)).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("static header"),
    );
    r
}

fn json(v: impl serde::Serialize) -> Response {
    let mut r = axum::Json(v).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("static header"),
    );
    r
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why a request is refused, before it is turned into a response.
type Refusal = (StatusCode, CommandError);

fn refused((status, e): Refusal) -> Response {
    error(status, e)
}

/// Refuses what did not come from this shell's own page.
fn check_caller(h: &HeaderMap, lang: Lang) -> Result<(), Refusal> {
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let forbidden = |vi: &str, en: &str| {
        (
            StatusCode::FORBIDDEN,
            CommandError::new("forbidden_origin", lang.pick(vi, en)),
        )
    };
    if !is_loopback_host(host) {
        return Err(forbidden(
            "Chỉ trả lời trang mở trên chính máy này",
            "Only pages opened on this machine are answered",
        ));
    }
    if let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let own = origin
            .strip_prefix("http://")
            .is_some_and(|rest| rest == host);
        if !own {
            return Err(forbidden(
                "Yêu cầu từ trang web khác bị từ chối",
                "A request from another web site is refused",
            ));
        }
    }
    let json_body = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_body {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            CommandError::new(
                "bad_content_type",
                lang.pick(
                    "Yêu cầu phải gửi dữ liệu JSON",
                    "The request must carry JSON",
                ),
            ),
        ));
    }
    Ok(())
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &Bytes, lang: Lang) -> Result<T, Refusal> {
    let raw: &[u8] = if body.is_empty() { b"null" } else { body };
    serde_json::from_slice(raw).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            CommandError::new(
                "bad_json",
                lang.pick(
                    &format!("Dữ liệu gửi lên không phải JSON hợp lệ: {e}"),
                    &format!("The request body is not valid JSON: {e}"),
                ),
            ),
        )
    })
}

async fn command(
    State(s): State<Arc<Served>>,
    UrlPath(cmd): UrlPath<String>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = lang(&h);
    if let Err(r) = check_caller(&h, lang) {
        return refused(r);
    }
    let args: serde_json::Value = match parse_body(&body, lang) {
        Ok(v) => v,
        Err(r) => return refused(r),
    };
    // Commands are synchronous SQLite work: off the async threads.
    let s2 = s.clone();
    match tokio::task::spawn_blocking(move || s2.shell.dispatch(&cmd, args, lang)).await {
        Ok(Ok(v)) => json(v),
        Ok(Err(e)) => error(StatusCode::UNPROCESSABLE_ENTITY, e),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new("internal", e.to_string()),
        ),
    }
}

async fn status(State(s): State<Arc<Served>>, h: HeaderMap) -> Response {
    let lang = lang(&h);
    if let Err(r) = check_caller(&h, lang) {
        return refused(r);
    }
    json(s.shell.status(lang))
}

async fn sync(State(s): State<Arc<Served>>, h: HeaderMap) -> Response {
    let lang = lang(&h);
    if let Err(r) = check_caller(&h, lang) {
        return refused(r);
    }
    json(s.shell.sync(lang, &mut |_| {}).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PairBody {
    payload: String,
    #[serde(default)]
    device_name: Option<String>,
}

async fn pair(State(s): State<Arc<Served>>, h: HeaderMap, body: Bytes) -> Response {
    let lang = lang(&h);
    if let Err(r) = check_caller(&h, lang) {
        return refused(r);
    }
    let b: PairBody = match parse_body(&body, lang) {
        Ok(b) => b,
        Err(r) => return refused(r),
    };
    let name = b.device_name.unwrap_or_else(|| "trình duyệt".into());
    match s.shell.pair(&b.payload, &name, lang).await {
        Ok(info) => json(info),
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinBody {
    #[serde(default)]
    pin: String,
    #[serde(default)]
    old: Option<String>,
}

/// The app lock's four actions; each answers the status after it.
#[derive(Clone, Copy)]
enum PinAction {
    Unlock,
    Set,
    Lock,
    Forget,
}

async fn pin_action(s: Arc<Served>, h: HeaderMap, body: Bytes, action: PinAction) -> Response {
    let lang = lang(&h);
    if let Err(r) = check_caller(&h, lang) {
        return refused(r);
    }
    let b: PinBody = match parse_body::<Option<PinBody>>(&body, lang) {
        Ok(b) => b.unwrap_or(PinBody {
            pin: String::new(),
            old: None,
        }),
        Err(r) => return refused(r),
    };
    // PBKDF2 and file writes: off the async threads.
    let s2 = s.clone();
    let done = tokio::task::spawn_blocking(move || match action {
        PinAction::Unlock => s2.shell.unlock(&b.pin, lang),
        PinAction::Set => s2.shell.set_pin(b.old.as_deref(), &b.pin, lang),
        PinAction::Lock => s2.shell.lock(lang),
        PinAction::Forget => s2.shell.forget(lang),
    })
    .await;
    match done {
        Ok(Ok(())) => json(s.shell.status(lang)),
        Ok(Err(e)) => error(StatusCode::UNPROCESSABLE_ENTITY, e),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            CommandError::new("internal", e.to_string()),
        ),
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// A file of the built UI; `/` and unknown paths without an extension are `index.html`.
async fn file(State(s): State<Arc<Served>>, uri: Uri) -> Response {
    let rel = uri.path().trim_start_matches('/');
    let clean = Path::new(rel)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    if !clean {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut path = s.ui.join(rel);
    if rel.is_empty() || (path.extension().is_none() && !path.is_file()) {
        path = s.ui.join("index.html");
    }
    // The UI's files are few and small: read them in place.
    match std::fs::read(&path) {
        Ok(bytes) => Response::builder()
            .header(header::CONTENT_TYPE, content_type(&path))
            .body(Body::from(bytes))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The browser shell's routes over `shell`, serving the built UI from `ui`.
pub fn router(shell: Shell, ui: PathBuf) -> Router {
    let served = Arc::new(Served { shell, ui });
    Router::new()
        .route("/api/v1/command/{cmd}", post(command))
        .route("/api/v1/shell/status", post(status))
        .route("/api/v1/shell/sync", post(sync))
        .route("/api/v1/shell/pair", post(pair))
        .route(
            "/api/v1/shell/unlock",
            post(|State(s), h, b| pin_action(s, h, b, PinAction::Unlock)),
        )
        .route(
            "/api/v1/shell/set_pin",
            post(|State(s), h, b| pin_action(s, h, b, PinAction::Set)),
        )
        .route(
            "/api/v1/shell/lock",
            post(|State(s), h, b| pin_action(s, h, b, PinAction::Lock)),
        )
        .route(
            "/api/v1/shell/forget",
            post(|State(s), h, b| pin_action(s, h, b, PinAction::Forget)),
        )
        .fallback(file)
        .with_state(served)
}

/// Serves the browser shell on `addr` (loopback only) until the process ends; `ready` gets the
/// bound address (port 0 picks a free one).
pub async fn serve(
    shell: Shell,
    ui: PathBuf,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the browser shell listens on loopback only (127.0.0.1 or ::1)",
        ));
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    ready(listener.local_addr()?);
    axum::serve(listener, router(shell, ui)).await
}
