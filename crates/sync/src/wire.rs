//! The wire format of a sync round: versioned frames (magic, version, flags, length, CRC-32)
//! around a postcard body, zstd-compressed, with hard size limits checked before decoding.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// A change hash on the wire.
pub type Hash = [u8; 32];

pub const MAGIC: [u8; 4] = *b"GOCU";
pub const WIRE_VERSION: u8 = 1;
const HEADER_LEN: usize = 4 + 1 + 1 + 4 + 4;
const FLAG_ZSTD: u8 = 1;
/// Largest frame accepted from the network (compressed).
pub const MAX_FRAME: usize = 64 << 20;
/// Largest body a frame may expand to: guards against decompression bombs.
pub const MAX_BODY: usize = 256 << 20;
/// Bodies smaller than this are sent uncompressed: zstd would not pay for itself.
const COMPRESS_FROM: usize = 512;

/// Phone → hub: one round of a sync.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Strictly increasing per device: an old batch replayed is refused.
    pub batch: u64,
    pub claim: Claim,
    /// Changes the hub may lack, per document.
    pub push: Vec<DocDelta>,
    /// Automerge sync-protocol messages, for documents the fast path could not settle.
    pub protocol: Vec<DocMsg>,
}

impl SyncRequest {
    /// Nothing to say beyond "is there anything new for me?".
    pub fn is_idle(&self) -> bool {
        self.push.is_empty() && self.protocol.is_empty() && matches!(self.claim, Claim::Digest(_))
    }
}

/// What the phone believes the hub has recorded about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Claim {
    /// SHA-256 over the sorted (document, heads) records; a mismatch asks for the full list.
    Digest(Hash),
    /// Every document the phone holds, with its heads.
    Full(Vec<HeldDoc>),
}

impl Default for Claim {
    fn default() -> Self {
        Claim::Full(Vec::new())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldDoc {
    pub doc: String,
    pub heads: Vec<Hash>,
}

/// Changes of one document since heads the receiver is believed to have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocDelta {
    pub doc: String,
    /// The heads the sender believes the receiver has (the changes start after them).
    pub base: Vec<Hash>,
    /// The sender's heads: what the receiver will have after merging.
    pub heads: Vec<Hash>,
    /// Concatenated Automerge change chunks.
    #[serde(with = "serde_bytes_compat")]
    pub changes: Vec<u8>,
}

/// One Automerge sync message for one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocMsg {
    pub doc: String,
    #[serde(with = "serde_bytes_compat")]
    pub msg: Vec<u8>,
}

/// A whole saved document, for a device that does not hold it yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedDoc {
    pub doc: String,
    /// The saved document (its heads are read from it: no need to send them twice).
    #[serde(with = "serde_bytes_compat")]
    pub bytes: Vec<u8>,
}

/// What the hub did with one pushed document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocResult {
    /// Merged; the hub now has `heads`.
    Accepted { doc: String, heads: Vec<Hash> },
    /// The hub lacks what the changes depend on: settle it with the sync protocol.
    NeedProtocol { doc: String },
    /// Refused, with a stable code and a message in Vietnamese and English. Nothing was merged.
    Refused {
        doc: String,
        code: String,
        message_vi: String,
        message_en: String,
    },
}

/// Hub → phone: the answer to one round.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub batch: u64,
    pub results: Vec<DocResult>,
    /// Changes for documents the phone holds.
    pub pull: Vec<DocDelta>,
    /// Documents the phone should now hold.
    pub new_docs: Vec<SavedDoc>,
    /// Documents reassigned away from the phone's team: drop them once all local work is merged.
    pub drop: Vec<String>,
    pub protocol: Vec<DocMsg>,
    /// The claim did not match the hub's records: send the full list next round.
    pub need_manifest: bool,
    /// More is waiting (a large first sync is sent in pages).
    pub more: bool,
    /// Documents still to send after this page, for a progress bar.
    pub remaining_docs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("not a Gõ Cửa sync frame")]
    BadMagic,
    #[error("sync frame version {0} is not supported")]
    UnsupportedVersion(u8),
    #[error("sync frame is truncated: expected {expected} bytes, got {got}")]
    Truncated { expected: usize, got: usize },
    #[error("sync frame is too large ({0} bytes)")]
    TooLarge(usize),
    #[error("sync frame checksum mismatch")]
    Checksum,
    #[error("sync frame could not be decompressed: {0}")]
    Decompress(String),
    #[error("sync frame body is malformed: {0}")]
    Body(String),
}

impl WireError {
    pub fn code(&self) -> &'static str {
        match self {
            WireError::BadMagic => "wire.bad_magic",
            WireError::UnsupportedVersion(_) => "wire.unsupported_version",
            WireError::Truncated { .. } => "wire.truncated",
            WireError::TooLarge(_) => "wire.too_large",
            WireError::Checksum => "wire.checksum",
            WireError::Decompress(_) => "wire.decompress",
            WireError::Body(_) => "wire.body",
        }
    }

    pub fn message_vi(&self) -> String {
        match self {
            WireError::BadMagic => "Dữ liệu đồng bộ không đúng định dạng Gõ Cửa".into(),
            WireError::UnsupportedVersion(v) => {
                format!("Phiên bản dữ liệu đồng bộ {v} không được hỗ trợ: hãy cập nhật ứng dụng")
            }
            WireError::Truncated { .. } => "Dữ liệu đồng bộ bị cắt cụt (mất kết nối?)".into(),
            WireError::TooLarge(n) => format!("Gói đồng bộ quá lớn ({n} byte)"),
            WireError::Checksum => "Dữ liệu đồng bộ bị hỏng (sai mã kiểm tra)".into(),
            WireError::Decompress(_) | WireError::Body(_) => "Dữ liệu đồng bộ bị hỏng".into(),
        }
    }
}

/// Serializes, compresses and frames a message.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, WireError> {
    let body = postcard::to_stdvec(msg).map_err(|e| WireError::Body(e.to_string()))?;
    if body.len() > MAX_BODY {
        return Err(WireError::TooLarge(body.len()));
    }
    let (flags, payload) = if body.len() >= COMPRESS_FROM {
        // Level 9: sync frames are written once and the documents share most of their bytes.
        let level = if body.len() > (1 << 20) { 9 } else { 3 };
        let z =
            zstd::bulk::compress(&body, level).map_err(|e| WireError::Decompress(e.to_string()))?;
        if z.len() < body.len() {
            (FLAG_ZSTD, z)
        } else {
            (0, body.clone())
        }
    } else {
        (0, body.clone())
    };
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.push(WIRE_VERSION);
    out.push(flags);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(&out[4..10], &payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// CRC-32 over the version, flags and length as well as the payload, so no header bit can flip
/// unnoticed.
fn checksum(header: &[u8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(header);
    h.update(payload);
    h.finalize()
}

/// Checks and decodes a frame. Any defect is an error; nothing is partially decoded.
///
/// Accepts bodies up to [`MAX_BODY`]: for frames from a trusted peer (the phone reading its
/// hub's answers). A hub decoding what a device sent uses [`decode_limited`] with that device's
/// own bound.
pub fn decode<T: DeserializeOwned>(frame: &[u8]) -> Result<T, WireError> {
    decode_limited(frame, MAX_BODY)
}

/// Largest zstd window a frame may ask for (8 MiB; our encoder uses at most 4 MiB). The decoder
/// allocates the window the frame header names, so an unchecked one is a bomb of its own.
const MAX_WINDOW_LOG: u32 = 23;

/// The frame length that can carry a body of `max_body` bytes (header included).
pub fn max_frame_for(max_body: usize) -> usize {
    max_body.min(MAX_BODY).saturating_add(HEADER_LEN)
}

/// [`decode`] with a hard limit on the decompressed body: a frame that declares or expands to
/// more than `max_body` bytes is refused as soon as the limit is passed, and memory never holds
/// more than that. Decompression streams from the in-memory frame into a buffer that grows only
/// as real output arrives, so a small frame declaring a large body costs nothing up front.
pub fn decode_limited<T: DeserializeOwned>(frame: &[u8], max_body: usize) -> Result<T, WireError> {
    let max_body = max_body.min(MAX_BODY);
    if frame.len() > MAX_FRAME || frame.len() > max_frame_for(max_body) {
        return Err(WireError::TooLarge(frame.len()));
    }
    if frame.len() < HEADER_LEN {
        if frame.len() >= 4 && frame[..4] != MAGIC {
            return Err(WireError::BadMagic);
        }
        return Err(WireError::Truncated {
            expected: HEADER_LEN,
            got: frame.len(),
        });
    }
    if frame[..4] != MAGIC {
        return Err(WireError::BadMagic);
    }
    if frame[4] != WIRE_VERSION {
        return Err(WireError::UnsupportedVersion(frame[4]));
    }
    let flags = frame[5];
    let body_len = u32::from_le_bytes([frame[6], frame[7], frame[8], frame[9]]) as usize;
    let crc = u32::from_le_bytes([frame[10], frame[11], frame[12], frame[13]]);
    let payload = &frame[HEADER_LEN..];
    if body_len > max_body {
        return Err(WireError::TooLarge(body_len));
    }
    if flags & !FLAG_ZSTD != 0 {
        return Err(WireError::Body(format!("unknown flags {flags:#04x}")));
    }
    if checksum(&frame[4..10], payload) != crc {
        // A cut-off frame fails here too; say which it is when the size tells.
        if flags & FLAG_ZSTD == 0 && payload.len() < body_len {
            return Err(WireError::Truncated {
                expected: HEADER_LEN + body_len,
                got: frame.len(),
            });
        }
        return Err(WireError::Checksum);
    }
    let inflated;
    let body: &[u8] = if flags & FLAG_ZSTD != 0 {
        inflated = inflate(payload, body_len)?;
        &inflated
    } else {
        if payload.len() != body_len {
            return Err(WireError::Truncated {
                expected: HEADER_LEN + body_len,
                got: frame.len(),
            });
        }
        payload
    };
    let (msg, rest) =
        postcard::take_from_bytes::<T>(body).map_err(|e| WireError::Body(e.to_string()))?;
    if !rest.is_empty() {
        return Err(WireError::Body(format!("{} trailing bytes", rest.len())));
    }
    Ok(msg)
}

/// Inflates a zstd payload into a buffer of exactly `body_len` bytes (already checked against
/// the caller's limit), refusing the frame as soon as its output would pass that: zstd decodes
/// in one pass straight into the buffer, which also serves as its window, so memory holds the
/// bytes actually produced and nothing more (pages of the buffer not yet written are not
/// resident).
fn inflate(payload: &[u8], body_len: usize) -> Result<Vec<u8>, WireError> {
    let bad = |e: std::io::Error| WireError::Decompress(e.to_string());
    // A frame that says it holds more than declared is refused before any work.
    if let Ok(Some(n)) = zstd::zstd_safe::get_frame_content_size(payload)
        && n > body_len as u64
    {
        return Err(WireError::TooLarge(n.min(usize::MAX as u64) as usize));
    }
    let mut d = zstd::bulk::Decompressor::new().map_err(bad)?;
    d.set_parameter(zstd::zstd_safe::DParameter::WindowLogMax(MAX_WINDOW_LOG))
        .map_err(bad)?;
    let mut out = Vec::with_capacity(body_len);
    match d.decompress_to_buffer(payload, &mut out) {
        Ok(n) if n == body_len => Ok(out),
        Ok(n) => Err(WireError::Decompress(format!(
            "expected {body_len} bytes, got {n}"
        ))),
        // zstd stops when the buffer is full: the frame expands to more than it declared.
        Err(e) if e.to_string().contains("too small") => Err(WireError::TooLarge(body_len + 1)),
        Err(e) => Err(bad(e)),
    }
}

/// Byte vectors as one length-prefixed blob rather than a sequence of numbers.
mod serde_bytes_compat {
    use serde::{Deserializer, Serializer, de::Visitor};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        d.deserialize_bytes(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SyncRequest {
        SyncRequest {
            batch: 7,
            claim: Claim::Digest([3; 32]),
            push: vec![DocDelta {
                doc: "h-1".into(),
                base: vec![[1; 32]],
                heads: vec![[2; 32]],
                changes: vec![9; 2000],
            }],
            protocol: vec![DocMsg {
                doc: "plan".into(),
                msg: vec![1, 2, 3],
            }],
        }
    }

    #[test]
    fn frames_round_trip_and_compress() {
        let f = encode(&sample()).unwrap();
        assert!(
            f.len() < 2000,
            "compressible body should shrink, got {}",
            f.len()
        );
        assert_eq!(decode::<SyncRequest>(&f).unwrap(), sample());
        let small = SyncRequest {
            batch: 1,
            ..Default::default()
        };
        assert_eq!(
            decode::<SyncRequest>(&encode(&small).unwrap()).unwrap(),
            small
        );
    }

    #[test]
    fn every_truncation_and_bit_flip_is_refused() {
        let f = encode(&sample()).unwrap();
        for cut in 0..f.len() {
            assert!(decode::<SyncRequest>(&f[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..f.len() {
            let mut g = f.clone();
            g[i] ^= 0x40;
            assert!(decode::<SyncRequest>(&g).is_err(), "flip at {i}");
        }
    }

    #[test]
    fn wrong_magic_version_and_bombs_are_named() {
        let mut f = encode(&sample()).unwrap();
        f[0] = b'X';
        assert_eq!(decode::<SyncRequest>(&f).unwrap_err(), WireError::BadMagic);
        let mut f = encode(&sample()).unwrap();
        f[4] = 9;
        assert_eq!(
            decode::<SyncRequest>(&f).unwrap_err(),
            WireError::UnsupportedVersion(9)
        );
        let mut f = encode(&sample()).unwrap();
        f[6..10].copy_from_slice(&(u32::MAX).to_le_bytes());
        assert!(matches!(
            decode::<SyncRequest>(&f).unwrap_err(),
            WireError::TooLarge(_)
        ));
        // A well-formed frame carrying the wrong message type.
        let resp = encode(&SyncResponse {
            need_manifest: true,
            ..Default::default()
        })
        .unwrap();
        let as_req = decode::<SyncRequest>(&resp);
        assert!(as_req.is_err() || as_req.unwrap() != sample());
    }

    /// A frame whose zstd payload expands far past what it declares (or past the limit); with
    /// `sized`, the zstd frame states its real size, otherwise (streamed) it does not.
    fn bomb(declared: u32, real: usize, sized: bool) -> Vec<u8> {
        let z = if sized {
            zstd::bulk::compress(&vec![0u8; real], 19).unwrap()
        } else {
            let mut z = Vec::new();
            let mut enc = zstd::stream::write::Encoder::new(&mut z, 19).unwrap();
            enc.include_contentsize(false).unwrap();
            std::io::Write::write_all(&mut enc, &vec![0u8; real]).unwrap();
            enc.finish().unwrap();
            z
        };
        let mut out = MAGIC.to_vec();
        out.push(WIRE_VERSION);
        out.push(FLAG_ZSTD);
        out.extend_from_slice(&declared.to_le_bytes());
        out.extend_from_slice(&checksum(&out[4..10], &z).to_le_bytes());
        out.extend_from_slice(&z);
        out
    }

    #[test]
    fn limited_decoding_refuses_bodies_past_the_limit() {
        let f = encode(&sample()).unwrap();
        assert_eq!(
            decode_limited::<SyncRequest>(&f, 1 << 20).unwrap(),
            sample()
        );
        // The declared body is over the limit: refused before any inflating.
        assert!(matches!(
            decode_limited::<SyncRequest>(&f, 100).unwrap_err(),
            WireError::TooLarge(_)
        ));
        // A bomb that lies about its size is cut at the declared length, whether its zstd
        // frame says how large it is or not.
        for sized in [true, false] {
            let b = bomb(1000, 64 << 20, sized);
            assert!(b.len() < 8 << 10, "{}", b.len());
            assert!(
                matches!(
                    decode_limited::<SyncRequest>(&b, 1 << 20).unwrap_err(),
                    WireError::TooLarge(_)
                ),
                "sized {sized}"
            );
        }
        // A bomb that declares more than the limit.
        let b = bomb(64 << 20, 64 << 20, true);
        assert!(matches!(
            decode_limited::<SyncRequest>(&b, 1 << 20).unwrap_err(),
            WireError::TooLarge(_)
        ));
        // An uncompressed frame longer than the limit is refused by its length alone.
        let big = encode(&SyncRequest {
            batch: 1,
            protocol: vec![DocMsg {
                doc: "x".into(),
                msg: (0..5000u32).flat_map(|i| i.to_le_bytes()).collect(),
            }],
            ..Default::default()
        })
        .unwrap();
        assert!(decode_limited::<SyncRequest>(&big, 64 << 10).is_ok());
        assert!(matches!(
            decode_limited::<SyncRequest>(&big, 1000).unwrap_err(),
            WireError::TooLarge(_)
        ));
    }
}
