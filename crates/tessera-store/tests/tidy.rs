//! Tidy checks of the store crates: every Rust file starts with a `//!`
//! module doc, and only the backend crates mention SQL connections.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

fn store_crates() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    [
        "tessera-store",
        "tessera-store-sqlite",
        "tessera-store-postgres",
    ]
    .iter()
    .map(|name| crates.join(name))
    .collect()
}

#[test]
fn every_module_starts_with_a_module_doc() {
    let mut files = Vec::new();
    for krate in store_crates() {
        rust_files(&krate.join("src"), &mut files);
        rust_files(&krate.join("tests"), &mut files);
    }
    assert!(
        files.len() >= 8,
        "the store crates were not found: {files:?}"
    );
    let undocumented: Vec<_> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.starts_with("//!")
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "modules without a `//!` doc: {undocumented:?}"
    );
}

#[test]
fn the_boundary_crate_knows_no_sql() {
    let mut files = Vec::new();
    rust_files(&store_crates()[0].join("src"), &mut files);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for word in ["SELECT ", "INSERT ", "rusqlite", "postgres::"] {
            assert!(!text.contains(word), "{} mentions `{word}`", path.display());
        }
    }
}
