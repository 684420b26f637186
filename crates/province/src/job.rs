//! The hub's report job: build a report under the store's lock (and only that), queue it in the
//! hub's store, release the lock, then talk to PostgreSQL; on a commit, record it. A province
//! database that is down leaves the report queued and the hub serving; the scheduler
//! ([`spawn_reporter`]) reports after each burst of syncs has gone quiet and on a timer, and
//! retries a queued report.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gocua_store::Store;
use gocua_store::province::{Acked, OutboxEntry};
use rand::RngCore;
use time::Date;

use crate::conn::Target;
use crate::report::{self, Report};
use crate::send::{self, Outcome, Refusal};
use crate::{Error, Result};

/// How the report job reaches the hub's store: briefly, on a blocking thread.
pub trait StoreAccess: Send + Sync + 'static {
    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T;
}

impl StoreAccess for Mutex<Store> {
    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut guard = self.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }
}

async fn blocking<S: StoreAccess, T: Send + 'static>(
    store: &Arc<S>,
    f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
) -> Result<T> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || s.with_store(f))
        .await
        .map_err(|e| Error::Db(format!("report task: {e}")))?
}

#[derive(Clone, Copy, Debug)]
pub struct ReportOptions {
    /// The day the figures are judged on (Vietnam's date).
    pub as_of: Date,
    /// Unix seconds, stamped on the report.
    pub now: i64,
    /// Send every household row even if the province holds them.
    pub full: bool,
}

/// What one `report` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub ward_code: String,
    pub seq: i64,
    pub full: bool,
    pub households_sent: usize,
    pub households_removed: usize,
    pub households_total: u32,
    pub outcome: Outcome,
    /// Whether the connection to PostgreSQL was encrypted.
    pub tls: bool,
    /// Migrations this run applied on the PostgreSQL side.
    pub migrated: Vec<&'static str>,
    /// Time the store's lock was held to read the report's data.
    pub read_time: Duration,
    pub bytes_queued: usize,
}

fn new_report_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Builds a report and queues it (superseding any queued one). `floor`: a sequence the report
/// must be above (the one PostgreSQL holds, after a hub restored from an old backup).
pub async fn build_and_queue<S: StoreAccess>(
    store: &Arc<S>,
    opts: ReportOptions,
    floor: i64,
) -> Result<(Report, Duration, usize)> {
    let as_of = opts.as_of;
    let (snap, read_time) = blocking(store, move |s| {
        let t = Instant::now();
        let snap = report::read(s, as_of)?;
        Ok((snap, t.elapsed()))
    })
    .await?;
    let seq = blocking(store, move |s| Ok(s.province_next_seq(floor)?)).await?;
    let report = snap.into_report(seq, new_report_id(), opts.now, opts.full);
    let payload = report.encode();
    let bytes = payload.len();
    let entry = OutboxEntry {
        seq,
        report_id: report.report_id.clone(),
        events: report.events,
        created_at: opts.now,
        payload,
        attempts: 0,
        last_error: None,
    };
    blocking(store, move |s| Ok(s.province_enqueue(&entry)?)).await?;
    Ok((report, read_time, bytes))
}

/// Builds a report, queues it and sends it. When PostgreSQL is unreachable the report stays
/// queued and the error says so; a refusal is an outcome, not an error.
pub async fn report<S: StoreAccess>(
    store: &Arc<S>,
    target: &Target,
    opts: ReportOptions,
) -> Result<Summary> {
    let (mut report, read_time, bytes) = build_and_queue(store, opts, 0).await?;
    let mut client = match target.connect().await {
        Ok(c) => c,
        Err(e) => {
            let (seq, msg) = (report.seq, e.to_string());
            blocking(store, move |s| Ok(s.province_attempt_failed(seq, &msg)?)).await?;
            return Err(e);
        }
    };
    let migrated = crate::schema::migrate(&mut client).await?;
    let tls = crate::conn::is_tls(&client).await?;
    // A refusal the hub can answer (a sequence to raise, a full report to send) is answered at
    // once; at most twice, since each answer removes its own cause.
    let mut tries = 0;
    let outcome = loop {
        let outcome = match send::apply(&mut client, &report).await {
            Ok(o) => o,
            Err(e) => {
                let (seq, msg) = (report.seq, e.to_string());
                blocking(store, move |s| Ok(s.province_attempt_failed(seq, &msg)?)).await?;
                return Err(e);
            }
        };
        tries += 1;
        match (&outcome, tries) {
            (Outcome::Applied | Outcome::AlreadyApplied, _) => {
                record_ack(store, &report).await?;
                break outcome;
            }
            (Outcome::Refused(Refusal::OldSequence { held_seq, .. }), t) if t <= 2 => {
                let floor = *held_seq;
                let rebuilt = ReportOptions { full: true, ..opts };
                report = build_and_queue(store, rebuilt, floor).await?.0;
            }
            (Outcome::Refused(Refusal::NeedsFull { held_seq }), t) if t <= 2 => {
                let floor = *held_seq;
                blocking(store, |s| Ok(s.province_forget_acked()?)).await?;
                let rebuilt = ReportOptions { full: true, ..opts };
                report = build_and_queue(store, rebuilt, floor).await?.0;
            }
            (Outcome::Refused(_), _) => {
                // Older than what the province holds: never to be taken; the next report is
                // built afresh from the data then.
                let seq = report.seq;
                blocking(store, move |s| Ok(s.province_drop(seq)?)).await?;
                break outcome;
            }
        }
    };
    Ok(Summary {
        ward_code: report.ward_code.clone(),
        seq: report.seq,
        full: report.is_full(),
        households_sent: report.households.len(),
        households_removed: report.removed.len(),
        households_total: report.households_total,
        outcome,
        tls,
        migrated,
        read_time,
        bytes_queued: bytes,
    })
}

/// Sends the queued report, if any, without building a new one (a retry after the province's
/// database was unreachable). `None` when nothing was queued.
pub async fn send_queued<S: StoreAccess>(
    store: &Arc<S>,
    target: &Target,
) -> Result<Option<Outcome>> {
    let Some(entry) = blocking(store, |s| Ok(s.province_pending()?)).await? else {
        return Ok(None);
    };
    let report = Report::decode(&entry.payload)?;
    let attempt = async {
        let mut client = target.connect().await?;
        crate::schema::migrate(&mut client).await?;
        send::apply(&mut client, &report).await
    };
    match attempt.await {
        Ok(Outcome::Applied | Outcome::AlreadyApplied) => {
            record_ack(store, &report).await?;
            Ok(Some(Outcome::Applied))
        }
        Ok(o @ Outcome::Refused(_)) => {
            // The next scheduled report answers it (a new sequence or a full report).
            let seq = entry.seq;
            blocking(store, move |s| Ok(s.province_drop(seq)?)).await?;
            Ok(Some(o))
        }
        Err(e) => {
            let msg = e.to_string();
            blocking(store, move |s| {
                Ok(s.province_attempt_failed(entry.seq, &msg)?)
            })
            .await?;
            Err(e)
        }
    }
}

async fn record_ack<S: StoreAccess>(store: &Arc<S>, report: &Report) -> Result<()> {
    let acked = Acked {
        seq: report.seq,
        report_id: report.report_id.clone(),
    };
    let full = report.is_full();
    let rows = report.digests();
    let removed = report.removed.clone();
    blocking(store, move |s| {
        Ok(s.province_ack(&acked, full, &rows, &removed)?)
    })
    .await
}

/// When the hub reports by itself (`gocua hub serve --province-…`).
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    /// Report once the ward's data changed and then stayed unchanged this long (a burst of
    /// evening syncs is over).
    pub after_quiet: Option<Duration>,
    /// Report at least this often, changed or not.
    pub every: Option<Duration>,
    /// Wait this long after a failed attempt before trying again.
    pub retry: Duration,
    /// How often the job looks at the store's write counter.
    pub tick: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            after_quiet: Some(Duration::from_secs(120)),
            every: Some(Duration::from_secs(3600)),
            retry: Duration::from_secs(60),
            tick: Duration::from_secs(5),
        }
    }
}

/// Runs the report job in the background until the handle is aborted. `today` gives the date
/// and time to report on; `log` gets one line per attempt (in the hub's language).
pub fn spawn_reporter<S: StoreAccess>(
    store: Arc<S>,
    target: Target,
    schedule: Schedule,
    now: impl Fn() -> (Date, i64) + Send + 'static,
    log: impl Fn(std::result::Result<&Summary, &Error>) + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut reported_writes: Option<i64> = None;
        let mut last_seen: Option<i64> = None;
        let mut last_change = Instant::now();
        let mut last_attempt: Option<Instant> = None;
        let mut failed = false;
        loop {
            tokio::time::sleep(schedule.tick).await;
            let Ok(mark) = blocking(&store, |s| Ok(s.province_mark()?)).await else {
                continue;
            };
            if last_seen != Some(mark.writes) {
                last_seen = Some(mark.writes);
                last_change = Instant::now();
            }
            let since_attempt = last_attempt.map(|t| t.elapsed());
            let changed = reported_writes != Some(mark.writes);
            let quiet = schedule
                .after_quiet
                .is_some_and(|q| changed && last_change.elapsed() >= q);
            let timer = schedule
                .every
                .is_some_and(|e| since_attempt.is_none_or(|s| s >= e));
            let retry_due = failed && since_attempt.is_none_or(|s| s >= schedule.retry);
            if failed && !retry_due {
                continue;
            }
            if !(quiet || timer || retry_due) {
                continue;
            }
            last_attempt = Some(Instant::now());
            let (as_of, at) = now();
            let opts = ReportOptions {
                as_of,
                now: at,
                full: false,
            };
            match report(&store, &target, opts).await {
                Ok(summary) => {
                    failed = false;
                    reported_writes = Some(mark.writes);
                    log(Ok(&summary));
                }
                Err(e) => {
                    failed = true;
                    log(Err(&e));
                }
            }
        }
    })
}
