//! Domain errors: each has a stable code for programs and a message in the user's language.

use crate::Lang;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid {kind} id {value:?}")]
    InvalidId { kind: &'static str, value: String },
    #[error("invalid value for {field}: {value:?}")]
    InvalidValue { field: &'static str, value: String },
    #[error("required field {field} is empty")]
    Missing { field: &'static str },
    #[error("revisit at {at} is outside the {area:?} visiting window {window}")]
    OutsideWindow {
        at: String,
        area: crate::AreaKind,
        window: String,
    },
    #[error("a correction needs a reason")]
    CorrectionWithoutReason,
    #[error("campaign ends before it starts")]
    CampaignDates,
    #[error("a session must end after it starts ({start}–{end})")]
    SessionTimes { start: String, end: String },
    #[error("the session's date {date} is outside the campaign ({start} to {end})")]
    SessionOutsideCampaign {
        date: String,
        start: String,
        end: String,
    },
    #[error("a session needs a place")]
    SessionWithoutPlace,
}

impl Error {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidId { .. } => "invalid_id",
            Error::InvalidValue { .. } => "invalid_value",
            Error::Missing { .. } => "missing_field",
            Error::OutsideWindow { .. } => "outside_window",
            Error::CorrectionWithoutReason => "correction_without_reason",
            Error::CampaignDates => "campaign_dates",
            Error::SessionTimes { .. } => "session_times",
            Error::SessionOutsideCampaign { .. } => "session_outside_campaign",
            Error::SessionWithoutPlace => "session_without_place",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Error::InvalidId { kind, value }, Lang::Vi) => {
                format!("Mã {kind} không hợp lệ: \"{value}\"")
            }
            (Error::InvalidValue { field, value }, Lang::Vi) => {
                format!("Giá trị không hợp lệ cho {field}: \"{value}\"")
            }
            (Error::Missing { field }, Lang::Vi) => format!("Thiếu thông tin bắt buộc: {field}"),
            (Error::OutsideWindow { at, area, window }, Lang::Vi) => format!(
                "Giờ hẹn {at} nằm ngoài khung giờ đi {} ({window})",
                area.label(Lang::Vi)
            ),
            (Error::CorrectionWithoutReason, Lang::Vi) => {
                "Điều chỉnh của tổ trưởng phải có lý do".to_string()
            }
            (Error::CampaignDates, Lang::Vi) => {
                "Ngày kết thúc chiến dịch trước ngày bắt đầu".to_string()
            }
            (Error::SessionTimes { start, end }, Lang::Vi) => {
                format!("Giờ kết thúc phải sau giờ bắt đầu ({start}–{end})")
            }
            (Error::SessionOutsideCampaign { date, start, end }, Lang::Vi) => {
                format!("Ngày {date} nằm ngoài thời gian chiến dịch (từ {start} đến {end})")
            }
            (Error::SessionWithoutPlace, Lang::Vi) => "Buổi làm việc phải có địa điểm".to_string(),
            (e, Lang::En) => e.to_string(),
        }
    }
}
