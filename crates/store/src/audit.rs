//! The hub's audit log: an append-only record, outside the CRDT, of pairings, refused pushes,
//! contacts from revoked or unknown devices, and the office's actions. SQLite triggers refuse
//! every UPDATE and DELETE on it (migration 0004).

use gocua_domain::Lang;
use rusqlite::params;
use serde::Serialize;

use crate::{Result, Store};

/// What an audit entry records. Stored as [`AuditKind::as_str`]; never renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A phone paired; `device` is the new device.
    PairOk,
    /// A pairing code was refused (unknown, wrong secret, expired, used, burned); `code` says why.
    PairFailed,
    /// A pairing attempt arrived while the pairing guard was locked and was not answered.
    PairLocked,
    /// A pushed document was refused; `device`, `doc` and `code` say which and why.
    PushRefused,
    /// A revoked device tried to sync or ask for its status.
    RevokedContact,
    /// A request with a missing or wrong credential.
    UnknownCredential,
    /// The office issued a pairing code (`gocua hub pair`); `detail` is its role and team.
    OfficePairCode,
    /// The office revoked a device (`gocua hub revoke`).
    OfficeRevoke,
    /// The office cleared the pairing guard (`gocua hub pairing-guard --clear`).
    OfficeGuardClear,
    /// A summary of events not logged one by one during a flood: `count` of kind `code`.
    Suppressed,
    /// The hub failed on a request; `detail` is the internal error, never shown to the caller.
    InternalError,
    /// The office signed in to the dashboard with a sign-in link.
    OfficeSignIn,
    /// A sign-in link was refused (unknown, used or expired).
    OfficeSignInFailed,
    /// An office web request was refused before it ran: no or expired session, cross-site,
    /// wrong content type, or a command not allowed over the web; `code` says which.
    OfficeRefused,
    /// A sign-in link was issued (`gocua hub signin-link`, or at start).
    OfficeSignInLink,
}

impl AuditKind {
    pub const ALL: [AuditKind; 15] = [
        AuditKind::PairOk,
        AuditKind::PairFailed,
        AuditKind::PairLocked,
        AuditKind::PushRefused,
        AuditKind::RevokedContact,
        AuditKind::UnknownCredential,
        AuditKind::OfficePairCode,
        AuditKind::OfficeRevoke,
        AuditKind::OfficeGuardClear,
        AuditKind::Suppressed,
        AuditKind::InternalError,
        AuditKind::OfficeSignIn,
        AuditKind::OfficeSignInFailed,
        AuditKind::OfficeRefused,
        AuditKind::OfficeSignInLink,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::PairOk => "pair_ok",
            AuditKind::PairFailed => "pair_failed",
            AuditKind::PairLocked => "pair_locked",
            AuditKind::PushRefused => "push_refused",
            AuditKind::RevokedContact => "revoked_contact",
            AuditKind::UnknownCredential => "unknown_credential",
            AuditKind::OfficePairCode => "office_pair_code",
            AuditKind::OfficeRevoke => "office_revoke",
            AuditKind::OfficeGuardClear => "office_guard_clear",
            AuditKind::Suppressed => "suppressed",
            AuditKind::InternalError => "internal_error",
            AuditKind::OfficeSignIn => "office_sign_in",
            AuditKind::OfficeSignInFailed => "office_sign_in_failed",
            AuditKind::OfficeRefused => "office_refused",
            AuditKind::OfficeSignInLink => "office_sign_in_link",
        }
    }

    pub fn parse(s: &str) -> Option<AuditKind> {
        AuditKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A short label for the office's screen.
    pub fn label(self, lang: Lang) -> &'static str {
        let (vi, en) = match self {
            AuditKind::PairOk => ("Ghép nối thành công", "Paired"),
            AuditKind::PairFailed => ("Ghép nối bị từ chối", "Pairing refused"),
            AuditKind::PairLocked => ("Ghép nối khi đang khoá", "Pairing while locked"),
            AuditKind::PushRefused => ("Từ chối dữ liệu gửi lên", "Push refused"),
            AuditKind::RevokedContact => ("Thiết bị đã thu hồi liên lạc", "Revoked device called"),
            AuditKind::UnknownCredential => ("Thông tin xác thực sai", "Unknown credential"),
            AuditKind::OfficePairCode => ("Văn phòng tạo mã ghép nối", "Office made a code"),
            AuditKind::OfficeRevoke => ("Văn phòng thu hồi thiết bị", "Office revoked a device"),
            AuditKind::OfficeGuardClear => {
                ("Văn phòng mở khoá ghép nối", "Office cleared the guard")
            }
            AuditKind::Suppressed => ("Gộp sự kiện (quá nhiều)", "Events summarised (flood)"),
            AuditKind::InternalError => ("Lỗi máy chủ", "Hub error"),
            AuditKind::OfficeSignIn => ("Văn phòng đăng nhập trang quản lý", "Office signed in"),
            AuditKind::OfficeSignInFailed => {
                ("Liên kết đăng nhập bị từ chối", "Sign-in link refused")
            }
            AuditKind::OfficeRefused => ("Từ chối yêu cầu trang quản lý", "Office request refused"),
            AuditKind::OfficeSignInLink => ("Tạo liên kết đăng nhập", "Sign-in link issued"),
        };
        lang.pick(vi, en)
    }
}

/// One entry to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAudit {
    pub kind: AuditKind,
    pub ip: Option<String>,
    pub device: Option<String>,
    pub doc: Option<String>,
    pub code: Option<String>,
    pub detail: String,
    pub count: u64,
}

impl NewAudit {
    pub fn new(kind: AuditKind) -> NewAudit {
        NewAudit {
            kind,
            ip: None,
            device: None,
            doc: None,
            code: None,
            detail: String::new(),
            count: 1,
        }
    }

    pub fn ip(mut self, ip: impl ToString) -> Self {
        self.ip = Some(ip.to_string());
        self
    }

    pub fn device(mut self, device: impl Into<String>) -> Self {
        self.device = Some(device.into());
        self
    }

    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.doc = Some(doc.into());
        self
    }

    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        // A reason is a line, not a document: keep entries small whatever the caller passes.
        self.detail = detail.into().chars().take(500).collect();
        self
    }

    pub fn count(mut self, count: u64) -> Self {
        self.count = count;
        self
    }
}

/// An entry as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub ip: Option<String>,
    pub device: Option<String>,
    pub doc: Option<String>,
    pub code: Option<String>,
    pub detail: String,
    pub count: u64,
}

impl Store {
    /// Appends entries in one transaction.
    pub fn audit_append(&self, entries: &[NewAudit], now: i64) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO hub_audit (at, kind, ip, device, doc, code, detail, count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for e in entries {
                stmt.execute(params![
                    now,
                    e.kind.as_str(),
                    e.ip,
                    e.device,
                    e.doc,
                    e.code,
                    e.detail,
                    e.count.min(i64::MAX as u64) as i64
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    pub fn audit_recent(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, kind, ip, device, doc, code, detail, count FROM hub_audit
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit.min(i64::MAX as usize) as i64], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                kind: r.get(2)?,
                ip: r.get(3)?,
                device: r.get(4)?,
                doc: r.get(5)?,
                code: r.get(6)?,
                detail: r.get(7)?,
                count: r.get::<_, i64>(8)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Runs raw SQL on the file, as a bug or a careless script would: only for tests that
    /// tamper with or break a replica on purpose (the audit log's triggers, a hub whose
    /// database fails). Built only with the test-only `failpoints` feature.
    #[cfg(feature = "failpoints")]
    #[doc(hidden)]
    pub fn debug_execute(&self, sql: &str) -> Result<usize> {
        Ok(self.conn.execute(sql, [])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_append_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("hub.sqlite")).unwrap();
        store
            .audit_append(
                &[
                    NewAudit::new(AuditKind::PairFailed)
                        .ip("10.0.0.9")
                        .code("join_code_unknown"),
                    NewAudit::new(AuditKind::OfficeRevoke).device("d-1"),
                ],
                100,
            )
            .unwrap();
        let got = store.audit_recent(10).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].kind, "office_revoke", "newest first");
        assert_eq!(got[1].ip.as_deref(), Some("10.0.0.9"));
        for sql in [
            "UPDATE hub_audit SET detail = 'x'",
            "DELETE FROM hub_audit",
            "INSERT OR REPLACE INTO hub_audit (id, at, kind) VALUES (1, 0, 'pair_ok')",
        ] {
            let e = store.debug_execute(sql).unwrap_err();
            assert!(e.to_string().contains("append-only"), "{sql}: {e}");
        }
        assert_eq!(store.audit_recent(10).unwrap(), got);
        for k in AuditKind::ALL {
            assert_eq!(AuditKind::parse(k.as_str()), Some(k));
        }
    }
}
