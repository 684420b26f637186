//! Identifier newtypes, parsed once at the boundary so inner code never re-checks them.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const MAX_ID_LEN: usize = 64;
/// Crockford-style alphabet: no I, L, O, U, so ids read aloud and typed are unambiguous.
const RANDOM_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Encodes 60 random bits as 12 characters: short on the wire, unique enough inside a ward.
pub fn random_suffix(random: u64) -> String {
    (0..12)
        .map(|i| RANDOM_ALPHABET[((random >> (i * 5)) & 31) as usize] as char)
        .collect()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $prefix:literal) => {
        $(#[$doc])*
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const KIND: &'static str = $kind;
            pub const PREFIX: &'static str = $prefix;

            /// Accepts 1–64 characters of `[A-Za-z0-9._-]`.
            pub fn parse(s: &str) -> Result<Self> {
                let s = s.trim();
                let ok = !s.is_empty()
                    && s.len() <= MAX_ID_LEN
                    && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
                if ok {
                    Ok(Self(s.to_string()))
                } else {
                    Err(Error::InvalidId { kind: $kind, value: s.to_string() })
                }
            }

            /// A fresh id from caller-supplied randomness (the domain does no I/O).
            pub fn random(random: u64) -> Self {
                Self(format!("{}{}", $prefix, random_suffix(random)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(/// A ward (phường/xã).
    WardId, "ward", "w-");
id_type!(/// A residential group (tổ dân phố, thôn, ấp).
    GroupId, "group", "g-");
id_type!(/// A street or alley (đường, ngõ, ngách, hẻm).
    StreetId, "street", "s-");
id_type!(/// A household (hộ) or a site visited as one unit.
    HouseholdId, "household", "h-");
id_type!(/// A resident (nhân khẩu).
    ResidentId, "resident", "r-");
id_type!(/// One visit to a household.
    VisitId, "visit", "v-");
id_type!(/// One lead's correction of a resident's funnel.
    CorrectionId, "correction", "c-");
id_type!(/// An organisation volunteers come from.
    OrgId, "organisation", "o-");
id_type!(/// A team (tổ công tác).
    TeamId, "team", "t-");
id_type!(/// A volunteer or team lead.
    VolunteerId, "volunteer", "p-");
id_type!(/// A paired device (phone or office PC).
    DeviceId, "device", "d-");
id_type!(/// One session of a team's schedule.
    SessionId, "session", "ts-");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_safe_ids() {
        assert_eq!(HouseholdId::parse(" h-001 ").unwrap().as_str(), "h-001");
        for bad in ["", "a b", "x/y", "đ", &"x".repeat(65)] {
            let err = HouseholdId::parse(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_id", "{bad:?}");
        }
        let json = serde_json::to_string(&TeamId::parse("t-01").unwrap()).unwrap();
        assert_eq!(json, "\"t-01\"");
        assert!(serde_json::from_str::<TeamId>("\"bad id\"").is_err());
    }

    #[test]
    fn random_ids_are_short_and_distinct() {
        let a = VisitId::random(1);
        let b = VisitId::random(2);
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 2 + 12);
        assert!(VisitId::parse(a.as_str()).is_ok());
    }
}
