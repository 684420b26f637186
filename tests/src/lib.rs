//! Harness for end-to-end tests and sync benchmarks: a generated ward on a real HTTPS hub on
//! loopback, phone replicas in temporary SQLite files, and a TCP proxy that can cut connections.

pub mod crash;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use gocua_client::SyncReport;
use gocua_domain::{DeviceId, Role, TeamId, Visit, VolunteerId};
use gocua_hub::{DeviceFor, HttpLimits, HubConfig, RunningHub};
use gocua_store::Store;
use gocua_wardgen::{GeneratedWard, WardSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const PAIR_NOW: i64 = 0;

pub fn small_ward(seed: u64, households: usize) -> GeneratedWard {
    gocua_wardgen::generate(&WardSpec::small(seed).with_households(households))
}

/// Writes a generated ward into a fresh replica file.
pub fn write_ward(path: &std::path::Path, g: &GeneratedWard) -> Store {
    let mut store = Store::open(path).expect("open hub replica");
    store.load_ward(g, |_, _| {}).expect("load ward");
    store
}

/// A TCP proxy in front of the hub. It can cut the next connection after a number of bytes from
/// the hub (a sync cut off mid-answer) and can be pointed at a restarted hub.
pub struct CutProxy {
    pub addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    /// Bytes to let through from the hub on the next connection before cutting it; < 0: no cut.
    cut_down_after: Arc<AtomicI64>,
    task: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    pub async fn start(target: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let target = Arc::new(Mutex::new(target));
        let cut = Arc::new(AtomicI64::new(-1));
        let (t2, c2) = (target.clone(), cut.clone());
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let to = *t2.lock().expect("target");
                let budget = c2.swap(-1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(to).await else {
                        return;
                    };
                    let (mut ri, mut wi) = inbound.into_split();
                    let (mut ro, mut wo) = outbound.into_split();
                    let up = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut ri, &mut wo).await;
                        let _ = wo.shutdown().await;
                    });
                    let mut buf = vec![0u8; 16 * 1024];
                    let mut sent: i64 = 0;
                    loop {
                        let n = match ro.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let n = if budget >= 0 {
                            (n as i64).min(budget - sent).max(0) as usize
                        } else {
                            n
                        };
                        if n > 0 && wi.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        sent += n as i64;
                        if budget >= 0 && sent >= budget {
                            break;
                        }
                    }
                    let _ = wi.shutdown().await;
                    up.abort();
                });
            }
        });
        CutProxy {
            addr,
            target,
            cut_down_after: cut,
            task,
        }
    }

    pub fn retarget(&self, to: SocketAddr) {
        *self.target.lock().expect("target") = to;
    }

    /// The next connection is cut after `bytes` from the hub.
    pub fn cut_next_after(&self, bytes: i64) {
        self.cut_down_after.store(bytes, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A hub on loopback behind a cutting proxy, with its replica in a temporary folder.
pub struct TestHub {
    pub http: HttpLimits,
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub running: Option<RunningHub>,
    pub proxy: CutProxy,
    pub ward_name: String,
}

impl TestHub {
    pub async fn start(g: &GeneratedWard) -> TestHub {
        Self::start_with(g, HttpLimits::default()).await
    }

    /// A hub with its own HTTP limits (short deadlines, small budgets).
    pub async fn start_with(g: &GeneratedWard, http: HttpLimits) -> TestHub {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("hub.sqlite");
        drop(write_ward(&db, g));
        let running = Self::run(&db, http).await;
        let proxy = CutProxy::start(running.addr).await;
        TestHub {
            http,
            dir,
            db,
            running: Some(running),
            proxy,
            ward_name: g.ward.name.clone(),
        }
    }

    async fn run(db: &std::path::Path, http: HttpLimits) -> RunningHub {
        gocua_hub::start(HubConfig {
            db: db.to_path_buf(),
            bind: "127.0.0.1:0".parse().expect("addr"),
            advertise: vec!["127.0.0.1".into()],
            limits: Default::default(),
            http,
            key: None,
            durability: gocua_store::Durability::Grouped,
        })
        .await
        .expect("start hub")
    }

    pub fn running(&self) -> &RunningHub {
        self.running.as_ref().expect("hub running")
    }

    pub fn fingerprint(&self) -> [u8; 32] {
        self.running().fingerprint
    }

    /// Stops the hub and starts it again on the same replica and certificate.
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        let r = Self::run(&self.db, self.http).await;
        self.proxy.retarget(r.addr);
        self.running = Some(r);
    }

    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut s = self.running().hub.store.lock().expect("hub store");
        f(&mut s)
    }

    /// A pairing QR payload (as text) for a role and team, reaching the hub through the proxy.
    /// A volunteer's code is for the team's volunteer with the fewest devices so far.
    pub fn pairing(&self, role: Role, team: Option<&str>) -> String {
        let team = team.map(|t| TeamId::parse(t).expect("team id"));
        let device = self.with_store(|s| device_for(s, role, team.as_ref()));
        self.pairing_for(&device)
    }

    /// A pairing QR payload for exactly this device.
    pub fn pairing_for(&self, device: &DeviceFor) -> String {
        let fp = self.fingerprint();
        let urls = vec![self.proxy.url()];
        let ward = self.ward_name.clone();
        self.with_store(|s| {
            gocua_hub::new_pairing(
                s,
                device,
                &gocua_hub::HubIdentity {
                    urls: &urls,
                    fingerprint: fp,
                    ward: &ward,
                },
                600,
                gocua_hub::server::now(),
            )
            .expect("pairing")
            .to_uri()
        })
    }
}

/// The device a test pairs for a role and team: a volunteer's is the team's volunteer with the
/// fewest devices so far; leads and the office record no visits of their own.
pub fn device_for(store: &Store, role: Role, team: Option<&TeamId>) -> DeviceFor {
    let volunteer = (role == Role::Volunteer).then(|| {
        let devices = store.hub_devices().expect("devices");
        store
            .volunteers()
            .expect("volunteers")
            .into_iter()
            .filter(|v| v.team.as_ref() == team)
            .min_by_key(|v| {
                devices
                    .iter()
                    .filter(|d| d.volunteer.as_ref() == Some(&v.id))
                    .count()
            })
            .expect("a volunteer in the team")
            .id
    });
    DeviceFor {
        role,
        team: team.cloned(),
        volunteer,
    }
}

/// A visit as the paired replica's app records it: from this device, and credited to the
/// device's volunteer and team when it has one (leads without one record for anyone).
pub fn paired_visit(store: &Store, mut v: Visit) -> Visit {
    let meta = |k: &str| store.meta_get(k).expect("meta");
    v.device = meta("device.id").map(|d| DeviceId::parse(&d).expect("device id"));
    if let Some(vol) = meta("device.volunteer") {
        v.volunteer = VolunteerId::parse(&vol).expect("volunteer id");
        v.team = meta("device.team").map(|t| TeamId::parse(&t).expect("team id"));
    }
    v
}

/// A phone replica in its own temporary file.
pub struct Phone {
    pub name: String,
    pub dir: tempfile::TempDir,
    pub store: Store,
    /// The key file of an encrypted phone ([`Phone::encrypted`]).
    pub key_file: Option<gocua_store::KeyFile>,
}

impl Phone {
    pub fn new(name: &str) -> Phone {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("phone.sqlite")).expect("open phone");
        Phone {
            name: name.to_string(),
            dir,
            store,
            key_file: None,
        }
    }

    /// A phone whose replica is encrypted from its first byte, with a new random key in
    /// `phone.sqlite.key` beside it, as `gocua pair` makes it.
    pub fn encrypted(name: &str) -> Phone {
        use gocua_store::KeyProvider as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("phone.sqlite");
        let key_file = gocua_store::KeyFile::beside(&path);
        let key = key_file.create().expect("key file");
        let store = Store::open_with(
            &path,
            gocua_store::StoreOptions {
                key: Some(key),
                ..Default::default()
            },
        )
        .expect("open encrypted phone");
        Phone {
            name: name.to_string(),
            dir,
            store,
            key_file: Some(key_file),
        }
    }

    pub async fn pair(
        &mut self,
        payload: &str,
    ) -> Result<gocua_client::PairInfo, gocua_client::ClientError> {
        gocua_client::pair(
            &mut self.store,
            payload,
            &self.name,
            gocua_hub::server::now(),
        )
        .await
    }

    pub async fn sync(&mut self) -> Result<SyncReport, gocua_client::ClientError> {
        gocua_client::sync(&mut self.store, &mut |_| {}).await
    }

    /// Hands the first street of the plan to another team in this replica: a plan change, which
    /// the hub refuses from a volunteer.
    pub fn reassign_first_street(&mut self, team: &str) {
        let (street, mut assignment) = self
            .store
            .plan_state()
            .expect("plan")
            .street_assign
            .into_iter()
            .next()
            .expect("an assigned street");
        assignment.team = TeamId::parse(team).expect("team id");
        self.store
            .put_plan(&[gocua_store::PlanEntry::StreetAssignment { street, assignment }])
            .expect("plan change");
    }

    /// Records a visit as this paired device's app would (see [`paired_visit`]).
    pub fn record(&mut self, v: Visit) -> Visit {
        let v = paired_visit(&self.store, v);
        self.store.record_visit(&v).expect("record visit");
        v
    }

    pub fn household_ids(&self) -> Vec<String> {
        self.store
            .manifest()
            .expect("manifest")
            .into_iter()
            .map(|(id, _, _)| id)
            .filter(|id| id != gocua_store::PLAN_DOC_ID)
            .collect()
    }

    pub fn auth(&self) -> String {
        format!(
            "Bearer {}.{}",
            self.store
                .meta_get("device.id")
                .ok()
                .flatten()
                .unwrap_or_default(),
            self.store
                .meta_get("device.token")
                .ok()
                .flatten()
                .unwrap_or_default()
        )
    }
}

/// Sends raw bytes to the sync endpoint with a device's credential: for forged requests.
pub async fn raw_sync(hub: &TestHub, auth: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
    let client =
        gocua_client::tls::pinned_client(hub.fingerprint(), std::time::Duration::from_secs(30))
            .expect("client");
    let r = client
        .post(format!("{}{}", hub.proxy.url(), gocua_sync::api::PATH_SYNC))
        .header("authorization", auth)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("body").to_vec())
}

/// Every visit id in a replica's projection.
pub fn visit_ids(store: &Store) -> std::collections::BTreeSet<String> {
    store.visit_ids().expect("visit ids")
}

/// A zstd "bomb" sync frame: a valid header and checksum around a zstd payload of `real` zero
/// bytes, declaring a body of `declared` bytes. A few KB on the wire. The zstd frame is
/// streamed, so it does not state its size: the hub finds out only by inflating it.
pub fn bomb_frame(declared: u32, real: usize) -> Vec<u8> {
    let mut z = Vec::new();
    {
        let mut enc = zstd::stream::write::Encoder::new(&mut z, 19).expect("encoder");
        enc.include_contentsize(false).expect("no content size");
        let zeros = vec![0u8; 1 << 20];
        let mut left = real;
        while left > 0 {
            let n = left.min(zeros.len());
            std::io::Write::write_all(&mut enc, &zeros[..n]).expect("compress");
            left -= n;
        }
        enc.finish().expect("finish");
    }
    let mut out = gocua_sync::wire::MAGIC.to_vec();
    out.push(gocua_sync::wire::WIRE_VERSION);
    out.push(1); // zstd
    out.extend_from_slice(&declared.to_le_bytes());
    let mut h = crc32fast::Hasher::new();
    h.update(&out[4..10]);
    h.update(&z);
    out.extend_from_slice(&h.finalize().to_le_bytes());
    out.extend_from_slice(&z);
    out
}

/// A TLS connection to the hub that pins its certificate, for requests no real client sends
/// (headers without their body, a body trickled a byte at a time).
pub async fn raw_tls(
    addr: SocketAddr,
    fingerprint: [u8; 32],
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let config = gocua_client::tls::pinned_tls_config(fingerprint).expect("tls config");
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    connector.connect(name, tcp).await.expect("tls handshake")
}

/// An HTTP answer read off a raw connection.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    pub status: u16,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `code` of a JSON error body.
    pub fn code(&self) -> String {
        serde_json::from_slice::<gocua_sync::api::ErrorBody>(&self.body)
            .map(|b| b.code)
            .unwrap_or_else(|_| format!("not json: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Reads one HTTP/1.1 answer (status, headers, a Content-Length body). `None` if the
/// connection closes or `timeout` passes first.
pub async fn read_answer<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    timeout: std::time::Duration,
) -> Option<RawAnswer> {
    tokio::time::timeout(timeout, async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = buf[head_end + 4..].to_vec();
        while body.len() < len {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(len);
        Some(RawAnswer {
            status,
            headers,
            body,
        })
    })
    .await
    .ok()
    .flatten()
}

/// Peak resident memory of this process so far (VmHWM), in bytes.
pub fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Memory figures of a process, from `/proc/<pid>/status`, in bytes (`pid` may be "self").
#[derive(Clone, Copy, Debug, Default)]
pub struct Mem {
    pub rss: u64,
    /// Peak resident size (VmHWM).
    pub hwm: u64,
}

pub fn mem_of(pid: &str) -> Mem {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or(0)
    };
    Mem {
        rss: field("VmRSS:"),
        hwm: field("VmHWM:"),
    }
}

/// The machine's load average (1, 5, 15 minutes), for benchmark headers.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line every benchmark prints: cores, load, and whether this is a smoke run.
pub fn print_bench_header(quick: bool, quick_label: &str) {
    println!(
        "machine: {} cores, load average at start {}; mode: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        load_average(),
        if quick { quick_label } else { "full" }
    );
}
