//! Sync for Gõ Cửa without I/O: pairing payloads, the wire format, and the protocol rounds of
//! hub and phone over any [`protocol::Replica`]. The hub and the client only move bytes.

pub mod api;
pub mod pairing;
pub mod protocol;
pub mod wire;

pub use protocol::{
    Access, HubLimits, MergePolicy, Merged, PhoneRound, PhoneSession, Replica, ReplicaError,
    RoundStats, hub_round,
};
