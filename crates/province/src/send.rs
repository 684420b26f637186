//! Applying a report in the province's PostgreSQL, all in one transaction: the ward's row is
//! locked, the report is refused there if it is older than what is held (fewer events, a
//! sequence not above the held one, or a diff against a report that is not the one held), and
//! otherwise the ward's figures are replaced and its household rows written. A connection cut
//! half way rolls everything back; the same report sent again after a commit whose answer was
//! lost is recognised by its id and applied once.

use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use crate::report::Report;
use crate::{Error, Result};

/// Why PostgreSQL would not take a report. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The report's data has fewer events than the one held: a hub restored from an old backup,
    /// or a stale retry. The figures stay; the hub reports again once it has caught up.
    OlderData { held_seq: i64, held_events: i64 },
    /// The report's sequence is not above the one held (a hub restored from an old backup has an
    /// old counter): the hub numbers its next report above `held_seq`.
    OldSequence { held_seq: i64, held_events: i64 },
    /// Another hub (another secret) already reports for this ward code: a second install, or a
    /// ward code typed twice. The province decides (it may delete the ward's row to take the
    /// new hub).
    OtherHub { held_seq: i64 },
    /// A diff against a report PostgreSQL does not hold (or that would not add up): the hub
    /// sends a full report.
    NeedsFull { held_seq: i64 },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::OlderData { .. } => "older_data",
            Refusal::OldSequence { .. } => "old_sequence",
            Refusal::NeedsFull { .. } => "needs_full",
            Refusal::OtherHub { .. } => "other_hub",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// This very report (same id) was committed before: nothing written again.
    AlreadyApplied,
    Refused(Refusal),
}

/// Sends `r`, committing it or nothing.
pub async fn apply(client: &mut Client, r: &Report) -> Result<Outcome> {
    let tx = client.transaction().await?;
    // One report per ward at a time, the first one included (no row to lock yet).
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 7262))",
        &[&r.ward_code],
    )
    .await?;
    let held = tx
        .query_opt(
            "SELECT report_seq, report_id, events, hub_id FROM province.wards WHERE ward_code = $1 FOR UPDATE",
            &[&r.ward_code],
        )
        .await?
        .map(|row| {
            (
                row.get::<_, i64>(0),
                row.get::<_, String>(1),
                row.get::<_, i64>(2),
                row.get::<_, String>(3),
            )
        });
    let refusal = match &held {
        Some((seq, _, _, hub)) if *hub != r.hub_id => Some(Refusal::OtherHub { held_seq: *seq }),
        Some((_, id, _, _)) if *id == r.report_id => return Ok(Outcome::AlreadyApplied),
        Some((seq, _, events, _)) if r.events < *events => Some(Refusal::OlderData {
            held_seq: *seq,
            held_events: *events,
        }),
        Some((seq, _, events, _)) if r.seq <= *seq => Some(Refusal::OldSequence {
            held_seq: *seq,
            held_events: *events,
        }),
        Some((seq, id, _, _)) => match &r.base {
            Some((bseq, bid)) if bseq != seq || bid != id => {
                Some(Refusal::NeedsFull { held_seq: *seq })
            }
            _ => None,
        },
        None if r.base.is_some() => Some(Refusal::NeedsFull { held_seq: 0 }),
        None => None,
    };
    if let Some(refusal) = refusal {
        drop(tx);
        log_refusal(client, r, &refusal).await;
        return Ok(Outcome::Refused(refusal));
    }

    let targets = r.campaign.as_ref().map(|c| c.targets);
    let i = |n: u32| n as i32;
    tx.execute(
        "INSERT INTO province.wards (ward_code, hub_id, ward_name, district, report_seq, report_id, events,
             as_of, built_at, received_at, campaign_start, campaign_end, target_cccd, target_level2,
             target_activated, households_total)
         VALUES ($1, $15, $2, $3, $4, $5, $6, $7, to_timestamp($8::bigint), now(), $9, $10, $11, $12, $13, $14)
         ON CONFLICT (ward_code) DO UPDATE SET
             hub_id = excluded.hub_id, ward_name = excluded.ward_name, district = excluded.district,
             report_seq = excluded.report_seq, report_id = excluded.report_id,
             events = excluded.events, as_of = excluded.as_of, built_at = excluded.built_at,
             received_at = excluded.received_at, campaign_start = excluded.campaign_start,
             campaign_end = excluded.campaign_end, target_cccd = excluded.target_cccd,
             target_level2 = excluded.target_level2, target_activated = excluded.target_activated,
             households_total = excluded.households_total",
        &[
            &r.ward_code,
            &r.ward_name,
            &r.district,
            &r.seq,
            &r.report_id,
            &r.events,
            &r.as_of,
            &r.built_at,
            &r.campaign.as_ref().map(|c| c.start),
            &r.campaign.as_ref().map(|c| c.end),
            &targets.map(|t| i(t.cccd)),
            &targets.map(|t| i(t.level2)),
            &targets.map(|t| i(t.activated)),
            &i(r.households_total),
            &r.hub_id,
        ],
    )
    .await?;

    for table in ["ward_progress", "ward_daily", "ward_blockers"] {
        tx.execute(
            &format!("DELETE FROM province.{table} WHERE ward_code = $1"),
            &[&r.ward_code],
        )
        .await?;
    }
    {
        let p = &r.progress;
        let col = |f: &dyn Fn(&crate::report::ProgressLine) -> i32| -> Vec<i32> {
            p.iter().map(f).collect()
        };
        let opt = |f: &dyn Fn(&crate::report::ProgressLine) -> Option<i32>| -> Vec<Option<i32>> {
            p.iter().map(f).collect()
        };
        let dims: Vec<&str> = p.iter().map(|l| l.dimension.as_str()).collect();
        let keys: Vec<&str> = p.iter().map(|l| l.key.as_str()).collect();
        let labels: Vec<&str> = p.iter().map(|l| l.label.as_str()).collect();
        let pos: Vec<i32> = (0..p.len() as i32).collect();
        let cols: [Vec<i32>; 7] = [
            col(&|l| i(l.progress.households)),
            col(&|l| i(l.progress.visited_households)),
            col(&|l| i(l.progress.eligible)),
            col(&|l| i(l.progress.cccd)),
            col(&|l| i(l.progress.level2)),
            col(&|l| i(l.progress.activated)),
            col(&|l| i(l.progress.guided)),
        ];
        let opts: [Vec<Option<i32>>; 5] = [
            opt(&|l| l.target.map(|t| i(t.cccd))),
            opt(&|l| l.target.map(|t| i(t.level2))),
            opt(&|l| l.target.map(|t| i(t.activated))),
            opt(&|l| l.quota_done.map(i)),
            opt(&|l| l.quota.map(i)),
        ];
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&r.ward_code, &dims, &keys, &labels, &pos];
        for c in &cols {
            params.push(c);
        }
        for c in &opts {
            params.push(c);
        }
        tx.execute(
            "INSERT INTO province.ward_progress (ward_code, dimension, key, label, position,
                 households, visited_households, eligible, cccd, level2, activated, guided,
                 target_cccd, target_level2, target_activated, quota_done, quota)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int4[],
                 $6::int4[], $7::int4[], $8::int4[], $9::int4[], $10::int4[], $11::int4[], $12::int4[],
                 $13::int4[], $14::int4[], $15::int4[], $16::int4[], $17::int4[])",
            &params,
        )
        .await?;
    }
    {
        let d = &r.daily;
        let days: Vec<time::Date> = d.iter().map(|x| x.day).collect();
        let cols: [Vec<i32>; 5] = [
            d.iter().map(|x| i(x.visits)).collect(),
            d.iter().map(|x| i(x.households_visited)).collect(),
            d.iter().map(|x| i(x.new_level2)).collect(),
            d.iter().map(|x| i(x.new_activations)).collect(),
            d.iter().map(|x| i(x.cumulative_activated)).collect(),
        ];
        tx.execute(
            "INSERT INTO province.ward_daily (ward_code, day, visits, households_visited,
                 new_level2, new_activations, cumulative_activated)
             SELECT $1, * FROM unnest($2::date[], $3::int4[], $4::int4[], $5::int4[], $6::int4[], $7::int4[])",
            &[&r.ward_code, &days, &cols[0], &cols[1], &cols[2], &cols[3], &cols[4]],
        )
        .await?;
    }
    {
        let names: Vec<&str> = r.blockers.iter().map(|b| b.blocker.as_str()).collect();
        let counts: Vec<i32> = r.blockers.iter().map(|b| i(b.households)).collect();
        tx.execute(
            "INSERT INTO province.ward_blockers (ward_code, blocker, households)
             SELECT $1, * FROM unnest($2::text[], $3::int4[])",
            &[&r.ward_code, &names, &counts],
        )
        .await?;
    }

    if r.is_full() {
        tx.execute(
            "DELETE FROM province.household_status WHERE ward_code = $1",
            &[&r.ward_code],
        )
        .await?;
    } else if !r.removed.is_empty() {
        tx.execute(
            "DELETE FROM province.household_status WHERE ward_code = $1 AND hid = ANY($2)",
            &[&r.ward_code, &r.removed],
        )
        .await?;
    }
    // In slices, so one statement's parameters stay a few megabytes.
    for chunk in r.households.chunks(5_000) {
        let hid: Vec<&str> = chunk.iter().map(|h| h.hid.as_str()).collect();
        let group: Vec<&str> = chunk.iter().map(|h| h.group.as_str()).collect();
        let team: Vec<&str> = chunk.iter().map(|h| h.team.as_str()).collect();
        let stage: Vec<i16> = chunk.iter().map(|h| i16::from(h.stage)).collect();
        let cols: [Vec<i32>; 4] = [
            chunk.iter().map(|h| i(h.n_eligible)).collect(),
            chunk.iter().map(|h| i(h.n_open)).collect(),
            chunk.iter().map(|h| i(h.n_activated)).collect(),
            chunk.iter().map(|h| i(h.n_visits)).collect(),
        ];
        let blockers: Vec<String> = chunk.iter().map(|h| h.blockers.join(",")).collect();
        tx.execute(
            "INSERT INTO province.household_status AS h (ward_code, hid, group_key, team_key, stage,
                 n_eligible, n_open, n_activated, n_visits, blockers)
             SELECT $1, u.hid, u.g, u.t, u.s, u.e, u.o, u.a, u.v,
                    CASE WHEN u.b = '' THEN '{}'::text[] ELSE string_to_array(u.b, ',') END
             FROM unnest($2::text[], $3::text[], $4::text[], $5::int2[], $6::int4[], $7::int4[],
                         $8::int4[], $9::int4[], $10::text[]) AS u(hid, g, t, s, e, o, a, v, b)
             ON CONFLICT (ward_code, hid) DO UPDATE SET
                 group_key = excluded.group_key, team_key = excluded.team_key, stage = excluded.stage,
                 n_eligible = excluded.n_eligible, n_open = excluded.n_open,
                 n_activated = excluded.n_activated, n_visits = excluded.n_visits,
                 blockers = excluded.blockers",
            &[
                &r.ward_code,
                &hid,
                &group,
                &team,
                &stage,
                &cols[0],
                &cols[1],
                &cols[2],
                &cols[3],
                &blockers,
            ],
        )
        .await?;
    }
    // A diff must add up to the ward's households; if it does not, what was held was not what
    // the hub thought, and only a full report can set it right.
    let held_rows: i64 = tx
        .query_one(
            "SELECT count(*) FROM province.household_status WHERE ward_code = $1",
            &[&r.ward_code],
        )
        .await?
        .get(0);
    if held_rows != i64::from(r.households_total) {
        drop(tx);
        let refusal = Refusal::NeedsFull {
            held_seq: held.as_ref().map(|h| h.0).unwrap_or(0),
        };
        log_refusal(client, r, &refusal).await;
        return Ok(Outcome::Refused(refusal));
    }
    tx.execute(
        "INSERT INTO province.report_log (ward_code, report_seq, report_id, kind, events,
             households_sent, households_removed)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &r.ward_code,
            &r.seq,
            &r.report_id,
            &if r.is_full() { "full" } else { "incremental" },
            &r.events,
            &(r.households.len() as i32),
            &(r.removed.len() as i32),
        ],
    )
    .await?;
    tx.commit().await.map_err(Error::from)?;
    Ok(Outcome::Applied)
}

/// Keeps a trace of a refusal for the province (best effort: the refusal stands either way).
async fn log_refusal(client: &Client, r: &Report, refusal: &Refusal) {
    let (held_seq, held_events) = match refusal {
        Refusal::OlderData {
            held_seq,
            held_events,
        }
        | Refusal::OldSequence {
            held_seq,
            held_events,
        } => (*held_seq, *held_events),
        Refusal::NeedsFull { held_seq } | Refusal::OtherHub { held_seq } => (*held_seq, -1),
    };
    let _ = client
        .execute(
            "INSERT INTO province.report_refusals (ward_code, report_seq, events, reason, held_seq, held_events)
             SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM province.wards WHERE ward_code = $1)",
            &[&r.ward_code, &r.seq, &r.events, &refusal.code(), &held_seq, &held_events],
        )
        .await;
}
