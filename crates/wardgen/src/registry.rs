//! Household lists in the shape the residence registry or the ward police hand out ("DANH SÁCH
//! NHÂN KHẨU"): one row per resident, title rows, a relationship column instead of a head
//! column, the address as one string, and the damage Excel does (numbers that lost their
//! leading zeros, dates as serial numbers), with a chosen number of broken rows whose sheet row
//! numbers and expected error codes are returned, for import tests and benchmarks.
//!
//! Pure apart from the writers: the same [`RegistrySpec`] always gives the same list.

use std::path::Path;

use gocua_domain::Gender;
use rand::Rng;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use unicode_normalization::UnicodeNormalization;

use crate::{WardSpec, generate};

/// How birth dates are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BirthForm {
    /// A real date cell in XLSX; in CSV its serial day number, like a date column that lost
    /// its format.
    ExcelDate,
    /// "dd/mm/yyyy" text.
    Text,
    /// The year alone (the header is then "Năm sinh").
    Year,
    /// Each resident one of the three.
    Mixed,
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrySpec {
    pub seed: u64,
    pub households: usize,
    /// Ward, police, "DANH SÁCH NHÂN KHẨU" and the date above the header (merged across the
    /// columns in XLSX), and the "(1) (2) …" column numbering row under it.
    pub title_rows: bool,
    /// The group written once per run of rows (merged in XLSX, blank below in CSV).
    pub merged_groups: bool,
    /// ID and phone numbers stored as numbers, so their leading zeros are lost.
    pub numbers_as_numbers: bool,
    /// About a third of the names in decomposed Unicode (NFD).
    pub nfd_names: bool,
    pub births: BirthForm,
    /// Without it, the importer must form households from identical addresses.
    pub relationship_column: bool,
    /// Broken rows to plant, each in its own household.
    pub broken: usize,
}

impl RegistrySpec {
    /// All of the damage, no broken rows.
    pub fn messy(seed: u64, households: usize) -> Self {
        RegistrySpec {
            seed,
            households,
            title_rows: true,
            merged_groups: true,
            numbers_as_numbers: true,
            nfd_names: true,
            births: BirthForm::Mixed,
            relationship_column: true,
            broken: 0,
        }
    }

    /// Clean text everywhere: the baseline the damaged variants are compared with.
    pub fn clean(seed: u64, households: usize) -> Self {
        RegistrySpec {
            seed,
            households,
            title_rows: false,
            merged_groups: false,
            numbers_as_numbers: false,
            nfd_names: false,
            births: BirthForm::Text,
            relationship_column: true,
            broken: 0,
        }
    }
}

/// One cell as written.
#[derive(Clone, Debug, PartialEq)]
pub enum RegistryCell {
    Empty,
    Text(String),
    Number(f64),
    Date { year: i32, month: u8, day: u8 },
}

/// A resident the importer should find, in NFC with numbers restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedResident {
    pub full_name: String,
    pub birth_year: i32,
    pub gender: Gender,
    pub cccd_number: String,
    pub phone: String,
    pub relation: &'static str,
}

/// A household the importer should form (broken rows left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedHousehold {
    /// "Tổ dân phố 3".
    pub group: String,
    /// "Ngõ 42 Trần Cung": the alley without its main street's kind word.
    pub street: String,
    pub house_no: String,
    pub head: String,
    /// The address as written on the head's row.
    pub address: String,
    pub residents: Vec<ExpectedResident>,
}

/// A planted error: the sheet row (1-based, title rows included) and the importer's code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenRow {
    pub row: usize,
    pub code: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegistryList {
    /// Title rows above the header, "" for a blank row.
    pub title: Vec<String>,
    pub headers: Vec<String>,
    /// The "(1) (2) …" row under the header, when there are title rows.
    pub numbering: bool,
    /// Data rows, in sheet order.
    pub rows: Vec<Vec<RegistryCell>>,
    pub group_column: usize,
    /// Runs of data rows (first, last; indexes into `rows`) whose group cell is merged.
    pub group_merges: Vec<(usize, usize)>,
    pub households: Vec<ExpectedHousehold>,
    /// In row order.
    pub broken: Vec<BrokenRow>,
}

/// Sheet row of the header (1-based).
impl RegistryList {
    pub fn header_row(&self) -> usize {
        self.title.len() + 1
    }

    /// Sheet row (1-based) of data row `index`.
    pub fn sheet_row(&self, index: usize) -> usize {
        self.header_row() + 1 + usize::from(self.numbering) + index
    }

    pub fn residents(&self) -> usize {
        self.households.iter().map(|h| h.residents.len()).sum()
    }

    /// Comma-separated UTF-8 with a BOM, as Excel's "CSV UTF-8" writes it: merged cells are
    /// empty below their first row, dates are serial numbers.
    pub fn to_csv(&self) -> String {
        let width = self.headers.len();
        let mut out = String::from("\u{FEFF}");
        let mut line = |cells: Vec<String>| {
            let fields: Vec<String> = (0..width)
                .map(|i| csv_field(cells.get(i).map(String::as_str).unwrap_or("")))
                .collect();
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        };
        for t in &self.title {
            line(vec![t.clone()]);
        }
        line(self.headers.clone());
        if self.numbering {
            line((1..=width).map(|i| format!("({i})")).collect());
        }
        for row in &self.rows {
            line(
                row.iter()
                    .map(|c| match c {
                        RegistryCell::Empty => String::new(),
                        RegistryCell::Text(s) => s.clone(),
                        RegistryCell::Number(n) => format!("{n}"),
                        RegistryCell::Date { year, month, day } => {
                            excel_serial(*year, *month, *day).to_string()
                        }
                    })
                    .collect(),
            );
        }
        out
    }

    /// An XLSX workbook with one sheet: titles merged across the columns, real date cells,
    /// numbers as numbers, group cells merged over their runs.
    pub fn write_xlsx(&self, path: &Path) -> Result<(), rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut workbook = Workbook::new();
        let ws = workbook.add_worksheet();
        ws.set_name("Nhân khẩu")?;
        let date = Format::new().set_num_format("dd/mm/yyyy");
        let bold = Format::new().set_bold();
        let last_col = (self.headers.len() - 1) as u16;
        for (r, t) in self.title.iter().enumerate() {
            if !t.is_empty() {
                ws.merge_range(r as u32, 0, r as u32, last_col, t, &bold)?;
            }
        }
        let header = self.title.len() as u32;
        for (c, h) in self.headers.iter().enumerate() {
            ws.write_string_with_format(header, c as u16, h, &bold)?;
        }
        if self.numbering {
            for c in 0..self.headers.len() {
                ws.write_string(header + 1, c as u16, format!("({})", c + 1))?;
            }
        }
        let first = header + 1 + u32::from(self.numbering);
        let merged: std::collections::HashSet<usize> =
            self.group_merges.iter().flat_map(|&(a, b)| a..=b).collect();
        for (i, row) in self.rows.iter().enumerate() {
            let r = first + i as u32;
            for (c, cell) in row.iter().enumerate() {
                if c == self.group_column && merged.contains(&i) {
                    continue;
                }
                let c = c as u16;
                match cell {
                    RegistryCell::Empty => {}
                    RegistryCell::Text(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    RegistryCell::Number(n) => {
                        ws.write_number(r, c, *n)?;
                    }
                    RegistryCell::Date { year, month, day } => {
                        let dt = ExcelDateTime::from_ymd(*year as u16, *month, *day)?;
                        ws.write_datetime_with_format(r, c, &dt, &date)?;
                    }
                }
            }
        }
        let col = self.group_column as u16;
        for &(a, b) in &self.group_merges {
            let text = match &self.rows[a][self.group_column] {
                RegistryCell::Text(s) => s.clone(),
                _ => String::new(),
            };
            let (ra, rb) = (first + a as u32, first + b as u32);
            if ra == rb {
                ws.write_string(ra, col, &text)?;
            } else {
                ws.merge_range(ra, col, rb, col, &text, &Format::new())?;
            }
        }
        workbook.save(path)
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Excel's serial day number (1900 date system).
fn excel_serial(year: i32, month: u8, day: u8) -> i64 {
    let date = time::Date::from_calendar_date(
        year,
        time::Month::try_from(month).unwrap_or(time::Month::January),
        day,
    )
    .unwrap_or(time::macros::date!(1970 - 01 - 01));
    (date - time::macros::date!(1899 - 12 - 30)).whole_days()
}

/// Column positions.
const STT: usize = 0;
const NAME: usize = 1;
const BIRTH: usize = 2;
const GENDER: usize = 3;
const ID: usize = 4;

/// What a planted error does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Break {
    MissingName,
    GarbageId,
    BadAddress,
    BeforeHead,
    DuplicateId,
    BadDate,
}

const BREAKS: &[Break] = &[
    Break::MissingName,
    Break::GarbageId,
    Break::BadAddress,
    Break::BeforeHead,
    Break::DuplicateId,
    Break::BadDate,
];

/// One row before its sheet number is known.
struct Pending {
    cells: Vec<RegistryCell>,
    group: String,
    codes: Vec<&'static str>,
}

pub fn registry_list(spec: &RegistrySpec) -> RegistryList {
    let ward = generate(&WardSpec::small(spec.seed).with_households(spec.households));
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    rng.set_stream(7);
    let today = crate::DEFAULT_TODAY;
    let ward_short = ward.ward.name.trim_start_matches("Phường ").to_string();

    let mut headers: Vec<String> = vec![
        "STT".into(),
        "Họ và tên".into(),
        if spec.births == BirthForm::Year {
            "Năm sinh".into()
        } else {
            "Ngày, tháng, năm sinh".into()
        },
        "Giới tính".into(),
        "Số định danh cá nhân/CCCD".into(),
    ];
    let relation_col = spec.relationship_column.then(|| {
        headers.push("Quan hệ với chủ hộ".into());
        headers.len() - 1
    });
    headers.push("Nơi thường trú".into());
    let address_col = headers.len() - 1;
    headers.push("Tổ dân phố".into());
    let group_col = headers.len() - 1;
    headers.push("Số điện thoại".into());
    let phone_col = headers.len() - 1;
    headers.push("Ghi chú".into());
    let width = headers.len();

    let homes: Vec<_> = ward
        .households
        .iter()
        .filter(|h| h.kind == gocua_domain::HouseholdKind::Home)
        .collect();
    let street_name = |id: &gocua_domain::StreetId| {
        ward.streets
            .iter()
            .find(|s| &s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let group_number = |id: &gocua_domain::GroupId| {
        ward.groups
            .iter()
            .find(|g| &g.id == id)
            .map(|g| g.name.trim_start_matches("Tổ dân phố ").to_string())
            .unwrap_or_default()
    };

    // Which households carry a planted error: spread over the list, never the first (it lends
    // its head's ID number to the duplicate), only households with members.
    let mut targets: Vec<(usize, Break)> = Vec::new();
    if spec.broken > 0 {
        let candidates: Vec<usize> = (1..homes.len())
            .filter(|&i| homes[i].residents.len() >= 2)
            .collect();
        let k = spec.broken.min(candidates.len());
        for j in 0..k {
            let at = candidates[(2 * j + 1) * candidates.len() / (2 * k)];
            let mut kind = BREAKS[j % BREAKS.len()];
            if kind == Break::BeforeHead && j >= BREAKS.len() {
                kind = Break::BadDate;
            }
            if !targets.iter().any(|(i, _)| *i == at) {
                targets.push((at, kind));
            }
        }
    }
    // The duplicate copies the ID of an untouched head above it; without one it is garbage.
    let source = (0..homes.len())
        .filter(|i| !targets.iter().any(|(t, _)| t == i))
        .find(|&i| !homes[i].residents[0].cccd_number.is_empty());
    // Set when the source's head is written (with the number it is written with).
    let mut duplicate_source = String::new();
    for (at, kind) in &mut targets {
        if *kind == Break::DuplicateId && source.is_none_or(|s| s > *at) {
            *kind = Break::GarbageId;
        }
    }

    // The ward's random ID numbers can collide in a large ward; a registry has each once.
    let mut used_ids: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut expected: Vec<ExpectedHousehold> = Vec::new();
    for (index, home) in homes.iter().enumerate() {
        let target = targets.iter().find(|(i, _)| *i == index).map(|(_, b)| *b);
        let group_no = group_number(&home.group);
        let street = street_name(&home.street);
        let (address, expected_street) = address_for(
            &mut rng,
            &home.house_no,
            &street,
            &group_no,
            &ward_short,
            &ward.ward.district,
        );
        let address = if target == Some(Break::BadAddress) {
            format!("Phường {ward_short}, {}", ward.ward.district)
        } else {
            address
        };
        let group_text = match group_no.parse::<u32>().unwrap_or(0) % 3 {
            0 => format!("Tổ dân phố {group_no}"),
            1 => format!("Tổ {group_no}"),
            _ => group_no.clone(),
        };
        let relations = relations(home, today.year());
        let mut residents = Vec::new();
        let broken_member = 1 + (index % (home.residents.len() - 1).max(1));
        for (k, r) in home.residents.iter().enumerate() {
            let mut codes = Vec::new();
            let mut name = r.full_name.clone();
            // Every option draws the same numbers, so variants of one seed are one ward.
            let nfd = rng.gen_ratio(1, 3);
            let mixed = *[BirthForm::ExcelDate, BirthForm::Text, BirthForm::Year]
                .choose(&mut rng)
                .unwrap_or(&BirthForm::Text);
            if spec.nfd_names && nfd {
                name = name.nfd().collect();
            }
            let year = r.birth_year.unwrap_or(1980);
            let (month, day) = (rng.gen_range(1..=12u8), rng.gen_range(1..=28u8));
            let form = match spec.births {
                BirthForm::Mixed => mixed,
                f => f,
            };
            let mut birth = match form {
                BirthForm::ExcelDate => RegistryCell::Date { year, month, day },
                BirthForm::Year => {
                    if spec.numbers_as_numbers {
                        RegistryCell::Number(f64::from(year))
                    } else {
                        RegistryCell::Text(year.to_string())
                    }
                }
                _ => RegistryCell::Text(format!("{day:02}/{month:02}/{year}")),
            };
            let unique_id = unique(&mut used_ids, &r.cccd_number);
            let mut id = unique_id.clone();
            if k == 0 && Some(index) == source {
                duplicate_source = unique_id.clone();
            }
            let is_broken = k == broken_member && target.is_some();
            let mut keep = true;
            let mut cells = vec![RegistryCell::Empty; width];
            match target {
                Some(Break::MissingName) if is_broken => {
                    name = String::new();
                    codes.push("missing_value");
                    keep = false;
                }
                Some(Break::GarbageId) if is_broken => {
                    id = "0010A9xx123".into();
                    codes.push("invalid_cccd");
                    keep = false;
                }
                Some(Break::DuplicateId) if is_broken => {
                    id = duplicate_source.clone();
                    codes.push("duplicate_cccd");
                    keep = false;
                }
                Some(Break::BadDate) if is_broken => {
                    birth = RegistryCell::Text(format!("32/13/{year}"));
                    codes.push("invalid_year");
                    keep = false;
                }
                Some(Break::BeforeHead) if is_broken && !spec.relationship_column => {
                    cells[phone_col] = RegistryCell::Text("12345".into());
                    codes.push("invalid_phone");
                    keep = false;
                }
                Some(Break::BadAddress) => {
                    keep = false;
                    if k == 0 || !spec.relationship_column {
                        codes.push("invalid_address");
                    } else {
                        codes.push("head_row_invalid");
                    }
                }
                _ => {}
            }
            cells[STT] = RegistryCell::Number(0.0);
            cells[NAME] = RegistryCell::Text(name);
            cells[BIRTH] = birth;
            cells[GENDER] = RegistryCell::Text(
                match r.gender {
                    Some(Gender::Female) => "Nữ",
                    _ => "Nam",
                }
                .into(),
            );
            cells[ID] = number_cell(&id, spec.numbers_as_numbers);
            if let Some(c) = relation_col {
                cells[c] = RegistryCell::Text(relations[k].to_string());
            }
            cells[address_col] = RegistryCell::Text(address.clone());
            cells[group_col] = RegistryCell::Text(group_text.clone());
            if cells[phone_col] == RegistryCell::Empty {
                cells[phone_col] = number_cell(&r.phone, spec.numbers_as_numbers);
            }
            pending.push(Pending {
                cells,
                group: group_text.clone(),
                codes,
            });
            if keep {
                residents.push(ExpectedResident {
                    full_name: r.full_name.clone(),
                    birth_year: year,
                    gender: r.gender.unwrap_or(Gender::Male),
                    cccd_number: unique_id,
                    phone: r.phone.clone(),
                    relation: relations[k],
                });
            }
        }
        if target != Some(Break::BadAddress) {
            expected.push(ExpectedHousehold {
                group: format!("Tổ dân phố {group_no}"),
                street: expected_street,
                house_no: home.house_no.clone(),
                head: home.residents[0].full_name.clone(),
                address,
                residents,
            });
        }
    }
    // A member row before any head, at the very top.
    if spec.relationship_column && targets.iter().any(|(_, b)| *b == Break::BeforeHead) {
        let mut cells = pending[0].cells.clone();
        cells[NAME] = RegistryCell::Text("Nguyễn Văn Lạc".into());
        cells[ID] = RegistryCell::Empty;
        cells[phone_col] = RegistryCell::Empty;
        if let Some(c) = relation_col {
            cells[c] = RegistryCell::Text("Con".into());
        }
        let group = pending[0].group.clone();
        pending.insert(
            0,
            Pending {
                cells,
                group,
                codes: vec!["no_head"],
            },
        );
    }

    let mut list = RegistryList {
        title: if spec.title_rows {
            vec![
                format!("UBND PHƯỜNG {}", ward_short.to_uppercase()),
                format!("CÔNG AN PHƯỜNG {}", ward_short.to_uppercase()),
                String::new(),
                "DANH SÁCH NHÂN KHẨU".into(),
                format!(
                    "(Tính đến ngày {:02}/{:02}/{})",
                    today.day(),
                    u8::from(today.month()),
                    today.year()
                ),
                String::new(),
            ]
        } else {
            Vec::new()
        },
        headers,
        numbering: spec.title_rows,
        rows: Vec::new(),
        group_column: group_col,
        group_merges: Vec::new(),
        households: expected,
        broken: Vec::new(),
    };
    // Runs of one group: merged, or blank below the first row in CSV.
    let mut run_start = 0;
    for i in 0..=pending.len() {
        if i == pending.len() || pending[i].group != pending[run_start].group {
            if spec.merged_groups && i > run_start {
                list.group_merges.push((run_start, i - 1));
                for p in &mut pending[run_start + 1..i] {
                    p.cells[group_col] = RegistryCell::Empty;
                }
            }
            run_start = i;
        }
    }
    for (i, mut p) in pending.into_iter().enumerate() {
        p.cells[STT] = RegistryCell::Number((i + 1) as f64);
        let row = list.sheet_row(i);
        list.broken
            .extend(p.codes.iter().map(|&code| BrokenRow { row, code }));
        list.rows.push(p.cells);
    }
    list
}

/// `id`, or the next free number after it when it is already taken (empty stays empty).
fn unique(used: &mut std::collections::HashSet<String>, id: &str) -> String {
    if id.is_empty() {
        return String::new();
    }
    let mut id = id.to_string();
    while used.contains(&id) {
        let (head, tail) = id.split_at(6);
        let next = (tail.parse::<u64>().unwrap_or(0) + 1) % 1_000_000;
        id = format!("{head}{next:06}");
    }
    used.insert(id.clone());
    id
}

fn number_cell(digits: &str, as_number: bool) -> RegistryCell {
    if digits.is_empty() {
        RegistryCell::Empty
    } else if as_number && digits.bytes().all(|b| b.is_ascii_digit()) {
        RegistryCell::Number(digits.parse::<u64>().map_or(0.0, |n| n as f64))
    } else {
        RegistryCell::Text(digits.to_string())
    }
}

/// The street or alley as the importer names it: "Ngõ 42 Phố Trần Cung" → "Ngõ 42 Trần Cung".
pub fn plan_street_name(street: &str) -> String {
    let words: Vec<&str> = street.split_whitespace().collect();
    match words.as_slice() {
        [kind, number, main, rest @ ..]
            if matches!(*kind, "Ngõ" | "Ngách" | "Hẻm")
                && matches!(*main, "Phố" | "Đường")
                && !rest.is_empty() =>
        {
            let mut out = vec![*kind, *number];
            out.extend(rest);
            out.join(" ")
        }
        _ => street.to_string(),
    }
}

/// An address in one of the ways registry lists write them, and the street the importer
/// should find in it.
fn address_for(
    rng: &mut impl Rng,
    house_no: &str,
    street: &str,
    group_no: &str,
    ward_short: &str,
    district: &str,
) -> (String, String) {
    let lower_kind = {
        let mut words: Vec<String> = street.split_whitespace().map(str::to_string).collect();
        if let Some(first) = words.first_mut() {
            *first = first.to_lowercase();
        }
        words.join(" ")
    };
    let plan = plan_street_name(street);
    let address = match rng.gen_range(0..5) {
        0 => format!("Số {house_no} {lower_kind}"),
        1 => format!("số {house_no}, {street}, tổ {group_no}"),
        2 => format!("Số nhà {house_no} {street}, Phường {ward_short}, {district}"),
        3 => format!("{house_no} {plan}, P. {ward_short}"),
        _ => format!(
            "Số {house_no} {street}, phường {ward_short}, {}",
            district.to_lowercase()
        ),
    };
    (address, plan)
}

/// "Chủ hộ", then each member's relationship to the head from age and gender.
fn relations(home: &gocua_domain::Household, this_year: i32) -> Vec<&'static str> {
    let age = |r: &gocua_domain::Resident| this_year - r.birth_year.unwrap_or(this_year - 30);
    let head = &home.residents[0];
    let head_age = age(head);
    let mut out: Vec<&'static str> = vec!["Chủ hộ"];
    for (k, r) in home.residents.iter().enumerate().skip(1) {
        let a = age(r);
        let female = r.gender == Some(Gender::Female);
        let label = if k == 1 && r.gender != head.gender && (a - head_age).abs() <= 10 {
            if female { "Vợ" } else { "Chồng" }
        } else if head_age - a >= 40 {
            "Cháu"
        } else if head_age - a >= 14 {
            if out.last() == Some(&"Con") && r.gender != home.residents[k - 1].gender {
                if female { "Con dâu" } else { "Con rể" }
            } else {
                "Con"
            }
        } else if a - head_age >= 15 {
            if female { "Mẹ" } else { "Bố" }
        } else {
            "Em"
        };
        out.push(label);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_spec_gives_the_same_list_and_options_keep_the_ward() {
        let messy = registry_list(&RegistrySpec::messy(3, 40));
        assert_eq!(messy, registry_list(&RegistrySpec::messy(3, 40)));
        let clean = registry_list(&RegistrySpec::clean(3, 40));
        assert_eq!(messy.households, clean.households);
        assert_ne!(messy.rows, clean.rows);
        assert_ne!(
            messy.households,
            registry_list(&RegistrySpec::messy(4, 40)).households
        );
    }

    #[test]
    fn broken_rows_are_planted_in_row_order_with_their_codes() {
        let spec = RegistrySpec {
            broken: 6,
            ..RegistrySpec::messy(9, 80)
        };
        let list = registry_list(&spec);
        let rows: Vec<usize> = list.broken.iter().map(|b| b.row).collect();
        assert!(rows.windows(2).all(|w| w[0] < w[1]), "{rows:?}");
        assert_eq!(list.broken[0].code, "no_head");
        assert_eq!(list.broken[0].row, list.sheet_row(0));
        let clean = registry_list(&RegistrySpec::messy(9, 80));
        // Five households keep all but one row; the one with the bad address is gone.
        assert_eq!(list.households.len(), clean.households.len() - 1);
        assert_eq!(
            list.residents(),
            clean.residents()
                - 4
                - list
                    .broken
                    .iter()
                    .filter(|b| b.code == "head_row_invalid")
                    .count()
                - 1
        );
    }

    #[test]
    fn alleys_drop_their_main_streets_kind_word() {
        assert_eq!(plan_street_name("Ngõ 42 Phố Trần Cung"), "Ngõ 42 Trần Cung");
        assert_eq!(
            plan_street_name("Ngách 12/4 Đường Cổ Nhuế"),
            "Ngách 12/4 Cổ Nhuế"
        );
        assert_eq!(plan_street_name("Phố Trần Cung"), "Phố Trần Cung");
        assert_eq!(plan_street_name("Ngõ 5 Đường số 3"), "Ngõ 5 số 3");
    }
}
