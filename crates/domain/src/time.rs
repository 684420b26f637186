//! Instants as unix seconds, read in Vietnam's local time (UTC+7 all year, no daylight saving).

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::{Error, Result};

/// Vietnam does not use daylight saving time, so a fixed offset is exact.
pub const VN_OFFSET_SECONDS: i32 = 7 * 3600;

fn vn_offset() -> UtcOffset {
    // 7 hours is always a valid offset.
    UtcOffset::from_whole_seconds(VN_OFFSET_SECONDS).unwrap_or(UtcOffset::UTC)
}

/// Seconds since the unix epoch. Ordered, cheap, and the same on every device. TypeScript sees a
/// `number`: JSON numbers parse to JS numbers, exact up to 2^53 s, far beyond any date we meet.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(#[cfg_attr(feature = "ts", ts(type = "number"))] pub i64);

impl Timestamp {
    pub fn from_local(date: Date, time: Time) -> Timestamp {
        Timestamp(
            PrimitiveDateTime::new(date, time)
                .assume_offset(vn_offset())
                .unix_timestamp(),
        )
    }

    pub fn local(self) -> PrimitiveDateTime {
        let utc = OffsetDateTime::from_unix_timestamp(self.0).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let local = utc.to_offset(vn_offset());
        PrimitiveDateTime::new(local.date(), local.time())
    }

    pub fn local_date(self) -> Date {
        self.local().date()
    }

    /// Parses local Vietnam time written `YYYY-MM-DD HH:MM` (or with a `T`).
    pub fn parse_local(s: &str) -> Result<Timestamp> {
        let bad = || Error::InvalidValue {
            field: "time",
            value: s.to_string(),
        };
        let s = s.trim();
        let (d, t) = s.split_once([' ', 'T']).ok_or_else(bad)?;
        let date = parse_date(d)?;
        let time = parse_hm(t).ok_or_else(bad)?;
        Ok(Timestamp::from_local(date, time))
    }

    /// Formats as local `YYYY-MM-DD HH:MM`.
    pub fn format_local(self) -> String {
        let l = self.local();
        format!(
            "{} {:02}:{:02}",
            format_date(l.date()),
            l.hour(),
            l.minute()
        )
    }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date> {
    let bad = || Error::InvalidValue {
        field: "date",
        value: s.to_string(),
    };
    let mut parts = s.trim().splitn(3, '-');
    let y: i32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let m: u8 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let d: u8 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    Date::from_calendar_date(y, month, d).map_err(|_| bad())
}

pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses `HH:MM`.
pub fn parse_hm(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    let m = m.get(..2).unwrap_or(m);
    Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

/// Serde helper for `time::Date` as `YYYY-MM-DD`.
pub mod date_serde {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_date(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_date(&s).map_err(|e| D::Error::custom(e.to_string()))
    }
}

/// Serde helper for `time::Time` as `HH:MM`.
pub mod hm_serde {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
    use time::Time;

    pub fn serialize<S: Serializer>(t: &Time, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:02}:{:02}", t.hour(), t.minute()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_hm(&s).ok_or_else(|| D::Error::custom(format!("bad time {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_round_trip_is_utc_plus_seven() {
        let t = Timestamp::parse_local("2026-11-22 19:30").unwrap();
        assert_eq!(t.format_local(), "2026-11-22 19:30");
        // 19:30 in Hà Nội is 12:30 UTC.
        assert_eq!(t.0 % 86_400, 12 * 3600 + 30 * 60);
        assert!(Timestamp::parse_local("2026-02-30 10:00").is_err());
        assert!(Timestamp::parse_local("hôm nay").is_err());
    }
}
