//! The per-resident funnel: chip CCCD → level-2 application → account activated → guided.
//!
//! Funnels form a join semilattice (field-wise maximum), so merging concurrent visits can only
//! move a resident up. Only a lead's explicit correction moves one down (see `visit.rs`).

use serde::{Deserialize, Serialize};

use crate::Lang;

/// Chip-based citizen ID card (CCCD gắn chip).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum CccdStatus {
    #[default]
    None,
    Applied,
    Has,
}

/// Electronic ID account (tài khoản định danh điện tử) in VNeID.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    #[default]
    None,
    Level1,
    Level2,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Funnel {
    pub cccd: CccdStatus,
    /// Level-2 application collected in person (thu nhận hồ sơ: photo and fingerprints).
    pub level2_collected: bool,
    pub activation: Activation,
    /// Guided to use online public services.
    pub guided: bool,
}

impl Funnel {
    /// Least upper bound: what both facts together say.
    pub fn join(self, other: Funnel) -> Funnel {
        Funnel {
            cccd: self.cccd.max(other.cccd),
            level2_collected: self.level2_collected || other.level2_collected,
            activation: self.activation.max(other.activation),
            guided: self.guided || other.guided,
        }
    }

    /// `self` is at or above `other` on every field.
    pub fn covers(self, other: Funnel) -> bool {
        self.join(other) == self
    }

    pub fn is_activated(self) -> bool {
        self.activation != Activation::None
    }

    /// The resident needs nothing more from the campaign.
    pub fn is_done(self) -> bool {
        self.is_activated()
    }

    /// Furthest step reached, 0–4, for sorting and display.
    pub fn stage(self) -> u8 {
        if self.guided {
            4
        } else if self.is_activated() {
            3
        } else if self.level2_collected {
            2
        } else if self.cccd == CccdStatus::Has {
            1
        } else {
            0
        }
    }

    pub fn stage_label(self, lang: Lang) -> &'static str {
        match self.stage() {
            0 if self.cccd == CccdStatus::Applied => {
                lang.pick("Đã làm CCCD, chờ nhận", "CCCD applied")
            }
            0 => lang.pick("Chưa có CCCD", "No chip ID"),
            1 => lang.pick("Có CCCD", "Has chip ID"),
            2 => lang.pick("Đã thu hồ sơ mức 2", "Level-2 application collected"),
            3 => lang.pick("Đã kích hoạt", "Account activated"),
            _ => lang.pick("Đã hướng dẫn DVC", "Guided to online services"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_funnel() -> impl Strategy<Value = Funnel> {
        (0u8..3, any::<bool>(), 0u8..3, any::<bool>()).prop_map(|(c, l, a, g)| Funnel {
            cccd: [CccdStatus::None, CccdStatus::Applied, CccdStatus::Has][c as usize],
            level2_collected: l,
            activation: [Activation::None, Activation::Level1, Activation::Level2][a as usize],
            guided: g,
        })
    }

    proptest! {
        #[test]
        fn join_is_a_semilattice(a in arb_funnel(), b in arb_funnel(), c in arb_funnel()) {
            prop_assert_eq!(a.join(b), b.join(a));
            prop_assert_eq!(a.join(b).join(c), a.join(b.join(c)));
            prop_assert_eq!(a.join(a), a);
            prop_assert!(a.join(b).covers(a));
            prop_assert!(a.join(b).stage() >= a.stage().max(b.stage()));
        }
    }

    #[test]
    fn activation_is_never_undone_by_join() {
        let activated = Funnel {
            activation: Activation::Level2,
            ..Funnel::default()
        };
        let nothing = Funnel::default();
        assert!(activated.join(nothing).is_activated());
        assert_eq!(activated.join(nothing).stage(), 3);
    }
}
