//! The hub's HTTP API: pairing (join code → device credential), the sync endpoint, and status.
//! Handlers only authenticate, move bytes and call the store and the sync protocol, which run
//! on blocking threads behind one mutex.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gocua_domain::{DeviceId, Role};
use gocua_store::Store;
use gocua_sync::api;
use gocua_sync::api::{ErrorBody, PairRequest, PairResponse, StatusResponse};
use gocua_sync::wire::{self, SyncRequest};
use gocua_sync::{Access, HubLimits, hub_round};

/// Wrong join codes allowed per address in [`FAILURE_WINDOW`] before answers slow down.
const FREE_FAILURES: u32 = 5;
/// Each failure past the free ones makes the next answer this much slower.
const FAILURE_DELAY: Duration = Duration::from_millis(250);
const FAILURE_WINDOW: Duration = Duration::from_secs(600);
/// Past this many failures an address is refused outright until the window passes.
const LOCKOUT_FAILURES: u32 = 10;

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Shared state of a running hub.
pub struct Hub {
    pub store: Mutex<Store>,
    pub ward: String,
    pub limits: HubLimits,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Hub {
    pub fn new(mut store: Store, limits: HubLimits) -> Arc<Hub> {
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
            store: Mutex::new(store),
            ward,
            limits,
            failures: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-written (every write is one
        // SQLite transaction), so a poisoned lock is safe to keep using.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An error answered as JSON with a stable code and both languages.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, vi: &str, en: &str) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code: code.into(),
                message_vi: vi.into(),
                message_en: en.into(),
            },
        }
    }

    fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &format!("Lỗi máy chủ phường: {e}"),
            &format!("Hub error: {e}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
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
        .layer(DefaultBodyLimit::max(wire::MAX_FRAME))
        .with_state(hub)
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::Rng::fill(&mut rand::thread_rng(), &mut b[..]);
    hex::encode(b)
}

async fn pair(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(req): Json<PairRequest>,
) -> Result<Json<PairResponse>, ApiError> {
    let ip = addr.ip();
    // Slow down guessing: each failure past the free ones costs more time, then a lockout. With
    // 31^8 possible codes that expire in minutes, ten tries per address are no real chance.
    let failures = {
        let mut f = hub.failures.lock().unwrap_or_else(|p| p.into_inner());
        let e = f.entry(ip).or_insert((0, Instant::now()));
        if e.1.elapsed() > FAILURE_WINDOW {
            *e = (0, Instant::now());
        }
        e.0
    };
    if failures >= LOCKOUT_FAILURES {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "Nhập sai mã ghép nối quá nhiều lần. Hãy thử lại sau 10 phút.",
            "Too many wrong pairing codes. Try again in 10 minutes.",
        ));
    }
    if failures > FREE_FAILURES {
        tokio::time::sleep(FAILURE_DELAY * (failures - FREE_FAILURES)).await;
    }
    let code = gocua_sync::pairing::normalize_join_code(&req.code);
    let actor = req.actor.as_deref().and_then(parse_actor);
    let name = gocua_domain::text::normalize_display(&req.device_name);
    let name = if name.is_empty() {
        "điện thoại".to_string()
    } else {
        name.chars().take(60).collect()
    };
    let hub2 = hub.clone();
    let result = tokio::task::spawn_blocking(move || {
        let device_id = DeviceId::random(rand::random()).to_string();
        let token = random_hex(32);
        let store = hub2.lock();
        let redeemed = store.hub_redeem_join_code(&code, &device_id, &name, &token, now())?;
        if let (Ok(_), Some(actor)) = (&redeemed, actor.as_deref()) {
            store.hub_bind_actor(&device_id, actor, now())?;
        }
        Ok::<_, gocua_store::Error>(redeemed.map(|d| (d, token)))
    })
    .await
    .map_err(ApiError::internal)??;
    match result {
        Ok((dev, token)) => Ok(Json(PairResponse {
            device_id: dev.id,
            token,
            role: dev.role.as_str().to_string(),
            team: dev.team.map(|t| t.to_string()),
            volunteer: dev.volunteer.map(|v| v.to_string()),
            ward: hub.ward.clone(),
        })),
        Err(why) => {
            {
                let mut f = hub.failures.lock().unwrap_or_else(|p| p.into_inner());
                let e = f.entry(ip).or_insert((0, Instant::now()));
                e.0 += 1;
            }
            use gocua_store::hub::RedeemError::*;
            Err(match why {
                Unknown => ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "join_code_unknown",
                    "Mã ghép nối không đúng",
                    "Unknown pairing code",
                ),
                Expired => ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "join_code_expired",
                    "Mã ghép nối đã hết hạn: hãy tạo mã mới trên máy chủ phường",
                    "The pairing code has expired: make a new one on the hub",
                ),
                Used => ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "join_code_used",
                    "Mã ghép nối đã được dùng: mỗi mã chỉ dùng một lần",
                    "The pairing code was already used: each code works once",
                ),
            })
        }
    }
}

/// Reads `Authorization: Bearer <device>.<token>` and checks it against the hub's devices.
fn authenticate(store: &Store, headers: &HeaderMap) -> Result<gocua_store::hub::Device, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unknown_device",
            "Thiết bị chưa được ghép nối với máy chủ phường này",
            "This device is not paired with this hub",
        )
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unknown)?;
    let cred = value.strip_prefix("Bearer ").ok_or_else(unknown)?;
    let (device, token) = cred.split_once('.').ok_or_else(unknown)?;
    let dev = store
        .hub_device_by_token(device, token)?
        .ok_or_else(unknown)?;
    if dev.revoked_at.is_some() {
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
        allowed,
        held: store.hub_device_docs(&dev.id)?,
        authors: Some(Arc::new(store.hub_authors()?)),
    })
}

async fn sync(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let out = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        // Decode before touching anything: a truncated or forged frame changes nothing.
        let req: SyncRequest = wire::decode(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                e.code(),
                &e.message_vi(),
                &e.to_string(),
            )
        })?;
        let mut store = hub.lock();
        let dev = authenticate(&store, &headers)?;
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
        let (resp, _stats) = hub_round(&mut *store, &access, req, hub.limits)?;
        wire::encode(&resp).map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], out).into_response())
}

async fn status(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
) -> Result<Json<StatusResponse>, ApiError> {
    let hub2 = hub.clone();
    tokio::task::spawn_blocking(move || {
        let store = hub2.lock();
        let dev = authenticate(&store, &headers)?;
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
    .map_err(ApiError::internal)?
}
