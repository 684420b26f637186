//! Deterministic generator of realistic Vietnamese wards (names with diacritics, real-looking
//! addresses, teams, a campaign and a few evenings of visits) for demos, tests and benchmarks.
//!
//! Pure: no I/O, no clock. The same [`WardSpec`] always gives the same [`GeneratedWard`].
//! Each part of the ward draws from its own ChaCha stream, so changing one count (say the
//! number of households) leaves the other parts, like the streets and the teams, as they were.

mod history;
mod layout;
mod names;
mod people;
mod places;
mod registry;
#[cfg(test)]
mod tests;

use gocua_domain::Timestamp;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use time::Date;

pub use history::random_visit;
pub use registry::{
    BirthForm, BrokenRow, ExpectedHousehold, ExpectedResident, RegistryCell, RegistryList,
    RegistrySpec, plan_street_name, registry_list,
};

/// What to generate. `households` counts homes; `sites` (agencies, schools, businesses,
/// industrial zones) come on top of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WardSpec {
    pub seed: u64,
    pub households: usize,
    pub groups: usize,
    pub streets: usize,
    /// Door-to-door teams sharing the streets. A ward with any also gets one mobile team (tổ
    /// lưu động) of 3 more volunteers, with no streets, numbered after them.
    pub teams: usize,
    pub volunteers: usize,
    pub sites: usize,
    /// Evenings of visits already made before `today`.
    pub history_days: u32,
    /// The day the ward is generated for: ages, the campaign and the history are relative to it.
    pub today: Date,
}

/// The date both presets use, so tests and demos agree on ages.
const DEFAULT_TODAY: Date = time::macros::date!(2026 - 11 - 22);

impl WardSpec {
    /// The ward of the product brief: 10,000 households (about 30,000 residents), 20 residential
    /// groups, 200 streets, 10 teams of 4 volunteers, 30 sites and ten evenings of visits.
    pub fn full(seed: u64) -> Self {
        WardSpec {
            seed,
            households: 10_000,
            groups: 20,
            streets: 200,
            teams: 10,
            volunteers: 40,
            sites: 30,
            history_days: 10,
            today: DEFAULT_TODAY,
        }
    }

    /// A ward small enough to read in a test failure: about 60 households.
    pub fn small(seed: u64) -> Self {
        WardSpec {
            seed,
            households: 60,
            groups: 4,
            streets: 8,
            teams: 3,
            volunteers: 9,
            sites: 2,
            history_days: 5,
            today: DEFAULT_TODAY,
        }
    }

    pub fn with_households(self, n: usize) -> Self {
        WardSpec {
            households: n,
            ..self
        }
    }
}

/// A generated ward: homes first (`h-00001`…), then sites; visits sorted by time, then id.
pub type GeneratedWard = gocua_domain::WardData;

/// Streams of the seeded generator, one per part of the ward.
#[derive(Clone, Copy)]
enum Stream {
    Layout = 1,
    People = 2,
    Sites = 3,
    Staff = 4,
    History = 5,
    Mobile = 6,
}

fn rng_for(spec: &WardSpec, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    rng.set_stream(stream as u64);
    rng
}

pub fn generate(spec: &WardSpec) -> GeneratedWard {
    let layout = layout::layout(&mut rng_for(spec, Stream::Layout), spec);
    let mut households = people::homes(&mut rng_for(spec, Stream::People), spec, &layout);
    let sites = people::sites(
        &mut rng_for(spec, Stream::Sites),
        spec,
        &layout,
        &households,
    );
    households.extend(sites);
    let staff = layout::staff(&mut rng_for(spec, Stream::Staff), spec, &layout);
    let campaign = layout::campaign(spec, &households);
    let visits = history::history(
        &mut rng_for(spec, Stream::History),
        spec,
        &campaign,
        &staff,
        &layout,
        &households,
    );
    let (mut teams, mut volunteers) = (staff.teams, staff.volunteers);
    layout::mobile_team(
        &mut rng_for(spec, Stream::Mobile),
        spec,
        &staff.orgs,
        &mut teams,
        &mut volunteers,
    );
    GeneratedWard {
        ward: layout.ward,
        campaign,
        groups: layout.groups,
        streets: layout.streets.into_iter().map(|s| s.street).collect(),
        orgs: staff.orgs,
        teams,
        volunteers,
        street_assignments: staff.street_assignments,
        households,
        visits,
    }
}

/// Builds an id from generated text: prefixes and digits, which every id type accepts.
fn make_id<T>(s: String) -> T
where
    T: TryFrom<String>,
    T::Error: std::fmt::Debug,
{
    T::try_from(s).expect("generated ids are ASCII letters, digits and dashes")
}

/// Local time on `date`, `minute` minutes and `second` seconds after midnight.
fn local_at(date: Date, minute: u32, second: u32) -> Timestamp {
    Timestamp(
        Timestamp::from_local(date, time::Time::MIDNIGHT).0
            + i64::from(minute) * 60
            + i64::from(second),
    )
}

fn days_before(date: Date, days: u32) -> Date {
    date.checked_sub(time::Duration::days(i64::from(days)))
        .unwrap_or(date)
}
