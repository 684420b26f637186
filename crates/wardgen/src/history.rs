//! Evenings of visits already made: each team walks its streets in pairs inside the visiting
//! window, finds some doors closed, books returns, collects applications and meets blockers.
//! Also [`random_visit`], one plausible new visit for tests and benchmarks.

use std::collections::HashMap;

use gocua_domain::{
    Activation, AreaKind, Blocker, Campaign, CccdStatus, Funnel, Household, HouseholdKind,
    HouseholdOutcome, Resident, ResidentAction, Revisit, Timestamp, Visit, VisitId, Volunteer,
};
use rand::Rng;
use time::Date;

use crate::layout::{Layout, Staff};
use crate::places::VISIT_NOTES;
use crate::{WardSpec, days_before, local_at};

/// What a team's door-to-door pair gets through in an evening, summed over the team.
const VISITS_PER_TEAM_EVENING: usize = 25;

/// Where the simulation stands for one resident.
#[derive(Clone, Copy)]
struct Now {
    funnel: Funnel,
    /// Moved out or deceased: no longer visited.
    gone: bool,
}

struct Sim<'a> {
    spec: &'a WardSpec,
    households: &'a [Household],
    now: Vec<Vec<Now>>,
    /// Minutes after midnight bounding the visiting window, end excluded.
    window: (u32, u32),
}

pub(crate) fn history(
    rng: &mut impl Rng,
    spec: &WardSpec,
    campaign: &Campaign,
    staff: &Staff,
    layout: &Layout,
    households: &[Household],
) -> Vec<Visit> {
    let w = campaign.window(AreaKind::Urban);
    let minutes = |t: time::Time| u32::from(t.hour()) * 60 + u32::from(t.minute());
    let mut sim = Sim {
        spec,
        households,
        now: households
            .iter()
            .map(|h| {
                h.residents
                    .iter()
                    .map(|r| Now {
                        funnel: r.base,
                        gone: false,
                    })
                    .collect()
            })
            .collect(),
        window: (minutes(w.start), minutes(w.end).max(minutes(w.start) + 1)),
    };
    let street_index: HashMap<&str, usize> = layout
        .streets
        .iter()
        .enumerate()
        .map(|(i, s)| (s.street.id.as_str(), i))
        .collect();
    let teams = staff.members.len();
    let mut homes_of: Vec<Vec<usize>> = vec![Vec::new(); teams];
    let mut site_days: Vec<(usize, usize, u32)> = Vec::new();
    for (i, h) in households.iter().enumerate() {
        let Some(t) = street_index
            .get(h.street.as_str())
            .and_then(|&s| staff.team_of_street[s])
        else {
            continue;
        };
        if h.kind == HouseholdKind::Home {
            homes_of[t].push(i);
        } else if spec.history_days > 0 && rng.gen_bool(0.6) {
            site_days.push((i, t, rng.gen_range(1..=spec.history_days)));
        }
    }
    // Each team works through its households in its own order ("dễ làm trước": no order is
    // imposed here) and comes back to closed doors a day or two later.
    for list in &mut homes_of {
        rand::seq::SliceRandom::shuffle(list.as_mut_slice(), rng);
    }
    let homes = households
        .iter()
        .filter(|h| h.kind == HouseholdKind::Home)
        .count();
    let per_evening = (teams * VISITS_PER_TEAM_EVENING).min((homes / 8).max(1));
    let per_team = per_evening.checked_div(teams).map_or(0, |n| n.max(1));
    let mut next_new = vec![0usize; teams];
    let mut returns: Vec<Vec<(usize, Date)>> = vec![Vec::new(); teams];
    let mut visits = Vec::new();

    for days_ago in (1..=spec.history_days).rev() {
        let date = days_before(spec.today, days_ago);
        for &(site, t, day) in &site_days {
            if day == days_ago {
                let Some(&lead) = staff.members[t].first() else {
                    continue;
                };
                let minute =
                    sim.window.0 + rng.gen_range(20..=90).min(sim.window.1 - sim.window.0 - 1);
                let at = local_at(date, minute, rng.gen_range(0..60));
                visits.push(sim.session(rng, site, &staff.volunteers[lead], at));
            }
        }
        for t in 0..teams {
            let members = &staff.members[t];
            if members.is_empty() {
                continue;
            }
            let pairs: Vec<&[usize]> = members.chunks(2).collect();
            let mut budget = per_team;
            for (p, pair) in pairs.iter().enumerate() {
                let share = budget / (pairs.len() - p);
                budget -= share;
                let mut minute = sim.window.0 + rng.gen_range(0..20);
                for _ in 0..share {
                    if minute >= sim.window.1 {
                        break;
                    }
                    let due = returns[t].iter().position(|&(_, d)| d <= date);
                    let h = match due {
                        Some(k) => returns[t].remove(k).0,
                        None if next_new[t] < homes_of[t].len() => {
                            next_new[t] += 1;
                            homes_of[t][next_new[t] - 1]
                        }
                        None => break,
                    };
                    let volunteer = &staff.volunteers[pair[rng.gen_range(0..pair.len())]];
                    let at = local_at(date, minute, rng.gen_range(0..60));
                    let visit = sim.home_visit(rng, h, volunteer, at, date);
                    if visit.outcome == HouseholdOutcome::NobodyHome {
                        let back = date
                            .checked_add(time::Duration::days(rng.gen_range(1..=2)))
                            .unwrap_or(date);
                        returns[t].push((h, back));
                    }
                    visits.push(visit);
                    minute += rng.gen_range(6..=15);
                }
            }
        }
    }
    visits.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    visits
}

impl Sim<'_> {
    fn age(&self, r: &Resident) -> i32 {
        r.birth_year.map_or(40, |y| self.spec.today.year() - y)
    }

    fn home_visit(
        &mut self,
        rng: &mut impl Rng,
        h: usize,
        volunteer: &Volunteer,
        at: Timestamp,
        date: Date,
    ) -> Visit {
        let household = &self.households[h];
        let mut visit = blank_visit(rng, household, volunteer, at);
        let roll = rng.gen_range(0.0..1.0);
        if roll < 0.20 {
            visit.outcome = HouseholdOutcome::NobodyHome;
            visit.household_blockers = vec![Blocker::NobodyHome];
            if let Some(next) = date.next_day().filter(|_| rng.gen_bool(0.5)) {
                let minute = 19 * 60 + 15 * rng.gen_range(0..8);
                visit.revisit = Some(Revisit {
                    at: local_at(next, minute, 0),
                    note: String::new(),
                });
            }
            return visit;
        }
        if roll < 0.23 {
            visit.outcome = HouseholdOutcome::Refused;
            visit.household_blockers = vec![Blocker::Refused];
            return visit;
        }
        for (k, r) in household.residents.iter().enumerate() {
            let age = self.age(r);
            let now = self.now[h][k];
            if age < 14 || now.gone || (now.funnel.is_activated() && now.funnel.guided) {
                continue;
            }
            let present = rng.gen_bool(if k == 0 { 0.85 } else { 0.65 });
            let (reached, blockers) = if present {
                met(rng, r, age, now.funnel)
            } else {
                let roll = rng.gen_range(0.0..1.0);
                let blocker = if (18..=45).contains(&age) && roll < 0.15 {
                    Blocker::Away
                } else if roll < 0.02 {
                    Blocker::MovedOut
                } else if age >= 80 && roll < 0.06 {
                    Blocker::Deceased
                } else {
                    continue;
                };
                (now.funnel, vec![blocker])
            };
            if reached == now.funnel && blockers.is_empty() {
                continue;
            }
            self.now[h][k] = Now {
                funnel: reached,
                gone: blockers.iter().any(|b| b.removes_from_target()),
            };
            visit.actions.push(ResidentAction {
                resident: r.id.clone(),
                reached,
                blockers,
                note: String::new(),
            });
        }
        if rng.gen_bool(0.1) {
            visit.note = VISIT_NOTES[rng.gen_range(0..VISIT_NOTES.len())].to_string();
        }
        visit
    }

    /// A group session at a site: applications collected and accounts activated in bulk.
    fn session(&mut self, rng: &mut impl Rng, h: usize, lead: &Volunteer, at: Timestamp) -> Visit {
        let household = &self.households[h];
        let mut visit = blank_visit(rng, household, lead, at);
        visit.outcome = HouseholdOutcome::Session;
        for (k, r) in household.residents.iter().enumerate() {
            let now = self.now[h][k].funnel;
            if self.age(r) < 14 || now.is_activated() || !rng.gen_bool(0.7) {
                continue;
            }
            let mut reached = now;
            let mut blockers = Vec::new();
            if reached.cccd == CccdStatus::Has {
                reached.level2_collected = true;
                if r.phone.is_empty() {
                    blockers.push(Blocker::NoSmartphone);
                } else if rng.gen_bool(0.15) {
                    blockers.push(Blocker::PhoneNotOwnName);
                } else if rng.gen_bool(0.7) {
                    reached.activation = Activation::Level2;
                }
            } else if reached.cccd == CccdStatus::None {
                reached.cccd = CccdStatus::Applied;
            }
            if reached == now && blockers.is_empty() {
                continue;
            }
            self.now[h][k].funnel = reached;
            visit.actions.push(ResidentAction {
                resident: r.id.clone(),
                reached,
                blockers,
                note: String::new(),
            });
        }
        visit
    }
}

/// One resident met at the door: move them up the funnel as far as the evening allows, or
/// record what stands in the way.
fn met(rng: &mut impl Rng, r: &Resident, age: i32, now: Funnel) -> (Funnel, Vec<Blocker>) {
    let mut f = now;
    let mut blockers = Vec::new();
    if rng.gen_bool(0.02) {
        return (f, vec![Blocker::Refused]);
    }
    if age >= 75 && !f.level2_collected && rng.gen_bool(0.4) {
        return (f, vec![Blocker::NeedsEquipment]);
    }
    match f.cccd {
        CccdStatus::None if rng.gen_bool(0.5) => f.cccd = CccdStatus::Applied,
        CccdStatus::Has if !f.level2_collected && rng.gen_bool(0.7) => f.level2_collected = true,
        _ => {}
    }
    if f.cccd == CccdStatus::Has && !f.is_activated() {
        if r.phone.is_empty() {
            blockers.push(Blocker::NoSmartphone);
        } else if rng.gen_bool(0.12) {
            blockers.push(Blocker::PhoneNotOwnName);
        } else if rng.gen_bool(0.75) {
            f.activation = if f.level2_collected {
                Activation::Level2
            } else {
                Activation::Level1
            };
        }
    }
    if f.is_activated() && !f.guided && rng.gen_bool(0.5) {
        f.guided = true;
    }
    (f, blockers)
}

fn blank_visit(rng: &mut impl Rng, h: &Household, v: &Volunteer, at: Timestamp) -> Visit {
    Visit {
        id: VisitId::random(rng.r#gen()),
        household: h.id.clone(),
        at,
        volunteer: v.id.clone(),
        team: v.team.clone(),
        device: None,
        recorded_by: None,
        outcome: HouseholdOutcome::Met,
        actions: Vec::new(),
        household_blockers: Vec::new(),
        revisit: None,
        note: String::new(),
    }
}

/// A plausible new visit to `h` by `v` at `at` (random ids from rng), used by tests and benchmarks.
///
/// Homes: mostly someone met and a few residents moved up the funnel, sometimes a closed door
/// (with a return booked a day later) or a refusal. Sites: a group session.
pub fn random_visit(rng: &mut impl Rng, h: &Household, v: &Volunteer, at: Timestamp) -> Visit {
    let mut visit = blank_visit(rng, h, v, at);
    if h.kind != HouseholdKind::Home {
        visit.outcome = HouseholdOutcome::Session;
        for r in &h.residents {
            if visit.actions.len() == 40 || !rng.gen_bool(0.3) {
                continue;
            }
            let f = random_reached(rng);
            visit.actions.push(ResidentAction {
                resident: r.id.clone(),
                reached: f,
                blockers: Vec::new(),
                note: String::new(),
            });
        }
        return visit;
    }
    let roll = rng.gen_range(0.0..1.0);
    if roll < 0.2 {
        visit.outcome = HouseholdOutcome::NobodyHome;
        visit.household_blockers = vec![Blocker::NobodyHome];
        visit.revisit = Some(Revisit {
            at: Timestamp(at.0 + 86_400),
            note: String::new(),
        });
        return visit;
    }
    if roll < 0.25 {
        visit.outcome = HouseholdOutcome::Refused;
        visit.household_blockers = vec![Blocker::Refused];
        return visit;
    }
    for r in &h.residents {
        if !rng.gen_bool(0.6) {
            continue;
        }
        let reached = random_reached(rng);
        let blockers = if rng.gen_bool(0.15) {
            let options = [
                Blocker::NoSmartphone,
                Blocker::PhoneNotOwnName,
                Blocker::Away,
                Blocker::NeedsEquipment,
            ];
            vec![options[rng.gen_range(0..options.len())]]
        } else {
            Vec::new()
        };
        visit.actions.push(ResidentAction {
            resident: r.id.clone(),
            reached,
            blockers,
            note: String::new(),
        });
    }
    if rng.gen_bool(0.1) {
        visit.note = VISIT_NOTES[rng.gen_range(0..VISIT_NOTES.len())].to_string();
    }
    visit
}

fn random_reached(rng: &mut impl Rng) -> Funnel {
    let stage = rng.gen_range(0..5);
    Funnel {
        cccd: if stage == 0 {
            CccdStatus::Applied
        } else {
            CccdStatus::Has
        },
        level2_collected: stage >= 2,
        activation: if stage >= 3 {
            Activation::Level2
        } else {
            Activation::None
        },
        guided: stage >= 4,
    }
}
