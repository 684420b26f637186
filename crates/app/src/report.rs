//! The steering committee's report as an XLSX workbook: one sheet per breakdown of `progress`
//! (ward, residential group, street, team, volunteer, organisation) and a daily sheet
//! (`daily_progress`), each with a title row naming the ward and the date, headers in the
//! reader's language, a frozen header row, thousands and percent formats. Pure: store in,
//! bytes out; the figures are the commands' own.

use gocua_domain::progress::ratio_percent;
use gocua_domain::{Lang, Targets};
use gocua_store::Store;
use gocua_store::queries::{DayRow, Dimension, ProgressRow};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use time::Date;

use crate::{Error, Result};

/// Rows above the header: the title and an empty line.
pub const HEADER_ROW: u32 = 2;

/// The sheet name of a breakdown.
pub fn sheet_name(by: Dimension, lang: Lang) -> &'static str {
    match by {
        Dimension::Ward => lang.pick("Phường", "Ward"),
        Dimension::Group => lang.pick("Tổ dân phố", "Residential groups"),
        Dimension::Street => lang.pick("Đường", "Streets"),
        Dimension::Team => lang.pick("Tổ công tác", "Teams"),
        Dimension::Volunteer => lang.pick("Tình nguyện viên", "Volunteers"),
        Dimension::Org => lang.pick("Tổ chức", "Organisations"),
    }
}

pub fn daily_sheet_name(lang: Lang) -> &'static str {
    lang.pick("Theo ngày", "Daily")
}

/// `bao-cao-<ward>-<YYYY-MM-DD>.xlsx`: ASCII, diacritics folded, spaces as dashes.
pub fn file_name(ward: &str, day: Date) -> String {
    let folded = gocua_domain::text::fold(ward);
    let slug: String = folded
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug = if slug.is_empty() {
        "phuong".into()
    } else {
        slug
    };
    format!(
        "bao-cao-{slug}-{}.xlsx",
        gocua_domain::time::format_date(day)
    )
}

struct Formats {
    title: Format,
    header: Format,
    count: Format,
    percent: Format,
    date: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color("#DDEBF7")
                .set_border(rust_xlsxwriter::FormatBorder::Thin),
            count: Format::new().set_num_format("#,##0"),
            percent: Format::new().set_num_format("0.00%"),
            date: Format::new().set_num_format("dd/mm/yyyy"),
        }
    }
}

fn xlsx(e: XlsxError) -> Error {
    Error::Report(e.to_string())
}

fn date_vi(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

fn title(
    ws: &mut Worksheet,
    f: &Formats,
    what: &str,
    ward: &str,
    day: Date,
    lang: Lang,
) -> Result<()> {
    let text = match lang {
        Lang::Vi => format!("{what} — {ward} — ngày {}", date_vi(day)),
        Lang::En => format!("{what} — {ward} — {}", gocua_domain::time::format_date(day)),
    };
    ws.write_string_with_format(0, 0, text, &f.title)
        .map_err(xlsx)?;
    Ok(())
}

fn headers(ws: &mut Worksheet, f: &Formats, cols: &[(&str, f64)]) -> Result<()> {
    for (i, (name, width)) in cols.iter().enumerate() {
        let c = i as u16;
        ws.write_string_with_format(HEADER_ROW, c, *name, &f.header)
            .map_err(xlsx)?;
        ws.set_column_width(c, *width).map_err(xlsx)?;
    }
    ws.set_row_height(HEADER_ROW, 32).map_err(xlsx)?;
    ws.set_freeze_panes(HEADER_ROW + 1, 0).map_err(xlsx)?;
    Ok(())
}

fn count(ws: &mut Worksheet, f: &Formats, row: u32, col: u16, n: u32) -> Result<()> {
    ws.write_number_with_format(row, col, f64::from(n), &f.count)
        .map_err(xlsx)?;
    Ok(())
}

/// `part / whole` as the commands give it (truncated to two decimals), as an Excel fraction.
fn percent(
    ws: &mut Worksheet,
    f: &Formats,
    row: u32,
    col: u16,
    part: u32,
    whole: u32,
) -> Result<()> {
    ws.write_number_with_format(row, col, ratio_percent(part, whole) / 100.0, &f.percent)
        .map_err(xlsx)?;
    Ok(())
}

/// The columns of a breakdown sheet, in order.
pub fn breakdown_headers(by: Dimension, lang: Lang) -> Vec<&'static str> {
    let mut h = vec![
        lang.pick("Tên", "Name"),
        lang.pick("Mã", "Id"),
        lang.pick("Số hộ", "Households"),
        lang.pick("Hộ đã thăm", "Households visited"),
        lang.pick("Nhân khẩu trong diện", "Eligible residents"),
        lang.pick("Có thẻ CCCD", "Holding a CCCD"),
        lang.pick("Đã thu hồ sơ mức 2", "Level-2 applications"),
        lang.pick("Đã kích hoạt", "Activated"),
        lang.pick("Đã hướng dẫn", "Guided"),
        lang.pick("Tỷ lệ kích hoạt", "Share activated"),
    ];
    match by {
        Dimension::Ward => h.extend([
            lang.pick("Chỉ tiêu CCCD", "CCCD target"),
            lang.pick("Đạt chỉ tiêu CCCD", "CCCD of target"),
            lang.pick("Chỉ tiêu mức 2", "Level-2 target"),
            lang.pick("Đạt chỉ tiêu mức 2", "Level 2 of target"),
            lang.pick("Chỉ tiêu kích hoạt", "Activation target"),
            lang.pick("Đạt chỉ tiêu kích hoạt", "Activations of target"),
        ]),
        Dimension::Volunteer | Dimension::Org => h.extend([
            lang.pick("Đã đạt (chỉ tiêu cá nhân)", "Quota done"),
            lang.pick("Chỉ tiêu cá nhân", "Quota"),
        ]),
        _ => {}
    }
    h
}

fn breakdown(
    ws: &mut Worksheet,
    f: &Formats,
    by: Dimension,
    rows: &[ProgressRow],
    lang: Lang,
) -> Result<()> {
    let names = breakdown_headers(by, lang);
    let cols: Vec<(&str, f64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                *n,
                if i == 0 {
                    34.0
                } else if i == 1 {
                    14.0
                } else {
                    13.0
                },
            )
        })
        .collect();
    headers(ws, f, &cols)?;
    for (i, r) in rows.iter().enumerate() {
        let row = HEADER_ROW + 1 + i as u32;
        let label = if r.label.is_empty() {
            lang.pick("(chưa giao cho tổ nào)", "(not given to a team yet)")
        } else {
            r.label.as_str()
        };
        ws.write_string(row, 0, label).map_err(xlsx)?;
        ws.write_string(row, 1, &r.key).map_err(xlsx)?;
        let p = &r.progress;
        for (c, n) in [
            p.households,
            p.visited_households,
            p.eligible,
            p.cccd,
            p.level2,
            p.activated,
            p.guided,
        ]
        .into_iter()
        .enumerate()
        {
            count(ws, f, row, 2 + c as u16, n)?;
        }
        percent(ws, f, row, 9, p.activated, p.eligible)?;
        if by == Dimension::Ward {
            let t = r.target.unwrap_or(Targets::default());
            for (k, (done, target)) in [
                (p.cccd, t.cccd),
                (p.level2, t.level2),
                (p.activated, t.activated),
            ]
            .into_iter()
            .enumerate()
            {
                let c = 10 + 2 * k as u16;
                count(ws, f, row, c, target)?;
                percent(ws, f, row, c + 1, done, target)?;
            }
        }
        if let (Dimension::Volunteer | Dimension::Org, Some(q)) = (by, r.quota) {
            count(ws, f, row, 10, q.done)?;
            count(ws, f, row, 11, q.quota)?;
        }
    }
    Ok(())
}

pub fn daily_headers(lang: Lang) -> Vec<&'static str> {
    vec![
        lang.pick("Ngày", "Day"),
        lang.pick("Lượt thăm", "Visits"),
        lang.pick("Hộ được thăm", "Households visited"),
        lang.pick("Hồ sơ mức 2 mới", "New level-2 applications"),
        lang.pick("Kích hoạt mới", "New activations"),
        lang.pick("Kích hoạt lũy kế", "Activated so far"),
        lang.pick("Chỉ tiêu kích hoạt", "Activation target"),
        lang.pick("Đạt chỉ tiêu", "Of target"),
    ]
}

fn daily(ws: &mut Worksheet, f: &Formats, rows: &[DayRow], target: u32, lang: Lang) -> Result<()> {
    let names = daily_headers(lang);
    let cols: Vec<(&str, f64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, if i == 0 { 12.0 } else { 14.0 }))
        .collect();
    headers(ws, f, &cols)?;
    for (i, d) in rows.iter().enumerate() {
        let row = HEADER_ROW + 1 + i as u32;
        let day =
            ExcelDateTime::from_ymd(d.day.year() as u16, u8::from(d.day.month()), d.day.day())
                .map_err(xlsx)?;
        ws.write_datetime_with_format(row, 0, &day, &f.date)
            .map_err(xlsx)?;
        for (c, n) in [
            d.visits,
            d.households_visited,
            d.new_level2,
            d.new_activations,
            d.cumulative_activated,
            target,
        ]
        .into_iter()
        .enumerate()
        {
            count(ws, f, row, 1 + c as u16, n)?;
        }
        percent(ws, f, row, 7, d.cumulative_activated, target)?;
    }
    Ok(())
}

/// The whole report for the ward as of `today`, in `lang`.
pub fn build(store: &Store, lang: Lang, today: Date) -> Result<Vec<u8>> {
    let ward = store.ward()?.map(|w| w.name).unwrap_or_default();
    let target = store.campaign()?.map(|c| c.targets.activated).unwrap_or(0);
    let f = Formats::new();
    let mut wb = Workbook::new();
    for by in Dimension::ALL {
        let rows = store.progress(by, today)?;
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(by, lang)).map_err(xlsx)?;
        let what = match lang {
            Lang::Vi => format!("Tiến độ theo {}", sheet_name(by, lang).to_lowercase()),
            Lang::En => format!("Progress by {}", by.as_str()),
        };
        title(ws, &f, &what, &ward, today, lang)?;
        breakdown(ws, &f, by, &rows, lang)?;
    }
    let rows = store.daily_progress(today)?;
    let ws = wb.add_worksheet();
    ws.set_name(daily_sheet_name(lang)).map_err(xlsx)?;
    title(
        ws,
        &f,
        lang.pick("Tiến độ theo ngày", "Daily progress"),
        &ward,
        today,
        lang,
    )?;
    daily(ws, &f, &rows, target, lang)?;
    wb.save_to_buffer().map_err(xlsx)
}
