//! Phone side of sync: pairing with a hub (certificate pinned from the QR payload) and the sync
//! loop over HTTPS. The protocol itself is `gocua_sync`; this crate moves its bytes.

mod error;
mod phone;
pub mod tls;

pub use error::ClientError;
pub use phone::{
    HUB_PEER, PairInfo, ReplicaLock, SyncProgress, SyncReport, pair, paired_hub, sync, sync_shared,
    wipe_revoked,
};
