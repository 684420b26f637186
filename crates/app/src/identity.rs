//! Who uses this replica, persisted in the store's meta table under `identity.*`.
//!
//! A replica nobody has set up belongs to whoever created the file, which in practice is the
//! ward office preparing the ward, so the default role is `Office`. A paired replica's identity
//! is the one the hub gave at pairing (`device.*` keys, written only by pairing): no local
//! command changes it. The local role only decides what this app offers; what a device may sync
//! and who its visits may be credited to is decided by the hub.

use gocua_domain::{DeviceId, Role, TeamId, VolunteerId};
use gocua_store::Store;
use serde::{Deserialize, Serialize};

use crate::Result;

const VOLUNTEER: &str = "identity.volunteer";
const TEAM: &str = "identity.team";
const ROLE: &str = "identity.role";
const DEVICE: &str = "identity.device";
// Written by pairing only (crates/client).
const PAIRED_DEVICE: &str = "device.id";
const PAIRED_ROLE: &str = "device.role";
const PAIRED_TEAM: &str = "device.team";
const PAIRED_VOLUNTEER: &str = "device.volunteer";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Identity {
    pub volunteer: Option<VolunteerId>,
    pub team: Option<TeamId>,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            volunteer: None,
            team: None,
            role: Role::Office,
            device: None,
        }
    }
}

impl Identity {
    /// Loads the stored identity; missing or unreadable keys fall back to the default. A paired
    /// replica is who the hub said at pairing.
    pub fn load(store: &Store) -> Result<Identity> {
        if let Some(device) = store.meta_get(PAIRED_DEVICE)? {
            return Ok(Identity {
                volunteer: store
                    .meta_get(PAIRED_VOLUNTEER)?
                    .and_then(|s| VolunteerId::parse(&s).ok()),
                team: store
                    .meta_get(PAIRED_TEAM)?
                    .and_then(|s| TeamId::parse(&s).ok()),
                // Unreadable: the least a device can be.
                role: store
                    .meta_get(PAIRED_ROLE)?
                    .and_then(|s| Role::parse(&s))
                    .unwrap_or(Role::Volunteer),
                device: DeviceId::parse(&device).ok(),
            });
        }
        let d = Identity::default();
        Ok(Identity {
            volunteer: store
                .meta_get(VOLUNTEER)?
                .and_then(|s| VolunteerId::parse(&s).ok()),
            team: store.meta_get(TEAM)?.and_then(|s| TeamId::parse(&s).ok()),
            role: store
                .meta_get(ROLE)?
                .and_then(|s| Role::parse(&s))
                .unwrap_or(d.role),
            device: store
                .meta_get(DEVICE)?
                .and_then(|s| DeviceId::parse(&s).ok()),
        })
    }

    /// Whether this replica has ever been given an identity.
    pub fn is_set(store: &Store) -> Result<bool> {
        Ok(store.meta_get(ROLE)?.is_some() || Identity::is_paired(store)?)
    }

    /// Whether the identity comes from pairing with a hub (and so cannot be set locally).
    pub fn is_paired(store: &Store) -> Result<bool> {
        Ok(store.meta_get(PAIRED_DEVICE)?.is_some())
    }

    pub fn save(&self, store: &Store) -> Result<()> {
        store.meta_set(ROLE, self.role.as_str())?;
        for (key, value) in [
            (VOLUNTEER, self.volunteer.as_ref().map(|v| v.as_str())),
            (TEAM, self.team.as_ref().map(|t| t.as_str())),
            (DEVICE, self.device.as_ref().map(|d| d.as_str())),
        ] {
            match value {
                Some(v) => store.meta_set(key, v)?,
                None => store.meta_delete(key)?,
            }
        }
        Ok(())
    }
}
