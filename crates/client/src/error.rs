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
    /// The hub answered that the office revoked this device. Nothing more was sent; the layer
    /// that owns the replica's files must now wipe them ([`crate::wipe_revoked`]).
    #[error("{message_en}")]
    Revoked {
        message_vi: String,
        message_en: String,
    },
    /// A revoked device's replica and key were deleted.
    #[error(
        "The ward office revoked this device, so the ward's data was removed from this phone. Contact the ward office to pair it again."
    )]
    Wiped { removed: Vec<String> },
    /// The device was revoked but its data could not all be deleted.
    #[error(
        "The ward office revoked this device, but its data could not be removed: {0}. Delete the replica and its key file by hand."
    )]
    WipeFailed(gocua_store::Error),
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
            ClientError::Revoked { .. } => "device_revoked".into(),
            ClientError::Wiped { .. } => "device_wiped".into(),
            ClientError::WipeFailed(_) => "wipe_failed".into(),
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return match self {
                ClientError::Hub { message_en, .. } => message_en.clone(),
                ClientError::Revoked { message_en, .. } => message_en.clone(),
                ClientError::WipeFailed(e) => format!(
                    "The ward office revoked this device, but its data could not be removed: {}. Delete the replica and its key file by hand.",
                    e.message(lang)
                ),
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
            ClientError::Revoked { message_vi, .. } => message_vi.clone(),
            ClientError::Wiped { .. } => {
                "Văn phòng phường đã thu hồi thiết bị này, nên dữ liệu của phường đã được xóa khỏi điện thoại. \
                 Hãy liên hệ văn phòng phường nếu cần ghép nối lại."
                    .into()
            }
            ClientError::WipeFailed(e) => format!(
                "Văn phòng phường đã thu hồi thiết bị này nhưng chưa xóa được dữ liệu: {}. \
                 Hãy tự xóa tệp dữ liệu và tệp khóa.",
                e.message(lang)
            ),
        }
    }
}
