//! Starting and stopping a hub, and issuing pairing payloads: what `gocua hub` and the tests call.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use gocua_domain::{Lang, Role, TeamId};
use gocua_store::Store;
use gocua_sync::HubLimits;
use gocua_sync::pairing::{PAIRING_VERSION, PairingPayload, new_join_code};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::server::{Hub, router};
use crate::{serve, tls};

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0}")]
    Store(#[from] gocua_store::Error),
    #[error("{0}")]
    Tls(#[from] tls::TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("team {0} does not exist in this ward")]
    UnknownTeam(String),
    #[error("a volunteer device needs a team")]
    VolunteerWithoutTeam,
}

impl HubError {
    pub fn code(&self) -> &'static str {
        match self {
            HubError::Store(e) => e.code(),
            HubError::Tls(_) => "tls",
            HubError::Bind { .. } => "bind",
            HubError::UnknownTeam(_) => "unknown_team",
            HubError::VolunteerWithoutTeam => "volunteer_without_team",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (HubError::Store(e), _) => e.message(lang),
            (HubError::Bind { addr, source }, Lang::Vi) => {
                format!("Không mở được cổng {addr}: {source}. Có thể máy chủ phường đang chạy rồi?")
            }
            (HubError::UnknownTeam(t), Lang::Vi) => format!("Phường không có tổ công tác {t}"),
            (HubError::VolunteerWithoutTeam, Lang::Vi) => {
                "Thiết bị của tình nguyện viên phải thuộc một tổ (--team)".into()
            }
            (HubError::Tls(e), Lang::Vi) => format!("Lỗi chứng chỉ TLS của máy chủ: {e}"),
            (e, Lang::En) => e.to_string(),
        }
    }
}

pub struct HubConfig {
    pub db: PathBuf,
    pub bind: SocketAddr,
    /// Host names or addresses phones use to reach the hub; empty means this machine's own
    /// network addresses.
    pub advertise: Vec<String>,
    pub limits: HubLimits,
    /// The key of an encrypted hub replica; `None` (the default for the hub) for a plain file.
    pub key: Option<gocua_store::Key>,
}

/// A running hub.
pub struct RunningHub {
    pub addr: SocketAddr,
    pub fingerprint: [u8; 32],
    pub urls: Vec<String>,
    pub hub: Arc<Hub>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningHub {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// The machine's own non-loopback addresses, for the QR code.
pub fn local_addresses() -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = if_addrs::get_if_addrs()
        .map(|v| {
            v.into_iter()
                .filter(|i| !i.is_loopback())
                .map(|i| i.ip())
                .filter(IpAddr::is_ipv4)
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

fn url_for(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("https://[{host}]:{port}")
    } else {
        format!("https://{host}:{port}")
    }
}

/// Opens the hub's replica, loads (or on first start creates) its certificate next to the
/// database, and serves until stopped.
pub async fn start(cfg: HubConfig) -> Result<RunningHub, HubError> {
    let dir = cfg
        .db
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p.to_path_buf()
            }
        })
        .unwrap_or_else(|| PathBuf::from("."));
    let store = Store::open_with(
        &cfg.db,
        gocua_store::StoreOptions {
            cache_docs: 512,
            key: cfg.key.clone(),
            ..Default::default()
        },
    )?;
    let listener = tokio::net::TcpListener::bind(cfg.bind)
        .await
        .map_err(|source| HubError::Bind {
            addr: cfg.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| HubError::Bind {
        addr: cfg.bind,
        source,
    })?;
    let mut hosts: Vec<String> = cfg.advertise.clone();
    if hosts.is_empty() {
        if addr.ip().is_unspecified() {
            hosts.extend(local_addresses().into_iter().map(|a| a.to_string()));
            hosts.push("127.0.0.1".into());
        } else {
            hosts.push(addr.ip().to_string());
        }
    }
    let identity = tls::load_or_create(&dir, &hosts)?;
    let config = tls::server_config(&identity)?;
    let hub = Hub::new(store, cfg.limits);
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(hub.clone());
    let task = tokio::spawn(serve::serve_tls(listener, config, app, async move {
        let _ = rx.await;
    }));
    let urls = hosts.iter().map(|h| url_for(h, addr.port())).collect();
    Ok(RunningHub {
        addr,
        fingerprint: identity.fingerprint,
        urls,
        hub,
        stop: Some(tx),
        task,
    })
}

/// What a pairing payload says about the hub: where to reach it, its certificate, its ward.
#[derive(Clone, Copy, Debug)]
pub struct HubIdentity<'a> {
    pub urls: &'a [String],
    pub fingerprint: [u8; 32],
    pub ward: &'a str,
}

/// Issues a one-time join code for a role (and team) and returns the QR payload.
pub fn new_pairing(
    store: &Store,
    role: Role,
    team: Option<&TeamId>,
    hub: &HubIdentity<'_>,
    ttl_secs: i64,
    now: i64,
) -> Result<PairingPayload, HubError> {
    let HubIdentity {
        urls,
        fingerprint,
        ward,
    } = *hub;
    if role == Role::Volunteer && team.is_none() {
        return Err(HubError::VolunteerWithoutTeam);
    }
    if let Some(t) = team
        && !store.hub_team_exists(t)?
    {
        return Err(HubError::UnknownTeam(t.to_string()));
    }
    let code = new_join_code(rand::random());
    let expires_at = now + ttl_secs;
    let label = format!(
        "{}{}",
        role.as_str(),
        team.map(|t| format!(" {t}")).unwrap_or_default()
    );
    store.hub_add_join_code(
        &gocua_sync::pairing::normalize_join_code(&code),
        role,
        team,
        &label,
        expires_at,
    )?;
    Ok(PairingPayload {
        version: PAIRING_VERSION,
        hub_urls: urls.to_vec(),
        cert_sha256: fingerprint,
        join_code: code,
        expires_at,
        ward: ward.to_string(),
    })
}
