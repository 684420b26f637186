//! The Android project (`gen/android`, made by `tauri android init` and kept in the repository)
//! agrees with the app: the same identifier as `tauri.conf.json`, the camera permission the QR
//! pairing needs (wry asks for it at run time; Android refuses undeclared ones), no camera
//! required to install, and the Rust library the mobile entry point is built into.

use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn identifier() -> String {
    let conf: serde_json::Value = serde_json::from_str(&read("tauri.conf.json")).unwrap();
    conf["identifier"].as_str().expect("identifier").to_string()
}

#[test]
fn the_manifest_declares_the_camera_and_does_not_require_one() {
    let manifest = read("gen/android/app/src/main/AndroidManifest.xml");
    assert!(
        manifest.contains(r#"<uses-permission android:name="android.permission.CAMERA" />"#),
        "CAMERA permission missing"
    );
    assert!(
        manifest.contains(
            r#"<uses-feature android:name="android.hardware.camera" android:required="false" />"#
        ),
        "a phone without a camera must still install the app"
    );
    assert!(manifest.contains("android.permission.INTERNET"));
}

#[test]
fn the_gradle_project_builds_the_app_tauri_conf_names() {
    let gradle = read("gen/android/app/build.gradle.kts");
    let id = identifier();
    assert_eq!(id, "vn.gocua.app");
    assert!(
        gradle.contains(&format!("applicationId = \"{id}\"")),
        "applicationId"
    );
    assert!(
        gradle.contains(&format!("namespace = \"{id}\"")),
        "namespace"
    );
    let activity = read("gen/android/app/src/main/java/vn/gocua/app/MainActivity.kt");
    assert!(activity.starts_with("package vn.gocua.app"), "{activity}");
}

#[test]
fn the_library_is_built_for_the_mobile_entry_point() {
    let cargo = read("Cargo.toml");
    assert!(
        cargo.contains(r#"crate-type = ["staticlib", "cdylib", "rlib"]"#),
        "crate-type"
    );
    let lib = read("src/lib.rs");
    assert!(lib.contains("#[cfg_attr(mobile, tauri::mobile_entry_point)]"));
}
