//! Fuzz target `api_json`: runs libFuzzer's inputs through `gocua_fuzz::api_json` (see fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gocua_fuzz::api_json(data));
