//! What a ward tells its province, built from the hub's own projection through the store's
//! existing queries (`progress`, `daily_progress`, `households`), so every figure is by
//! construction the ward's own: progress cut by ward, residential group, team and organisation,
//! daily figures, open households by blocker, and one status row per household under an opaque
//! id (HMAC-SHA256 of the household id under the ward's secret). No name, address, CCCD or phone
//! number is read into a report.
//!
//! Reading ([`read`]) is the only part done under the store's lock; diffing against what the
//! province holds ([`Snapshot::into_report`]) happens after it is released.

use std::collections::{BTreeMap, HashMap};

use gocua_domain::time::date_serde;
use gocua_domain::{Progress, Targets};
use gocua_store::Store;
use gocua_store::province::{Acked, DataMark};
use gocua_store::queries::{DayRow, Dimension, HouseholdFilter, ProgressRow};
use ring::hmac;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use crate::{Error, Result};

/// The cuts of the ward a province compares (people's own rows, by volunteer, stay in the ward).
pub const DIMENSIONS: [Dimension; 4] = [
    Dimension::Ward,
    Dimension::Group,
    Dimension::Team,
    Dimension::Org,
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignLine {
    #[serde(with = "date_serde")]
    pub start: Date,
    #[serde(with = "date_serde")]
    pub end: Date,
    pub targets: Targets,
}

/// One row of `gocua progress --by <dimension>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressLine {
    pub dimension: String,
    pub key: String,
    pub label: String,
    pub progress: Progress,
    pub target: Option<Targets>,
    pub quota_done: Option<u32>,
    pub quota: Option<u32>,
}

impl ProgressLine {
    fn from_row(by: Dimension, r: &ProgressRow) -> ProgressLine {
        ProgressLine {
            dimension: by.as_str().to_string(),
            key: r.key.clone(),
            label: r.label.clone(),
            progress: r.progress,
            target: r.target,
            quota_done: r.quota.map(|q| q.done),
            quota: r.quota.map(|q| q.quota),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockerLine {
    pub blocker: String,
    /// Households with work left on which this blocker stands.
    pub households: u32,
}

/// Where one household stands, under its opaque id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdLine {
    pub hid: String,
    pub group: String,
    /// Empty when no team has the household yet.
    pub team: String,
    /// As the ward's easy-first list orders it: 0 work left and nothing in the way, 1 work
    /// left behind a blocker, 2 nothing left.
    pub stage: u8,
    pub n_eligible: u32,
    pub n_open: u32,
    pub n_activated: u32,
    pub n_visits: u32,
    pub blockers: Vec<String>,
}

impl HouseholdLine {
    /// What the hub remembers of a row the province holds, to send only rows that changed.
    pub fn digest(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(&json)[..16].to_vec()
    }
}

/// A report. `base` is `None` for a full report (every household row, and PostgreSQL drops the
/// rows it held for the ward); otherwise the report it was diffed against, which PostgreSQL must
/// hold, and `households` / `removed` are the changes since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub ward_code: String,
    pub ward_name: String,
    pub district: String,
    /// Which hub this is (see [`hub_id`]).
    pub hub_id: String,
    pub seq: i64,
    pub report_id: String,
    pub base: Option<(i64, String)>,
    /// Visits and corrections in the data (see `gocua_store::province::DataMark`).
    pub events: i64,
    #[serde(with = "date_serde")]
    pub as_of: Date,
    /// Unix seconds.
    pub built_at: i64,
    pub campaign: Option<CampaignLine>,
    pub progress: Vec<ProgressLine>,
    pub daily: Vec<DayRow>,
    pub blockers: Vec<BlockerLine>,
    pub households: Vec<HouseholdLine>,
    pub removed: Vec<String>,
    /// Households in the ward: what PostgreSQL must hold after applying the report.
    pub households_total: u32,
}

impl Report {
    pub fn is_full(&self) -> bool {
        self.base.is_none()
    }

    /// The queued form: zstd-compressed JSON.
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).unwrap_or_default();
        zstd::encode_all(json.as_slice(), 3).unwrap_or(json)
    }

    pub fn decode(bytes: &[u8]) -> Result<Report> {
        let json = zstd::decode_all(bytes).map_err(|e| Error::BadPayload(e.to_string()))?;
        serde_json::from_slice(&json).map_err(|e| Error::BadPayload(e.to_string()))
    }

    /// Digests of the household rows this report sends.
    pub fn digests(&self) -> Vec<(String, Vec<u8>)> {
        self.households
            .iter()
            .map(|h| (h.hid.clone(), h.digest()))
            .collect()
    }
}

/// The opaque id of a household: 128 bits of HMAC-SHA256 under the ward's secret, in hex.
pub fn opaque_id(secret: &[u8; 32], household: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, household.as_bytes());
    hex::encode(&tag.as_ref()[..16])
}

/// The hub's id for the province: derived from the ward's secret, so a hub restored from its own
/// backup keeps it and any other hub (a second install claiming the same ward) differs.
pub fn hub_id(secret: &[u8; 32]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, b"gocua province hub id");
    hex::encode(&tag.as_ref()[..16])
}

/// Everything a report needs, read from the store in one go.
pub struct Snapshot {
    pub ward_code: String,
    pub hub_id: String,
    pub ward_name: String,
    pub district: String,
    pub mark: DataMark,
    pub as_of: Date,
    pub campaign: Option<CampaignLine>,
    pub progress: Vec<ProgressLine>,
    pub daily: Vec<DayRow>,
    pub blockers: Vec<BlockerLine>,
    pub households: Vec<HouseholdLine>,
    pub acked: Option<Acked>,
    pub sent: HashMap<String, Vec<u8>>,
}

/// Reads what a report needs (the part done under the store's lock).
pub fn read(store: &Store, as_of: Date) -> Result<Snapshot> {
    let ward = store.ward()?.ok_or(Error::NoWard)?;
    let secret = store.province_secret()?;
    let campaign = store.campaign()?.map(|c| CampaignLine {
        start: c.start,
        end: c.end,
        targets: c.targets,
    });
    let mut progress = Vec::new();
    for by in DIMENSIONS {
        for r in store.progress(by, as_of)? {
            progress.push(ProgressLine::from_row(by, &r));
        }
    }
    let daily = store.daily_progress(as_of)?;
    let rows = store.households(&HouseholdFilter::default(), as_of)?;
    let mut by_blocker: BTreeMap<&'static str, u32> = BTreeMap::new();
    let mut households = Vec::with_capacity(rows.len());
    for r in &rows {
        if r.n_open > 0 {
            for b in &r.blockers {
                *by_blocker.entry(b.code()).or_default() += 1;
            }
        }
        households.push(HouseholdLine {
            hid: opaque_id(&secret, r.id.as_str()),
            group: r.group.to_string(),
            team: r.team.as_ref().map(|t| t.to_string()).unwrap_or_default(),
            stage: if r.n_open == 0 {
                2
            } else if r.blockers.is_empty() {
                0
            } else {
                1
            },
            n_eligible: r.n_eligible,
            n_open: r.n_open,
            n_activated: r.n_activated,
            n_visits: r.n_visits,
            blockers: r.blockers.iter().map(|b| b.code().to_string()).collect(),
        });
    }
    households.sort_by(|a, b| a.hid.cmp(&b.hid));
    Ok(Snapshot {
        ward_code: ward.id.to_string(),
        hub_id: hub_id(&secret),
        ward_name: ward.name,
        district: ward.district,
        mark: store.province_mark()?,
        as_of,
        campaign,
        progress,
        daily,
        blockers: by_blocker
            .into_iter()
            .map(|(b, n)| BlockerLine {
                blocker: b.to_string(),
                households: n,
            })
            .collect(),
        households,
        acked: store.province_acked()?,
        sent: store.province_sent()?,
    })
}

impl Snapshot {
    /// The report: full when `full`, when nothing was ever committed, or when what the province
    /// holds is not known; otherwise only the household rows that changed since the last
    /// committed report.
    pub fn into_report(self, seq: i64, report_id: String, built_at: i64, full: bool) -> Report {
        let total = self.households.len() as u32;
        let base = match (&self.acked, full) {
            (Some(a), false) => Some((a.seq, a.report_id.clone())),
            _ => None,
        };
        let (households, removed) = if base.is_none() {
            (self.households, Vec::new())
        } else {
            let mut seen: HashMap<&str, ()> = HashMap::with_capacity(self.households.len());
            for h in &self.households {
                seen.insert(h.hid.as_str(), ());
            }
            let mut removed: Vec<String> = self
                .sent
                .keys()
                .filter(|k| !seen.contains_key(k.as_str()))
                .cloned()
                .collect();
            removed.sort();
            let changed = self
                .households
                .iter()
                .filter(|h| self.sent.get(&h.hid).is_none_or(|d| *d != h.digest()))
                .cloned()
                .collect();
            (changed, removed)
        };
        Report {
            ward_code: self.ward_code,
            hub_id: self.hub_id,
            ward_name: self.ward_name,
            district: self.district,
            seq,
            report_id,
            base,
            events: self.mark.events,
            as_of: self.as_of,
            built_at,
            campaign: self.campaign,
            progress: self.progress,
            daily: self.daily,
            blockers: self.blockers,
            households,
            removed,
            households_total: total,
        }
    }
}
