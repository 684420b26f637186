//! The hub's side of the province's reports (migration 0008): the per-ward secret that makes
//! household ids opaque, the report sequence, the outbox of reports not yet committed by the
//! province's PostgreSQL, and what PostgreSQL is known to hold. The report itself is built and
//! sent by `gocua-province`; this module only keeps its state, each change in one transaction.

use std::collections::HashMap;

use rand::RngCore;
use rusqlite::{OptionalExtension, params};

use crate::{Result, Store};

/// A report waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    pub seq: i64,
    pub report_id: String,
    pub events: i64,
    pub created_at: i64,
    pub payload: Vec<u8>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// What changes in the data a report is built from: `events` (visits and corrections in the
/// documents; a lineage of the ward only ever adds them, so an older copy of the ward has fewer)
/// and `writes` (the store's local write counter, for "did anything change since").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataMark {
    pub events: i64,
    pub writes: i64,
}

/// The last report PostgreSQL committed for this hub: its sequence and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acked {
    pub seq: i64,
    pub report_id: String,
}

const SECRET: &str = "province.secret";
const SEQ: &str = "province.seq";
const ACKED_SEQ: &str = "province.acked_seq";
const ACKED_ID: &str = "province.acked_id";

impl Store {
    /// The ward's 32-byte secret for opaque household ids, made on first use. It never leaves
    /// the hub, so the province cannot link an opaque id to a household.
    pub fn province_secret(&self) -> Result<[u8; 32]> {
        if let Some(hex_secret) = self.meta_get(SECRET)?
            && let Ok(bytes) = hex::decode(hex_secret.trim())
            && let Ok(secret) = <[u8; 32]>::try_from(bytes.as_slice())
        {
            return Ok(secret);
        }
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        self.meta_set(SECRET, &hex::encode(secret))?;
        Ok(secret)
    }

    /// The figures that say how far the data has come (see [`DataMark`]).
    pub fn province_mark(&self) -> Result<DataMark> {
        let events: i64 = self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM p_visits) + (SELECT COUNT(*) FROM p_corrections)",
            [],
            |r| r.get(0),
        )?;
        Ok(DataMark {
            events,
            writes: crate::docs::max_seq(&self.conn)?,
        })
    }

    /// Hands out the next report sequence: one more than any handed out here and than `floor`
    /// (the sequence PostgreSQL holds for the ward, after a hub restored from an old backup).
    pub fn province_next_seq(&self, floor: i64) -> Result<i64> {
        let tx = self.conn.unchecked_transaction()?;
        let last: i64 = tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [SEQ], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let next = last.max(floor) + 1;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![SEQ, next.to_string()],
        )?;
        tx.commit()?;
        Ok(next)
    }

    /// Queues a report. A report carries the whole state the province needs (the household rows
    /// that changed since the last committed report, every figure), so reports queued before it
    /// and not sent yet are superseded and dropped in the same transaction.
    pub fn province_enqueue(&self, e: &OutboxEntry) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("DELETE FROM province_outbox WHERE seq < ?1", [e.seq])?;
        tx.execute(
            "INSERT INTO province_outbox (seq, report_id, events, created_at, payload, attempts, last_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                e.seq,
                e.report_id,
                e.events,
                e.created_at,
                e.payload,
                e.attempts,
                e.last_error
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The report to send next (the newest queued), if any.
    pub fn province_pending(&self) -> Result<Option<OutboxEntry>> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, report_id, events, created_at, payload, attempts, last_error
                 FROM province_outbox ORDER BY seq DESC LIMIT 1",
                [],
                |r| {
                    Ok(OutboxEntry {
                        seq: r.get(0)?,
                        report_id: r.get(1)?,
                        events: r.get(2)?,
                        created_at: r.get(3)?,
                        payload: r.get(4)?,
                        attempts: r.get(5)?,
                        last_error: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    /// How many reports wait in the outbox.
    pub fn province_queued(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM province_outbox", [], |r| r.get(0))?)
    }

    /// Records a failed attempt at sending a queued report; it stays queued.
    pub fn province_attempt_failed(&self, seq: i64, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE province_outbox SET attempts = attempts + 1, last_error = ?2 WHERE seq = ?1",
            params![seq, error],
        )?;
        Ok(())
    }

    /// Drops a queued report PostgreSQL will never take (it must be built again).
    pub fn province_drop(&self, seq: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM province_outbox WHERE seq = ?1", [seq])?;
        Ok(())
    }

    /// The last report PostgreSQL committed for this hub, if any.
    pub fn province_acked(&self) -> Result<Option<Acked>> {
        let seq = self.meta_get(ACKED_SEQ)?.and_then(|s| s.parse().ok());
        let id = self.meta_get(ACKED_ID)?;
        Ok(seq.zip(id).map(|(seq, report_id)| Acked { seq, report_id }))
    }

    /// Forgets what PostgreSQL holds, so the next report is a full one.
    pub fn province_forget_acked(&self) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "DELETE FROM meta WHERE key IN (?1, ?2)",
            params![ACKED_SEQ, ACKED_ID],
        )?;
        tx.execute("DELETE FROM province_sent", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Digests of the household rows PostgreSQL holds, by opaque id.
    pub fn province_sent(&self) -> Result<HashMap<String, Vec<u8>>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hid, digest FROM province_sent")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// PostgreSQL committed report `seq`: in one transaction, records it as acknowledged,
    /// updates what PostgreSQL holds (`full`: exactly `rows`; else `rows` upserted and `removed`
    /// deleted) and removes it and anything older from the outbox.
    pub fn province_ack(
        &self,
        acked: &Acked,
        full: bool,
        rows: &[(String, Vec<u8>)],
        removed: &[String],
    ) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        if full {
            tx.execute("DELETE FROM province_sent", [])?;
        }
        {
            let mut del = tx.prepare_cached("DELETE FROM province_sent WHERE hid = ?1")?;
            for hid in removed {
                del.execute([hid])?;
            }
            let mut put = tx.prepare_cached(
                "INSERT INTO province_sent (hid, digest) VALUES (?1, ?2)
                 ON CONFLICT (hid) DO UPDATE SET digest = excluded.digest",
            )?;
            for (hid, digest) in rows {
                put.execute(params![hid, digest])?;
            }
        }
        for (k, v) in [
            (ACKED_SEQ, acked.seq.to_string()),
            (ACKED_ID, acked.report_id.clone()),
        ] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![k, v],
            )?;
        }
        tx.execute("DELETE FROM province_outbox WHERE seq <= ?1", [acked.seq])?;
        tx.commit()?;
        Ok(())
    }
}
