//! Fuzz target `store_merge`: runs libFuzzer's inputs through `gocua_fuzz::store_merge` (see fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gocua_fuzz::store_merge(data));
