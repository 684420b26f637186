//! Build script: checks that the UI was built (it is embedded) and runs Tauri's code generation.

fn main() {
    let index = std::path::Path::new("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !index.is_file() {
        panic!(
            "the phone app embeds the built UI, and ui/dist/index.html is missing: \
             run `npm ci && npm run build` in ui/ first (scripts/test-all does)"
        );
    }
    tauri_build::build();
}
