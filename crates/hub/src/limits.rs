//! What one request may cost the hub: how large its body may be (derived from what the device
//! may hold), how fast it must arrive, and the reading of a body under those limits.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use gocua_store::hub::PairingPolicy;
use http_body_util::BodyExt;
use tokio::time::Instant;

use crate::audit::AuditLimits;
use crate::server::ApiError;

/// Limits of the HTTP layer; [`Default`] is what `gocua hub serve` uses. Tests shorten them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// A body may take this long before the minimum rate applies.
    pub body_grace: Duration,
    /// After the grace period, a body must have arrived at least this fast on average
    /// (bytes per second), or it is cut.
    pub min_body_rate: u64,
    /// No body takes longer than this, however fast it trickles.
    pub body_timeout: Duration,
    /// Bytes (decompressed) a sync request may carry per document the device may hold: its
    /// pushes and claim are about those documents only.
    pub per_doc_body: usize,
    /// Whatever a device holds, it may send this much.
    pub min_body: usize,
    /// Nobody may send more (the office's first sync of a whole ward included).
    pub max_body: usize,
    /// A pairing request is a code and a device name.
    pub pair_body: usize,
    /// A failed pairing is answered after this pause, to slow down guessing one by one.
    pub pair_failure_delay: Duration,
    /// Threads decoding frames (each holds up to one device's bound in memory).
    pub decoders: usize,
    pub pairing: PairingPolicy,
    pub audit: AuditLimits,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            body_grace: Duration::from_secs(10),
            min_body_rate: 16 << 10,
            body_timeout: Duration::from_secs(300),
            // A household document is about 1.1 KB stored and a visit a few hundred bytes of
            // changes: 16 KiB covers a re-paired phone pushing every document it holds.
            per_doc_body: 16 << 10,
            min_body: 2 << 20,
            max_body: gocua_sync::wire::MAX_BODY,
            pair_body: 4 << 10,
            pair_failure_delay: Duration::from_millis(250),
            decoders: 2,
            pairing: PairingPolicy::default(),
            audit: AuditLimits::default(),
        }
    }
}

impl HttpLimits {
    /// The largest decompressed sync body for a device that may hold `docs` documents.
    pub fn body_for(&self, docs: usize) -> usize {
        docs.saturating_mul(self.per_doc_body)
            .clamp(self.min_body.min(self.max_body), self.max_body)
    }
}

/// Reads a whole body of at most `cap` bytes, under the deadlines of `limits`. Refuses at once
/// a declared length over the cap, and stops reading as soon as the cap or a deadline is
/// passed (the connection is then closed by the server, since the rest is never read).
pub async fn read_body(
    body: Body,
    headers: &HeaderMap,
    cap: usize,
    limits: &HttpLimits,
) -> Result<Vec<u8>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(too_large(cap));
    }
    let started = Instant::now();
    let hard = started + limits.body_timeout;
    let mut out: Vec<u8> = Vec::with_capacity(declared.unwrap_or(0).min(1 << 20) as usize);
    let mut body = body;
    // Whether the body is behind its deadlines, checked on every frame and at least once a
    // second (a client sending a byte now and then must not reset a timer).
    let late = |received: usize| {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(started);
        let owed =
            elapsed.saturating_sub(limits.body_grace).as_secs_f64() * limits.min_body_rate as f64;
        now >= hard || (elapsed > limits.body_grace && (received as f64) < owed)
    };
    loop {
        let wake = (Instant::now() + Duration::from_secs(1)).min(hard);
        let frame = tokio::select! {
            f = body.frame() => f,
            () = tokio::time::sleep_until(wake) => {
                if late(out.len()) {
                    return Err(too_slow());
                }
                continue;
            }
        };
        match frame {
            None => break,
            Some(Err(_)) => return Err(broken_body()),
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data() {
                    if out.len() + data.len() > cap {
                        return Err(too_large(cap));
                    }
                    out.extend_from_slice(&data);
                }
            }
        }
        if late(out.len()) {
            return Err(too_slow());
        }
    }
    Ok(out)
}

/// Before refusing a request whose body is small (at most `SMALL_BODY`, as declared), reads and
/// drops it, briefly: answering with bytes unread makes the kernel reset the connection, which
/// can destroy the answer before the client reads it. Larger bodies are left unread (the
/// connection is closed after the answer): reading them is what a refusal must not cost.
pub async fn drain_small(body: Body, headers: &HeaderMap) {
    const SMALL_BODY: u64 = 64 << 10;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_none_or(|n| n > SMALL_BODY) {
        return;
    }
    let mut body = body;
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let mut seen = 0u64;
        while let Some(Ok(f)) = body.frame().await {
            seen += f.data_ref().map_or(0, |d| d.len() as u64);
            if seen > SMALL_BODY {
                break;
            }
        }
    })
    .await;
}

pub fn too_large(cap: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        &format!("Yêu cầu quá lớn: thiết bị này gửi được tối đa {cap} byte mỗi lượt"),
        &format!("Request too large: this device may send at most {cap} bytes per request"),
    )
}

pub fn too_slow() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        "Dữ liệu gửi lên quá chậm nên máy chủ phường đã ngắt: hãy kiểm tra Wi-Fi rồi thử lại",
        "The request body arrived too slowly and was cut off: check the Wi-Fi and try again",
    )
}

fn broken_body() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "body_broken",
        "Kết nối bị ngắt khi đang gửi dữ liệu",
        "The connection broke while the request was being sent",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volunteers_get_far_less_than_the_office() {
        let l = HttpLimits::default();
        assert_eq!(l.body_for(0), 2 << 20, "the floor");
        assert_eq!(l.body_for(1_000), 1_000 * (16 << 10));
        assert_eq!(l.body_for(10_000), 10_000 * (16 << 10));
        assert_eq!(
            l.body_for(1 << 40),
            gocua_sync::wire::MAX_BODY,
            "the ceiling"
        );
    }
}
