//! Campaigns: dates, targets, eligible age and visiting windows per area kind.

use serde::{Deserialize, Serialize};
use time::{Date, Time};

use crate::time::{date_serde, hm_serde};
use crate::{Error, Lang, Result, Timestamp};

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    Urban,
    Rural,
}

impl AreaKind {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            AreaKind::Urban => lang.pick("khu đô thị", "urban"),
            AreaKind::Rural => lang.pick("nông thôn", "rural"),
        }
    }
}

/// A daily window in local time when teams knock on doors.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitingWindow {
    #[serde(with = "hm_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub start: Time,
    #[serde(with = "hm_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub end: Time,
}

impl VisitingWindow {
    pub fn urban_default() -> Self {
        VisitingWindow {
            start: hm(18, 0),
            end: hm(21, 30),
        }
    }

    pub fn rural_default() -> Self {
        VisitingWindow {
            start: hm(16, 0),
            end: hm(19, 30),
        }
    }

    pub fn contains(&self, at: Timestamp) -> bool {
        let t = at.local().time();
        self.start <= t && t <= self.end
    }
}

impl std::fmt::Display for VisitingWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}–{:02}:{:02}",
            self.start.hour(),
            self.start.minute(),
            self.end.hour(),
            self.end.minute()
        )
    }
}

fn hm(h: u8, m: u8) -> Time {
    Time::from_hms(h, m, 0).unwrap_or(Time::MIDNIGHT)
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// Residents holding a chip CCCD.
    pub cccd: u32,
    /// Level-2 applications collected.
    pub level2: u32,
    /// Accounts activated (level 1 or 2).
    pub activated: u32,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub name: String,
    #[serde(with = "date_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub start: Date,
    #[serde(with = "date_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub end: Date,
    pub targets: Targets,
    /// Citizens this old or older are eligible (14 by law at the time of writing).
    pub eligible_age: u8,
    pub urban_window: VisitingWindow,
    pub rural_window: VisitingWindow,
    /// Per-person quota, e.g. 20 for "1×20".
    pub quota_per_volunteer: u32,
}

impl Campaign {
    pub fn new(name: &str, start: Date, end: Date) -> Result<Campaign> {
        let name = crate::text::normalize_display(name);
        if name.is_empty() {
            return Err(Error::Missing {
                field: "campaign name",
            });
        }
        if end < start {
            return Err(Error::CampaignDates);
        }
        Ok(Campaign {
            name,
            start,
            end,
            targets: Targets::default(),
            eligible_age: 14,
            urban_window: VisitingWindow::urban_default(),
            rural_window: VisitingWindow::rural_default(),
            quota_per_volunteer: 20,
        })
    }

    pub fn window(&self, area: AreaKind) -> VisitingWindow {
        match area {
            AreaKind::Urban => self.urban_window,
            AreaKind::Rural => self.rural_window,
        }
    }

    /// Eligibility by birth year: a resident counts from the year they turn `eligible_age`.
    /// Household lists usually carry only the birth year, so the year is what we can judge.
    pub fn is_eligible(&self, birth_year: Option<i32>, on: Date) -> bool {
        match birth_year {
            Some(y) => on.year() - y >= i32::from(self.eligible_age),
            // Unknown age: keep them on the list rather than silently dropping someone.
            None => true,
        }
    }

    /// A revisit must be booked inside the area's window.
    pub fn check_revisit(&self, at: Timestamp, area: AreaKind) -> Result<()> {
        let w = self.window(area);
        if w.contains(at) {
            Ok(())
        } else {
            Err(Error::OutsideWindow {
                at: at.format_local(),
                area,
                window: w.to_string(),
            })
        }
    }

    /// Every date of the campaign, for daily progress.
    pub fn days(&self) -> Vec<Date> {
        let mut out = Vec::new();
        let mut d = self.start;
        while d <= self.end {
            out.push(d);
            match d.next_day() {
                Some(n) => d = n,
                None => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_date;

    fn campaign() -> Campaign {
        Campaign::new(
            "90 ngày, đêm",
            parse_date("2026-11-01").unwrap(),
            parse_date("2026-11-30").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn eligibility_follows_the_campaign_age() {
        let mut c = campaign();
        let today = parse_date("2026-11-22").unwrap();
        assert!(c.is_eligible(Some(2012), today));
        assert!(!c.is_eligible(Some(2013), today));
        assert!(c.is_eligible(None, today));
        c.eligible_age = 16;
        assert!(!c.is_eligible(Some(2012), today));
        assert!(c.is_eligible(Some(2010), today));
    }

    #[test]
    fn revisits_must_fall_in_the_area_window() {
        let c = campaign();
        let at = |s| Timestamp::parse_local(s).unwrap();
        assert!(
            c.check_revisit(at("2026-11-23 18:00"), AreaKind::Urban)
                .is_ok()
        );
        assert!(
            c.check_revisit(at("2026-11-23 21:30"), AreaKind::Urban)
                .is_ok()
        );
        assert!(
            c.check_revisit(at("2026-11-23 21:31"), AreaKind::Urban)
                .is_err()
        );
        assert!(
            c.check_revisit(at("2026-11-23 16:30"), AreaKind::Urban)
                .is_err()
        );
        assert!(
            c.check_revisit(at("2026-11-23 16:30"), AreaKind::Rural)
                .is_ok()
        );
        let e = c
            .check_revisit(at("2026-11-23 20:00"), AreaKind::Rural)
            .unwrap_err();
        assert_eq!(e.code(), "outside_window");
        assert!(
            e.message(Lang::Vi).contains("16:00–19:30"),
            "{}",
            e.message(Lang::Vi)
        );
    }

    #[test]
    fn campaign_dates_are_checked() {
        let s = parse_date("2026-11-30").unwrap();
        let e = parse_date("2026-11-01").unwrap();
        assert_eq!(Campaign::new("x", s, e).unwrap_err(), Error::CampaignDates);
        assert_eq!(campaign().days().len(), 30);
    }
}
