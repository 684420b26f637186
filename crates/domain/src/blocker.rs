//! Blocker codes: why a resident (or a whole household) could not be served on a visit.

use serde::{Deserialize, Serialize};

use crate::Lang;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocker {
    NobodyHome,
    Refused,
    NoSmartphone,
    /// The SIM is not registered in the resident's own name (thuê bao không chính chủ).
    PhoneNotOwnName,
    /// Away, working in another province.
    Away,
    /// Elderly or disabled: the team must come with equipment.
    NeedsEquipment,
    MovedOut,
    Deceased,
    DoneElsewhere,
    /// Needs a language helper (ethnic minority language).
    NeedsInterpreter,
    CannotRead,
}

impl Blocker {
    pub const ALL: [Blocker; 11] = [
        Blocker::NobodyHome,
        Blocker::Refused,
        Blocker::NoSmartphone,
        Blocker::PhoneNotOwnName,
        Blocker::Away,
        Blocker::NeedsEquipment,
        Blocker::MovedOut,
        Blocker::Deceased,
        Blocker::DoneElsewhere,
        Blocker::NeedsInterpreter,
        Blocker::CannotRead,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Blocker::NobodyHome => "nobody_home",
            Blocker::Refused => "refused",
            Blocker::NoSmartphone => "no_smartphone",
            Blocker::PhoneNotOwnName => "phone_not_own_name",
            Blocker::Away => "away",
            Blocker::NeedsEquipment => "needs_equipment",
            Blocker::MovedOut => "moved_out",
            Blocker::Deceased => "deceased",
            Blocker::DoneElsewhere => "done_elsewhere",
            Blocker::NeedsInterpreter => "needs_interpreter",
            Blocker::CannotRead => "cannot_read",
        }
    }

    pub fn parse(code: &str) -> Option<Blocker> {
        Blocker::ALL.into_iter().find(|b| b.code() == code.trim())
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Blocker::NobodyHome => lang.pick("Không có ai ở nhà", "Nobody home"),
            Blocker::Refused => lang.pick("Từ chối", "Refused"),
            Blocker::NoSmartphone => lang.pick("Không có điện thoại thông minh", "No smartphone"),
            Blocker::PhoneNotOwnName => {
                lang.pick("Thuê bao không chính chủ", "Phone number not in own name")
            }
            Blocker::Away => lang.pick(
                "Đi làm ăn xa / vắng nhà dài ngày",
                "Away in another province",
            ),
            Blocker::NeedsEquipment => lang.pick(
                "Người già, khuyết tật: cần mang thiết bị đến",
                "Elderly or disabled: bring equipment",
            ),
            Blocker::MovedOut => lang.pick("Đã chuyển đi", "Moved out"),
            Blocker::Deceased => lang.pick("Đã mất", "Deceased"),
            Blocker::DoneElsewhere => lang.pick("Đã làm ở nơi khác", "Already done elsewhere"),
            Blocker::NeedsInterpreter => lang.pick(
                "Cần người phiên dịch tiếng dân tộc",
                "Needs a language helper",
            ),
            Blocker::CannotRead => lang.pick("Không biết chữ", "Cannot read"),
        }
    }

    /// The resident no longer counts towards the ward's targets.
    pub fn removes_from_target(self) -> bool {
        matches!(
            self,
            Blocker::MovedOut | Blocker::Deceased | Blocker::DoneElsewhere
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_labels_exist_in_both_languages() {
        for b in Blocker::ALL {
            assert_eq!(Blocker::parse(b.code()), Some(b));
            assert_eq!(
                serde_json::to_string(&b).unwrap(),
                format!("\"{}\"", b.code())
            );
            assert!(!b.label(Lang::Vi).is_empty());
            assert_ne!(b.label(Lang::Vi), b.label(Lang::En), "{b:?}");
        }
        assert_eq!(Blocker::parse("bogus"), None);
    }
}
