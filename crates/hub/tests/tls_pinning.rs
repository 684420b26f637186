//! End to end over loopback: the hub's TLS server against the phone's pinned client.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use gocua_client::tls::{is_pin_mismatch, pin_mismatch, pinned_client};
use gocua_hub::serve::serve_tls;
use gocua_hub::tls::{load_or_create, server_config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const TIMEOUT: Duration = Duration::from_secs(10);

fn app() -> Router {
    Router::new()
        .route("/ping", get(|| async { "pong" }))
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_client_talks_only_to_its_hub() {
    let dir = tempfile::tempdir().expect("tempdir");
    let identity = load_or_create(dir.path(), &[]).expect("hub identity");
    let config = server_config(&identity).expect("server config");

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_tls(listener, config, app(), async {
        let _ = stop_rx.await;
    }));
    let url = |path: &str| format!("https://{addr}{path}");

    // The right pin gets through, and handlers see the peer address.
    let good = pinned_client(identity.fingerprint, TIMEOUT).expect("client");
    let body = good
        .get(url("/ping"))
        .send()
        .await
        .expect("request with the right pin")
        .error_for_status()
        .expect("200")
        .text()
        .await
        .expect("body");
    assert_eq!(body, "pong");
    let peer = good
        .get(url("/peer"))
        .send()
        .await
        .expect("peer request")
        .text()
        .await
        .expect("body");
    assert_eq!(peer, "127.0.0.1");

    // A wrong pin fails, and the failure is recognisable as a pin mismatch.
    let mut wrong_fp = identity.fingerprint;
    wrong_fp[0] ^= 0xFF;
    let bad = pinned_client(wrong_fp, TIMEOUT).expect("client");
    let err = bad
        .get(url("/ping"))
        .send()
        .await
        .expect_err("a wrong pin must not connect");
    assert!(
        is_pin_mismatch(&err),
        "not recognised as a pin mismatch: {err:?}"
    );
    let details = pin_mismatch(&err).expect("details");
    assert_eq!(details.expected, wrong_fp);
    assert_eq!(details.actual, identity.fingerprint);

    // A plain HTTP request to the TLS port gets no HTTP answer.
    let mut plain = TcpStream::connect(addr).await.expect("connect");
    plain
        .write_all(b"GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut reply = Vec::new();
    let read = tokio::time::timeout(TIMEOUT, plain.read_to_end(&mut reply)).await;
    assert!(read.is_ok(), "server kept a plain-HTTP connection open");
    assert!(
        !String::from_utf8_lossy(&reply).contains("pong"),
        "plain HTTP was served: {reply:?}"
    );

    // Neither failure stopped the server: a fresh client still gets through.
    let fresh = pinned_client(identity.fingerprint, TIMEOUT).expect("client");
    for _ in 0..3 {
        let body = fresh
            .get(url("/ping"))
            .send()
            .await
            .expect("server still serving after bad peers")
            .text()
            .await
            .expect("body");
        assert_eq!(body, "pong");
    }

    // Shutdown ends serve_tls promptly, even with idle keep-alive connections open, and
    // the port stops accepting.
    stop_tx.send(()).expect("server still running");
    let result = tokio::time::timeout(TIMEOUT, server)
        .await
        .expect("serve_tls did not stop")
        .expect("server task panicked");
    result.expect("serve_tls result");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "port still accepting after shutdown"
    );
    let after = fresh.get(url("/ping")).send().await;
    assert!(after.is_err(), "request served after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_a_request_in_flight() {
    let dir = tempfile::tempdir().expect("tempdir");
    let identity = load_or_create(dir.path(), &[]).expect("hub identity");
    let config = server_config(&identity).expect("server config");
    let (entered_tx, entered_rx) = oneshot::channel::<()>();
    let entered_tx = std::sync::Mutex::new(Some(entered_tx));
    let entered_tx = std::sync::Arc::new(entered_tx);
    let app = Router::new().route(
        "/slow",
        get(move || {
            let entered_tx = entered_tx.clone();
            async move {
                if let Some(tx) = entered_tx.lock().expect("lock").take() {
                    let _ = tx.send(());
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                "done"
            }
        }),
    );

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_tls(listener, config, app, async {
        let _ = stop_rx.await;
    }));

    let client = pinned_client(identity.fingerprint, TIMEOUT).expect("client");
    let request = tokio::spawn(async move {
        client
            .get(format!("https://{addr}/slow"))
            .send()
            .await?
            .text()
            .await
    });
    entered_rx.await.expect("handler started");
    stop_tx.send(()).expect("server still running");

    let body = request
        .await
        .expect("join")
        .expect("in-flight request completes");
    assert_eq!(body, "done");
    tokio::time::timeout(TIMEOUT, server)
        .await
        .expect("serve_tls did not stop")
        .expect("server task panicked")
        .expect("serve_tls result");
}

/// An impostor that copied the hub's public certificate but not its private key must fail:
/// the pin alone is not proof, the handshake signature is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stolen_certificate_without_key_is_refused() {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use rustls::sign::{CertifiedKey, SingleCertAndKey};
    use std::sync::Arc;

    let hub_dir = tempfile::tempdir().expect("tempdir");
    let hub = load_or_create(hub_dir.path(), &[]).expect("hub identity");
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = load_or_create(other_dir.path(), &[]).expect("impostor key");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let wrong_key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::try_from(other.key_der.clone()).expect("key der"))
        .expect("load key");
    // CertifiedKey::new skips the key/certificate match check that with_single_cert does.
    let forged = CertifiedKey::new(vec![CertificateDer::from(hub.cert_der.clone())], wrong_key);
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(forged)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_tls(listener, Arc::new(config), app(), async {
        let _ = stop_rx.await;
    }));

    let client = pinned_client(hub.fingerprint, TIMEOUT).expect("client");
    let err = client
        .get(format!("https://{addr}/ping"))
        .send()
        .await
        .expect_err("impostor must be refused");
    // The certificate matches the pin, so this is a different failure from a pin mismatch.
    assert!(!is_pin_mismatch(&err), "{err:?}");

    stop_tx.send(()).expect("server still running");
    tokio::time::timeout(TIMEOUT, server)
        .await
        .expect("serve_tls did not stop")
        .expect("server task panicked")
        .expect("serve_tls result");
}
