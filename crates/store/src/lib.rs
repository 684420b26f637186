//! The replica: Automerge documents persisted in SQLite next to a queryable projection, each
//! change and its projection rows written in one transaction. The only crate that speaks SQL.

pub mod audit;
pub mod backup;
mod db;
mod docs;
mod error;
pub mod files;
pub mod household_doc;
pub mod hub;
pub mod key;
pub mod office;
pub mod plan_doc;
mod projection;
pub mod province;
pub mod queries;
pub mod sync;
mod writes;

pub use automerge::{ActorId, AutoCommit, ChangeHash};
#[cfg(feature = "failpoints")]
pub use db::set_failpoint;
pub use db::{Durability, FAILPOINTS, Store, StoreOptions, WalFlush};
pub use docs::{DocId, DocKind, PLAN_DOC_ID};
pub use error::{Error, Result};
pub use files::{FileKind, encrypt_file, file_kind};
pub use household_doc::HouseholdState;
pub use key::{Key, KeyFile, KeyProvider};
pub use plan_doc::{PlanEntry, PlanState};
pub use sync::MergeOutcome;
pub use writes::UpsertSummary;

/// Encodes heads as sorted concatenated 32-byte hashes (the form stored in SQLite).
pub fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    let mut hs: Vec<&ChangeHash> = heads.iter().collect();
    hs.sort();
    hs.iter().flat_map(|h| h.0).collect()
}

/// Inverse of [`encode_heads`]; `None` when the bytes are not a whole number of hashes.
pub fn decode_heads(bytes: &[u8]) -> Option<Vec<ChangeHash>> {
    if !bytes.len().is_multiple_of(32) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                ChangeHash(h)
            })
            .collect(),
    )
}
