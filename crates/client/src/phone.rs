//! Pairing and syncing a phone replica with its hub over pinned HTTPS.

use std::time::{Duration, Instant};

use gocua_store::{KeyProvider, Store};
use gocua_sync::PhoneSession;
use gocua_sync::api::{self, ErrorBody, PairRequest, PairResponse};
use gocua_sync::pairing::{PairingPayload, fingerprint_hex};
use gocua_sync::protocol::Refusal;
use gocua_sync::wire::{self, SyncResponse};

use crate::{ClientError, tls};

/// The hub's name in this replica's sync records.
pub const HUB_PEER: &str = "hub";
const TIMEOUT: Duration = Duration::from_secs(120);

/// What pairing stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PairInfo {
    pub hub_urls: Vec<String>,
    pub fingerprint: String,
    pub device_id: String,
    pub role: String,
    pub team: Option<String>,
    pub volunteer: Option<String>,
    pub ward: String,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SyncReport {
    pub rounds: u32,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub pushed: u32,
    pub accepted: u32,
    pub pulled: u32,
    pub new_docs: u32,
    pub dropped: u32,
    pub kept_despite_drop: u32,
    #[serde(skip)]
    pub refused: Vec<Refusal>,
    pub refused_count: u32,
    /// Automerge sync-protocol messages received: non-zero only when the fast path fell back.
    pub protocol_msgs: u32,
    pub elapsed_ms: u64,
}

/// Progress of a running sync, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct SyncProgress {
    pub round: u32,
    pub docs_received: u64,
    pub docs_remaining: u64,
    pub bytes_down: u64,
}

fn meta(store: &Store, key: &str) -> Result<String, ClientError> {
    store.meta_get(key)?.ok_or(ClientError::NotPaired)
}

/// The hub this replica is paired with, if any.
pub fn paired_hub(store: &Store) -> Result<Option<PairInfo>, ClientError> {
    if store.meta_get("device.id")?.is_none() {
        return Ok(None);
    }
    Ok(Some(PairInfo {
        hub_urls: serde_json::from_str(&meta(store, "hub.urls")?).unwrap_or_default(),
        fingerprint: meta(store, "hub.fp")?,
        device_id: meta(store, "device.id")?,
        role: meta(store, "device.role")?,
        team: store.meta_get("device.team")?,
        volunteer: store.meta_get("device.volunteer")?,
        ward: store.meta_get("hub.ward")?.unwrap_or_default(),
    }))
}

fn map_reqwest(e: reqwest::Error, url: &str) -> ClientError {
    if let Some(m) = tls::pin_mismatch(&e) {
        return ClientError::PinMismatch {
            expected: fingerprint_hex(&m.expected),
            actual: fingerprint_hex(&m.actual),
        };
    }
    ClientError::Unreachable(format!("{url}: {e}"))
}

async fn hub_error(resp: reqwest::Response) -> ClientError {
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap_or_default();
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(b) if b.code == "device_revoked" => ClientError::Revoked {
            message_vi: b.message_vi,
            message_en: b.message_en,
        },
        Ok(b) => ClientError::Hub {
            status,
            code: b.code,
            message_vi: b.message_vi,
            message_en: b.message_en,
        },
        Err(_) => ClientError::Hub {
            status,
            code: format!("http_{status}"),
            message_vi: format!("Máy chủ phường trả lời lỗi {status}"),
            message_en: format!("The hub answered HTTP {status}"),
        },
    }
}

/// Pairs this replica with the hub in a QR payload: pins its certificate, trades the one-time
/// code for a device credential, and remembers both. Nothing is stored unless pairing succeeds.
pub async fn pair(
    store: &mut Store,
    payload: &str,
    device_name: &str,
    now: i64,
) -> Result<PairInfo, ClientError> {
    let p = PairingPayload::parse(payload).map_err(ClientError::Payload)?;
    if p.is_expired(now) {
        return Err(ClientError::CodeExpired);
    }
    let client =
        tls::pinned_client(p.cert_sha256, TIMEOUT).map_err(|e| ClientError::Tls(e.to_string()))?;
    let body = serde_json::to_vec(&PairRequest {
        code: p.join_code.clone(),
        device_name: device_name.to_string(),
        actor: Some(store.actor().to_hex_string()),
    })
    .unwrap_or_default();
    let mut last_err = ClientError::Unreachable(p.hub_urls.join(", "));
    for url in &p.hub_urls {
        let resp = client
            .post(format!("{}{}", url.trim_end_matches('/'), api::PATH_PAIR))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                last_err = map_reqwest(e, url);
                if matches!(last_err, ClientError::PinMismatch { .. }) {
                    return Err(last_err);
                }
                continue;
            }
        };
        if !resp.status().is_success() {
            return Err(hub_error(resp).await);
        }
        let bytes = resp.bytes().await.map_err(|e| map_reqwest(e, url))?;
        let pr: PairResponse = serde_json::from_slice(&bytes).map_err(|e| ClientError::Hub {
            status: 200,
            code: "bad_response".into(),
            message_vi: "Máy chủ phường trả lời sai định dạng".into(),
            message_en: format!("Malformed answer from the hub: {e}"),
        })?;
        // The working address goes first next time.
        let mut urls = vec![url.clone()];
        urls.extend(p.hub_urls.iter().filter(|u| *u != url).cloned());
        // Who this device is comes from the hub's answer alone: the app reads `device.*`
        // and offers no way to change it short of pairing again.
        for (k, v) in [
            ("hub.urls", serde_json::to_string(&urls).unwrap_or_default()),
            ("hub.fp", hex::encode(p.cert_sha256)),
            ("hub.ward", pr.ward.clone()),
            ("device.id", pr.device_id.clone()),
            ("device.token", pr.token.clone()),
            ("device.role", pr.role.clone()),
            ("sync.batch", "0".into()),
        ] {
            store.meta_set(k, &v)?;
        }
        for (k, v) in [
            ("device.team", &pr.team),
            ("device.volunteer", &pr.volunteer),
        ] {
            match v {
                Some(v) => store.meta_set(k, v)?,
                None => store.meta_delete(k)?,
            }
        }
        // A new pairing starts from what this replica really holds.
        store.forget_peer(HUB_PEER, None)?;
        return Ok(PairInfo {
            hub_urls: urls,
            fingerprint: fingerprint_hex(&p.cert_sha256),
            device_id: pr.device_id,
            role: pr.role,
            team: pr.team,
            volunteer: pr.volunteer,
            ward: pr.ward,
        });
    }
    Err(last_err)
}

/// Posts a frame to the first hub address that answers.
async fn post_sync(
    client: &reqwest::Client,
    urls: &[String],
    url_idx: &mut usize,
    auth: &str,
    actor: &str,
    frame: Vec<u8>,
) -> Result<reqwest::Response, ClientError> {
    loop {
        let Some(url) = urls.get(*url_idx) else {
            return Err(ClientError::Unreachable(urls.join(", ")));
        };
        let r = client
            .post(format!("{}{}", url.trim_end_matches('/'), api::PATH_SYNC))
            .header("authorization", auth)
            .header(api::ACTOR_HEADER, actor)
            .header("content-type", "application/octet-stream")
            .body(frame.clone())
            .send()
            .await;
        match r {
            Ok(r) => return Ok(r),
            Err(e) => {
                let err = map_reqwest(e, url);
                if matches!(err, ClientError::PinMismatch { .. }) || *url_idx + 1 >= urls.len() {
                    return Err(err);
                }
                *url_idx += 1;
            }
        }
    }
}

async fn last_batch(client: &reqwest::Client, url: &str, auth: &str) -> Result<u64, ClientError> {
    let r = client
        .get(format!("{}{}", url.trim_end_matches('/'), api::PATH_STATUS))
        .header("authorization", auth)
        .send()
        .await
        .map_err(|e| map_reqwest(e, url))?;
    if !r.status().is_success() {
        return Err(hub_error(r).await);
    }
    let bytes = r.bytes().await.map_err(|e| map_reqwest(e, url))?;
    let status: api::StatusResponse =
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Hub {
            status: 200,
            code: "bad_response".into(),
            message_vi: "Máy chủ phường trả lời sai định dạng".into(),
            message_en: format!("Malformed answer from the hub: {e}"),
        })?;
    Ok(status.last_batch)
}

/// The replica as a sync reaches it: one step at a time, never across a network call, so the app
/// can record a visit while a sync waits on the hub. The phone app keeps its replica behind a
/// mutex and implements this over it; a caller that owns the store outright uses [`sync`].
pub trait ReplicaLock: Sync {
    /// Runs `f` on the replica; fails when there is none any more (e.g. wiped meanwhile).
    fn with_store<R>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, ClientError>,
    ) -> Result<R, ClientError>;
}

impl ReplicaLock for std::sync::Mutex<&mut Store> {
    fn with_store<R>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, ClientError>,
    ) -> Result<R, ClientError> {
        let mut guard = self.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }
}

/// Syncs with the paired hub until neither side has anything to send. Interrupted syncs lose
/// nothing: every merge is committed as it arrives and the next sync continues from there.
///
/// When the hub answers that this device is revoked (on `/v1/sync` or `/v1/status`), the sync
/// stops at once, sends nothing more and returns [`ClientError::Revoked`]: the caller must then
/// hand the replica to [`wipe_revoked`].
pub async fn sync(
    store: &mut Store,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<SyncReport, ClientError> {
    sync_shared(&std::sync::Mutex::new(store), progress).await
}

/// [`sync`] over a replica others use meanwhile: the lock is taken for each local step (building
/// a request, merging an answer) and released while the request is on the network.
pub async fn sync_shared<L: ReplicaLock>(
    replica: &L,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<SyncReport, ClientError> {
    let started = Instant::now();
    let (urls, fp_hex, auth, actor) = replica.with_store(|store| {
        let urls: Vec<String> = serde_json::from_str(&meta(store, "hub.urls")?).unwrap_or_default();
        let auth = format!(
            "Bearer {}.{}",
            meta(store, "device.id")?,
            meta(store, "device.token")?
        );
        Ok((
            urls,
            meta(store, "hub.fp")?,
            auth,
            store.actor().to_hex_string(),
        ))
    })?;
    let mut fp = [0u8; 32];
    hex::decode_to_slice(&fp_hex, &mut fp).map_err(|_| ClientError::NotPaired)?;
    let client = tls::pinned_client(fp, TIMEOUT).map_err(|e| ClientError::Tls(e.to_string()))?;

    let mut session = PhoneSession::new(HUB_PEER);
    let mut report = SyncReport::default();
    let mut url_idx = 0usize;
    let mut received = 0u64;
    let mut caught_up = false;
    loop {
        let next = replica.with_store(|store| {
            let batch = meta(store, "sync.batch")?.parse::<u64>().unwrap_or(0) + 1;
            Ok(session.next_request(store, batch)?)
        })?;
        let Some(mut req) = next else {
            break;
        };
        let bytes = loop {
            // The batch number is spent before sending, so a replay of this request is refused.
            replica
                .with_store(|store| Ok(store.meta_set("sync.batch", &req.batch.to_string())?))?;
            let frame = wire::encode(&req)?;
            report.bytes_up += frame.len() as u64;
            let resp = post_sync(&client, &urls, &mut url_idx, &auth, &actor, frame).await?;
            if resp.status().is_success() {
                let url = &urls[url_idx];
                break resp.bytes().await.map_err(|e| map_reqwest(e, url))?;
            }
            let err = hub_error(resp).await;
            if matches!(&err, ClientError::Hub { code, .. } if code == "replayed_batch")
                && !caught_up
            {
                // Our counter is behind the hub's (a restored backup): continue after the hub's.
                caught_up = true;
                req.batch = last_batch(&client, &urls[url_idx], &auth).await? + 1;
                continue;
            }
            return Err(err);
        };
        report.bytes_down += bytes.len() as u64;
        let answer: SyncResponse = wire::decode(&bytes)?;
        let round = replica.with_store(|store| Ok(session.apply(store, answer)?))?;
        report.rounds += 1;
        report.pushed += round.pushed;
        report.accepted += round.accepted;
        report.pulled += round.pulled;
        report.new_docs += round.new_docs;
        report.dropped += round.dropped;
        report.kept_despite_drop += round.kept_despite_drop;
        report.protocol_msgs += round.protocol_msgs;
        keep_standing_refusals(&mut report.refused, round.refused, &round.accepted_docs);
        report.refused_count = report.refused.len() as u32;
        received += u64::from(round.new_docs + round.pulled);
        progress(SyncProgress {
            round: report.rounds,
            docs_received: received,
            docs_remaining: round.remaining_docs,
            bytes_down: report.bytes_down,
        });
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// Adds a round's refusals to the sync's and drops earlier ones the hub has since accepted: a
/// push refused in round 1 (say, after a lost answer, before the hub's record caught up) and
/// accepted in round 2 is not a refusal the user should see. The latest refusal of a document
/// replaces an earlier one.
fn keep_standing_refusals(so_far: &mut Vec<Refusal>, round: Vec<Refusal>, accepted: &[String]) {
    so_far.retain(|r| !accepted.contains(&r.doc) && !round.iter().any(|n| n.doc == r.doc));
    so_far.extend(round);
}

/// What a caller does with [`ClientError::Revoked`]: the office has cut this device off, so the
/// ward's data must not stay on it. Destroys the replica's key first (so whatever flash storage
/// keeps of the file is unreadable from that moment), then closes and deletes the replica and its
/// side files. Returns the error to show the user: [`ClientError::Wiped`], or
/// [`ClientError::WipeFailed`] if something could not be deleted. The CLI calls this; so will the
/// phone app, with its keystore as the [`KeyProvider`].
pub fn wipe_revoked(store: Store, keys: Option<&dyn KeyProvider>) -> ClientError {
    let key_gone = keys.map(|k| k.destroy().map(|()| k.describe()));
    let files = store.wipe();
    match (key_gone, files) {
        (Some(Err(e)), _) | (_, Err(e)) => ClientError::WipeFailed(e),
        (key, Ok(files)) => {
            let mut removed: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
            removed.extend(key.and_then(Result::ok));
            ClientError::Wiped { removed }
        }
    }
}

#[cfg(test)]
mod refusal_tests {
    use super::*;

    fn refusal(doc: &str, code: &str) -> Refusal {
        Refusal {
            doc: doc.into(),
            code: code.into(),
            message_vi: String::new(),
            message_en: String::new(),
        }
    }

    #[test]
    fn a_refusal_accepted_in_a_later_round_is_not_reported() {
        let mut so_far = Vec::new();
        keep_standing_refusals(
            &mut so_far,
            vec![
                refusal("h-1", "forbidden_household"),
                refusal("h-2", "forbidden_household"),
            ],
            &[],
        );
        assert_eq!(so_far.len(), 2);
        // Round 2: the hub accepts h-1 and refuses h-2 again, now for another reason.
        keep_standing_refusals(
            &mut so_far,
            vec![refusal("h-2", "forbidden_edit")],
            &["h-1".to_string()],
        );
        assert_eq!(so_far, vec![refusal("h-2", "forbidden_edit")]);
    }
}
