//! The sync protocol, as pure logic over a [`Replica`]: the hub's answer to one round and the
//! phone's session across rounds. Moving bytes is the caller's job (HTTPS in the hub and client).
//!
//! Fast path: both sides remember, per document, the heads the other side is known to hold.
//! The phone pushes only changes since those heads and the hub pulls the same way, so a round
//! costs what changed, not what exists. A digest of those records proves both sides agree; on a
//! mismatch the phone sends its full list once. Documents a device does not hold yet arrive as
//! saved bytes in compressed pages. Whatever the fast path cannot settle (a dependency is
//! missing) falls back to Automerge's own sync protocol with persisted per-(peer, document)
//! state, round after round until neither side has a message.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use automerge::{ChangeHash, sync::Message};
use gocua_domain::{Role, TeamId, VolunteerId};
use sha2::{Digest, Sha256};

use crate::wire::{
    Claim, DocDelta, DocMsg, DocResult, Hash, HeldDoc, SavedDoc, SyncRequest, SyncResponse,
};

/// The plan document's id (mirrors the store's).
pub const PLAN_DOC: &str = "plan";

/// An error from the replica, already in the user's two languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message_en}")]
pub struct ReplicaError {
    pub code: String,
    pub message_vi: String,
    pub message_en: String,
}

/// The result of merging bytes into one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub heads: Vec<ChangeHash>,
    /// Non-empty when some changes wait for dependencies this replica lacks.
    pub missing_deps: Vec<ChangeHash>,
}

/// Who a device is, as the hub's own records say (pairing), for checking who the visits it
/// writes are credited to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub device: String,
    pub role: Role,
    pub volunteer: Option<VolunteerId>,
    pub team: Option<TeamId>,
}

/// The hub's binding of Automerge actor ids (raw bytes) to the devices that write with them.
pub type Authors = HashMap<Vec<u8>, Author>;

/// The device name the hub's own actors are bound to (the office working on the hub itself).
pub const HUB_AUTHOR: &str = "hub";

/// The actors of concatenated Automerge change chunks (what a [`DocDelta`] carries), or `None`
/// when the bytes are not whole change chunks.
fn change_actors(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    let mut actors = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 9 || rest[..4] != MAGIC {
            return None;
        }
        // Magic, checksum, chunk type, then the body's length as unsigned LEB128.
        let (mut len, mut shift, mut at) = (0usize, 0u32, 9usize);
        loop {
            let b = *rest.get(at)?;
            at += 1;
            len |= usize::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 56 {
                return None;
            }
        }
        let end = at.checked_add(len).filter(|e| *e <= rest.len())?;
        let change = automerge::Change::try_from(&rest[..end]).ok()?;
        actors.push(change.actor_id().to_bytes().to_vec());
        rest = &rest[end..];
    }
    Some(actors)
}

/// Whether every change was written by an actor the hub binds to a device that may write the
/// plan (a lead, the office, the hub itself): a volunteer's phone relaying plan changes it
/// received, e.g. to a hub restored from a backup older than them, rather than changes of its
/// own. Such a relay is merged; the merge policy still applies to what the changes do.
fn relays_planners(authors: Option<&Authors>, actors: &[Vec<u8>]) -> bool {
    let Some(authors) = authors else {
        return false;
    };
    !actors.is_empty()
        && actors.iter().all(|a| {
            authors.get(a).is_some_and(|who| {
                who.device == HUB_AUTHOR || matches!(who.role, Role::Lead | Role::Office)
            })
        })
}

/// Why a visit written by `author` may not be credited as it is, if it may not.
pub fn credit_refusal(author: &Author, v: &gocua_domain::Visit) -> Option<&'static str> {
    if author.device != HUB_AUTHOR && v.device.as_ref().map(|d| d.as_str()) != Some(&author.device)
    {
        return Some("record a visit in another device's name");
    }
    match author.role {
        Role::Volunteer => {
            if author.volunteer.as_ref() != Some(&v.volunteer) {
                return Some("credit a visit to another volunteer");
            }
            if v.recorded_by.is_some() && v.recorded_by != author.volunteer {
                return Some("credit a visit to another volunteer");
            }
            if v.team.is_some() && v.team != author.team {
                return Some("credit a visit to another team");
            }
            None
        }
        Role::Lead | Role::Office => match &author.volunteer {
            Some(me) if *me != v.volunteer && v.recorded_by.as_ref() != Some(me) => {
                Some("record for another volunteer without saying who entered it")
            }
            _ => None,
        },
    }
}

/// What merged changes may do to a household, beyond what every device may (visits, resident
/// edits). Decided by the hub per device; a phone trusts its hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergePolicy {
    /// Lead corrections (the only way down the funnel), changes to the imported baseline and
    /// hard-case flags.
    pub may_correct: bool,
    /// Changes to the campaign in the plan (dates, targets, age, windows, quota): the office's
    /// alone. A lead's device may write the plan (assignments, schedules) but not this.
    pub may_set_campaign: bool,
    /// When set, every visit a merge adds must be written by a known actor and credited as
    /// that actor's device may credit it (a volunteer's device: only its own volunteer; leads
    /// and the office: anyone, saying who recorded it).
    pub authors: Option<Arc<Authors>>,
}

impl MergePolicy {
    pub const TRUSTED: MergePolicy = MergePolicy {
        may_correct: true,
        may_set_campaign: true,
        authors: None,
    };
}

/// What the protocol needs from a replica. Implemented by the store.
pub trait Replica {
    /// The policy merges and protocol steps obey until it is set again.
    fn set_merge_policy(&mut self, _policy: MergePolicy) {}
    /// A new sync session with `peer` starts (the phone calls this once per sync).
    fn begin_session(&mut self, _peer: &str) {}
    /// Every document held, with its heads.
    fn held(&self) -> Result<Vec<(String, Vec<ChangeHash>)>, ReplicaError>;
    fn heads(&self, doc: &str) -> Result<Option<Vec<ChangeHash>>, ReplicaError>;
    /// The listed documents this replica holds, with their heads, in the order given. Lets the
    /// hub look at a device's own documents instead of the whole ward.
    fn held_among(&self, docs: &[String]) -> Result<Vec<(String, Vec<ChangeHash>)>, ReplicaError> {
        let mut out = Vec::with_capacity(docs.len());
        for d in docs {
            if let Some(h) = self.heads(d)? {
                out.push((d.clone(), h));
            }
        }
        Ok(out)
    }
    /// Raw change bytes not covered by `since` (unknown hashes in `since` are ignored).
    fn changes_since(&mut self, doc: &str, since: &[ChangeHash]) -> Result<Vec<u8>, ReplicaError>;
    fn saved(&self, doc: &str) -> Result<Option<Vec<u8>>, ReplicaError>;
    /// Merges several documents' bytes in one transaction: all or nothing.
    fn merge(&mut self, items: &[(String, Vec<u8>)]) -> Result<Vec<Merged>, ReplicaError>;
    /// [`Replica::merge`] of bytes `peer` sent, also recording that `peer` holds each merged
    /// document that lacks no dependency: at `theirs[i]` when given, else at its heads after the
    /// merge. A replica should commit both together, so that no crash between them leaves it
    /// believing the peer lacks what it just sent (it would push it all back, every sync).
    fn merge_from_peer(
        &mut self,
        peer: &str,
        items: &[(String, Vec<u8>)],
        theirs: &[Option<Vec<ChangeHash>>],
    ) -> Result<Vec<Merged>, ReplicaError> {
        let merged = self.merge(items)?;
        let records: Vec<(String, Vec<ChangeHash>)> = items
            .iter()
            .zip(&merged)
            .enumerate()
            .filter(|(_, (_, m))| m.missing_deps.is_empty())
            .map(|(i, ((doc, _), m))| {
                let heads = theirs
                    .get(i)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| m.heads.clone());
                (doc.clone(), heads)
            })
            .collect();
        self.set_peer_records(peer, &records)?;
        Ok(merged)
    }
    fn drop_docs(&mut self, docs: &[String]) -> Result<(), ReplicaError>;
    /// Heads `peer` is known to hold, per document.
    fn peer_records(&self, peer: &str) -> Result<Vec<(String, Vec<ChangeHash>)>, ReplicaError>;
    fn set_peer_records(
        &mut self,
        peer: &str,
        entries: &[(String, Vec<ChangeHash>)],
    ) -> Result<(), ReplicaError>;
    fn forget_peer_records(
        &mut self,
        peer: &str,
        docs: Option<&[String]>,
    ) -> Result<(), ReplicaError>;
    /// One step of Automerge's sync protocol with persisted state: receive `incoming` (if any),
    /// then generate the next message (if any).
    fn protocol_step(
        &mut self,
        peer: &str,
        doc: &str,
        incoming: Option<Message>,
    ) -> Result<Option<Message>, ReplicaError>;
    /// Whether this replica already has every change named (and so all their ancestors).
    fn has_changes(&mut self, _doc: &str, _hashes: &[ChangeHash]) -> Result<bool, ReplicaError> {
        Ok(false)
    }
    /// The hub notes documents it delivered to or accepted from `peer`: the record that later
    /// lets the device push work on a household reassigned away from it.
    fn note_held(&mut self, _peer: &str, _docs: &[String]) -> Result<(), ReplicaError> {
        Ok(())
    }
}

fn to_wire(h: &[ChangeHash]) -> Vec<Hash> {
    let mut v: Vec<Hash> = h.iter().map(|c| c.0).collect();
    v.sort();
    v
}

fn from_wire(h: &[Hash]) -> Vec<ChangeHash> {
    h.iter().map(|b| ChangeHash(*b)).collect()
}

fn same(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    to_wire(a) == to_wire(b)
}

/// SHA-256 over sorted (document, sorted heads) records.
pub fn records_digest<'a>(records: impl IntoIterator<Item = (&'a str, &'a [ChangeHash])>) -> Hash {
    let mut sorted: Vec<(&str, Vec<Hash>)> =
        records.into_iter().map(|(d, h)| (d, to_wire(h))).collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for (d, hs) in sorted {
        hasher.update((d.len() as u32).to_le_bytes());
        hasher.update(d.as_bytes());
        hasher.update((hs.len() as u32).to_le_bytes());
        for h in hs {
            hasher.update(h);
        }
    }
    hasher.finalize().into()
}

fn refused(doc: &str, code: &str, vi: &str, en: &str) -> DocResult {
    DocResult::Refused {
        doc: doc.to_string(),
        code: code.to_string(),
        message_vi: vi.to_string(),
        message_en: en.to_string(),
    }
}

fn is_household_id(doc: &str) -> bool {
    gocua_domain::HouseholdId::parse(doc).is_ok() && doc != PLAN_DOC
}

/// Merges all items in one transaction; if the replica refuses that, merges them one by one so
/// a single refused document cannot block the others, and says which was refused.
fn merge_isolating<R: Replica>(
    r: &mut R,
    items: &[(String, Vec<u8>)],
) -> Vec<Result<Merged, ReplicaError>> {
    match r.merge(items) {
        Ok(all) => all.into_iter().map(Ok).collect(),
        Err(_) => items
            .iter()
            .map(|item| r.merge(std::slice::from_ref(item)).map(|mut v| v.remove(0)))
            .collect(),
    }
}

/// [`merge_isolating`] of what `peer` sent, recording what `peer` holds with each merge.
fn merge_isolating_from<R: Replica>(
    r: &mut R,
    peer: &str,
    items: &[(String, Vec<u8>)],
    theirs: &[Option<Vec<ChangeHash>>],
) -> Vec<Result<Merged, ReplicaError>> {
    match r.merge_from_peer(peer, items, theirs) {
        Ok(all) => all.into_iter().map(Ok).collect(),
        Err(_) => items
            .iter()
            .zip(theirs)
            .map(|(item, t)| {
                r.merge_from_peer(peer, std::slice::from_ref(item), std::slice::from_ref(t))
                    .map(|mut v| v.remove(0))
            })
            .collect(),
    }
}

/// What a device may do, decided by the hub outside the CRDT from its own records: never from
/// what the device says it holds.
#[derive(Clone, Debug, Default)]
pub struct Access {
    /// The device's id: the peer name under which records and protocol state are kept.
    pub peer: String,
    pub can_write_plan: bool,
    /// Leads and the office may correct residents; volunteers may not.
    pub may_correct: bool,
    /// Only the office may change the campaign's settings in the plan.
    pub may_set_campaign: bool,
    /// Household documents assigned to the device's team (or all of them for the office).
    pub allowed: BTreeSet<String>,
    /// Household documents the hub delivered to or accepted from this device. Work on one of
    /// them that was reassigned away meanwhile is still accepted; it is never sent again.
    pub held: BTreeSet<String>,
    /// Actor bindings for the credit check of visits (`None`: no check, e.g. in-process tests).
    pub authors: Option<Arc<Authors>>,
}

impl Access {
    /// Documents this device may hold: its households and the plan.
    pub fn may_hold_count(&self) -> usize {
        self.allowed.len() + self.held.difference(&self.allowed).count() + 1
    }

    /// The most entries a list of a request from this device may have. Twice what it may hold,
    /// plus a little: a phone that holds a few documents the hub no longer knows it has (paired
    /// again, a hub restored from a backup) still syncs, and their entries are refused one by one
    /// at no cost; a claim of millions is refused whole.
    pub fn max_list(&self) -> usize {
        2 * self.may_hold_count() + 64
    }

    /// The office's devices: they may write the campaign, and so hold every household, also
    /// one this hub lacks (imported on a hub since lost, when this one is restored from an
    /// older backup): the office's phone hands it back.
    fn is_office(&self) -> bool {
        self.can_write_plan && self.may_set_campaign
    }

    fn may_hold(&self, doc: &str) -> bool {
        doc == PLAN_DOC || self.allowed.contains(doc) || self.held.contains(doc)
    }
}

/// Heads a document can legitimately have at once (one per concurrent writer).
pub const MAX_HEADS: usize = 256;

/// Refuses a request whose lists are longer than anything the device may hold, before any
/// store work: a small compressed claim can list millions of documents.
pub fn check_request_bounds(access: &Access, req: &SyncRequest) -> Result<(), ReplicaError> {
    let cap = access.max_list();
    let claim_len = match &req.claim {
        Claim::Digest(_) => 0,
        Claim::Full(list) => list.len(),
    };
    let heads_ok = |h: &[Hash]| h.len() <= MAX_HEADS;
    let too_many_heads = match &req.claim {
        Claim::Digest(_) => false,
        Claim::Full(list) => list.iter().any(|e| !heads_ok(&e.heads)),
    } || req
        .push
        .iter()
        .any(|d| !heads_ok(&d.heads) || !heads_ok(&d.base));
    if claim_len > cap || req.push.len() > cap || req.protocol.len() > cap || too_many_heads {
        return Err(ReplicaError {
            code: "request_too_large".into(),
            message_vi: format!(
                "Yêu cầu đồng bộ liệt kê nhiều tài liệu hơn thiết bị được giữ (tối đa {cap} mục)"
            ),
            message_en: format!(
                "The sync request lists more documents than the device may hold (at most {cap} entries)"
            ),
        });
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
pub struct HubLimits {
    /// Saved-document bytes per response page (before compression).
    pub page_bytes: usize,
}

impl Default for HubLimits {
    fn default() -> Self {
        HubLimits {
            page_bytes: 4 << 20,
        }
    }
}

/// Counts for logs and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundStats {
    pub pushed: u32,
    pub accepted: u32,
    pub refused: u32,
    pub pulled: u32,
    pub new_docs: u32,
    pub dropped: u32,
    pub protocol_msgs: u32,
}

/// The hub's answer to one round. Authentication and replay checks happen before this.
pub fn hub_round<R: Replica>(
    r: &mut R,
    access: &Access,
    req: SyncRequest,
    limits: HubLimits,
) -> Result<(SyncResponse, RoundStats), ReplicaError> {
    check_request_bounds(access, &req)?;
    r.set_merge_policy(MergePolicy {
        may_correct: access.may_correct,
        may_set_campaign: access.may_set_campaign,
        authors: access.authors.clone(),
    });
    let out = hub_round_inner(r, access, req, limits);
    r.set_merge_policy(MergePolicy::TRUSTED);
    out
}

fn hub_round_inner<R: Replica>(
    r: &mut R,
    access: &Access,
    req: SyncRequest,
    limits: HubLimits,
) -> Result<(SyncResponse, RoundStats), ReplicaError> {
    let peer = access.peer.as_str();
    let mut stats = RoundStats::default();
    let mut resp = SyncResponse {
        batch: req.batch,
        ..Default::default()
    };
    let mut records: BTreeMap<String, Vec<ChangeHash>> =
        r.peer_records(peer)?.into_iter().collect();

    // 1. The claim: do we agree on what the device holds?
    let mut trusted = true;
    match &req.claim {
        Claim::Digest(d) => {
            if *d != records_digest(records.iter().map(|(k, v)| (k.as_str(), v.as_slice()))) {
                trusted = false;
                resp.need_manifest = true;
            }
        }
        Claim::Full(list) => {
            // The claim only says which heads the device has of documents the hub knows it may
            // hold; anything else in it is ignored.
            let mut fresh = BTreeMap::new();
            let office = access.is_office();
            for HeldDoc { doc, heads } in list {
                if access.may_hold(doc) && r.heads(doc)?.is_some() {
                    // Heads this hub lacks (it was restored from an older backup) are no base
                    // to send changes from: record none, so the device gets the whole document.
                    let heads = from_wire(heads);
                    let known = if r.has_changes(doc, &heads)? {
                        heads
                    } else {
                        Vec::new()
                    };
                    fresh.insert(doc.clone(), known);
                } else if office && is_household_id(doc) && r.heads(doc)?.is_none() {
                    // A household the office's phone holds and this hub does not (imported on
                    // a hub since lost, this one restored from an older backup): say the hub
                    // holds none of it, so the phone sends it whole.
                    resp.results.push(DocResult::Accepted {
                        doc: doc.clone(),
                        heads: Vec::new(),
                    });
                }
            }
            r.forget_peer_records(peer, None)?;
            let entries: Vec<(String, Vec<ChangeHash>)> =
                fresh.iter().map(|(d, h)| (d.clone(), h.clone())).collect();
            r.set_peer_records(peer, &entries)?;
            records = fresh;
        }
    }

    // 2. Pushes: merge what the device may write; refuse the rest, saying why.
    let mut to_protocol: Vec<String> = Vec::new();
    let mut eligible: Vec<DocDelta> = Vec::new();
    for delta in req.push {
        stats.pushed += 1;
        let doc = delta.doc.as_str();
        if doc == PLAN_DOC
            && !access.can_write_plan
            && !delta.changes.is_empty()
            && !delta.heads.is_empty()
            && r.has_changes(PLAN_DOC, &from_wire(&delta.heads))?
        {
            // Nothing new: a device that lost its record of the hub sends back plan changes the
            // hub already has. Merge nothing, and acknowledge the heads it holds, so it stops.
            stats.accepted += 1;
            records.insert(PLAN_DOC.to_string(), from_wire(&delta.heads));
            resp.results.push(DocResult::Accepted {
                doc: PLAN_DOC.to_string(),
                heads: delta.heads,
            });
            continue;
        }
        let verdict = if doc == PLAN_DOC {
            if access.can_write_plan
                || delta.changes.is_empty()
                || change_actors(&delta.changes)
                    .is_some_and(|a| relays_planners(access.authors.as_deref(), &a))
            {
                None
            } else {
                Some(refused(
                    doc,
                    "forbidden_plan_write",
                    "Chỉ tổ trưởng hoặc văn phòng phường được sửa kế hoạch phường",
                    "Only team leads and the ward office may change the ward plan",
                ))
            }
        } else if !is_household_id(doc) {
            Some(refused(
                doc,
                "bad_document_id",
                "Mã tài liệu không hợp lệ",
                "Invalid document id",
            ))
        } else if !(access.may_hold(doc) || access.is_office()) {
            Some(refused(
                doc,
                "forbidden_household",
                "Hộ này không được giao cho tổ của thiết bị",
                "This household is not assigned to the device's team",
            ))
        } else {
            None
        };
        if let Some(v) = verdict {
            stats.refused += 1;
            resp.results.push(v);
            continue;
        }
        if r.heads(doc)?.is_none() && !access.is_office() {
            stats.refused += 1;
            resp.results.push(refused(
                doc,
                "unknown_document",
                "Máy chủ phường không có tài liệu này",
                "The hub has no such document",
            ));
            continue;
        }
        eligible.push(delta);
    }
    // All admitted pushes merge in one transaction (each alone if that is refused).
    let mut heads_of: Vec<Vec<Hash>> = Vec::with_capacity(eligible.len());
    let mut batch: Vec<(String, Vec<u8>)> = Vec::with_capacity(eligible.len());
    for d in eligible {
        heads_of.push(d.heads);
        batch.push((d.doc, d.changes));
    }
    let merged = merge_isolating(r, &batch);
    for (((doc, _), heads), m) in batch.iter().zip(heads_of).zip(merged) {
        match m {
            Err(e) if e.code.starts_with("forbidden") => {
                stats.refused += 1;
                resp.results.push(DocResult::Refused {
                    doc: doc.clone(),
                    code: e.code,
                    message_vi: e.message_vi,
                    message_en: e.message_en,
                });
            }
            Err(e) => {
                stats.refused += 1;
                resp.results.push(DocResult::Refused {
                    doc: doc.clone(),
                    code: "corrupt_changes".into(),
                    message_vi: format!("Dữ liệu thay đổi bị hỏng: {}", e.message_vi),
                    message_en: format!("Corrupt changes: {}", e.message_en),
                });
            }
            Ok(m) if m.missing_deps.is_empty() => {
                stats.accepted += 1;
                records.insert(doc.clone(), from_wire(&heads));
                resp.results.push(DocResult::Accepted {
                    doc: doc.clone(),
                    heads: to_wire(&m.heads),
                });
            }
            Ok(_) => {
                resp.results
                    .push(DocResult::NeedProtocol { doc: doc.clone() });
                to_protocol.push(doc.clone());
            }
        }
    }

    // 3. Protocol messages, for documents the fast path could not settle.
    for DocMsg { doc, msg } in req.protocol {
        if !access.may_hold(&doc) || !(doc == PLAN_DOC || is_household_id(&doc)) {
            stats.refused += 1;
            resp.results.push(refused(
                &doc,
                "forbidden_household",
                "Hộ này không được giao cho tổ của thiết bị",
                "This household is not assigned to the device's team",
            ));
            continue;
        }
        let message = match Message::decode(&msg) {
            Ok(m) => m,
            Err(e) => {
                stats.refused += 1;
                resp.results.push(DocResult::Refused {
                    doc: doc.clone(),
                    code: "corrupt_sync_message".into(),
                    message_vi: "Thông điệp đồng bộ bị hỏng".into(),
                    message_en: format!("Corrupt sync message: {e}"),
                });
                continue;
            }
        };
        let relayed: Vec<Vec<u8>> = message
            .changes
            .iter()
            .map(change_actors)
            .collect::<Option<Vec<Vec<Vec<u8>>>>>()
            .map(|v| v.concat())
            .unwrap_or_default();
        if doc == PLAN_DOC
            && !access.can_write_plan
            && !message.changes.is_empty()
            && !relays_planners(access.authors.as_deref(), &relayed)
        {
            stats.refused += 1;
            resp.results.push(refused(
                &doc,
                "forbidden_plan_write",
                "Chỉ tổ trưởng hoặc văn phòng phường được sửa kế hoạch phường",
                "Only team leads and the ward office may change the ward plan",
            ));
            continue;
        }
        if r.heads(&doc)?.is_none() && !message.changes.is_empty() && doc != PLAN_DOC {
            stats.refused += 1;
            resp.results.push(refused(
                &doc,
                "unknown_document",
                "Máy chủ phường không có tài liệu này",
                "The hub has no such document",
            ));
            continue;
        }
        match r.protocol_step(peer, &doc, Some(message)) {
            Ok(Some(reply)) => {
                stats.protocol_msgs += 1;
                let reply = write_only(access, &doc, reply);
                resp.protocol.push(DocMsg {
                    doc,
                    msg: reply.encode(),
                });
            }
            Ok(None) => {}
            Err(e) => {
                stats.refused += 1;
                resp.results.push(DocResult::Refused {
                    doc: doc.clone(),
                    code: "corrupt_sync_message".into(),
                    message_vi: format!("Thông điệp đồng bộ bị hỏng: {}", e.message_vi),
                    message_en: format!("Corrupt sync message: {}", e.message_en),
                });
            }
        }
    }
    for doc in to_protocol {
        if let Some(m) = r.protocol_step(peer, &doc, None)? {
            stats.protocol_msgs += 1;
            let m = write_only(access, &doc, m);
            resp.protocol.push(DocMsg {
                doc,
                msg: m.encode(),
            });
        }
    }

    if !trusted {
        // Records are unreliable until the device sends its full list: send nothing else.
        let accepted: Vec<(String, Vec<ChangeHash>)> = resp
            .results
            .iter()
            .filter_map(|x| match x {
                DocResult::Accepted { doc, .. } => {
                    records.get(doc).map(|h| (doc.clone(), h.clone()))
                }
                _ => None,
            })
            .collect();
        r.set_peer_records(peer, &accepted)?;
        let docs: Vec<String> = accepted
            .into_iter()
            .map(|(d, _)| d)
            .filter(|d| !access.held.contains(d))
            .collect();
        if !docs.is_empty() {
            r.note_held(peer, &docs)?;
        }
        return Ok((resp, stats));
    }

    // 4. Drops: documents the device holds that are no longer its team's.
    let mut dropped = Vec::new();
    for doc in records.keys() {
        if is_household_id(doc) && !access.allowed.contains(doc) {
            dropped.push(doc.clone());
        }
    }
    for d in &dropped {
        records.remove(d);
    }
    stats.dropped = dropped.len() as u32;
    if !dropped.is_empty() {
        r.forget_peer_records(peer, Some(&dropped))?;
    }
    resp.drop = dropped;

    // 5. Pulls and new documents, for everything the device may read.
    let mut page = 0usize;
    let mut remaining = 0u64;
    let mut updates: Vec<(String, Vec<ChangeHash>)> = Vec::new();
    let mut readable: Vec<String> = Vec::with_capacity(access.allowed.len() + 1);
    readable.push(PLAN_DOC.to_string());
    readable.extend(access.allowed.iter().cloned());
    // A team's thousand documents are cheaper to look up one by one than to list the ward; for
    // the office (the whole ward) one listing is cheaper.
    let listing = if readable.len() > 2_000 {
        r.held()?
            .into_iter()
            .filter(|(d, _)| d == PLAN_DOC || access.allowed.contains(d))
            .collect()
    } else {
        r.held_among(&readable)?
    };
    for (doc, hub_heads) in listing {
        match records.get(&doc) {
            Some(known) if same(known, &hub_heads) => {}
            Some(known) => {
                let changes = r.changes_since(&doc, known)?;
                stats.pulled += 1;
                resp.pull.push(DocDelta {
                    doc: doc.clone(),
                    base: to_wire(known),
                    heads: to_wire(&hub_heads),
                    changes,
                });
                updates.push((doc, hub_heads));
            }
            None => {
                if page >= limits.page_bytes {
                    remaining += 1;
                    continue;
                }
                if let Some(bytes) = r.saved(&doc)? {
                    page += bytes.len();
                    stats.new_docs += 1;
                    resp.new_docs.push(SavedDoc {
                        doc: doc.clone(),
                        bytes,
                    });
                    updates.push((doc, hub_heads));
                }
            }
        }
    }
    // Pushed documents the hub had nothing more for: record what the device said it has.
    for x in &resp.results {
        if let DocResult::Accepted { doc, .. } = x
            && !updates.iter().any(|(d, _)| d == doc)
            && let Some(h) = records.get(doc)
        {
            updates.push((doc.clone(), h.clone()));
        }
    }
    r.set_peer_records(peer, &updates)?;
    // Only what the hub's records lack: an evening's sync writes nothing here.
    let delivered: Vec<String> = updates
        .into_iter()
        .map(|(d, _)| d)
        .filter(|d| d != PLAN_DOC && !access.held.contains(d))
        .collect();
    if !delivered.is_empty() {
        r.note_held(peer, &delivered)?;
    }
    resp.more = remaining > 0;
    resp.remaining_docs = remaining;
    Ok((resp, stats))
}

/// A protocol reply about a household no longer assigned to the device carries no changes: the
/// device may still hand in its work on it, but receives nothing new of it.
fn write_only(access: &Access, doc: &str, mut m: Message) -> Message {
    if doc != PLAN_DOC && !access.allowed.contains(doc) {
        m.changes = Vec::<Vec<u8>>::new().into();
    }
    m
}

/// A refusal reported to the phone's user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub doc: String,
    pub code: String,
    pub message_vi: String,
    pub message_en: String,
}

/// What one round did on the phone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhoneRound {
    pub pushed: u32,
    pub accepted: u32,
    pub pulled: u32,
    pub new_docs: u32,
    pub dropped: u32,
    pub kept_despite_drop: u32,
    pub refused: Vec<Refusal>,
    /// Documents the hub accepted this round (a refusal of one of them in an earlier round of
    /// the same sync did not stand).
    pub accepted_docs: Vec<String>,
    pub remaining_docs: u64,
    /// Automerge sync-protocol messages received (documents the fast path could not settle).
    pub protocol_msgs: u32,
}

/// The phone's side of a sync, across rounds. Keeps only what a single sync needs; everything
/// that must survive an interruption is in the replica.
#[derive(Debug)]
pub struct PhoneSession {
    peer: String,
    send_full_manifest: bool,
    protocol_out: Vec<DocMsg>,
    protocol_docs: BTreeSet<String>,
    announce: BTreeSet<String>,
    pushed_heads: BTreeMap<String, Vec<ChangeHash>>,
    /// Documents the hub refused for good in this sync, at the heads pushed: pushing the same
    /// heads again could only be refused again, round after round.
    refused_for_good: BTreeMap<String, Vec<ChangeHash>>,
    more: bool,
    rounds: u32,
}

/// Refusals that stand for the same changes whatever round they are sent in: the device's role,
/// the content of the changes or the document id decide them, not what the hub knows the device
/// holds (a `forbidden_household` can turn into an acceptance once the hub has the full list).
pub const STANDING_REFUSALS: &[&str] = &[
    "forbidden_plan_write",
    "forbidden_edit",
    "bad_document_id",
    "corrupt_changes",
];

/// Rounds after which a sync gives up (and resumes next time).
pub const MAX_ROUNDS: u32 = 64;

impl PhoneSession {
    /// `peer` names the hub in this replica's records.
    pub fn new(peer: &str) -> Self {
        PhoneSession {
            peer: peer.to_string(),
            send_full_manifest: false,
            protocol_out: Vec::new(),
            protocol_docs: BTreeSet::new(),
            announce: BTreeSet::new(),
            pushed_heads: BTreeMap::new(),
            refused_for_good: BTreeMap::new(),
            more: false,
            rounds: 0,
        }
    }

    /// The next request, or `None` when the sync is complete.
    pub fn next_request<R: Replica>(
        &mut self,
        r: &mut R,
        batch: u64,
    ) -> Result<Option<SyncRequest>, ReplicaError> {
        let held = r.held()?;
        let records: BTreeMap<String, Vec<ChangeHash>> =
            r.peer_records(&self.peer)?.into_iter().collect();
        let mut push = Vec::new();
        self.pushed_heads.clear();
        for (doc, heads) in &held {
            if self.protocol_docs.contains(doc) {
                continue;
            }
            if self
                .refused_for_good
                .get(doc)
                .is_some_and(|h| same(h, heads))
            {
                continue;
            }
            let known = records.get(doc);
            let announce = self.announce.contains(doc);
            if known.is_some_and(|k| same(k, heads)) && !announce {
                continue;
            }
            let base = known.cloned().unwrap_or_default();
            let changes = if known.is_some_and(|k| same(k, heads)) {
                Vec::new()
            } else {
                r.changes_since(doc, &base)?
            };
            self.pushed_heads.insert(doc.clone(), heads.clone());
            push.push(DocDelta {
                doc: doc.clone(),
                base: to_wire(&base),
                heads: to_wire(heads),
                changes,
            });
        }
        self.announce.clear();
        let claim = if self.send_full_manifest {
            Claim::Full(
                held.iter()
                    .map(|(d, h)| HeldDoc {
                        doc: d.clone(),
                        heads: to_wire(h),
                    })
                    .collect(),
            )
        } else {
            let held_ids: BTreeSet<&String> = held.iter().map(|(d, _)| d).collect();
            Claim::Digest(records_digest(
                records
                    .iter()
                    .filter(|(d, _)| held_ids.contains(d))
                    .map(|(d, h)| (d.as_str(), h.as_slice())),
            ))
        };
        let req = SyncRequest {
            batch,
            claim,
            push,
            protocol: std::mem::take(&mut self.protocol_out),
        };
        if self.rounds > 0 && req.is_idle() && !self.more {
            return Ok(None);
        }
        if self.rounds >= MAX_ROUNDS {
            return Ok(None);
        }
        self.rounds += 1;
        self.send_full_manifest = false;
        Ok(Some(req))
    }

    /// The protocol exchange of a document is over: both sides hold the same heads. Record that,
    /// and tell the hub in the next round so its records agree.
    fn settled<R: Replica>(&mut self, r: &mut R, doc: String) -> Result<(), ReplicaError> {
        self.protocol_docs.remove(&doc);
        if let Some(h) = r.heads(&doc)? {
            r.set_peer_records(&self.peer, &[(doc.clone(), h)])?;
        }
        self.announce.insert(doc);
        Ok(())
    }

    /// Applies the hub's answer. All merged documents of one response commit together.
    pub fn apply<R: Replica>(
        &mut self,
        r: &mut R,
        resp: SyncResponse,
    ) -> Result<PhoneRound, ReplicaError> {
        let mut out = PhoneRound {
            remaining_docs: resp.remaining_docs,
            ..Default::default()
        };
        self.more = resp.more;
        if resp.need_manifest {
            self.send_full_manifest = true;
        }
        let mut records: Vec<(String, Vec<ChangeHash>)> = Vec::new();
        let mut acked: BTreeSet<String> = BTreeSet::new();
        for res in resp.results {
            match res {
                DocResult::Accepted { doc, heads } => {
                    out.accepted += 1;
                    records.push((doc.clone(), from_wire(&heads)));
                    acked.insert(doc);
                }
                DocResult::NeedProtocol { doc } => {
                    self.protocol_docs.insert(doc);
                }
                DocResult::Refused {
                    doc,
                    code,
                    message_vi,
                    message_en,
                } => {
                    if STANDING_REFUSALS.contains(&code.as_str()) {
                        // Pushed or exchanged by protocol: either way, not again this sync.
                        let heads = match self.pushed_heads.get(&doc) {
                            Some(h) => Some(h.clone()),
                            None => r.heads(&doc)?,
                        };
                        if let Some(h) = heads {
                            self.refused_for_good.insert(doc.clone(), h);
                        }
                        self.protocol_docs.remove(&doc);
                    }
                    out.refused.push(Refusal {
                        doc,
                        code,
                        message_vi,
                        message_en,
                    });
                }
            }
        }
        out.pushed = self.pushed_heads.len() as u32;
        out.accepted_docs = acked.iter().cloned().collect();

        // Pulls and new documents, merged in one transaction.
        let mut items: Vec<(String, Vec<u8>)> =
            Vec::with_capacity(resp.pull.len() + resp.new_docs.len());
        // The hub's heads per pulled document; a new document's are its own once loaded.
        let mut their_heads: Vec<Option<Vec<Hash>>> = Vec::with_capacity(items.capacity());
        for d in resp.pull {
            out.pulled += 1;
            their_heads.push(Some(d.heads));
            items.push((d.doc, d.changes));
        }
        for d in resp.new_docs {
            out.new_docs += 1;
            their_heads.push(None);
            items.push((d.doc, d.bytes));
        }
        if !items.is_empty() {
            // One transaction for the whole answer, with the record of what the hub holds; if
            // the hub sent something this replica refuses, merge one by one so the rest still
            // lands and the refusal is reported.
            let theirs: Vec<Option<Vec<ChangeHash>>> = their_heads
                .iter()
                .map(|t| t.as_ref().map(|t| from_wire(t)))
                .collect();
            let merged = merge_isolating_from(r, &self.peer, &items, &theirs);
            for (((doc, _), m), theirs) in items.iter().zip(merged).zip(their_heads) {
                match m {
                    Ok(m) if m.missing_deps.is_empty() => {
                        let heads = theirs.map(|t| from_wire(&t)).unwrap_or(m.heads);
                        records.push((doc.clone(), heads));
                    }
                    Ok(_) => {
                        self.protocol_docs.insert(doc.clone());
                    }
                    Err(e) => out.refused.push(Refusal {
                        doc: doc.clone(),
                        code: e.code,
                        message_vi: e.message_vi,
                        message_en: e.message_en,
                    }),
                }
            }
        }
        r.set_peer_records(&self.peer, &records)?;

        // Drops: only when every local change of the document is on the hub.
        let mut to_drop = Vec::new();
        for doc in resp.drop {
            let local = r.heads(&doc)?;
            let pushed_ok = acked.contains(&doc)
                && local
                    .as_ref()
                    .zip(self.pushed_heads.get(&doc))
                    .is_some_and(|(l, p)| same(l, p));
            let recorded = records
                .iter()
                .rev()
                .find(|(d, _)| *d == doc)
                .map(|(_, h)| h.clone());
            let untouched = local
                .as_ref()
                .zip(recorded.as_ref())
                .is_some_and(|(l, k)| same(l, k));
            let unrecorded_now = r
                .peer_records(&self.peer)?
                .into_iter()
                .find(|(d, _)| *d == doc)
                .is_some_and(|(_, k)| local.as_ref().is_some_and(|l| same(l, &k)));
            if pushed_ok || untouched || unrecorded_now {
                to_drop.push(doc);
            } else {
                out.kept_despite_drop += 1;
                self.send_full_manifest = true;
            }
        }
        if !to_drop.is_empty() {
            r.drop_docs(&to_drop)?;
            r.forget_peer_records(&self.peer, Some(&to_drop))?;
            out.dropped = to_drop.len() as u32;
        }

        // Protocol messages: answer each; a document whose exchange is over gets announced.
        out.protocol_msgs = resp.protocol.len() as u32;
        for DocMsg { doc, msg } in resp.protocol {
            let m = Message::decode(&msg).map_err(|e| ReplicaError {
                code: "corrupt_sync_message".into(),
                message_vi: "Thông điệp đồng bộ từ máy chủ bị hỏng".into(),
                message_en: format!("Corrupt sync message from the hub: {e}"),
            })?;
            self.protocol_docs.insert(doc.clone());
            match r.protocol_step(&self.peer, &doc, Some(m))? {
                Some(reply) => self.protocol_out.push(DocMsg {
                    doc,
                    msg: reply.encode(),
                }),
                None => self.settled(r, doc)?,
            }
        }
        // Documents newly in protocol mode start the exchange.
        let waiting: Vec<String> = self
            .protocol_docs
            .iter()
            .filter(|d| !self.protocol_out.iter().any(|m| &m.doc == *d))
            .cloned()
            .collect();
        for doc in waiting {
            match r.protocol_step(&self.peer, &doc, None)? {
                Some(m) => self.protocol_out.push(DocMsg {
                    doc,
                    msg: m.encode(),
                }),
                None => self.settled(r, doc)?,
            }
        }
        Ok(out)
    }
}
