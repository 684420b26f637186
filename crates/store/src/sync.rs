//! Store-side support for sync: changes since known heads, merging remote bytes (in the same
//! one-transaction write path as local edits), dropping documents, and per-peer sync state.

use automerge::{ChangeHash, ROOT, ReadDoc, Value, sync};
use rusqlite::{OptionalExtension, params};

use crate::docs::Presence;
use crate::{
    DocKind, Error, HouseholdState, Result, Store, decode_heads, encode_heads, household_doc,
    projection,
};

/// What merging remote bytes did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeOutcome {
    pub changed: bool,
    pub heads: Vec<ChangeHash>,
    /// Dependencies the bytes referred to that this replica lacks; the changes that need them
    /// were not applied. The sender must fall back to the full sync protocol for this document.
    pub missing_deps: Vec<ChangeHash>,
}

/// Refuses damaged or foreign bytes before they touch a document. Automerge's
/// `load_incremental` quietly keeps the readable prefix of truncated or corrupt bytes, so they are
/// first loaded strictly on their own; changes whose dependencies are missing are well formed.
fn strict() -> automerge::LoadOptions<'static> {
    automerge::LoadOptions::new().on_partial_load(automerge::OnPartialLoad::Error)
}

/// An incoming document's bytes, loaded strictly on their own, and read into domain values
/// when they are a whole household.
struct Prepared {
    /// The document, or why not: `None` when changes lack their dependencies (well formed),
    /// else what is wrong with the bytes.
    loaded: std::result::Result<automerge::AutoCommit, Option<String>>,
    state: Option<HouseholdState>,
}

fn prepare_one(id: &str, kind: DocKind, bytes: &[u8]) -> Prepared {
    // Automerge can panic on hostile bytes (see `write_docs_then`); on a worker thread that
    // panic is caught here and the document refused like any other damaged one.
    let caught = std::panic::catch_unwind(|| {
        let mut loaded = automerge::AutoCommit::load_with_options(bytes, strict());
        let state = match (&mut loaded, kind) {
            (Ok(doc), DocKind::Household) => {
                (!doc.get_heads().is_empty()).then(|| household_doc::read(doc, id))
            }
            _ => None,
        };
        (loaded, state)
    });
    match caught {
        Ok((Ok(doc), state)) => Prepared {
            loaded: Ok(doc),
            state,
        },
        Ok((Err(automerge::AutomergeError::MissingDeps), _)) => Prepared {
            loaded: Err(None),
            state: None,
        },
        Ok((Err(e), _)) => Prepared {
            loaded: Err(Some(e.to_string())),
            state: None,
        },
        Err(_) => Prepared {
            loaded: Err(Some("the bytes make Automerge fail".into())),
            state: None,
        },
    }
}

/// Below this many documents a merge prepares them on the calling thread.
const PARALLEL_FROM: usize = 64;

/// [`prepare_one`] for every item, split over the machine's cores when there are many.
fn prepare_incoming(
    items: &[(String, Vec<u8>)],
    kinds: impl Iterator<Item = DocKind>,
) -> Vec<Prepared> {
    let kinds: Vec<DocKind> = kinds.collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if items.len() < PARALLEL_FROM || threads < 2 {
        return items
            .iter()
            .zip(&kinds)
            .map(|((id, b), k)| prepare_one(id, *k, b))
            .collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .zip(kinds.chunks(chunk))
            .map(|(its, ks)| {
                s.spawn(move || {
                    its.iter()
                        .zip(ks)
                        .map(|((id, b), k)| prepare_one(id, *k, b))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Automerge documents carry no identity of their own, so bytes of household A would merge into
/// household B "successfully". Every household document states its id; the plan states none.
fn check_identity(id: &str, kind: DocKind, doc: &impl ReadDoc, empty: bool) -> Result<()> {
    if empty {
        return Ok(());
    }
    let ids = doc.get_all(ROOT, "id")?;
    let ok = match kind {
        DocKind::Household => {
            !ids.is_empty()
                && ids
                    .iter()
                    .all(|(v, _)| matches!(v, Value::Scalar(s) if s.as_str() == Some(id)))
        }
        DocKind::Plan => ids.is_empty(),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::CorruptDoc(
            id.to_string(),
            "the bytes belong to another document".into(),
        ))
    }
}

/// Refuses merged changes that do what the device's policy does not allow. Visits are
/// append-only for everyone; corrections, the imported baseline and hard-case flags are for leads
/// and the office.
fn check_policy(
    id: &str,
    policy: &gocua_sync::MergePolicy,
    before: &HouseholdState,
    after: &HouseholdState,
    doc: &impl ReadDoc,
) -> Result<()> {
    let forbidden = |what| {
        Err(Error::Forbidden {
            doc: id.to_string(),
            what,
        })
    };
    for v in &before.visits {
        if !after.visits.iter().any(|w| w == v) {
            return forbidden("rewrite or delete recorded visits");
        }
    }
    if let Some(authors) = &policy.authors {
        // Who wrote each new visit is the actor of the change that put it, bound to a device by
        // the hub's records; what the visit says about itself must agree with that device.
        for v in after
            .visits
            .iter()
            .filter(|v| !before.visits.iter().any(|b| b.id == v.id))
        {
            for (_, exid) in doc.get_all(ROOT, format!("v.{}", v.id).as_str())? {
                let automerge::ObjId::Id(_, actor, _) = exid else {
                    continue;
                };
                let Some(author) = authors.get(actor.to_bytes()) else {
                    return forbidden("record a visit from a device the hub does not know");
                };
                if let Some(why) = gocua_sync::protocol::credit_refusal(author, v) {
                    return forbidden(why);
                }
            }
        }
    }
    if policy.may_correct {
        return Ok(());
    }
    if after
        .corrections
        .iter()
        .any(|c| !before.corrections.iter().any(|b| b.id == c.id))
    {
        return forbidden("correct residents");
    }
    if after.hard_cases != before.hard_cases {
        return forbidden("flag hard cases");
    }
    for r in &after.household.residents {
        if let Some(b) = before.household.residents.iter().find(|b| b.id == r.id)
            && b.base != r.base
        {
            return forbidden("change the imported baseline");
        }
    }
    Ok(())
}

/// What a document held before a merge, for the policy check after it: a household's state,
/// or the plan's campaign (only the office may change it).
enum Before {
    Household(HouseholdState),
    Campaign(Option<gocua_domain::Campaign>),
    /// The plan, from a device that may change all of it: nothing to compare.
    Unchecked,
}

impl Before {
    fn read(
        kind: DocKind,
        id: &str,
        policy: &gocua_sync::MergePolicy,
        doc: &automerge::AutoCommit,
    ) -> Before {
        match kind {
            DocKind::Household => Before::Household(household_doc::read(doc, id)),
            DocKind::Plan if policy.may_set_campaign => Before::Unchecked,
            DocKind::Plan => Before::Campaign(crate::plan_doc::read(doc).campaign),
        }
    }

    fn check(
        &self,
        id: &str,
        policy: &gocua_sync::MergePolicy,
        doc: &automerge::AutoCommit,
    ) -> Result<()> {
        match self {
            Before::Household(before) => {
                check_policy(id, policy, before, &household_doc::read(doc, id), doc)
            }
            Before::Unchecked => Ok(()),
            Before::Campaign(before) => {
                if *before != crate::plan_doc::read(doc).campaign {
                    return Err(Error::Forbidden {
                        doc: id.to_string(),
                        what: "change the campaign's dates or targets",
                    });
                }
                Ok(())
            }
        }
    }
}

impl Store {
    /// Sets what merges may change until set again (the hub, per device, for one round).
    pub fn set_merge_policy(&mut self, policy: gocua_sync::MergePolicy) {
        self.merge_policy = policy;
    }

    /// The raw bytes of every change not covered by `since` (concatenated change chunks).
    pub fn changes_since(&mut self, id: &str, since: &[ChangeHash]) -> Result<Vec<u8>> {
        let mut doc = self
            .take_doc(id)?
            .ok_or_else(|| Error::NoSuchHousehold(id.to_string()))?;
        // Hashes this replica has never seen cannot bound anything: ignore them (sends more).
        let since: Vec<ChangeHash> = since
            .iter()
            .filter(|h| doc.get_change_by_hash(h).is_some())
            .copied()
            .collect();
        let mut out = Vec::new();
        for c in doc.get_changes(&since) {
            out.extend_from_slice(c.raw_bytes());
        }
        self.put_back(id, doc);
        Ok(out)
    }

    /// Merges remote bytes (change chunks or a saved document) into one document, creating it if
    /// missing. Malformed bytes are refused and change nothing.
    pub fn merge_remote(&mut self, id: &str, bytes: &[u8]) -> Result<MergeOutcome> {
        let mut many = self.merge_remote_many(&[(id.to_string(), bytes.to_vec())])?;
        Ok(many.remove(0))
    }

    /// Merges several documents' bytes in one transaction: all or nothing.
    pub fn merge_remote_many(&mut self, items: &[(String, Vec<u8>)]) -> Result<Vec<MergeOutcome>> {
        self.merge_remote_many_from(items, None)
    }

    /// [`Store::merge_remote_many`] of bytes `peer` sent, recording in the same transaction that
    /// `peer` holds each merged document that lacks no dependency: at `theirs[i]` when given,
    /// else at the document's heads after the merge. A sync killed after the merge then cannot
    /// leave this replica believing the peer lacks what it just sent.
    pub fn merge_remote_many_from(
        &mut self,
        items: &[(String, Vec<u8>)],
        from: Option<(&str, &[Option<Vec<ChangeHash>>])>,
    ) -> Result<Vec<MergeOutcome>> {
        let mut kinds = Vec::with_capacity(items.len());
        for (id, _) in items {
            kinds.push((id.clone(), DocKind::of(id)?, Presence::CreateIfMissing));
        }
        let missing = std::cell::RefCell::new(vec![Vec::<ChangeHash>::new(); items.len()]);
        let actor = self.actor.clone();
        let policy = self.merge_policy.clone();
        let record = |conn: &rusqlite::Connection, outcomes: &[crate::docs::WriteOutcome]| {
            let Some((peer, theirs)) = from else {
                return Ok(());
            };
            let missing = missing.borrow();
            let entries: Vec<(String, Vec<ChangeHash>)> = items
                .iter()
                .zip(outcomes)
                .enumerate()
                .filter(|(i, _)| missing[*i].is_empty())
                .map(|(i, ((id, _), o))| {
                    let heads = theirs
                        .get(i)
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| o.heads.clone());
                    (id.clone(), heads)
                })
                .collect();
            put_peer_heads(conn, peer, &entries)
        };
        // Every item's bytes are loaded strictly on their own, on all cores, before the
        // transaction: for a document new here (a first sync's pages) that load is the document,
        // already read into domain values for its projection; for one held here it is the check
        // that refuses damaged bytes.
        let prepared = prepare_incoming(items, kinds.iter().map(|(_, k, _)| *k));
        let states = std::cell::RefCell::new(std::collections::HashMap::new());
        let mut prepared: Vec<Option<Prepared>> = prepared.into_iter().map(Some).collect();
        let outcomes = self.write_docs_then(
            kinds,
            crate::docs::Projection::Prepared(&states),
            |i, id, doc| {
                let kind = DocKind::of(id)?;
                let bytes = &items[i].1;
                let Some(p) = prepared[i].take() else {
                    return Err(Error::CorruptDoc(id.to_string(), "merged twice".into()));
                };
                let mut whole = match p.loaded {
                    Ok(whole) => Some(whole),
                    Err(None) => None,
                    Err(Some(e)) => return Err(Error::CorruptDoc(id.to_string(), e)),
                };
                if let Some(whole) = &mut whole {
                    let empty = whole.get_heads().is_empty();
                    check_identity(id, kind, whole, empty)?;
                }
                if doc.get_heads().is_empty()
                    && let Some(mut loaded) = whole
                {
                    // A document new to this replica (a first sync): keep the bytes as its
                    // snapshot, and project it from what was read while loading.
                    let empty = loaded.get_heads().is_empty();
                    *doc = loaded.with_actor(actor.clone());
                    if let Some(st) = p.state {
                        states.borrow_mut().insert(id.to_string(), st);
                    }
                    return Ok(if empty { None } else { Some(bytes.clone()) });
                }
                let before = Before::read(kind, id, &policy, doc);
                doc.load_incremental(bytes)
                    .map_err(|e| Error::CorruptDoc(id.to_string(), e.to_string()))?;
                before.check(id, &policy, doc)?;
                let empty = doc.get_heads().is_empty();
                check_identity(id, kind, doc, empty)?;
                missing.borrow_mut()[i] = doc.get_missing_deps(&[]);
                Ok(None)
            },
            record,
        )?;
        Ok(outcomes
            .into_iter()
            .zip(missing.into_inner())
            .map(|(o, m)| MergeOutcome {
                changed: o.changed,
                heads: o.heads,
                missing_deps: m,
            })
            .collect())
    }

    /// Runs one step of Automerge's own sync protocol on a document, with the persisted state for
    /// `peer`; the document change (if any), its projection and the new state commit together.
    pub fn with_sync_doc<R>(
        &mut self,
        peer: &str,
        id: &str,
        step: impl FnOnce(&mut automerge::AutoCommit, &mut sync::State) -> Result<R>,
    ) -> Result<R> {
        let kind = DocKind::of(id)?;
        let key = (peer.to_string(), id.to_string());
        let mut state = match self.live_sync.remove(&key) {
            Some(s) => s,
            None => self.sync_state(peer, id)?,
        };
        let mut out = None;
        let mut step = Some(step);
        let policy = self.merge_policy.clone();
        self.write_docs(
            vec![(id.to_string(), kind, Presence::CreateIfMissing)],
            |_, _, doc| {
                let before = Before::read(kind, id, &policy, doc);
                if let Some(step) = step.take() {
                    out = Some(step(doc, &mut state)?);
                }
                before.check(id, &policy, doc)?;
                Ok(())
            },
        )?;
        self.put_sync_state(peer, id, &state)?;
        self.live_sync.insert(key, state);
        // write_docs runs the edit exactly once per document, so `out` is always set here.
        out.ok_or_else(|| Error::CorruptDoc(id.to_string(), "the sync step did not run".into()))
    }

    /// Starts a new sync session with `peer`: in-flight protocol state of earlier sessions is
    /// forgotten (only what both sides are known to share is kept, as Automerge prescribes).
    pub fn begin_sync_session(&mut self, peer: &str) {
        self.live_sync.retain(|(p, _), _| p != peer);
    }

    pub fn sync_state(&self, peer: &str, id: &str) -> Result<sync::State> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT state FROM sync_states WHERE peer = ?1 AND doc_id = ?2")?
            .query_row(params![peer, id], |r| r.get(0))
            .optional()?;
        Ok(match bytes {
            Some(b) => sync::State::decode(&b).unwrap_or_else(|_| sync::State::new()),
            None => sync::State::new(),
        })
    }

    pub fn put_sync_state(&self, peer: &str, id: &str, state: &sync::State) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO sync_states (peer, doc_id, state) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![peer, id, state.encode()])?;
        Ok(())
    }

    /// Heads `peer` is known to hold for a document (what it had after our last exchange).
    pub fn peer_heads(&self, peer: &str, id: &str) -> Result<Option<Vec<ChangeHash>>> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT heads FROM peer_heads WHERE peer = ?1 AND doc_id = ?2")?
            .query_row(params![peer, id], |r| r.get(0))
            .optional()?;
        Ok(bytes.and_then(|b| decode_heads(&b)))
    }

    /// Every document `peer` is known to hold, with its heads.
    pub fn peer_manifest(&self, peer: &str) -> Result<Vec<(String, Vec<ChangeHash>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT doc_id, heads FROM peer_heads WHERE peer = ?1 ORDER BY doc_id",
        )?;
        let rows = stmt.query_map([peer], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, h) = row?;
            out.push((id, decode_heads(&h).unwrap_or_default()));
        }
        Ok(out)
    }

    /// Documents whose state `peer` is not known to hold: what the phone's sync bar counts as
    /// "not yet on the hub". A document counts from its first local change until an exchange
    /// records the peer at the same heads.
    pub fn unsynced_docs(&self, peer: &str) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM docs d LEFT JOIN peer_heads p \
                 ON p.peer = ?1 AND p.doc_id = d.id WHERE p.heads IS NULL OR p.heads != d.heads",
            )?
            .query_row([peer], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Records what `peer` holds after an exchange; many at once in one transaction.
    pub fn set_peer_heads(&self, peer: &str, entries: &[(String, Vec<ChangeHash>)]) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        put_peer_heads(&tx, peer, entries)?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets what `peer` holds (all of it, or the listed documents).
    pub fn forget_peer(&self, peer: &str, ids: Option<&[String]>) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        match ids {
            None => {
                tx.execute("DELETE FROM peer_heads WHERE peer = ?1", [peer])?;
                tx.execute("DELETE FROM sync_states WHERE peer = ?1", [peer])?;
            }
            Some(ids) => {
                for id in ids {
                    tx.execute(
                        "DELETE FROM peer_heads WHERE peer = ?1 AND doc_id = ?2",
                        params![peer, id],
                    )?;
                    tx.execute(
                        "DELETE FROM sync_states WHERE peer = ?1 AND doc_id = ?2",
                        params![peer, id],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Documents written locally (edited or merged) after `seq`, with their current seq.
    pub fn docs_written_since(&self, seq: i64) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, seq FROM docs WHERE seq > ?1 ORDER BY seq")?;
        let rows = stmt.query_map([seq], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Highest local write sequence.
    pub fn max_seq(&self) -> Result<i64> {
        crate::docs::max_seq(&self.conn)
    }

    /// Removes documents and their projection rows (work reassigned away from this device).
    pub fn drop_docs(&mut self, ids: &[String]) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        let floor = crate::docs::max_seq(&tx)?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('seq_floor', ?1)",
            [floor.to_string()],
        )?;
        for id in ids {
            if DocKind::of(id)? == DocKind::Plan {
                continue; // every device keeps the plan
            }
            projection::remove_household(&tx, id)?;
            tx.execute("DELETE FROM doc_changes WHERE doc_id = ?1", [id])?;
            tx.execute("DELETE FROM docs WHERE id = ?1", [id])?;
            tx.execute("DELETE FROM sync_states WHERE doc_id = ?1", [id])?;
            tx.execute("DELETE FROM peer_heads WHERE doc_id = ?1", [id])?;
        }
        tx.commit()?;
        for id in ids {
            self.cache.remove(id);
        }
        Ok(())
    }
}

impl From<Error> for gocua_sync::ReplicaError {
    fn from(e: Error) -> Self {
        gocua_sync::ReplicaError {
            code: e.code().to_string(),
            message_vi: e.message(gocua_domain::Lang::Vi),
            message_en: e.message(gocua_domain::Lang::En),
        }
    }
}

/// Failpoint (tests only, not among [`crate::FAILPOINTS`]): a write of a peer's heads fails, as
/// if the process had been killed just before it.
pub const PEER_HEADS_FAILPOINT: &str = "peer_heads";

/// Writes what `peer` holds, inside the caller's transaction.
fn put_peer_heads(
    conn: &rusqlite::Connection,
    peer: &str,
    entries: &[(String, Vec<ChangeHash>)],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    crate::db::failpoint(PEER_HEADS_FAILPOINT)?;
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO peer_heads (peer, doc_id, heads) VALUES (?1, ?2, ?3)",
    )?;
    for (id, heads) in entries {
        stmt.execute(params![peer, id, encode_heads(heads)])?;
    }
    Ok(())
}

/// The store is the replica the sync protocol runs over.
impl gocua_sync::Replica for Store {
    fn set_merge_policy(&mut self, policy: gocua_sync::MergePolicy) {
        Store::set_merge_policy(self, policy);
    }

    fn begin_session(&mut self, peer: &str) {
        self.begin_sync_session(peer);
    }

    fn held(&self) -> Result<Vec<(String, Vec<ChangeHash>)>, gocua_sync::ReplicaError> {
        Ok(self
            .manifest()?
            .into_iter()
            .map(|(id, h, _)| (id, h))
            .collect())
    }

    fn heads(&self, doc: &str) -> Result<Option<Vec<ChangeHash>>, gocua_sync::ReplicaError> {
        Ok(self.doc_heads(doc)?)
    }

    fn changes_since(
        &mut self,
        doc: &str,
        since: &[ChangeHash],
    ) -> Result<Vec<u8>, gocua_sync::ReplicaError> {
        Ok(Store::changes_since(self, doc, since)?)
    }

    fn saved(&self, doc: &str) -> Result<Option<Vec<u8>>, gocua_sync::ReplicaError> {
        Ok(self.doc_bytes(doc)?)
    }

    fn merge(
        &mut self,
        items: &[(String, Vec<u8>)],
    ) -> Result<Vec<gocua_sync::Merged>, gocua_sync::ReplicaError> {
        Ok(self
            .merge_remote_many(items)?
            .into_iter()
            .map(|m| gocua_sync::Merged {
                heads: m.heads,
                missing_deps: m.missing_deps,
            })
            .collect())
    }

    fn merge_from_peer(
        &mut self,
        peer: &str,
        items: &[(String, Vec<u8>)],
        theirs: &[Option<Vec<ChangeHash>>],
    ) -> Result<Vec<gocua_sync::Merged>, gocua_sync::ReplicaError> {
        Ok(self
            .merge_remote_many_from(items, Some((peer, theirs)))?
            .into_iter()
            .map(|m| gocua_sync::Merged {
                heads: m.heads,
                missing_deps: m.missing_deps,
            })
            .collect())
    }

    fn drop_docs(&mut self, docs: &[String]) -> Result<(), gocua_sync::ReplicaError> {
        Ok(Store::drop_docs(self, docs)?)
    }

    fn peer_records(
        &self,
        peer: &str,
    ) -> Result<Vec<(String, Vec<ChangeHash>)>, gocua_sync::ReplicaError> {
        Ok(self.peer_manifest(peer)?)
    }

    fn set_peer_records(
        &mut self,
        peer: &str,
        entries: &[(String, Vec<ChangeHash>)],
    ) -> Result<(), gocua_sync::ReplicaError> {
        Ok(self.set_peer_heads(peer, entries)?)
    }

    fn forget_peer_records(
        &mut self,
        peer: &str,
        docs: Option<&[String]>,
    ) -> Result<(), gocua_sync::ReplicaError> {
        Ok(self.forget_peer(peer, docs)?)
    }

    fn has_changes(
        &mut self,
        doc: &str,
        hashes: &[ChangeHash],
    ) -> Result<bool, gocua_sync::ReplicaError> {
        let Some(d) = self.take_doc(doc)? else {
            return Ok(false);
        };
        let all = hashes.iter().all(|h| d.get_change_by_hash(h).is_some());
        self.put_back(doc, d);
        Ok(all)
    }

    fn note_held(&mut self, peer: &str, docs: &[String]) -> Result<(), gocua_sync::ReplicaError> {
        Ok(self.hub_note_device_docs(peer, docs)?)
    }

    fn protocol_step(
        &mut self,
        peer: &str,
        doc: &str,
        incoming: Option<sync::Message>,
    ) -> Result<Option<sync::Message>, gocua_sync::ReplicaError> {
        use automerge::sync::SyncDoc;
        Ok(self.with_sync_doc(peer, doc, |d, state| {
            if let Some(m) = incoming {
                d.sync().receive_sync_message(state, m)?;
            }
            Ok(d.sync().generate_sync_message(state))
        })?)
    }
}
