//! Visits (append-only facts), lead corrections, and how a resident's funnel is derived from them.

use serde::{Deserialize, Serialize};

use crate::{
    Blocker, CorrectionId, DeviceId, Error, Funnel, HouseholdId, Lang, ResidentId, Result, TeamId,
    Timestamp, VisitId, VolunteerId,
};

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdOutcome {
    /// Someone was met at the door.
    Met,
    NobodyHome,
    Refused,
    /// A group session at a site (agency, school, business).
    Session,
    /// Not a knock: a return was booked (by phone, say). Kept in the household's history but
    /// never counted as a visit.
    Booking,
}

impl HouseholdOutcome {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "met" => Some(Self::Met),
            "nobody_home" => Some(Self::NobodyHome),
            "refused" => Some(Self::Refused),
            "session" => Some(Self::Session),
            "booking" => Some(Self::Booking),
            _ => None,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::Met => lang.pick("Đã gặp", "Met"),
            Self::NobodyHome => lang.pick("Không có ai ở nhà", "Nobody home"),
            Self::Refused => lang.pick("Từ chối", "Refused"),
            Self::Session => lang.pick("Buổi làm tập trung", "Group session"),
            Self::Booking => lang.pick("Hẹn lại", "Revisit booked"),
        }
    }
}

/// What a visit did for one resident.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentAction {
    pub resident: ResidentId,
    /// Funnel facts established on this visit; merged by join.
    #[serde(default)]
    pub reached: Funnel,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<Blocker>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A booked return, inside the area's visiting window.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revisit {
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// One knock on one door. Never edited after it is recorded.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub id: VisitId,
    pub household: HouseholdId,
    pub at: Timestamp,
    pub volunteer: VolunteerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    /// Who entered the visit when it is credited to someone else (a lead or the office
    /// entering a paper list): the record says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<VolunteerId>,
    pub outcome: HouseholdOutcome,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ResidentAction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub household_blockers: Vec<Blocker>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revisit: Option<Revisit>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Visit {
    pub fn action_for(&self, resident: &ResidentId) -> Option<&ResidentAction> {
        self.actions.iter().find(|a| &a.resident == resident)
    }

    /// A knock on the door (or a session), as opposed to a booking.
    pub fn is_visit(&self) -> bool {
        self.outcome != HouseholdOutcome::Booking
    }

    /// Ordering key shared by every replica: time, then id to break ties.
    pub fn order_key(&self) -> (Timestamp, &str) {
        (self.at, self.id.as_str())
    }
}

/// A lead's explicit correction: the only way a resident's funnel moves down.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub id: CorrectionId,
    pub resident: ResidentId,
    pub at: Timestamp,
    pub by: VolunteerId,
    /// The funnel the lead says is true at `at`.
    pub set: Funnel,
    pub reason: String,
}

impl Correction {
    pub fn new(
        id: CorrectionId,
        resident: ResidentId,
        at: Timestamp,
        by: VolunteerId,
        set: Funnel,
        reason: &str,
    ) -> Result<Correction> {
        let reason = crate::text::normalize_display(reason);
        if reason.is_empty() {
            return Err(Error::CorrectionWithoutReason);
        }
        Ok(Correction {
            id,
            resident,
            at,
            by,
            set,
            reason,
        })
    }
}

/// Derives a resident's funnel from the imported baseline, every visit and every correction.
///
/// Events are ordered by (time, id) — the same order on every replica — so the result depends only
/// on the set of events, never on the order they arrived in. Visits join; a correction replaces
/// what came before it, and later visits join on top of it.
pub fn resident_funnel<'a>(
    resident: &ResidentId,
    base: Funnel,
    visits: impl IntoIterator<Item = &'a Visit>,
    corrections: impl IntoIterator<Item = &'a Correction>,
) -> Funnel {
    enum Ev<'a> {
        Reached(Funnel),
        Set(&'a Correction),
    }
    let mut events: Vec<((Timestamp, u8, &str), Ev)> = Vec::new();
    for v in visits {
        if let Some(a) = v.action_for(resident) {
            events.push(((v.at, 0, v.id.as_str()), Ev::Reached(a.reached)));
        }
    }
    for c in corrections {
        if &c.resident == resident {
            // At the same instant a correction comes after visits: the lead saw them.
            events.push(((c.at, 1, c.id.as_str()), Ev::Set(c)));
        }
    }
    events.sort_by(|a, b| a.0.cmp(&b.0));
    events.into_iter().fold(base, |f, (_, ev)| match ev {
        Ev::Reached(r) => f.join(r),
        Ev::Set(c) => c.set,
    })
}

/// The blockers standing now for a resident: those of the latest visit that mentions them.
pub fn current_blockers<'a>(
    resident: &ResidentId,
    visits: impl IntoIterator<Item = &'a Visit>,
) -> Vec<Blocker> {
    visits
        .into_iter()
        .filter_map(|v| v.action_for(resident).map(|a| (v.order_key(), &a.blockers)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, b)| b.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, CccdStatus};
    use proptest::prelude::*;

    fn rid() -> ResidentId {
        ResidentId::parse("r-1").unwrap()
    }

    fn visit(id: &str, at: i64, reached: Funnel) -> Visit {
        Visit {
            id: VisitId::parse(id).unwrap(),
            household: HouseholdId::parse("h-1").unwrap(),
            at: Timestamp(at),
            volunteer: VolunteerId::parse("p-1").unwrap(),
            team: None,
            device: None,
            recorded_by: None,
            outcome: HouseholdOutcome::Met,
            actions: vec![ResidentAction {
                resident: rid(),
                reached,
                blockers: vec![],
                note: String::new(),
            }],
            household_blockers: vec![],
            revisit: None,
            note: String::new(),
        }
    }

    fn correction(id: &str, at: i64, set: Funnel) -> Correction {
        let by = VolunteerId::parse("p-lead").unwrap();
        Correction::new(
            CorrectionId::parse(id).unwrap(),
            rid(),
            Timestamp(at),
            by,
            set,
            "nhập nhầm",
        )
        .unwrap()
    }

    const ACTIVATED: Funnel = Funnel {
        cccd: CccdStatus::Has,
        level2_collected: true,
        activation: Activation::Level2,
        guided: false,
    };

    #[test]
    fn a_later_not_home_never_undoes_activation() {
        let v1 = visit("v-1", 100, ACTIVATED);
        let v2 = visit("v-2", 200, Funnel::default());
        let f = resident_funnel(&rid(), Funnel::default(), [&v2, &v1], []);
        assert_eq!(f, ACTIVATED);
    }

    #[test]
    fn only_a_correction_moves_down_and_later_visits_still_count() {
        let v1 = visit("v-1", 100, ACTIVATED);
        let c = correction(
            "c-1",
            150,
            Funnel {
                cccd: CccdStatus::Has,
                ..Funnel::default()
            },
        );
        let f = resident_funnel(&rid(), Funnel::default(), [&v1], [&c]);
        assert_eq!(f.activation, Activation::None);
        assert_eq!(f.cccd, CccdStatus::Has);
        let v3 = visit(
            "v-3",
            300,
            Funnel {
                activation: Activation::Level1,
                ..Funnel::default()
            },
        );
        let f = resident_funnel(&rid(), Funnel::default(), [&v3, &v1], [&c]);
        assert_eq!(f.activation, Activation::Level1);
        assert!(!f.level2_collected);
    }

    #[test]
    fn corrections_need_a_reason() {
        let by = VolunteerId::parse("p-lead").unwrap();
        let e = Correction::new(
            CorrectionId::parse("c-1").unwrap(),
            rid(),
            Timestamp(1),
            by,
            Funnel::default(),
            "  ",
        )
        .unwrap_err();
        assert_eq!(e, Error::CorrectionWithoutReason);
    }

    proptest! {
        #[test]
        fn funnel_does_not_depend_on_arrival_order(
            evs in proptest::collection::vec((0i64..50, 0u8..4, any::<bool>()), 0..12),
            seed in any::<u64>(),
        ) {
            let mut visits = vec![];
            let mut corrections = vec![];
            for (i, (at, stage, is_corr)) in evs.iter().enumerate() {
                let f = match stage {
                    0 => Funnel::default(),
                    1 => Funnel { cccd: CccdStatus::Has, ..Funnel::default() },
                    2 => Funnel { level2_collected: true, ..Funnel::default() },
                    _ => ACTIVATED,
                };
                if *is_corr {
                    corrections.push(correction(&format!("c-{i}"), *at, f));
                } else {
                    visits.push(visit(&format!("v-{i}"), *at, f));
                }
            }
            let a = resident_funnel(&rid(), Funnel::default(), &visits, &corrections);
            // A deterministic shuffle of the arrival order.
            let mut vr: Vec<&Visit> = visits.iter().collect();
            let mut cr: Vec<&Correction> = corrections.iter().collect();
            vr.sort_by_key(|v| (v.id.as_str().len() as u64).wrapping_mul(seed) ^ v.at.0 as u64);
            cr.reverse();
            let b = resident_funnel(&rid(), Funnel::default(), vr, cr);
            prop_assert_eq!(a, b);
            if corrections.is_empty() {
                // Without corrections the result covers every visit.
                for v in &visits {
                    prop_assert!(a.covers(v.actions[0].reached));
                }
            }
        }
    }
}
