//! Starting and stopping a hub, and issuing pairing payloads: what `gocua hub` and the tests call.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use gocua_domain::{Lang, Role, TeamId, VolunteerId};
use gocua_store::Store;
use gocua_store::audit::{AuditKind, NewAudit};
use gocua_sync::HubLimits;
use gocua_sync::pairing::{JOIN_CODE_LOOKUP_LEN, PAIRING_VERSION, PairingPayload, new_join_code};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::limits::HttpLimits;
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
    #[error("a volunteer device is paired for one volunteer: give --volunteer")]
    VolunteerWithoutName,
    #[error("volunteer {0} is not in this ward's plan")]
    UnknownVolunteer(String),
    #[error("volunteer {volunteer} is not in team {team}")]
    VolunteerNotInTeam { volunteer: String, team: String },
}

impl HubError {
    pub fn code(&self) -> &'static str {
        match self {
            HubError::Store(e) => e.code(),
            HubError::Tls(_) => "tls",
            HubError::Bind { .. } => "bind",
            HubError::UnknownTeam(_) => "unknown_team",
            HubError::VolunteerWithoutTeam => "volunteer_without_team",
            HubError::VolunteerWithoutName => "volunteer_required",
            HubError::UnknownVolunteer(_) => "unknown_volunteer",
            HubError::VolunteerNotInTeam { .. } => "volunteer_not_in_team",
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
            (HubError::VolunteerWithoutName, Lang::Vi) => {
                "Mỗi thiết bị tình nguyện viên được ghép nối cho một người: hãy ghi --volunteer"
                    .into()
            }
            (HubError::UnknownVolunteer(v), Lang::Vi) => {
                format!("Kế hoạch của phường không có tình nguyện viên {v}")
            }
            (HubError::VolunteerNotInTeam { volunteer, team }, Lang::Vi) => {
                format!("Tình nguyện viên {volunteer} không thuộc tổ {team}")
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
    /// Limits of the HTTP layer: body sizes and deadlines, pairing guard, audit throttle.
    pub http: HttpLimits,
    /// The key of an encrypted hub replica; `None` (the default for the hub) for a plain file.
    pub key: Option<gocua_store::Key>,
    /// How the hub's commits reach the disk: `Grouped` (the default of `gocua hub serve`)
    /// answers each request only after one flush of the log outside the store lock, which
    /// concurrent requests share; `Full` waits for the disk inside every commit.
    pub durability: gocua_store::Durability,
}

/// A running hub.
pub struct RunningHub {
    pub addr: SocketAddr,
    pub fingerprint: [u8; 32],
    pub urls: Vec<String>,
    pub hub: Arc<Hub>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    flusher: JoinHandle<()>,
}

impl RunningHub {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
        // Wait until the flusher is gone: it holds the hub, and the store must be closed (its
        // WAL checkpointed) when this returns, so the file can be copied as a backup.
        self.flusher.abort();
        let _ = (&mut self.flusher).await;
        let hub = self.hub.clone();
        let _ = tokio::task::spawn_blocking(move || hub.flush_audit()).await;
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
            durability: cfg.durability,
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
    let hub = Hub::with_http(store, cfg.limits, cfg.http);
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(hub.clone());
    let task = tokio::spawn(serve::serve_tls(listener, config, app, async move {
        let _ = rx.await;
    }));
    // Summaries of throttled audit events are written when their period ends, even if the
    // flood that caused them has stopped.
    let flusher = {
        let hub = hub.clone();
        let every = std::time::Duration::from_secs(cfg.http.audit.period_secs.max(1) as u64);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let hub = hub.clone();
                let _ = tokio::task::spawn_blocking(move || hub.flush_audit()).await;
            }
        })
    };
    let urls: Vec<String> = hosts.iter().map(|h| url_for(h, addr.port())).collect();
    hub.set_address(urls.clone(), identity.fingerprint);
    Ok(RunningHub {
        addr,
        fingerprint: identity.fingerprint,
        urls,
        hub,
        stop: Some(tx),
        task,
        flusher,
    })
}

/// What a pairing payload says about the hub: where to reach it, its certificate, its ward.
#[derive(Clone, Copy, Debug)]
pub struct HubIdentity<'a> {
    pub urls: &'a [String],
    pub fingerprint: [u8; 32],
    pub ward: &'a str,
}

/// Who a pairing code makes the new device: a role, a team, and (for volunteers, and leads who
/// record visits) the volunteer its visits are credited to. Checked against the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceFor {
    pub role: Role,
    pub team: Option<TeamId>,
    pub volunteer: Option<VolunteerId>,
}

impl DeviceFor {
    /// A device for a volunteer of the plan, in their team.
    pub fn volunteer(store: &Store, volunteer: &VolunteerId) -> Result<DeviceFor, HubError> {
        DeviceFor {
            role: Role::Volunteer,
            team: None,
            volunteer: Some(volunteer.clone()),
        }
        .checked(store)
    }

    /// Fills the team in from the volunteer's and checks the two agree with the plan.
    pub fn checked(mut self, store: &Store) -> Result<DeviceFor, HubError> {
        if let Some(v) = &self.volunteer {
            let found = store
                .volunteers()?
                .into_iter()
                .find(|x| &x.id == v)
                .ok_or_else(|| HubError::UnknownVolunteer(v.to_string()))?;
            match (&self.team, &found.team) {
                (None, t) => self.team = t.clone(),
                (Some(t), Some(planned)) if t != planned => {
                    return Err(HubError::VolunteerNotInTeam {
                        volunteer: v.to_string(),
                        team: t.to_string(),
                    });
                }
                _ => {}
            }
        }
        if self.role == Role::Volunteer && self.volunteer.is_none() {
            return Err(HubError::VolunteerWithoutName);
        }
        if self.role == Role::Volunteer && self.team.is_none() {
            return Err(HubError::VolunteerWithoutTeam);
        }
        if let Some(t) = &self.team
            && !store.hub_team_exists(t)?
        {
            return Err(HubError::UnknownTeam(t.to_string()));
        }
        Ok(self)
    }
}

/// Issues a one-time join code for a device (checked with [`DeviceFor::checked`]) and returns
/// the QR payload.
pub fn new_pairing(
    store: &Store,
    device: &DeviceFor,
    hub: &HubIdentity<'_>,
    ttl_secs: i64,
    now: i64,
) -> Result<PairingPayload, HubError> {
    let HubIdentity {
        urls,
        fingerprint,
        ward,
    } = *hub;
    let DeviceFor {
        role,
        team,
        volunteer,
    } = device.clone().checked(store)?;
    let team = team.as_ref();
    let expires_at = now + ttl_secs;
    let label = format!(
        "{}{}{}",
        role.as_str(),
        team.map(|t| format!(" {t}")).unwrap_or_default(),
        volunteer
            .as_ref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default()
    );
    // Names are 4 characters: on the rare collision with an earlier code, draw again.
    let code = loop {
        let code = new_join_code(rand::random());
        if store.hub_add_join_code(&code, role, team, volunteer.as_ref(), &label, expires_at)? {
            break code;
        }
    };
    let name: String = code.chars().take(JOIN_CODE_LOOKUP_LEN).collect();
    store.audit_append(
        &[NewAudit::new(AuditKind::OfficePairCode)
            .code(name)
            .detail(format!("{label}, {} min", ttl_secs / 60))],
        now,
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

/// Cuts a device off at once (`gocua hub revoke`), and logs it. `false` if no active device
/// has this id.
pub fn revoke_device(store: &Store, device: &str, now: i64) -> Result<bool, HubError> {
    let done = store.hub_revoke_device(device, now)?;
    if done {
        store.audit_append(
            &[NewAudit::new(AuditKind::OfficeRevoke).device(device)],
            now,
        )?;
    }
    Ok(done)
}

/// Unlocks the pairing guard (`gocua hub pairing-guard --clear`), and logs what it held.
pub fn clear_pairing_guard(store: &Store, now: i64) -> Result<(), HubError> {
    let before = store.hub_pairing_guard(now)?;
    store.hub_clear_pairing_guard()?;
    store.audit_append(
        &[NewAudit::new(AuditKind::OfficeGuardClear).detail(format!(
            "locked_until={:?} failures={} refused_while_locked={}",
            before.locked_until, before.failures, before.refused_while_locked
        ))],
        now,
    )?;
    Ok(())
}
