//! The hub's HTTP API: pairing (join code → device credential), the sync endpoint, and status.
//! Handlers only authenticate, move bytes and call the store and the sync protocol, which run
//! on blocking threads behind one mutex.
//!
//! A request is authenticated from its headers before any byte of its body is read; the body is
//! then read under a size bound derived from what the device may hold and under deadlines
//! ([`HttpLimits`]), without the store lock. Every answer, the framework's own refusals
//! included, is JSON `{code, message_vi, message_en}` with `Cache-Control: no-store`.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gocua_domain::{DeviceId, Role};
use gocua_store::Store;
use gocua_store::audit::{AuditKind, NewAudit};
use gocua_store::hub::{PairOutcome, PairRefusal};
use gocua_sync::api;
use gocua_sync::api::{ErrorBody, PairRequest, PairResponse, StatusResponse};
use gocua_sync::wire::{self, DocResult, SyncRequest};
use gocua_sync::{Access, HubLimits, hub_round};

use crate::audit::{AuditThrottle, Event};
use crate::limits::{HttpLimits, drain_small, read_body};

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Shared state of a running hub.
pub struct Hub {
    pub store: Mutex<Store>,
    /// Flushes the store's log after a write, outside the lock (see [`StoreGuard`]).
    wal: gocua_store::WalFlush,
    pub ward: String,
    pub limits: HubLimits,
    pub http: HttpLimits,
    audit: Mutex<AuditThrottle>,
    /// Devices with a sync request under way: one at a time each, so a device can make the hub
    /// hold at most one body of its own bound.
    syncing: Mutex<HashSet<String>>,
    decoders: crate::decode::Decoders,
    /// Where phones reach the hub and its certificate, for pairing codes the dashboard issues
    /// (set by [`crate::start`]).
    address: OnceLock<HubAddress>,
    /// Serve the dashboard from this directory instead of the files built into the binary.
    office_ui: Mutex<Option<PathBuf>>,
}

/// The hub's addresses and certificate fingerprint, as pairing payloads carry them.
#[derive(Clone, Debug)]
pub struct HubAddress {
    pub urls: Vec<String>,
    pub fingerprint: [u8; 32],
}

/// Marks a response whose non-JSON body is meant (the dashboard's "not built" page), so
/// [`every_response`] keeps it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeepBody;

impl Hub {
    pub fn new(store: Store, limits: HubLimits) -> Arc<Hub> {
        Hub::with_http(store, limits, HttpLimits::default())
    }

    pub fn with_http(mut store: Store, limits: HubLimits, http: HttpLimits) -> Arc<Hub> {
        // Visits the office records on the hub itself are the office's, also when a phone
        // hands them back to this hub restored from an older backup.
        if let Err(e) = store.hub_bind_own_actor(now()) {
            eprintln!("gocua hub: could not record the hub's own actor: {e}");
        }
        let ward = store
            .plan_state()
            .ok()
            .and_then(|p| p.ward)
            .map(|w| w.name)
            .unwrap_or_default();
        Arc::new(Hub {
            wal: store.wal_flush(),
            store: Mutex::new(store),
            ward,
            limits,
            http,
            audit: Mutex::new(AuditThrottle::new(http.audit)),
            syncing: Mutex::new(HashSet::new()),
            decoders: crate::decode::Decoders::start(http.decoders),
            address: OnceLock::new(),
            office_ui: Mutex::new(None),
        })
    }

    /// Records where the hub is reached (once; later calls change nothing).
    pub fn set_address(&self, urls: Vec<String>, fingerprint: [u8; 32]) {
        let _ = self.address.set(HubAddress { urls, fingerprint });
    }

    pub fn address(&self) -> Option<&HubAddress> {
        self.address.get()
    }

    /// Serves the dashboard from `dir` (a `ui/dist`) instead of the embedded files.
    pub fn serve_office_ui_from(&self, dir: Option<PathBuf>) {
        *self.office_ui.lock().unwrap_or_else(|p| p.into_inner()) = dir;
    }

    pub(crate) fn office_ui_dir(&self) -> Option<PathBuf> {
        self.office_ui
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn lock(&self) -> StoreGuard<'_> {
        // A panic while holding the lock cannot leave the store half-written (every write is one
        // SQLite transaction), so a poisoned lock is safe to keep using.
        let guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        StoreGuard {
            changes: guard.total_changes(),
            guard: Some(guard),
            hub: self,
        }
    }

    /// Writes audit events through the throttle (the caller holds the store).
    pub(crate) fn audit(&self, store: &Store, events: Vec<Event>) {
        crate::audit::record(store, &self.audit, events);
    }

    /// Writes the summaries of a finished throttle period, if any (called periodically and on
    /// stop, so a flood that ended still shows up).
    pub fn flush_audit(&self) {
        let store = self.lock();
        self.audit(&store, Vec::new());
    }

    fn begin_sync(self: &Arc<Self>, device: &str) -> Result<SyncSlot, ApiError> {
        let mut s = self.syncing.lock().unwrap_or_else(|p| p.into_inner());
        if !s.insert(device.to_string()) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "sync_in_progress",
                "Thiết bị này đang đồng bộ: hãy chờ lượt trước xong",
                "This device is already syncing: wait for the previous request to finish",
            ));
        }
        Ok(SyncSlot {
            hub: self.clone(),
            device: device.to_string(),
        })
    }
}

/// The hub's store, locked. When it is let go after a write, the lock is released first and the
/// log is then flushed on this thread, before the handler answers: a request is only answered
/// once what it wrote is on the disk, and requests of other devices go on meanwhile (with a
/// [`gocua_store::Durability::Grouped`] store, whose commits do not wait for the disk).
pub(crate) struct StoreGuard<'a> {
    guard: Option<std::sync::MutexGuard<'a, Store>>,
    changes: u64,
    hub: &'a Hub,
}

impl std::ops::Deref for StoreGuard<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.guard.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        self.guard.as_mut().expect("held until dropped")
    }
}

impl Drop for StoreGuard<'_> {
    fn drop(&mut self) {
        let Some(guard) = self.guard.take() else {
            return;
        };
        let wrote = guard.total_changes() != self.changes;
        drop(guard);
        if wrote && let Err(e) = self.hub.wal.flush() {
            eprintln!("gocua hub: could not flush the store's log to the disk: {e}");
        }
    }
}

/// A device's place in [`Hub::syncing`], freed when the request ends however it ends.
struct SyncSlot {
    hub: Arc<Hub>,
    device: String,
}

impl Drop for SyncSlot {
    fn drop(&mut self) {
        let mut s = self.hub.syncing.lock().unwrap_or_else(|p| p.into_inner());
        s.remove(&self.device);
    }
}

/// An error answered as JSON with a stable code and both languages.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// For `internal` errors: what went wrong, for stderr and the audit log only.
    detail: Option<String>,
    retry_after: Option<u64>,
}

/// The detail of an internal error, carried from the handler to the layer that logs it.
#[derive(Clone, Debug)]
struct InternalDetail(String);

impl ApiError {
    pub fn new(status: StatusCode, code: &str, vi: &str, en: &str) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code: code.into(),
                message_vi: vi.into(),
                message_en: en.into(),
            },
            detail: None,
            retry_after: None,
        }
    }

    /// A failure of the hub itself. The caller learns only that; the detail goes to stderr
    /// and the audit log.
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        let mut err = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Lỗi máy chủ phường",
            "Hub error",
        );
        err.detail = Some(e.to_string());
        err
    }

    fn retry_after(mut self, secs: u64) -> ApiError {
        self.retry_after = Some(secs);
        self
    }

    /// The JSON error a bare HTTP status stands for (the framework's own refusals).
    fn for_status(status: StatusCode) -> ApiError {
        let (code, vi, en) = match status {
            StatusCode::NOT_FOUND => (
                "not_found",
                "Không có địa chỉ này trên máy chủ phường",
                "No such address on this hub",
            ),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "Địa chỉ này không nhận kiểu yêu cầu đó",
                "This address does not accept that method",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => {
                ("body_too_large", "Yêu cầu quá lớn", "Request too large")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "Kiểu dữ liệu gửi lên không đúng",
                "Wrong content type",
            ),
            StatusCode::REQUEST_TIMEOUT => (
                "body_timeout",
                "Dữ liệu gửi lên quá chậm",
                "The request body arrived too slowly",
            ),
            s if s.is_server_error() => ("internal", "Lỗi máy chủ phường", "Hub error"),
            _ => ("bad_request", "Yêu cầu không hợp lệ", "Malformed request"),
        };
        ApiError::new(status, code, vi, en)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body)).into_response();
        if let Some(d) = self.detail {
            r.extensions_mut().insert(InternalDetail(d));
        }
        if let Some(secs) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        r
    }
}

impl From<gocua_store::Error> for ApiError {
    fn from(e: gocua_store::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<gocua_sync::ReplicaError> for ApiError {
    fn from(e: gocua_sync::ReplicaError) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            &e.code,
            &e.message_vi,
            &e.message_en,
        )
    }
}

pub fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route(api::PATH_PAIR, post(pair))
        .route(api::PATH_SYNC, post(sync))
        .route(api::PATH_STATUS, get(status))
        .merge(crate::office::routes())
        .fallback(|| async { ApiError::for_status(StatusCode::NOT_FOUND) })
        .method_not_allowed_fallback(|| async {
            ApiError::for_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .layer(axum::middleware::map_response_with_state(
            hub.clone(),
            every_response,
        ))
        .with_state(hub)
}

/// Applied to every answer: `Cache-Control: no-store`, any non-JSON error replaced by the
/// JSON form, and internal details logged (never sent).
async fn every_response(State(hub): State<Arc<Hub>>, mut r: Response) -> Response {
    if let Some(InternalDetail(detail)) = r.extensions_mut().remove::<InternalDetail>() {
        eprintln!("gocua hub: internal error: {detail}");
        let hub2 = hub.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let store = hub2.lock();
            hub2.audit(
                &store,
                vec![Event::throttled(
                    NewAudit::new(AuditKind::InternalError).detail(detail),
                    "internal",
                )],
            );
        })
        .await;
    }
    let status = r.status();
    let is_json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let keep = r.extensions_mut().remove::<KeepBody>().is_some();
    if (status.is_client_error() || status.is_server_error()) && !is_json && !keep {
        let headers = r.headers().clone();
        r = ApiError::for_status(status).into_response();
        if let Some(v) = headers.get(header::RETRY_AFTER) {
            r.headers_mut().insert(header::RETRY_AFTER, v.clone());
        }
    }
    // The dashboard's static files say how they may be cached; everything else is not.
    r.headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    r
}

pub(crate) fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::Rng::fill(&mut rand::thread_rng(), &mut b[..]);
    hex::encode(b)
}

/// Runs store work on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

pub(crate) fn content_type_is(headers: &HeaderMap, want: &str) -> Option<bool> {
    headers.get(header::CONTENT_TYPE).map(|v| {
        v.to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(want))
    })
}

pub(crate) fn wrong_content_type(want: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        &format!("Kiểu dữ liệu gửi lên phải là {want}"),
        &format!("The request body must be {want}"),
    )
}

async fn pair(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<PairResponse>, ApiError> {
    let ip = addr.ip();
    if content_type_is(&headers, "application/json") != Some(true) {
        drain_small(body, &headers).await;
        return Err(wrong_content_type("application/json"));
    }
    let bytes = read_body(body, &headers, hub.http.pair_body, &hub.http).await?;
    let req: PairRequest = serde_json::from_slice(&bytes).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            "Yêu cầu ghép nối không đúng định dạng",
            "Malformed pairing request",
        )
    })?;
    let code = gocua_sync::pairing::normalize_join_code(&req.code);
    let actor = req.actor.as_deref().and_then(parse_actor);
    let name = gocua_domain::text::normalize_display(&req.device_name);
    let name = if name.is_empty() {
        "điện thoại".to_string()
    } else {
        name.chars().take(60).collect()
    };
    let hub2 = hub.clone();
    let outcome = blocking(move || {
        let device_id = DeviceId::random(rand::random()).to_string();
        let token = random_hex(32);
        let store = hub2.lock();
        let now = now();
        let outcome = store.hub_pair(&code, &device_id, &name, &token, now, &hub2.http.pairing)?;
        if let (PairOutcome::Paired(dev), Some(actor)) = (&outcome, actor.as_deref()) {
            store.hub_bind_actor(&dev.id, actor, now)?;
        }
        let shown: String = code
            .chars()
            .take(gocua_sync::pairing::JOIN_CODE_LOOKUP_LEN)
            .collect();
        let event = match &outcome {
            PairOutcome::Paired(dev) => Event::always(
                NewAudit::new(AuditKind::PairOk)
                    .ip(ip)
                    .device(dev.id.clone())
                    .detail(format!("{} «{}» {}", dev.role.as_str(), dev.name, shown)),
            ),
            PairOutcome::Refused(r @ PairRefusal::Locked { .. }) => Event::throttled(
                NewAudit::new(AuditKind::PairLocked)
                    .ip(ip)
                    .code(r.code())
                    .detail(shown),
                ip.to_string(),
            ),
            PairOutcome::Refused(r) => Event::throttled(
                NewAudit::new(AuditKind::PairFailed)
                    .ip(ip)
                    .code(r.code())
                    .detail(shown),
                ip.to_string(),
            ),
        };
        hub2.audit(&store, vec![event]);
        Ok(outcome.map_paired(token))
    })
    .await?;
    let why = match outcome {
        Ok((dev, token)) => {
            return Ok(Json(PairResponse {
                device_id: dev.id,
                token,
                role: dev.role.as_str().to_string(),
                team: dev.team.map(|t| t.to_string()),
                volunteer: dev.volunteer.map(|v| v.to_string()),
                ward: hub.ward.clone(),
            }));
        }
        Err(why) => why,
    };
    // Outside the lock: a guesser waits, nobody else does.
    tokio::time::sleep(hub.http.pair_failure_delay).await;
    Err(match why {
        PairRefusal::Unknown => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "join_code_unknown",
            "Mã ghép nối không đúng",
            "Unknown pairing code",
        ),
        PairRefusal::Expired => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "join_code_expired",
            "Mã ghép nối đã hết hạn: hãy tạo mã mới trên máy chủ phường",
            "The pairing code has expired: make a new one on the hub",
        ),
        PairRefusal::Used => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "join_code_used",
            "Mã ghép nối đã được dùng: mỗi mã chỉ dùng một lần",
            "The pairing code was already used: each code works once",
        ),
        PairRefusal::Burned => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "join_code_burned",
            "Mã ghép nối này đã bị khoá vì có người nhập sai quá nhiều lần: hãy nhờ văn phòng phường tạo mã mới",
            "This pairing code was locked after too many wrong tries: ask the ward office for a new one",
        ),
        PairRefusal::Locked { until } => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "Máy chủ phường đang tạm khoá ghép nối vì có quá nhiều mã sai. Hãy kiểm tra lại mã (quét lại mã QR) hoặc nhờ văn phòng phường.",
            "Pairing is locked for now after too many wrong codes. Check the code (scan the QR code again) or ask the ward office.",
        )
        .retry_after(until.saturating_sub(now()).max(1) as u64),
    })
}

trait MapPaired {
    fn map_paired(self, token: String) -> Result<(gocua_store::hub::Device, String), PairRefusal>;
}

impl MapPaired for PairOutcome {
    fn map_paired(self, token: String) -> Result<(gocua_store::hub::Device, String), PairRefusal> {
        match self {
            PairOutcome::Paired(d) => Ok((d, token)),
            PairOutcome::Refused(r) => Err(r),
        }
    }
}

/// `Authorization: Bearer <device>.<token>`, as sent; `None` when absent or malformed.
fn credential(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let cred = value.strip_prefix("Bearer ")?;
    let (device, token) = cred.split_once('.')?;
    // Nothing we issue is longer; a huge header is not worth hashing.
    if device.len() > 64 || token.len() > 128 {
        return None;
    }
    Some((device.to_string(), token.to_string()))
}

/// Checks a credential against the hub's devices, and logs unknown and revoked callers.
fn authenticate(
    hub: &Hub,
    store: &Store,
    cred: &Option<(String, String)>,
    ip: IpAddr,
) -> Result<gocua_store::hub::Device, ApiError> {
    let dev = match cred {
        Some((device, token)) => store.hub_device_by_token(device, token)?,
        None => None,
    };
    let Some(dev) = dev else {
        hub.audit(
            store,
            vec![Event::throttled(
                NewAudit::new(AuditKind::UnknownCredential)
                    .ip(ip)
                    // The device id it claimed, if any (never the token).
                    .detail(cred.as_ref().map(|(d, _)| d.clone()).unwrap_or_default()),
                ip.to_string(),
            )],
        );
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unknown_device",
            "Thiết bị chưa được ghép nối với máy chủ phường này",
            "This device is not paired with this hub",
        ));
    };
    if dev.revoked_at.is_some() {
        hub.audit(
            store,
            vec![Event::throttled(
                NewAudit::new(AuditKind::RevokedContact)
                    .ip(ip)
                    .device(dev.id.clone())
                    .detail(dev.name.clone()),
                dev.id.clone(),
            )],
        );
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "device_revoked",
            "Thiết bị này đã bị thu hồi quyền truy cập. Hãy liên hệ văn phòng phường.",
            "This device has been revoked. Contact the ward office.",
        ));
    }
    Ok(dev)
}

/// An Automerge actor id as a device declares it (hex, at most 32 bytes).
fn parse_actor(hex_actor: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(hex_actor.trim()).ok()?;
    (!bytes.is_empty() && bytes.len() <= 32).then_some(bytes)
}

/// Binds the actor a device declares in its request to it (first come; never moved).
fn bind_declared_actor(
    store: &Store,
    dev: &gocua_store::hub::Device,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if let Some(actor) = headers
        .get(api::ACTOR_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_actor)
    {
        store.hub_bind_actor(&dev.id, &actor, now())?;
    }
    Ok(())
}

/// What a device may receive and write, from the hub's own records only: its team's
/// assignment, the documents the hub delivered to or accepted from it, and the actors bound to
/// devices (for who its visits may be credited to).
pub fn access_for(store: &Store, dev: &gocua_store::hub::Device) -> Result<Access, ApiError> {
    let allowed = match (dev.role, &dev.team) {
        (Role::Office, _) | (Role::Lead, None) => store.hub_all_households()?,
        (_, Some(team)) => store.households_of_team(team)?.into_iter().collect(),
        (Role::Volunteer, None) => Default::default(),
    };
    Ok(Access {
        peer: dev.id.clone(),
        can_write_plan: dev.role.may_write_plan(),
        may_correct: dev.role >= Role::Lead,
        may_set_campaign: dev.role == Role::Office,
        allowed,
        held: store.hub_device_docs(&dev.id)?,
        authors: Some(Arc::new(store.hub_authors()?)),
    })
}

async fn sync(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let ip = addr.ip();
    // 1. Who is calling, from the headers alone: an unknown or revoked caller is answered
    //    before a byte of its body is read, and its body is never read.
    let cred = credential(&headers);
    let hub2 = hub.clone();
    let cred2 = cred.clone();
    let admitted = blocking(move || {
        let store = hub2.lock();
        let dev = authenticate(&hub2, &store, &cred2, ip)?;
        // What this device may hold bounds what it may send.
        let docs = access_for(&store, &dev)?.allowed.len() + 1;
        Ok((dev, hub2.http.body_for(docs)))
    })
    .await
    .and_then(|(dev, max_body)| {
        if content_type_is(&headers, "application/octet-stream") == Some(false) {
            return Err(wrong_content_type("application/octet-stream"));
        }
        // 2. One request at a time per device, its body read without the store lock.
        let slot = hub.begin_sync(&dev.id)?;
        Ok((slot, max_body))
    });
    let (_slot, max_body) = match admitted {
        Ok(a) => a,
        Err(e) => {
            drain_small(body, &headers).await;
            return Err(e);
        }
    };
    let frame = read_body(body, &headers, wire::max_frame_for(max_body), &hub.http).await?;
    // 3. Decode (bounded, on the decoding threads) before touching anything: a truncated or
    //    forged frame changes nothing.
    let req: SyncRequest = hub
        .decoders
        .decode(frame, max_body)
        .await
        .ok_or_else(|| ApiError::internal("no decoding thread"))?
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                e.code(),
                &e.message_vi(),
                &e.to_string(),
            )
        })?;
    let hub2 = hub.clone();
    let out = blocking(move || -> Result<Vec<u8>, ApiError> {
        let mut store = hub2.lock();
        // Revoked while its body was on the way: still refused.
        let dev = authenticate(&hub2, &store, &cred, ip)?;
        if !store.hub_accept_batch(&dev.id, req.batch, now())? {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "replayed_batch",
                "Lô đồng bộ này đã được nhận trước đó (gửi lại lô cũ) nên bị từ chối",
                "This sync batch was already received (an old batch replayed) and is refused",
            ));
        }
        bind_declared_actor(&store, &dev, &headers)?;
        let access = access_for(&store, &dev)?;
        let (resp, _stats) = hub_round(&mut *store, &access, req, hub2.limits)?;
        let refused: Vec<Event> = resp
            .results
            .iter()
            .filter_map(|r| match r {
                DocResult::Refused {
                    doc,
                    code,
                    message_vi,
                    message_en,
                } => Some(Event::throttled(
                    NewAudit::new(AuditKind::PushRefused)
                        .ip(ip)
                        .device(dev.id.clone())
                        .doc(doc.clone())
                        .code(code.clone())
                        .detail(format!("{message_vi} / {message_en}")),
                    dev.id.clone(),
                )),
                _ => None,
            })
            .collect();
        if !refused.is_empty() {
            hub2.audit(&store, refused);
        }
        drop(store);
        wire::encode(&resp).map_err(ApiError::internal)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], out).into_response())
}

async fn status(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<StatusResponse>, ApiError> {
    let hub2 = hub.clone();
    let cred = credential(&headers);
    blocking(move || {
        let store = hub2.lock();
        let dev = authenticate(&hub2, &store, &cred, addr.ip())?;
        let access = access_for(&store, &dev)?;
        Ok(Json(StatusResponse {
            ward: hub2.ward.clone(),
            device_id: dev.id,
            role: dev.role.as_str().to_string(),
            team: dev.team.map(|t| t.to_string()),
            volunteer: dev.volunteer.map(|v| v.to_string()),
            documents: access.allowed.len() as u64 + 1,
            last_batch: dev.last_batch,
        }))
    })
    .await
}
