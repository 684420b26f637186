//! Test and benchmark harness (feature `testing`): a throwaway PostgreSQL cluster from the
//! machine's own PostgreSQL binaries (Debian's `postgresql` package), in a temporary folder, on a
//! free loopback port, with a self-signed TLS certificate and a password login; stopped when
//! dropped, a panicking test included. As root (CI), the cluster belongs to the `postgres`
//! system user, since PostgreSQL refuses to run as root. Also a TCP proxy that cuts a connection
//! after a number of bytes, for reports killed half way.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use crate::Target;

/// The cluster's superuser and its password (tests only).
pub const USER: &str = "gocua";
pub const PASSWORD: &str = "province-test-password";

fn pg_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("GOCUA_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| rd.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    found.retain(|p| p.join("initdb").exists() && p.join("pg_ctl").exists());
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL's server binaries were not found under /usr/lib/postgresql/*/bin: \
             install Debian's `postgresql` package (scripts/test-all does), or set GOCUA_PG_BIN"
        )
    })
}

/// The uid and gid of the `postgres` system user, when this process is root.
fn run_as() -> Option<(u32, u32)> {
    // SAFETY: plain libc calls; getpwnam's result is read at once, before any other call.
    unsafe {
        if libc::geteuid() != 0 {
            return None;
        }
        let name = std::ffi::CString::new("postgres").expect("name");
        let pw = libc::getpwnam(name.as_ptr());
        assert!(
            !pw.is_null(),
            "running as root and there is no `postgres` user to run PostgreSQL as (Debian's \
             `postgresql` package makes it)"
        );
        Some(((*pw).pw_uid, (*pw).pw_gid))
    }
}

fn chown(path: &Path, owner: Option<(u32, u32)>) {
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown to postgres");
    }
}

fn command(bin: &Path, tool: &str, owner: Option<(u32, u32)>) -> Command {
    let mut c = Command::new(bin.join(tool));
    if let Some((uid, gid)) = owner {
        use std::os::unix::process::CommandExt;
        // As root, std also drops root's supplementary groups (setgroups) before setuid.
        c.uid(uid).gid(gid);
    }
    c.env_remove("PGDATA").env("LC_ALL", "C.UTF-8");
    c
}

fn write_private(path: &Path, text: &str, owner: Option<(u32, u32)>) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .expect("write file");
    f.write_all(text.as_bytes()).expect("write file");
    chown(path, owner);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A running throwaway cluster.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// The certificate the server presents (self-signed, for 127.0.0.1 and localhost).
    pub ca: PathBuf,
    data: PathBuf,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
}

impl Cluster {
    /// A cluster for tests: `fsync` off (a test never survives a power cut anyway).
    pub fn start() -> Cluster {
        Cluster::start_with(false)
    }

    pub fn start_with(fsync: bool) -> Cluster {
        let bin = pg_bin();
        let owner = run_as();
        let dir = tempfile::Builder::new()
            .prefix("gocua-pg-")
            .tempdir()
            .expect("temporary folder");
        chown(dir.path(), owner);
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        write_private(&pwfile, PASSWORD, owner);
        let out = command(&bin, "initdb", owner)
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                USER,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The server's certificate and key (the key must be private to the server's user).
        let key = rcgen::KeyPair::generate().expect("key");
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("params");
        let cert = params.self_signed(&key).expect("certificate");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, cert.pem()).expect("write ca");
        write_private(&data.join("server.crt"), &cert.pem(), owner);
        write_private(&data.join("server.key"), &key.serialize_pem(), owner);
        let port = free_port();
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n\
             fsync = {}\nmax_connections = 40\nshared_buffers = 64MB\n",
            dir.path().display(),
            if fsync { "on" } else { "off" }
        );
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .expect("postgresql.conf");
        f.write_all(conf.as_bytes()).expect("postgresql.conf");
        let log = dir.path().join("server.log");
        let cluster = Cluster {
            dir,
            port,
            ca,
            data,
            bin,
            owner,
        };
        let out = command(&cluster.bin, "pg_ctl", owner)
            .arg("-D")
            .arg(&cluster.data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "start"])
            .output()
            .expect("run pg_ctl start");
        assert!(
            out.status.success(),
            "PostgreSQL did not start: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        cluster
    }

    /// A URL for `database` on this cluster, TLS verified against the cluster's certificate.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{USER}@127.0.0.1:{}/{database}?sslmode=verify-full&sslrootcert={}",
            self.port,
            self.ca.display()
        )
    }

    /// The same through another port (a proxy in front of this cluster).
    pub fn url_via(&self, port: u16, database: &str) -> String {
        format!(
            "postgres://{USER}@127.0.0.1:{port}/{database}?sslmode=verify-full&sslrootcert={}",
            self.ca.display()
        )
    }

    pub fn target(&self, database: &str) -> Target {
        Target::parse(&self.url(database), Some(PASSWORD.to_string())).expect("target")
    }

    /// Makes a fresh database and returns a target for it.
    pub async fn database(&self, name: &str) -> Target {
        let admin = self.target("postgres");
        let client = admin.connect().await.expect("connect to the cluster");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        self.target(name)
    }

    /// Size of a database on disk, in bytes.
    pub async fn database_size(&self, name: &str) -> i64 {
        let client = self.target(name).connect().await.expect("connect");
        client
            .query_one("SELECT pg_database_size(current_database())", &[])
            .await
            .expect("size")
            .get(0)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = command(&self.bin, "pg_ctl", self.owner)
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// A TCP proxy in front of the cluster that can cut its next connection after a number of bytes
/// from the client (a report killed half way).
pub struct CutProxy {
    pub port: u16,
    cut_up_after: Arc<AtomicI64>,
    /// Bytes the last finished connection carried from the client.
    last_up: Arc<AtomicI64>,
    stop: Arc<AtomicBool>,
}

impl CutProxy {
    pub fn start(target_port: u16) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let cut = Arc::new(AtomicI64::new(-1));
        let stop = Arc::new(AtomicBool::new(false));
        let last_up = Arc::new(AtomicI64::new(0));
        let (c2, s2, l2) = (cut.clone(), stop.clone(), last_up.clone());
        std::thread::spawn(move || {
            for inbound in listener.incoming() {
                if s2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(inbound) = inbound else { continue };
                let Ok(outbound) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    continue;
                };
                let budget = c2.swap(-1, Ordering::SeqCst);
                let (mut ri, mut wo) = (
                    inbound.try_clone().expect("clone"),
                    outbound.try_clone().expect("clone"),
                );
                let (mut ro, mut wi) = (outbound, inbound);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut ro, &mut wi);
                    let _ = wi.shutdown(Shutdown::Both);
                });
                let last = l2.clone();
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 16 * 1024];
                    let mut sent: i64 = 0;
                    loop {
                        let n = match ri.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let n = if budget >= 0 {
                            (n as i64).min(budget - sent).max(0) as usize
                        } else {
                            n
                        };
                        if n > 0 && wo.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        sent += n as i64;
                        if budget >= 0 && sent >= budget {
                            break;
                        }
                    }
                    last.store(sent, Ordering::SeqCst);
                    // Both ways at once: the server sees the client vanish mid-statement.
                    let _ = wo.shutdown(Shutdown::Both);
                    let _ = ri.shutdown(Shutdown::Both);
                });
            }
        });
        CutProxy {
            port,
            cut_up_after: cut,
            last_up,
            stop,
        }
    }

    /// Bytes the last closed connection carried from the client to the server.
    pub fn last_bytes_up(&self) -> i64 {
        self.last_up.load(Ordering::SeqCst)
    }

    /// The next connection is cut after `bytes` from the client.
    pub fn cut_next_after(&self, bytes: i64) {
        self.cut_up_after.store(bytes, Ordering::SeqCst);
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A generated ward in a hub replica at `path`, loaded through the store's own writes, with the
/// last evening's visits held back (returned) so a test can bring them in as an evening's sync.
pub fn ward_hub(
    path: &Path,
    spec: &gocua_wardgen::WardSpec,
) -> (
    gocua_store::Store,
    gocua_wardgen::GeneratedWard,
    Vec<gocua_domain::Visit>,
) {
    let mut g = gocua_wardgen::generate(spec);
    let last_day = g.visits.iter().map(|v| v.at.local_date()).max();
    let (held, kept): (Vec<_>, Vec<_>) = g
        .visits
        .drain(..)
        .partition(|v| Some(v.at.local_date()) == last_day);
    g.visits = kept;
    let mut store = gocua_store::Store::open_with(
        path,
        gocua_store::StoreOptions {
            durability: gocua_store::Durability::Normal,
            ..Default::default()
        },
    )
    .expect("open the hub replica");
    store.load_ward(&g, |_, _| {}).expect("load the ward");
    g.visits.extend(held.iter().cloned());
    (store, g, held)
}

/// Seeds whose generated wards have pairwise distinct ward codes.
pub fn distinct_ward_seeds(n: usize, spec: impl Fn(u64) -> gocua_wardgen::WardSpec) -> Vec<u64> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut seed = 1u64;
    while out.len() < n {
        let mut s = spec(seed);
        s.households = 1;
        let code = gocua_wardgen::generate(&s).ward.id.to_string();
        if seen.insert(code) {
            out.push(seed);
        }
        seed += 1;
        assert!(seed < 10_000, "not enough distinct wards in the generator");
    }
    out
}
