//! Fuzz target `wire`: runs libFuzzer's inputs through `gocua_fuzz::wire_frames` (see fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gocua_fuzz::wire_frames(data));
