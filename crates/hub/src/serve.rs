//! The hub's HTTPS accept loop: TLS from tokio-rustls, HTTP/1.1 from hyper, routes from axum.
//!
//! axum's own `serve` only speaks plain TCP, so this loop does the TLS handshake itself and
//! hands each decrypted stream to hyper.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::Service;

/// A peer that has not finished the TLS handshake by then is either broken or holding a socket
/// open on purpose; either way it should not keep a task alive.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Same idea for a client that trickles its request headers in.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a stop waits for requests in flight (a large sync upload on slow Wi-Fi) before
/// cutting them off; the phone retries the sync anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Serves `app` over TLS on `listener` until `shutdown` resolves.
///
/// A connection that fails (plain HTTP on the TLS port, a phone rejecting our certificate, a
/// reset) is dropped on its own and never stops the server. Handlers can extract
/// `ConnectInfo<SocketAddr>` to see the peer's address. On shutdown the listener is closed at
/// once, idle connections are closed, and requests in flight get a short grace period.
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let acceptor = TlsAcceptor::from(tls);
    let (stop_tx, stop_rx) = watch::channel(());
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        // Finished connection tasks would otherwise pile up in the set for the server's life.
        while connections.try_join_next().is_some() {}

        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, peer)) => {
                connections.spawn(serve_connection(
                    tcp,
                    peer,
                    acceptor.clone(),
                    app.clone(),
                    stop_rx.clone(),
                ));
            }
            Err(e) if is_per_connection_error(&e) => {}
            Err(_) => {
                // Typically out of file descriptors: spinning would only burn the CPU that the
                // open connections need to finish and free some.
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
            }
        }
    }

    drop(listener);
    // Receivers were cloned from one that never observed a value, so even a task that has not
    // started yet sees this.
    let _ = stop_tx.send(());
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
    Ok(())
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    app: Router,
    mut stop: watch::Receiver<()>,
) {
    // Sync requests are small request/response pairs; Nagle would only add latency.
    let _ = tcp.set_nodelay(true);

    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp));
    let tls_stream = tokio::select! {
        result = handshake => match result {
            Ok(Ok(stream)) => stream,
            // Nobody to report to: the client sees its own error, and the hub has nothing to
            // fix. Dropping the stream closes the socket.
            Ok(Err(_)) | Err(_) => return,
        },
        _ = stop.changed() => return,
    };

    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        // Same extension axum's `into_make_service_with_connect_info` would insert, so handlers
        // can use the standard `ConnectInfo<SocketAddr>` extractor.
        req.extensions_mut().insert(ConnectInfo(peer));
        // Router is always ready (its poll_ready returns Ready), so calling without
        // poll_ready is sound; axum's own hyper example does the same.
        app.clone().call(req)
    });

    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let conn = builder.serve_connection(TokioIo::new(tls_stream), service);
    let mut conn = std::pin::pin!(conn);

    tokio::select! {
        // A connection error is the peer's problem (reset, malformed request) and ends only
        // this connection.
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

fn is_per_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}
