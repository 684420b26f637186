//! The browser shell over a real loopback socket: its own page is answered; another web site
//! (a foreign `Origin`), a foreign `Host` (DNS rebinding) and a non-JSON "simple" request are
//! refused before any command runs, and it will not listen beyond loopback.

use std::net::SocketAddr;

use gocua_shell::{PinKeyFile, REPLICA_FILE, Shell};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn start() -> (SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("ui");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(
        ui.join("index.html"),
        "<!doctype html><meta charset=\"utf-8\">Gõ Cửa",
    )
    .unwrap();
    let data = dir.path().join("phone");
    let keys = PinKeyFile::beside(&data.join(REPLICA_FILE)).with_iterations(1_000);
    let shell = Shell::open_with(&data, keys, gocua_domain::Lang::Vi).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(gocua_shell::http::serve(
        shell,
        ui,
        "127.0.0.1:0".parse().unwrap(),
        move |a| {
            let _ = tx.send(a);
        },
    ));
    (rx.await.unwrap(), dir)
}

/// One HTTP/1.1 request; the status code and the body.
async fn request(addr: SocketAddr, head: &str, body: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn post(path: &str, host: &str, extra: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: {host}{extra}")
}

const JSON: &str = "\r\nContent-Type: application/json";

#[tokio::test]
async fn its_own_page_is_answered_and_others_are_refused_before_anything_runs() {
    let (addr, _dir) = start().await;
    let host = addr.to_string();
    let demo = r#"{"seed": 3, "households": 20}"#;

    // A page of another site posting to the phone: refused, no ward made.
    let evil = format!("{JSON}\r\nOrigin: http://evil.example");
    let (status, body) = request(
        addr,
        &post("/api/v1/command/generate_demo", &host, &evil),
        demo,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("forbidden_origin"), "{body}");
    // A rebinding name pointing at loopback: refused.
    let (status, _) = request(
        addr,
        &post("/api/v1/command/generate_demo", "evil.example:80", JSON),
        demo,
    )
    .await;
    assert_eq!(status, 403);
    // A form post (no preflight in a browser): refused.
    let form = "\r\nContent-Type: text/plain";
    let (status, body) = request(
        addr,
        &post("/api/v1/command/generate_demo", &host, form),
        demo,
    )
    .await;
    assert_eq!(status, 415, "{body}");
    let (status, body) = request(
        addr,
        &post("/api/v1/command/list_streets", &host, JSON),
        "{}",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "[]"), "nothing was made");

    // Its own page: answered.
    let own = format!("{JSON}\r\nOrigin: http://{host}");
    let (status, body) = request(
        addr,
        &post("/api/v1/command/generate_demo", &host, &own),
        demo,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = request(
        addr,
        &post("/api/v1/command/list_streets", &host, JSON),
        "{}",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.starts_with("[{"), "{body}");

    // Errors come back as {code, message} in the language asked for.
    let en = format!("{JSON}\r\nAccept-Language: en-GB,en");
    let (status, body) = request(addr, &post("/api/v1/command/nope", &host, &en), "{}").await;
    assert_eq!(status, 422);
    let e: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(e["code"].is_string() && e["message"].is_string(), "{body}");
    let (_, broken) = request(
        addr,
        &post("/api/v1/shell/pair", &host, JSON),
        "{\"payload\": ",
    )
    .await;
    assert!(broken.contains("bad_json"), "{broken}");

    // The shell's status, and the built UI for everything else.
    let (status, body) = request(addr, &post("/api/v1/shell/status", &host, JSON), "null").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"paired\":false"), "{body}");
    let (status, body) = request(
        addr,
        &format!("GET /households HTTP/1.1\r\nHost: {host}"),
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("Gõ Cửa"));
    let (status, _) = request(
        addr,
        &format!("GET /../secret HTTP/1.1\r\nHost: {host}"),
        "",
    )
    .await;
    assert_ne!(status, 200);
}

#[tokio::test]
async fn it_listens_on_loopback_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("phone");
    let shell = Shell::open(&data, gocua_domain::Lang::Vi).unwrap();
    let err = gocua_shell::http::serve(
        shell,
        dir.path().into(),
        "0.0.0.0:0".parse().unwrap(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
