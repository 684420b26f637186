//! An HTTPS client that trusts exactly one hub: the one whose certificate fingerprint was pinned
//! when the phone scanned the hub's pairing QR code.
//!
//! The hub's certificate is self-signed and the hub is reached by a LAN IP address, so neither
//! CA chains nor host names can establish trust; the pinned SHA-256 of the certificate does.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum ClientTlsError {
    #[error("cannot set up TLS: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("cannot build the HTTP client: {0}")]
    Build(#[from] reqwest::Error),
}

/// The hub presented a certificate other than the pinned one.
///
/// Either the phone is talking to a different machine (wrong network, someone in the middle)
/// or the hub's identity was reset and the phone must pair again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinMismatch {
    pub expected: [u8; 32],
    pub actual: [u8; 32],
}

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate does not match the paired hub (expected {}, got {})",
            hex::encode(self.expected),
            hex::encode(self.actual)
        )
    }
}

impl StdError for PinMismatch {}

/// Accepts a server iff SHA-256 of its end-entity certificate equals the pin.
#[derive(Debug)]
struct PinnedCertVerifier {
    pin: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let actual: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if constant_time_eq(&actual, &self.pin) {
            Ok(ServerCertVerified::assertion())
        } else {
            // CertificateError::Other keeps our type reachable through the error chain, so
            // callers can tell "wrong hub" from "hub unreachable".
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch {
                    expected: self.pin,
                    actual,
                })),
            )))
        }
    }

    // The signature checks are what prove the server holds the pinned certificate's key; a
    // pin without them would accept anyone replaying the hub's public certificate.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The fingerprint is public, so timing leaks little; still, a comparison that does not stop at
/// the first differing byte costs nothing here.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// A rustls client configuration (ring provider) that trusts only the pinned certificate.
pub fn pinned_tls_config(cert_sha256: [u8; 32]) -> Result<rustls::ClientConfig, ClientTlsError> {
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinnedCertVerifier {
        pin: cert_sha256,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // The hub speaks HTTP/1.1 only; offering h2 would just be declined.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// An HTTP client for talking to the paired hub.
///
/// `timeout` bounds each whole request, connection included. Proxies from the environment are
/// ignored because the hub is on the local network where a proxy cannot reach it, and plain
/// `http://` URLs are refused because they would bypass the pin.
pub fn pinned_client(
    cert_sha256: [u8; 32],
    timeout: Duration,
) -> Result<reqwest::Client, ClientTlsError> {
    let config = pinned_tls_config(cert_sha256)?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .https_only(true)
        .no_proxy()
        .http1_only()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()?;
    Ok(client)
}

/// Whether a request failed because the server's certificate is not the pinned one.
pub fn is_pin_mismatch(err: &reqwest::Error) -> bool {
    pin_mismatch(err).is_some()
}

/// The mismatch details (expected and presented fingerprints), if that is why `err` happened.
pub fn pin_mismatch(err: &reqwest::Error) -> Option<&PinMismatch> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = find_in(e) {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// Looks through the wrappers whose `source()` hides what we need: `io::Error::source` skips
/// the error it wraps, and `rustls::Error` has no source at all.
fn find_in<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a PinMismatch> {
    if let Some(found) = e.downcast_ref::<PinMismatch>() {
        return Some(found);
    }
    if let Some(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner)))) =
        e.downcast_ref::<rustls::Error>()
    {
        return inner.downcast_ref::<PinMismatch>();
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return io.get_ref().and_then(|inner| find_in(inner));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_every_byte() {
        let a = [7u8; 32];
        let mut b = a;
        assert!(constant_time_eq(&a, &b));
        b[31] ^= 1;
        assert!(!constant_time_eq(&a, &b));
        b = a;
        b[0] ^= 0x80;
        assert!(!constant_time_eq(&a, &b));
    }

    #[test]
    fn verifier_checks_the_fingerprint() {
        let cert = CertificateDer::from(b"some certificate bytes".to_vec());
        let fp: [u8; 32] = Sha256::digest(cert.as_ref()).into();
        let provider = rustls::crypto::ring::default_provider();
        let name = ServerName::try_from("192.168.1.20").expect("ip name");
        let verifier = |pin| PinnedCertVerifier {
            pin,
            algorithms: provider.signature_verification_algorithms,
        };
        assert!(
            verifier(fp)
                .verify_server_cert(&cert, &[], &name, &[], UnixTime::now())
                .is_ok()
        );
        let err = verifier([0; 32])
            .verify_server_cert(&cert, &[], &name, &[], UnixTime::now())
            .expect_err("wrong pin");
        // Found through an io::Error wrapper, as tokio-rustls reports it.
        let wrapped = std::io::Error::new(std::io::ErrorKind::InvalidData, err);
        assert_eq!(
            find_in(&wrapped),
            Some(&PinMismatch {
                expected: [0; 32],
                actual: fp
            })
        );
    }

    #[test]
    fn client_builds() {
        pinned_client([1; 32], Duration::from_secs(5)).expect("client");
    }
}
