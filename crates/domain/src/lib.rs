//! Pure domain of Gõ Cửa: ids, ward geography, campaign rules, the per-resident funnel, visits,
//! corrections, blockers, hard cases and team schedules, progress arithmetic and Vietnamese text. No I/O of any kind.

pub mod blocker;
pub mod campaign;
pub mod error;
pub mod funnel;
pub mod ids;
pub mod lang;
pub mod progress;
pub mod team_work;
pub mod text;
pub mod time;
pub mod visit;
pub mod ward;

pub use blocker::Blocker;
pub use campaign::{AreaKind, Campaign, Targets, VisitingWindow};
pub use error::{Error, Result};
pub use funnel::{Activation, CccdStatus, Funnel};
pub use ids::*;
pub use lang::Lang;
pub use progress::{Progress, ratio_percent};
pub use team_work::{HardCase, HardCaseMark, TeamSession};
pub use time::Timestamp;
pub use visit::{Correction, HouseholdOutcome, ResidentAction, Revisit, Visit, resident_funnel};
pub use ward::*;
