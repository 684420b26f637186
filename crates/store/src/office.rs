//! Hub-only tables of the office's web sign-in: one-time sign-in tokens and the sessions they
//! open (migration 0007). Only SHA-256 hashes of tokens and session ids are stored; the hub
//! chooses the lifetimes.

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::{Result, Store};

fn sha(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

/// A live office session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfficeSessionRow {
    pub created_at: i64,
    pub last_used: i64,
    /// The absolute end (sign-in plus the hub's absolute limit).
    pub expires_at: i64,
}

/// What a session cookie is worth now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionCheck {
    Valid(OfficeSessionRow),
    /// It existed but its absolute or idle limit passed (it is deleted now).
    Expired,
    Unknown,
}

impl Store {
    /// Stores a one-time sign-in token (its hash) valid until `expires_at`. Also forgets
    /// tokens and sessions dead for more than a day.
    pub fn office_add_signin(&self, token: &str, now: i64, expires_at: i64) -> Result<()> {
        self.conn.execute(
            "DELETE FROM hub_office_signin WHERE expires_at < ?1",
            params![now - 86_400],
        )?;
        self.conn.execute(
            "DELETE FROM hub_office_sessions WHERE expires_at < ?1",
            params![now - 86_400],
        )?;
        self.conn.execute(
            "INSERT INTO hub_office_signin (hash, created_at, expires_at) VALUES (?1, ?2, ?3)",
            params![sha(token), now, expires_at],
        )?;
        Ok(())
    }

    /// Uses a sign-in token once and opens a session `session` (its hash stored) ending at
    /// `session_expires_at` at the latest. `None` when the token is unknown, used or expired.
    pub fn office_redeem_signin(
        &mut self,
        token: &str,
        session: &str,
        now: i64,
        session_expires_at: i64,
    ) -> Result<Option<OfficeSessionRow>> {
        let tx = self.conn.transaction()?;
        let used = tx.execute(
            "UPDATE hub_office_signin SET used_at = ?2
             WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            params![sha(token), now],
        )?;
        if used != 1 {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO hub_office_sessions (hash, created_at, last_used, expires_at)
             VALUES (?1, ?2, ?2, ?3)",
            params![sha(session), now, session_expires_at],
        )?;
        tx.commit()?;
        Ok(Some(OfficeSessionRow {
            created_at: now,
            last_used: now,
            expires_at: session_expires_at,
        }))
    }

    /// Checks a session id: valid while before its absolute end and used within `idle_secs`;
    /// a valid one counts as used now. An expired one is deleted.
    pub fn office_session(&self, session: &str, now: i64, idle_secs: i64) -> Result<SessionCheck> {
        let hash = sha(session);
        let row = self
            .conn
            .query_row(
                "SELECT created_at, last_used, expires_at FROM hub_office_sessions WHERE hash = ?1",
                params![hash],
                |r| {
                    Ok(OfficeSessionRow {
                        created_at: r.get(0)?,
                        last_used: r.get(1)?,
                        expires_at: r.get(2)?,
                    })
                },
            )
            .optional()?;
        let Some(mut row) = row else {
            return Ok(SessionCheck::Unknown);
        };
        if now >= row.expires_at || now >= row.last_used + idle_secs {
            self.conn.execute(
                "DELETE FROM hub_office_sessions WHERE hash = ?1",
                params![hash],
            )?;
            return Ok(SessionCheck::Expired);
        }
        self.conn.execute(
            "UPDATE hub_office_sessions SET last_used = ?2 WHERE hash = ?1",
            params![hash, now],
        )?;
        row.last_used = now;
        Ok(SessionCheck::Valid(row))
    }

    /// Ends a session (sign-out). `false` if there was none.
    pub fn office_end_session(&self, session: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM hub_office_sessions WHERE hash = ?1",
            params![sha(session)],
        )? > 0)
    }
}
