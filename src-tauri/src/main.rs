//! Desktop entry point of the phone app (Linux for development and tests); phones enter through
//! `gocua_phone::run` as the mobile entry point.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    gocua_phone::run();
}
