//! Hub-only tables, outside the CRDT: paired devices, one-time join codes, and what each
//! device may access. Only the ward-office hub uses these.

use std::collections::BTreeSet;

use gocua_domain::{Role, TeamId, VolunteerId};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Result, Store};

fn sha(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

/// A paired device as the hub knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub team: Option<TeamId>,
    /// The volunteer the device was paired for: visits it writes are credited to them.
    pub volunteer: Option<VolunteerId>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_sync: Option<i64>,
    pub last_batch: u64,
}

/// Why a join code could not be redeemed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedeemError {
    Unknown,
    Expired,
    Used,
}

fn row_to_device(r: &rusqlite::Row<'_>) -> rusqlite::Result<Device> {
    let role: String = r.get(2)?;
    let team: Option<String> = r.get(3)?;
    Ok(Device {
        id: r.get(0)?,
        name: r.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Volunteer),
        team: team.and_then(|t| TeamId::parse(&t).ok()),
        created_at: r.get(4)?,
        revoked_at: r.get(5)?,
        last_sync: r.get(6)?,
        last_batch: r.get::<_, i64>(7)? as u64,
        volunteer: r
            .get::<_, Option<String>>(8)?
            .and_then(|v| VolunteerId::parse(&v).ok()),
    })
}

const DEVICE_COLS: &str =
    "id, name, role, team, created_at, revoked_at, last_sync, last_batch, volunteer";

/// What binding an actor to a device did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorBinding {
    /// Bound now, or already bound to this device.
    Mine,
    /// Another device declared it first: it stays theirs.
    Taken,
}

impl Store {
    /// Stores a one-time join code (only its hash) for a role and team.
    pub fn hub_add_join_code(
        &self,
        code: &str,
        role: Role,
        team: Option<&TeamId>,
        volunteer: Option<&VolunteerId>,
        label: &str,
        expires_at: i64,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO hub_join_codes (code_hash, role, team, volunteer, label, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![sha(code), role.as_str(), team.map(|t| t.as_str()), volunteer.map(|v| v.as_str()), label, expires_at],
        )?;
        Ok(())
    }

    /// Trades a join code for a new device, atomically: a code works once.
    pub fn hub_redeem_join_code(
        &self,
        code: &str,
        device_id: &str,
        device_name: &str,
        token: &str,
        now: i64,
    ) -> Result<std::result::Result<Device, RedeemError>> {
        let tx = self.conn.unchecked_transaction()?;
        type CodeRow = (String, Option<String>, i64, Option<i64>, Option<String>);
        let row: Option<CodeRow> = tx
            .query_row(
                "SELECT role, team, expires_at, used_at, volunteer FROM hub_join_codes WHERE code_hash = ?1",
                [sha(code)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((role, team, expires_at, used_at, volunteer)) = row else {
            return Ok(Err(RedeemError::Unknown));
        };
        if used_at.is_some() {
            return Ok(Err(RedeemError::Used));
        }
        if expires_at <= now {
            return Ok(Err(RedeemError::Expired));
        }
        tx.execute(
            "UPDATE hub_join_codes SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
            params![sha(code), now, device_id],
        )?;
        tx.execute(
            "INSERT INTO hub_devices (id, name, role, team, volunteer, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![device_id, device_name, role, team, volunteer, sha(token), now],
        )?;
        let dev = tx.query_row(
            &format!("SELECT {DEVICE_COLS} FROM hub_devices WHERE id = ?1"),
            [device_id],
            row_to_device,
        )?;
        tx.commit()?;
        Ok(Ok(dev))
    }

    /// The device a bearer token belongs to, if the token is right (revoked devices included:
    /// the caller decides what to say).
    pub fn hub_device_by_token(&self, device_id: &str, token: &str) -> Result<Option<Device>> {
        let row: Option<(Device, Vec<u8>)> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {DEVICE_COLS}, token_hash FROM hub_devices WHERE id = ?1"
            ))?
            .query_row([device_id], |r| Ok((row_to_device(r)?, r.get(9)?)))
            .optional()?;
        Ok(match row {
            // Compare hashes of equal length; the token itself is never stored.
            Some((dev, hash)) if constant_eq(&hash, &sha(token)) => Some(dev),
            _ => None,
        })
    }

    pub fn hub_devices(&self) -> Result<Vec<Device>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {DEVICE_COLS} FROM hub_devices ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map([], row_to_device)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Cuts a device off at once; its records are forgotten so nothing is sent to it again.
    pub fn hub_revoke_device(&self, device_id: &str, now: i64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE hub_devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![device_id, now],
        )?;
        Ok(n > 0)
    }

    /// Accepts a batch number only if it is newer than every batch seen from the device.
    pub fn hub_accept_batch(&self, device_id: &str, batch: u64, now: i64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE hub_devices SET last_batch = ?2, last_sync = ?3 WHERE id = ?1 AND last_batch < ?2",
            params![device_id, batch as i64, now],
        )?;
        Ok(n == 1)
    }

    /// Every household document (for the office and ward-level leads).
    pub fn hub_all_households(&self) -> Result<BTreeSet<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM docs WHERE kind = 'household'")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn hub_team_exists(&self, team: &TeamId) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM p_teams WHERE id = ?1",
                [team.as_str()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

impl Store {
    /// Household documents the hub delivered to or accepted from a device.
    pub fn hub_device_docs(&self, device_id: &str) -> Result<BTreeSet<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT doc_id FROM hub_device_docs WHERE device_id = ?1")?;
        let rows = stmt.query_map([device_id], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Notes documents delivered to or accepted from a device (many at once, one transaction).
    pub fn hub_note_device_docs(&self, device_id: &str, docs: &[String]) -> Result<()> {
        if docs.is_empty() {
            return Ok(());
        }
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO hub_device_docs (device_id, doc_id) VALUES (?1, ?2)",
            )?;
            for d in docs {
                stmt.execute(params![device_id, d])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Binds an Automerge actor to the device that declares it, unless another device did first.
    pub fn hub_bind_actor(&self, device_id: &str, actor: &[u8], now: i64) -> Result<ActorBinding> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO hub_device_actors (actor, device_id, since) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![actor, device_id, now])?;
        let owner: String = self.conn.query_row(
            "SELECT device_id FROM hub_device_actors WHERE actor = ?1",
            [actor],
            |r| r.get(0),
        )?;
        Ok(if owner == device_id {
            ActorBinding::Mine
        } else {
            ActorBinding::Taken
        })
    }

    /// Every actor binding, with what the hub knows of its device: the credit check of merged
    /// visits. Actors of the hub's own replica are the office's.
    pub fn hub_authors(&self) -> Result<gocua_sync::protocol::Authors> {
        let mut out = gocua_sync::protocol::Authors::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.actor, a.device_id, d.role, d.team, d.volunteer FROM hub_device_actors a
             LEFT JOIN hub_devices d ON d.id = a.device_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        for row in rows {
            let (actor, device, role, team, volunteer) = row?;
            let role = match role.as_deref().and_then(Role::parse) {
                Some(r) => r,
                None if device == gocua_sync::protocol::HUB_AUTHOR => Role::Office,
                // An actor of a device the hub no longer has: nothing it writes is credited.
                None => continue,
            };
            out.insert(
                actor,
                gocua_sync::protocol::Author {
                    device,
                    role,
                    volunteer: volunteer.and_then(|v| VolunteerId::parse(&v).ok()),
                    team: team.and_then(|t| TeamId::parse(&t).ok()),
                },
            );
        }
        Ok(out)
    }

    /// Binds this replica's own actor as the office's (the hub calls it when it starts), so
    /// visits the office recorded on the hub are credited as the office's when a phone hands
    /// them back to a hub restored from an older backup.
    pub fn hub_bind_own_actor(&self, now: i64) -> Result<()> {
        let actor = self.actor.to_bytes().to_vec();
        self.hub_bind_actor(gocua_sync::protocol::HUB_AUTHOR, &actor, now)?;
        Ok(())
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Store {
    /// Every visit id in the projection (for audits and tests: nothing recorded is ever lost).
    pub fn visit_ids(&self) -> Result<BTreeSet<String>> {
        let mut stmt = self.conn.prepare("SELECT id FROM p_visits")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
