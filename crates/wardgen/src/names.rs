//! Vietnamese personal names at realistic frequencies: family names by their share of the
//! population, middle names by gender and generation, given names with their diacritics.

use gocua_domain::Gender;
use rand::Rng;

/// Family names with their share of the population in units of 0.01 % (the table sums to
/// 10,000). The big five are public census figures; the tail is spread over common names so
/// rosters do not look like five families.
pub(crate) const FAMILY_NAMES: &[(&str, u32)] = &[
    ("Nguyễn", 3800),
    ("Trần", 1100),
    ("Lê", 950),
    ("Phạm", 700),
    ("Hoàng", 330),
    ("Huỳnh", 170),
    ("Phan", 450),
    ("Vũ", 240),
    ("Võ", 150),
    ("Đặng", 210),
    ("Bùi", 200),
    ("Đỗ", 140),
    ("Hồ", 130),
    ("Ngô", 130),
    ("Dương", 100),
    ("Lý", 50),
    ("Trương", 130),
    ("Đinh", 100),
    ("Đào", 90),
    ("Đoàn", 80),
    ("Trịnh", 80),
    ("Hà", 70),
    ("Lương", 60),
    ("Mai", 50),
    ("Cao", 50),
    ("Lâm", 45),
    ("Chu", 40),
    ("Tạ", 40),
    ("Lưu", 40),
    ("Tô", 35),
    ("Phùng", 35),
    ("Thái", 30),
    ("Triệu", 30),
    ("Vương", 30),
    ("Kiều", 25),
    ("Quách", 20),
    ("Lại", 20),
    ("Khúc", 15),
    ("Giáp", 15),
    ("Tăng", 10),
    ("La", 10),
];

/// Middle names: (name, weight for people born before the 1980s, weight for younger people).
/// Văn and Thị dominate the older generation and are much rarer among the young.
const MALE_MIDDLE: &[(&str, u32, u32)] = &[
    ("Văn", 50, 18),
    ("Đức", 10, 12),
    ("Minh", 6, 14),
    ("Hữu", 7, 5),
    ("Quang", 6, 8),
    ("Xuân", 5, 3),
    ("Công", 5, 4),
    ("Đình", 5, 4),
    ("Ngọc", 3, 3),
    ("Thanh", 3, 5),
    ("Mạnh", 2, 4),
    ("Tuấn", 1, 5),
    ("Hoàng", 1, 5),
    ("Gia", 0, 5),
    ("Duy", 0, 4),
    ("Bảo", 0, 4),
    ("Nhật", 0, 3),
    ("Anh", 1, 3),
    ("Trung", 2, 3),
];

const FEMALE_MIDDLE: &[(&str, u32, u32)] = &[
    ("Thị", 65, 25),
    ("Ngọc", 6, 10),
    ("Thu", 6, 8),
    ("Thanh", 5, 7),
    ("Minh", 2, 8),
    ("Phương", 3, 6),
    ("Hồng", 4, 4),
    ("Kim", 4, 3),
    ("Thùy", 2, 6),
    ("Khánh", 0, 5),
    ("Bảo", 0, 5),
    ("Mai", 2, 4),
    ("Hải", 1, 3),
    ("Quỳnh", 0, 4),
    ("Diệu", 0, 2),
];

const MALE_GIVEN: &[&str] = &[
    "Bằng", "Đức", "Dũng", "Hùng", "Tuấn", "Đạt", "Khánh", "Minh", "Nam", "Hải", "Long", "Phong",
    "Quân", "Sơn", "Thắng", "Trung", "Việt", "Cường", "Hiếu", "Huy", "Hoàng", "Kiên", "Lâm", "Lộc",
    "Phúc", "Quang", "Tài", "Thành", "Thịnh", "Tiến", "Toàn", "Vinh", "Bình", "An", "Anh", "Bảo",
    "Công", "Duy", "Giang", "Hiệp", "Hưng", "Khoa", "Lực", "Mạnh", "Nghĩa", "Phú", "Quý", "Tâm",
    "Thái", "Thanh", "Thông", "Trọng", "Tú", "Vũ", "Chiến", "Định", "Hòa", "Khải",
];

const FEMALE_GIVEN: &[&str] = &[
    "Ánh", "Hương", "Thảo", "Lan", "Trang", "Phương", "Linh", "Ngọc", "Hà", "Hằng", "Hoa", "Huyền",
    "Loan", "Mai", "Nga", "Nhung", "Oanh", "Quỳnh", "Thu", "Thủy", "Tuyết", "Uyên", "Vân", "Yến",
    "Hạnh", "Hiền", "Hồng", "Liên", "My", "Nhi", "Chi", "Dung", "Giang", "Khánh", "Anh", "Diệp",
    "Bích", "Đào", "Duyên", "Hậu", "Huệ", "Lệ", "Ly", "Nguyệt", "Nhàn", "Thơ", "Thúy", "Trâm",
    "Vy", "Xuân", "Hạ", "Lý", "Tâm", "Thắm", "Cúc", "Gấm",
];

/// Picks from a table of (item, weight) pairs.
pub(crate) fn weighted<'a, T>(rng: &mut impl Rng, table: &'a [(T, u32)]) -> &'a T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for (item, w) in table {
        if roll < *w {
            return item;
        }
        roll -= w;
    }
    &table[table.len() - 1].0
}

pub(crate) fn family_name(rng: &mut impl Rng) -> &'static str {
    weighted::<&str>(rng, FAMILY_NAMES)
}

/// A full name for a person of this gender born `age` years before the generation date.
pub(crate) fn full_name(rng: &mut impl Rng, family: &str, gender: Gender, age: i32) -> String {
    let older = age >= 45;
    let (middles, givens) = match gender {
        Gender::Female => (FEMALE_MIDDLE, FEMALE_GIVEN),
        Gender::Male | Gender::Other => (MALE_MIDDLE, MALE_GIVEN),
    };
    let middle = middle_name(rng, middles, older);
    let given = loop {
        let g = givens[rng.gen_range(0..givens.len())];
        if g != middle {
            break g;
        }
    };
    // About one young person in eight carries two middle names ("Nguyễn Thị Minh Khai").
    if !older && rng.gen_bool(0.12) {
        let second = middle_name(rng, middles, older);
        if second != middle && second != given && second != "Văn" && second != "Thị" {
            return format!("{family} {middle} {second} {given}");
        }
    }
    format!("{family} {middle} {given}")
}

fn middle_name(
    rng: &mut impl Rng,
    table: &[(&'static str, u32, u32)],
    older: bool,
) -> &'static str {
    let weight = |e: &(&str, u32, u32)| if older { e.1 } else { e.2 };
    let total: u32 = table.iter().map(weight).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for e in table {
        if roll < weight(e) {
            return e.0;
        }
        roll -= weight(e);
    }
    table[0].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_table_is_in_hundredths_of_a_percent() {
        let total: u32 = FAMILY_NAMES.iter().map(|(_, w)| w).sum();
        assert_eq!(total, 10_000);
        let mut names: Vec<&str> = FAMILY_NAMES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILY_NAMES.len(), "duplicate family name");
    }
}
