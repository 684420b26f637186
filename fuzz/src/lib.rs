//! What each fuzz target checks, shared by the libFuzzer targets (`fuzz/fuzz_targets/`) and the
//! stable replay test (`tests/tests/fuzz_regressions.rs`, which includes this file by `#[path]`),
//! so `cargo test` runs every seed and every kept crasher through the very same checks.
//!
//! A check takes untrusted bytes and panics only when a property the product promises fails:
//! no panic or hang in the decoder, decode → encode → decode gives the same value, and a refused
//! input changes nothing in the replica. The first byte of an input often picks a mode that
//! helps the fuzzer past a checksum (a frame's CRC-32, an Automerge chunk's SHA-256) or a
//! container (a workbook's zip), so it reaches the parsers behind them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gocua_app::import::{self, ImportError, ParsedList};
use gocua_domain::{HouseholdId, Lang, Role, TeamId, Timestamp};
use gocua_store::{ChangeHash, Durability, Store, StoreOptions};
use gocua_sync::api::{ErrorBody, PairRequest, PairResponse, StatusResponse};
use gocua_sync::pairing::{self, PairingPayload};
use gocua_sync::wire::{self, DocResult, SyncRequest, SyncResponse, WireError};
use gocua_sync::{Access, HubLimits, MergePolicy, PhoneSession, Replica};

/// A target's check.
pub type Check = fn(&[u8]);

/// Every target: its name (the fuzz target's and its folders') and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("wire", wire_frames),
    ("api_json", api_json),
    ("pairing", pairing_text),
    ("import_csv", import_csv),
    ("import_xlsx", import_xlsx),
    ("store_merge", store_merge),
    ("hub_round", hub_round),
];

/// The body bound the hub gives the smallest device (`HttpLimits::body_for`'s floor).
pub const DEVICE_MAX_BODY: usize = 2 << 20;

// ---------------------------------------------------------------------------------------------
// (1) Wire frames

/// Frames `body` as the encoder would, compressed or not, whatever the body holds: lets the
/// fuzzer's bytes reach the postcard decoder behind the CRC.
pub fn frame_body(body: &[u8], compress: bool) -> Vec<u8> {
    let (flags, payload) = if compress {
        (1u8, zstd::bulk::compress(body, 1).expect("zstd compresses"))
    } else {
        (0u8, body.to_vec())
    };
    let mut out = wire::MAGIC.to_vec();
    out.push(wire::WIRE_VERSION);
    out.push(flags);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&payload);
    fix_frame_crc(&mut out);
    out
}

/// Rewrites a frame's CRC-32 (over version, flags, length and payload) to match its bytes.
pub fn fix_frame_crc(frame: &mut [u8]) {
    if frame.len() < 14 {
        return;
    }
    let mut h = crc32fast::Hasher::new();
    h.update(&frame[4..10]);
    h.update(&frame[14..]);
    let crc = h.finalize().to_le_bytes();
    frame[10..14].copy_from_slice(&crc);
}

/// Input byte 0 picks how the rest becomes a frame: bits 1–2 are 0 the frame as it is, 1 the
/// frame with its CRC made right, 2 a body framed plain, 3 a body framed compressed.
fn frame_from(mode: u8, rest: &[u8]) -> Vec<u8> {
    match (mode >> 1) & 3 {
        0 => rest.to_vec(),
        1 => {
            let mut f = rest.to_vec();
            fix_frame_crc(&mut f);
            f
        }
        2 => frame_body(rest, false),
        _ => frame_body(rest, true),
    }
}

fn check_wire_error(e: &WireError) {
    assert!(e.code().starts_with("wire."), "{e:?}");
    assert!(!e.message_vi().is_empty() && !e.to_string().is_empty());
}

/// Decodes a frame into a request (bit 0 clear: with a device's bound, as the hub does) or a
/// response (bit 0 set: as the phone does); what decodes must encode and decode to itself.
pub fn wire_frames(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let frame = frame_from(mode, rest);
    if mode & 1 == 0 {
        match wire::decode_limited::<SyncRequest>(&frame, DEVICE_MAX_BODY) {
            Ok(req) => {
                // A larger bound never refuses what a smaller one took.
                assert_eq!(wire::decode::<SyncRequest>(&frame).as_ref(), Ok(&req));
                let again = wire::encode(&req).expect("a decoded request encodes");
                assert_eq!(
                    wire::decode_limited::<SyncRequest>(&again, DEVICE_MAX_BODY),
                    Ok(req),
                    "request round trip"
                );
            }
            Err(e) => check_wire_error(&e),
        }
    } else {
        match wire::decode::<SyncResponse>(&frame) {
            Ok(resp) => {
                let again = wire::encode(&resp).expect("a decoded response encodes");
                assert_eq!(
                    wire::decode::<SyncResponse>(&again),
                    Ok(resp),
                    "response round trip"
                );
            }
            Err(e) => check_wire_error(&e),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (2) JSON bodies of the HTTP API

fn json_round_trip<T>(data: &[u8]) -> Option<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let value: T = serde_json::from_slice(data).ok()?;
    let text = serde_json::to_vec(&value).expect("a parsed body serializes");
    let again: T = serde_json::from_slice(&text).expect("a serialized body parses");
    assert_eq!(again, value, "JSON round trip");
    Some(value)
}

/// The pairing request the hub parses from an unpaired device, and the answers a phone parses
/// from its hub; with what the hub derives from a pairing request (join code, device name).
pub fn api_json(data: &[u8]) {
    if let Some(req) = json_round_trip::<PairRequest>(data) {
        let code = pairing::normalize_join_code(&req.code);
        assert_eq!(
            pairing::normalize_join_code(&code),
            code,
            "normalizing twice"
        );
        if let Some((name, secret)) = pairing::split_join_code(&req.code) {
            assert_eq!(name.len() + secret.len(), pairing::JOIN_CODE_LEN);
            assert_eq!(format!("{name}{secret}"), code);
        }
        let shown = gocua_domain::text::normalize_display(&req.device_name);
        let _: String = shown.chars().take(60).collect();
    }
    json_round_trip::<PairResponse>(data);
    json_round_trip::<StatusResponse>(data);
    json_round_trip::<ErrorBody>(data);
}

// ---------------------------------------------------------------------------------------------
// (3) Pairing payloads and join codes

/// A scanned or pasted text as the phone reads it: the payload, and the same text as a typed
/// join code or fingerprint.
pub fn pairing_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match PairingPayload::parse(&text) {
        Ok(p) => {
            // Escaping can make the URI longer than the text it was read from; past the limit
            // the phone refuses it as it refuses any over-long scan.
            let uri = p.to_uri();
            let back = PairingPayload::parse(&uri);
            if uri.len() <= pairing::MAX_URI_LEN {
                assert_eq!(back.as_ref(), Ok(&p), "payload round trip via {uri}");
            } else {
                assert_eq!(back, Err(pairing::PairingError::TooLong));
            }
            let _ = p.is_expired(0);
        }
        Err(e) => {
            assert!(e.code().starts_with("pairing."));
            assert!(!e.message(true).is_empty() && !e.message(false).is_empty());
        }
    }
    match pairing::format_join_code(&text) {
        Ok(shown) => {
            assert_eq!(pairing::format_join_code(&shown).as_ref(), Ok(&shown));
            let (name, secret) = pairing::split_join_code(&text).expect("a valid code splits");
            assert_eq!(shown, format!("{name}-{secret}"));
        }
        Err(_) => assert!(pairing::split_join_code(&text).is_none()),
    }
    if let Ok(fp) = pairing::parse_fingerprint(&text) {
        assert_eq!(
            pairing::parse_fingerprint(&pairing::fingerprint_hex(&fp)),
            Ok(fp)
        );
        assert_eq!(pairing::parse_fingerprint(&hex_lower(&fp)), Ok(fp));
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// (4, 5) CSV and XLSX import

/// Parses in both languages: the lists must be the same but for the messages, progress must
/// run forward to its total, and what a list holds must hang together.
fn check_import(
    parse: impl Fn(Lang, &mut dyn FnMut(usize, usize)) -> Result<ParsedList, ImportError>,
) {
    let mut calls = Vec::new();
    let vi = parse(Lang::Vi, &mut |done, total| calls.push((done, total)));
    let en = parse(Lang::En, &mut |_, _| {});
    match (&vi, &en) {
        (Ok(a), Ok(b)) => {
            check_list(a);
            assert_eq!(without_messages(a), without_messages(b), "languages differ");
            for w in calls.windows(2) {
                assert!(w[0].0 <= w[1].0 && w[0].1 == w[1].1, "progress {calls:?}");
            }
            if let Some(&(done, total)) = calls.last() {
                assert_eq!(done, total, "progress ends at its total");
            }
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.code(), b.code());
            assert!(!a.message(Lang::Vi).is_empty() && !a.message(Lang::En).is_empty());
        }
        _ => panic!("one language refused what the other took: {vi:?} / {en:?}"),
    }
}

fn without_messages(list: &ParsedList) -> ParsedList {
    let mut l = list.clone();
    for e in &mut l.errors {
        e.message.clear();
    }
    l
}

fn check_list(list: &ParsedList) {
    use std::collections::HashSet;
    let groups: HashSet<&str> = list.groups.iter().map(|g| g.id.as_str()).collect();
    let streets: HashSet<&str> = list.streets.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(groups.len(), list.groups.len(), "duplicate group ids");
    assert_eq!(streets.len(), list.streets.len(), "duplicate street ids");
    for s in &list.streets {
        assert!(groups.contains(s.group.as_str()), "street of no group");
    }
    let mut households = HashSet::new();
    for h in &list.households {
        assert!(
            households.insert(h.id.as_str()),
            "duplicate household {}",
            h.id
        );
        assert!(
            streets.contains(h.street.as_str()),
            "household on no street"
        );
        assert!(groups.contains(h.group.as_str()), "household in no group");
        let mut residents = HashSet::new();
        for r in &h.residents {
            assert!(
                residents.insert(r.id.as_str()),
                "duplicate resident {}",
                r.id
            );
        }
    }
    let residents: usize = list.households.iter().map(|h| h.residents.len()).sum();
    assert!(
        residents <= list.rows,
        "{residents} residents from {} rows",
        list.rows
    );
    for e in &list.errors {
        assert!(
            e.row >= 1 && !e.code.is_empty() && !e.message.is_empty(),
            "{e:?}"
        );
    }
}

/// CSV bytes as an upload gives them.
pub fn import_csv(data: &[u8]) {
    check_import(|lang, progress| import::parse_csv(data, lang, progress));
}

/// A workbook: byte 0 even, the rest is the file; odd, the rest is a worksheet's XML and,
/// after a NUL, its shared strings, put in a workbook here (so the fuzzer works on the XML
/// rather than on the zip's checksums).
pub fn import_xlsx(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = if mode & 1 == 0 {
        rest.to_vec()
    } else {
        let (sheet, strings) = match rest.iter().position(|&b| b == 0) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        workbook(sheet, strings)
    };
    quiet_panics_inside(|| {
        check_import(|lang, progress| import::parse_xlsx_bytes(&file, lang, progress))
    });
}

/// Runs `f` with panics silenced and contained: the product catches panics of third-party
/// decoders on purpose (the XLSX reader, Automerge in a store write: a damaged input is an
/// error, not a crashed hub), but libFuzzer's panic hook would abort on them before they are
/// caught. Any panic that gets out of `f` is still a failure, with its message.
fn quiet_panics_inside(f: impl FnOnce() + std::panic::UnwindSafe) {
    use std::sync::Once;
    static HOOK: Once = Once::new();
    thread_local! {
        static LAST: RefCell<String> = const { RefCell::new(String::new()) };
        static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    HOOK.call_once(|| {
        let outer = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) {
                LAST.with(|l| *l.borrow_mut() = format!("{info}"));
            } else {
                outer(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let out = std::panic::catch_unwind(f);
    QUIET.with(|q| q.set(false));
    if out.is_err() {
        let msg = LAST.with(|l| l.borrow().clone());
        panic!("a panic escaped the code under test: {msg}");
    }
}

/// A minimal workbook (one sheet "Danh sách") around the given worksheet XML, stored uncompressed.
pub fn workbook(sheet: &[u8], shared_strings: Option<&[u8]>) -> Vec<u8> {
    const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Danh sách" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
    const TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    if let Some(s) = shared_strings {
        parts.push(("xl/sharedStrings.xml", s));
    }
    stored_zip(&parts)
}

/// A zip archive of uncompressed entries.
fn stored_zip(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in parts {
        let crc = crc32fast::hash(data);
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&0u16.to_le_bytes()); // stored
            v.extend_from_slice(&0u32.to_le_bytes()); // time, date
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend_from_slice(&[0; 6]); // comment, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(parts.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// Worksheet XML of rows of text cells (inline strings), with numbers for cells that are all
/// digits and the given merged ranges: a seed for [`import_xlsx`]'s XML mode.
pub fn sheet_xml(rows: &[Vec<String>], merged: &[&str]) -> String {
    fn col(mut i: usize) -> String {
        let mut s = Vec::new();
        loop {
            s.push(b'A' + (i % 26) as u8);
            if i < 26 {
                break;
            }
            i = i / 26 - 1;
        }
        s.reverse();
        String::from_utf8(s).unwrap_or_default()
    }
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        out.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let at = format!("{}{}", col(c), r + 1);
            if v.len() < 6 && v.bytes().all(|b| b.is_ascii_digit()) {
                out.push_str(&format!(r#"<c r="{at}"><v>{v}</v></c>"#));
            } else {
                out.push_str(&format!(
                    r#"<c r="{at}" t="inlineStr"><is><t>{}</t></is></c>"#,
                    esc(v)
                ));
            }
        }
        out.push_str("</row>");
    }
    out.push_str("</sheetData>");
    if !merged.is_empty() {
        out.push_str(&format!(r#"<mergeCells count="{}">"#, merged.len()));
        for m in merged {
            out.push_str(&format!(r#"<mergeCell ref="{m}"/>"#));
        }
        out.push_str("</mergeCells>");
    }
    out.push_str("</worksheet>");
    out
}

// ---------------------------------------------------------------------------------------------
// (6, 7) The replica: merging a peer's bytes, and a whole hub round

/// Rewrites the checksum of each Automerge chunk (document or change) in `bytes` to match its
/// data, so mutated chunks get past the checksum to the parser. Compressed chunks, whose
/// checksum covers their inflated bytes, are left alone.
pub fn fix_chunk_checksums(bytes: &mut [u8]) {
    use sha2::Digest;
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    let mut at = 0;
    while bytes.len() >= at + 9 && bytes[at..at + 4] == MAGIC {
        let kind = bytes[at + 8];
        let (mut len, mut shift, mut i) = (0u64, 0u32, at + 9);
        loop {
            let Some(&b) = bytes.get(i) else { return };
            i += 1;
            if shift < 64 {
                len |= u64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        let Ok(len) = usize::try_from(len) else {
            return;
        };
        let end = i.saturating_add(len).min(bytes.len());
        if kind != 2 {
            let mut h = sha2::Sha256::new();
            h.update([kind]);
            let mut n = (end - i) as u64;
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    h.update([b]);
                    break;
                }
                h.update([b | 0x80]);
            }
            h.update(&bytes[i..end]);
            let sum = h.finalize();
            bytes[at + 4..at + 8].copy_from_slice(&sum[..4]);
        }
        if end <= at {
            return;
        }
        at = end;
    }
}

/// A small generated ward, written once per process into a template replica; each check runs
/// on a working copy, made again from the template whenever an input changed it.
struct Ward {
    _dir: tempfile::TempDir,
    template: PathBuf,
    work: PathBuf,
    store: Option<Store>,
    /// Fingerprint of the template (what an unchanged working copy shows).
    pristine: String,
    households: Vec<String>,
    team: TeamId,
    /// Real incremental bytes (a new visit) for `households[2]`.
    visit_change: Vec<u8>,
}

const WARD_SEED: u64 = 9;
const WARD_HOUSEHOLDS: usize = 6;
const DEVICE: &str = "d-fuzz";

fn options() -> StoreOptions {
    StoreOptions {
        durability: Durability::Normal,
        ..StoreOptions::default()
    }
}

fn scratch_dir() -> tempfile::TempDir {
    // Memory-backed when the machine has it: the store writes on every input.
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::Builder::new()
            .prefix("gocua-fuzz")
            .tempdir_in(shm)
    {
        return d;
    }
    tempfile::Builder::new()
        .prefix("gocua-fuzz")
        .tempdir()
        .expect("temp dir")
}

/// The generated ward, frozen: its documents as the real store saved them (`fuzz/ward.bin`,
/// written by [`freeze_ward`]). Automerge stamps changes with the writer's actor and the time,
/// so a ward generated afresh would have new change hashes on every run, and a kept input
/// that names them would mean something else; from frozen bytes it means the same forever.
const FROZEN_WARD: &[u8] = include_bytes!("../ward.bin");

/// Entries of a frozen ward: `team`, then each document (`plan` and the households, the
/// team's first), then `visit` (a new visit's change for the third household).
fn frozen_entries(mut b: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let take = |b: &mut &[u8]| -> Option<Vec<u8>> {
        let n = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
        let v = b.get(4..4 + n)?.to_vec();
        *b = &b[4 + n..];
        Some(v)
    };
    while let (Some(k), Some(v)) = (take(&mut b), take(&mut b)) {
        out.push((String::from_utf8(k).expect("entry name"), v));
    }
    out
}

/// Generates the ward, loads it into a real store, and writes what [`Ward::new`] reads.
pub fn freeze_ward() -> Vec<u8> {
    let g = gocua_wardgen::generate(
        &gocua_wardgen::WardSpec::small(WARD_SEED).with_households(WARD_HOUSEHOLDS),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open_with(&dir.path().join("w.sqlite"), options()).expect("replica");
    store.load_ward(&g, |_, _| {}).expect("load ward");
    let team = g.teams[0].id.clone();
    let mut households = store.households_of_team(&team).expect("team's households");
    for h in &g.households {
        if !households.contains(&h.id.to_string()) {
            households.push(h.id.to_string());
        }
    }
    assert!(
        households.len() >= 3,
        "a ward of {WARD_HOUSEHOLDS} households"
    );
    let mut entries = vec![("team".to_string(), team.to_string().into_bytes())];
    for id in std::iter::once("plan").chain(households.iter().map(String::as_str)) {
        let bytes = store.doc_bytes(id).expect("doc bytes").expect("doc");
        entries.push((id.to_string(), bytes));
    }
    // A real visit's change for households[2].
    let hid = HouseholdId::parse(&households[2]).expect("household id");
    let before = store.doc_heads(&households[2]).unwrap().unwrap_or_default();
    let h = store.household_state(&hid).expect("household").household;
    let volunteer = g
        .volunteers
        .iter()
        .find(|v| v.team.is_some())
        .expect("a volunteer");
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(WARD_SEED);
    let v = gocua_wardgen::random_visit(&mut rng, &h, volunteer, Timestamp(1_795_348_800));
    store.record_visit(&v).expect("record visit");
    let change = store
        .changes_since(&households[2], &before)
        .expect("changes");
    entries.push(("visit".to_string(), change));
    let mut out = Vec::new();
    for (k, v) in entries {
        for part in [k.as_bytes(), &v] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

impl Ward {
    fn new() -> Ward {
        let entries = frozen_entries(FROZEN_WARD);
        let get = |k: &str| entries.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let team = TeamId::parse(&String::from_utf8(get("team").expect("frozen ward")).unwrap())
            .expect("team id");
        let visit_change = get("visit").expect("frozen visit");
        let docs: Vec<(String, Vec<u8>)> = entries
            .iter()
            .filter(|(k, _)| k != "team" && k != "visit")
            .cloned()
            .collect();
        let households: Vec<String> = docs
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| k != "plan")
            .collect();
        let dir = scratch_dir();
        let template = dir.path().join("template.sqlite");
        let mut store = Store::open_with(&template, options()).expect("template replica");
        store
            .merge_remote_many(&docs)
            .expect("the frozen ward loads");
        drop(store);
        let work = dir.path().join("work.sqlite");
        let mut w = Ward {
            _dir: dir,
            template,
            work,
            store: None,
            pristine: String::new(),
            households,
            team,
            visit_change,
        };
        w.reset();
        let households = w.households.clone();
        w.pristine = fingerprint(w.store(), &households);
        w
    }

    fn store(&mut self) -> &mut Store {
        self.store.as_mut().expect("working replica open")
    }

    /// A fresh working copy of the template.
    fn reset(&mut self) {
        self.store = None;
        for side in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{side}", self.work.display()));
        }
        std::fs::copy(&self.template, &self.work).expect("copy template");
        self.store = Some(Store::open_with(&self.work, options()).expect("working replica"));
    }

    /// Ends an input: after a refusal, checks that the working copy is still pristine (every
    /// input starts on a pristine copy, so that is its state before); after an accepted input,
    /// makes the copy pristine again.
    fn settle(&mut self, refused: Option<String>) {
        let Some(code) = refused else {
            self.reset();
            return;
        };
        let households = self.households.clone();
        let after = fingerprint(self.store(), &households);
        if after != self.pristine {
            self.reset();
            panic!("refused ({code}) but the replica changed");
        }
    }
}

thread_local! {
    static WARD: RefCell<Option<Ward>> = const { RefCell::new(None) };
}

fn with_ward<T>(f: impl FnOnce(&mut Ward) -> T) -> T {
    WARD.with(|w| {
        let mut w = w.borrow_mut();
        f(w.get_or_insert_with(Ward::new))
    })
}

/// Everything a refused input must leave as it was: every document's heads, sequence and
/// stored bytes, the projection, and what the replica records about the device.
fn fingerprint(store: &mut Store, households: &[String]) -> String {
    let mut out = String::new();
    for (id, heads, seq) in store.manifest().expect("manifest") {
        out.push_str(&format!("{id} {heads:?} {seq}\n"));
        out.push_str(&doc_fingerprint(store, &id));
    }
    out.push_str(&store.projection_dump(None).expect("projection"));
    out.push_str(&format!(
        "{:?}\n",
        store.peer_manifest(DEVICE).expect("peer")
    ));
    for h in households.iter().map(String::as_str).chain(["plan"]) {
        let state = store.sync_state(DEVICE, h).expect("sync state").encode();
        out.push_str(&format!("{h} {}\n", hex_lower(&state)));
    }
    out
}

fn doc_fingerprint(store: &Store, id: &str) -> String {
    let bytes = store.doc_bytes(id).expect("doc bytes").unwrap_or_default();
    use sha2::Digest;
    format!("{id} {}\n", hex_lower(&sha2::Sha256::digest(&bytes)))
}

/// Bytes a peer sent for one or two documents, merged as the hub merges a device's push
/// (`Replica::merge`, under a volunteer's or the trusted policy) or as a phone merges its hub's
/// answer (`merge_from_peer`). Byte 0: bits 0–1 the document (a household of the team, another
/// one, the plan, a household new to the replica); bit 2 a volunteer's policy; bit 3 chunk
/// checksums made right; bit 4 the phone's path; bit 5 a real visit for another household in
/// the same batch. A refusal must change nothing at all, that visit included.
pub fn store_merge(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    quiet_panics_inside(|| with_ward(|w| store_merge_on(w, mode, rest)));
}

fn store_merge_on(w: &mut Ward, mode: u8, rest: &[u8]) {
    {
        let doc = match mode & 3 {
            0 => w.households[0].clone(),
            1 => w.households[1].clone(),
            2 => "plan".to_string(),
            _ => "h-fuzznew".to_string(),
        };
        let mut bytes = rest.to_vec();
        if mode & 8 != 0 {
            fix_chunk_checksums(&mut bytes);
        }
        let mut items = vec![(doc.clone(), bytes)];
        if mode & 32 != 0 {
            items.push((w.households[2].clone(), w.visit_change.clone()));
        }
        let policy = if mode & 4 != 0 {
            MergePolicy {
                may_correct: false,
                may_set_campaign: false,
                authors: None,
            }
        } else {
            MergePolicy::TRUSTED
        };
        let store = w.store();
        store.set_merge_policy(policy);
        let out = if mode & 16 != 0 {
            let theirs = vec![None; items.len()];
            Replica::merge_from_peer(store, DEVICE, &items, &theirs)
        } else {
            Replica::merge(store, &items)
        };
        store.set_merge_policy(MergePolicy::TRUSTED);
        match &out {
            Ok(merged) => {
                assert_eq!(merged.len(), items.len());
                for ((id, _), m) in items.iter().zip(merged.iter()) {
                    let heads = store.doc_heads(id).expect("heads");
                    assert_eq!(heads.as_ref(), Some(&m.heads), "{id}: heads after merge");
                    // What was stored loads again, strictly.
                    let stored = store.doc_bytes(id).expect("bytes").unwrap_or_default();
                    automerge::Automerge::load_with_options(
                        &stored,
                        automerge::LoadOptions::new()
                            .on_partial_load(automerge::OnPartialLoad::Error),
                    )
                    .expect("a merged document loads strictly");
                }
            }
            Err(e) => assert!(!e.code.is_empty() && !e.message_vi.is_empty()),
        }
        w.settle(out.err().map(|e| e.code));
    }
}

/// A fuzzed sync request (byte 0: bits 1–2 as for [`wire_frames`], bits 3–4 the device's role:
/// a volunteer of team 1, its lead, the office) in one hub round on the generated ward, decoded
/// first as the hub decodes it. A refused round changes nothing; a document refused in the
/// answer is unchanged; the answer encodes and decodes to itself.
pub fn hub_round(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let frame = frame_from(mode, rest);
    let req = match wire::decode_limited::<SyncRequest>(&frame, DEVICE_MAX_BODY) {
        Ok(r) => r,
        Err(e) => return check_wire_error(&e),
    };
    quiet_panics_inside(|| with_ward(|w| hub_round_on(w, mode, req)));
}

fn hub_round_on(w: &mut Ward, mode: u8, req: SyncRequest) {
    {
        let role = match (mode >> 3) & 3 {
            0 | 3 => Role::Volunteer,
            1 => Role::Lead,
            _ => Role::Office,
        };
        let team = w.team.clone();
        let allowed = if role == Role::Office {
            w.households.iter().cloned().collect()
        } else {
            w.store()
                .households_of_team(&team)
                .expect("households of team")
                .into_iter()
                .collect()
        };
        let access = Access {
            peer: DEVICE.into(),
            can_write_plan: role.may_write_plan(),
            may_correct: role != Role::Volunteer,
            may_set_campaign: role == Role::Office,
            allowed,
            ..Default::default()
        };
        let docs_before: BTreeMap<String, String> = w
            .store()
            .manifest()
            .expect("manifest")
            .into_iter()
            .map(|(id, heads, _)| (id, format!("{heads:?}")))
            .collect();
        let store = w.store();
        let batch = req.batch;
        let out = gocua_sync::hub_round(
            store,
            &access,
            req,
            HubLimits {
                page_bytes: 64 << 10,
            },
        );
        match &out {
            Ok((resp, _)) => {
                assert_eq!(resp.batch, batch);
                for r in &resp.results {
                    if let DocResult::Refused { doc, code, .. } = r {
                        let now = store
                            .doc_heads(doc)
                            .expect("heads")
                            .map(|h: Vec<ChangeHash>| format!("{h:?}"));
                        assert_eq!(
                            now.as_ref(),
                            docs_before.get(doc),
                            "{doc} refused ({code}) but changed"
                        );
                    }
                }
                let frame = wire::encode(resp).expect("the answer encodes");
                assert_eq!(wire::decode::<SyncResponse>(&frame).as_ref(), Ok(resp));
            }
            Err(e) => assert!(!e.code.is_empty() && !e.message_vi.is_empty()),
        }
        w.settle(out.err().map(|e| format!("the whole round: {}", e.code)));
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds

/// A small seed corpus per target, made from real encoders and the generated ward:
/// `UPDATE_FUZZ_SEEDS=1 cargo test -p gocua-tests --test fuzz_regressions` writes it to
/// `fuzz/seeds/<target>/`.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut add =
        |t: &'static str, name: &str, bytes: Vec<u8>| out.push((t, name.to_string(), bytes));

    // Requests and responses as a phone and a hub exchange them on the generated ward.
    let (requests, responses) = exchange();
    for (i, req) in requests.iter().enumerate() {
        let frame = wire::encode(req).expect("encode");
        add(
            "wire",
            &format!("request-{i}"),
            [&[0u8][..], &frame].concat(),
        );
        add(
            "hub_round",
            &format!("request-{i}"),
            [&[0u8][..], &frame].concat(),
        );
        add(
            "hub_round",
            &format!("request-{i}-lead"),
            [&[8u8][..], &frame].concat(),
        );
        let body = &frame[14..];
        if frame[5] == 0 {
            add(
                "wire",
                &format!("request-{i}-body"),
                [&[4u8][..], body].concat(),
            );
            add(
                "hub_round",
                &format!("request-{i}-body"),
                [&[4u8][..], body].concat(),
            );
        }
    }
    for (i, resp) in responses.iter().enumerate() {
        let frame = wire::encode(resp).expect("encode");
        add(
            "wire",
            &format!("response-{i}"),
            [&[1u8][..], &frame].concat(),
        );
        if frame[5] == 0 {
            add(
                "wire",
                &format!("response-{i}-body"),
                [&[5u8][..], &frame[14..]].concat(),
            );
        }
    }

    add(
        "api_json",
        "pair-request",
        r#"{"code":"ABCD-EFGH23","device_name":"Điện thoại của Lan","actor":"0a1b2c"}"#.into(),
    );
    add(
        "api_json",
        "pair-response",
        r#"{"device_id":"d-1","token":"ab","role":"volunteer","team":"t-1","volunteer":"v-2","ward":"Phường Trúc Bạch"}"#.into(),
    );
    add(
        "api_json",
        "status",
        br#"{"ward":"W","device_id":"d-1","role":"lead","team":null,"documents":12,"last_batch":7}"#.to_vec(),
    );
    add(
        "api_json",
        "error",
        br#"{"code":"bad_json","message_vi":"Sai","message_en":"Wrong"}"#.to_vec(),
    );

    let payload = PairingPayload {
        version: pairing::PAIRING_VERSION,
        hub_urls: vec![
            "https://192.168.1.10:8443".into(),
            "https://[fe80::1]:8443/x".into(),
        ],
        cert_sha256: pairing::fingerprint(b"certificate"),
        join_code: pairing::new_join_code([7; 8]),
        expires_at: 1_795_348_800,
        ward: "Phường Trúc Bạch & Đông".into(),
    };
    add("pairing", "payload", payload.to_uri().into_bytes());
    add("pairing", "join-code", b"abcd efgh 23".to_vec());
    add(
        "pairing",
        "fingerprint",
        pairing::fingerprint_hex(&payload.cert_sha256).into_bytes(),
    );

    let template = template_rows();
    let csv: String = template
        .iter()
        .map(|r| r.join(",") + "\r\n")
        .collect::<String>();
    add("import_csv", "template", csv.clone().into_bytes());
    add(
        "import_csv",
        "template-semicolons-bom",
        [&b"\xEF\xBB\xBF"[..], csv.replace(',', ";").as_bytes()].concat(),
    );
    let registry = gocua_wardgen::registry_list(&gocua_wardgen::RegistrySpec::messy(3, 4));
    add("import_csv", "registry", registry.to_csv().into_bytes());

    let sheet = sheet_xml(&template, &["B2:B5", "C2:C5"]);
    add(
        "import_xlsx",
        "template-xml",
        [&[1u8][..], sheet.as_bytes()].concat(),
    );
    let strings = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>Họ và tên</t></si><si><t>Nguyễn Văn An</t></si></sst>"#;
    let shared = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Năm sinh</t></is></c></row><row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" s="1"><v>21916</v></c><c r="C2" t="b"><v>1</v></c><c r="D2" t="e"><v>#N/A</v></c></row></sheetData></worksheet>"#;
    add(
        "import_xlsx",
        "shared-strings-xml",
        [&[1u8][..], shared.as_bytes(), &[0], strings.as_bytes()].concat(),
    );
    add(
        "import_xlsx",
        "template-file",
        [&[0u8][..], &workbook(sheet.as_bytes(), None)].concat(),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("registry.xlsx");
    registry.write_xlsx(&path).expect("write registry workbook");
    add(
        "import_xlsx",
        "registry-file",
        [&[0u8][..], &std::fs::read(&path).expect("read")].concat(),
    );

    // Automerge bytes: saved documents, all of a document's changes, one new visit.
    let (saved, changes, visit) = with_ward(|w| {
        let h0 = w.households[0].clone();
        let saved = w.store().doc_bytes(&h0).unwrap().unwrap();
        let plan = w.store().doc_bytes("plan").unwrap().unwrap();
        let changes = w.store().changes_since(&h0, &[]).unwrap();
        ((saved, plan), changes, w.visit_change.clone())
    });
    add(
        "store_merge",
        "household-saved",
        [&[0u8][..], &saved.0].concat(),
    );
    add(
        "store_merge",
        "household-saved-as-new",
        [&[3u8][..], &saved.0].concat(),
    );
    add(
        "store_merge",
        "plan-saved-fix",
        [&[2u8 | 8][..], &saved.1].concat(),
    );
    add(
        "store_merge",
        "household-changes-volunteer",
        [&[4u8 | 8][..], &changes].concat(),
    );
    add(
        "store_merge",
        "other-household-changes-phone",
        [&[1u8 | 16 | 32][..], &changes].concat(),
    );
    add(
        "store_merge",
        "visit-into-wrong-household",
        [&[8u8 | 32][..], &visit].concat(),
    );
    let mut cut = visit.clone();
    cut.truncate(visit.len() * 2 / 3);
    add(
        "store_merge",
        "visit-truncated",
        [&[32u8][..], &cut].concat(),
    );
    out
}

/// The template layout's header and a few rows touching every column.
fn template_rows() -> Vec<Vec<String>> {
    let text = "STT,Tổ dân phố,Đường/Ngõ,Số nhà,Chủ hộ,Họ và tên,Năm sinh,Giới tính,Số CCCD,Số điện thoại,Loại,CCCD,Hồ sơ mức 2,Tài khoản,Hướng dẫn DVC
1,5,Ngõ 12 Trúc Bạch,12,Nguyễn Văn An,Nguyễn Văn An,1960,Nam,001060012345,0912 345 678,,đã có,có,mức 2,có
2,5,Ngõ 12 Trúc Bạch,12,Nguyễn Văn An,Trần Thị Bình,15/03/1965,Nữ,001165012346,,,đã có,có,mức 1,không
3,,,14,Lê Thị Dung,Lê Thị Dung,1948,Nữ,,+84 98 765 4321,,đã nộp,,,
4,Thôn Đông,Đường Phan Đình Phùng,1,Trường THCS Trúc Bạch,Phạm Văn Em,1990,Nam,079090012347,,Trường học,đã có,có,mức 2,có
5,Thôn Đông,Đường Phan Đình Phùng,1,Trường THCS Trúc Bạch,,2030,X,12,abc,,,,,";
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// A phone's first sync with the generated ward's hub and a push of a new visit: the requests
/// the phone sent and the answers it got.
fn exchange() -> (Vec<SyncRequest>, Vec<SyncResponse>) {
    let g = gocua_wardgen::generate(
        &gocua_wardgen::WardSpec::small(WARD_SEED).with_households(WARD_HOUSEHOLDS),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (team, allowed, hub_file) = with_ward(|w| {
        let team = w.team.clone();
        let allowed: std::collections::BTreeSet<String> = w
            .store()
            .households_of_team(&team)
            .unwrap()
            .into_iter()
            .collect();
        (team, allowed, w.template.clone())
    });
    let hub_path = dir.path().join("hub.sqlite");
    std::fs::copy(hub_file, &hub_path).expect("copy the frozen ward");
    let mut hub = Store::open_with(&hub_path, options()).expect("hub");
    let mut phone = Store::open_with(&dir.path().join("phone.sqlite"), options()).expect("phone");
    let access = Access {
        peer: DEVICE.into(),
        can_write_plan: false,
        allowed,
        ..Default::default()
    };
    let (mut requests, mut responses) = (Vec::new(), Vec::new());
    let mut batch = 0;
    let mut sync = |hub: &mut Store, phone: &mut Store| {
        let mut session = PhoneSession::new("hub");
        for _ in 0..8 {
            batch += 1;
            let Some(req) = session.next_request(phone, batch).expect("request") else {
                return;
            };
            requests.push(req.clone());
            let (resp, _) = gocua_sync::hub_round(
                hub,
                &access,
                req,
                HubLimits {
                    page_bytes: 16 << 10,
                },
            )
            .expect("round");
            responses.push(resp.clone());
            session.apply(phone, resp).expect("apply");
        }
    };
    sync(&mut hub, &mut phone);
    let hid = phone
        .manifest()
        .unwrap()
        .into_iter()
        .map(|m| m.0)
        .find(|d| d != "plan")
        .expect("a household on the phone");
    let h = phone
        .household_state(&HouseholdId::parse(&hid).unwrap())
        .unwrap()
        .household;
    let volunteer = g
        .volunteers
        .iter()
        .find(|v| v.team.as_ref() == Some(&team))
        .expect("a volunteer of the team");
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
    let v = gocua_wardgen::random_visit(&mut rng, &h, volunteer, Timestamp(1_795_349_000));
    phone.record_visit(&v).expect("visit");
    sync(&mut hub, &mut phone);
    (requests, responses)
}

/// Runs every file under `dir/<target>/` through its target's check; returns how many ran.
pub fn replay_dir(dir: &Path) -> usize {
    let mut n = 0;
    for (target, check) in TARGETS {
        let Ok(entries) = std::fs::read_dir(dir.join(target)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files.into_iter().filter(|f| f.is_file()) {
            let bytes = std::fs::read(&f).expect("read fuzz input");
            let name = f.display().to_string();
            if std::panic::catch_unwind(|| check(&bytes)).is_err() {
                panic!("{target}: {name} fails its check");
            }
            n += 1;
        }
    }
    n
}
