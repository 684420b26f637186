//! Fuzz target `import_csv`: runs libFuzzer's inputs through `gocua_fuzz::import_csv` (see fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gocua_fuzz::import_csv(data));
