//! Fuzz target `pairing`: runs libFuzzer's inputs through `gocua_fuzz::pairing_text` (see fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gocua_fuzz::pairing_text(data));
