//! Where the province's database is and how to reach it: a `postgres://` URL without a password,
//! the password from `GOCUA_PROVINCE_PASSWORD` or a 0600 file, TLS (rustls) whenever the server
//! offers it, and the server's certificate checked against `sslrootcert` when one is given.
//!
//! `sslmode`: `prefer` (the default: TLS when the server offers it, plain otherwise), `require`
//! (TLS or nothing), `verify-full` (TLS, and the certificate must chain to `sslrootcert` and
//! name the host), `disable`. Without `sslrootcert` the connection is encrypted but, as with
//! libpq's `prefer`/`require`, the server is not authenticated; the README says to give one.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::{Error, Result};

/// The environment variable a password may come from.
pub const PASSWORD_ENV: &str = "GOCUA_PROVINCE_PASSWORD";
/// The environment variable the URL may come from (so `hub serve` needs none on its command line).
pub const URL_ENV: &str = "GOCUA_PROVINCE_URL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    Disable,
    Prefer,
    Require,
    VerifyFull,
}

/// A province database to connect to.
#[derive(Clone)]
pub struct Target {
    config: Config,
    tls: Tls,
    root_cert: Option<PathBuf>,
    /// The URL as shown to people (no password is ever in it).
    pub shown: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.shown)
            .field("tls", &self.tls)
            .finish()
    }
}

/// Reads a password file, refusing one that others may read.
pub fn read_password_file(path: &Path) -> Result<String> {
    let bad = |problem: &str| Error::PasswordFile {
        path: path.display().to_string(),
        problem: problem.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(|e| bad(&e.to_string()))?;
    if !meta.is_file() {
        return Err(bad("not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(bad(&format!(
                "mode {mode:03o}: others may read it; make it 0600 (chmod 600)"
            )));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(&e.to_string()))?;
    let pw = text.lines().next().unwrap_or_default().to_string();
    if pw.is_empty() {
        return Err(bad("empty"));
    }
    Ok(pw)
}

impl Target {
    /// Parses `url` (`postgres://user@host:port/db?sslmode=…&sslrootcert=…`); the password, if
    /// the server asks for one, is `password` (from the environment or a file, never the URL).
    pub fn parse(url: &str, password: Option<String>) -> Result<Target> {
        let url = url.trim();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(Error::BadUrl(
                "expected postgres://user@host:port/database".into(),
            ));
        }
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, q),
            None => (url, ""),
        };
        let mut tls = Tls::Prefer;
        let mut root_cert = None;
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "sslmode" => {
                    tls = match v {
                        "disable" => Tls::Disable,
                        "prefer" | "allow" => Tls::Prefer,
                        "require" => Tls::Require,
                        "verify-full" | "verify-ca" => Tls::VerifyFull,
                        other => return Err(Error::BadUrl(format!("unknown sslmode {other}"))),
                    }
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(v)),
                "password" => return Err(Error::PasswordInUrl),
                _ => rest.push(pair),
            }
        }
        let plain = if rest.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        let mut config = Config::from_str(&plain).map_err(|e| Error::BadUrl(e.to_string()))?;
        if config.get_password().is_some() {
            return Err(Error::PasswordInUrl);
        }
        if tls == Tls::VerifyFull && root_cert.is_none() {
            return Err(Error::BadUrl(
                "sslmode=verify-full needs sslrootcert=<the province's CA certificate file>".into(),
            ));
        }
        if let Some(pw) = password {
            config.password(pw);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("gocua");
        }
        config.ssl_mode(match tls {
            Tls::Disable => SslMode::Disable,
            Tls::Prefer => SslMode::Prefer,
            Tls::Require | Tls::VerifyFull => SslMode::Require,
        });
        Ok(Target {
            config,
            tls,
            root_cert,
            shown: url.to_string(),
        })
    }

    /// The URL from `GOCUA_PROVINCE_URL` (if `url` is `None`) and the password from
    /// `password_file` or `GOCUA_PROVINCE_PASSWORD`.
    pub fn from_env(url: Option<&str>, password_file: Option<&Path>) -> Result<Target> {
        let url = match url {
            Some(u) => u.to_string(),
            None => std::env::var(URL_ENV).map_err(|_| {
                Error::BadUrl(format!("no URL given (--to) and {URL_ENV} is not set"))
            })?,
        };
        let password = match password_file {
            Some(p) => Some(read_password_file(p)?),
            None => std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty()),
        };
        Target::parse(&url, password)
    }

    pub fn tls(&self) -> Tls {
        self.tls
    }

    fn connector(&self) -> Result<MakeRustlsConnect> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?;
        let config = match &self.root_cert {
            Some(path) => {
                let mut roots = rustls::RootCertStore::empty();
                let certs = CertificateDer::pem_file_iter(path)
                    .map_err(|e| Error::Tls(format!("{}: {e}", path.display())))?;
                for c in certs {
                    let c = c.map_err(|e| Error::Tls(format!("{}: {e}", path.display())))?;
                    roots
                        .add(c)
                        .map_err(|e| Error::Tls(format!("{}: {e}", path.display())))?;
                }
                if roots.is_empty() {
                    return Err(Error::Tls(format!(
                        "{}: no certificate in it",
                        path.display()
                    )));
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            None => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
                .with_no_client_auth(),
        };
        Ok(MakeRustlsConnect::new(config))
    }

    /// Opens a connection; its driver runs on the current tokio runtime.
    pub async fn connect(&self) -> Result<Client> {
        let tls = self.connector()?;
        let (client, connection) = self.config.connect(tls).await.map_err(|e| {
            match e.as_db_error() {
                // The server answered (a wrong password, no such database): say what it said.
                Some(d) => Error::Unreachable(format!("{}: {}", d.code().code(), d.message())),
                None => Error::Unreachable(e.to_string()),
            }
        })?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }
}

/// Whether this connection is encrypted (PostgreSQL's own view of it).
pub async fn is_tls(client: &Client) -> Result<bool> {
    Ok(client
        .query_one(
            "SELECT COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
            &[],
        )
        .await?
        .get(0))
}

/// Encrypts without authenticating the server (libpq's `sslmode=prefer`/`require` without a
/// root certificate): any certificate is taken, but the handshake's signatures are checked.
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
