//! Persistence of Automerge documents: snapshot + incremental chunks, compaction, a bounded
//! cache, and the one write path that stores change bytes and projection rows together.

use automerge::{AutoCommit, ChangeHash, transaction::CommitOptions};
use gocua_domain::HouseholdId;
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::failpoint;
use crate::{Error, Result, Store, encode_heads, projection};

pub type DocId = String;

/// The one ward plan document of a replica.
pub const PLAN_DOC_ID: &str = "plan";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    Household,
    Plan,
}

impl DocKind {
    /// Every document id says what it is; anything else is refused.
    pub fn of(id: &str) -> Result<DocKind> {
        if id == PLAN_DOC_ID {
            Ok(DocKind::Plan)
        } else {
            HouseholdId::parse(id)?;
            Ok(DocKind::Household)
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Household => "household",
            DocKind::Plan => "plan",
        }
    }
}

/// What a write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteOutcome {
    pub changed: bool,
    pub heads: Vec<ChangeHash>,
}

/// Reads a document's stored bytes: the snapshot followed by its incremental chunks, which is
/// exactly what `AutoCommit::load` accepts and what a first sync ships.
pub(crate) fn stored_bytes(conn: &Connection, id: &str) -> Result<Option<Vec<u8>>> {
    let snapshot: Option<Vec<u8>> = conn
        .query_row("SELECT snapshot FROM docs WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(mut bytes) = snapshot else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare_cached("SELECT bytes FROM doc_changes WHERE doc_id = ?1 ORDER BY n")?;
    let mut rows = stmt.query([id])?;
    while let Some(row) = rows.next()? {
        let chunk: Vec<u8> = row.get(0)?;
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

pub(crate) fn load_doc(
    conn: &Connection,
    actor: &automerge::ActorId,
    id: &str,
) -> Result<Option<AutoCommit>> {
    match stored_bytes(conn, id)? {
        None => Ok(None),
        Some(bytes) => {
            let doc = AutoCommit::load(&bytes)
                .map_err(|e| Error::CorruptDoc(id.to_string(), e.to_string()))?;
            Ok(Some(doc.with_actor(actor.clone())))
        }
    }
}

/// Highest write sequence handed out. Dropping documents leaves it in `meta` as `seq_floor`, so a
/// number is never handed out twice (a peer's cursor past it would skip the later write).
pub(crate) fn max_seq(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT MAX(COALESCE((SELECT MAX(seq) FROM docs), 0),
                    COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'seq_floor'), 0))",
        [],
        |r| r.get(0),
    )?)
}

fn next_seq(conn: &Connection) -> Result<i64> {
    Ok(max_seq(conn)? + 1)
}

/// Whether a document is already stored; a new one may come with the exact bytes it was loaded
/// from, to keep as its snapshot.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin<'a> {
    Stored,
    New { verbatim: Option<&'a [u8]> },
}

/// Stores what changed in `doc` since it was last saved, then its projection, inside `tx`.
/// New documents are stored as a full snapshot.
pub(crate) fn persist(
    tx: &Connection,
    id: &str,
    kind: DocKind,
    doc: &mut AutoCommit,
    origin: Origin<'_>,
    compact_after: i64,
    mode: Projection<'_>,
) -> Result<WriteOutcome> {
    let (is_new, verbatim) = match origin {
        Origin::Stored => (false, None),
        Origin::New { verbatim } => (true, verbatim),
    };
    let heads = doc.get_heads();
    if is_new && heads.is_empty() {
        // Nothing was written (e.g. a sync step that received nothing): store no empty document.
        return Ok(WriteOutcome {
            changed: false,
            heads,
        });
    }
    if is_new {
        // Bytes received whole (a first sync) are stored as they came: saving them again would
        // cost as much as loading them did. Snapshots are saved uncompressed: a first sync ships
        // thousands of them in one zstd page, which compresses across documents far better than
        // Automerge's per-column DEFLATE inside each (measured: 2.3× → 1.3× the bytes of one
        // whole-ward document), and they load faster.
        let snapshot = match verbatim {
            Some(b) => b.to_vec(),
            None => doc.save_nocompress(),
        };
        failpoint("after_change_bytes")?;
        tx.prepare_cached(
            "INSERT INTO docs (id, kind, snapshot, heads, n_changes, seq) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
        )?
        .execute(params![id, kind.as_str(), snapshot, encode_heads(&heads), next_seq(tx)?])?;
    } else {
        let (n, stored): (i64, Vec<u8>) = tx
            .prepare_cached("SELECT n_changes, heads FROM docs WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if stored == encode_heads(&heads) {
            return Ok(WriteOutcome {
                changed: false,
                heads,
            });
        }
        if n + 1 > compact_after {
            // Compaction: one snapshot replaces the snapshot and every chunk.
            let snapshot = doc.save_nocompress();
            failpoint("after_change_bytes")?;
            tx.prepare_cached("DELETE FROM doc_changes WHERE doc_id = ?1")?
                .execute([id])?;
            tx.prepare_cached(
                "UPDATE docs SET snapshot = ?2, heads = ?3, n_changes = 0, seq = ?4 WHERE id = ?1",
            )?
            .execute(params![id, snapshot, encode_heads(&heads), next_seq(tx)?])?;
        } else {
            // A document loaded from disk has no save cursor, so `save_incremental` would return
            // its whole history: save exactly what the stored heads do not cover.
            let stored = crate::decode_heads(&stored).ok_or_else(|| {
                Error::CorruptDoc(id.to_string(), "stored heads are malformed".into())
            })?;
            let chunk = doc.save_after(&stored);
            tx.prepare_cached("INSERT INTO doc_changes (doc_id, n, bytes) VALUES (?1, ?2, ?3)")?
                .execute(params![id, n + 1, chunk])?;
            failpoint("after_change_bytes")?;
            tx.prepare_cached(
                "UPDATE docs SET heads = ?2, n_changes = ?3, seq = ?4 WHERE id = ?1",
            )?
            .execute(params![id, encode_heads(&heads), n + 1, next_seq(tx)?])?;
        }
    }
    failpoint("after_doc_row")?;
    match mode {
        Projection::NewVisit(v) if !is_new => projection::project_new_visit(tx, id, doc, v)?,
        Projection::Prepared(states) if kind == DocKind::Household => {
            match states.borrow_mut().remove(id) {
                Some(st) => projection::project_household_state(tx, id, &st, is_new)?,
                None => projection::project(tx, id, kind, doc)?,
            }
        }
        _ => projection::project(tx, id, kind, doc)?,
    }
    failpoint("after_projection")?;
    Ok(WriteOutcome {
        changed: true,
        heads,
    })
}

pub(crate) fn commit_options() -> CommitOptions {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    CommitOptions::default().with_time(now)
}

/// How a write updates the projection. Both give the same rows (tests compare them with a
/// rebuild); the visit path touches only what one new visit can change, because recording a
/// visit is the hot path on a phone.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Projection<'a> {
    Full,
    NewVisit(&'a gocua_domain::Visit),
    /// Full, from household states already read (a first sync's new documents, read on all
    /// cores before the transaction); a document without one here is read as in `Full`.
    Prepared(&'a std::cell::RefCell<std::collections::HashMap<String, crate::HouseholdState>>),
}

/// How a write finds its document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Presence {
    /// The document must exist.
    Existing,
    /// Create it if it does not exist.
    CreateIfMissing,
}

impl Store {
    /// Takes a document out of the cache or loads it. The caller puts it back only after the
    /// transaction that persisted its changes committed, so a failed write never leaves an
    /// unsaved change in memory.
    pub(crate) fn take_doc(&mut self, id: &str) -> Result<Option<AutoCommit>> {
        if let Some(doc) = self.cache.remove(id) {
            return Ok(Some(doc));
        }
        load_doc(&self.conn, &self.actor, id)
    }

    pub(crate) fn put_back(&mut self, id: &str, doc: AutoCommit) {
        if self.cache.len() >= self.opts.cache_docs {
            // Cheap bounded cache: forget everything rather than track recency. Reloading a
            // household document costs tens of microseconds.
            self.cache.clear();
        }
        if self.opts.cache_docs > 0 {
            self.cache.insert(id.to_string(), doc);
        }
    }

    /// Runs `edit` on each listed document and persists all of them in one SQLite transaction:
    /// either every change and its projection is stored, or none is.
    pub(crate) fn write_docs<F>(
        &mut self,
        items: Vec<(String, DocKind, Presence)>,
        mut edit: F,
    ) -> Result<Vec<WriteOutcome>>
    where
        F: FnMut(usize, &str, &mut AutoCommit) -> Result<()>,
    {
        self.write_docs_with(items, Projection::Full, |i, id, doc| {
            edit(i, id, doc).map(|()| None)
        })
    }

    pub(crate) fn write_docs_with<F>(
        &mut self,
        items: Vec<(String, DocKind, Presence)>,
        mode: Projection<'_>,
        edit: F,
    ) -> Result<Vec<WriteOutcome>>
    where
        // The edit may hand back the exact bytes a new document was loaded from, to store as is.
        F: FnMut(usize, &str, &mut AutoCommit) -> Result<Option<Vec<u8>>>,
    {
        self.write_docs_then(items, mode, edit, |_, _| Ok(()))
    }

    /// [`Store::write_docs_with`], running `then` inside the same transaction once every document
    /// is written: what must commit with the documents or not at all (e.g. a peer's heads).
    pub(crate) fn write_docs_then<F, T>(
        &mut self,
        items: Vec<(String, DocKind, Presence)>,
        mode: Projection<'_>,
        mut edit: F,
        then: T,
    ) -> Result<Vec<WriteOutcome>>
    where
        F: FnMut(usize, &str, &mut AutoCommit) -> Result<Option<Vec<u8>>>,
        T: FnOnce(&Connection, &[WriteOutcome]) -> Result<()>,
    {
        let mut taken: Vec<(String, AutoCommit)> = Vec::with_capacity(items.len());
        // Automerge can panic on hostile bytes a peer sent (found by fuzzing, kept in
        // fuzz/regressions/store_merge: a saved document with damaged columns panics while it
        // loads; a change applied without its dependency makes `save_after` unwrap). A panic here
        // unwinds through the transaction (rolled back when dropped) and the taken documents
        // (dropped, so memory holds no unsaved change): the write is refused like any other.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
            || -> Result<Vec<WriteOutcome>> {
                let tx = self.conn.unchecked_transaction()?;
                let mut outcomes = Vec::with_capacity(items.len());
                for (i, (id, kind, presence)) in items.iter().enumerate() {
                    let (mut doc, is_new) = match self.cache.remove(id.as_str()) {
                        Some(d) => (d, false),
                        None => match load_doc(&tx, &self.actor, id)? {
                            Some(d) => (d, false),
                            None if *presence == Presence::CreateIfMissing => {
                                (AutoCommit::new().with_actor(self.actor.clone()), true)
                            }
                            None => {
                                return Err(match kind {
                                    DocKind::Plan => Error::NoPlan,
                                    DocKind::Household => Error::NoSuchHousehold(id.clone()),
                                });
                            }
                        },
                    };
                    let r = edit(i, id, &mut doc).and_then(|verbatim| {
                        doc.commit_with(commit_options());
                        let origin = if is_new {
                            Origin::New {
                                verbatim: verbatim.as_deref(),
                            }
                        } else {
                            Origin::Stored
                        };
                        persist(
                            &tx,
                            id,
                            *kind,
                            &mut doc,
                            origin,
                            self.opts.compact_after,
                            mode,
                        )
                    });
                    taken.push((id.clone(), doc));
                    outcomes.push(r?);
                }
                then(&tx, &outcomes)?;
                failpoint("before_commit")?;
                tx.commit()?;
                Ok(outcomes)
            },
        ))
        .unwrap_or_else(|_| {
            let ids: Vec<&str> = items.iter().map(|(id, _, _)| id.as_str()).collect();
            Err(Error::CorruptDoc(
                ids.join(", "),
                "the changes could not be applied".into(),
            ))
        });
        if result.is_ok() {
            for (id, doc) in taken {
                self.put_back(&id, doc);
            }
        }
        result
    }

    /// Current heads of a stored document.
    pub fn doc_heads(&self, id: &str) -> Result<Option<Vec<ChangeHash>>> {
        let heads: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT heads FROM docs WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        Ok(heads.and_then(|h| crate::decode_heads(&h)))
    }

    /// Every document held, with its heads and local write sequence.
    pub fn manifest(&self) -> Result<Vec<(String, Vec<ChangeHash>, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, heads, seq FROM docs ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, heads, seq) = row?;
            out.push((id, crate::decode_heads(&heads).unwrap_or_default(), seq));
        }
        Ok(out)
    }

    pub fn has_doc(&self, id: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM docs WHERE id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The snapshot and chunks as stored, without loading the document.
    pub fn doc_bytes(&self, id: &str) -> Result<Option<Vec<u8>>> {
        stored_bytes(&self.conn, id)
    }

    /// A loaded copy of a document, for reading or for tests.
    pub fn load(&self, id: &str) -> Result<Option<AutoCommit>> {
        load_doc(&self.conn, &self.actor, id)
    }

    /// Number of documents held.
    pub fn doc_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM docs", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Total bytes of stored documents (snapshots and chunks).
    pub fn stored_size(&self) -> Result<u64> {
        let a: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(LENGTH(snapshot)), 0) FROM docs",
            [],
            |r| r.get(0),
        )?;
        let b: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(LENGTH(bytes)), 0) FROM doc_changes",
            [],
            |r| r.get(0),
        )?;
        Ok((a + b) as u64)
    }

    /// Rebuilds the whole projection from the documents, in one transaction.
    pub fn rebuild_projection(&mut self, mut progress: impl FnMut(u64, u64)) -> Result<u64> {
        self.cache.clear();
        let tx = self.conn.unchecked_transaction()?;
        projection::clear(&tx)?;
        let ids: Vec<String> = {
            let mut stmt = tx.prepare("SELECT id FROM docs ORDER BY id")?;

            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let total = ids.len() as u64;
        for (i, id) in ids.iter().enumerate() {
            let kind = DocKind::of(id)?;
            let mut doc = load_doc(&tx, &self.actor, id)?
                .ok_or_else(|| Error::CorruptDoc(id.clone(), "vanished".into()))?;
            projection::project(&tx, id, kind, &mut doc)?;
            if i % 256 == 0 || i as u64 + 1 == total {
                progress(i as u64 + 1, total);
            }
        }
        tx.commit()?;
        Ok(total)
    }
}
