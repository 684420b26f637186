//! The ward's geography (groups, phố and đường with their ngõ and ngách), its organisations,
//! teams and volunteers (with one mobile team), the street assignments and the campaign.

use gocua_domain::{
    Assignment, Campaign, Gender, Group, GroupKind, Household, Org, OrgKind, Role, Street,
    StreetId, StreetKind, Targets, Team, Volunteer, VolunteerId, Ward, text,
};
use rand::Rng;
use rand::seq::SliceRandom;

use crate::names::{family_name, full_name};
use crate::people::phone_number;
use crate::places::{FIGURES, UNIVERSITIES, WARDS};
use crate::{WardSpec, days_before, local_at, make_id};

pub(crate) struct LaidStreet {
    pub street: Street,
    /// Index of the group in `Layout::groups`.
    pub group: usize,
    /// Main streets (phố, đường) carry more houses than the alleys branching off them.
    pub is_main: bool,
}

pub(crate) struct Layout {
    pub ward: Ward,
    /// "Ngọc Hà" for "Phường Ngọc Hà": organisations are named after it.
    pub ward_short: String,
    pub groups: Vec<Group>,
    pub streets: Vec<LaidStreet>,
}

pub(crate) fn layout(rng: &mut impl Rng, spec: &WardSpec) -> Layout {
    let (ward_name, district) = WARDS[rng.gen_range(0..WARDS.len())];
    let ward_short = ward_name.trim_start_matches("Phường ").to_string();
    let ward = Ward {
        id: make_id(format!("w-{}", text::fold(&ward_short).replace(' ', "-"))),
        name: ward_name.to_string(),
        district: district.to_string(),
    };
    let groups: Vec<Group> = (1..=spec.groups)
        .map(|i| Group {
            id: make_id(format!("g-{i:02}")),
            name: format!("Tổ dân phố {i}"),
            kind: GroupKind::ToDanPho,
        })
        .collect();

    let mut figures: Vec<&str> = FIGURES.to_vec();
    figures.shuffle(rng);
    let mut figures = figures.into_iter();
    let mut numbered_streets = 0;
    let mut streets: Vec<LaidStreet> = Vec::with_capacity(spec.streets);
    for (g, count) in spread(spec.streets, spec.groups).into_iter().enumerate() {
        // About one main street per five streets; the rest are alleys off them.
        let mains = (count / 5).max(1).min(count);
        let mut main_names: Vec<String> = Vec::new();
        // Ngõ numbers already used on each main street, and the ngõ that exist for ngách.
        let mut used_ngo: Vec<Vec<u32>> = Vec::new();
        let mut ngos: Vec<(usize, u32, Vec<u32>)> = Vec::new();
        for k in 0..count {
            let (name, kind, is_main) = if k < mains {
                let (name, kind) = match figures.next() {
                    Some(f) if rng.gen_bool(0.7) => (format!("Phố {f}"), StreetKind::Pho),
                    Some(f) => (format!("Đường {f}"), StreetKind::Duong),
                    None => {
                        numbered_streets += 1;
                        (format!("Đường số {numbered_streets}"), StreetKind::Duong)
                    }
                };
                main_names.push(name.clone());
                used_ngo.push(Vec::new());
                (name, kind, true)
            } else if !ngos.is_empty() && rng.gen_bool(0.3) {
                let n = rng.gen_range(0..ngos.len());
                let (main, ngo, used) = &mut ngos[n];
                let ngach = fresh_number(rng, used, 2..60);
                (
                    format!("Ngách {ngo}/{ngach} {}", main_names[*main]),
                    StreetKind::Ngach,
                    false,
                )
            } else {
                let main = rng.gen_range(0..main_names.len());
                let ngo = fresh_number(rng, &mut used_ngo[main], 2..300);
                ngos.push((main, ngo, Vec::new()));
                (
                    format!("Ngõ {ngo} {}", main_names[main]),
                    StreetKind::Ngo,
                    false,
                )
            };
            let id = make_id(format!("s-{:03}", streets.len() + 1));
            streets.push(LaidStreet {
                street: Street {
                    id,
                    group: groups[g].id.clone(),
                    name,
                    kind,
                },
                group: g,
                is_main,
            });
        }
    }
    Layout {
        ward,
        ward_short,
        groups,
        streets,
    }
}

/// Splits `n` items over `parts` as evenly as possible, larger shares first.
pub(crate) fn spread(n: usize, parts: usize) -> Vec<usize> {
    if parts == 0 {
        return Vec::new();
    }
    (0..parts)
        .map(|i| n / parts + usize::from(i < n % parts))
        .collect()
}

/// A ngõ or ngách number not used yet on this street. The range is wide enough that a retry
/// is rare; after a few, the next number above the largest used is taken.
fn fresh_number(rng: &mut impl Rng, used: &mut Vec<u32>, range: std::ops::Range<u32>) -> u32 {
    for _ in 0..16 {
        let n = rng.gen_range(range.clone());
        if !used.contains(&n) {
            used.push(n);
            return n;
        }
    }
    let n = used.iter().copied().max().unwrap_or(range.start) + 1;
    used.push(n);
    n
}

pub(crate) struct Staff {
    pub orgs: Vec<Org>,
    pub teams: Vec<Team>,
    pub volunteers: Vec<Volunteer>,
    pub street_assignments: Vec<(StreetId, Assignment)>,
    /// Volunteer indices per team, lead first.
    pub members: Vec<Vec<usize>>,
    /// Team index per street index.
    pub team_of_street: Vec<Option<usize>>,
}

pub(crate) fn staff(rng: &mut impl Rng, spec: &WardSpec, layout: &Layout) -> Staff {
    let w = &layout.ward_short;
    let university = UNIVERSITIES[rng.gen_range(0..UNIVERSITIES.len())];
    let school_figure = FIGURES[rng.gen_range(0..FIGURES.len())];
    let org_list: [(String, OrgKind); 7] = [
        (format!("Công an phường {w}"), OrgKind::Police),
        (format!("Đoàn Thanh niên phường {w}"), OrgKind::YouthUnion),
        (
            format!("Hội Liên hiệp Phụ nữ phường {w}"),
            OrgKind::WomensUnion,
        ),
        (format!("Trường THCS {school_figure}"), OrgKind::School),
        (university.to_string(), OrgKind::University),
        (format!("UBND phường {w}"), OrgKind::WardOffice),
        (format!("Hội Cựu chiến binh phường {w}"), OrgKind::Other),
    ];
    let orgs: Vec<Org> = org_list
        .into_iter()
        .enumerate()
        .map(|(i, (name, kind))| Org {
            id: make_id(format!("o-{:02}", i + 1)),
            name,
            kind,
        })
        .collect();

    let teams: Vec<Team> = (1..=spec.teams)
        .map(|i| Team {
            id: make_id(format!("t-{i:02}")),
            name: format!("Tổ công tác {i}"),
            lead: None,
            mobile: false,
        })
        .collect();
    let mut teams = teams;
    let mut volunteers = Vec::with_capacity(spec.volunteers);
    let mut members = vec![Vec::new(); spec.teams];
    // Leads come from the police or the ward office; the others mix the unions, a teacher and
    // university students, as the campaign's mobile teams do.
    let lead_orgs = [0usize, 0, 5];
    let member_orgs = [1usize, 2, 4, 1, 3, 4, 6];
    let sizes = if spec.teams == 0 {
        vec![spec.volunteers]
    } else {
        spread(spec.volunteers, spec.teams)
    };
    for (t, size) in sizes.into_iter().enumerate() {
        for k in 0..size {
            let idx = volunteers.len();
            let id: VolunteerId = make_id(format!("p-{:02}", idx + 1));
            let team = teams.get(t).map(|team| team.id.clone());
            let is_lead = k == 0 && team.is_some();
            let org = if is_lead {
                lead_orgs[rng.gen_range(0..lead_orgs.len())]
            } else {
                member_orgs[rng.gen_range(0..member_orgs.len())]
            };
            let gender = match orgs[org].kind {
                OrgKind::WomensUnion => Gender::Female,
                _ if rng.gen_bool(0.5) => Gender::Male,
                _ => Gender::Female,
            };
            let age = match orgs[org].kind {
                OrgKind::University => rng.gen_range(19..=23),
                OrgKind::YouthUnion => rng.gen_range(20..=30),
                OrgKind::Other => rng.gen_range(55..=70),
                _ => rng.gen_range(28..=50),
            };
            let family = family_name(rng);
            let name = full_name(rng, family, gender, age);
            if let Some(team) = teams.get_mut(t).filter(|_| is_lead) {
                team.lead = Some(id.clone());
            }
            if let Some(m) = members.get_mut(t) {
                m.push(idx);
            }
            volunteers.push(Volunteer {
                id,
                name,
                org: orgs[org].id.clone(),
                team,
                role: if is_lead { Role::Lead } else { Role::Volunteer },
                phone: phone_number(rng),
            });
        }
    }

    // Whole residential groups go to one team, so a team knows its neighbourhood.
    let assigned_at = local_at(days_before(spec.today, spec.history_days + 7), 8 * 60, 0);
    let mut team_of_street = vec![None; layout.streets.len()];
    let mut street_assignments = Vec::with_capacity(layout.streets.len());
    if spec.teams > 0 {
        for (s, laid) in layout.streets.iter().enumerate() {
            let t = laid.group * spec.teams / spec.groups.max(1);
            team_of_street[s] = Some(t);
            street_assignments.push((
                laid.street.id.clone(),
                Assignment {
                    team: teams[t].id.clone(),
                    volunteer: None,
                    at: assigned_at,
                    by: None,
                },
            ));
        }
    }
    Staff {
        orgs,
        teams,
        volunteers,
        street_assignments,
        members,
        team_of_street,
    }
}

/// Members of the mobile team: lead first, then the members' organisations (police, the women's
/// union, the veterans' association, which the wardgen's `staff` lists as 0, 2 and 6).
const MOBILE_ORGS: [usize; 3] = [0, 2, 6];

/// The ward's mobile team (tổ lưu động): no streets of its own; it takes the hard cases other
/// teams flag (elderly, bedridden, disabled residents, and those needing an interpreter). It is
/// drawn from its own random stream and numbered after the other teams and volunteers, so adding
/// it leaves them, their streets and the visit history exactly as they were.
pub(crate) fn mobile_team(
    rng: &mut impl Rng,
    spec: &WardSpec,
    orgs: &[Org],
    teams: &mut Vec<Team>,
    volunteers: &mut Vec<Volunteer>,
) {
    if spec.teams == 0 || orgs.len() <= MOBILE_ORGS[2] {
        return;
    }
    let id: gocua_domain::TeamId = make_id(format!("t-{:02}", teams.len() + 1));
    let mut team = Team {
        id: id.clone(),
        name: "Tổ lưu động".to_string(),
        lead: None,
        mobile: true,
    };
    for (k, org) in MOBILE_ORGS.into_iter().enumerate() {
        let vid: VolunteerId = make_id(format!("p-{:02}", volunteers.len() + 1));
        let gender = match orgs[org].kind {
            OrgKind::WomensUnion => Gender::Female,
            _ if rng.gen_bool(0.5) => Gender::Male,
            _ => Gender::Female,
        };
        let age = match orgs[org].kind {
            OrgKind::Other => rng.gen_range(55..=70),
            _ => rng.gen_range(28..=50),
        };
        let family = family_name(rng);
        let name = full_name(rng, family, gender, age);
        if k == 0 {
            team.lead = Some(vid.clone());
        }
        volunteers.push(Volunteer {
            id: vid,
            name,
            org: orgs[org].id.clone(),
            team: Some(id.clone()),
            role: if k == 0 { Role::Lead } else { Role::Volunteer },
            phone: phone_number(rng),
        });
    }
    teams.push(team);
}

/// "Chiến dịch 90 ngày đêm", started a few weeks before `today`, with targets derived from the
/// eligible population the way ward steering committees set them.
pub(crate) fn campaign(spec: &WardSpec, households: &[Household]) -> Campaign {
    let start = days_before(spec.today, spec.history_days + 20);
    let end = start.checked_add(time::Duration::days(89)).unwrap_or(start);
    // Campaign::new sets the defaults (age 14, windows, quota 1×20); the dates are valid by
    // construction, so its error cannot happen here.
    let Ok(mut campaign) = Campaign::new("Chiến dịch 90 ngày đêm", start, end) else {
        unreachable!("a campaign of 90 days ends after it starts")
    };
    let eligible = households
        .iter()
        .flat_map(|h| &h.residents)
        .filter(|r| campaign.is_eligible(r.birth_year, spec.today))
        .count() as u64;
    let share = |percent: u64| u32::try_from(eligible * percent / 100).unwrap_or(u32::MAX);
    campaign.targets = Targets {
        cccd: share(95),
        level2: share(85),
        activated: share(80),
    };
    campaign
}
