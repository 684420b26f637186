//! A team lead's planning: hard cases routed to a mobile team ("dễ làm trước, khó làm sau") and
//! the sessions of a team's schedule, with the rules that make them valid.

use serde::{Deserialize, Serialize};
use time::{Date, Time};

use crate::time::{date_serde, hm_serde};
use crate::{Campaign, Error, Lang, Result, SessionId, TeamId, Timestamp, VolunteerId};

/// Why a household needs a mobile team (tổ lưu động) rather than an evening knock.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HardCase {
    /// Người cao tuổi.
    Elderly,
    /// Nằm liệt giường: the team must bring the equipment to the bed.
    Bedridden,
    /// Khuyết tật.
    Disabled,
    /// Cần người phiên dịch tiếng dân tộc.
    NeedsInterpreter,
}

impl HardCase {
    pub const ALL: [HardCase; 4] = [
        HardCase::Elderly,
        HardCase::Bedridden,
        HardCase::Disabled,
        HardCase::NeedsInterpreter,
    ];

    /// The stable code, also the key suffix in the household document (`hc.<code>`).
    pub fn code(self) -> &'static str {
        match self {
            HardCase::Elderly => "elderly",
            HardCase::Bedridden => "bedridden",
            HardCase::Disabled => "disabled",
            HardCase::NeedsInterpreter => "needs_interpreter",
        }
    }

    pub fn parse(code: &str) -> Option<HardCase> {
        HardCase::ALL.into_iter().find(|c| c.code() == code.trim())
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            HardCase::Elderly => lang.pick("Người cao tuổi", "Elderly"),
            HardCase::Bedridden => lang.pick("Nằm liệt giường", "Bedridden"),
            HardCase::Disabled => lang.pick("Khuyết tật", "Disabled"),
            HardCase::NeedsInterpreter => lang.pick(
                "Cần người phiên dịch tiếng dân tộc",
                "Needs an interpreter (ethnic minority language)",
            ),
        }
    }
}

/// One reason a household was flagged for: who flagged it, when, and what they noted. A
/// household document holds one register per reason, so two leads flagging different reasons
/// offline both keep theirs.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardCaseMark {
    pub reason: HardCase,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<VolunteerId>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// One session of a team's schedule (lịch làm việc), announced to residents ahead of time.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSession {
    pub id: SessionId,
    pub team: TeamId,
    /// Local date, `YYYY-MM-DD`.
    #[serde(with = "date_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub date: Date,
    /// Local time, `HH:MM`.
    #[serde(with = "hm_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub start: Time,
    #[serde(with = "hm_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub end: Time,
    /// Where the team will be: "Nhà văn hóa tổ 5", "Nhà bà Lan, số 12 ngõ 3".
    pub place: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// When it was last written, and by whom.
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<VolunteerId>,
}

impl TeamSession {
    /// Checks a session before it is written: it ends after it starts, falls on a day of the
    /// campaign and says where. Text is normalised for display.
    pub fn check(mut self, campaign: &Campaign) -> Result<TeamSession> {
        self.place = crate::text::normalize_display(&self.place);
        self.note = crate::text::normalize_display(&self.note);
        if self.place.is_empty() {
            return Err(Error::SessionWithoutPlace);
        }
        if self.end <= self.start {
            return Err(Error::SessionTimes {
                start: hm(self.start),
                end: hm(self.end),
            });
        }
        if self.date < campaign.start || self.date > campaign.end {
            return Err(Error::SessionOutsideCampaign {
                date: crate::time::format_date(self.date),
                start: crate::time::format_date(campaign.start),
                end: crate::time::format_date(campaign.end),
            });
        }
        Ok(self)
    }

    /// Sort key: by date, then start time, then team and id.
    pub fn order_key(&self) -> (Date, Time, &str, &str) {
        (self.date, self.start, self.team.as_str(), self.id.as_str())
    }
}

fn hm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{parse_date, parse_hm};

    fn session(date: &str, start: &str, end: &str, place: &str) -> TeamSession {
        TeamSession {
            id: SessionId::parse("ts-1").unwrap(),
            team: TeamId::parse("t-01").unwrap(),
            date: parse_date(date).unwrap(),
            start: parse_hm(start).unwrap(),
            end: parse_hm(end).unwrap(),
            place: place.to_string(),
            note: String::new(),
            at: Timestamp(0),
            by: None,
        }
    }

    #[test]
    fn a_session_ends_after_it_starts_inside_the_campaign_and_says_where() {
        let c = Campaign::new(
            "90 ngày, đêm",
            parse_date("2026-11-01").unwrap(),
            parse_date("2026-11-30").unwrap(),
        )
        .unwrap();
        let ok = session("2026-11-30", "08:00", "11:30", "  Nhà văn hóa   tổ 5 ")
            .check(&c)
            .unwrap();
        assert_eq!(ok.place, "Nhà văn hóa tổ 5");
        let e = session("2026-11-20", "18:00", "18:00", "x")
            .check(&c)
            .unwrap_err();
        assert_eq!(e.code(), "session_times");
        assert!(
            e.message(Lang::Vi).contains("18:00"),
            "{}",
            e.message(Lang::Vi)
        );
        let e = session("2026-12-01", "08:00", "09:00", "x")
            .check(&c)
            .unwrap_err();
        assert_eq!(e.code(), "session_outside_campaign");
        assert!(
            e.message(Lang::En).contains("2026-11-30"),
            "{}",
            e.message(Lang::En)
        );
        let e = session("2026-11-20", "08:00", "09:00", "  ")
            .check(&c)
            .unwrap_err();
        assert_eq!(e.code(), "session_without_place");
    }

    #[test]
    fn hard_case_codes_round_trip() {
        for c in HardCase::ALL {
            assert_eq!(HardCase::parse(c.code()), Some(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.code()));
        }
        assert_eq!(HardCase::Bedridden.label(Lang::Vi), "Nằm liệt giường");
    }
}
