//! Harness for end-to-end tests and sync benchmarks: a generated ward on a real HTTPS hub on
//! loopback, phone replicas in temporary SQLite files, and a TCP proxy that can cut connections.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use gocua_client::SyncReport;
use gocua_domain::{Role, TeamId};
use gocua_hub::{HubConfig, RunningHub};
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
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub running: Option<RunningHub>,
    pub proxy: CutProxy,
    pub ward_name: String,
}

impl TestHub {
    pub async fn start(g: &GeneratedWard) -> TestHub {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("hub.sqlite");
        drop(write_ward(&db, g));
        let running = Self::run(&db).await;
        let proxy = CutProxy::start(running.addr).await;
        TestHub {
            dir,
            db,
            running: Some(running),
            proxy,
            ward_name: g.ward.name.clone(),
        }
    }

    async fn run(db: &std::path::Path) -> RunningHub {
        gocua_hub::start(HubConfig {
            db: db.to_path_buf(),
            bind: "127.0.0.1:0".parse().expect("addr"),
            advertise: vec!["127.0.0.1".into()],
            limits: Default::default(),
            key: None,
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
        let r = Self::run(&self.db).await;
        self.proxy.retarget(r.addr);
        self.running = Some(r);
    }

    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut s = self.running().hub.store.lock().expect("hub store");
        f(&mut s)
    }

    /// A pairing QR payload (as text) for a role and team, reaching the hub through the proxy.
    pub fn pairing(&self, role: Role, team: Option<&str>) -> String {
        let team = team.map(|t| TeamId::parse(t).expect("team id"));
        let fp = self.fingerprint();
        let urls = vec![self.proxy.url()];
        let ward = self.ward_name.clone();
        self.with_store(|s| {
            gocua_hub::new_pairing(
                s,
                role,
                team.as_ref(),
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
