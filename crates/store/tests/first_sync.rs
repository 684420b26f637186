//! A first sync's pages merged in one call (the path that loads and reads documents on all
//! cores before its transaction) give the same documents and projection as merging them one at
//! a time, refuse a damaged document in the page without writing any of it, and a grouped
//! store's log flush leaves every commit readable by a new connection.

#[path = "fixtures/support.rs"]
mod support;

use gocua_store::{Durability, Store, StoreOptions};
use support::{Replica, copy_all_docs, dump_checked, heads, ward};

fn source() -> Replica {
    let mut hub = Replica::new(StoreOptions::default());
    let g = ward(41, 150);
    hub.store().load_ward(&g, |_, _| {}).expect("load ward");
    hub
}

fn page(from: &Store) -> Vec<(String, Vec<u8>)> {
    from.manifest()
        .expect("manifest")
        .into_iter()
        .map(|(id, _, _)| {
            let bytes = from.doc_bytes(&id).expect("bytes").expect("listed");
            (id, bytes)
        })
        .collect()
}

#[test]
fn a_whole_page_merged_at_once_equals_documents_merged_one_by_one() {
    let mut hub = source();
    let items = page(hub.get());
    assert!(items.len() > 100, "enough documents for the parallel path");

    let mut bulk = Replica::new(StoreOptions::default());
    let outcomes = bulk.store().merge_remote_many(&items).expect("merge page");
    assert!(
        outcomes
            .iter()
            .all(|o| o.changed && o.missing_deps.is_empty())
    );
    let mut single = Replica::new(StoreOptions::default());
    copy_all_docs(hub.get(), single.store());

    assert_eq!(heads(bulk.get()), heads(hub.get()));
    assert_eq!(heads(bulk.get()), heads(single.get()));
    // Each projection equals its own rebuild, and the two equal each other and the source's.
    let b = dump_checked(bulk.store());
    assert_eq!(b, dump_checked(single.store()));
    assert_eq!(b, dump_checked(hub.store()));

    // The same page again changes nothing.
    let again = bulk.store().merge_remote_many(&items).expect("merge again");
    assert!(again.iter().all(|o| !o.changed));
    assert_eq!(dump_checked(bulk.store()), b);
}

#[test]
fn a_damaged_document_in_a_page_refuses_the_whole_page() {
    let hub = source();
    let mut items = page(hub.get());
    let k = items.len() / 2;
    let n = items[k].1.len();
    items[k].1.truncate(n - 7);
    let mut phone = Replica::new(StoreOptions::default());
    let before = phone.get().projection_dump(None).expect("dump");
    let err = phone
        .store()
        .merge_remote_many(&items)
        .expect_err("a truncated document is refused");
    assert!(err.to_string().contains(&items[k].0), "{err}");
    assert_eq!(phone.get().doc_count().expect("count"), 0);
    assert_eq!(phone.get().projection_dump(None).expect("dump"), before);

    // Another household's bytes under this id are refused too.
    let mut items = page(hub.get());
    let households: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].0 != gocua_store::PLAN_DOC_ID)
        .take(2)
        .collect();
    let other = items[households[1]].1.clone();
    items[households[0]].1 = other;
    let err = phone
        .store()
        .merge_remote_many(&items)
        .expect_err("foreign bytes are refused");
    assert!(err.to_string().contains("another document"), "{err}");
    assert_eq!(phone.get().doc_count().expect("count"), 0);
}

#[test]
fn a_grouped_store_flushes_its_log_and_a_new_connection_reads_every_commit() {
    let hub = source();
    let items = page(hub.get());
    let mut grouped = Replica::new(StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    });
    let flush = grouped.get().wal_flush();
    let before = grouped.get().total_changes();
    grouped.store().merge_remote_many(&items).expect("merge");
    assert!(grouped.get().total_changes() > before, "a write counts");
    let after = grouped.get().total_changes();
    let _ = grouped.get().doc_count().expect("count");
    assert_eq!(grouped.get().total_changes(), after, "a read does not");
    flush.flush().expect("flush the log");

    let other = Store::open(&grouped.path).expect("second connection");
    assert_eq!(heads(&other), heads(hub.get()));
    drop(other);
    // Closed: SQLite folds the log into the file and removes it; a flush then has nothing to do.
    grouped.close();
    flush.flush().expect("flush without a log");
}
