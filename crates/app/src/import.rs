//! Household lists from the ward office's spreadsheets (CSV or XLSX) parsed into domain values,
//! with per-row errors the office can fix in the file and import again.
//!
//! Nothing here writes to the store: the command table calls a parser, shows the errors and
//! hands the valid households to the store. Ids are derived from the list's own content, so
//! importing the same list twice yields the same ids and the store has nothing to change.
//! The column layout is documented for users in `docs/IMPORT.md`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx};
use gocua_domain::text::{fold, normalize_display};
use gocua_domain::{
    Activation, CccdStatus, Funnel, Gender, Group, GroupId, GroupKind, Household, HouseholdId,
    HouseholdKind, Lang, Resident, ResidentId, Street, StreetId, StreetKind, parse_cccd_number,
    parse_phone,
};
use serde::Serialize;

mod registry;
pub use registry::{SplitAddress, split_address};

/// One column of the household list as users write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Stable English key, for programs and templates.
    pub key: &'static str,
    /// Header as the template writes it (Vietnamese).
    pub header: &'static str,
    /// Accepted header spellings after folding (no diacritics, lowercase, single spaces),
    /// including English ones. The first is the folded `header`.
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub meaning_vi: &'static str,
    pub meaning_en: &'static str,
}

impl ColumnSpec {
    pub fn meaning(&self, lang: Lang) -> &'static str {
        lang.pick(self.meaning_vi, self.meaning_en)
    }
}

/// Positions in [`COLUMNS`]; the unit tests keep the two in step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Group,
    Street,
    HouseNo,
    Address,
    Head,
    FullName,
    BirthYear,
    Gender,
    CccdNumber,
    Phone,
    Kind,
    Cccd,
    Level2,
    Activation,
    Guided,
    /// Only in the registry's layout ("Quan hệ với chủ hộ"); not in [`COLUMNS`].
    Relation,
}

const COLUMN_COUNT: usize = 15;
/// Slots in a [`ColumnMap`]: the template's columns and the registry's relationship column.
const MAP_LEN: usize = COLUMN_COUNT + 1;

/// The documented layout: one row per resident; rows of one household share group, street,
/// house number and head.
pub const COLUMNS: &[ColumnSpec] = &COLUMN_TABLE;

const COLUMN_TABLE: [ColumnSpec; COLUMN_COUNT] = [
    ColumnSpec {
        key: "group",
        header: "Tổ dân phố",
        aliases: &[
            "to dan pho",
            "tdp",
            "to",
            "khu pho",
            "thon",
            "ap",
            "thon/ap",
            "to/thon",
            "to dan pho/thon/ap",
            "to dan pho/thon",
            "group",
            "residential group",
            "village",
            "hamlet",
        ],
        required: true,
        meaning_vi: "Tổ dân phố, thôn hoặc ấp: \"Tổ dân phố 5\", \"Thôn Đông\", \"Ấp 3\"; chỉ ghi số là tổ dân phố",
        meaning_en: "Residential group; the word in the value decides the kind (tổ dân phố, thôn, ấp); a bare number is tổ dân phố N",
    },
    ColumnSpec {
        key: "street",
        header: "Đường/Ngõ",
        aliases: &[
            "duong/ngo",
            "duong",
            "ngo",
            "ngach",
            "hem",
            "pho",
            "duong pho",
            "ten duong",
            "duong/pho",
            "ngo/ngach",
            "duong/ngo/hem",
            "duong/hem",
            "street",
            "street/alley",
            "alley",
            "road",
        ],
        required: true,
        meaning_vi: "Tên đường, phố, ngõ, ngách hoặc hẻm: \"Ngõ 12 Trúc Bạch\"",
        meaning_en: "Street or alley name as on the sign; its first word decides the kind",
    },
    ColumnSpec {
        key: "house_no",
        header: "Số nhà",
        aliases: &[
            "so nha",
            "so nha/so hieu",
            "house no",
            "house number",
            "house",
        ],
        required: true,
        meaning_vi: "Số nhà trên đường hoặc ngõ: \"12\", \"5/3\"",
        meaning_en: "House number within the street",
    },
    ColumnSpec {
        key: "address",
        header: "Địa chỉ",
        aliases: &["dia chi", "dia chi day du", "address", "full address"],
        required: false,
        meaning_vi: "Địa chỉ đầy đủ để hiển thị; bỏ trống thì ghép từ số nhà, đường và tổ",
        meaning_en: "Full address for display; built from house number, street and group when absent",
    },
    ColumnSpec {
        key: "head",
        header: "Chủ hộ",
        aliases: &[
            "chu ho",
            "ho ten chu ho",
            "ten chu ho",
            "head",
            "head of household",
            "household head",
        ],
        required: true,
        meaning_vi: "Họ tên chủ hộ (hoặc tên cơ quan, trường, doanh nghiệp)",
        meaning_en: "Head of household, or the name of the site",
    },
    ColumnSpec {
        key: "full_name",
        header: "Họ và tên",
        aliases: &[
            "ho va ten",
            "ho ten",
            "ho va ten nhan khau",
            "ten nhan khau",
            "name",
            "full name",
            "resident",
        ],
        required: true,
        meaning_vi: "Họ và tên nhân khẩu",
        meaning_en: "Resident's full name",
    },
    ColumnSpec {
        key: "birth_year",
        header: "Năm sinh",
        aliases: &[
            "nam sinh",
            "ngay sinh",
            "ngay thang nam sinh",
            "ngay/thang/nam sinh",
            "birth year",
            "year of birth",
            "date of birth",
            "birth date",
            "dob",
        ],
        required: false,
        meaning_vi: "Năm sinh (4 chữ số) hoặc ngày sinh dd/mm/yyyy",
        meaning_en: "Year of birth (4 digits) or a date dd/mm/yyyy; Excel dates are accepted",
    },
    ColumnSpec {
        key: "gender",
        header: "Giới tính",
        aliases: &["gioi tinh", "gioi", "gender", "sex"],
        required: false,
        meaning_vi: "Nam hoặc Nữ",
        meaning_en: "Nam (male) or Nữ (female)",
    },
    ColumnSpec {
        key: "cccd_number",
        header: "Số CCCD",
        aliases: &[
            "so cccd",
            "so cccd/cmnd",
            "so dinh danh",
            "so dinh danh ca nhan",
            "ma dinh danh",
            "cccd number",
            "id number",
            "citizen id",
        ],
        required: false,
        meaning_vi: "Số căn cước công dân, đúng 12 chữ số",
        meaning_en: "Citizen ID number, exactly 12 digits",
    },
    ColumnSpec {
        key: "phone",
        header: "Số điện thoại",
        aliases: &[
            "so dien thoai",
            "dien thoai",
            "sdt",
            "phone",
            "phone number",
            "mobile",
        ],
        required: false,
        meaning_vi: "Số di động, 10 chữ số bắt đầu bằng 0 (hoặc +84)",
        meaning_en: "Mobile number, 10 digits starting with 0 (or +84)",
    },
    ColumnSpec {
        key: "kind",
        header: "Loại",
        aliases: &["loai", "loai ho", "loai hinh", "type", "kind", "site type"],
        required: false,
        meaning_vi: "Hộ gia đình (mặc định), Cơ quan, Trường học, Doanh nghiệp hoặc Khu công nghiệp",
        meaning_en: "Household (default), agency, school, business or industrial zone",
    },
    ColumnSpec {
        key: "cccd",
        header: "CCCD",
        aliases: &[
            "cccd",
            "tinh trang cccd",
            "cccd gan chip",
            "cccd status",
            "chip id",
            "id card",
        ],
        required: false,
        meaning_vi: "Tình trạng CCCD gắn chip: chưa có, đã nộp hoặc đã có",
        meaning_en: "Chip ID card: chưa có (none), đã nộp (applied) or đã có (has it)",
    },
    ColumnSpec {
        key: "level2",
        header: "Hồ sơ mức 2",
        aliases: &[
            "ho so muc 2",
            "thu nhan ho so muc 2",
            "da thu ho so muc 2",
            "level 2 application",
            "level2",
            "level 2",
        ],
        required: false,
        meaning_vi: "Đã thu nhận hồ sơ định danh mức 2: có hoặc không",
        meaning_en: "Level-2 application collected: có (yes) or không (no)",
    },
    ColumnSpec {
        key: "activation",
        header: "Tài khoản",
        aliases: &[
            "tai khoan",
            "tai khoan dddt",
            "tai khoan dinh danh",
            "tai khoan vneid",
            "vneid",
            "account",
            "activation",
        ],
        required: false,
        meaning_vi: "Tài khoản định danh điện tử: chưa, mức 1 hoặc mức 2",
        meaning_en: "Electronic ID account: chưa (none), mức 1 (level 1) or mức 2 (level 2)",
    },
    ColumnSpec {
        key: "guided",
        header: "Hướng dẫn DVC",
        aliases: &[
            "huong dan dvc",
            "da huong dan dvc",
            "huong dan dich vu cong",
            "guided",
            "guided to online services",
            "online services",
        ],
        required: false,
        meaning_vi: "Đã hướng dẫn dùng dịch vụ công trực tuyến: có hoặc không",
        meaning_en: "Guided to online public services: có (yes) or không (no)",
    },
];

/// One problem in one row. The row is left out of the import; the rest of its household stays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RowError {
    /// Row number as the spreadsheet shows it (the header is usually row 1).
    pub row: usize,
    /// Header text as written in the file.
    pub column: Option<String>,
    pub code: &'static str,
    /// In the language the caller chose, starting with the row and column.
    pub message: String,
}

/// Which accepted shape a file was read as (see `docs/IMPORT.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ListShape {
    /// Our template: group, street, house number and head on every row.
    #[default]
    Template,
    /// The registry's "DANH SÁCH NHÂN KHẨU": relationship column, one-string addresses.
    Registry,
}

/// Everything a list holds, ready for the store: groups and streets are deduplicated, households
/// appear in the order of their first row, residents in row order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParsedList {
    pub groups: Vec<Group>,
    pub streets: Vec<Street>,
    pub households: Vec<Household>,
    /// Non-empty data rows read, with or without errors.
    pub rows: usize,
    pub errors: Vec<RowError>,
    pub shape: ListShape,
}

/// Why a CSV file could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvProblem {
    /// Not UTF-8: usually "CSV (Comma delimited)" saved by Excel in the Windows code page.
    NotUtf8 {
        row: usize,
    },
    Malformed {
        row: Option<usize>,
        detail: String,
    },
}

/// Why a file could not be imported at all (as opposed to a bad row).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("unknown file format {0:?}: expected .csv or .xlsx")]
    UnknownFormat(String),
    #[error("the workbook has no worksheet")]
    NoSheet,
    #[error("missing required columns: {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("unreadable CSV: {0:?}")]
    Csv(CsvProblem),
    #[error("unreadable XLSX: {0}")]
    Xlsx(String),
    #[error("the file has no data rows")]
    Empty,
}

impl ImportError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::Io { .. } => "import_io",
            ImportError::UnknownFormat(_) => "import_unknown_format",
            ImportError::NoSheet => "import_no_sheet",
            ImportError::MissingColumns(_) => "import_missing_columns",
            ImportError::Csv(CsvProblem::NotUtf8 { .. }) => "import_csv_not_utf8",
            ImportError::Csv(CsvProblem::Malformed { .. }) => "import_csv_malformed",
            ImportError::Xlsx(_) => "import_xlsx_unreadable",
            ImportError::Empty => "import_empty",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            ImportError::Io { path, source } => match lang {
                Lang::Vi => format!("Không đọc được tệp {}: {source}", path.display()),
                Lang::En => format!("Cannot read the file {}: {source}", path.display()),
            },
            ImportError::UnknownFormat(ext) => match lang {
                Lang::Vi => format!(
                    "Không nhận dạng được loại tệp \"{ext}\": chỉ nhập được tệp .csv hoặc .xlsx"
                ),
                Lang::En => {
                    format!(
                        "Unknown file type \"{ext}\": only .csv and .xlsx files can be imported"
                    )
                }
            },
            ImportError::NoSheet => lang
                .pick(
                    "Tệp Excel không có trang tính nào",
                    "The Excel file has no worksheet",
                )
                .to_string(),
            ImportError::MissingColumns(columns) => {
                let list = columns
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                match lang {
                    Lang::Vi => format!("Thiếu cột bắt buộc: {list}"),
                    Lang::En => format!("Missing required columns: {list}"),
                }
            }
            ImportError::Csv(CsvProblem::NotUtf8 { row }) => match lang {
                Lang::Vi => format!(
                    "Tệp CSV không dùng bảng mã UTF-8 (ký tự lạ ở dòng {row}). Trong Excel, chọn \
                     Lưu thành (Save As) → \"CSV UTF-8 (Comma delimited)\" rồi nhập lại"
                ),
                Lang::En => format!(
                    "The CSV file is not UTF-8 (first bad character on row {row}). In Excel, \
                     use Save As → \"CSV UTF-8 (Comma delimited)\" and import it again"
                ),
            },
            ImportError::Csv(CsvProblem::Malformed { row, detail }) => match (lang, row) {
                (Lang::Vi, Some(row)) => format!("Tệp CSV bị lỗi ở dòng {row}: {detail}"),
                (Lang::Vi, None) => format!("Tệp CSV bị lỗi: {detail}"),
                (Lang::En, Some(row)) => {
                    format!("The CSV file is malformed on row {row}: {detail}")
                }
                (Lang::En, None) => format!("The CSV file is malformed: {detail}"),
            },
            ImportError::Xlsx(detail) => match lang {
                Lang::Vi => format!(
                    "Không đọc được tệp Excel (tệp hỏng, có mật khẩu hoặc không phải .xlsx): {detail}"
                ),
                Lang::En => format!(
                    "Cannot read the Excel file (damaged, password-protected or not .xlsx): {detail}"
                ),
            },
            ImportError::Empty => lang
                .pick("Tệp không có dòng dữ liệu nào", "The file has no data rows")
                .to_string(),
        }
    }
}

/// Parses a `.csv` or `.xlsx` file (extension in any case). `progress(done, total)` is called
/// with non-decreasing `done`, ending at `total` data rows.
pub fn parse_path(
    path: &Path,
    lang: Lang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ParsedList, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => {
            let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            parse_csv(&bytes, lang, progress)
        }
        "xlsx" => parse_xlsx(path, lang, progress),
        _ => Err(ImportError::UnknownFormat(if ext.is_empty() {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            format!(".{ext}")
        })),
    }
}

/// Parses CSV bytes: UTF-8 with or without BOM, delimiter `,`, `;` or tab (sniffed from the
/// header line), quoted fields allowed.
pub fn parse_csv(
    bytes: &[u8],
    lang: Lang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ParsedList, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let row = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let refused = ImportError::Csv(CsvProblem::NotUtf8 { row });
        // Excel's plain "CSV (Comma delimited)" on Vietnamese Windows is Windows-1258 (tones as
        // combining marks, composed here by NFC). Every byte decodes in that code page, so it is
        // taken only when nothing in the file is UTF-8 beyond ASCII (a UTF-8 file with one bad
        // byte would otherwise import with every name garbled), it has no '?' (what Excel writes
        // for a letter another code page lacks: the letter is lost), and its header then names
        // known columns; anything else is refused as before.
        let some_utf8 = String::from_utf8_lossy(bytes)
            .chars()
            .any(|c| !c.is_ascii() && c != char::REPLACEMENT_CHARACTER);
        if some_utf8 || bytes.contains(&b'?') {
            return Err(refused);
        }
        let (text, _, _) = encoding_rs::WINDOWS_1258.decode(bytes);
        let text = nfc(&text);
        return match parse_utf8_csv(text.as_bytes(), lang, progress) {
            Ok(list) => Ok(list),
            Err(ImportError::MissingColumns(_) | ImportError::Empty) => Err(refused),
            Err(other) => Err(other),
        };
    }
    parse_utf8_csv(bytes, lang, progress)
}

/// NFC of the whole text (newlines are untouched, so row numbers stay).
fn nfc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

fn parse_utf8_csv(
    bytes: &[u8],
    lang: Lang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ParsedList, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(bytes))
        .from_reader(bytes);
    let mut rows = Vec::new();
    // Excel shows a quoted multi-line field as one row, so newlines inside earlier fields are
    // taken off the physical line number.
    let mut embedded_newlines = 0usize;
    let (mut newlines, mut counted) = (0usize, 0usize);
    for record in reader.records() {
        let record = record.map_err(|e| {
            ImportError::Csv(CsvProblem::Malformed {
                row: e.position().map(|p| p.line() as usize),
                detail: e.to_string(),
            })
        })?;
        // The reader's own line count is one short after each CRLF, which is what Excel
        // writes, so the line is counted here from the record's first byte.
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        newlines += bytes[counted..start.max(counted)]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted = counted.max(start);
        let line = newlines + 1;
        rows.push((
            line.saturating_sub(embedded_newlines).max(1),
            record
                .iter()
                .map(|f| Cell::Text(f.to_string()))
                .collect::<Vec<_>>(),
        ));
        embedded_newlines += record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>();
    }
    build(rows, lang, progress)
}

/// Parses the household sheet of an XLSX workbook: a sheet named like "Danh sách", else the
/// first one. Merged cells (often used for a household's shared columns) count on every row
/// they cover.
pub fn parse_xlsx(
    path: &Path,
    lang: Lang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ParsedList, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_xlsx_reader(BufReader::new(file), lang, progress)
}

/// [`parse_xlsx`] of a workbook already in memory (an upload, a fuzzer's input).
pub fn parse_xlsx_bytes(
    bytes: &[u8],
    lang: Lang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ParsedList, ImportError> {
    parse_xlsx_reader(std::io::Cursor::new(bytes), lang, progress)
}

fn parse_xlsx_reader<R: Read + Seek + std::panic::UnwindSafe>(
    reader: R,
    lang: Lang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ParsedList, ImportError> {
    // The workbook is untrusted input to a third-party reader: a panic on a damaged file must
    // become an error the office can read, not a crashed hub.
    let rows = std::panic::catch_unwind(move || read_sheet(reader)).unwrap_or_else(|_| {
        Err(ImportError::Xlsx(
            "the workbook's contents could not be decoded".to_string(),
        ))
    })?;
    build(rows, lang, progress)
}

/// Most columns a household sheet may span (ours has 15, the registry's about 20). A cell
/// further right is refused: the sheet is read into rows as wide as its widest, and a damaged
/// cell reference (found by fuzzing: `Jcccd1`) would otherwise make millions of cells per row.
const MAX_COLUMNS: u32 = 1024;

/// The household sheet's non-empty rows with their sheet row numbers, each as wide as the
/// sheet's used columns. Only rows holding a cell are kept, so memory follows what the file
/// holds, not the area its cell references span.
fn read_sheet<R: Read + Seek>(reader: R) -> Result<Vec<(usize, Vec<Cell>)>, ImportError> {
    let bad = |e: calamine::XlsxError| ImportError::Xlsx(e.to_string());
    let mut workbook: Xlsx<_> = Xlsx::new(reader).map_err(bad)?;
    let names = workbook.sheet_names();
    let sheet = names
        .iter()
        .find(|n| {
            let f = fold(n);
            f.starts_with("danh sach") || f.starts_with("ds ")
        })
        .or_else(|| names.first())
        .ok_or(ImportError::NoSheet)?
        .clone();
    let mut cells: Vec<((u32, u32), Cell)> = Vec::new();
    {
        let mut reader = match workbook.worksheet_cells_reader(&sheet) {
            Ok(r) => r,
            // A chart sheet has no cells.
            Err(calamine::XlsxError::NotAWorksheet(_)) => return Err(ImportError::Empty),
            Err(e) => return Err(bad(e)),
        };
        while let Some(cell) = reader.next_cell().map_err(bad)? {
            if matches!(cell.get_value(), calamine::DataRef::Empty) {
                continue;
            }
            let data = Data::from(cell.get_value().clone());
            cells.push((cell.get_position(), xlsx_cell(&data)));
        }
    }
    let left = cells
        .iter()
        .map(|((_, c), _)| *c)
        .min()
        .ok_or(ImportError::Empty)?;
    let right = cells.iter().map(|((_, c), _)| *c).max().unwrap_or(left);
    if right - left >= MAX_COLUMNS {
        return Err(ImportError::Xlsx(format!(
            "the sheet uses more than {MAX_COLUMNS} columns"
        )));
    }
    let width = (right - left + 1) as usize;
    let mut rows: std::collections::BTreeMap<u32, Vec<Cell>> = Default::default();
    for ((r, c), cell) in cells {
        rows.entry(r)
            .or_insert_with(|| vec![Cell::Text(String::new()); width])[(c - left) as usize] = cell;
    }
    let mut grid: Vec<(u32, Vec<Cell>)> = rows.into_iter().collect();
    // A file whose merge list cannot be read still has its values; it only loses the fill.
    if let Ok(merged) = workbook.merge_cells_by_sheet_name(&sheet) {
        for region in merged {
            fill_merged(&mut grid, left, region.start, region.end);
        }
    }
    Ok(grid
        .into_iter()
        .map(|(r, cells)| (r as usize + 1, cells))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Cells

/// A cell reduced to what the layout needs; CSV gives only text.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Date {
        year: i32,
        month: u8,
        day: u8,
    },
    Bool(bool),
    /// A formula error such as `#N/A`.
    Error(String),
}

impl Cell {
    fn is_blank(&self) -> bool {
        matches!(self, Cell::Text(s) if s.trim().is_empty())
    }

    /// The text a user sees in the cell.
    fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Number(n) => Cow::Owned(format_number(*n)),
            Cell::Date { year, month, day } => Cow::Owned(format!("{day:02}/{month:02}/{year}")),
            Cell::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
            Cell::Error(e) => Cow::Borrowed(e),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn xlsx_cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Text(String::new()),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (year, month, day, ..) = dt.to_ymd_hms_milli();
            Cell::Date {
                year: i32::from(year),
                month,
                day,
            }
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// Copies a merged region's top-left value into the rest of it (the rows of `grid` it
/// covers; a row without cells stays blank, as a blank row is skipped anyway).
fn fill_merged(grid: &mut [(u32, Vec<Cell>)], left: u32, start: (u32, u32), end: (u32, u32)) {
    let (Some(c0), Some(c1)) = (start.1.checked_sub(left), end.1.checked_sub(left)) else {
        return;
    };
    let Ok(at) = grid.binary_search_by_key(&start.0, |(r, _)| *r) else {
        return;
    };
    let Some(value) = grid[at].1.get(c0 as usize).cloned() else {
        return;
    };
    for (r, row) in grid.iter_mut().skip(at) {
        if *r > end.0 {
            break;
        }
        let last = (c1 as usize).min(row.len().saturating_sub(1));
        for cell in row.iter_mut().take(last + 1).skip(c0 as usize) {
            if cell.is_blank() {
                *cell = value.clone();
            }
        }
    }
}

/// Picks the delimiter that occurs most often, outside quotes, on any one of the first lines:
/// Excel in Vietnamese locales writes `;` (`,` is the decimal separator there), and a title line
/// above the header may hold no delimiter at all.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    const LINES: usize = 10;
    let mut best = [0usize; 3];
    let mut line = [0usize; 3];
    let mut lines = 0;
    let mut in_quotes = false;
    for &b in bytes {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == b'\n' && !in_quotes {
            lines += 1;
            if lines == LINES {
                break;
            }
            line = [0; 3];
        } else if let Some(i) = CANDIDATES.iter().position(|&c| c == b && !in_quotes) {
            line[i] += 1;
            best[i] = best[i].max(line[i]);
        }
    }
    let mut pick = 0;
    for i in 1..CANDIDATES.len() {
        if best[i] > best[pick] {
            pick = i;
        }
    }
    CANDIDATES[pick]
}

/// Header text reduced for matching: folded, punctuation such as `(*)` or `:` dropped,
/// single spaces, none around `/`.
fn header_key(header: &str) -> String {
    let folded = fold(header);
    let cleaned: String = folded
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '/' {
                c
            } else {
                ' '
            }
        })
        .collect();
    cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" /", "/")
        .replace("/ ", "/")
}

// ---------------------------------------------------------------------------------------------
// Rows into households

/// How many leading non-empty rows may be titles above the header.
const HEADER_SEARCH_ROWS: usize = 10;
const PROGRESS_EVERY: usize = 500;

fn build(
    rows: Vec<(usize, Vec<Cell>)>,
    lang: Lang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ParsedList, ImportError> {
    let non_empty: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, (_, cells))| !cells.iter().all(Cell::is_blank))
        .map(|(i, _)| i)
        .take(HEADER_SEARCH_ROWS)
        .collect();
    let first = *non_empty.first().ok_or(ImportError::Empty)?;
    // Ward spreadsheets often carry a title ("DANH SÁCH HỘ GIA ĐÌNH …") above the header, so the
    // header is the first row naming at least two known columns, else the first non-empty row.
    // Either layout's headers count: the registry's list names few of the template's columns.
    let header_at = non_empty
        .iter()
        .copied()
        .find(|&i| {
            let cells = &rows[i].1;
            map_header(cells).iter().flatten().count() >= 2
                || registry::map_header(cells).iter().flatten().count() >= 2
        })
        .unwrap_or(first);
    let columns = map_header(&rows[header_at].1);
    let registry_columns = registry::map_header(&rows[header_at].1);
    if registry::is_registry(&columns, &registry_columns) {
        return registry::build(&rows, header_at, registry_columns, lang, progress);
    }
    let missing: Vec<String> = COLUMNS
        .iter()
        .zip(&columns)
        .filter(|(spec, found)| spec.required && found.is_none())
        .map(|(spec, _)| spec.header.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing));
    }
    let data = &rows[header_at + 1..];
    if data
        .iter()
        .all(|(_, cells)| cells.iter().all(Cell::is_blank))
    {
        return Err(ImportError::Empty);
    }
    let total = data.len();
    progress(0, total);
    let mut builder = Builder::new(lang, columns);
    for (done, (row, cells)) in data.iter().enumerate() {
        if !cells.iter().all(Cell::is_blank) {
            builder.row(*row, cells);
        }
        if (done + 1) % PROGRESS_EVERY == 0 || done + 1 == total {
            progress(done + 1, total);
        }
    }
    Ok(builder.finish())
}

/// Where each known column sits in the file, with its header text as written.
type ColumnMap = [Option<(usize, String)>; MAP_LEN];

fn map_header(cells: &[Cell]) -> ColumnMap {
    let mut map: ColumnMap = Default::default();
    for (index, cell) in cells.iter().enumerate() {
        let raw = cell.text();
        let key = header_key(&raw);
        if key.is_empty() {
            continue;
        }
        if let Some(col) = COLUMNS
            .iter()
            .position(|s| s.aliases.contains(&key.as_str()))
        {
            // The first column with a header wins; a repeated one is ignored like unknown ones.
            if map[col].is_none() {
                map[col] = Some((index, normalize_display(&raw)));
            }
        }
    }
    map
}

/// One row's problem before it is located and worded.
#[derive(Clone, Debug)]
enum Problem {
    Missing,
    Year {
        value: String,
        out_of_range: bool,
    },
    CccdNumber(String),
    Phone(String),
    Gender(String),
    Kind(String),
    Value {
        value: String,
        expected: &'static str,
    },
    DuplicateCccd {
        number: String,
        first_row: usize,
    },
    KindConflict {
        first: HouseholdKind,
        first_row: usize,
        this: HouseholdKind,
    },
    CellError(String),
    /// Registry layout: a relationship word outside the known ones.
    Relation(String),
    /// Registry layout: a member row before any "Chủ hộ" row.
    NoHead(String),
    /// Registry layout: a member of a household whose head row has errors.
    HeadRowInvalid {
        head_row: usize,
    },
    /// Registry layout: no street or alley found in the address.
    Address(String),
    /// Registry layout: neither the group column, the address nor the title names the group.
    NoGroup,
}

impl Problem {
    fn code(&self) -> &'static str {
        match self {
            Problem::Missing => "missing_value",
            Problem::Year { .. } => "invalid_year",
            Problem::CccdNumber(_) => "invalid_cccd",
            Problem::Phone(_) => "invalid_phone",
            Problem::Gender(_) => "unknown_gender",
            Problem::Kind(_) => "unknown_kind",
            Problem::Value { .. } => "unknown_value",
            Problem::DuplicateCccd { .. } => "duplicate_cccd",
            Problem::KindConflict { .. } => "kind_conflict",
            Problem::CellError(_) => "cell_error",
            Problem::Relation(_) => "unknown_relation",
            Problem::NoHead(_) => "no_head",
            Problem::HeadRowInvalid { .. } => "head_row_invalid",
            Problem::Address(_) => "invalid_address",
            Problem::NoGroup => "missing_group",
        }
    }

    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Problem::Missing, _) => lang
                .pick("thiếu giá trị bắt buộc", "a required value is missing")
                .to_string(),
            (
                Problem::Year {
                    value,
                    out_of_range: false,
                },
                Lang::Vi,
            ) => {
                format!("\"{value}\" không phải năm hợp lệ")
            }
            (
                Problem::Year {
                    value,
                    out_of_range: false,
                },
                Lang::En,
            ) => {
                format!("\"{value}\" is not a valid year")
            }
            (
                Problem::Year {
                    value,
                    out_of_range: true,
                },
                Lang::Vi,
            ) => {
                format!("\"{value}\" không phải năm hợp lệ: năm sinh phải từ 1900 đến năm nay")
            }
            (
                Problem::Year {
                    value,
                    out_of_range: true,
                },
                Lang::En,
            ) => format!(
                "\"{value}\" is not a valid year: a birth year must be between 1900 and this year"
            ),
            (Problem::CccdNumber(value), Lang::Vi) => format!(
                "\"{value}\" không phải số CCCD hợp lệ (cần đúng 12 chữ số){}",
                number_hint(value, lang)
            ),
            (Problem::CccdNumber(value), Lang::En) => format!(
                "\"{value}\" is not a valid CCCD number (exactly 12 digits expected){}",
                number_hint(value, lang)
            ),
            (Problem::Phone(value), Lang::Vi) => {
                format!("\"{value}\" không phải số điện thoại hợp lệ (10 chữ số, bắt đầu bằng 0)")
            }
            (Problem::Phone(value), Lang::En) => {
                format!("\"{value}\" is not a valid phone number (10 digits starting with 0)")
            }
            (Problem::Gender(value), Lang::Vi) => {
                format!("\"{value}\" không phải giới tính hợp lệ (Nam hoặc Nữ)")
            }
            (Problem::Gender(value), Lang::En) => {
                format!("\"{value}\" is not a known gender (Nam or Nữ)")
            }
            (Problem::Kind(value), Lang::Vi) => {
                format!("\"{value}\" không phải loại hợp lệ ({})", KIND_WORDS)
            }
            (Problem::Kind(value), Lang::En) => {
                format!("\"{value}\" is not a known type ({})", KIND_WORDS)
            }
            (Problem::Value { value, expected }, Lang::Vi) => {
                format!("\"{value}\" không phải giá trị hợp lệ ({expected})")
            }
            (Problem::Value { value, expected }, Lang::En) => {
                format!("\"{value}\" is not a known value ({expected})")
            }
            (Problem::DuplicateCccd { number, first_row }, Lang::Vi) => {
                format!("số CCCD {number} đã có ở dòng {first_row}")
            }
            (Problem::DuplicateCccd { number, first_row }, Lang::En) => {
                format!("CCCD number {number} already appears on row {first_row}")
            }
            (
                Problem::KindConflict {
                    first,
                    first_row,
                    this,
                },
                _,
            ) => match lang {
                Lang::Vi => format!(
                    "hộ này là \"{}\" ở dòng {first_row} nhưng ở đây là \"{}\"",
                    first.label(lang),
                    this.label(lang)
                ),
                Lang::En => format!(
                    "this household is \"{}\" on row {first_row} but \"{}\" here",
                    first.label(lang),
                    this.label(lang)
                ),
            },
            (Problem::CellError(value), Lang::Vi) => format!("ô bị lỗi công thức {value}"),
            (Problem::CellError(value), Lang::En) => {
                format!("the cell holds the formula error {value}")
            }
            (Problem::Relation(value), Lang::Vi) => format!(
                "\"{value}\" không phải quan hệ với chủ hộ đã biết (Chủ hộ, Vợ, Chồng, Con, Bố, Mẹ, Cháu, …)"
            ),
            (Problem::Relation(value), Lang::En) => format!(
                "\"{value}\" is not a known relationship to the head (Chủ hộ, Vợ, Chồng, Con, Bố, Mẹ, Cháu, …)"
            ),
            (Problem::NoHead(value), Lang::Vi) => format!(
                "dòng \"{value}\" đứng trước mọi dòng \"Chủ hộ\": không biết thuộc hộ nào"
            ),
            (Problem::NoHead(value), Lang::En) => format!(
                "this \"{value}\" row comes before any \"Chủ hộ\" row: its household is unknown"
            ),
            (Problem::HeadRowInvalid { head_row }, Lang::Vi) => format!(
                "dòng chủ hộ của hộ này (dòng {head_row}) bị lỗi nên dòng này không được nhập; sửa dòng {head_row} rồi nhập lại"
            ),
            (Problem::HeadRowInvalid { head_row }, Lang::En) => format!(
                "the head of this household (row {head_row}) has errors, so this row is not imported; fix row {head_row} and import again"
            ),
            (Problem::Address(value), Lang::Vi) => format!(
                "không tách được số nhà và đường/ngõ từ địa chỉ \"{value}\" (ví dụ đúng: \"Số 20 ngõ 190 Hoàng Quốc Việt\")"
            ),
            (Problem::Address(value), Lang::En) => format!(
                "cannot find the house number and street or alley in the address \"{value}\" (e.g. \"Số 20 ngõ 190 Hoàng Quốc Việt\")"
            ),
            (Problem::NoGroup, _) => lang
                .pick(
                    "không biết tổ dân phố: cột tổ trống và địa chỉ không ghi tổ",
                    "the residential group is unknown: the group column is empty and the address names none",
                )
                .to_string(),
        }
    }
}

/// Why a CCCD number that looks numeric is still refused: Excel's scientific notation or an
/// old 9-digit CMND number (which cannot be told from a CCCD number that lost three zeros).
fn number_hint(value: &str, lang: Lang) -> &'static str {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains("E+") || compact.contains("e+") {
        lang.pick(
            "; Excel đã đổi số thành dạng 1,23E+11 và làm mất chữ số: định dạng cột là Text (Văn bản) rồi nhập lại số",
            "; Excel turned the number into the 1.23E+11 form and lost digits: format the column as Text and enter the numbers again",
        )
    } else if compact.len() == 9 && compact.bytes().all(|b| b.is_ascii_digit()) {
        lang.pick(
            "; 9 chữ số là số CMND cũ, hãy ghi số CCCD 12 chữ số",
            "; 9 digits is an old CMND number, write the 12-digit CCCD number",
        )
    } else {
        ""
    }
}

const KIND_WORDS: &str = "Hộ gia đình, Cơ quan, Trường học, Doanh nghiệp, Khu công nghiệp";

/// A household being assembled, with what later rows must agree with.
struct HouseholdSlot {
    index: usize,
    kind: Option<(HouseholdKind, usize)>,
}

struct Builder {
    lang: Lang,
    columns: ColumnMap,
    this_year: i32,
    list: ParsedList,
    groups: HashSet<GroupId>,
    streets: HashSet<StreetId>,
    households: HashMap<HouseholdId, HouseholdSlot>,
    /// Residents without a CCCD number seen per (household, folded name, year): the ordinal
    /// keeps namesakes apart while staying the same on every import of the same list.
    namesakes: HashMap<(HouseholdId, String, Option<i32>), u32>,
    cccd_rows: HashMap<String, usize>,
}

/// A row's values once every cell has been checked.
struct RowValues {
    group: (GroupKind, String),
    street: (StreetKind, String),
    house_no: String,
    address: String,
    head: String,
    kind: Option<HouseholdKind>,
    resident: Resident,
}

impl Builder {
    fn new(lang: Lang, columns: ColumnMap) -> Builder {
        Builder {
            lang,
            columns,
            this_year: current_year(),
            list: ParsedList::default(),
            groups: HashSet::new(),
            streets: HashSet::new(),
            households: HashMap::new(),
            namesakes: HashMap::new(),
            cccd_rows: HashMap::new(),
        }
    }

    fn row(&mut self, row: usize, cells: &[Cell]) {
        self.list.rows += 1;
        let mut problems: Vec<(Col, Problem)> = Vec::new();
        let values = self.read_row(cells, &mut problems);
        if let Some(values) = values.filter(|_| problems.is_empty()) {
            self.add(row, values, &mut problems);
        }
        self.report(row, problems);
    }

    /// Words a row's problems as [`RowError`]s.
    fn report(&mut self, row: usize, mut problems: Vec<(Col, Problem)>) {
        // Errors follow the file's column order, which is how the user reads the row.
        problems.sort_by_key(|(col, _)| self.columns[*col as usize].as_ref().map(|(i, _)| *i));
        for (col, problem) in problems {
            let column = self.columns[col as usize].as_ref().map(|(_, h)| h.clone());
            let text = problem.describe(self.lang);
            let message = match (&column, self.lang) {
                (Some(c), Lang::Vi) => format!("Dòng {row}, cột {c}: {text}"),
                (Some(c), Lang::En) => format!("Row {row}, column {c}: {text}"),
                (None, Lang::Vi) => format!("Dòng {row}: {text}"),
                (None, Lang::En) => format!("Row {row}: {text}"),
            };
            self.list.errors.push(RowError {
                row,
                column,
                code: problem.code(),
                message,
            });
        }
    }

    fn read_row(&self, cells: &[Cell], problems: &mut Vec<(Col, Problem)>) -> Option<RowValues> {
        let mut ctx = RowCtx {
            cells,
            columns: &self.columns,
            problems,
        };
        let group = ctx.required(Col::Group);
        let street = ctx.required(Col::Street);
        let house_no = ctx.required(Col::HouseNo);
        let address = ctx.text(Col::Address).unwrap_or_default();
        let head = ctx.required(Col::Head);
        let resident = read_resident(&mut ctx, self.this_year);
        let kind = ctx.text(Col::Kind).and_then(|v| {
            let k = parse_kind(&v);
            if k.is_none() {
                ctx.fail(Col::Kind, Problem::Kind(v));
            }
            k
        });
        let cccd = ctx
            .word(Col::Cccd, CCCD_WORDS, "chưa có, đã nộp, đã có")
            .unwrap_or_default();
        let level2 = ctx.word(Col::Level2, YES_NO, "có, không").unwrap_or(false);
        let activation = ctx
            .word(Col::Activation, ACTIVATION_WORDS, "chưa, mức 1, mức 2")
            .unwrap_or_default();
        let guided = ctx.word(Col::Guided, YES_NO, "có, không").unwrap_or(false);

        let group_kind = self.header_hint(Col::Group, group_hint);
        let street_kind = self.header_hint(Col::Street, street_hint);
        let mut resident = resident?;
        resident.base = Funnel {
            cccd,
            level2_collected: level2,
            activation,
            guided,
        };
        Some(RowValues {
            group: parse_group(&group?, group_kind),
            street: parse_street(&street?, street_kind),
            house_no: house_no?,
            address,
            head: head?,
            kind,
            resident,
        })
    }

    fn header_hint<K>(&self, col: Col, hint: fn(&str) -> Option<K>) -> Option<K> {
        self.columns[col as usize]
            .as_ref()
            .and_then(|(_, header)| hint(&header_key(header)))
    }

    /// Adds a fully valid row, unless it clashes with an earlier one.
    fn add(&mut self, row: usize, values: RowValues, problems: &mut Vec<(Col, Problem)>) {
        let RowValues {
            group: (group_kind, group_name),
            street: (street_kind, street_name),
            house_no,
            address,
            head,
            kind,
            mut resident,
        } = values;
        let group_key = fold(&group_name);
        let street_key = fold(&street_name);
        let group_id = GroupId::random(stable_hash("group", &[&group_key]));
        let street_id = StreetId::random(stable_hash("street", &[&group_key, &street_key]));
        let household_id = HouseholdId::random(stable_hash(
            "household",
            &[&group_key, &street_key, &fold(&house_no), &fold(&head)],
        ));

        let declared = self
            .households
            .get(&household_id)
            .and_then(|slot| slot.kind);
        match (declared, kind) {
            (Some((first, first_row)), Some(this)) if first != this => problems.push((
                Col::Kind,
                Problem::KindConflict {
                    first,
                    first_row,
                    this,
                },
            )),
            _ => {}
        }
        // Only non-empty numbers are ever recorded.
        if let Some(&first_row) = self.cccd_rows.get(&resident.cccd_number) {
            problems.push((
                Col::CccdNumber,
                Problem::DuplicateCccd {
                    number: resident.cccd_number.clone(),
                    first_row,
                },
            ));
        }
        if !problems.is_empty() {
            return;
        }

        resident.id = if resident.cccd_number.is_empty() {
            let name_key = fold(&resident.full_name);
            let ordinal = self
                .namesakes
                .entry((household_id.clone(), name_key.clone(), resident.birth_year))
                .or_insert(0);
            *ordinal += 1;
            let year = resident
                .birth_year
                .map(|y| y.to_string())
                .unwrap_or_default();
            ResidentId::random(stable_hash(
                "resident",
                &[
                    household_id.as_str(),
                    &name_key,
                    &year,
                    &ordinal.to_string(),
                ],
            ))
        } else {
            self.cccd_rows.insert(resident.cccd_number.clone(), row);
            ResidentId::random(stable_hash(
                "resident-cccd",
                &[household_id.as_str(), &resident.cccd_number],
            ))
        };

        if self.groups.insert(group_id.clone()) {
            self.list.groups.push(Group {
                id: group_id.clone(),
                name: group_name,
                kind: group_kind,
            });
        }
        if self.streets.insert(street_id.clone()) {
            self.list.streets.push(Street {
                id: street_id.clone(),
                group: group_id.clone(),
                name: street_name,
                kind: street_kind,
            });
        }
        let slot = self
            .households
            .entry(household_id.clone())
            .or_insert_with(|| {
                self.list.households.push(Household {
                    id: household_id.clone(),
                    street: street_id,
                    group: group_id,
                    kind: HouseholdKind::default(),
                    house_no,
                    address: String::new(),
                    head,
                    residents: Vec::new(),
                });
                HouseholdSlot {
                    index: self.list.households.len() - 1,
                    kind: None,
                }
            });
        let household = &mut self.list.households[slot.index];
        if let (Some(kind), None) = (kind, slot.kind) {
            slot.kind = Some((kind, row));
            household.kind = kind;
        }
        if household.address.is_empty() {
            household.address = address;
        }
        household.residents.push(resident);
    }

    /// Builds the missing addresses from the names the list first used for the street and
    /// group, so every household of a street spells it the same way.
    fn finish(mut self) -> ParsedList {
        let groups: HashMap<&GroupId, &str> = self
            .list
            .groups
            .iter()
            .map(|g| (&g.id, g.name.as_str()))
            .collect();
        let streets: HashMap<&StreetId, &str> = self
            .list
            .streets
            .iter()
            .map(|s| (&s.id, s.name.as_str()))
            .collect();
        for household in &mut self.list.households {
            if household.address.is_empty() {
                household.address = format!(
                    "{} {}, {}",
                    household.house_no,
                    streets.get(&household.street).copied().unwrap_or_default(),
                    groups.get(&household.group).copied().unwrap_or_default()
                );
            }
        }
        self.list
    }
}

/// Reads the cells of one row, collecting problems as it goes.
struct RowCtx<'a> {
    cells: &'a [Cell],
    columns: &'a ColumnMap,
    problems: &'a mut Vec<(Col, Problem)>,
}

impl<'a> RowCtx<'a> {
    fn fail(&mut self, col: Col, problem: Problem) {
        self.problems.push((col, problem));
    }

    /// The cell under `col`, or `None` when the column is absent or the cell blank; a formula
    /// error is reported once here.
    fn cell(&mut self, col: Col) -> Option<&'a Cell> {
        let (index, _) = self.columns[col as usize].as_ref()?;
        let cell = self.cells.get(*index)?;
        match cell {
            Cell::Error(e) => {
                self.fail(col, Problem::CellError(e.clone()));
                None
            }
            c if c.is_blank() => None,
            c => Some(c),
        }
    }

    fn text(&mut self, col: Col) -> Option<String> {
        self.cell(col)
            .map(|c| normalize_display(&c.text()))
            .filter(|s| !s.is_empty())
    }

    fn required(&mut self, col: Col) -> Option<String> {
        let errors_before = self.problems.len();
        let value = self.text(col);
        if value.is_none() && self.problems.len() == errors_before {
            self.fail(col, Problem::Missing);
        }
        value
    }

    fn word<T: Copy>(
        &mut self,
        col: Col,
        table: &[(&str, T)],
        expected: &'static str,
    ) -> Option<T> {
        let value = self.text(col)?;
        let key = fold(&value);
        let found = table.iter().find(|(w, _)| *w == key).map(|(_, t)| *t);
        if found.is_none() {
            self.fail(col, Problem::Value { value, expected });
        }
        found
    }
}

/// The person on a row, in either layout: `None` when the name is missing (already reported).
/// Progress columns are left at "not yet"; the template fills them in.
fn read_resident(ctx: &mut RowCtx<'_>, this_year: i32) -> Option<Resident> {
    let full_name = ctx.required(Col::FullName);
    let birth_year = ctx.cell(Col::BirthYear).and_then(|cell| {
        birth_year(cell, this_year)
            .map_err(|out_of_range| {
                ctx.fail(
                    Col::BirthYear,
                    Problem::Year {
                        value: cell.text().trim().to_string(),
                        out_of_range,
                    },
                )
            })
            .ok()
    });
    let gender = ctx.text(Col::Gender).and_then(|v| {
        let g = Gender::parse(&v);
        if g.is_none() {
            ctx.fail(Col::Gender, Problem::Gender(v));
        }
        g
    });
    let cccd_number = ctx
        .text(Col::CccdNumber)
        .and_then(
            |v| match parse_cccd_number(&restore_zeros(&v, &[10, 11], 12)) {
                Ok(n) => Some(n),
                Err(_) => {
                    ctx.fail(Col::CccdNumber, Problem::CccdNumber(v));
                    None
                }
            },
        )
        .unwrap_or_default();
    let phone = ctx
        .text(Col::Phone)
        .and_then(|v| match parse_phone(&restore_zeros(&v, &[9], 10)) {
            Ok(n) => Some(n),
            Err(_) => {
                ctx.fail(Col::Phone, Problem::Phone(v));
                None
            }
        })
        .unwrap_or_default();
    Some(Resident {
        // Filled in once the household is known.
        id: ResidentId::random(0),
        full_name: full_name?,
        birth_year,
        gender,
        cccd_number,
        phone,
        base: Funnel::default(),
    })
}

const YES_NO: &[(&str, bool)] = &[
    ("co", true),
    ("da", true),
    ("roi", true),
    ("da co", true),
    ("da thu", true),
    ("da huong dan", true),
    ("x", true),
    ("yes", true),
    ("y", true),
    ("true", true),
    ("1", true),
    ("khong", false),
    ("chua", false),
    ("no", false),
    ("n", false),
    ("false", false),
    ("0", false),
];

const CCCD_WORDS: &[(&str, CccdStatus)] = &[
    ("chua co", CccdStatus::None),
    ("chua", CccdStatus::None),
    ("chua lam", CccdStatus::None),
    ("khong", CccdStatus::None),
    ("khong co", CccdStatus::None),
    ("none", CccdStatus::None),
    ("no", CccdStatus::None),
    ("da nop", CccdStatus::Applied),
    ("da lam", CccdStatus::Applied),
    ("dang lam", CccdStatus::Applied),
    ("cho nhan", CccdStatus::Applied),
    ("da lam cho nhan", CccdStatus::Applied),
    ("applied", CccdStatus::Applied),
    ("pending", CccdStatus::Applied),
    ("da co", CccdStatus::Has),
    ("co", CccdStatus::Has),
    ("has", CccdStatus::Has),
    ("yes", CccdStatus::Has),
    ("x", CccdStatus::Has),
];

const ACTIVATION_WORDS: &[(&str, Activation)] = &[
    ("chua", Activation::None),
    ("chua co", Activation::None),
    ("chua kich hoat", Activation::None),
    ("khong", Activation::None),
    ("none", Activation::None),
    ("no", Activation::None),
    ("0", Activation::None),
    ("muc 1", Activation::Level1),
    ("kich hoat muc 1", Activation::Level1),
    ("da kich hoat muc 1", Activation::Level1),
    ("level 1", Activation::Level1),
    ("1", Activation::Level1),
    ("muc 2", Activation::Level2),
    ("kich hoat muc 2", Activation::Level2),
    ("da kich hoat muc 2", Activation::Level2),
    ("level 2", Activation::Level2),
    ("2", Activation::Level2),
];

fn parse_kind(value: &str) -> Option<HouseholdKind> {
    Some(match fold(value).as_str() {
        "ho gia dinh" | "ho" | "gia dinh" | "household" | "home" => HouseholdKind::Home,
        "co quan" | "agency" | "office" => HouseholdKind::Agency,
        "truong hoc" | "truong" | "school" => HouseholdKind::School,
        "doanh nghiep" | "cong ty" | "business" | "company" => HouseholdKind::Business,
        "khu cong nghiep" | "kcn" | "industrial zone" | "industrial park" => {
            HouseholdKind::IndustrialZone
        }
        _ => return None,
    })
}

/// Spreadsheets drop the leading zeros of numbers typed as numbers (CCCD numbers start with a
/// province code such as 001, phones with 0); a digits-only value of a length that can only
/// come from that is padded back.
fn restore_zeros(value: &str, short_lengths: &[usize], full: usize) -> String {
    let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.bytes().all(|b| b.is_ascii_digit()) && short_lengths.contains(&digits.len()) {
        format!("{digits:0>full$}")
    } else {
        value.to_string()
    }
}

fn current_year() -> i32 {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+7))
        .year()
}

/// A birth year from a year, a date or an Excel serial date. `Err(true)` means a readable year
/// outside 1900..=this year, `Err(false)` an unreadable value.
fn birth_year(cell: &Cell, this_year: i32) -> Result<i32, bool> {
    let year = match cell {
        Cell::Date { year, .. } => *year,
        Cell::Number(n) if n.fract() == 0.0 && (1000.0..10_000.0).contains(n) => *n as i32,
        // A date cell that lost its format: Excel's serial day number (10000 is in 1927).
        Cell::Number(n) if (10_000.0..2_958_466.0).contains(n) => {
            let serial =
                calamine::ExcelDateTime::new(*n, calamine::ExcelDateTimeType::DateTime, false);
            i32::from(serial.to_ymd_hms_milli().0)
        }
        Cell::Number(_) | Cell::Bool(_) | Cell::Error(_) => return Err(false),
        // A CSV written from a date column that lost its format holds the serial as text.
        Cell::Text(s) if s.trim().len() == 5 && s.trim().bytes().all(|b| b.is_ascii_digit()) => {
            return birth_year(&Cell::Number(s.trim().parse().unwrap_or(0.0)), this_year);
        }
        Cell::Text(s) => year_from_text(s.trim()).ok_or(false)?,
    };
    if (1900..=this_year).contains(&year) {
        Ok(year)
    } else {
        Err(true)
    }
}

/// "1985", "15/03/1985", "15-3-1985", "15.03.1985", "03/1985", "1985-03-15" (ISO, also with a
/// time after `T`).
fn year_from_text(s: &str) -> Option<i32> {
    let s = s.split(['T', ' ']).next().unwrap_or(s);
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let num = |p: &str| p.parse::<u32>().ok();
    let year = |p: &str| if p.len() == 4 { num(p) } else { None };
    let day_month =
        |a: u32, b: u32| (1..=31).contains(&a) && (1..=31).contains(&b) && (a <= 12 || b <= 12);
    let y = match parts.as_slice() {
        [y] => year(y)?,
        [m, y] if (1..=12).contains(&num(m)?) => year(y)?,
        [y, m, d] if y.len() == 4 => {
            if !day_month(num(m)?, num(d)?) {
                return None;
            }
            year(y)?
        }
        [d, m, y] => {
            if !day_month(num(d)?, num(m)?) {
                return None;
            }
            year(y)?
        }
        _ => return None,
    };
    i32::try_from(y).ok()
}

fn group_hint(header: &str) -> Option<GroupKind> {
    match header {
        "to dan pho" | "tdp" | "to" | "khu pho" | "residential group" => Some(GroupKind::ToDanPho),
        "thon" | "village" => Some(GroupKind::Thon),
        "ap" => Some(GroupKind::Ap),
        _ => None,
    }
}

fn street_hint(header: &str) -> Option<StreetKind> {
    match header {
        "duong" | "ten duong" => Some(StreetKind::Duong),
        "pho" | "duong pho" => Some(StreetKind::Pho),
        "ngo" => Some(StreetKind::Ngo),
        "ngach" => Some(StreetKind::Ngach),
        "hem" => Some(StreetKind::Hem),
        _ => None,
    }
}

/// Group words: folded leading words, the kind, and the label to write instead (None keeps the
/// words as typed).
const GROUP_WORDS: &[(&[&str], GroupKind, Option<&str>)] = &[
    (
        &["to", "dan", "pho"],
        GroupKind::ToDanPho,
        Some("Tổ dân phố"),
    ),
    (&["tdp"], GroupKind::ToDanPho, Some("Tổ dân phố")),
    (&["to"], GroupKind::ToDanPho, Some("Tổ dân phố")),
    (&["khu", "pho"], GroupKind::ToDanPho, None),
    (&["thon"], GroupKind::Thon, Some("Thôn")),
    (&["ban"], GroupKind::Thon, None),
    (&["lang"], GroupKind::Thon, None),
    (&["xom"], GroupKind::Thon, None),
    (&["ap"], GroupKind::Ap, Some("Ấp")),
    (&["soc"], GroupKind::Ap, None),
    (&["phum"], GroupKind::Ap, None),
];

const STREET_WORDS: &[(&[&str], StreetKind, Option<&str>)] = &[
    (&["duong"], StreetKind::Duong, Some("Đường")),
    (&["pho"], StreetKind::Pho, Some("Phố")),
    (&["ngo"], StreetKind::Ngo, Some("Ngõ")),
    (&["ngach"], StreetKind::Ngach, Some("Ngách")),
    (&["hem"], StreetKind::Hem, Some("Hẻm")),
    (&["kiet"], StreetKind::Hem, None),
];

/// Splits a leading kind word off `value` ("Tổ dân phố 5", "TDP5", "ngõ 12").
fn match_words<K: Copy>(
    value: &str,
    table: &[(&[&str], K, Option<&'static str>)],
) -> Option<(K, String)> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let folded: Vec<String> = words.iter().map(|w| fold(w)).collect();
    for (prefix, kind, label) in table {
        let n = prefix.len();
        if folded.len() > n && folded[..n].iter().zip(prefix.iter()).all(|(a, b)| a == b) {
            let rest = words[n..].join(" ");
            let name = match label {
                Some(label) => format!("{label} {rest}"),
                None => value.to_string(),
            };
            return Some((*kind, name));
        }
        // "TDP5", "TDP.5": an abbreviation glued to the number.
        let glued = match (n, folded.first()) {
            (1, Some(first)) if prefix[0].len() > 2 => glued_number(first, prefix[0]),
            _ => None,
        };
        if let Some(number) = glued {
            let word: String = words[0].chars().take(prefix[0].chars().count()).collect();
            let label = label.map_or(word, str::to_string);
            let tail = words[1..].join(" ");
            let name = format!("{label} {number} {tail}");
            return Some((*kind, name.trim_end().to_string()));
        }
    }
    None
}

/// The number in "tdp5" or "tdp.05", without leading zeros.
fn glued_number<'a>(folded_word: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = folded_word
        .strip_prefix(prefix)?
        .trim_start_matches(['.', '-']);
    (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
        .then(|| without_leading_zeros(rest))
}

/// "05" → "5", so "Tổ 05" and "Tổ dân phố 5" are one group.
fn without_leading_zeros(word: &str) -> &str {
    if word.len() > 1 && word.bytes().all(|b| b.is_ascii_digit()) {
        let trimmed = word.trim_start_matches('0');
        if trimmed.is_empty() { "0" } else { trimmed }
    } else {
        word
    }
}

fn parse_group(value: &str, hint: Option<GroupKind>) -> (GroupKind, String) {
    let value = value
        .split_whitespace()
        .map(without_leading_zeros)
        .collect::<Vec<_>>()
        .join(" ");
    let value = value.as_str();
    if let Some(found) = match_words(value, GROUP_WORDS) {
        return found;
    }
    match hint {
        Some(kind) => (kind, format!("{} {value}", kind.label())),
        None if value.bytes().all(|b| b.is_ascii_digit()) => {
            (GroupKind::ToDanPho, format!("Tổ dân phố {value}"))
        }
        None => (GroupKind::ToDanPho, value.to_string()),
    }
}

fn parse_street(value: &str, hint: Option<StreetKind>) -> (StreetKind, String) {
    if let Some(found) = match_words(value, STREET_WORDS) {
        return found;
    }
    match hint {
        Some(kind) => {
            let label = STREET_WORDS
                .iter()
                .find_map(|(_, k, l)| if *k == kind { *l } else { None })
                .unwrap_or_default();
            (kind, format!("{label} {value}"))
        }
        None => (StreetKind::Duong, value.to_string()),
    }
}

/// FNV-1a over a tag and the parts, then a SplitMix64 finaliser so similar names give unlike
/// ids. Ids of imported data depend on this: changing it makes a re-import duplicate the ward.
fn stable_hash(tag: &str, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    tag.bytes().for_each(&mut eat);
    for part in parts {
        eat(0x1f);
        part.bytes().for_each(&mut eat);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_match_their_positions() {
        let keys: Vec<&str> = COLUMNS.iter().map(|c| c.key).collect();
        let cols = [
            (Col::Group, "group"),
            (Col::Street, "street"),
            (Col::HouseNo, "house_no"),
            (Col::Address, "address"),
            (Col::Head, "head"),
            (Col::FullName, "full_name"),
            (Col::BirthYear, "birth_year"),
            (Col::Gender, "gender"),
            (Col::CccdNumber, "cccd_number"),
            (Col::Phone, "phone"),
            (Col::Kind, "kind"),
            (Col::Cccd, "cccd"),
            (Col::Level2, "level2"),
            (Col::Activation, "activation"),
            (Col::Guided, "guided"),
        ];
        assert_eq!(cols.len(), keys.len());
        for (col, key) in cols {
            assert_eq!(keys[col as usize], key);
        }
    }

    #[test]
    fn aliases_are_folded_and_unique() {
        let mut seen = HashSet::new();
        for spec in COLUMNS {
            assert_eq!(spec.aliases[0], header_key(spec.header), "{}", spec.key);
            for alias in spec.aliases {
                assert_eq!(header_key(alias), *alias, "{}", spec.key);
                assert!(seen.insert(*alias), "alias {alias:?} used twice");
            }
        }
    }

    #[test]
    fn years_from_text() {
        for (s, y) in [
            ("1985", Some(1985)),
            ("15/03/1985", Some(1985)),
            ("3/15/1985", Some(1985)),
            ("1985-03-15", Some(1985)),
            ("1985-03-15T00:00:00", Some(1985)),
            ("03/1985", Some(1985)),
            ("19x5", None),
            ("15/03/85", None),
            ("40/03/1985", None),
            ("85", None),
        ] {
            assert_eq!(year_from_text(s), y, "{s}");
        }
    }

    #[test]
    fn group_and_street_words() {
        let g = |v, h| {
            let (k, n) = parse_group(v, h);
            format!("{k:?} {n}")
        };
        assert_eq!(g("Tổ dân phố 5", None), "ToDanPho Tổ dân phố 5");
        assert_eq!(g("tổ 5", None), "ToDanPho Tổ dân phố 5");
        assert_eq!(g("TDP5", None), "ToDanPho Tổ dân phố 5");
        assert_eq!(g("TDP.05", None), "ToDanPho Tổ dân phố 5");
        assert_eq!(g("Tổ 05", None), "ToDanPho Tổ dân phố 5");
        assert_eq!(g("0", None), "ToDanPho Tổ dân phố 0");
        assert_eq!(g("5", None), "ToDanPho Tổ dân phố 5");
        assert_eq!(g("3", Some(GroupKind::Ap)), "Ap Ấp 3");
        assert_eq!(g("Thôn Đông", None), "Thon Thôn Đông");
        assert_eq!(g("Bản Mường", None), "Thon Bản Mường");
        assert_eq!(g("Xóm3", None), "Thon Xóm 3");
        assert_eq!(g("Khu A", None), "ToDanPho Khu A");
        let s = |v, h| {
            let (k, n) = parse_street(v, h);
            format!("{k:?} {n}")
        };
        assert_eq!(s("ngõ 12 Trúc Bạch", None), "Ngo Ngõ 12 Trúc Bạch");
        assert_eq!(s("Phan Đình Phùng", None), "Duong Phan Đình Phùng");
        assert_eq!(s("Hàng Bạc", Some(StreetKind::Pho)), "Pho Phố Hàng Bạc");
        assert_eq!(s("Kiệt 5 Lê Lợi", None), "Hem Kiệt 5 Lê Lợi");
    }

    #[test]
    fn formula_errors_are_row_errors() {
        let text = |s: &str| Cell::Text(s.to_string());
        let header = [
            "Tổ dân phố",
            "Đường/Ngõ",
            "Số nhà",
            "Chủ hộ",
            "Họ và tên",
            "Năm sinh",
        ];
        let rows = vec![
            (1, header.iter().map(|h| text(h)).collect()),
            (
                2,
                vec![
                    text("1"),
                    text("Ngõ 1"),
                    text("1"),
                    text("An"),
                    Cell::Error("#REF!".into()),
                    Cell::Error("#N/A".into()),
                ],
            ),
        ];
        let list = build(rows, Lang::En, &mut |_, _| {}).unwrap();
        let errors: Vec<String> = list
            .errors
            .iter()
            .map(|e| format!("{} {}", e.code, e.message))
            .collect();
        assert_eq!(
            errors,
            [
                "cell_error Row 2, column Họ và tên: the cell holds the formula error #REF!",
                "cell_error Row 2, column Năm sinh: the cell holds the formula error #N/A",
            ]
        );
        assert!(list.households.is_empty());
    }

    #[test]
    fn delimiters_are_sniffed_from_the_first_lines() {
        assert_eq!(sniff_delimiter(b"a;b;\"c,d,e,f\"\n1;2;\"3,4,5\""), b';');
        assert_eq!(sniff_delimiter(b"\n\na,b;c,d\n"), b',');
        assert_eq!(sniff_delimiter(b"TITLE, 5\na;b;c;d\n1;2;3;4"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b""), b',');
    }
}
