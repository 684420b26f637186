//! The residence registry's layout ("DANH SÁCH NHÂN KHẨU"): one row per resident, households
//! formed from the "Quan hệ với chủ hộ" column (or identical addresses), and the one-string
//! address split into street or alley and house number.
//!
//! Rows become the same [`RowValues`] the template gives, so ids, deduplication and duplicate
//! checks are the template's: the same ward imported from either layout gets the same ids.

use super::*;

/// Accepted headers of the registry layout, folded (see [`header_key`]). The first alias is
/// the header users see in messages when the file's own header is not at hand.
pub(super) const REGISTRY_COLUMNS: &[(Col, &str, &[&str])] = &[
    (
        Col::FullName,
        "Họ và tên",
        &[
            "ho va ten",
            "ho ten",
            "ho va ten nhan khau",
            "ho ten nhan khau",
            "ten nhan khau",
            "name",
            "full name",
        ],
    ),
    (
        Col::BirthYear,
        "Ngày, tháng, năm sinh",
        &[
            "ngay thang nam sinh",
            "ngay/thang/nam sinh",
            "ngay sinh",
            "nam sinh",
            "sinh ngay",
            "date of birth",
            "birth date",
            "birth year",
            "dob",
        ],
    ),
    (
        Col::Gender,
        "Giới tính",
        &["gioi tinh", "gioi", "nam/nu", "gender", "sex"],
    ),
    (
        Col::CccdNumber,
        "Số định danh cá nhân/CCCD",
        &[
            "so dinh danh ca nhan/cccd",
            "so dinh danh ca nhan",
            "so dinh danh",
            "so dinh danh/cccd",
            "ma dinh danh",
            "so cccd",
            "cccd",
            "so cccd/cmnd",
            "so cmnd/cccd",
            "cccd/cmnd",
            "cmnd/cccd",
            "so cmnd",
            "id number",
            "citizen id",
        ],
    ),
    (
        Col::Relation,
        "Quan hệ với chủ hộ",
        &[
            "quan he voi chu ho",
            "quan he",
            "quan he chu ho",
            "quan he voi ch",
            "qh voi chu ho",
            "qh chu ho",
            "relationship",
            "relationship to head",
        ],
    ),
    (
        Col::Address,
        "Nơi thường trú",
        &[
            "noi thuong tru",
            "dia chi",
            "dia chi thuong tru",
            "noi o hien nay",
            "noi o hien tai",
            "noi cu tru",
            "dia chi cu tru",
            "cho o hien nay",
            "address",
        ],
    ),
    (
        Col::Group,
        "Tổ dân phố",
        &[
            "to dan pho",
            "to",
            "tdp",
            "khu pho",
            "thon",
            "ap",
            "thon/ap",
            "to dan pho/thon",
            "group",
        ],
    ),
    (
        Col::Phone,
        "Số điện thoại",
        &[
            "so dien thoai",
            "dien thoai",
            "sdt",
            "so dt",
            "phone",
            "mobile",
        ],
    ),
];

/// Where each registry column sits in the header row.
pub(super) fn map_header(cells: &[Cell]) -> ColumnMap {
    let mut map: ColumnMap = Default::default();
    for (index, cell) in cells.iter().enumerate() {
        let raw = cell.text();
        let key = header_key(&raw);
        if key.is_empty() {
            continue;
        }
        if let Some((col, ..)) = REGISTRY_COLUMNS
            .iter()
            .find(|(_, _, aliases)| aliases.contains(&key.as_str()))
        {
            let slot = &mut map[*col as usize];
            if slot.is_none() {
                *slot = Some((index, normalize_display(&raw)));
            }
        }
    }
    map
}

/// A header row is the registry's when it names a relationship column, or names and addresses
/// without any of the template's household columns.
pub(super) fn is_registry(template: &ColumnMap, registry: &ColumnMap) -> bool {
    let has = |map: &ColumnMap, col: Col| map[col as usize].is_some();
    let template_household =
        has(template, Col::Street) || has(template, Col::HouseNo) || has(template, Col::Head);
    !template_household
        && has(registry, Col::FullName)
        && (has(registry, Col::Relation) || has(registry, Col::Address))
}

/// What a row's relationship cell says.
enum Relation {
    Head,
    Member(String),
    Unknown(String),
}

/// First words of relationships to the head: family, in-laws, lodgers.
const KIN_WORDS: &[&str] = &[
    "vo", "chong", "con", "bo", "me", "cha", "chau", "ong", "ba", "anh", "chi", "em", "co", "chu",
    "bac", "di", "cau", "thim", "mo", "duong", "du", "cu", "chat", "chit", "chut", "dau", "re",
    "nguoi", "o", "ban", "khac", "thanh", "nhan", "wife", "husband", "son", "daughter", "child",
    "father", "mother", "parent", "member", "other",
];

fn relation(value: Option<&str>) -> Relation {
    let Some(value) = value else {
        // Lists that write only "Chủ hộ" leave the members' cell empty.
        return Relation::Member(String::new());
    };
    let key = header_key(value);
    if key == "chu ho"
        || key.starts_with("chu ho ")
        || key.starts_with("chu ho/")
        || key == "ch"
        || key == "nguoi dai dien"
        || key == "head"
        || key == "head of household"
    {
        return Relation::Head;
    }
    let first = key.split([' ', '/']).next().unwrap_or_default();
    if KIN_WORDS.contains(&first) {
        Relation::Member(value.to_string())
    } else {
        Relation::Unknown(value.to_string())
    }
}

/// The household a member row joins.
struct House {
    group: (GroupKind, String),
    street: (StreetKind, String),
    house_no: String,
    address: String,
    head: String,
}

impl House {
    fn values(&self, resident: Resident) -> RowValues {
        RowValues {
            group: self.group.clone(),
            street: self.street.clone(),
            house_no: self.house_no.clone(),
            address: self.address.clone(),
            head: self.head.clone(),
            kind: None,
            resident,
        }
    }
}

/// The household being read in relationship mode: its head row, and `None` when that row had
/// errors (its members are then reported, not attached elsewhere).
struct Current {
    head_row: usize,
    house: Option<House>,
}

struct Registry {
    b: Builder,
    has_relation: bool,
    /// "Tổ dân phố 5" from a title such as "DANH SÁCH NHÂN KHẨU TỔ DÂN PHỐ 5".
    title_group: Option<(GroupKind, String)>,
    /// The last group written in the group column or in a section row, for cells left blank
    /// under it (merged cells exported to CSV, or a group written once per block).
    fill_group: Option<(GroupKind, String)>,
    current: Option<Current>,
    /// Address mode: (group, street, house number) folded → the first row's name, the head.
    by_address: HashMap<(String, String, String), String>,
}

pub(super) fn build(
    rows: &[(usize, Vec<Cell>)],
    header_at: usize,
    columns: ColumnMap,
    lang: Lang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ParsedList, ImportError> {
    let missing: Vec<String> = [Col::FullName, Col::Address]
        .into_iter()
        .filter(|col| columns[*col as usize].is_none())
        .map(|col| match col {
            Col::Address => "Nơi thường trú/Địa chỉ".to_string(),
            _ => "Họ và tên".to_string(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing));
    }
    let title_group = rows[..header_at]
        .iter()
        .flat_map(|(_, cells)| cells.iter())
        .find_map(|cell| title_group(&cell.text()));
    let data = &rows[header_at + 1..];
    if data
        .iter()
        .all(|(_, cells)| cells.iter().all(Cell::is_blank))
    {
        return Err(ImportError::Empty);
    }
    let mut reg = Registry {
        has_relation: columns[Col::Relation as usize].is_some(),
        b: Builder::new(lang, columns),
        title_group,
        fill_group: None,
        current: None,
        by_address: HashMap::new(),
    };
    let total = data.len();
    progress(0, total);
    let mut first = true;
    for (done, (row, cells)) in data.iter().enumerate() {
        if !cells.iter().all(Cell::is_blank) {
            // Official forms number their columns "(1) (2) (3)…" under the header.
            if !(first && is_numbering_row(cells)) {
                reg.row(*row, cells);
            }
            first = false;
        }
        if (done + 1) % PROGRESS_EVERY == 0 || done + 1 == total {
            progress(done + 1, total);
        }
    }
    let mut list = reg.b.finish();
    list.shape = ListShape::Registry;
    Ok(list)
}

fn is_numbering_row(cells: &[Cell]) -> bool {
    let filled: Vec<Cow<'_, str>> = cells
        .iter()
        .filter(|c| !c.is_blank())
        .map(Cell::text)
        .collect();
    filled.len() >= 3
        && filled.iter().all(|t| {
            let t = t.trim().trim_start_matches('(').trim_end_matches(')');
            !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Words that open the signature block under a list.
const FOOTER_WORDS: &[&str] = &[
    "nguoi lap",
    "xac nhan",
    "truong cong an",
    "to truong",
    "ky ten",
    "ky, ghi ro",
    "ky ghi ro",
    "tong cong",
    "tong so",
    "ngay ",
    "ha noi, ngay",
    "ha noi ngay",
    "t/m",
    "tm ",
];

impl Registry {
    /// Rows that are not residents: nothing in a known column (STT or notes only), a section
    /// row naming a group, or the signature block.
    fn is_not_a_resident(&mut self, cells: &[Cell]) -> bool {
        let known = self
            .b
            .columns
            .iter()
            .flatten()
            .any(|(index, _)| cells.get(*index).is_some_and(|c| !c.is_blank()));
        if !known {
            return true;
        }
        if cells.iter().filter(|c| !c.is_blank()).count() > 2 {
            return false;
        }
        let filled: Vec<String> = cells
            .iter()
            .filter(|c| !c.is_blank())
            .map(|c| normalize_display(&c.text()))
            .collect();
        let joined = filled.join(" ");
        if let Some(group) = section_group(&joined) {
            self.fill_group = Some(group);
            return true;
        }
        let key = fold(&joined);
        // Checked on short rows only, whichever column holds the text (often the name's).
        FOOTER_WORDS.iter().any(|w| key.starts_with(w))
    }

    fn row(&mut self, row: usize, cells: &[Cell]) {
        if self.is_not_a_resident(cells) {
            return;
        }
        self.b.list.rows += 1;
        let mut problems: Vec<(Col, Problem)> = Vec::new();
        let mut ctx = RowCtx {
            cells,
            columns: &self.b.columns,
            problems: &mut problems,
        };
        let resident = read_resident(&mut ctx, self.b.this_year);
        let relation_text = ctx.text(Col::Relation);
        let address = ctx.text(Col::Address);
        let own_group = ctx.text(Col::Group);

        let relation = if self.has_relation {
            relation(relation_text.as_deref())
        } else {
            Relation::Head
        };
        let group_hint = self
            .b
            .columns
            .get(Col::Group as usize)
            .and_then(|c| c.as_ref())
            .and_then(|(_, header)| super::group_hint(&header_key(header)));
        let own_group = own_group.map(|g| parse_group(&g, group_hint));
        if let Some(g) = &own_group {
            self.fill_group = Some(g.clone());
        }

        match relation {
            Relation::Unknown(value) => {
                problems.push((Col::Relation, Problem::Relation(value)));
            }
            Relation::Member(value) if self.has_relation => match &self.current {
                None => {
                    let value = if value.is_empty() {
                        "?".to_string()
                    } else {
                        value
                    };
                    problems.push((Col::Relation, Problem::NoHead(value)));
                }
                Some(Current {
                    head_row,
                    house: None,
                }) => {
                    problems.push((
                        Col::Relation,
                        Problem::HeadRowInvalid {
                            head_row: *head_row,
                        },
                    ));
                }
                Some(Current {
                    house: Some(house), ..
                }) => {
                    if let (Some(resident), true) = (resident, problems.is_empty()) {
                        let values = house.values(resident);
                        self.b.add(row, values, &mut problems);
                    }
                }
            },
            // A head row, or any row when households come from addresses.
            Relation::Head | Relation::Member(_) => {
                let house = self.house(address, own_group, &mut problems);
                match (house, resident) {
                    (Some(mut house), Some(resident)) if problems.is_empty() => {
                        // Without a relationship column, rows at one numbered address are one
                        // household, headed by its first row that imports. An address without
                        // a house number names no one home: such a row is its own household.
                        let key = (!self.has_relation && !house.house_no.is_empty()).then(|| {
                            (
                                fold(&house.group.1),
                                fold(&house.street.1),
                                fold(&house.house_no),
                            )
                        });
                        house.head = key
                            .as_ref()
                            .and_then(|k| self.by_address.get(k).cloned())
                            .unwrap_or_else(|| resident.full_name.clone());
                        self.b.add(row, house.values(resident), &mut problems);
                        if let Some(key) = key
                            && problems.is_empty()
                        {
                            self.by_address
                                .entry(key)
                                .or_insert_with(|| house.head.clone());
                        }
                        if self.has_relation {
                            self.current = Some(Current {
                                head_row: row,
                                house: problems.is_empty().then_some(house),
                            });
                        }
                    }
                    _ => {
                        if self.has_relation {
                            self.current = Some(Current {
                                head_row: row,
                                house: None,
                            });
                        }
                    }
                }
            }
        }
        self.b.report(row, problems);
    }

    /// The household's place from a head row (or any row in address mode).
    fn house(
        &self,
        address: Option<String>,
        own_group: Option<(GroupKind, String)>,
        problems: &mut Vec<(Col, Problem)>,
    ) -> Option<House> {
        let Some(address) = address else {
            problems.push((Col::Address, Problem::Missing));
            return None;
        };
        let Some(split) = split_address(&address) else {
            problems.push((Col::Address, Problem::Address(address)));
            return None;
        };
        let group = own_group
            .or_else(|| split.group.as_deref().map(|g| parse_group(g, None)))
            .or_else(|| self.fill_group.clone())
            .or_else(|| self.title_group.clone());
        let Some(group) = group else {
            problems.push((Col::Group, Problem::NoGroup));
            return None;
        };
        Some(House {
            group,
            street: (split.kind, split.street),
            house_no: split.house_no,
            address,
            head: String::new(),
        })
    }
}

/// "Tổ dân phố 5" from a title line that names one numbered group.
fn title_group(text: &str) -> Option<(GroupKind, String)> {
    let key = header_key(text);
    let words: Vec<&str> = key.split(' ').collect();
    for i in 0..words.len() {
        let rest = match &words[i..] {
            ["to", "dan", "pho", "so", n, ..] | ["to", "dan", "pho", n, ..] => n,
            ["tdp", n, ..] | ["to", "so", n, ..] | ["to", n, ..] => n,
            _ => continue,
        };
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            return Some((
                GroupKind::ToDanPho,
                format!("Tổ dân phố {}", without_leading_zeros(rest)),
            ));
        }
    }
    None
}

/// A row that is only a group's name ("TỔ DÂN PHỐ SỐ 5", "II. Thôn Đông") heads the rows below.
fn section_group(text: &str) -> Option<(GroupKind, String)> {
    let is_ordinal = |w: &str| {
        let w = fold(w);
        let w = w.trim_end_matches(['.', ')', ':', '-']);
        !w.is_empty()
            && (w.bytes().all(|b| b.is_ascii_digit()) || w.bytes().all(|b| b"ivx".contains(&b)))
    };
    let words: Vec<&str> = text
        .split_whitespace()
        .skip_while(|w| is_ordinal(w) || *w == "-")
        .collect();
    let rest = words.join(" ");
    let key = header_key(&rest);
    if (key.starts_with("to ") || key.starts_with("tdp")) && words.len() <= 5 {
        return title_group(&rest);
    }
    if ["thon ", "ap ", "khu pho ", "xom "]
        .iter()
        .any(|w| key.starts_with(w))
        && words.len() <= 4
    {
        return Some(parse_group(&rest, None));
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Addresses

/// An address split into the household's place: `street` is the street or alley as the plan
/// names it ("Ngõ 190 Hoàng Quốc Việt"), `house_no` may be empty ("đường Trần Cung"), `group`
/// is a group the address names ("tổ 7"), as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitAddress {
    pub house_no: String,
    pub street: String,
    pub kind: StreetKind,
    pub group: Option<String>,
}

/// Splits a one-string address: "Số 20 ngõ 190 Hoàng Quốc Việt" → 20 + "Ngõ 190 Hoàng Quốc
/// Việt"; "Số 80 ngách 12/4 Cổ Nhuế" → 80 + "Ngách 12/4 Cổ Nhuế"; "số 5, ngõ 42 phố Trần Cung,
/// tổ 7" → 5 + "Ngõ 42 Trần Cung" in "tổ 7"; ward, district and city tails are dropped. `None`
/// when no street or alley can be found.
pub fn split_address(address: &str) -> Option<SplitAddress> {
    let address = normalize_display(address);
    let mut tokens: Vec<&str> = Vec::new();
    let mut group: Option<String> = None;
    for part in address.split([',', ';']) {
        let part = part.trim().trim_matches(['.', '-']).trim();
        if part.is_empty() {
            continue;
        }
        let key = fold(part);
        let street_found = has_street(&tokens);
        if is_admin(&key, street_found) {
            break;
        }
        if is_group_part(&key) {
            group.get_or_insert_with(|| part.to_string());
            continue;
        }
        tokens.extend(part.split_whitespace());
    }
    let folded: Vec<String> = tokens
        .iter()
        .map(|t| fold(t.trim_end_matches([':', '.'])))
        .collect();
    // "Số", "Số nhà", "SN", "Nhà số", "Nhà" before the house number.
    let prefix = match folded.as_slice() {
        [a, b, ..] if (a == "so" && b == "nha") || (a == "nha" && b == "so") => 2,
        [a, ..] if a == "so" || a == "sn" || a == "nha" => 1,
        _ => 0,
    };
    let mut i = prefix;
    let mut house_no = String::new();
    if let Some(t) = tokens.get(i)
        && is_number_like(t)
    {
        house_no = t.trim_end_matches([':', '.']).to_string();
        i += 1;
    }
    // Stop at an in-line ward/district or group ("… Cổ Nhuế phường Cổ Nhuế 1").
    let mut end = tokens.len();
    // A street's own name may begin with such a word (phố Quán Thánh), so the kind word and
    // two more words come first.
    for j in i + 3..tokens.len() {
        let w = folded[j].as_str();
        if matches!(w, "phuong" | "p" | "quan" | "q" | "huyen" | "tp" | "tinh")
            || (w == "thanh" && folded.get(j + 1).is_some_and(|n| n == "pho"))
        {
            end = j;
            break;
        }
        if matches!(w, "to" | "tdp")
            && tokens
                .get(j + 1)
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        {
            group.get_or_insert_with(|| tokens[j..j + 2].join(" "));
            end = j;
            break;
        }
    }
    let words = &tokens[i.min(end)..end];
    let keys = &folded[i.min(end)..end];
    let (kind, label, mut rest) = match keys.first().map(String::as_str) {
        Some("ngo") => (StreetKind::Ngo, "Ngõ", &words[1..]),
        Some("ngach") => (StreetKind::Ngach, "Ngách", &words[1..]),
        Some("hem") => (StreetKind::Hem, "Hẻm", &words[1..]),
        Some("kiet") => (StreetKind::Hem, "Kiệt", &words[1..]),
        Some("pho") => (StreetKind::Pho, "Phố", &words[1..]),
        Some("duong") => (StreetKind::Duong, "Đường", &words[1..]),
        Some(_) => (StreetKind::Duong, "Đường", words),
        None => return None,
    };
    let mut name: Vec<&str> = vec![label];
    let alley = matches!(kind, StreetKind::Ngo | StreetKind::Ngach | StreetKind::Hem);
    let mut numbered = false;
    if alley
        && let Some(first) = rest.first()
        && is_number_like(first)
    {
        name.push(first);
        rest = &rest[1..];
        numbered = true;
        // "ngõ 42 phố Trần Cung": the main street's kind word is left out of the alley's name.
        if rest.len() >= 2 && matches!(fold(rest[0]).as_str(), "pho" | "duong") {
            rest = &rest[1..];
        }
    }
    if !(numbered || rest.iter().any(|w| w.chars().any(char::is_alphabetic))) {
        return None;
    }
    if rest.iter().any(|w| {
        w.chars()
            .any(|c| !(c.is_alphanumeric() || "/-.'()".contains(c)))
    }) {
        return None;
    }
    name.extend(rest);
    Some(SplitAddress {
        house_no,
        street: name.join(" "),
        kind,
        group,
    })
}

/// "tổ 7", "tổ dân phố 7", "TDP 7", "Thôn Đông", "Ấp 3", "Khu phố 2", "Xóm 3": a part of an
/// address naming the group. "Tô Hiến Thành" is a street.
fn is_group_part(key: &str) -> bool {
    let numbered = ["to ", "tdp", "to dan pho "]
        .iter()
        .any(|w| key.starts_with(w))
        && title_group(key).is_some();
    numbered
        || (["thon ", "ap ", "khu pho ", "xom "]
            .iter()
            .any(|w| key.starts_with(w))
            && key.split(' ').count() <= 4)
}

fn has_street(tokens: &[&str]) -> bool {
    tokens.iter().any(|t| {
        t.chars().any(char::is_alphabetic) && !matches!(fold(t).as_str(), "so" | "nha" | "sn")
    })
}

/// Ward, district, city and country parts that end the street part of an address. "Quận" and
/// "Xã" also begin street names (Quán Thánh, Xã Đàn), so they count only after a street.
fn is_admin(key: &str, street_found: bool) -> bool {
    const ALWAYS: &[&str] = &[
        "phuong ",
        "p.",
        "huyen ",
        "thi tran ",
        "thi xa ",
        "thanh pho ",
        "tp.",
        "tp ",
        "tinh ",
    ];
    const WHOLE: &[&str] = &["ha noi", "tp ha noi", "viet nam", "vn", "tp hcm", "hcm"];
    const AFTER_STREET: &[&str] = &["quan ", "q.", "q ", "xa ", "p "];
    ALWAYS.iter().any(|w| key.starts_with(w))
        || WHOLE.contains(&key)
        || (street_found && AFTER_STREET.iter().any(|w| key.starts_with(w)))
}

/// "20", "12A", "5/3", "12/4", "20-22": starts with a digit, short, no spaces.
fn is_number_like(token: &str) -> bool {
    let t = token.trim_end_matches([':', '.']);
    t.len() <= 12
        && t.chars().next().is_some_and(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_alphanumeric() || c == '/' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_aliases_are_folded_and_unique() {
        let mut seen = HashSet::new();
        for (_, header, aliases) in REGISTRY_COLUMNS {
            assert_eq!(aliases[0], header_key(header));
            for alias in *aliases {
                assert_eq!(header_key(alias), *alias);
                assert!(seen.insert(*alias), "alias {alias:?} used twice");
            }
        }
    }

    #[test]
    fn the_documentation_lists_every_registry_header_and_alias() {
        let doc = include_str!("../../../../docs/IMPORT.md");
        let doc = &doc[doc.find("## Registry lists").expect("a registry section")..];
        for (_, header, aliases) in REGISTRY_COLUMNS {
            let line = doc
                .lines()
                .find(|l| l.starts_with(&format!("| {header} |")))
                .unwrap_or_else(|| panic!("docs/IMPORT.md lacks a row for {header:?}"));
            for alias in &aliases[1..] {
                assert!(
                    line.contains(alias),
                    "{header}: alias {alias:?} not documented"
                );
            }
        }
    }

    #[test]
    fn section_rows_name_a_group() {
        let g = |s| section_group(s).map(|(_, n)| n);
        assert_eq!(g("TỔ DÂN PHỐ SỐ 3").as_deref(), Some("Tổ dân phố 3"));
        assert_eq!(g("II. Tổ 4").as_deref(), Some("Tổ dân phố 4"));
        assert_eq!(g("3 TDP 5").as_deref(), Some("Tổ dân phố 5"));
        assert_eq!(g("Thôn Đông").as_deref(), Some("Thôn Đông"));
        assert_eq!(g("12 Nguyễn Văn An"), None);
        assert_eq!(g("Tô Thị Hoa"), None);
        assert_eq!(g("Người lập biểu"), None);
    }

    #[test]
    fn titles_name_a_group() {
        let g = |s| title_group(s).map(|(_, n)| n);
        assert_eq!(
            g("DANH SÁCH NHÂN KHẨU TỔ DÂN PHỐ SỐ 05").as_deref(),
            Some("Tổ dân phố 5")
        );
        assert_eq!(g("Tổ 7").as_deref(), Some("Tổ dân phố 7"));
        assert_eq!(g("DANH SÁCH NHÂN KHẨU"), None);
        assert_eq!(g("Ngày 15 tháng 11 năm 2026"), None);
    }
}
