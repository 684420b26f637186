//! Errors a phone can meet while pairing or syncing, in Vietnamese and English.

use gocua_domain::Lang;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("this device is not paired with a hub yet")]
    NotPaired,
    #[error("{}", .0.message(false))]
    Payload(gocua_sync::pairing::PairingError),
    #[error("the pairing code has expired")]
    CodeExpired,
    #[error(
        "the hub's certificate does not match the paired hub (expected {expected}, got {actual})"
    )]
    PinMismatch { expected: String, actual: String },
    #[error("cannot reach the hub at {0}")]
    Unreachable(String),
    #[error("the hub refused: {message_en} ({code})")]
    Hub {
        status: u16,
        code: String,
        message_vi: String,
        message_en: String,
    },
    #[error("{0}")]
    Wire(#[from] gocua_sync::wire::WireError),
    #[error("{0}")]
    Replica(#[from] gocua_sync::ReplicaError),
    #[error("{0}")]
    Store(#[from] gocua_store::Error),
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

impl ClientError {
    pub fn code(&self) -> String {
        match self {
            ClientError::NotPaired => "not_paired".into(),
            ClientError::Payload(e) => e.code().into(),
            ClientError::CodeExpired => "join_code_expired".into(),
            ClientError::PinMismatch { .. } => "certificate_mismatch".into(),
            ClientError::Unreachable(_) => "hub_unreachable".into(),
            ClientError::Hub { code, .. } => code.clone(),
            ClientError::Wire(e) => e.code().into(),
            ClientError::Replica(e) => e.code.clone(),
            ClientError::Store(e) => e.code().into(),
            ClientError::Tls(_) => "tls".into(),
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return match self {
                ClientError::Hub { message_en, .. } => message_en.clone(),
                ClientError::Replica(e) => e.message_en.clone(),
                ClientError::Store(e) => e.message(lang),
                other => other.to_string(),
            };
        }
        match self {
            ClientError::NotPaired => "Thiết bị chưa ghép nối với máy chủ phường: hãy quét mã QR trước".into(),
            ClientError::Payload(e) => e.message(true),
            ClientError::CodeExpired => "Mã QR ghép nối đã hết hạn: hãy nhờ văn phòng phường tạo mã mới".into(),
            ClientError::PinMismatch { .. } => {
                "Chứng chỉ của máy chủ không khớp với máy chủ phường đã ghép nối: có thể đây là máy giả mạo. \
                 Không đồng bộ."
                    .into()
            }
            ClientError::Unreachable(url) => {
                format!("Không kết nối được máy chủ phường ({url}). Hãy kiểm tra Wi-Fi của phường.")
            }
            ClientError::Hub { message_vi, .. } => message_vi.clone(),
            ClientError::Wire(e) => e.message_vi(),
            ClientError::Replica(e) => e.message_vi.clone(),
            ClientError::Store(e) => e.message(lang),
            ClientError::Tls(e) => format!("Lỗi thiết lập TLS: {e}"),
        }
    }
}
