//! Household list import: CSV and XLSX files into domain values, row errors in both languages,
//! stable ids, and files that cannot be read at all.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use expect_test::{Expect, expect};
use gocua_app::import::{self, COLUMNS, ImportError, ParsedList};
use gocua_domain::{Funnel, Lang};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// Parses `input` as CSV in both languages and snapshots what the office would see.
fn check(input: impl AsRef<[u8]>, expect: Expect) {
    let bytes = input.as_ref();
    let vi = import::parse_csv(bytes, Lang::Vi, &mut |_, _| {});
    let en = import::parse_csv(bytes, Lang::En, &mut |_, _| {});
    expect.assert_eq(&render(vi, en));
}

/// The same for a file on disk, through the extension dispatch.
fn check_path(path: &Path, expect: Expect) {
    let vi = import::parse_path(path, Lang::Vi, &mut |_, _| {});
    let en = import::parse_path(path, Lang::En, &mut |_, _| {});
    expect.assert_eq(&render(vi, en));
}

fn render(vi: Result<ParsedList, ImportError>, en: Result<ParsedList, ImportError>) -> String {
    match (vi, en) {
        (Ok(vi), Ok(en)) => {
            assert_eq!(
                without_messages(&vi),
                without_messages(&en),
                "only the messages may depend on the language"
            );
            summary(&vi, Some(&en))
        }
        (Err(vi), Err(en)) => {
            assert_eq!(vi.code(), en.code());
            format!(
                "error {}\n  vi: {}\n  en: {}\n",
                vi.code(),
                vi.message(Lang::Vi),
                en.message(Lang::En)
            )
        }
        (vi, en) => panic!("languages disagree: {vi:?} / {en:?}"),
    }
}

fn without_messages(list: &ParsedList) -> ParsedList {
    let mut list = list.clone();
    for e in &mut list.errors {
        e.message.clear();
    }
    list
}

fn snake<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap()
        .trim_matches('"')
        .to_string()
}

fn funnel(f: &Funnel) -> String {
    let mut parts = Vec::new();
    if *f != Funnel::default() {
        parts.push(format!("cccd:{}", snake(&f.cccd)));
        if f.level2_collected {
            parts.push("level2".to_string());
        }
        parts.push(format!("account:{}", snake(&f.activation)));
        if f.guided {
            parts.push("guided".to_string());
        }
    }
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(" ")
    }
}

/// Groups, then their streets, then their households and residents, then the errors in both
/// languages (`en` is the same list parsed in English).
fn summary(list: &ParsedList, en: Option<&ParsedList>) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "rows {}, groups {}, streets {}, households {}, residents {}",
        list.rows,
        list.groups.len(),
        list.streets.len(),
        list.households.len(),
        list.households
            .iter()
            .map(|h| h.residents.len())
            .sum::<usize>()
    )
    .unwrap();
    for g in &list.groups {
        writeln!(out, "{} {} ({})", g.id, g.name, snake(&g.kind)).unwrap();
        for s in list.streets.iter().filter(|s| s.group == g.id) {
            writeln!(out, "  {} {} ({})", s.id, s.name, snake(&s.kind)).unwrap();
            for h in list.households.iter().filter(|h| h.street == s.id) {
                assert_eq!(h.group, g.id);
                writeln!(
                    out,
                    "    {} no. {} | head {} | {} | {}",
                    h.id,
                    h.house_no,
                    h.head,
                    snake(&h.kind),
                    h.address
                )
                .unwrap();
                for r in &h.residents {
                    let mut line = format!("      {} {}", r.id, r.full_name);
                    if let Some(y) = r.birth_year {
                        write!(line, ", {y}").unwrap();
                    }
                    if let Some(g) = r.gender {
                        write!(line, ", {}", snake(&g)).unwrap();
                    }
                    if !r.cccd_number.is_empty() {
                        write!(line, ", cccd {}", r.cccd_number).unwrap();
                    }
                    if !r.phone.is_empty() {
                        write!(line, ", phone {}", r.phone).unwrap();
                    }
                    writeln!(out, "{line} | {}", funnel(&r.base)).unwrap();
                }
            }
        }
    }
    for (i, e) in list.errors.iter().enumerate() {
        writeln!(
            out,
            "row {} [{}] {}\n  vi: {}",
            e.row,
            e.column.as_deref().unwrap_or("-"),
            e.code,
            e.message
        )
        .unwrap();
        if let Some(en) = en {
            writeln!(out, "  en: {}", en.errors[i].message).unwrap();
        }
    }
    out
}

const HEADER_VI: &str = "STT,Tổ dân phố,Đường/Ngõ,Số nhà,Chủ hộ,Họ và tên,Năm sinh,Giới tính,Số CCCD,Số điện thoại,Loại,CCCD,Hồ sơ mức 2,Tài khoản,Hướng dẫn DVC";

/// A small list touching every column; the XLSX fixture below holds the same data.
fn good_csv_text() -> String {
    format!(
        "{HEADER_VI}
1,5,Ngõ 12 Trúc Bạch,12,Nguyễn Văn An,Nguyễn Văn An,1960,Nam,001060012345,0912 345 678,,đã có,có,mức 2,có
2,5,Ngõ 12 Trúc Bạch,12,Nguyễn Văn An,Trần Thị Bình,15/03/1965,Nữ,001165012346,,,đã có,có,mức 1,không
3,5,Ngõ 12 Trúc Bạch,12,Nguyễn Văn An,Nguyễn Minh Châu,2010,Nam,,,,chưa có,không,chưa,không
4,5,Ngõ 12 Trúc Bạch,14,Lê Thị Dung,Lê Thị Dung,1948,Nữ,,+84 98 765 4321,,đã nộp,,,
,,,,,,,,,,,,,,
5,Thôn Đông,Đường Phan Đình Phùng,1,Trường THCS Trúc Bạch,Phạm Văn Em,1990,Nam,079090012347,,Trường học,đã có,có,mức 2,có
6,Thôn Đông,Đường Phan Đình Phùng,1,Trường THCS Trúc Bạch,Hoàng Thị Giang,1995,Nữ,,,Trường học,,,,
"
    )
}

#[test]
fn good_csv() {
    check(
        good_csv_text(),
        expect![[r#"
            rows 6, groups 2, streets 2, households 3, residents 6
            g-cs28hzfmh7zw Tổ dân phố 5 (to_dan_pho)
              s-zf04yka66q11 Ngõ 12 Trúc Bạch (ngo)
                h-gxnbzgmp31ze no. 12 | head Nguyễn Văn An | home | 12 Ngõ 12 Trúc Bạch, Tổ dân phố 5
                  r-aehsgp0yh17z Nguyễn Văn An, 1960, male, cccd 001060012345, phone 0912345678 | cccd:has level2 account:level2 guided
                  r-mm9ama5fqvsf Trần Thị Bình, 1965, female, cccd 001165012346 | cccd:has level2 account:level1
                  r-jvac4ct6ce2j Nguyễn Minh Châu, 2010, male | -
                h-vbdvnvckawfs no. 14 | head Lê Thị Dung | home | 14 Ngõ 12 Trúc Bạch, Tổ dân phố 5
                  r-wxqekb966kjw Lê Thị Dung, 1948, female, phone 0987654321 | cccd:applied account:none
            g-pdmwfn4yrnjg Thôn Đông (thon)
              s-abxb96g363c2 Đường Phan Đình Phùng (duong)
                h-zsm2jjmted37 no. 1 | head Trường THCS Trúc Bạch | school | 1 Đường Phan Đình Phùng, Thôn Đông
                  r-dfwxkh9vgn1h Phạm Văn Em, 1990, male, cccd 079090012347 | cccd:has level2 account:level2 guided
                  r-4mc18h8w8r6z Hoàng Thị Giang, 1995, female | -
        "#]],
    );
}

#[test]
fn parsing_twice_gives_the_same_ids() {
    let a = import::parse_csv(good_csv_text().as_bytes(), Lang::Vi, &mut |_, _| {}).unwrap();
    let b = import::parse_csv(good_csv_text().as_bytes(), Lang::Vi, &mut |_, _| {}).unwrap();
    assert_eq!(a, b);
}

/// Cells of a generated workbook.
enum X {
    S(&'static str),
    N(f64),
    Date(u16, u8, u8),
    Blank,
}

struct Sheet {
    name: &'static str,
    rows: Vec<Vec<X>>,
    /// (first row, col, last row), zero-based, merged with the first row's text.
    merges: Vec<(u32, u16, u32)>,
}

fn write_xlsx(dir: &Path, file: &str, sheets: Vec<Sheet>) -> PathBuf {
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for sheet in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(sheet.name).unwrap();
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    X::S(s) => {
                        ws.write_string(r, c, *s).unwrap();
                    }
                    X::N(n) => {
                        ws.write_number(r, c, *n).unwrap();
                    }
                    X::Date(y, m, d) => {
                        let dt = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                        ws.write_datetime_with_format(r, c, &dt, &date).unwrap();
                    }
                    X::Blank => {}
                }
            }
        }
        for (first, col, last) in sheet.merges {
            let X::S(text) = sheet.rows[first as usize][col as usize] else {
                panic!("merge a text cell");
            };
            ws.merge_range(first, col, last, col, text, &Format::new())
                .unwrap();
        }
    }
    let path = dir.join(file);
    workbook.save(&path).unwrap();
    path
}

/// The good list as an office would keep it in Excel: a help sheet first, a title row, numbers
/// typed as numbers (leading zeros lost), a real date, the head merged over the household.
fn good_xlsx(dir: &Path) -> PathBuf {
    use X::*;
    let header: Vec<X> = HEADER_VI.split(',').map(|h| S(leak(h))).collect();
    let rows = vec![
        vec![S("DANH SÁCH NHÂN KHẨU PHƯỜNG TRÚC BẠCH")],
        vec![],
        header,
        vec![
            N(1.0),
            N(5.0),
            S("Ngõ 12 Trúc Bạch"),
            N(12.0),
            S("Nguyễn Văn An"),
            S("Nguyễn Văn An"),
            N(1960.0),
            S("Nam"),
            N(1_060_012_345.0),
            S("0912 345 678"),
            Blank,
            S("đã có"),
            S("có"),
            S("mức 2"),
            S("có"),
        ],
        vec![
            N(2.0),
            N(5.0),
            S("Ngõ 12 Trúc Bạch"),
            N(12.0),
            Blank,
            S("Trần Thị Bình"),
            Date(1965, 3, 15),
            S("Nữ"),
            S("001165012346"),
            Blank,
            Blank,
            S("Đã có"),
            S("Có"),
            S("Mức 1"),
            S("Không"),
        ],
        vec![
            N(3.0),
            N(5.0),
            S("Ngõ 12 Trúc Bạch"),
            N(12.0),
            Blank,
            S("Nguyễn Minh Châu"),
            N(2010.0),
            S("Nam"),
            Blank,
            Blank,
            Blank,
            S("chưa có"),
            S("không"),
            S("chưa"),
            S("không"),
        ],
        vec![
            N(4.0),
            N(5.0),
            S("Ngõ 12 Trúc Bạch"),
            N(14.0),
            S("Lê Thị Dung"),
            S("Lê Thị Dung"),
            N(1948.0),
            S("Nữ"),
            Blank,
            N(84_987_654_321.0),
            Blank,
            S("đã nộp"),
        ],
        vec![],
        vec![
            N(5.0),
            S("Thôn Đông"),
            S("Đường Phan Đình Phùng"),
            N(1.0),
            S("Trường THCS Trúc Bạch"),
            S("Phạm Văn Em"),
            N(1990.0),
            S("Nam"),
            N(79_090_012_347.0),
            Blank,
            S("Trường học"),
            S("đã có"),
            S("có"),
            S("mức 2"),
            S("có"),
        ],
        vec![
            N(6.0),
            S("Thôn Đông"),
            S("Đường Phan Đình Phùng"),
            N(1.0),
            S("Trường THCS Trúc Bạch"),
            S("Hoàng Thị Giang"),
            N(1995.0),
            S("Nữ"),
            Blank,
            Blank,
            S("Trường học"),
        ],
    ];
    write_xlsx(
        dir,
        "ho-gia-dinh.xlsx",
        vec![
            Sheet {
                name: "Hướng dẫn",
                rows: vec![vec![S("Điền danh sách ở trang sau")]],
                merges: vec![],
            },
            Sheet {
                name: "Danh sách hộ",
                rows,
                merges: vec![(3, 4, 5)],
            },
        ],
    )
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

#[test]
fn xlsx_gives_the_same_households_and_ids_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = good_xlsx(dir.path());
    let from_xlsx = import::parse_path(&path, Lang::Vi, &mut |_, _| {}).unwrap();
    let from_csv = import::parse_csv(good_csv_text().as_bytes(), Lang::Vi, &mut |_, _| {}).unwrap();
    assert_eq!(from_xlsx.errors, vec![]);
    assert_eq!(from_xlsx.rows, from_csv.rows);
    assert_eq!(from_xlsx.groups, from_csv.groups);
    assert_eq!(from_xlsx.streets, from_csv.streets);
    assert_eq!(from_xlsx.households, from_csv.households);
    let again = import::parse_xlsx(&path, Lang::En, &mut |_, _| {}).unwrap();
    assert_eq!(again, from_xlsx);
}

#[test]
fn xlsx_errors_count_sheet_rows() {
    use X::*;
    let dir = tempfile::tempdir().unwrap();
    let path = write_xlsx(
        dir.path(),
        "loi.XLSX",
        vec![Sheet {
            name: "Sheet1",
            rows: vec![
                vec![],
                vec![
                    S("Tổ dân phố"),
                    S("Đường/Ngõ"),
                    S("Số nhà"),
                    S("Chủ hộ"),
                    S("Họ và tên"),
                    S("Năm sinh"),
                ],
                vec![
                    N(7.0),
                    S("Hẻm 4"),
                    S("5/3"),
                    S("Đinh Văn Lộc"),
                    S("Đinh Văn Lộc"),
                    N(1899.0),
                ],
                vec![
                    N(7.0),
                    S("Hẻm 4"),
                    S("5/3"),
                    S("Đinh Văn Lộc"),
                    S("Đinh Thị Mỹ"),
                    N(33_000.0),
                ],
            ],
            merges: vec![],
        }],
    );
    check_path(
        &path,
        expect![[r#"
            rows 2, groups 1, streets 1, households 1, residents 1
            g-khsv2vgx2sa8 Tổ dân phố 7 (to_dan_pho)
              s-m49a5ar1kgmp Hẻm 4 (hem)
                h-xx1kz6k0yhen no. 5/3 | head Đinh Văn Lộc | home | 5/3 Hẻm 4, Tổ dân phố 7
                  r-z9r9zk4vtwn2 Đinh Thị Mỹ, 1990 | -
            row 3 [Năm sinh] invalid_year
              vi: Dòng 3, cột Năm sinh: "1899" không phải năm hợp lệ: năm sinh phải từ 1900 đến năm nay
              en: Row 3, column Năm sinh: "1899" is not a valid year: a birth year must be between 1900 and this year
        "#]],
    );
}

#[test]
fn english_headers_semicolons_and_bom_give_the_same_ids() {
    // Decomposed diacritics, other capitalisation and an abbreviated group still meet the same
    // households.
    let english = "\u{FEFF}Group;Street/Alley;House number;Head of household;Full name;Year of birth;Sex;ID number;Phone;Type;CCCD status;Level 2;Account;Guided\r\n\
        TDP 5;ngõ 12 trúc bạch;12;Nguye\u{302}\u{303}n Văn An;Nguyễn Văn An;1960;male;001060012345;0912345678;;has;yes;level 2;yes\r\n\
        TDP 5;Ngõ 12 Trúc Bạch;12;Nguyễn Văn An;\"Trần Thị Bình\";1965;F;001165012346;;;has;yes;level 1;no\r\n\
        TDP 5;Ngõ 12 Trúc Bạch;12;NGUYỄN VĂN AN;Nguyễn Minh Châu;2010;M;;;;none;no;none;no\r\n\
        tdp 5;Ngõ 12 Trúc Bạch;14;Lê Thị Dung;Lê Thị Dung;1948;female;;84987654321;;applied;;;\r\n\
        thôn đông;Đường Phan Đình Phùng;1;Trường THCS Trúc Bạch;Phạm Văn Em;1990;male;079090012347;;school;has;yes;level 2;yes\r\n\
        Thôn Đông;Đường Phan Đình Phùng;1;Trường THCS Trúc Bạch;Hoàng Thị Giang;1995;female;;;school;;;;\r\n";
    let en = import::parse_csv(english.as_bytes(), Lang::En, &mut |_, _| {}).unwrap();
    let vi = import::parse_csv(good_csv_text().as_bytes(), Lang::Vi, &mut |_, _| {}).unwrap();
    assert_eq!(en.errors, vec![]);
    let ids = |l: &ParsedList| {
        let mut ids: Vec<String> = l.groups.iter().map(|g| g.id.to_string()).collect();
        ids.extend(l.streets.iter().map(|s| s.id.to_string()));
        for h in &l.households {
            ids.push(h.id.to_string());
            ids.extend(h.residents.iter().map(|r| format!("{} {:?}", r.id, r.base)));
        }
        ids
    };
    assert_eq!(ids(&en), ids(&vi));
    check(
        english,
        expect![[r#"
            rows 6, groups 2, streets 2, households 3, residents 6
            g-cs28hzfmh7zw Tổ dân phố 5 (to_dan_pho)
              s-zf04yka66q11 Ngõ 12 trúc bạch (ngo)
                h-gxnbzgmp31ze no. 12 | head Nguyễn Văn An | home | 12 Ngõ 12 trúc bạch, Tổ dân phố 5
                  r-aehsgp0yh17z Nguyễn Văn An, 1960, male, cccd 001060012345, phone 0912345678 | cccd:has level2 account:level2 guided
                  r-mm9ama5fqvsf Trần Thị Bình, 1965, female, cccd 001165012346 | cccd:has level2 account:level1
                  r-jvac4ct6ce2j Nguyễn Minh Châu, 2010, male | -
                h-vbdvnvckawfs no. 14 | head Lê Thị Dung | home | 14 Ngõ 12 trúc bạch, Tổ dân phố 5
                  r-wxqekb966kjw Lê Thị Dung, 1948, female, phone 0987654321 | cccd:applied account:none
            g-pdmwfn4yrnjg Thôn đông (thon)
              s-abxb96g363c2 Đường Phan Đình Phùng (duong)
                h-zsm2jjmted37 no. 1 | head Trường THCS Trúc Bạch | school | 1 Đường Phan Đình Phùng, Thôn đông
                  r-dfwxkh9vgn1h Phạm Văn Em, 1990, male, cccd 079090012347 | cccd:has level2 account:level2 guided
                  r-4mc18h8w8r6z Hoàng Thị Giang, 1995, female | -
        "#]],
    );
}

#[test]
fn header_words_name_the_kind_and_addresses_are_kept() {
    check(
        "Ấp,Hẻm,Số nhà,Chủ hộ,Họ và tên (*),Địa chỉ\n\
         3,12,45,Lý Văn Phúc,Lý Văn Phúc,\"45 hẻm 12, ấp 3, xã Tân Phú\"\n\
         3,12,45,Lý Văn Phúc,Lý Thị Quyên,\n\
         3,12,45,Lý Văn Phúc,Lý Thị Quyên,\n",
        expect![[r#"
            rows 3, groups 1, streets 1, households 1, residents 3
            g-mnzedqj3xxdn Ấp 3 (ap)
              s-brpbz1p8e2v9 Hẻm 12 (hem)
                h-0mw396mmgncv no. 45 | head Lý Văn Phúc | home | 45 hẻm 12, ấp 3, xã Tân Phú
                  r-pxtrxmmx5ss9 Lý Văn Phúc | -
                  r-q2w7car56gcc Lý Thị Quyên | -
                  r-rqzwtd9ypj9b Lý Thị Quyên | -
        "#]],
    );
}

#[test]
fn each_row_error_in_both_languages() {
    check(
        "Tổ dân phố,Đường/Ngõ,Số nhà,Chủ hộ,Họ và tên,Năm sinh,Giới tính,Số CCCD,Số điện thoại,Loại,CCCD,Tài khoản
5,Ngõ 3,1,Vũ Văn Hải,Vũ Văn Hải,1970,Nam,001070000001,,,,
5,Ngõ 3,1,Vũ Văn Hải,,1972,Nữ,,,,,
5,Ngõ 3,1,Vũ Văn Hải,Vũ Thị Lan,19x5,Nữ,,,,,
5,Ngõ 3,1,Vũ Văn Hải,Vũ Văn Nam,2999,Nam,,,,,
5,Ngõ 3,1,Vũ Văn Hải,Vũ Văn Cụ,1850,Nam,,,,,
5,Ngõ 3,1,Vũ Văn Hải,Vũ Thị Mai,2001,Nữ,12345,,,,
5,Ngõ 3,1,Vũ Văn Hải,Vũ Thị Hoa,2003,Nữ,,12345,,,
5,Ngõ 3,1,Vũ Văn Hải,Vũ Văn Tú,2005,Trai,,,,,
5,Ngõ 3,1,Vũ Văn Hải,Vũ Văn Tâm,2007,Nam,,,,có lẽ,mức 3
5,Ngõ 3,1,Vũ Văn Hải,Vũ Văn Bảo,2009,Nam,001 070 000 001,,,,
5,Ngõ 3,2,Công ty Hoa Sen,Đỗ Văn Khánh,1985,Nam,,,Doanh nghiệp,,
5,Ngõ 3,2,Công ty Hoa Sen,Đỗ Thị Loan,1988,Nữ,,,Cơ quan,,
5,Ngõ 3,2,Công ty Hoa Sen,Ngô Văn Minh,1990,Nam,,,Nhà thờ,,
5,,3,Phan Văn Nhân,Phan Văn Nhân,,Nam,,,,,
5,Ngõ 3,1,Vũ Văn Hải,,19x5,,,,,,
",
        expect![[r#"
            rows 15, groups 1, streets 1, households 2, residents 2
            g-cs28hzfmh7zw Tổ dân phố 5 (to_dan_pho)
              s-bxbghmrf9fqh Ngõ 3 (ngo)
                h-rmb99ddz2jsd no. 1 | head Vũ Văn Hải | home | 1 Ngõ 3, Tổ dân phố 5
                  r-zry84s8cem4v Vũ Văn Hải, 1970, male, cccd 001070000001 | -
                h-fd2dgjy0yfm7 no. 2 | head Công ty Hoa Sen | business | 2 Ngõ 3, Tổ dân phố 5
                  r-qg0ynf4vmxcb Đỗ Văn Khánh, 1985, male | -
            row 3 [Họ và tên] missing_value
              vi: Dòng 3, cột Họ và tên: thiếu giá trị bắt buộc
              en: Row 3, column Họ và tên: a required value is missing
            row 4 [Năm sinh] invalid_year
              vi: Dòng 4, cột Năm sinh: "19x5" không phải năm hợp lệ
              en: Row 4, column Năm sinh: "19x5" is not a valid year
            row 5 [Năm sinh] invalid_year
              vi: Dòng 5, cột Năm sinh: "2999" không phải năm hợp lệ: năm sinh phải từ 1900 đến năm nay
              en: Row 5, column Năm sinh: "2999" is not a valid year: a birth year must be between 1900 and this year
            row 6 [Năm sinh] invalid_year
              vi: Dòng 6, cột Năm sinh: "1850" không phải năm hợp lệ: năm sinh phải từ 1900 đến năm nay
              en: Row 6, column Năm sinh: "1850" is not a valid year: a birth year must be between 1900 and this year
            row 7 [Số CCCD] invalid_cccd
              vi: Dòng 7, cột Số CCCD: "12345" không phải số CCCD hợp lệ (cần đúng 12 chữ số)
              en: Row 7, column Số CCCD: "12345" is not a valid CCCD number (exactly 12 digits expected)
            row 8 [Số điện thoại] invalid_phone
              vi: Dòng 8, cột Số điện thoại: "12345" không phải số điện thoại hợp lệ (10 chữ số, bắt đầu bằng 0)
              en: Row 8, column Số điện thoại: "12345" is not a valid phone number (10 digits starting with 0)
            row 9 [Giới tính] unknown_gender
              vi: Dòng 9, cột Giới tính: "Trai" không phải giới tính hợp lệ (Nam hoặc Nữ)
              en: Row 9, column Giới tính: "Trai" is not a known gender (Nam or Nữ)
            row 10 [CCCD] unknown_value
              vi: Dòng 10, cột CCCD: "có lẽ" không phải giá trị hợp lệ (chưa có, đã nộp, đã có)
              en: Row 10, column CCCD: "có lẽ" is not a known value (chưa có, đã nộp, đã có)
            row 10 [Tài khoản] unknown_value
              vi: Dòng 10, cột Tài khoản: "mức 3" không phải giá trị hợp lệ (chưa, mức 1, mức 2)
              en: Row 10, column Tài khoản: "mức 3" is not a known value (chưa, mức 1, mức 2)
            row 11 [Số CCCD] duplicate_cccd
              vi: Dòng 11, cột Số CCCD: số CCCD 001070000001 đã có ở dòng 2
              en: Row 11, column Số CCCD: CCCD number 001070000001 already appears on row 2
            row 13 [Loại] kind_conflict
              vi: Dòng 13, cột Loại: hộ này là "Doanh nghiệp" ở dòng 12 nhưng ở đây là "Cơ quan"
              en: Row 13, column Loại: this household is "Business" on row 12 but "Agency" here
            row 14 [Loại] unknown_kind
              vi: Dòng 14, cột Loại: "Nhà thờ" không phải loại hợp lệ (Hộ gia đình, Cơ quan, Trường học, Doanh nghiệp, Khu công nghiệp)
              en: Row 14, column Loại: "Nhà thờ" is not a known type (Hộ gia đình, Cơ quan, Trường học, Doanh nghiệp, Khu công nghiệp)
            row 15 [Đường/Ngõ] missing_value
              vi: Dòng 15, cột Đường/Ngõ: thiếu giá trị bắt buộc
              en: Row 15, column Đường/Ngõ: a required value is missing
            row 16 [Họ và tên] missing_value
              vi: Dòng 16, cột Họ và tên: thiếu giá trị bắt buộc
              en: Row 16, column Họ và tên: a required value is missing
            row 16 [Năm sinh] invalid_year
              vi: Dòng 16, cột Năm sinh: "19x5" không phải năm hợp lệ
              en: Row 16, column Năm sinh: "19x5" is not a valid year
        "#]],
    );
}

#[test]
fn row_numbers_follow_the_spreadsheet() {
    // A title row, a blank line and a quoted multi-line address: Excel shows the error on row 6.
    check(
        "DANH SÁCH HỘ GIA ĐÌNH\n\
         Tổ dân phố,Đường/Ngõ,Số nhà,Chủ hộ,Họ và tên,Địa chỉ,Năm sinh\n\
         5,Ngõ 1,1,Lê Văn An,Lê Văn An,,1980\n\
         \n\
         5,Ngõ 1,1,Lê Văn An,Lê Văn Bình,\"Số 1, ngõ 1\n(cạnh chợ)\",1982\n\
         5,Ngõ 1,1,Lê Văn An,Lê Văn Cường,,19x5\n",
        expect![[r#"
            rows 3, groups 1, streets 1, households 1, residents 2
            g-cs28hzfmh7zw Tổ dân phố 5 (to_dan_pho)
              s-fymbwn818vjg Ngõ 1 (ngo)
                h-j2w89yt3g4ae no. 1 | head Lê Văn An | home | Số 1, ngõ 1 (cạnh chợ)
                  r-9t85rzbg6bkq Lê Văn An, 1980 | -
                  r-x40qrw4zwzc6 Lê Văn Bình, 1982 | -
            row 6 [Năm sinh] invalid_year
              vi: Dòng 6, cột Năm sinh: "19x5" không phải năm hợp lệ
              en: Row 6, column Năm sinh: "19x5" is not a valid year
        "#]],
    );
}

#[test]
fn crlf_line_endings_keep_row_numbers() {
    // Excel writes CSV with CRLF; the row numbers must be those of the LF file above.
    let lf = "DANH SÁCH HỘ GIA ĐÌNH\n\
              Tổ dân phố,Đường/Ngõ,Số nhà,Chủ hộ,Họ và tên,Địa chỉ,Năm sinh\n\
              5,Ngõ 1,1,Lê Văn An,Lê Văn An,,1980\n\
              \n\
              5,Ngõ 1,1,Lê Văn An,Lê Văn Bình,\"Số 1, ngõ 1\n(cạnh chợ)\",1982\n\
              5,Ngõ 1,1,Lê Văn An,Lê Văn Cường,,19x5\n";
    let crlf = lf.replace('\n', "\r\n");
    let list = import::parse_csv(crlf.as_bytes(), Lang::En, &mut |_, _| {}).unwrap();
    let rows: Vec<usize> = list.errors.iter().map(|e| e.row).collect();
    assert_eq!(rows, [6]);
}

#[test]
fn missing_required_columns_are_named() {
    check(
        "Tổ dân phố,Đường/Ngõ,Họ và tên,Năm sinh\n5,Ngõ 1,Lê Văn An,1980\n",
        expect![[r#"
            error import_missing_columns
              vi: Thiếu cột bắt buộc: "Số nhà", "Chủ hộ"
              en: Missing required columns: "Số nhà", "Chủ hộ"
        "#]],
    );
}

#[test]
fn files_without_data() {
    check(
        "",
        expect![[r#"
            error import_empty
              vi: Tệp không có dòng dữ liệu nào
              en: The file has no data rows
        "#]],
    );
    check(
        "\u{FEFF}Tổ dân phố;Đường/Ngõ;Số nhà;Chủ hộ;Họ và tên\n;;;;\n",
        expect![[r#"
            error import_empty
              vi: Tệp không có dòng dữ liệu nào
              en: The file has no data rows
        "#]],
    );
}

#[test]
fn non_utf8_csv_is_read_as_windows_1258_or_refused() {
    // Excel's legacy "CSV (Comma delimited)" on Vietnamese Windows writes Windows-1258: "Ngõ"
    // and "Lê" as single bytes, tones as combining marks after the letter.
    let bytes = b"Group,Street,House number,Head,Name\n5,Ng\xf5 1,1,L\xea,L\xea\n".to_vec();
    let list = import::parse_csv(&bytes, Lang::Vi, &mut |_, _| {}).unwrap();
    assert_eq!(list.errors, []);
    assert_eq!(list.streets[0].name, "Ngõ 1");
    assert_eq!(list.households[0].residents[0].full_name, "Lê");

    // A registry list with tones as combining marks: stored in NFC.
    let text = "STT,Ho\u{323} va\u{300} tên,Quan hê\u{323} vơ\u{301}i chu\u{309} hô\u{323},\
                Nơi thươ\u{300}ng tru\u{301},Tô\u{309} dân phô\u{301}\r\n\
                1,Lê Văn An,Chu\u{309} hô\u{323},Sô\u{301} 20 ngo\u{303} 190 Hoa\u{300}ng Quô\u{301}c Viê\u{323}t,5\r\n\
                2,Trâ\u{300}n Thi\u{323} Bi\u{300}nh,Vơ\u{323},,\r\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err());
    let list = import::parse_csv(&bytes, Lang::Vi, &mut |_, _| {}).unwrap();
    assert_eq!(list.errors, []);
    let h = &list.households[0];
    assert_eq!(list.streets[0].name, "Ngõ 190 Hoàng Quốc Việt");
    assert_eq!((h.house_no.as_str(), h.head.as_str()), ("20", "Lê Văn An"));
    assert_eq!(h.residents[1].full_name, "Trần Thị Bình");

    // A '?' is a letter another code page lost; headers that mean nothing once decoded are
    // another legacy encoding (VNI, TCVN3): both are refused, asking for CSV UTF-8.
    let refused = |row: usize| {
        format!(
            "error import_csv_not_utf8\n  vi: Tệp CSV không dùng bảng mã UTF-8 (ký tự lạ ở dòng {row}). Trong Excel, chọn Lưu thành (Save As) → \"CSV UTF-8 (Comma delimited)\" rồi nhập lại\n  en: The CSV file is not UTF-8 (first bad character on row {row}). In Excel, use Save As → \"CSV UTF-8 (Comma delimited)\" and import it again\n"
        )
    };
    for (bytes, row) in [
        (
            b"Group,Street,House number,Head,Name\n5,Ng? 1,1,L\xea,L?\n".to_vec(),
            2,
        ),
        (b"\xa7\xb8 d\xb8n,T\xaan\n1,2\n".to_vec(), 1),
        // UTF-8 with one damaged byte: not Windows-1258, or every name would come in garbled.
        (
            [
                "Group,Street,House number,Head,Name\n5,Ngõ 1,1,Lê,Lê\n3,Ngõ 2,1,An".as_bytes(),
                b"\xff,An\n",
            ]
            .concat(),
            3,
        ),
    ] {
        let vi = import::parse_csv(&bytes, Lang::Vi, &mut |_, _| {});
        let en = import::parse_csv(&bytes, Lang::En, &mut |_, _| {});
        assert_eq!(render(vi, en), refused(row));
    }
}

#[test]
fn damaged_xlsx_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("rac.xlsx");
    std::fs::write(&garbage, b"this is not a zip archive at all").unwrap();
    check_path(
        &garbage,
        expect![[r#"
            error import_xlsx_unreadable
              vi: Không đọc được tệp Excel (tệp hỏng, có mật khẩu hoặc không phải .xlsx): Zip error: invalid Zip archive: Could not find EOCD
              en: Cannot read the Excel file (damaged, password-protected or not .xlsx): Zip error: invalid Zip archive: Could not find EOCD
        "#]],
    );

    let good = good_xlsx(dir.path());
    let bytes = std::fs::read(&good).unwrap();
    for keep in [bytes.len() / 2, bytes.len() - 30, 100] {
        let truncated = dir.path().join(format!("cut-{keep}.xlsx"));
        std::fs::write(&truncated, &bytes[..keep]).unwrap();
        let err = import::parse_path(&truncated, Lang::Vi, &mut |_, _| {}).unwrap_err();
        assert_eq!(err.code(), "import_xlsx_unreadable", "{keep}: {err}");
    }
    // Damage anywhere inside the archive: some of it only surfaces when a part is inflated or
    // parsed, and some may even leave a readable list; none of it may panic.
    let mut unreadable = 0;
    for at in (0..bytes.len() - 32).step_by(bytes.len() / 24) {
        let mut damaged = bytes.clone();
        for b in &mut damaged[at..at + 32] {
            *b ^= 0x5a;
        }
        let path = dir.path().join(format!("damaged-{at}.xlsx"));
        std::fs::write(&path, &damaged).unwrap();
        match import::parse_path(&path, Lang::En, &mut |_, _| {}) {
            Err(err) => {
                assert!(
                    [
                        "import_xlsx_unreadable",
                        "import_missing_columns",
                        "import_empty"
                    ]
                    .contains(&err.code()),
                    "{at}: {err}"
                );
                unreadable += 1;
            }
            Ok(list) => assert!(list.rows <= 6, "{at}: {list:?}"),
        }
    }
    assert!(unreadable > 0);
}

#[test]
fn paths_dispatch_on_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let upper = dir.path().join("DANH-SACH.CSV");
    std::fs::write(&upper, good_csv_text()).unwrap();
    let list = import::parse_path(&upper, Lang::Vi, &mut |_, _| {}).unwrap();
    assert_eq!(list.households.len(), 3);

    let text = dir.path().join("danh-sach.txt");
    std::fs::write(&text, good_csv_text()).unwrap();
    check_path(
        &text,
        expect![[r#"
            error import_unknown_format
              vi: Không nhận dạng được loại tệp ".txt": chỉ nhập được tệp .csv hoặc .xlsx
              en: Unknown file type ".txt": only .csv and .xlsx files can be imported
        "#]],
    );

    let missing = dir.path().join("khong-co.xlsx");
    let err = import::parse_path(&missing, Lang::Vi, &mut |_, _| {}).unwrap_err();
    assert_eq!(err.code(), "import_io");
    assert!(
        err.message(Lang::Vi).starts_with("Không đọc được tệp"),
        "{}",
        err.message(Lang::Vi)
    );
}

#[test]
fn five_thousand_rows_report_progress_up_to_the_total() {
    let mut csv = String::from("Tổ dân phố;Đường/Ngõ;Số nhà;Chủ hộ;Họ và tên;Năm sinh;Số CCCD\n");
    for i in 0..5_000 {
        let house = i / 3;
        writeln!(
            csv,
            "{};Ngõ {};{};Chủ hộ {house};Nhân khẩu {i};{};001{:09}",
            1 + house % 20,
            1 + house % 7,
            house,
            1940 + i % 80,
            i
        )
        .unwrap();
    }
    let mut calls = Vec::new();
    let list = import::parse_csv(csv.as_bytes(), Lang::Vi, &mut |done, total| {
        calls.push((done, total))
    })
    .unwrap();
    assert_eq!(list.errors, vec![]);
    assert_eq!(list.rows, 5_000);
    assert_eq!(list.households.len(), 1_667);
    assert_eq!(list.groups.len(), 20);
    assert_eq!(
        list.households
            .iter()
            .map(|h| h.residents.len())
            .sum::<usize>(),
        5_000
    );
    assert!(calls.len() >= 3, "{calls:?}");
    assert!(calls.iter().all(|&(_, total)| total == 5_000), "{calls:?}");
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "{calls:?}");
    assert_eq!(calls.first(), Some(&(0, 5_000)));
    assert_eq!(calls.last(), Some(&(5_000, 5_000)));
}

#[test]
fn the_documented_layout_names_every_column() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/IMPORT.md"))
            .unwrap();
    for column in COLUMNS {
        assert!(
            doc.contains(&format!("| {} |", column.header)),
            "docs/IMPORT.md lacks a table row for {:?}",
            column.header
        );
    }
}

/// A cell far to the right of the list (a damaged reference, or a stray value) is refused with
/// a clear error instead of making every row that wide (found by fuzzing: such a workbook took
/// 1.7 GB and 49 s to read).
#[test]
fn a_sheet_wider_than_any_list_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_xlsx(dir.path());
    assert!(import::parse_path(&good, Lang::Vi, &mut |_, _| {}).is_ok());
    let path = dir.path().join("rong.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Danh sách").unwrap();
    for (c, h) in HEADER_VI.split(',').enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    sheet.write_string(1, 5, "Nguyễn Văn An").unwrap();
    sheet.write_string(1, 3000, "x").unwrap();
    workbook.save(&path).unwrap();
    check_path(
        &path,
        expect![[r#"
            error import_xlsx_unreadable
              vi: Không đọc được tệp Excel (tệp hỏng, có mật khẩu hoặc không phải .xlsx): the sheet uses more than 1024 columns
              en: Cannot read the Excel file (damaged, password-protected or not .xlsx): the sheet uses more than 1024 columns
        "#]],
    );
}
