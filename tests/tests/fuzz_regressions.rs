//! Replays the fuzz targets' committed inputs on stable: every seed (`fuzz/seeds/`) and every
//! crasher kept as a regression (`fuzz/regressions/`) goes through the same check the fuzz
//! target runs (`fuzz/src/lib.rs`, included here), so plain `cargo test` keeps them fixed.
//! `UPDATE_FUZZ_WARD=1` freezes the generated ward again (`fuzz/ward.bin`; the store and hub
//! inputs kept so far then name changes that no longer exist), and a second run with
//! `UPDATE_FUZZ_SEEDS=1` writes the seed corpus again from the real encoders.

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

#[test]
fn the_frozen_ward_is_the_generated_one() {
    let fresh = checks::freeze_ward();
    let path = fuzz_dir().join("ward.bin");
    if std::env::var_os("UPDATE_FUZZ_WARD").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    // The bytes differ (actors, times); the documents and their order must not.
    let names = |b: &[u8]| -> Vec<String> {
        let mut out = Vec::new();
        let mut b = b;
        while b.len() >= 4 {
            let n = u32::from_le_bytes(b[..4].try_into().unwrap()) as usize;
            out.push(String::from_utf8_lossy(&b[4..4 + n]).to_string());
            b = &b[4 + n..];
            let m = u32::from_le_bytes(b[..4].try_into().unwrap()) as usize;
            b = &b[4 + m..];
        }
        out
    };
    let frozen = std::fs::read(&path).unwrap();
    assert_eq!(
        names(&frozen),
        names(&fresh),
        "refreeze with UPDATE_FUZZ_WARD=1"
    );
    assert!(names(&frozen).len() >= 5);
}

#[test]
fn seeds_pass_their_checks() {
    let dir = fuzz_dir().join("seeds");
    if std::env::var_os("UPDATE_FUZZ_SEEDS").is_some() {
        for (target, name, bytes) in checks::seeds() {
            let d = dir.join(target);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(name), bytes).unwrap();
        }
    }
    let n = checks::replay_dir(&dir);
    assert!(n >= 30, "only {n} seeds under {}", dir.display());
    // Every target has seeds.
    for (target, _) in checks::TARGETS {
        let count = std::fs::read_dir(dir.join(target)).map_or(0, |d| d.count());
        assert!(count > 0, "no seeds for {target}");
    }
}

#[test]
fn kept_crashers_stay_fixed() {
    let n = checks::replay_dir(&fuzz_dir().join("regressions"));
    assert!(n > 0, "no regression inputs under fuzz/regressions");
}

/// The checks do check: inputs that break a property are caught (a test that cannot fail is
/// no test).
#[test]
fn the_checks_catch_what_they_promise() {
    // A frame made from a valid body decodes; a flipped payload byte is refused by its CRC.
    let req = gocua_sync::wire::SyncRequest {
        batch: 3,
        ..Default::default()
    };
    let frame = gocua_sync::wire::encode(&req).unwrap();
    assert_eq!(
        gocua_sync::wire::decode::<gocua_sync::wire::SyncRequest>(&checks::frame_body(
            &frame[14..],
            true
        )),
        Ok(req)
    );
    let mut bad = frame.clone();
    bad[14] = 4; // the batch number, the body's first byte
    assert!(gocua_sync::wire::decode::<gocua_sync::wire::SyncRequest>(&bad).is_err());
    checks::fix_frame_crc(&mut bad);
    assert_eq!(
        gocua_sync::wire::decode::<gocua_sync::wire::SyncRequest>(&bad).map(|r| r.batch),
        Ok(4)
    );
    // The chunk fix-up makes a mutated Automerge chunk pass its checksum again.
    let mut doc = automerge::AutoCommit::new();
    automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "id", "h-x").unwrap();
    let mut saved = doc.save();
    let last = saved.len() - 1;
    saved[last] ^= 0x01;
    let strict = || automerge::LoadOptions::new().on_partial_load(automerge::OnPartialLoad::Error);
    let broken = automerge::Automerge::load_with_options(&saved, strict());
    checks::fix_chunk_checksums(&mut saved);
    let fixed = automerge::Automerge::load_with_options(&saved, strict());
    assert!(
        broken.is_err() && format!("{:?}", fixed.err()) != format!("{:?}", broken.err()),
        "the checksum fix-up changes nothing"
    );
    // A workbook made around worksheet XML imports.
    let sheet = checks::sheet_xml(
        &[
            vec![
                "Tổ dân phố".into(),
                "Đường/Ngõ".into(),
                "Số nhà".into(),
                "Chủ hộ".into(),
                "Họ và tên".into(),
                "Năm sinh".into(),
            ],
            vec![
                "5".into(),
                "Ngõ 12".into(),
                "12".into(),
                "An".into(),
                "Nguyễn Văn An".into(),
                "1960".into(),
            ],
        ],
        &[],
    );
    let list = gocua_app::import::parse_xlsx_bytes(
        &checks::workbook(sheet.as_bytes(), None),
        gocua_domain::Lang::Vi,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(list.households.len(), 1, "{list:?}");
}
