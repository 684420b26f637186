//! Errors of the store, with stable codes and messages in Vietnamese and English.

use gocua_domain::Lang;

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
        }
    }
}
