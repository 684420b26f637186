//! The replica's guarantees, on real SQLite files: the incremental projection always equals a
//! rebuild, an interrupted write leaves no trace, bad bytes change nothing, each file has its
//! own actor, and a database written by an earlier version still opens.

#[path = "fixtures/support.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::Path;

use expect_test::{Expect, expect};
use gocua_domain::{
    Assignment, Correction, CorrectionId, Household, HouseholdId, HouseholdKind, Timestamp, Visit,
};
use gocua_store::{
    FAILPOINTS, PLAN_DOC_ID, PlanEntry, Store, StoreOptions, UpsertSummary, set_failpoint,
};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

use support::{
    Model, Replica, apply, copy_all_docs, dump_checked, heads, options, projected_visits,
    random_funnel, section, ward,
};

fn check(actual: &str, expect: Expect) {
    expect.assert_eq(actual);
}

// --- 1. The projection equals a rebuild --------------------------------------------------------

/// Imports `n` more households from `reserve`, with the ward's recorded visits to them.
fn import(rep: &mut Replica, m: &mut Model, reserve: &mut Vec<Household>, n: usize) {
    let batch: Vec<Household> = reserve.drain(..n.min(reserve.len())).collect();
    let summary = rep
        .store()
        .upsert_households(&batch, |_, _| {})
        .expect("import");
    assert_eq!(
        summary,
        UpsertSummary {
            created: batch.len() as u32,
            updated: 0,
            unchanged: 0
        }
    );
    let ids: BTreeSet<&HouseholdId> = batch.iter().map(|h| &h.id).collect();
    let visits: Vec<Visit> = m
        .ward
        .visits
        .iter()
        .filter(|v| ids.contains(&v.household))
        .cloned()
        .collect();
    for v in visits {
        rep.store()
            .record_visit(&v)
            .expect("recorded visit of the ward's history");
        m.visits.insert(v.id.clone(), v.household.clone());
    }
    m.households
        .extend(batch.into_iter().map(|h| (h.id.clone(), h)));
}

/// Importing the households as they stand must change nothing at all.
fn reimport_changes_nothing(rep: &mut Replica, m: &Model) {
    let before = heads(rep.get());
    let seq = rep.get().max_seq().expect("seq");
    let size = rep.get().stored_size().expect("size");
    let all: Vec<Household> = m.households.values().cloned().collect();
    let summary = rep
        .store()
        .upsert_households(&all, |_, _| {})
        .expect("re-import");
    assert_eq!(
        summary,
        UpsertSummary {
            created: 0,
            updated: 0,
            unchanged: all.len() as u32
        }
    );
    assert_eq!(heads(rep.get()), before, "a re-import changed documents");
    assert_eq!(
        rep.get().max_seq().expect("seq"),
        seq,
        "a re-import marked documents as written"
    );
    assert_eq!(
        rep.get().stored_size().expect("size"),
        size,
        "a re-import stored bytes"
    );
}

/// A random history drawn from `seed`; panics when the projection ever differs from a rebuild.
fn history(seed: u64, steps: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let w = ward(seed, rng.gen_range(4..14));
    let mut reserve = w.households.clone();
    let mut m = Model::new(w.clone());
    let mut rep = Replica::new(options(rng.r#gen()));
    rep.store()
        .put_plan(&PlanEntry::for_ward(&w))
        .expect("plan");
    let n = rng.gen_range(1..4);
    import(&mut rep, &mut m, &mut reserve, n);
    for step in 0..steps {
        match rng.gen_range(0..100) {
            0..=4 if !reserve.is_empty() => {
                let n = rng.gen_range(1..4);
                import(&mut rep, &mut m, &mut reserve, n);
            }
            5..=8 => reimport_changes_nothing(&mut rep, &m),
            9..=11 => {
                let before = rep.get().projection_dump(None).expect("dump");
                let opts = options(rng.r#gen());
                rep.reopen(opts);
                assert_eq!(
                    rep.get().projection_dump(None).expect("dump"),
                    before,
                    "reopening changed the projection"
                );
            }
            12 => {
                dump_checked(rep.store());
            }
            13..=14 if !m.households.is_empty() => {
                let i = rng.gen_range(0..m.households.len());
                let h = m.households.values().nth(i).cloned().expect("a household");
                let h = support::corrected_household(&mut rng, &m.ward, &h);
                let summary = rep
                    .store()
                    .upsert_households(std::slice::from_ref(&h), |_, _| {})
                    .expect("import");
                assert_eq!(summary.created, 0);
                m.households.insert(h.id.clone(), h);
            }
            15 if !m.households.is_empty() => {
                // Work reassigned away from this device: the household leaves it, and may come back.
                let i = rng.gen_range(0..m.households.len());
                let id = m.households.keys().nth(i).cloned().expect("a household");
                rep.store().drop_docs(&[id.to_string()]).expect("drop");
                let h = m.households.remove(&id).expect("model household");
                m.visits.retain(|_, hid| *hid != id);
                reserve.push(h);
            }
            _ => {
                let Some(e) = m.random_edit(&mut rng) else {
                    continue;
                };
                apply(rep.store(), &e).unwrap_or_else(|err| panic!("step {step}: {e:?}: {err}"));
                m.applied(&e);
            }
        }
    }
    reimport_changes_nothing(&mut rep, &m);
    let dump = dump_checked(rep.store());
    let expected: BTreeSet<String> = m.visits.keys().map(|v| v.to_string()).collect();
    assert_eq!(projected_visits(&dump), expected);
    assert_eq!(section(&dump, "p_households").len(), m.households.len());
    let before = heads(rep.get());
    rep.reopen(StoreOptions::default());
    assert_eq!(heads(rep.get()), before);
    assert_eq!(
        dump_checked(rep.store()),
        dump,
        "the file holds what the replica showed"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, max_shrink_iters: 32, ..ProptestConfig::default() })]

    #[test]
    fn projection_equals_rebuild_after_any_history(seed in any::<u64>(), steps in 1usize..120) {
        history(seed, steps);
    }
}

#[test]
fn projection_equals_rebuild_after_a_long_history() {
    history(0x60_C0A, 1500);
}

#[test]
fn a_reopened_replica_stores_only_new_changes() {
    let w = ward(3, 6);
    let mut rep = Replica::new(StoreOptions::default());
    rep.store()
        .put_plan(&PlanEntry::for_ward(&w))
        .expect("plan");
    rep.store()
        .upsert_households(&w.households, |_, _| {})
        .expect("import");
    let h = w.households[0].clone();
    rep.reopen(StoreOptions::default());
    let mut m = Model::new(w.clone());
    m.households.insert(h.id.clone(), h.clone());
    reimport_changes_nothing(&mut rep, &m);
    // A visit recorded with the document freshly loaded from disk stores that visit, not the
    // household's whole history again.
    let size = rep.get().stored_size().expect("size");
    let doc = rep
        .get()
        .doc_bytes(h.id.as_str())
        .expect("bytes")
        .expect("household")
        .len();
    let mut rng = StdRng::seed_from_u64(3);
    let at = m.tick(&mut rng);
    let v = m.random_visit(&mut rng, &h, at);
    rep.store().record_visit(&v).expect("visit");
    let grew = rep.get().stored_size().expect("size") - size;
    assert!(
        grew < doc as u64,
        "one visit stored {grew} bytes, the whole household is {doc}"
    );
}

#[test]
fn the_write_sequence_never_goes_back() {
    let w = ward(5, 4);
    let mut m = Model::new(w.clone());
    let mut rng = StdRng::seed_from_u64(5);
    let mut rep = Replica::new(StoreOptions::default());
    rep.store()
        .upsert_households(&w.households, |_, _| {})
        .expect("import");
    let (kept, dropped) = (w.households[0].clone(), w.households[1].clone());
    let at = m.tick(&mut rng);
    let v = m.random_visit(&mut rng, &dropped, at);
    rep.store().record_visit(&v).expect("visit");
    // A peer has seen everything up to here.
    let cursor = rep.get().max_seq().expect("seq");
    assert_eq!(rep.get().docs_written_since(cursor).expect("since"), vec![]);
    // The newest document leaves; the next write must still come after the peer's cursor.
    rep.store()
        .drop_docs(&[dropped.id.to_string()])
        .expect("drop");
    rep.reopen(StoreOptions::default());
    assert!(rep.get().max_seq().expect("seq") >= cursor);
    let at = m.tick(&mut rng);
    let v = m.random_visit(&mut rng, &kept, at);
    rep.store().record_visit(&v).expect("visit");
    let written: Vec<String> = rep
        .get()
        .docs_written_since(cursor)
        .expect("since")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        written,
        vec![kept.id.to_string()],
        "a write after the cursor is missing"
    );
}

// --- 2. Interrupted writes --------------------------------------------------------------------

/// The kinds of write, each prepared so it can be attempted twice with the same input.
#[derive(Clone, Copy, Debug)]
enum WriteKind {
    Visit,
    Correction,
    Plan,
    Import,
    Merge,
}

const WRITE_KINDS: [WriteKind; 5] = [
    WriteKind::Visit,
    WriteKind::Correction,
    WriteKind::Plan,
    WriteKind::Import,
    WriteKind::Merge,
];

type Write = Box<dyn Fn(&mut Store) -> gocua_store::Result<()>>;

/// A write ready to run, and how to see it happened.
struct Prepared {
    /// Documents the write touches.
    docs: Vec<String>,
    write: Write,
    visible: Box<dyn Fn(&str) -> bool>,
}

struct Bench {
    rep: Replica,
    peer: Replica,
    model: Model,
    reserve: Vec<Household>,
    rng: StdRng,
}

impl Bench {
    fn new(opts: StoreOptions) -> Bench {
        let w = ward(7, 60);
        let mut reserve = w.households.clone();
        let mut model = Model::new(w.clone());
        let mut rep = Replica::new(opts);
        rep.store()
            .put_plan(&PlanEntry::for_ward(&w))
            .expect("plan");
        import(&mut rep, &mut model, &mut reserve, 6);
        let mut peer = Replica::new(StoreOptions::default());
        copy_all_docs(rep.get(), peer.store());
        Bench {
            rep,
            peer,
            model,
            reserve,
            rng: StdRng::seed_from_u64(17),
        }
    }

    /// Makes an unrelated change to a document, if this replica holds it.
    fn touch(&mut self, id: &str) {
        let at = self.model.tick(&mut self.rng);
        if id == PLAN_DOC_ID {
            let mut t = self.model.ward.teams[0].clone();
            t.name = format!("Tổ công tác {}", at.0);
            self.rep
                .store()
                .put_plan(&[PlanEntry::Team(t)])
                .expect("touch the plan");
            return;
        }
        let hid = HouseholdId::parse(id).expect("household id");
        if !self.rep.get().has_doc(id).expect("has_doc") {
            return;
        }
        let h = self
            .model
            .households
            .get(&hid)
            .expect("model household")
            .clone();
        let v = self.model.random_visit(&mut self.rng, &h, at);
        self.rep
            .store()
            .record_visit(&v)
            .expect("touch the household");
    }

    fn some_household(&mut self) -> Household {
        let hs: Vec<&Household> = self
            .model
            .households
            .values()
            .filter(|h| !h.residents.is_empty())
            .collect();
        hs[self.rng.gen_range(0..hs.len())].clone()
    }

    fn prepare(&mut self, kind: WriteKind) -> Prepared {
        let at = self.model.tick(&mut self.rng);
        match kind {
            WriteKind::Visit => {
                let h = self.some_household();
                let v = self.model.random_visit(&mut self.rng, &h, at);
                let id = v.id.to_string();
                Prepared {
                    docs: vec![h.id.to_string()],
                    write: Box::new(move |s| s.record_visit(&v)),
                    visible: Box::new(move |d| projected_visits(d).contains(&id)),
                }
            }
            WriteKind::Correction => {
                let h = self.some_household();
                let r = h.residents[0].id.clone();
                let by = self.model.ward.volunteers[0].id.clone();
                let c = Correction::new(
                    CorrectionId::random(self.rng.r#gen()),
                    r,
                    at,
                    by,
                    random_funnel(&mut self.rng),
                    "Sai sót",
                )
                .expect("correction");
                let id = format!("Text(\"{}\")", c.id);
                Prepared {
                    docs: vec![h.id.to_string()],
                    write: Box::new(move |s| s.add_correction(&h.id, &c)),
                    visible: Box::new(move |d| {
                        section(d, "p_corrections")
                            .iter()
                            .any(|row| row.starts_with(&id))
                    }),
                }
            }
            WriteKind::Plan => {
                let w = &self.model.ward;
                let street = w.streets[self.rng.gen_range(0..w.streets.len())].id.clone();
                let team = w.teams[self.rng.gen_range(0..w.teams.len())].id.clone();
                let entry = PlanEntry::StreetAssignment {
                    street: street.clone(),
                    assignment: Assignment {
                        team,
                        volunteer: None,
                        at,
                        by: None,
                    },
                };
                let row = format!("Text(\"{street}\")|");
                let at_col = format!("|Integer({})|", at.0);
                Prepared {
                    docs: vec![PLAN_DOC_ID.to_string()],
                    write: Box::new(move |s| s.put_plan(std::slice::from_ref(&entry)).map(|_| ())),
                    visible: Box::new(move |d| {
                        section(d, "p_street_assign")
                            .iter()
                            .any(|r| r.starts_with(&row) && r.contains(&at_col))
                    }),
                }
            }
            WriteKind::Import => {
                // New households and a changed one, in one batch.
                let mut batch: Vec<Household> = self.reserve.drain(..2).collect();
                let mut changed = self.some_household();
                changed.head = format!("{} (chủ hộ mới)", changed.head);
                batch.push(changed.clone());
                self.model.households.insert(changed.id.clone(), changed);
                let new_ids: Vec<String> = batch[..2]
                    .iter()
                    .map(|h| format!("Text(\"{}\")|", h.id))
                    .collect();
                for h in &batch[..2] {
                    self.model.households.insert(h.id.clone(), h.clone());
                }
                Prepared {
                    docs: batch.iter().map(|h| h.id.to_string()).collect(),
                    write: Box::new(move |s| s.upsert_households(&batch, |_, _| {}).map(|_| ())),
                    visible: Box::new(move |d| {
                        new_ids
                            .iter()
                            .all(|id| section(d, "p_households").iter().any(|r| r.starts_with(id)))
                    }),
                }
            }
            WriteKind::Merge => {
                // The peer records a visit; its changes arrive here.
                let h = self.some_household();
                let v = self.model.random_visit(&mut self.rng, &h, at);
                let current = self
                    .rep
                    .get()
                    .doc_bytes(h.id.as_str())
                    .expect("bytes")
                    .expect("household");
                self.peer
                    .store()
                    .merge_remote(h.id.as_str(), &current)
                    .expect("peer catches up");
                self.peer.store().record_visit(&v).expect("peer visit");
                let mine = self
                    .rep
                    .get()
                    .doc_heads(h.id.as_str())
                    .expect("heads")
                    .unwrap_or_default();
                let bytes = self
                    .peer
                    .store()
                    .changes_since(h.id.as_str(), &mine)
                    .expect("changes");
                let id = v.id.to_string();
                Prepared {
                    docs: vec![h.id.to_string()],
                    write: Box::new(move |s| s.merge_remote(h.id.as_str(), &bytes).map(|_| ())),
                    visible: Box::new(move |d| projected_visits(d).contains(&id)),
                }
            }
        }
    }
}

#[test]
fn a_write_interrupted_at_any_step_leaves_no_trace() {
    let compact_every_write = StoreOptions {
        compact_after: 1,
        ..StoreOptions::default()
    };
    for (o, opts) in [StoreOptions::default(), compact_every_write, options(2)]
        .into_iter()
        .enumerate()
    {
        let mut b = Bench::new(opts);
        for (s, step) in FAILPOINTS.iter().enumerate() {
            for (k, kind) in WRITE_KINDS.into_iter().enumerate() {
                let ctx = format!("{kind:?} failing at {step} (options {o})");
                let p = b.prepare(kind);
                dump_checked(b.rep.store());
                let before_heads = heads(b.rep.get());
                let before = b.rep.get().projection_dump(None).expect("dump");
                // The documents the write touches are in memory, as during a working session.
                for id in &p.docs {
                    if id == PLAN_DOC_ID {
                        b.rep.store().plan_state().expect("plan");
                    } else if b.rep.get().has_doc(id).expect("has_doc") {
                        b.rep
                            .store()
                            .household_state(&HouseholdId::parse(id).expect("id"))
                            .expect("household");
                    }
                }

                set_failpoint(Some(step));
                let failed = (p.write)(b.rep.store());
                set_failpoint(None);
                let err = failed
                    .err()
                    .unwrap_or_else(|| panic!("{ctx}: the write succeeded"));
                assert_eq!(err.code(), "injected", "{ctx}: {err}");
                assert_eq!(heads(b.rep.get()), before_heads, "{ctx}: heads moved");
                assert_eq!(
                    b.rep.get().projection_dump(None).expect("dump"),
                    before,
                    "{ctx}: projection moved"
                );

                // Retry at once (nothing of the failed write may linger in memory), or after the
                // next launch, which must find the state before the write whether the app exited
                // cleanly or was killed.
                match (s + k + o) % 3 {
                    0 => {
                        // Another write to the same documents must not carry the failed one along.
                        for id in p.docs.clone() {
                            b.touch(&id);
                        }
                        let touched = b.rep.get().projection_dump(None).expect("dump");
                        assert!(
                            !(p.visible)(&touched),
                            "{ctx}: the failed write came back with the next one"
                        );
                    }
                    r => {
                        if r == 1 {
                            b.rep.crash_and_reopen();
                        } else {
                            let opts = b.rep.opts.clone();
                            b.rep.reopen(opts);
                        }
                        assert_eq!(
                            heads(b.rep.get()),
                            before_heads,
                            "{ctx}: heads moved on disk"
                        );
                        assert_eq!(
                            dump_checked(b.rep.store()),
                            before,
                            "{ctx}: projection moved on disk"
                        );
                    }
                }

                (p.write)(b.rep.store()).unwrap_or_else(|e| panic!("{ctx}: the retry failed: {e}"));
                assert_ne!(
                    heads(b.rep.get()),
                    before_heads,
                    "{ctx}: the retry changed nothing"
                );
                let after = dump_checked(b.rep.store());
                assert!(
                    (p.visible)(&after),
                    "{ctx}: the retried write is not visible"
                );
            }
        }
    }
}

// --- 3. Bad input changes nothing --------------------------------------------------------------

/// Two replicas of one ward; the peer has made three visits to household `h` since they agreed.
struct Pair {
    rep: Replica,
    peer: Replica,
    h: HouseholdId,
    /// The peer's three changes to `h`, one by one.
    changes: Vec<Vec<u8>>,
    visits: Vec<String>,
}

fn pair() -> Pair {
    let w = ward(11, 8);
    let mut m = Model::new(w.clone());
    let mut rep = Replica::new(StoreOptions::default());
    rep.store()
        .put_plan(&PlanEntry::for_ward(&w))
        .expect("plan");
    rep.store()
        .upsert_households(&w.households[..6], |_, _| {})
        .expect("import");
    let mut peer = Replica::new(StoreOptions::default());
    copy_all_docs(rep.get(), peer.store());
    let h = w.households[0].clone();
    let mut rng = StdRng::seed_from_u64(11);
    let mut changes = Vec::new();
    let mut visits = Vec::new();
    for _ in 0..3 {
        let before = peer
            .get()
            .doc_heads(h.id.as_str())
            .expect("heads")
            .expect("household");
        let at = m.tick(&mut rng);
        let v = m.random_visit(&mut rng, &h, at);
        peer.store().record_visit(&v).expect("visit");
        changes.push(
            peer.store()
                .changes_since(h.id.as_str(), &before)
                .expect("changes"),
        );
        visits.push(v.id.to_string());
    }
    Pair {
        rep,
        peer,
        h: h.id,
        changes,
        visits,
    }
}

/// Asserts that merging `bytes` as document `id` is refused and changes nothing.
fn refused(rep: &mut Replica, id: &str, bytes: &[u8], what: &str) {
    let before = heads(rep.get());
    let had = rep.get().has_doc(id).expect("has_doc");
    match rep.store().merge_remote(id, bytes) {
        Ok(out) => panic!(
            "{what} ({} bytes) into {id} was accepted: {out:?}",
            bytes.len()
        ),
        Err(e) => assert_eq!(e.code(), "corrupt_document", "{what}: {e}"),
    }
    assert_eq!(heads(rep.get()), before, "{what}: heads moved");
    assert_eq!(
        rep.get().has_doc(id).expect("has_doc"),
        had,
        "{what}: a document appeared"
    );
}

#[test]
fn truncated_or_garbage_bytes_are_refused() {
    let mut p = pair();
    let before = dump_checked(p.rep.store());
    let h = p.h.to_string();
    // Three change chunks; every cut that is not at a chunk boundary leaves a damaged chunk.
    let all: Vec<u8> = p.changes.concat();
    let boundaries: Vec<usize> = p
        .changes
        .iter()
        .scan(0, |n, c| {
            *n += c.len();
            Some(*n)
        })
        .collect();
    for cut in (1..all.len())
        .filter(|c| !boundaries.contains(c))
        .step_by(3)
    {
        refused(&mut p.rep, &h, &all[..cut], "truncated changes");
    }
    // A whole saved document, cut anywhere, offered as a new household.
    let whole = p
        .peer
        .get()
        .doc_bytes(p.h.as_str())
        .expect("bytes")
        .expect("household");
    let fresh = "h-arrives-whole";
    for cut in (1..whole.len()).step_by(5) {
        refused(&mut p.rep, fresh, &whole[..cut], "truncated document");
    }
    // Garbage, with and without Automerge's magic bytes in front.
    let mut rng = StdRng::seed_from_u64(5);
    for i in 0..200 {
        let mut junk = vec![0u8; rng.gen_range(1..400)];
        rng.fill_bytes(&mut junk);
        if i % 2 == 0 {
            junk.splice(0..0, [0x85, 0x6f, 0x4a, 0x83]);
        }
        refused(&mut p.rep, &h, &junk, "garbage");
    }
    // One flipped byte inside a valid chunk.
    let mut flipped = all.clone();
    let i = boundaries[0] + 20;
    flipped[i] ^= 0x40;
    refused(&mut p.rep, &h, &flipped, "a corrupted chunk");
    assert_eq!(dump_checked(p.rep.store()), before);

    // The intact bytes still merge.
    let out = p
        .rep
        .store()
        .merge_remote(&h, &all)
        .expect("intact bytes merge");
    assert!(out.changed && out.missing_deps.is_empty());
    let dump = dump_checked(p.rep.store());
    assert!(p.visits.iter().all(|v| projected_visits(&dump).contains(v)));
}

#[test]
fn bytes_of_another_document_are_refused() {
    let mut p = pair();
    let before = dump_checked(p.rep.store());
    let manifest = p.rep.get().manifest().expect("manifest");
    let other = manifest
        .iter()
        .map(|(id, _, _)| id)
        .find(|id| *id != p.h.as_str() && *id != PLAN_DOC_ID)
        .expect("another");
    let other_bytes = p
        .peer
        .get()
        .doc_bytes(other)
        .expect("bytes")
        .expect("other household");
    let plan_bytes = p
        .peer
        .get()
        .doc_bytes(PLAN_DOC_ID)
        .expect("bytes")
        .expect("plan");
    let other_changes = p.peer.store().changes_since(other, &[]).expect("changes");
    let h = p.h.to_string();
    refused(&mut p.rep, &h, &other_bytes, "another household's document");
    refused(
        &mut p.rep,
        &h,
        &other_changes,
        "another household's changes",
    );
    refused(&mut p.rep, &h, &plan_bytes, "the plan");
    refused(
        &mut p.rep,
        PLAN_DOC_ID,
        &other_bytes,
        "a household as the plan",
    );
    refused(
        &mut p.rep,
        "h-not-here-yet",
        &other_bytes,
        "a household under a new id",
    );
    assert_eq!(dump_checked(p.rep.store()), before);
    // The right document under its own id is fine.
    let mine = p
        .peer
        .get()
        .doc_bytes(&h)
        .expect("bytes")
        .expect("household");
    assert!(
        p.rep
            .store()
            .merge_remote(&h, &mine)
            .expect("own bytes")
            .changed
    );
}

#[test]
fn changes_with_missing_dependencies_wait_for_them() {
    for cold in [false, true] {
        let mut p = pair();
        let h = p.h.to_string();
        let before_heads = heads(p.rep.get());
        let before = dump_checked(p.rep.store());
        // The third change alone, then the second and third: each lacks the one before.
        for late in [
            p.changes[2].clone(),
            [p.changes[1].clone(), p.changes[2].clone()].concat(),
        ] {
            let out = p
                .rep
                .store()
                .merge_remote(&h, &late)
                .expect("well-formed bytes merge");
            assert!(
                !out.missing_deps.is_empty(),
                "the dependency is reported missing"
            );
            assert!(!out.changed);
            assert_eq!(heads(p.rep.get()), before_heads);
            assert_eq!(dump_checked(p.rep.store()), before);
        }
        if cold {
            p.rep.reopen(StoreOptions::default());
        }
        // The sender falls back to everything since the receiver's heads: nothing is lost.
        let mine = p
            .rep
            .get()
            .doc_heads(&h)
            .expect("heads")
            .expect("household");
        let all = p.peer.store().changes_since(&h, &mine).expect("changes");
        let out = p.rep.store().merge_remote(&h, &all).expect("merge");
        assert!(out.missing_deps.is_empty());
        assert_eq!(heads(p.rep.get())[&h], heads(p.peer.get())[&h]);
        let dump = dump_checked(p.rep.store());
        assert!(
            p.visits.iter().all(|v| projected_visits(&dump).contains(v)),
            "cold {cold}"
        );
    }
}

#[test]
fn empty_bytes_and_bad_ids_create_nothing() {
    let mut p = pair();
    let before = heads(p.rep.get());
    let out = p
        .rep
        .store()
        .merge_remote("h-nothing", &[])
        .expect("empty bytes");
    assert!(!out.changed);
    assert!(!p.rep.get().has_doc("h-nothing").expect("has_doc"));
    let bytes = p.changes[0].clone();
    assert!(p.rep.store().merge_remote("not an id", &bytes).is_err());
    assert_eq!(heads(p.rep.get()), before);
}

// --- 4. The actor -----------------------------------------------------------------------------

#[test]
fn each_file_has_its_own_actor() {
    let w = ward(13, 3);
    let mut a = Replica::new(StoreOptions::default());
    a.store().put_plan(&PlanEntry::for_ward(&w)).expect("plan");
    a.store()
        .upsert_households(&w.households, |_, _| {})
        .expect("import");
    let first = a.get().actor().clone();
    a.reopen(StoreOptions::default());
    assert_eq!(a.get().actor(), &first, "the actor survives a reopen");

    // A copy of the file (a backup restored, a phone cloned) writes under another actor.
    let copy_dir = tempfile::tempdir().expect("dir");
    let copy_path = copy_dir.path().join("copy.sqlite");
    let opts = a.opts.clone();
    a.close();
    std::fs::copy(&a.path, &copy_path).expect("copy the database file");
    let mut copy = Store::open(&copy_path).expect("open the copy");
    assert_ne!(copy.actor(), &first, "a copy took the original's actor");
    a.reopen(opts);
    assert_eq!(
        a.get().actor(),
        &first,
        "opening a copy changed the original"
    );

    // Both record a visit to the same household; merged, neither hides the other.
    let mut m = Model::new(w.clone());
    let mut rng = StdRng::seed_from_u64(13);
    let h = w.households[0].clone();
    let (at1, at2) = (m.tick(&mut rng), m.tick(&mut rng));
    let (v1, v2) = (
        m.random_visit(&mut rng, &h, at1),
        m.random_visit(&mut rng, &h, at2),
    );
    a.store().record_visit(&v1).expect("visit on the original");
    copy.record_visit(&v2).expect("visit on the copy");
    let id = h.id.as_str();
    let theirs = copy.doc_heads(id).expect("heads").expect("household");
    let to_copy = a.store().changes_since(id, &theirs).expect("changes");
    copy.merge_remote(id, &to_copy)
        .expect("merge into the copy");
    let mine = a.get().doc_heads(id).expect("heads").expect("household");
    let to_a = copy.changes_since(id, &mine).expect("changes");
    a.store()
        .merge_remote(id, &to_a)
        .expect("merge into the original");
    assert_eq!(
        a.get().doc_heads(id).expect("heads"),
        copy.doc_heads(id).expect("heads")
    );
    for v in [&v1, &v2] {
        assert!(projected_visits(&dump_checked(a.store())).contains(v.id.as_str()));
        assert!(projected_visits(&dump_checked(&mut copy)).contains(v.id.as_str()));
    }

    // Rotating takes a fresh actor, kept across reopens and used by later writes.
    let rotated = a.store().rotate_actor().expect("rotate");
    assert_ne!(rotated, first);
    assert_eq!(a.get().actor(), &rotated);
    a.reopen(StoreOptions::default());
    assert_eq!(
        a.get().actor(),
        &rotated,
        "the rotated actor survives a reopen"
    );
    let at3 = m.tick(&mut rng);
    let v3 = m.random_visit(&mut rng, &h, at3);
    a.store().record_visit(&v3).expect("visit after rotation");
    let mut doc = a.get().load(id).expect("load").expect("household");
    let last = doc
        .get_last_local_change()
        .expect("a change by the rotated actor");
    assert_eq!(last.actor_id(), &rotated);

    // Replicas never share an actor.
    let actors: BTreeSet<String> = (0..8)
        .map(|_| {
            Replica::new(StoreOptions::default())
                .get()
                .actor()
                .to_hex_string()
        })
        .chain([
            first.to_hex_string(),
            rotated.to_hex_string(),
            copy.actor().to_hex_string(),
        ])
        .collect();
    assert_eq!(actors.len(), 11);
}

// --- 5. A database written by version 1 -------------------------------------------------------

const GOLDEN: &str = "golden-v1.sqlite";

/// A small ward with a few evenings of visits, corrections and plan changes.
fn write_golden(to: &Path) {
    let mut w = ward(2026, 8);
    // Homes only: a site holds hundreds of people and would make the committed file large.
    w.households.retain(|h| h.kind == HouseholdKind::Home);
    let mut m = Model::new(w.clone());
    let mut reserve = w.households.clone();
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(GOLDEN);
    {
        let mut rep = Replica::at(
            &path,
            StoreOptions {
                compact_after: 4,
                ..StoreOptions::default()
            },
        );
        rep.store()
            .put_plan(&PlanEntry::for_ward(&w))
            .expect("plan");
        let n = reserve.len();
        import(&mut rep, &mut m, &mut reserve, n);
        let mut rng = StdRng::seed_from_u64(2026);
        for _ in 0..40 {
            let e = m.random_edit(&mut rng).expect("an edit");
            apply(rep.store(), &e).expect("edit");
            m.applied(&e);
        }
        // A household handed to another team, and one handed back to its street's team.
        let (a, b) = (w.households[0].id.clone(), w.households[1].id.clone());
        let at = m.tick(&mut rng);
        let to = Assignment {
            team: w.teams[0].id.clone(),
            volunteer: Some(w.volunteers[0].id.clone()),
            at,
            by: None,
        };
        rep.store()
            .put_plan(&[
                PlanEntry::HouseholdAssignment {
                    household: a,
                    assignment: Some(to.clone()),
                },
                PlanEntry::HouseholdAssignment {
                    household: b.clone(),
                    assignment: Some(to),
                },
            ])
            .expect("overrides");
        rep.store()
            .put_plan(&[PlanEntry::HouseholdAssignment {
                household: b,
                assignment: None,
            }])
            .expect("cleared");
        dump_checked(rep.store());
    }
    // One self-contained file: no write-ahead log beside it.
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.pragma_update(None, "journal_mode", "DELETE")
        .expect("journal mode");
    // Small pages keep the committed file small.
    conn.pragma_update(None, "page_size", 1024)
        .expect("page size");
    conn.execute_batch("VACUUM").expect("vacuum");
    drop(conn);
    std::fs::copy(&path, to).expect("write the golden database");
}

/// Counts that do not depend on actors or clocks.
fn summary(store: &mut Store, dump: &str) -> String {
    let mut out = String::new();
    for line in dump.lines().filter(|l| l.starts_with("## ")) {
        out.push_str(line.trim_start_matches("## "));
        out.push('\n');
    }
    let plan = store.plan_state().expect("plan");
    out.push_str(&format!(
        "ward: {}\ncampaign: {}\ndocuments: {}\n",
        plan.ward.map(|w| w.name).unwrap_or_default(),
        plan.campaign.map(|c| c.name).unwrap_or_default(),
        store.doc_count().expect("count"),
    ));
    out
}

#[test]
fn golden_v1_database_opens_with_current_code() {
    let golden = support::fixtures_dir().join(GOLDEN);
    if std::env::var("GOCUA_WRITE_GOLDEN").as_deref() == Ok("1") {
        write_golden(&golden);
    }
    assert!(
        golden.exists(),
        "{} is missing. It is written once by the version whose schema it freezes: run\n  \
         GOCUA_WRITE_GOLDEN=1 UPDATE_EXPECT=1 cargo test -p gocua-store --test replica golden\n\
         and commit the file with the updated summary. Never rewrite it once a release has shipped \
         schema 1: it stands for the files on users' phones.",
        golden.display()
    );
    // Work on a copy: opening migrates and records the file's path, which must not touch the fixture.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(GOLDEN);
    std::fs::copy(&golden, &path).expect("copy the golden database");
    let version = |p: &Path| -> i64 {
        let conn = rusqlite::Connection::open(p).expect("open");
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("user_version")
    };
    assert_eq!(version(&path), 1, "the golden database is schema 1");

    let mut store = Store::open(&path).expect("the current code opens a version-1 database");
    assert!(version(&path) >= 1);
    let dump = dump_checked(&mut store);
    check(
        &summary(&mut store, &dump),
        expect![[r#"
            p_plan (2)
            p_groups (4)
            p_streets (8)
            p_orgs (7)
            p_teams (3)
            p_volunteers (9)
            p_street_assign (8)
            p_household_assign (2)
            p_team_sessions (0)
            p_households (8)
            p_residents (30)
            p_visits (29)
            p_visit_actions (39)
            p_corrections (7)
            p_hard_cases (0)
            residents found by their own name in the search index: 30
            ward: Phường Láng Hạ
            campaign: Chiến dịch 90 ngày đêm
            documents: 9
        "#]],
    );
    // And it still takes writes.
    let plan = store.plan_state().expect("plan");
    let street = plan.streets[0].id.clone();
    let team = plan.teams[0].id.clone();
    let a = Assignment {
        team,
        volunteer: None,
        at: Timestamp(1_800_000_000),
        by: None,
    };
    assert!(
        store
            .put_plan(&[PlanEntry::StreetAssignment {
                street,
                assignment: a
            }])
            .expect("write")
    );
    dump_checked(&mut store);
}
