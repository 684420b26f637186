//! Fuzz target `import_xlsx`: runs libFuzzer's inputs through `gocua_fuzz::import_xlsx` (see fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gocua_fuzz::import_xlsx(data));
