//! JSON bodies of the hub's HTTP API besides the binary sync frames: pairing, status, errors.

use serde::{Deserialize, Serialize};

pub const PATH_PAIR: &str = "/v1/pair";
pub const PATH_SYNC: &str = "/v1/sync";
pub const PATH_STATUS: &str = "/v1/status";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairRequest {
    pub code: String,
    pub device_name: String,
    /// The replica's Automerge actor (hex): the hub binds it to the new device, so visits
    /// written with it are credited as this device may credit them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// Header in which a device declares its Automerge actor (hex) on every sync: a replica
/// restored from a backup writes with a new one.
pub const ACTOR_HEADER: &str = "x-gocua-actor";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairResponse {
    pub device_id: String,
    /// The device's secret; sent once, kept by the hub only as a hash.
    pub token: String,
    /// "volunteer", "lead" or "office".
    pub role: String,
    pub team: Option<String>,
    /// The volunteer the device was paired for (its visits are credited to them).
    #[serde(default)]
    pub volunteer: Option<String>,
    pub ward: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub ward: String,
    pub device_id: String,
    pub role: String,
    pub team: Option<String>,
    #[serde(default)]
    pub volunteer: Option<String>,
    /// Documents the device may hold (its households and the plan).
    pub documents: u64,
    /// The newest sync batch the hub accepted from this device: a phone restored from a backup
    /// continues from here instead of being refused as a replay forever.
    pub last_batch: u64,
}

/// Every error answer of the hub: a stable code and the message in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message_vi: String,
    pub message_en: String,
}
