//! Errors of the store, with stable codes and messages in Vietnamese and English.

use gocua_domain::Lang;

use crate::key::KeyFileProblem;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("automerge error: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("document {0} is corrupt: {1}")]
    CorruptDoc(String, String),
    #[error("no such household: {0}")]
    NoSuchHousehold(String),
    #[error("no such resident {resident} in household {household}")]
    NoSuchResident { household: String, resident: String },
    #[error("the ward plan does not exist yet: create the ward first")]
    NoPlan,
    #[error("the ward already exists")]
    PlanExists,
    #[error("this database was written by a newer version of Gõ Cửa (schema {0})")]
    SchemaTooNew(i64),
    #[error("{0}")]
    Domain(#[from] gocua_domain::Error),
    #[error("this device may not {what} (document {doc})")]
    Forbidden { doc: String, what: &'static str },
    #[error("injected failure at {0}")]
    Injected(&'static str),
    /// The replica is encrypted and the key given (or none) does not open it. Nothing was read
    /// or written.
    #[error("{}", if *.given {
        format!("Wrong key: this key does not open {path}. Nothing was changed.")
    } else {
        format!("Wrong key: {path} is encrypted (or is not a Gõ Cửa replica) and needs its key file (--key-file or GOCUA_KEY_FILE). Nothing was changed.")
    })]
    WrongKey { path: String, given: bool },
    #[error(
        "{0} is not encrypted, so no key opens it: leave out the key file, or encrypt the replica first (gocua encrypt)"
    )]
    NotEncrypted(String),
    #[error("{0} is already encrypted")]
    AlreadyEncrypted(String),
    #[error("{}", key_file_en(path, *.problem))]
    KeyFile {
        path: String,
        problem: KeyFileProblem,
    },
    #[error("cannot {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is open in another program (the hub?): stop it first")]
    InUse(String),
    #[error("{0} is not a Gõ Cửa hub backup (made by `gocua hub backup`). Nothing was changed.")]
    NotABackup(String),
    #[error(
        "The backup {path} is damaged ({detail}): it was not restored and nothing was changed. Use another copy."
    )]
    BackupDamaged { path: String, detail: String },
    #[error(
        "A hub already exists at {0}: restore into a new folder (--db NEW_FOLDER/ward.sqlite). Nothing was changed."
    )]
    HubExists(String),
}

impl Error {
    pub fn io(what: &'static str, path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io {
            what,
            path: path.display().to_string(),
            source,
        }
    }
}

fn key_file_en(path: &str, problem: KeyFileProblem) -> String {
    match problem {
        KeyFileProblem::Missing => format!("No key file at {path}"),
        KeyFileProblem::Unreadable => format!("Cannot read the key file {path}"),
        KeyFileProblem::Empty => format!("The key file {path} is empty"),
        KeyFileProblem::TooShort => format!(
            "The passphrase in the key file {path} is too short: use at least {} characters",
            crate::key::MIN_PASSPHRASE_CHARS
        ),
        KeyFileProblem::Exists => format!("A key file already exists at {path}"),
        KeyFileProblem::Insecure(mode) => format!(
            "The key file {path} can be read by others (mode {mode:o}): run chmod 600 on it"
        ),
    }
}

fn key_file_vi(path: &str, problem: KeyFileProblem) -> String {
    match problem {
        KeyFileProblem::Missing => format!("Không tìm thấy tệp khóa {path}"),
        KeyFileProblem::Unreadable => format!("Không đọc được tệp khóa {path}"),
        KeyFileProblem::Empty => format!("Tệp khóa {path} trống"),
        KeyFileProblem::TooShort => format!(
            "Mật khẩu trong tệp khóa {path} quá ngắn: cần ít nhất {} ký tự",
            crate::key::MIN_PASSPHRASE_CHARS
        ),
        KeyFileProblem::Exists => format!("Đã có tệp khóa ở {path}"),
        KeyFileProblem::Insecure(mode) => format!(
            "Người khác đọc được tệp khóa {path} (quyền {mode:o}): hãy chạy chmod 600 cho tệp này"
        ),
    }
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::Sqlite(_) => "database",
            Error::Automerge(_) => "automerge",
            Error::CorruptDoc(..) => "corrupt_document",
            Error::NoSuchHousehold(_) => "no_such_household",
            Error::NoSuchResident { .. } => "no_such_resident",
            Error::NoPlan => "no_plan",
            Error::PlanExists => "plan_exists",
            Error::SchemaTooNew(_) => "schema_too_new",
            Error::Domain(e) => e.code(),
            Error::Forbidden { .. } => "forbidden_edit",
            Error::Injected(_) => "injected",
            Error::WrongKey { .. } => "wrong_key",
            Error::NotEncrypted(_) => "not_encrypted",
            Error::AlreadyEncrypted(_) => "already_encrypted",
            Error::KeyFile { problem, .. } => match problem {
                KeyFileProblem::Missing => "key_file_missing",
                KeyFileProblem::Exists => "key_file_exists",
                KeyFileProblem::Insecure(_) => "key_file_insecure",
                KeyFileProblem::Unreadable | KeyFileProblem::Empty | KeyFileProblem::TooShort => {
                    "key_file_invalid"
                }
            },
            Error::Io { .. } => "io",
            Error::InUse(_) => "in_use",
            Error::NotABackup(_) => "not_a_backup",
            Error::BackupDamaged { .. } => "backup_damaged",
            Error::HubExists(_) => "hub_exists",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Error::Sqlite(e) => format!("Lỗi cơ sở dữ liệu: {e}"),
            Error::Automerge(e) => format!("Lỗi dữ liệu đồng bộ: {e}"),
            Error::CorruptDoc(id, why) => format!("Tài liệu {id} bị hỏng: {why}"),
            Error::NoSuchHousehold(id) => format!("Không tìm thấy hộ {id}"),
            Error::NoSuchResident {
                household,
                resident,
            } => {
                format!("Không có nhân khẩu {resident} trong hộ {household}")
            }
            Error::NoPlan => "Chưa có dữ liệu phường: hãy tạo phường trước".to_string(),
            Error::PlanExists => "Phường đã được tạo".to_string(),
            Error::SchemaTooNew(v) => {
                format!(
                    "Tệp dữ liệu do phiên bản Gõ Cửa mới hơn tạo ra (lược đồ {v}); hãy cập nhật ứng dụng"
                )
            }
            Error::Domain(e) => e.message(lang),
            Error::Forbidden { doc, what } => {
                let (action, only_leads) = match *what {
                    "correct residents" => ("điều chỉnh trạng thái nhân khẩu", true),
                    "change the imported baseline" => ("sửa dữ liệu gốc đã nhập", true),
                    "flag hard cases" => ("đánh dấu hoặc bỏ đánh dấu hộ khó", true),
                    "record a visit from a device the hub does not know" => (
                        "ghi lượt thăm từ một thiết bị máy chủ phường không biết",
                        false,
                    ),
                    "record a visit in another device's name" => {
                        ("ghi lượt thăm dưới tên thiết bị khác", false)
                    }
                    "credit a visit to another volunteer" => {
                        ("ghi lượt thăm cho tình nguyện viên khác", false)
                    }
                    "credit a visit to another team" => ("ghi lượt thăm cho tổ khác", false),
                    "record for another volunteer without saying who entered it" => {
                        ("ghi hộ người khác mà không ghi rõ người nhập", false)
                    }
                    _ => ("sửa hoặc xoá lượt thăm đã ghi", false),
                };
                let tail = if only_leads {
                    ": chỉ tổ trưởng hoặc văn phòng phường"
                } else {
                    ""
                };
                format!("Thiết bị này không được phép {action} (hộ {doc}){tail}")
            }
            Error::Injected(at) => format!("Lỗi giả lập tại {at}"),
            Error::WrongKey { path, given: true } => format!(
                "Sai khóa mở dữ liệu: khóa này không mở được tệp {path}. Không có gì bị thay đổi."
            ),
            Error::WrongKey { path, given: false } => format!(
                "Sai khóa mở dữ liệu: tệp {path} đã được mã hóa (hoặc không phải dữ liệu Gõ Cửa) và cần tệp khóa của nó (--key-file hoặc GOCUA_KEY_FILE). Không có gì bị thay đổi."
            ),
            Error::NotEncrypted(path) => format!(
                "Tệp dữ liệu {path} chưa được mã hóa nên không mở bằng khóa: bỏ tệp khóa đi, hoặc mã hóa tệp trước (gocua encrypt)"
            ),
            Error::AlreadyEncrypted(path) => format!("Tệp dữ liệu {path} đã được mã hóa rồi"),
            Error::KeyFile { path, problem } => key_file_vi(path, *problem),
            Error::Io { what, path, source } => {
                let what = match *what {
                    "create" => "tạo",
                    "delete" => "xóa",
                    "rename" => "đổi tên",
                    "copy" => "sao chép",
                    "open" => "mở",
                    "read" => "đọc",
                    _ => "ghi",
                };
                format!("Không {what} được tệp {path}: {source}")
            }
            Error::InUse(path) => format!(
                "Tệp {path} đang được chương trình khác mở (máy chủ phường?): hãy dừng chương trình đó trước"
            ),
            Error::NotABackup(path) => format!(
                "Tệp {path} không phải bản sao lưu máy chủ phường Gõ Cửa (do `gocua hub backup` tạo). Không có gì bị thay đổi."
            ),
            Error::BackupDamaged { path, detail } => format!(
                "Bản sao lưu {path} bị hỏng ({detail}): chưa khôi phục, không có gì bị thay đổi. Hãy dùng bản sao lưu khác."
            ),
            Error::HubExists(path) => format!(
                "Đã có máy chủ phường ở {path}: hãy khôi phục vào một thư mục mới (--db THU_MUC_MOI/ward.sqlite). Không có gì bị thay đổi."
            ),
        }
    }
}
