//! Fuzz target `hub_round`: runs libFuzzer's inputs through `gocua_fuzz::hub_round` (see fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gocua_fuzz::hub_round(data));
