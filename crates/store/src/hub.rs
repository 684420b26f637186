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

/// Why a pairing attempt was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairRefusal {
    /// No live code has this name, or the secret is wrong (the caller cannot tell which).
    Unknown,
    /// The right code, expired.
    Expired,
    /// The right code, already used.
    Used,
    /// The right code, burned by too many wrong secrets for its name: the office makes a new one.
    Burned,
    /// Too many failed pairings ward-wide: failures are no longer answered until the lock ends.
    /// Only a right, live code still pairs.
    Locked { until: i64 },
}

impl PairRefusal {
    pub fn code(self) -> &'static str {
        match self {
            PairRefusal::Unknown => "join_code_unknown",
            PairRefusal::Expired => "join_code_expired",
            PairRefusal::Used => "join_code_used",
            PairRefusal::Burned => "join_code_burned",
            PairRefusal::Locked { .. } => "too_many_attempts",
        }
    }
}

/// How many failed pairings the hub answers. Mechanism lives here (one SQLite transaction per
/// attempt); the hub chooses the numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairingPolicy {
    /// Wrong secrets a code takes before it is burned.
    pub code_tries: u32,
    /// Failed pairings (any code) answered per window before the guard locks.
    pub free_failures: u32,
    pub window_secs: i64,
    /// The first lock lasts this long; each lock that follows another doubles it.
    pub lock_secs: i64,
    pub max_lock_secs: i64,
}

impl Default for PairingPolicy {
    fn default() -> Self {
        PairingPolicy {
            code_tries: 5,
            free_failures: 20,
            window_secs: 600,
            lock_secs: 300,
            max_lock_secs: 24 * 3600,
        }
    }
}

/// The pairing guard as the office sees it (`gocua hub pairing-guard`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PairingGuard {
    pub failures: u32,
    pub free_failures: u32,
    pub window_start: i64,
    /// Set while locked.
    pub locked_until: Option<i64>,
    pub strikes: u32,
    pub last_failure: Option<i64>,
    /// Attempts refused unanswered since the guard was last cleared.
    pub refused_while_locked: u64,
    /// Live codes burned by wrong secrets (not yet expired).
    pub burned_codes: Vec<BurnedCode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BurnedCode {
    /// The code's public name (before the dash).
    pub name: String,
    pub label: String,
    pub burned_at: i64,
    pub expires_at: i64,
}

/// The outcome of one pairing attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PairOutcome {
    Paired(Device),
    Refused(PairRefusal),
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
    /// Stores a one-time join code for a role and team: its public name in clear, the whole
    /// code only as a hash. `false` when a code with the same name exists (make another).
    pub fn hub_add_join_code(
        &self,
        code: &str,
        role: Role,
        team: Option<&TeamId>,
        volunteer: Option<&VolunteerId>,
        label: &str,
        expires_at: i64,
    ) -> Result<bool> {
        let Some((name, _)) = gocua_sync::pairing::split_join_code(code) else {
            return Err(crate::Error::Domain(gocua_domain::Error::InvalidValue {
                field: "join_code",
                value: code.to_string(),
            }));
        };
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO hub_join_codes (code_hash, lookup, role, team, volunteer, label, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                sha(&gocua_sync::pairing::normalize_join_code(code)),
                name,
                role.as_str(),
                team.map(|t| t.as_str()),
                volunteer.map(|v| v.as_str()),
                label,
                expires_at
            ],
        )?;
        Ok(n == 1)
    }

    /// One pairing attempt, decided in one `BEGIN IMMEDIATE` transaction so concurrent attempts
    /// (from this hub or from any other process on the file) are counted one after the other:
    /// every failure is charged before the next attempt is looked at.
    ///
    /// A code is found by its public name. A right secret pairs (if the code is live) whatever
    /// the guard's state, so an attacker's guesses never lock out a volunteer holding a right
    /// code. A wrong secret for a live code is charged to that code (burned after
    /// `code_tries`), and every failure is charged to the ward-wide budget: past
    /// `free_failures` in a window the guard locks, and failures are then refused unanswered
    /// (`Locked`), the lock doubling each time it follows another.
    pub fn hub_pair(
        &self,
        code: &str,
        device_id: &str,
        device_name: &str,
        token: &str,
        now: i64,
        policy: &PairingPolicy,
    ) -> Result<PairOutcome> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let parts = gocua_sync::pairing::split_join_code(code);
        let row: Option<CodeRow> = match &parts {
            Some((name, _)) => tx
                .query_row(
                    "SELECT code_hash, role, team, expires_at, used_at, burned_at, attempts, volunteer
                         FROM hub_join_codes WHERE lookup = ?1",
                    [name],
                    |r| {
                        Ok(CodeRow {
                            hash: r.get(0)?,
                            role: r.get(1)?,
                            team: r.get(2)?,
                            expires_at: r.get(3)?,
                            used_at: r.get(4)?,
                            burned_at: r.get(5)?,
                            attempts: r.get(6)?,
                            volunteer: r.get(7)?,
                        })
                    },
                )
                .optional()?,
            None => None,
        };
        let given = sha(&gocua_sync::pairing::normalize_join_code(code));
        let outcome = match row {
            Some(CodeRow {
                hash,
                role,
                team,
                volunteer,
                expires_at,
                used_at,
                burned_at,
                ..
            }) if constant_eq(&hash, &given) => {
                // The right code: whoever holds it is no guesser.
                if used_at.is_some() {
                    PairOutcome::Refused(PairRefusal::Used)
                } else if burned_at.is_some() {
                    PairOutcome::Refused(PairRefusal::Burned)
                } else if expires_at <= now {
                    PairOutcome::Refused(PairRefusal::Expired)
                } else {
                    tx.execute(
                        "UPDATE hub_join_codes SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
                        params![hash, now, device_id],
                    )?;
                    tx.execute(
                        "INSERT INTO hub_devices (id, name, role, team, volunteer, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![device_id, device_name, role, team, volunteer, sha(token), now],
                    )?;
                    PairOutcome::Paired(tx.query_row(
                        &format!("SELECT {DEVICE_COLS} FROM hub_devices WHERE id = ?1"),
                        [device_id],
                        row_to_device,
                    )?)
                }
            }
            row => {
                if let Some(CodeRow {
                    hash,
                    expires_at,
                    used_at: None,
                    burned_at: None,
                    attempts,
                    ..
                }) = row
                    && expires_at > now
                {
                    // A wrong secret for a live code's name: charged to the code.
                    let attempts = attempts + 1;
                    tx.execute(
                        "UPDATE hub_join_codes SET attempts = ?2,
                            burned_at = CASE WHEN ?2 >= ?3 THEN ?4 ELSE NULL END
                         WHERE code_hash = ?1",
                        params![hash, attempts, i64::from(policy.code_tries), now],
                    )?;
                }
                PairOutcome::Refused(charge_failure(&tx, now, policy)?)
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// The guard's state now, with the live codes it burned.
    pub fn hub_pairing_guard(&self, now: i64) -> Result<PairingGuard> {
        let g = read_guard(&self.conn)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT lookup, label, burned_at, expires_at FROM hub_join_codes
             WHERE burned_at IS NOT NULL AND used_at IS NULL AND expires_at > ?1
             ORDER BY burned_at",
        )?;
        let burned_codes = stmt
            .query_map([now], |r| {
                Ok(BurnedCode {
                    name: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    label: r.get(1)?,
                    burned_at: r.get(2)?,
                    expires_at: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let policy = PairingPolicy::default();
        Ok(PairingGuard {
            failures: g.failures as u32,
            free_failures: policy.free_failures,
            window_start: g.window_start,
            locked_until: (g.locked_until > now).then_some(g.locked_until),
            strikes: g.strikes as u32,
            last_failure: (g.last_failure > 0).then_some(g.last_failure),
            refused_while_locked: g.refused_while_locked.max(0) as u64,
            burned_codes,
        })
    }

    /// Unlocks the guard and forgets its counts (burned codes stay burned: make new ones).
    pub fn hub_clear_pairing_guard(&self) -> Result<()> {
        self.conn.execute(
            "UPDATE hub_pairing_guard SET window_start = 0, failures = 0, locked_until = 0,
                strikes = 0, last_failure = 0, refused_while_locked = 0 WHERE id = 1",
            [],
        )?;
        Ok(())
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

/// A join code as `hub_pair` reads it.
struct CodeRow {
    hash: Vec<u8>,
    role: String,
    team: Option<String>,
    expires_at: i64,
    used_at: Option<i64>,
    burned_at: Option<i64>,
    attempts: i64,
    volunteer: Option<String>,
}

struct GuardRow {
    window_start: i64,
    failures: i64,
    locked_until: i64,
    strikes: i64,
    last_failure: i64,
    refused_while_locked: i64,
}

fn read_guard(conn: &rusqlite::Connection) -> Result<GuardRow> {
    Ok(conn.query_row(
        "SELECT window_start, failures, locked_until, strikes, last_failure, refused_while_locked
         FROM hub_pairing_guard WHERE id = 1",
        [],
        |r| {
            Ok(GuardRow {
                window_start: r.get(0)?,
                failures: r.get(1)?,
                locked_until: r.get(2)?,
                strikes: r.get(3)?,
                last_failure: r.get(4)?,
                refused_while_locked: r.get(5)?,
            })
        },
    )?)
}

/// Charges one failed pairing to the ward-wide budget and says how to answer it.
fn charge_failure(
    tx: &rusqlite::Transaction<'_>,
    now: i64,
    policy: &PairingPolicy,
) -> Result<PairRefusal> {
    let mut g = read_guard(tx)?;
    let refusal = if g.locked_until > now {
        g.refused_while_locked += 1;
        PairRefusal::Locked {
            until: g.locked_until,
        }
    } else {
        // A quiet spell as long as a window forgives earlier locks.
        if g.last_failure > 0 && now - g.last_failure >= policy.window_secs.max(1) {
            g.strikes = 0;
        }
        if now - g.window_start >= policy.window_secs || g.window_start > now {
            g.window_start = now;
            g.failures = 0;
        }
        g.failures += 1;
        g.last_failure = now;
        if g.failures >= i64::from(policy.free_failures) {
            let lock = policy
                .lock_secs
                .saturating_mul(1i64 << g.strikes.clamp(0, 20))
                .min(policy.max_lock_secs);
            g.locked_until = now + lock.max(1);
            g.strikes += 1;
            g.failures = 0;
            g.window_start = now;
        }
        PairRefusal::Unknown
    };
    tx.execute(
        "UPDATE hub_pairing_guard SET window_start = ?1, failures = ?2, locked_until = ?3,
            strikes = ?4, last_failure = ?5, refused_while_locked = ?6 WHERE id = 1",
        params![
            g.window_start,
            g.failures,
            g.locked_until,
            g.strikes,
            g.last_failure,
            g.refused_while_locked
        ],
    )?;
    Ok(refusal)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pairing_guard_charges_codes_and_the_ward_but_lets_right_codes_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite");
        // Two connections on one file, as the hub and `gocua hub pair` are.
        let a = Store::open(&path).unwrap();
        let b = Store::open(&path).unwrap();
        let policy = PairingPolicy::default();
        let now = 1_000;
        assert!(
            a.hub_add_join_code("AAAA-222222", Role::Lead, None, None, "lead", now + 600)
                .unwrap()
        );
        assert!(
            !b.hub_add_join_code("AAAA-333333", Role::Lead, None, None, "lead", now + 600)
                .unwrap(),
            "names are unique"
        );
        assert!(
            b.hub_add_join_code("BBBB-222222", Role::Lead, None, None, "lead", now + 600)
                .unwrap()
        );
        let mut n = 0;
        let mut attempt = |s: &Store, code: &str| {
            n += 1;
            s.hub_pair(code, &format!("d-{n}"), "x", "tok", now, &policy)
                .unwrap()
        };
        // Wrong secrets for AAAA: charged to it, burned after five.
        for i in 0..5 {
            let s = if i % 2 == 0 { &a } else { &b };
            assert_eq!(
                attempt(s, &format!("AAAA-99999{}", i + 2)),
                PairOutcome::Refused(PairRefusal::Unknown)
            );
        }
        assert_eq!(
            attempt(&a, "AAAA-222222"),
            PairOutcome::Refused(PairRefusal::Burned)
        );
        // Fifteen more failures (unknown names, malformed codes) reach the ward's budget of 20.
        for i in 0..15 {
            let code = if i == 0 {
                "junk".to_string()
            } else {
                format!("ZZZZ-ZZZZ{:02}", i + 20)
            };
            assert_eq!(
                attempt(&b, &code),
                PairOutcome::Refused(PairRefusal::Unknown),
                "{code}"
            );
        }
        let locked = attempt(&a, "ZZZZ-ZZZZZZ");
        assert!(
            matches!(locked, PairOutcome::Refused(PairRefusal::Locked { until }) if until == now + 300)
        );
        let g = a.hub_pairing_guard(now).unwrap();
        assert_eq!(g.locked_until, Some(now + 300));
        assert_eq!(g.refused_while_locked, 1);
        assert_eq!(g.burned_codes.len(), 1);
        // A right code pairs while locked, once.
        assert!(
            matches!(attempt(&b, "bbbb 222222"), PairOutcome::Paired(d) if d.role == Role::Lead)
        );
        assert_eq!(
            attempt(&a, "BBBB-222222"),
            PairOutcome::Refused(PairRefusal::Used)
        );
        a.hub_clear_pairing_guard().unwrap();
        let g = b.hub_pairing_guard(now).unwrap();
        assert_eq!(
            (g.locked_until, g.failures, g.refused_while_locked),
            (None, 0, 0)
        );
        assert_eq!(
            attempt(&a, "ZZZZ-ZZZZZZ"),
            PairOutcome::Refused(PairRefusal::Unknown)
        );
    }
}
