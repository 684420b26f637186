//! Embeds the office dashboard (`ui/dist`, built by `npm run build` in `ui/`) into the hub
//! binary when `ui/dist/office.html` exists: writes `OUT_DIR/office_ui.rs`, a table of
//! `(path, bytes)` built with `include_bytes!`. Without a built UI the table is empty and the
//! hub answers `/office/` with a page saying how to build it.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            walk(&path, root, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, path));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let ui = manifest.join("../../ui");
    let dist = ui.join("dist");
    let mut files = Vec::new();
    if dist.join("office.html").is_file() {
        // Any change in the built files embeds them again.
        println!("cargo:rerun-if-changed={}", dist.display());
        walk(&dist, &dist, &mut files);
    } else {
        // Not built yet: notice when it is (watching a missing path would rerun every build).
        println!("cargo:rerun-if-changed={}", ui.display());
    }
    let mut code = String::from(
        "/// The built dashboard's files by path under `ui/dist` (empty when it was not built).\n\
         pub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (rel, path) in &files {
        let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
        code.push_str(&format!(
            "    ({rel:?}, include_bytes!({:?})),\n",
            abs.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("out dir")).join("office_ui.rs");
    std::fs::write(out, code).expect("write office_ui.rs");
}
