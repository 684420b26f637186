//! Tests of the ward generator: determinism, shape, realism and internal consistency.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;
use std::sync::OnceLock;

use expect_test::{Expect, expect};
use gocua_domain::{
    Activation, AreaKind, CccdStatus, Funnel, Household, HouseholdKind, HouseholdOutcome,
    Timestamp, text,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{GeneratedWard, WardSpec, days_before, generate, random_visit};

fn check(actual: String, expect: Expect) {
    expect.assert_eq(&actual);
}

/// The full ward is generated once and shared: the checks below only read it.
fn full() -> &'static GeneratedWard {
    static WARD: OnceLock<GeneratedWard> = OnceLock::new();
    WARD.get_or_init(|| generate(&WardSpec::full(2026)))
}

fn funnel(f: Funnel) -> String {
    let cccd = match f.cccd {
        CccdStatus::None => "-",
        CccdStatus::Applied => "applied",
        CccdStatus::Has => "cccd",
    };
    let mut out = cccd.to_string();
    if f.level2_collected {
        out.push_str(" l2");
    }
    match f.activation {
        Activation::None => {}
        Activation::Level1 => out.push_str(" act1"),
        Activation::Level2 => out.push_str(" act2"),
    }
    if f.guided {
        out.push_str(" guided");
    }
    out
}

fn household(out: &mut String, h: &Household) {
    let _ = writeln!(
        out,
        "{} {:?} [{} {}] {}",
        h.id, h.kind, h.street, h.group, h.address
    );
    for r in h.residents.iter().take(4) {
        let _ = writeln!(
            out,
            "  {} {} {:?} {:?} cccd={} phone={} {}",
            r.id,
            r.full_name,
            r.birth_year.unwrap_or_default(),
            r.gender.unwrap_or(gocua_domain::Gender::Other),
            if r.cccd_number.is_empty() {
                "-"
            } else {
                &r.cccd_number
            },
            if r.phone.is_empty() { "-" } else { &r.phone },
            funnel(r.base)
        );
    }
    if h.residents.len() > 4 {
        let _ = writeln!(out, "  … {} residents", h.residents.len());
    }
}

fn render_small(w: &GeneratedWard) -> String {
    let mut out = String::new();
    let c = &w.campaign;
    let _ = writeln!(out, "{} ({}) {}", w.ward.name, w.ward.id, w.ward.district);
    let _ = writeln!(
        out,
        "{}: {} → {}, targets cccd {} level2 {} activated {}, quota {}",
        c.name,
        c.start,
        c.end,
        c.targets.cccd,
        c.targets.level2,
        c.targets.activated,
        c.quota_per_volunteer
    );
    let assigned: HashMap<_, _> = w
        .street_assignments
        .iter()
        .map(|(s, a)| (s, &a.team))
        .collect();
    for g in &w.groups {
        let _ = writeln!(out, "{} {}", g.id, g.name);
        for s in w.streets.iter().filter(|s| s.group == g.id) {
            let team = assigned
                .get(&s.id)
                .map_or("-".to_string(), |t| t.to_string());
            let _ = writeln!(out, "  {} {:?} {} → {team}", s.id, s.kind, s.name);
        }
    }
    for o in &w.orgs {
        let _ = writeln!(out, "{} {:?} {}", o.id, o.kind, o.name);
    }
    for t in &w.teams {
        let members: Vec<String> = w
            .volunteers
            .iter()
            .filter(|v| v.team.as_ref() == Some(&t.id))
            .map(|v| format!("{} {} ({:?}, {})", v.id, v.name, v.role, v.org))
            .collect();
        let _ = writeln!(out, "{} {}: {}", t.id, t.name, members.join("; "));
    }
    let _ = writeln!(
        out,
        "households {}, residents {}, visits {}",
        w.households.len(),
        w.resident_count(),
        w.visits.len()
    );
    for h in w.households.iter().take(3).chain(
        w.households
            .iter()
            .filter(|h| h.kind != HouseholdKind::Home)
            .take(1),
    ) {
        household(&mut out, h);
    }
    for v in w.visits.iter().take(4) {
        let _ = writeln!(
            out,
            "{} {} {} by {} {:?} {:?} revisit={:?} {:?}",
            v.at.format_local(),
            v.household,
            v.id,
            v.volunteer,
            v.outcome,
            v.household_blockers,
            v.revisit.as_ref().map(|r| r.at.format_local()),
            v.note
        );
        for a in &v.actions {
            let _ = writeln!(
                out,
                "  {} → {} {:?}",
                a.resident,
                funnel(a.reached),
                a.blockers
            );
        }
    }
    out
}

#[test]
fn small_ward_reads_like_a_ward() {
    let w = generate(&WardSpec::small(7));
    assert_eq!(w.groups.len(), 4);
    assert_eq!(w.streets.len(), 8);
    // Three door-to-door teams of three, and the mobile team (tổ lưu động) of three more.
    assert_eq!(w.teams.len(), 4);
    assert_eq!(w.volunteers.len(), 12);
    assert_eq!(
        w.teams
            .iter()
            .filter(|t| t.mobile)
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>(),
        ["t-04"]
    );
    assert_eq!(
        w.households
            .iter()
            .filter(|h| h.kind == HouseholdKind::Home)
            .count(),
        60
    );
    assert_eq!(
        w.households
            .iter()
            .filter(|h| h.kind != HouseholdKind::Home)
            .count(),
        2
    );
    check(
        render_small(&w),
        expect![[r#"
        Phường Ngọc Hà (w-ngoc-ha) Quận Ba Đình, Hà Nội
        Chiến dịch 90 ngày đêm: 2026-10-28 → 2027-01-25, targets cccd 207 level2 185 activated 174, quota 20
        g-01 Tổ dân phố 1
          s-001 Pho Phố Ngô Quyền → t-01
          s-002 Ngo Ngõ 277 Phố Ngô Quyền → t-01
        g-02 Tổ dân phố 2
          s-003 Duong Đường Nguyễn Công Trứ → t-01
          s-004 Ngo Ngõ 58 Đường Nguyễn Công Trứ → t-01
        g-03 Tổ dân phố 3
          s-005 Duong Đường Yết Kiêu → t-02
          s-006 Ngo Ngõ 6 Đường Yết Kiêu → t-02
        g-04 Tổ dân phố 4
          s-007 Pho Phố Lý Thường Kiệt → t-03
          s-008 Ngo Ngõ 283 Phố Lý Thường Kiệt → t-03
        o-01 Police Công an phường Ngọc Hà
        o-02 YouthUnion Đoàn Thanh niên phường Ngọc Hà
        o-03 WomensUnion Hội Liên hiệp Phụ nữ phường Ngọc Hà
        o-04 School Trường THCS Hàn Thuyên
        o-05 University Trường Đại học Luật Hà Nội
        o-06 WardOffice UBND phường Ngọc Hà
        o-07 Other Hội Cựu chiến binh phường Ngọc Hà
        t-01 Tổ công tác 1: p-01 Đỗ Thu Bích (Lead, o-01); p-02 Lý Gia Tuấn (Volunteer, o-04); p-03 Vũ Đức Trung (Volunteer, o-02)
        t-02 Tổ công tác 2: p-04 Phạm Hải Nhi (Lead, o-01); p-05 Lại Minh Lực (Volunteer, o-05); p-06 Thái Thanh Lý (Volunteer, o-02)
        t-03 Tổ công tác 3: p-07 Lê Bảo Liên (Lead, o-01); p-08 Nguyễn Thu Liên (Volunteer, o-02); p-09 Ngô Minh Huy (Volunteer, o-05)
        t-04 Tổ lưu động: p-10 Phạm Hữu Minh (Lead, o-01); p-11 Triệu Thị Khánh (Volunteer, o-03); p-12 Trương Thị Nguyệt (Volunteer, o-07)
        households 62, residents 243, visits 30
        h-00001 Home [s-001 g-01] Số 1, Phố Ngô Quyền, Tổ dân phố 1, Phường Ngọc Hà
          r-00001-1 Nguyễn Văn Sơn 1970 Male cccd=001070002368 phone=0702920484 cccd l2 act2 guided
          r-00001-2 Hoàng Thị Phương 1974 Female cccd=001174614632 phone=0355656543 cccd
          r-00001-3 Nguyễn Ngọc Thanh Khánh 2000 Female cccd=001300402817 phone=0357077444 cccd l2 act2 guided
        h-00002 Home [s-001 g-01] Số 3, Phố Ngô Quyền, Tổ dân phố 1, Phường Ngọc Hà
          r-00002-1 Nguyễn Văn Hải 1981 Male cccd=001081344593 phone=- cccd
          r-00002-2 Phan Khánh Nguyệt 1986 Female cccd=001186248752 phone=0326324002 cccd
          r-00002-3 Nguyễn Thị Vân 2006 Female cccd=001306209114 phone=0987038639 cccd l2 act2
          r-00002-4 Nguyễn Tuấn Khải 2011 Male cccd=001211887935 phone=0881345759 cccd
          … 6 residents
        h-00003 Home [s-001 g-01] Số 4, Phố Ngô Quyền, Tổ dân phố 1, Phường Ngọc Hà
          r-00003-1 Nguyễn Văn Quang 1976 Male cccd=- phone=0381997716 -
          r-00003-2 Nguyễn Xuân Thanh 1999 Male cccd=- phone=0916675544 -
        h-00061 Business [s-005 g-03] Số 21, Đường Yết Kiêu, Tổ dân phố 3, Phường Ngọc Hà
          r-00061-1 Hà Thu Dung 1996 Female cccd=035196598396 phone=- cccd
          r-00061-2 Huỳnh Thị Tâm 1981 Female cccd=026181907448 phone=- cccd
          r-00061-3 Nguyễn Minh Hiền 1987 Female cccd=025187984021 phone=- cccd l2 act2
          r-00061-4 Đỗ Khánh Minh Thảo 1983 Female cccd=- phone=0904733784 -
          … 31 residents
        2026-11-17 18:03 h-00033 v-7ps4tr5kb8hp by p-04 Met [] revisit=None ""
        2026-11-17 18:05 h-00025 v-q1jp1ec5tf2h by p-03 Met [] revisit=None ""
          r-00025-1 → applied []
        2026-11-17 18:08 h-00051 v-ys15pn1d4rmp by p-08 Met [] revisit=None ""
          r-00051-1 → cccd l2 act2 guided []
        2026-11-17 18:08 h-00005 v-txy11rz143x3 by p-02 Met [] revisit=None ""
          r-00005-1 → cccd l2 act2 guided []
    "#]],
    );
}

#[test]
fn same_seed_same_ward_other_seed_other_ward() {
    let a = generate(&WardSpec::small(1));
    assert_eq!(a, generate(&WardSpec::small(1)));
    let b = generate(&WardSpec::small(2));
    assert_ne!(a.households, b.households);
    assert_ne!(a.visits, b.visits);
}

#[test]
fn more_households_leave_streets_and_teams_alone() {
    let a = generate(&WardSpec::small(3));
    let b = generate(&WardSpec::small(3).with_households(90));
    assert_eq!(
        b.households
            .iter()
            .filter(|h| h.kind == HouseholdKind::Home)
            .count(),
        90
    );
    assert_eq!(
        (&a.streets, &a.volunteers, &a.street_assignments),
        (&b.streets, &b.volunteers, &b.street_assignments)
    );
}

/// Share of each value in percent, with one decimal.
fn shares<'a>(items: impl Iterator<Item = &'a str>) -> (usize, BTreeMap<&'a str, f64>) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut total = 0;
    for i in items {
        *counts.entry(i).or_default() += 1;
        total += 1;
    }
    let shares = counts
        .into_iter()
        .map(|(k, n)| (k, (n * 1000 / total.max(1)) as f64 / 10.0))
        .collect();
    (total, shares)
}

#[test]
fn family_names_follow_the_census() {
    let w = full();
    let families: Vec<String> = w
        .households
        .iter()
        .flat_map(|h| &h.residents)
        .map(|r| text::split_name(&r.full_name).family)
        .collect();
    let (total, s) = shares(families.iter().map(String::as_str));
    assert!(total > 29_000, "{total}");
    let get = |k: &str| s.get(k).copied().unwrap_or(0.0);
    for (names, expected, tolerance) in [
        (&["Nguyễn"][..], 38.0, 2.0),
        (&["Trần"], 11.0, 1.2),
        (&["Lê"], 9.5, 1.2),
        (&["Phạm"], 7.0, 1.0),
        (&["Hoàng", "Huỳnh"], 5.0, 1.0),
        (&["Vũ", "Võ"], 3.9, 1.0),
    ] {
        let got: f64 = names.iter().map(|n| get(n)).sum();
        assert!(
            (got - expected).abs() <= tolerance,
            "{names:?}: {got}% (expected {expected}% ± {tolerance})"
        );
    }
    // Children carry the head's name, so household members mostly share it.
    let (mut same, mut others) = (0, 0);
    for h in w
        .households
        .iter()
        .filter(|h| h.kind == HouseholdKind::Home)
    {
        let head = text::split_name(&h.head).family;
        for r in &h.residents[1..] {
            others += 1;
            same += usize::from(text::split_name(&r.full_name).family == head);
        }
    }
    assert!(same * 100 / others >= 60, "{same}/{others}");
}

#[test]
fn full_ward_figures() {
    let w = full();
    let today = WardSpec::full(2026).today;
    let residents: Vec<_> = w.households.iter().flat_map(|h| &h.residents).collect();
    let mut out = String::new();
    let homes = w
        .households
        .iter()
        .filter(|h| h.kind == HouseholdKind::Home)
        .count();
    let _ = writeln!(
        out,
        "{} · {} homes, {} sites, {} residents ({:.2} per home), {} streets, {} visits",
        w.ward.name,
        homes,
        w.households.len() - homes,
        residents.len(),
        w.households[..homes]
            .iter()
            .map(|h| h.residents.len())
            .sum::<usize>() as f64
            / homes as f64,
        w.streets.len(),
        w.visits.len()
    );
    let age = |r: &&gocua_domain::Resident| today.year() - r.birth_year.unwrap_or(today.year());
    let (_, bands) = shares(residents.iter().map(|r| match age(r) {
        0..=13 => "0-13",
        14..=17 => "14-17",
        18..=59 => "18-59",
        60..=79 => "60-79",
        _ => "80+",
    }));
    let _ = writeln!(out, "ages %: {bands:?}");
    let eligible: Vec<_> = residents.iter().filter(|r| age(r) >= 14).collect();
    let pct = |n: usize| (n * 1000 / eligible.len()) as f64 / 10.0;
    let cccd = pct(eligible
        .iter()
        .filter(|r| r.base.cccd == CccdStatus::Has)
        .count());
    let level2 = pct(eligible.iter().filter(|r| r.base.level2_collected).count());
    let activated = pct(eligible.iter().filter(|r| r.base.is_activated()).count());
    let _ = writeln!(
        out,
        "eligible {}: cccd {cccd}%, level2 {level2}%, activated {activated}%",
        eligible.len()
    );
    assert!(
        (cccd - 85.0).abs() < 4.0 && (level2 - 55.0).abs() < 4.0 && (activated - 45.0).abs() < 4.0,
        "{out}"
    );
    let (_, outcomes) = shares(w.visits.iter().map(|v| match v.outcome {
        HouseholdOutcome::Met => "met",
        HouseholdOutcome::NobodyHome => "nobody_home",
        HouseholdOutcome::Refused => "refused",
        HouseholdOutcome::Session => "session",
        HouseholdOutcome::Booking => "booking",
    }));
    let _ = writeln!(out, "outcomes %: {outcomes:?}");
    let mut blockers: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &w.visits {
        for b in v
            .household_blockers
            .iter()
            .chain(v.actions.iter().flat_map(|a| &a.blockers))
        {
            *blockers.entry(b.code()).or_default() += 1;
        }
    }
    let _ = writeln!(out, "blockers: {blockers:?}");
    let _ = writeln!(out, "targets: {:?}", w.campaign.targets);
    check(
        out,
        expect![[r#"
        Phường Láng Hạ · 10000 homes, 30 sites, 32926 residents (3.08 per home), 200 streets, 2517 visits
        ages %: {"0-13": 18.7, "14-17": 4.2, "18-59": 62.5, "60-79": 12.6, "80+": 1.8}
        eligible 26762: cccd 87.1%, level2 55.9%, activated 48.1%
        outcomes %: {"met": 78.4, "nobody_home": 18.4, "refused": 2.4, "session": 0.6}
        blockers: {"away": 91, "deceased": 2, "moved_out": 10, "needs_equipment": 43, "no_smartphone": 289, "nobody_home": 465, "phone_not_own_name": 196, "refused": 122}
        targets: Targets { cccd: 25423, level2: 22747, activated: 21409 }
    "#]],
    );
}

#[test]
fn visits_fall_in_the_window_of_past_evenings() {
    let spec = WardSpec::full(2026);
    let w = full();
    let window = w.campaign.window(AreaKind::Urban);
    let first = days_before(spec.today, spec.history_days);
    for v in &w.visits {
        assert!(window.contains(v.at), "{} at {}", v.id, v.at.format_local());
        let day = v.at.local_date();
        assert!(first <= day && day < spec.today, "{} on {day}", v.id);
        if let Some(r) = &v.revisit {
            assert!(window.contains(r.at), "revisit {}", r.at.format_local());
        }
    }
    assert!(
        w.visits
            .windows(2)
            .all(|p| p[0].order_key() <= p[1].order_key())
    );
}

#[test]
fn ids_are_unique_and_references_resolve() {
    let w = full();
    let mut residents = HashSet::new();
    for r in w.households.iter().flat_map(|h| &h.residents) {
        assert!(
            residents.insert(r.id.as_str()),
            "duplicate resident {}",
            r.id
        );
    }
    let households: HashSet<_> = w.households.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(households.len(), w.households.len());
    let visits: HashSet<_> = w.visits.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(visits.len(), w.visits.len());
    let addresses: HashSet<_> = w.households.iter().map(|h| h.address.as_str()).collect();
    assert_eq!(
        addresses.len(),
        w.households.len(),
        "two households share an address"
    );
    let streets: HashMap<_, _> = w.streets.iter().map(|s| (&s.id, &s.group)).collect();
    for h in &w.households {
        assert_eq!(streets.get(&h.street), Some(&&h.group), "{}", h.id);
    }
    let names: HashSet<_> = w.streets.iter().map(|s| &s.name).collect();
    assert_eq!(names.len(), w.streets.len(), "two streets share a name");
}

#[test]
fn every_street_is_assigned_to_a_team_with_one_lead() {
    let w = full();
    let assigned: BTreeSet<_> = w.street_assignments.iter().map(|(s, _)| s).collect();
    let streets: BTreeSet<_> = w.streets.iter().map(|s| &s.id).collect();
    assert_eq!(assigned, streets);
    let teams: HashSet<_> = w.teams.iter().map(|t| &t.id).collect();
    assert!(
        w.street_assignments
            .iter()
            .all(|(_, a)| teams.contains(&a.team))
    );
    for t in &w.teams {
        let members: Vec<_> = w
            .volunteers
            .iter()
            .filter(|v| v.team.as_ref() == Some(&t.id))
            .collect();
        // Ten teams of four, and the mobile team of three, with no streets of its own.
        assert_eq!(members.len(), if t.mobile { 3 } else { 4 }, "{}", t.id);
        assert_eq!(
            w.street_assignments.iter().any(|(_, a)| a.team == t.id),
            !t.mobile,
            "{}",
            t.id
        );
        let leads: Vec<_> = members
            .iter()
            .filter(|v| v.role == gocua_domain::Role::Lead)
            .collect();
        assert_eq!(leads.len(), 1);
        assert_eq!(t.lead.as_ref(), Some(&leads[0].id));
    }
}

#[test]
fn visits_name_only_residents_of_their_household() {
    let w = full();
    let of: HashMap<_, HashSet<_>> = w
        .households
        .iter()
        .map(|h| (&h.id, h.residents.iter().map(|r| &r.id).collect()))
        .collect();
    let volunteers: HashSet<_> = w.volunteers.iter().map(|v| &v.id).collect();
    for v in &w.visits {
        let residents = &of[&v.household];
        assert!(volunteers.contains(&v.volunteer));
        for a in &v.actions {
            assert!(
                residents.contains(&a.resident),
                "{} names {} of another household",
                v.id,
                a.resident
            );
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let at = Timestamp::parse_local("2026-11-22 19:00").unwrap_or(Timestamp(0));
    for h in w.households.iter().step_by(97) {
        let v = random_visit(&mut rng, h, &w.volunteers[0], at);
        assert_eq!(
            (&v.household, v.at, &v.volunteer),
            (&h.id, at, &w.volunteers[0].id)
        );
        assert!(v.actions.iter().all(|a| of[&h.id].contains(&a.resident)));
        assert!(v.id.as_str().starts_with("v-"));
    }
}

#[test]
fn names_carry_diacritics_and_children_are_there() {
    let w = full();
    let residents: Vec<_> = w.households.iter().flat_map(|h| &h.residents).collect();
    let plain = residents.iter().filter(|r| r.full_name.is_ascii()).count();
    assert!(
        plain * 10 < residents.len(),
        "{plain} names without diacritics"
    );
    let year = WardSpec::full(2026).today.year();
    let children = residents
        .iter()
        .filter(|r| r.birth_year.is_some_and(|y| year - y < 14))
        .count();
    assert!(
        children * 100 / residents.len() >= 10,
        "{children} children"
    );
    assert!(residents.iter().all(|r| {
        r.birth_year
            .is_some_and(|y| (0..=100).contains(&(year - y)))
    }));
    for h in &w.households {
        assert!(
            !h.residents.is_empty()
                && h.residents.len()
                    <= if h.kind == HouseholdKind::Home {
                        7
                    } else {
                        250
                    }
        );
    }
}

#[test]
fn degenerate_specs_do_not_panic() {
    let base = WardSpec::small(5);
    for spec in [
        WardSpec {
            groups: 0,
            streets: 0,
            ..base.clone()
        },
        WardSpec {
            teams: 0,
            volunteers: 0,
            ..base.clone()
        },
        WardSpec {
            teams: 5,
            volunteers: 2,
            history_days: 0,
            ..base.clone()
        },
        WardSpec {
            streets: 2,
            sites: 0,
            ..base.clone()
        }
        .with_households(0),
    ] {
        let w = generate(&spec);
        assert!(
            w.visits
                .iter()
                .all(|v| w.households.iter().any(|h| h.id == v.household)),
            "{spec:?}"
        );
    }
}
