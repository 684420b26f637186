//! Households and sites with their residents: family structure and ages, names, CCCD numbers,
//! phones, and the progress already known when the campaign's lists were imported.

use gocua_domain::{
    Activation, CccdStatus, Funnel, Gender, Household, HouseholdKind, Resident, StreetKind,
};
use rand::Rng;

use crate::layout::Layout;
use crate::names::{family_name, full_name, weighted};
use crate::places::{
    AGENCIES, BUSINESS_KINDS, FIGURES, HOME_PROVINCE, INDUSTRIAL_ZONES, MIGRANT_PROVINCES,
    PHONE_PREFIXES, SCHOOL_LEVELS, TRADE_NAMES,
};
use crate::{WardSpec, make_id};

/// Household sizes 1–7 with a mean of about 3, as in urban household registers.
const SIZES: &[(usize, u32)] = &[(1, 14), (2, 25), (3, 26), (4, 20), (5, 9), (6, 4), (7, 2)];

/// Ages of heads of household by ten-year band (lower bound, weight).
const HEAD_AGES: &[(i32, u32)] = &[
    (22, 9),
    (30, 21),
    (40, 23),
    (50, 21),
    (60, 15),
    (70, 8),
    (80, 3),
];

/// Everyone in a household before names and numbers are drawn.
struct Person {
    age: i32,
    gender: Gender,
    family: &'static str,
}

pub(crate) fn homes(rng: &mut impl Rng, spec: &WardSpec, layout: &Layout) -> Vec<Household> {
    let counts = homes_per_street(rng, spec.households, layout);
    let mut out = Vec::with_capacity(spec.households);
    for (laid, count) in layout.streets.iter().zip(counts) {
        let group = &layout.groups[laid.group];
        let mut number = 0u32;
        for _ in 0..count {
            number += rng.gen_range(1..=2);
            let house_no = if rng.gen_bool(0.05) {
                format!("{number}A")
            } else {
                number.to_string()
            };
            let n = out.len() + 1;
            let people = family(rng);
            let residents: Vec<Resident> = people
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    resident(
                        rng,
                        spec,
                        format!("r-{n:05}-{}", k + 1),
                        p,
                        HOME_PROVINCE,
                        false,
                    )
                })
                .collect();
            out.push(Household {
                id: make_id(format!("h-{n:05}")),
                street: laid.street.id.clone(),
                group: group.id.clone(),
                kind: HouseholdKind::Home,
                address: format!(
                    "Số {house_no}, {}, {}, {}",
                    laid.street.name, group.name, layout.ward.name
                ),
                house_no,
                head: residents[0].full_name.clone(),
                residents,
            });
        }
    }
    out
}

/// Shares households out over the streets: main streets hold more than ngõ, ngõ more than
/// ngách, each with some jitter; the largest remainders take the leftovers so the total is exact.
fn homes_per_street(rng: &mut impl Rng, total: usize, layout: &Layout) -> Vec<usize> {
    let weights: Vec<f64> = layout
        .streets
        .iter()
        .map(|s| {
            let base = match s.street.kind {
                StreetKind::Pho | StreetKind::Duong => 1.6,
                StreetKind::Ngo | StreetKind::Hem => 1.0,
                StreetKind::Ngach => 0.6,
            };
            base * rng.gen_range(0.6..1.4)
        })
        .collect();
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    let missing = total.saturating_sub(counts.iter().sum());
    for &i in order.iter().cycle().take(missing) {
        counts[i] += 1;
    }
    counts
}

/// A family: head, usually a spouse, then children, grandchildren or the head's parents
/// depending on the head's age. Children and grandchildren mostly carry the head's family name.
fn family(rng: &mut impl Rng) -> Vec<Person> {
    let size = *weighted(rng, SIZES);
    let band = *weighted(rng, HEAD_AGES);
    let head_age = rng.gen_range(band..band + 10).max(22);
    let head_gender = if rng.gen_bool(if head_age >= 70 { 0.55 } else { 0.72 }) {
        Gender::Male
    } else {
        Gender::Female
    };
    let head_family = family_name(rng);
    let mut people = vec![Person {
        age: head_age,
        gender: head_gender,
        family: head_family,
    }];
    let opposite = |g: Gender| {
        if g == Gender::Male {
            Gender::Female
        } else {
            Gender::Male
        }
    };
    if size >= 2 && rng.gen_bool(0.88) {
        let gap = rng.gen_range(-2..=6);
        let age = if head_gender == Gender::Male {
            head_age - gap
        } else {
            head_age + gap
        };
        people.push(Person {
            age: age.max(20),
            gender: opposite(head_gender),
            family: family_name(rng),
        });
    }
    if head_age >= 58 {
        // Three generations: adult children, a child's spouse, grandchildren.
        let mut parent_of_grandchildren: Option<(i32, Gender, &'static str)> = None;
        while people.len() < size {
            match parent_of_grandchildren {
                None => {
                    let age = (head_age - rng.gen_range(22..=36)).max(18);
                    let gender = if rng.gen_bool(0.6) {
                        Gender::Male
                    } else {
                        Gender::Female
                    };
                    let family = child_family(rng, head_family);
                    people.push(Person {
                        age,
                        gender,
                        family,
                    });
                    parent_of_grandchildren = Some((age, gender, family));
                    if people.len() + 1 < size {
                        let spouse_age = (age + rng.gen_range(-4..=4)).max(18);
                        people.push(Person {
                            age: spouse_age,
                            gender: opposite(gender),
                            family: family_name(rng),
                        });
                    }
                }
                Some((age, gender, family)) => {
                    let oldest = (age - 20).clamp(0, 20);
                    let family = if gender == Gender::Male || rng.gen_bool(0.3) {
                        family
                    } else {
                        family_name(rng)
                    };
                    let g = if rng.gen_bool(0.5) {
                        Gender::Male
                    } else {
                        Gender::Female
                    };
                    people.push(Person {
                        age: rng.gen_range(0..=oldest),
                        gender: g,
                        family,
                    });
                }
            }
        }
    } else {
        let mut children = 0;
        while people.len() < size {
            if children < 4 {
                let age = head_age - rng.gen_range(21..=38);
                let age = if age < 0 { rng.gen_range(0..=3) } else { age };
                let g = if rng.gen_bool(0.5) {
                    Gender::Male
                } else {
                    Gender::Female
                };
                people.push(Person {
                    age,
                    gender: g,
                    family: child_family(rng, head_family),
                });
                children += 1;
            } else {
                // The head's own parent living with the family.
                let age = (head_age + rng.gen_range(22..=32)).min(98);
                let g = if rng.gen_bool(0.4) {
                    Gender::Male
                } else {
                    Gender::Female
                };
                let family = if g == Gender::Male {
                    head_family
                } else {
                    family_name(rng)
                };
                people.push(Person {
                    age,
                    gender: g,
                    family,
                });
            }
        }
    }
    people
}

fn child_family(rng: &mut impl Rng, head_family: &'static str) -> &'static str {
    if rng.gen_bool(0.9) {
        head_family
    } else {
        family_name(rng)
    }
}

fn resident(
    rng: &mut impl Rng,
    spec: &WardSpec,
    id: String,
    p: &Person,
    province: &str,
    migrant: bool,
) -> Resident {
    let birth_year = spec.today.year() - p.age;
    let base = base_funnel(rng, p.age, migrant);
    let cccd_number = if base.cccd == CccdStatus::Has {
        cccd_number(rng, province, p.gender, birth_year)
    } else {
        String::new()
    };
    let phone = if p.age >= 15 && rng.gen_bool(if p.age >= 75 { 0.5 } else { 0.85 }) {
        phone_number(rng)
    } else {
        String::new()
    };
    Resident {
        id: make_id(id),
        full_name: full_name(rng, p.family, p.gender, p.age),
        birth_year: Some(birth_year),
        gender: Some(p.gender),
        cccd_number,
        phone,
        base,
    }
}

/// Progress known at import. Among people of 14 and over, about 85 % hold a chip CCCD, 55 %
/// have had their level-2 application collected and 45 % have an activated account; the
/// very old lag behind, migrants at sites more so. Younger children rarely have anything.
fn base_funnel(rng: &mut impl Rng, age: i32, migrant: bool) -> Funnel {
    let mut f = Funnel::default();
    if age < 14 {
        if rng.gen_bool(0.15) {
            f.cccd = CccdStatus::Has;
        }
        return f;
    }
    let (has, level2, activated) = match (migrant, age) {
        (true, _) => (0.92, 0.40, 0.75),
        (false, 14..=17) => (0.86, 0.55, 0.78),
        (false, 18..=69) => (0.88, 0.68, 0.84),
        (false, 70..=79) => (0.80, 0.50, 0.70),
        (false, _) => (0.70, 0.35, 0.55),
    };
    if rng.gen_bool(has) {
        f.cccd = CccdStatus::Has;
    } else if rng.gen_bool(0.35) {
        f.cccd = CccdStatus::Applied;
    }
    if f.cccd == CccdStatus::Has && rng.gen_bool(level2) {
        f.level2_collected = true;
        if rng.gen_bool(activated) {
            f.activation = Activation::Level2;
        }
    } else if f.cccd == CccdStatus::Has && rng.gen_bool(0.06) {
        f.activation = Activation::Level1;
    }
    if f.is_activated() && rng.gen_bool(0.35) {
        f.guided = true;
    }
    f
}

/// 12 digits: province of registration, a digit for century and gender, the last two digits of
/// the birth year, then six digits.
fn cccd_number(rng: &mut impl Rng, province: &str, gender: Gender, birth_year: i32) -> String {
    let century = match (birth_year >= 2000, gender == Gender::Female) {
        (false, false) => 0,
        (false, true) => 1,
        (true, false) => 2,
        (true, true) => 3,
    };
    format!(
        "{province}{century}{:02}{:06}",
        birth_year.rem_euclid(100),
        rng.gen_range(0..1_000_000)
    )
}

pub(crate) fn phone_number(rng: &mut impl Rng) -> String {
    let prefix = PHONE_PREFIXES[rng.gen_range(0..PHONE_PREFIXES.len())];
    format!("{prefix}{:07}", rng.gen_range(0..10_000_000))
}

/// Agencies, schools, businesses and industrial zones on the main streets, each with the many
/// people a group session serves: mostly working-age migrants registered in other provinces.
pub(crate) fn sites(
    rng: &mut impl Rng,
    spec: &WardSpec,
    layout: &Layout,
    homes: &[Household],
) -> Vec<Household> {
    let mains: Vec<usize> = (0..layout.streets.len())
        .filter(|&s| layout.streets[s].is_main)
        .collect();
    if mains.is_empty() {
        return Vec::new();
    }
    // Sites take numbers after the last house of their street.
    let index: std::collections::HashMap<&str, usize> = layout
        .streets
        .iter()
        .enumerate()
        .map(|(i, laid)| (laid.street.id.as_str(), i))
        .collect();
    let mut last_no = vec![0u32; layout.streets.len()];
    for h in homes {
        if let (Some(&i), Ok(no)) = (
            index.get(h.street.as_str()),
            h.house_no.trim_end_matches('A').parse::<u32>(),
        ) {
            last_no[i] = last_no[i].max(no);
        }
    }
    let kinds = [
        (HouseholdKind::Agency, 30),
        (HouseholdKind::School, 20),
        (HouseholdKind::Business, 35),
        (HouseholdKind::IndustrialZone, 15),
    ];
    let mut names_used: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(spec.sites);
    for _ in 0..spec.sites {
        let kind = *weighted(rng, &kinds);
        let s = mains[rng.gen_range(0..mains.len())];
        let laid = &layout.streets[s];
        let group = &layout.groups[laid.group];
        last_no[s] += rng.gen_range(2..=6);
        let house_no = last_no[s].to_string();
        let (mut name, staff, ages) = match kind {
            HouseholdKind::Agency => (
                format!("{} {}", pick(rng, AGENCIES), layout.ward_short),
                rng.gen_range(15..=60),
                22..=58,
            ),
            HouseholdKind::School => (
                format!("{} {}", pick(rng, SCHOOL_LEVELS), pick(rng, FIGURES)),
                rng.gen_range(30..=120),
                11..=55,
            ),
            HouseholdKind::IndustrialZone => (
                format!("{} {}", pick(rng, INDUSTRIAL_ZONES), pick(rng, TRADE_NAMES)),
                rng.gen_range(80..=250),
                18..=45,
            ),
            HouseholdKind::Business | HouseholdKind::Home => (
                format!("{} {}", pick(rng, BUSINESS_KINDS), pick(rng, TRADE_NAMES)),
                rng.gen_range(20..=150),
                18..=50,
            ),
        };
        if names_used.contains(&name) {
            name = format!(
                "{name} (cơ sở {})",
                names_used.iter().filter(|n| n.starts_with(&name)).count() + 1
            );
        }
        names_used.push(name.clone());
        let n = homes.len() + out.len() + 1;
        let residents = (0..staff)
            .map(|k| {
                let age = rng.gen_range(ages.clone());
                let gender = if rng.gen_bool(0.5) {
                    Gender::Male
                } else {
                    Gender::Female
                };
                let migrant = rng.gen_bool(0.8);
                let province = if migrant {
                    MIGRANT_PROVINCES[rng.gen_range(0..MIGRANT_PROVINCES.len())]
                } else {
                    HOME_PROVINCE
                };
                let p = Person {
                    age,
                    gender,
                    family: family_name(rng),
                };
                resident(
                    rng,
                    spec,
                    format!("r-{n:05}-{}", k + 1),
                    &p,
                    province,
                    migrant,
                )
            })
            .collect();
        out.push(Household {
            id: make_id(format!("h-{n:05}")),
            street: laid.street.id.clone(),
            group: group.id.clone(),
            kind,
            address: format!(
                "Số {house_no}, {}, {}, {}",
                laid.street.name, group.name, layout.ward.name
            ),
            house_no,
            head: name,
            residents,
        });
    }
    out
}

fn pick(rng: &mut impl Rng, list: &[&'static str]) -> &'static str {
    list[rng.gen_range(0..list.len())]
}
