//! What the hub writes to its audit log, and the throttle that keeps a flood of bad requests
//! from filling the disk: per period, a few entries per source and a fixed number overall are
//! written one by one; the rest are counted and written as one summary per kind.

use std::collections::{BTreeMap, HashMap};

use gocua_store::Store;
use gocua_store::audit::{AuditKind, NewAudit};

/// Limits of the throttle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditLimits {
    pub period_secs: i64,
    /// Entries written one by one per (kind, source) in a period.
    pub per_source: u32,
    /// Entries written one by one per period, all sources together.
    pub per_period: u32,
}

impl Default for AuditLimits {
    fn default() -> Self {
        // At most ~100 rows a minute under any flood: under 150,000 rows (some 15 MB) a day.
        AuditLimits {
            period_secs: 60,
            per_source: 10,
            per_period: 100,
        }
    }
}

/// Counts entries per period; only lives in memory (a restart starts a new period).
#[derive(Debug)]
pub struct AuditThrottle {
    limits: AuditLimits,
    period_start: i64,
    written: u32,
    /// Sources admitted this period (at most `per_period` of them, so the map stays small).
    per_source: HashMap<(AuditKind, String), u32>,
    /// Events not written one by one this period, per kind.
    suppressed: BTreeMap<AuditKind, u64>,
}

impl AuditThrottle {
    pub fn new(limits: AuditLimits) -> AuditThrottle {
        AuditThrottle {
            limits,
            period_start: 0,
            written: 0,
            per_source: HashMap::new(),
            suppressed: BTreeMap::new(),
        }
    }

    /// Ends the period if it is over and returns the summaries of what it suppressed.
    pub fn roll(&mut self, now: i64) -> Vec<NewAudit> {
        if now < self.period_start + self.limits.period_secs && now >= self.period_start {
            return Vec::new();
        }
        self.period_start = now;
        self.written = 0;
        self.per_source.clear();
        std::mem::take(&mut self.suppressed)
            .into_iter()
            .map(|(kind, n)| {
                NewAudit::new(AuditKind::Suppressed)
                    .code(kind.as_str())
                    .count(n)
                    .detail(format!(
                        "{n} × {} in {} s",
                        kind.as_str(),
                        self.limits.period_secs
                    ))
            })
            .collect()
    }

    /// Whether an event from `source` is written one by one; otherwise it is counted.
    pub fn admit(&mut self, kind: AuditKind, source: &str) -> bool {
        let key = (kind, source.to_string());
        let admitted = match self.per_source.get_mut(&key) {
            Some(n) if *n < self.limits.per_source && self.written < self.limits.per_period => {
                *n += 1;
                true
            }
            None if self.written < self.limits.per_period => {
                self.per_source.insert(key, 1);
                true
            }
            _ => false,
        };
        if admitted {
            self.written += 1;
        } else {
            *self.suppressed.entry(kind).or_default() += 1;
        }
        admitted
    }
}

/// One event and whether it goes through the throttle (keyed by its source).
pub struct Event {
    pub entry: NewAudit,
    pub throttle: Option<String>,
}

impl Event {
    /// Always written: pairings that worked, the office's actions.
    pub fn always(entry: NewAudit) -> Event {
        Event {
            entry,
            throttle: None,
        }
    }

    /// Written one by one only within the throttle's limits.
    pub fn throttled(entry: NewAudit, source: impl Into<String>) -> Event {
        Event {
            entry,
            throttle: Some(source.into()),
        }
    }
}

/// Writes events (and any summaries due) to the log. A failure to write is reported on stderr
/// and never fails the request that caused it.
pub fn record(store: &Store, throttle: &std::sync::Mutex<AuditThrottle>, events: Vec<Event>) {
    let now = crate::server::now();
    let rows = {
        let mut t = throttle.lock().unwrap_or_else(|p| p.into_inner());
        let mut rows = t.roll(now);
        for e in events {
            if e.throttle
                .as_deref()
                .is_none_or(|s| t.admit(e.entry.kind, s))
            {
                rows.push(e.entry);
            }
        }
        rows
    };
    if let Err(e) = store.audit_append(&rows, now) {
        eprintln!("gocua hub: cannot write the audit log: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_written_as_a_few_rows_and_a_summary() {
        let mut t = AuditThrottle::new(AuditLimits {
            period_secs: 60,
            per_source: 3,
            per_period: 10,
        });
        assert!(t.roll(1000).is_empty());
        let mut written = 0;
        for i in 0..10_000 {
            let ip = format!("10.0.{}.{}", i % 7, i % 250);
            written += u32::from(t.admit(AuditKind::UnknownCredential, &ip));
        }
        assert_eq!(written, 10, "no more than the period's budget");
        let same = (0..10)
            .filter(|_| t.admit(AuditKind::PairFailed, "x"))
            .count();
        assert_eq!(same, 0, "the period's budget is spent");
        assert!(t.roll(1030).is_empty(), "the period is not over");
        let summary = t.roll(1060);
        assert_eq!(summary.len(), 2);
        assert_eq!(summary[0].code.as_deref(), Some("pair_failed"));
        assert_eq!(summary[0].count, 10);
        assert_eq!(summary[1].count, 9_990);
        // A new period admits again, a few per source.
        let again = (0..10)
            .filter(|_| t.admit(AuditKind::PairFailed, "x"))
            .count();
        assert_eq!(again, 3);
    }
}
