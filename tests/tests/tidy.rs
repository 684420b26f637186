//! Tidy checks that keep the architecture's invariants true: module docs everywhere, a pure
//! domain crate, SQL only in the store, no ignored tests.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !matches!(name, "target" | "node_modules" | ".git" | "fixtures") {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in ["crates", "tests", "src-tauri", "fuzz"] {
        rust_files(&root().join(d), &mut v);
    }
    assert!(v.len() > 20, "found only {} Rust files", v.len());
    v
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|p| {
            !std::fs::read_to_string(p)
                .unwrap_or_default()
                .starts_with("//!")
        })
        .map(|p| p.strip_prefix(root()).unwrap_or(&p).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` first line: {missing:?}"
    );
}

fn deps_of(krate: &str) -> String {
    let toml = std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml"))
        .expect("Cargo.toml");
    // Only the [dependencies] table: dev-dependencies may use anything.
    let start = toml
        .find("[dependencies]")
        .map(|i| i + "[dependencies]".len())
        .unwrap_or(toml.len());
    let rest = &toml[start..];
    rest[..rest.find("\n[").unwrap_or(rest.len())].to_string()
}

#[test]
fn the_domain_crate_does_no_io() {
    let deps = deps_of("domain");
    for banned in [
        "rusqlite",
        "tokio",
        "tauri",
        "axum",
        "reqwest",
        "automerge",
        "hyper",
        "gocua-store",
    ] {
        assert!(
            !deps.contains(banned),
            "gocua-domain must not depend on {banned}"
        );
    }
    for f in sources()
        .iter()
        .filter(|p| p.starts_with(root().join("crates/domain")))
    {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for banned in ["std::fs", "std::net", "std::process", "SystemTime::now"] {
            assert!(
                !text.contains(banned),
                "{} uses {banned}: the domain crate is pure",
                f.display()
            );
        }
    }
}

#[test]
fn the_sync_protocol_crate_moves_no_bytes() {
    let deps = deps_of("sync");
    for banned in [
        "rusqlite",
        "tokio",
        "axum",
        "reqwest",
        "hyper",
        "gocua-store",
    ] {
        assert!(
            !deps.contains(banned),
            "gocua-sync must not depend on {banned}"
        );
    }
}

#[test]
fn only_the_store_speaks_sql() {
    for krate in [
        "domain", "wardgen", "sync", "app", "hub", "client", "cli", "province",
    ] {
        assert!(
            !deps_of(krate).contains("rusqlite"),
            "gocua-{krate} must not depend on rusqlite"
        );
    }
    for f in sources() {
        if f.starts_with(root().join("crates/store")) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let marker = ["rusqlite", "::"].concat();
        assert!(
            !text.contains(&marker),
            "{} uses rusqlite: only the store crate speaks SQL",
            f.display()
        );
    }
}

#[test]
fn no_test_is_ignored() {
    let marker = ["#[", "ignore]"].concat();
    for f in sources() {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(!text.contains(&marker), "{} ignores a test", f.display());
    }
}

#[test]
fn migrations_are_numbered_and_contiguous() {
    let dir = root().join("crates/store/migrations");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("migrations")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    for (i, n) in names.iter().enumerate() {
        assert!(
            n.starts_with(&format!("{:04}_", i + 1)),
            "migration {n} out of sequence"
        );
    }
    let lib = std::fs::read_to_string(root().join("crates/store/src/db.rs")).expect("db.rs");
    for n in &names {
        assert!(
            lib.contains(n.as_str()),
            "migration {n} is not applied by db.rs"
        );
    }
}

#[test]
fn province_migrations_are_numbered_contiguous_and_applied() {
    let dir = root().join("crates/province/migrations");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("province migrations")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no migrations in {}", dir.display());
    let schema =
        std::fs::read_to_string(root().join("crates/province/src/schema.rs")).expect("schema.rs");
    for (i, n) in names.iter().enumerate() {
        assert!(
            n.starts_with(&format!("{:04}_", i + 1)),
            "province migration {n} out of sequence"
        );
        assert!(
            schema.contains(n.as_str()),
            "province migration {n} is not applied by schema.rs"
        );
    }
}

#[test]
fn only_the_province_crate_speaks_postgres() {
    for krate in [
        "domain", "wardgen", "sync", "store", "app", "hub", "client", "shell",
    ] {
        assert!(
            !deps_of(krate).contains("postgres"),
            "gocua-{krate} must not depend on a PostgreSQL client"
        );
    }
}
