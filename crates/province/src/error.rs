//! Errors of the province's reports, with a stable code and a message in Vietnamese and English.

use gocua_domain::Lang;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not a `postgres://` URL, or an option we do not know.
    #[error("bad province database URL: {0}")]
    BadUrl(String),
    /// A password in the URL would end up in the shell's history and in `ps`.
    #[error("the province database URL holds a password")]
    PasswordInUrl,
    #[error("password file {path}: {problem}")]
    PasswordFile { path: String, problem: String },
    #[error("TLS setup: {0}")]
    Tls(String),
    /// The province's database cannot be reached (or refused the login): the report stays queued.
    #[error("cannot reach the province database: {0}")]
    Unreachable(String),
    #[error("province database error: {0}")]
    Db(String),
    #[error("the province database has schema {0}, newer than this version of Gõ Cửa knows")]
    SchemaTooNew(i32),
    #[error("the hub has no ward yet")]
    NoWard,
    #[error("a queued report is damaged: {0}")]
    BadPayload(String),
    #[error("{0}")]
    Store(#[from] gocua_store::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadUrl(_) => "bad_province_url",
            Error::PasswordInUrl => "password_in_url",
            Error::PasswordFile { .. } => "bad_password_file",
            Error::Tls(_) => "province_tls",
            Error::Unreachable(_) => "province_unreachable",
            Error::Db(_) => "province_db",
            Error::SchemaTooNew(_) => "province_schema_too_new",
            Error::NoWard => "no_ward",
            Error::BadPayload(_) => "bad_report",
            Error::Store(e) => e.code(),
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Error::BadUrl(d), Lang::Vi) => format!("Địa chỉ cơ sở dữ liệu tỉnh không hợp lệ: {d}"),
            (Error::PasswordInUrl, Lang::Vi) => "Địa chỉ cơ sở dữ liệu tỉnh chứa mật khẩu: mật khẩu sẽ lưu trong lịch sử lệnh. Hãy bỏ mật khẩu khỏi địa chỉ và đặt nó trong biến môi trường GOCUA_PROVINCE_PASSWORD hoặc một tệp quyền 0600 (--password-file). Không có gì được gửi.".into(),
            (Error::PasswordInUrl, Lang::En) => "The province database URL holds a password, which would stay in the shell's history. Leave it out of the URL and put it in GOCUA_PROVINCE_PASSWORD or a 0600 file (--password-file). Nothing was sent.".into(),
            (Error::PasswordFile { path, problem }, Lang::Vi) => format!("Tệp mật khẩu {path}: {problem}"),
            (Error::Tls(d), Lang::Vi) => format!("Lỗi thiết lập TLS: {d}"),
            (Error::Unreachable(d), Lang::Vi) => format!("Không kết nối được cơ sở dữ liệu tỉnh: {d}. Báo cáo vẫn nằm trong hàng đợi của máy chủ phường và sẽ được gửi lại."),
            (Error::Unreachable(d), Lang::En) => format!("Cannot reach the province database: {d}. The report stays queued on the ward hub and will be sent again."),
            (Error::Db(d), Lang::Vi) => format!("Lỗi cơ sở dữ liệu tỉnh: {d}"),
            (Error::SchemaTooNew(v), Lang::Vi) => format!("Cơ sở dữ liệu tỉnh có lược đồ {v}, mới hơn phiên bản Gõ Cửa này: hãy cập nhật Gõ Cửa."),
            (Error::NoWard, Lang::Vi) => "Máy chủ chưa có dữ liệu phường.".into(),
            (Error::BadPayload(d), Lang::Vi) => format!("Báo cáo trong hàng đợi bị hỏng: {d}"),
            (Error::Store(e), l) => e.message(l),
            (e, Lang::En) => e.to_string(),
        }
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.is_closed() || e.as_db_error().is_none() {
            Error::Unreachable(e.to_string())
        } else {
            Error::Db(
                e.as_db_error()
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| e.to_string()),
            )
        }
    }
}
