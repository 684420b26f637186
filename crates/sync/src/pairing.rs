//! The pairing payload a hub shows as a QR code, join codes and certificate fingerprints.
//!
//! Everything here is pure: the hub renders [`PairingPayload::to_uri`] into a QR code, the phone
//! scans it and calls [`PairingPayload::parse`], then pins `cert_sha256` for every later
//! connection. The URI is kept terse because every byte makes the QR code denser and harder to
//! scan from a laptop screen in a bright ward office.

use sha2::{Digest, Sha256};

/// The only payload version this build understands.
pub const PAIRING_VERSION: u8 = 1;

const SCHEME_PREFIX: &str = "gocua://pair?";

/// A scanned string longer than this cannot be one of ours (a QR code of version 40 holds at most
/// about 2,900 bytes), so refusing it early keeps parsing cheap on hostile input.
pub const MAX_URI_LEN: usize = 4096;

/// Join code alphabet: digits and capitals without 0/O, 1/I/L, which people misread when they copy
/// a code from a screen or read it out over the phone.
pub const JOIN_CODE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Number of significant characters in a join code (without the dash).
pub const JOIN_CODE_LEN: usize = 10;

/// The first characters of a join code name it (the hub looks the code up by them); the rest is
/// its secret. A wrong secret for a known name is charged to that code, which is burned after a
/// few tries, so guessing never locks out people who hold a right code. 31^6 secrets: five
/// tries have a chance of about 1 in 180 million.
pub const JOIN_CODE_LOOKUP_LEN: usize = 4;

/// Everything a phone needs to find and trust a hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingPayload {
    pub version: u8,
    /// Addresses to try in order; a hub often has several (wired, Wi-Fi, hotspot).
    pub hub_urls: Vec<String>,
    /// SHA-256 of the hub's certificate (DER); the phone pins this.
    pub cert_sha256: [u8; 32],
    /// In display form `XXXX-XXXXXX`, as [`new_join_code`] makes it; compare codes with
    /// [`normalize_join_code`].
    pub join_code: String,
    /// Unix seconds after which the hub refuses this join code.
    pub expires_at: i64,
    /// Ward name, shown to the user so they can check they joined the right hub.
    pub ward: String,
}

/// Why a scanned or typed pairing text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    #[error("not a Gõ Cửa pairing code (expected gocua://pair?...)")]
    WrongScheme,
    #[error("pairing code is too long")]
    TooLong,
    #[error("pairing code version {0} is not supported by this app")]
    UnsupportedVersion(u8),
    #[error("pairing code is missing the field `{0}`")]
    MissingField(&'static str),
    #[error("pairing code has the field `{0}` more than once")]
    DuplicateField(&'static str),
    #[error("pairing code has an invalid value for `{0}`")]
    InvalidField(&'static str),
    #[error("hub address must start with https://: {0}")]
    NotHttps(String),
    #[error("certificate fingerprint must be 32 bytes of hex")]
    BadFingerprint,
    #[error("join code must be {JOIN_CODE_LEN} characters from 2-9 and A-Z without I, L, O")]
    BadJoinCode,
}

impl PairingError {
    /// A stable identifier for logs, API responses and tests; never reworded.
    pub fn code(&self) -> &'static str {
        match self {
            PairingError::WrongScheme => "pairing.wrong_scheme",
            PairingError::TooLong => "pairing.too_long",
            PairingError::UnsupportedVersion(_) => "pairing.unsupported_version",
            PairingError::MissingField(_) => "pairing.missing_field",
            PairingError::DuplicateField(_) => "pairing.duplicate_field",
            PairingError::InvalidField(_) => "pairing.invalid_field",
            PairingError::NotHttps(_) => "pairing.not_https",
            PairingError::BadFingerprint => "pairing.bad_fingerprint",
            PairingError::BadJoinCode => "pairing.bad_join_code",
        }
    }

    /// Text for the person holding the phone, in Vietnamese (`vi == true`) or English.
    pub fn message(&self, vi: bool) -> String {
        if !vi {
            return self.to_string();
        }
        match self {
            PairingError::WrongScheme => {
                "Đây không phải mã ghép nối Gõ Cửa (cần bắt đầu bằng gocua://pair?).".to_string()
            }
            PairingError::TooLong => "Mã ghép nối quá dài.".to_string(),
            PairingError::UnsupportedVersion(v) => format!(
                "Mã ghép nối phiên bản {v} chưa được ứng dụng này hỗ trợ. Hãy cập nhật ứng dụng."
            ),
            PairingError::MissingField(f) => format!("Mã ghép nối thiếu trường `{f}`."),
            PairingError::DuplicateField(f) => {
                format!("Mã ghép nối có trường `{f}` bị lặp lại.")
            }
            PairingError::InvalidField(f) => {
                format!("Mã ghép nối có giá trị không hợp lệ ở trường `{f}`.")
            }
            PairingError::NotHttps(url) => {
                format!("Địa chỉ máy chủ phải bắt đầu bằng https://: {url}")
            }
            PairingError::BadFingerprint => {
                "Dấu vân tay chứng chỉ phải gồm 32 byte dạng hex.".to_string()
            }
            PairingError::BadJoinCode => format!(
                "Mã tham gia phải gồm {JOIN_CODE_LEN} ký tự từ 2-9 và A-Z (không có I, L, O)."
            ),
        }
    }
}

impl PairingPayload {
    /// The compact URI that goes into the QR code.
    ///
    /// The join code is written without its dash and the fingerprint as lowercase hex without
    /// separators, because both only cost QR modules and the parser restores the display forms.
    pub fn to_uri(&self) -> String {
        let mut out = String::with_capacity(160);
        out.push_str(SCHEME_PREFIX);
        out.push_str("v=");
        out.push_str(&self.version.to_string());
        for url in &self.hub_urls {
            out.push_str("&u=");
            percent_encode_into(url, &mut out);
        }
        out.push_str("&fp=");
        out.push_str(&hex::encode(self.cert_sha256));
        out.push_str("&c=");
        percent_encode_into(&normalize_join_code(&self.join_code), &mut out);
        out.push_str("&e=");
        out.push_str(&self.expires_at.to_string());
        out.push_str("&w=");
        percent_encode_into(&self.ward, &mut out);
        out
    }

    /// Parses what a QR scanner or a paste produced.
    ///
    /// Unknown parameters are ignored so that a later hub can add optional fields without bumping
    /// the version and locking out older phones; anything that changes meaning bumps `v`.
    pub fn parse(text: &str) -> Result<Self, PairingError> {
        let text = text.trim();
        if text.len() > MAX_URI_LEN {
            return Err(PairingError::TooLong);
        }
        let query =
            strip_prefix_ignore_ascii_case(text, SCHEME_PREFIX).ok_or(PairingError::WrongScheme)?;
        // A fragment is not part of the payload; some scanners append one when they "fix" URIs.
        let query = query.split_once('#').map_or(query, |(q, _)| q);

        let mut version: Option<String> = None;
        let mut hub_urls = Vec::new();
        let mut fp: Option<String> = None;
        let mut code: Option<String> = None;
        let mut expires: Option<String> = None;
        let mut ward: Option<String> = None;

        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match key {
                "v" => (&mut version, "v"),
                "u" => {
                    hub_urls.push(percent_decode(raw).ok_or(PairingError::InvalidField("u"))?);
                    continue;
                }
                "fp" => (&mut fp, "fp"),
                "c" => (&mut code, "c"),
                "e" => (&mut expires, "e"),
                "w" => (&mut ward, "w"),
                _ => continue,
            };
            let (target, name) = slot;
            if target.is_some() {
                return Err(PairingError::DuplicateField(name));
            }
            *target = Some(percent_decode(raw).ok_or(PairingError::InvalidField(name))?);
        }

        // The version is checked first: a newer payload may legitimately lack v1 fields.
        let version = version.ok_or(PairingError::MissingField("v"))?;
        let version: u8 = version
            .parse()
            .map_err(|_| PairingError::InvalidField("v"))?;
        if version != PAIRING_VERSION {
            return Err(PairingError::UnsupportedVersion(version));
        }

        if hub_urls.is_empty() {
            return Err(PairingError::MissingField("u"));
        }
        for url in &hub_urls {
            check_https_url(url)?;
        }

        let fp = fp.ok_or(PairingError::MissingField("fp"))?;
        let cert_sha256 = parse_fingerprint(&fp)?;

        let code = code.ok_or(PairingError::MissingField("c"))?;
        let join_code = format_join_code(&code)?;

        let expires = expires.ok_or(PairingError::MissingField("e"))?;
        let expires_at: i64 = expires
            .parse()
            .map_err(|_| PairingError::InvalidField("e"))?;

        let ward = ward.ok_or(PairingError::MissingField("w"))?;

        Ok(PairingPayload {
            version,
            hub_urls,
            cert_sha256,
            join_code,
            expires_at,
            ward,
        })
    }

    /// Whether the join code has expired at `now` (unix seconds); the hub has the final say.
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// SHA-256 of a certificate in DER form: the value phones pin.
pub fn fingerprint(der: &[u8]) -> [u8; 32] {
    Sha256::digest(der).into()
}

/// `AB:CD:...` form, for people comparing the fingerprint on the hub screen with the phone's.
pub fn fingerprint_hex(fp: &[u8; 32]) -> String {
    let mut out = String::with_capacity(32 * 3 - 1);
    for (i, byte) in fp.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{byte:02X}"));
    }
    out
}

/// Accepts both the display form of [`fingerprint_hex`] and plain hex, in either case.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], PairingError> {
    let text = text.trim();
    let compact: String = if text.contains(':') {
        // With separators every group must be exactly one byte, so a dropped or doubled digit
        // is reported instead of silently shifting the rest of the fingerprint.
        let groups: Vec<&str> = text.split(':').collect();
        if groups.len() != 32 || groups.iter().any(|g| g.len() != 2) {
            return Err(PairingError::BadFingerprint);
        }
        groups.concat()
    } else {
        text.to_string()
    };
    let mut out = [0u8; 32];
    hex::decode_to_slice(&compact, &mut out).map_err(|_| PairingError::BadFingerprint)?;
    Ok(out)
}

/// A fresh join code in display form `XXXX-XXXXXX` from 8 random bytes supplied by the caller
/// (this module does no I/O, so it does not read the OS random source itself).
///
/// The bytes are read as one 64-bit number and written in base 31, which keeps the bias toward
/// some characters below 1e-4 (31^10 is about 2^49.5) instead of the few percent a per-byte
/// modulo would give.
pub fn new_join_code(rng_bytes: [u8; 8]) -> String {
    let mut n = u64::from_le_bytes(rng_bytes);
    let base = JOIN_CODE_ALPHABET.len() as u64;
    let mut out = String::with_capacity(JOIN_CODE_LEN + 1);
    for i in 0..JOIN_CODE_LEN {
        if i == JOIN_CODE_LOOKUP_LEN {
            out.push('-');
        }
        // `n % base` is below the alphabet length, so indexing cannot go out of bounds.
        out.push(char::from(JOIN_CODE_ALPHABET[(n % base) as usize]));
        n /= base;
    }
    out
}

/// The form codes are compared in: uppercase, without dashes or whitespace.
pub fn normalize_join_code(code: &str) -> String {
    code.chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Validates a typed or scanned join code and returns its display form `XXXX-XXXXXX`.
pub fn format_join_code(code: &str) -> Result<String, PairingError> {
    let norm = normalize_join_code(code);
    if norm.len() != JOIN_CODE_LEN || !norm.bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b)) {
        return Err(PairingError::BadJoinCode);
    }
    // All bytes are ASCII (checked above), so splitting at a byte index is on a char boundary.
    let (a, b) = norm.split_at(JOIN_CODE_LOOKUP_LEN);
    Ok(format!("{a}-{b}"))
}

/// A join code's name (what the hub looks it up by) and its secret, in normalized form; `None`
/// when the text is not a well-formed code.
pub fn split_join_code(code: &str) -> Option<(String, String)> {
    let norm = normalize_join_code(code);
    if norm.len() != JOIN_CODE_LEN || !norm.bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b)) {
        return None;
    }
    let (a, b) = norm.split_at(JOIN_CODE_LOOKUP_LEN);
    Some((a.to_string(), b.to_string()))
}

fn strip_prefix_ignore_ascii_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

fn check_https_url(url: &str) -> Result<(), PairingError> {
    let rest = strip_prefix_ignore_ascii_case(url, "https://")
        .ok_or_else(|| PairingError::NotHttps(url.to_string()))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(PairingError::InvalidField("u"));
    }
    Ok(())
}

/// Characters left as they are in query values. `:` and `/` are legal there (RFC 3986 §3.4) and
/// keeping them makes hub URLs cost no extra bytes; `+` is escaped because form decoders read it
/// as a space.
fn is_unescaped(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b'@')
}

fn percent_encode_into(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if is_unescaped(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0F)]));
        }
    }
}

/// `None` on a malformed escape or bytes that are not UTF-8. A raw `+` becomes a space, since
/// only a form encoder (never ours) would have produced it.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex_val(*bytes.get(i + 1)?)?;
                let lo = hex_val(*bytes.get(i + 2)?)?;
                out.push((hi << 4) | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PairingPayload {
        PairingPayload {
            version: 1,
            hub_urls: vec![
                "https://192.168.1.20:8443".to_string(),
                "https://[fe80::1]:8443".to_string(),
            ],
            cert_sha256: fingerprint(b"not really a certificate"),
            join_code: "K7MQ-3XRT9P".to_string(),
            expires_at: 1_767_225_600,
            ward: "Phường Bến Nghé & Co".to_string(),
        }
    }

    #[test]
    fn uri_is_compact_and_exact() {
        let uri = sample().to_uri();
        let expected = format!(
            "gocua://pair?v=1&u=https://192.168.1.20:8443&u=https://%5Bfe80::1%5D:8443\
             &fp={}&c=K7MQ3XRT9P&e=1767225600&w=Ph%C6%B0%E1%BB%9Dng%20B%E1%BA%BFn%20Ngh%C3%A9%20%26%20Co",
            hex::encode(sample().cert_sha256)
        );
        assert_eq!(uri, expected);
    }

    #[test]
    fn round_trip() {
        let p = sample();
        assert_eq!(PairingPayload::parse(&p.to_uri()), Ok(p.clone()));
        // Scanners and pastes add whitespace and newlines.
        assert_eq!(
            PairingPayload::parse(&format!("  \n{}\r\n", p.to_uri())),
            Ok(p)
        );
    }

    #[test]
    fn round_trip_awkward_ward_names() {
        for ward in ["", "a+b=c", "100%", "#1?x&y", "Xã Đông Hòa / khu 2"] {
            let mut p = sample();
            p.ward = ward.to_string();
            assert_eq!(PairingPayload::parse(&p.to_uri()), Ok(p), "ward {ward:?}");
        }
    }

    #[test]
    fn parse_restores_display_forms() {
        let uri = format!(
            "GOCUA://PAIR?v=1&u=https://10.0.0.5&fp={}&c=k7mq-3xrt9p&e=-5&w=Ward+7&extra=ignored#frag",
            fingerprint_hex(&[0xAB; 32])
        );
        let p = PairingPayload::parse(&uri).expect("valid uri");
        assert_eq!(p.join_code, "K7MQ-3XRT9P");
        assert_eq!(p.cert_sha256, [0xAB; 32]);
        assert_eq!(p.expires_at, -5);
        assert_eq!(p.ward, "Ward 7");
        assert_eq!(p.hub_urls, vec!["https://10.0.0.5".to_string()]);
    }

    fn uri_with(replace: &str, with: &str) -> String {
        let uri = sample().to_uri();
        assert!(uri.contains(replace), "{uri} lacks {replace}");
        uri.replacen(replace, with, 1)
    }

    fn parse_err(text: &str) -> PairingError {
        PairingPayload::parse(text).expect_err(text)
    }

    #[test]
    fn rejects_wrong_scheme() {
        let uri = sample().to_uri();
        for bad in [
            uri.replacen("gocua://", "https://", 1),
            uri.replacen("gocua://pair", "gocua://join", 1),
            uri.replacen("gocua://pair?", "gocua:pair?", 1),
            String::new(),
            "gocua".to_string(),
        ] {
            assert_eq!(parse_err(&bad), PairingError::WrongScheme, "{bad}");
        }
    }

    #[test]
    fn rejects_unknown_version() {
        assert_eq!(
            parse_err(&uri_with("v=1", "v=2")),
            PairingError::UnsupportedVersion(2)
        );
        assert_eq!(
            parse_err(&uri_with("v=1", "v=0")),
            PairingError::UnsupportedVersion(0)
        );
        assert_eq!(
            parse_err(&uri_with("v=1", "v=one")),
            PairingError::InvalidField("v")
        );
        assert_eq!(
            parse_err(&uri_with("v=1", "v=256")),
            PairingError::InvalidField("v")
        );
    }

    #[test]
    fn rejects_missing_fields() {
        let fp = hex::encode(sample().cert_sha256);
        let cases = [
            ("v=1&", "", "v"),
            (
                "&u=https://192.168.1.20:8443&u=https://%5Bfe80::1%5D:8443",
                "",
                "u",
            ),
            (&format!("&fp={fp}")[..], "", "fp"),
            ("&c=K7MQ3XRT9P", "", "c"),
            ("&e=1767225600", "", "e"),
        ];
        for (cut, with, field) in cases {
            assert_eq!(
                parse_err(&uri_with(cut, with)),
                PairingError::MissingField(field),
                "without {field}"
            );
        }
        let uri = sample().to_uri();
        let without_ward = &uri[..uri.find("&w=").expect("has ward")];
        assert_eq!(parse_err(without_ward), PairingError::MissingField("w"));
    }

    #[test]
    fn rejects_duplicate_fields() {
        assert_eq!(
            parse_err(&uri_with("&e=", "&e=1&e=")),
            PairingError::DuplicateField("e")
        );
    }

    #[test]
    fn rejects_bad_hex() {
        let fp = hex::encode(sample().cert_sha256);
        for bad in [
            format!("{}zz", &fp[..62]),
            fp[..62].to_string(),
            format!("{fp}00"),
            String::new(),
        ] {
            assert_eq!(
                parse_err(&uri_with(&fp, &bad)),
                PairingError::BadFingerprint,
                "fp {bad}"
            );
        }
    }

    #[test]
    fn rejects_non_https_urls() {
        assert_eq!(
            parse_err(&uri_with("u=https://192", "u=http://192")),
            PairingError::NotHttps("http://192.168.1.20:8443".to_string())
        );
        assert_eq!(
            parse_err(&uri_with(
                "u=https://192.168.1.20:8443",
                "u=192.168.1.20:8443"
            )),
            PairingError::NotHttps("192.168.1.20:8443".to_string())
        );
        assert_eq!(
            parse_err(&uri_with("u=https://192.168.1.20:8443", "u=https://")),
            PairingError::InvalidField("u")
        );
    }

    #[test]
    fn rejects_bad_join_code_expiry_and_encoding() {
        assert_eq!(
            parse_err(&uri_with("c=K7MQ3XRT9P", "c=K7MQ3XRT90")),
            PairingError::BadJoinCode
        );
        assert_eq!(
            parse_err(&uri_with("c=K7MQ3XRT9P", "c=K7MQ3XRT9")),
            PairingError::BadJoinCode
        );
        assert_eq!(
            parse_err(&uri_with("e=1767225600", "e=soon")),
            PairingError::InvalidField("e")
        );
        assert_eq!(
            parse_err(&uri_with("w=Ph", "w=%zzPh")),
            PairingError::InvalidField("w")
        );
        assert_eq!(
            parse_err(&uri_with("w=Ph", "w=%FFPh")),
            PairingError::InvalidField("w")
        );
        let long = format!("{}&x={}", sample().to_uri(), "a".repeat(MAX_URI_LEN));
        assert_eq!(parse_err(&long), PairingError::TooLong);
    }

    #[test]
    fn error_codes_and_messages() {
        let e = PairingError::MissingField("fp");
        assert_eq!(e.code(), "pairing.missing_field");
        assert_eq!(e.message(false), "pairing code is missing the field `fp`");
        assert_eq!(e.message(true), "Mã ghép nối thiếu trường `fp`.");
        assert_eq!(PairingError::WrongScheme.code(), "pairing.wrong_scheme");
    }

    #[test]
    fn fingerprint_is_sha256_and_displays_in_pairs() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        let fp = fingerprint(b"abc");
        assert_eq!(
            hex::encode(fp),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let shown = fingerprint_hex(&fp);
        assert_eq!(
            shown,
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:\
             B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
        assert_eq!(parse_fingerprint(&shown), Ok(fp));
        assert_eq!(parse_fingerprint(&shown.to_lowercase()), Ok(fp));
        assert_eq!(parse_fingerprint(&hex::encode(fp)), Ok(fp));
        assert_eq!(parse_fingerprint(&hex::encode_upper(fp)), Ok(fp));
        // A dropped digit inside a group must not be papered over by the separators.
        let broken = shown.replacen("BA:78", "BA:7:8", 1);
        assert_eq!(
            parse_fingerprint(&broken),
            Err(PairingError::BadFingerprint)
        );
    }

    #[test]
    fn join_code_format_and_alphabet() {
        for seed in [[0u8; 8], [0xFF; 8], [1, 2, 3, 4, 5, 6, 7, 8], [0x5A; 8]] {
            let code = new_join_code(seed);
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(&code[4..5], "-", "{code}");
            for c in code.chars().filter(|c| *c != '-') {
                assert!(
                    JOIN_CODE_ALPHABET.contains(&(c as u8)),
                    "{c} not in alphabet"
                );
                assert!(!"0O1IL".contains(c), "ambiguous {c}");
            }
            assert_eq!(format_join_code(&code), Ok(code.clone()));
        }
        assert_eq!(new_join_code([0; 8]), "2222-222222");
        assert_ne!(
            new_join_code([1, 0, 0, 0, 0, 0, 0, 0]),
            new_join_code([0; 8])
        );
        assert_eq!(JOIN_CODE_ALPHABET.len(), 31);
    }

    #[test]
    fn join_codes_use_every_character() {
        // A simple sweep catches an off-by-one that would never emit the last character.
        let mut seen = std::collections::BTreeSet::new();
        for i in 0u64..200 {
            let code = new_join_code(i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes());
            seen.extend(code.chars().filter(|c| *c != '-'));
        }
        assert_eq!(seen.len(), JOIN_CODE_ALPHABET.len());
    }

    #[test]
    fn normalize_join_code_drops_separators() {
        assert_eq!(normalize_join_code(" k7mq-3xrt9p\t"), "K7MQ3XRT9P");
        assert_eq!(normalize_join_code("K7 MQ 3X-RT9P"), "K7MQ3XRT9P");
        assert_eq!(
            format_join_code("k7mq 3xrt9p"),
            Ok("K7MQ-3XRT9P".to_string())
        );
        assert_eq!(
            split_join_code("k7mq-3xrt9p"),
            Some(("K7MQ".to_string(), "3XRT9P".to_string()))
        );
        assert_eq!(split_join_code("K7MQ-3XRT9"), None);
        assert_eq!(
            format_join_code("K7MQ-3XRT9I"),
            Err(PairingError::BadJoinCode)
        );
    }

    #[test]
    fn expiry() {
        let p = sample();
        assert!(!p.is_expired(p.expires_at - 1));
        assert!(p.is_expired(p.expires_at));
    }
}
