//! The hub's self-signed TLS identity: created on first start, reloaded afterwards so that the
//! certificate fingerprint phones have pinned never changes.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// Certificate file name inside the hub's data directory.
pub const CERT_FILE: &str = "hub-cert.pem";
/// Private key file name inside the hub's data directory.
pub const KEY_FILE: &str = "hub-key.pem";

/// Ten years: longer than a hub is likely to live, because renewing would change the
/// fingerprint and force every phone to pair again. Phones pin the fingerprint and ignore
/// validity dates anyway; the dates matter only to other tools that look at the certificate.
const VALIDITY_DAYS: i64 = 3652;

/// The hub's certificate and key in DER form, plus the SHA-256 phones pin.
#[derive(Clone)]
pub struct HubTls {
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
    pub fingerprint: [u8; 32],
}

impl fmt::Debug for HubTls {
    // The key must never end up in a log line through a stray `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubTls")
            .field("cert_der_len", &self.cert_der.len())
            .field(
                "fingerprint",
                &gocua_sync::pairing::fingerprint_hex(&self.fingerprint),
            )
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot generate the hub certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{} does not contain a PEM {what}", path.display())]
    BadPem { path: PathBuf, what: &'static str },
    #[error(
        "{} is missing but {} exists; restore the key from a backup \
         (a new certificate would make every paired phone refuse this hub)",
        key.display(),
        cert.display()
    )]
    MissingKey { cert: PathBuf, key: PathBuf },
    #[error("the hub private key is not usable: {0}")]
    BadKey(&'static str),
    #[error("the hub certificate and key do not fit together: {0}")]
    Rustls(#[from] rustls::Error),
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> TlsError + 'a {
    move |source| TlsError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Loads the hub identity from `dir`, or creates it there on first start.
///
/// `names` are extra host names or IP addresses for the certificate's subject alternative
/// names; they only help tools other than our phones (which pin the fingerprint and ignore
/// names), so names added on later starts are not written into the existing certificate.
pub fn load_or_create(dir: &Path, names: &[String]) -> Result<HubTls, TlsError> {
    let cert_path = dir.join(CERT_FILE);
    let key_path = dir.join(KEY_FILE);
    let cert_exists = cert_path
        .try_exists()
        .map_err(io_err("check", &cert_path))?;
    let key_exists = key_path.try_exists().map_err(io_err("check", &key_path))?;
    match (cert_exists, key_exists) {
        (true, true) => load(&cert_path, &key_path),
        // Regenerating here would silently unpair every phone; make a person decide.
        (true, false) => Err(TlsError::MissingKey {
            cert: cert_path,
            key: key_path,
        }),
        // The certificate is written last, so a key without a certificate is a leftover from
        // an interrupted first start and no phone can have pinned anything yet.
        (false, _) => create(dir, &cert_path, &key_path, names),
    }
}

/// A rustls server configuration for the hub, on the ring provider, speaking HTTP/1.1.
pub fn server_config(tls: &HubTls) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::try_from(tls.key_der.clone()).map_err(TlsError::BadKey)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(tls.cert_der.clone())], key)?;
    // The server side is built on hyper's HTTP/1 connection only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn load(cert_path: &Path, key_path: &Path) -> Result<HubTls, TlsError> {
    let cert_pem = fs::read(cert_path).map_err(io_err("read", cert_path))?;
    let key_pem = fs::read(key_path).map_err(io_err("read", key_path))?;
    let cert = CertificateDer::from_pem_slice(&cert_pem).map_err(|_| TlsError::BadPem {
        path: cert_path.to_path_buf(),
        what: "certificate",
    })?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::BadPem {
        path: key_path.to_path_buf(),
        what: "private key",
    })?;
    // Catch a swapped or corrupted key at startup rather than on the first handshake.
    let provider = rustls::crypto::ring::default_provider();
    CertifiedKey::from_der(vec![cert.clone()], key.clone_key(), &provider)?;
    Ok(HubTls {
        fingerprint: gocua_sync::pairing::fingerprint(cert.as_ref()),
        cert_der: cert.as_ref().to_vec(),
        key_der: key.secret_der().to_vec(),
    })
}

fn create(
    dir: &Path,
    cert_path: &Path,
    key_path: &Path,
    names: &[String],
) -> Result<HubTls, TlsError> {
    fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;

    let mut sans: Vec<String> = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if !sans.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            sans.push(name.to_string());
        }
    }

    // ECDSA P-256 (rcgen's default): small certificates and cheap handshakes on old phones.
    let key_pair = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(sans)?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, "Gõ Cửa hub");
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    // A day of slack for devices whose clock runs behind the hub's.
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALIDITY_DAYS);
    let cert = params.self_signed(&key_pair)?;

    // Key first, certificate last: the certificate's presence marks a complete identity.
    write_atomically(key_path, key_pair.serialize_pem().as_bytes(), true)?;
    write_atomically(cert_path, cert.pem().as_bytes(), false)?;
    sync_dir(dir);

    let cert_der = cert.der().as_ref().to_vec();
    Ok(HubTls {
        fingerprint: gocua_sync::pairing::fingerprint(&cert_der),
        cert_der,
        key_der: key_pair.serialize_der(),
    })
}

/// Writes via a temporary file and rename so that a power cut never leaves a truncated key or
/// certificate behind (which would otherwise be the hub's identity from then on).
fn write_atomically(path: &Path, data: &[u8], secret: bool) -> Result<(), TlsError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    // A leftover temporary file keeps its old mode when reopened, so start from scratch.
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("remove", &tmp)(e)),
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Created private rather than chmod-ed afterwards, so the key is never readable by
        // others, not even for a moment.
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(&tmp).map_err(io_err("create", &tmp))?;
    file.write_all(data).map_err(io_err("write", &tmp))?;
    file.sync_all().map_err(io_err("sync", &tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io_err("rename into place", path))?;
    Ok(())
}

/// Best effort: makes the renames durable on filesystems that need a directory fsync. Failure
/// only weakens crash safety, and some platforms cannot open directories at all.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_start_loads_the_same_identity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = load_or_create(dir.path(), &["192.168.1.20".to_string()]).expect("create");
        let second = load_or_create(dir.path(), &["other.local".to_string()]).expect("load");
        assert_eq!(first.fingerprint, second.fingerprint);
        assert_eq!(first.cert_der, second.cert_der);
        assert_eq!(first.key_der, second.key_der);
        assert_eq!(
            first.fingerprint,
            gocua_sync::pairing::fingerprint(&first.cert_der)
        );
        server_config(&second).expect("loaded identity makes a server config");

        // A different directory is a different hub.
        let other = tempfile::tempdir().expect("tempdir");
        let third = load_or_create(other.path(), &[]).expect("create");
        assert_ne!(first.fingerprint, third.fingerprint);
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        load_or_create(dir.path(), &[]).expect("create");
        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .expect("key file exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
        assert!(dir.path().join(CERT_FILE).exists());
        assert!(!dir.path().join("hub-key.pem.tmp").exists());
    }

    #[test]
    fn creates_missing_directory_and_names_sans() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("data").join("tls");
        let tls = load_or_create(
            &nested,
            &["10.1.2.3".to_string(), "hub.ward.local".to_string()],
        )
        .expect("create");
        let pem = fs::read_to_string(nested.join(CERT_FILE)).expect("cert written");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        // The DNS names appear verbatim in the DER; IP addresses as their 4 raw bytes.
        let der = &tls.cert_der;
        let contains = |needle: &[u8]| der.windows(needle.len()).any(|w| w == needle);
        assert!(contains(b"localhost"));
        assert!(contains(b"hub.ward.local"));
        assert!(contains(&[10, 1, 2, 3]));
        assert!(contains(&[127, 0, 0, 1]));
    }

    #[test]
    fn missing_key_is_an_error_not_a_new_identity() {
        let dir = tempfile::tempdir().expect("tempdir");
        load_or_create(dir.path(), &[]).expect("create");
        fs::remove_file(dir.path().join(KEY_FILE)).expect("remove key");
        let err = load_or_create(dir.path(), &[]).expect_err("must not regenerate");
        assert!(matches!(err, TlsError::MissingKey { .. }), "{err}");
    }

    #[test]
    fn mismatched_key_is_rejected_at_load() {
        let a = tempfile::tempdir().expect("tempdir");
        let b = tempfile::tempdir().expect("tempdir");
        load_or_create(a.path(), &[]).expect("create a");
        load_or_create(b.path(), &[]).expect("create b");
        fs::copy(b.path().join(KEY_FILE), a.path().join(KEY_FILE)).expect("swap key");
        let err = load_or_create(a.path(), &[]).expect_err("key of another hub");
        assert!(matches!(err, TlsError::Rustls(_)), "{err}");
    }

    #[test]
    fn garbage_pem_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(CERT_FILE), "not pem").expect("write");
        fs::write(dir.path().join(KEY_FILE), "not pem").expect("write");
        let err = load_or_create(dir.path(), &[]).expect_err("garbage");
        assert!(matches!(err, TlsError::BadPem { .. }), "{err}");
    }

    #[test]
    fn debug_does_not_print_the_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tls = load_or_create(dir.path(), &[]).expect("create");
        let shown = format!("{tls:?}");
        assert!(!shown.contains("key_der"), "{shown}");
        assert!(shown.contains(&gocua_sync::pairing::fingerprint_hex(&tls.fingerprint)));
    }
}
