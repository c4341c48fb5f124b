//! Workspace-wide tidy checks, run as ordinary tests: every Rust module
//! starts with `//!` documentation, and no source opts out of the rules
//! the project holds itself to.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/tessera sits two levels below the workspace root")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn workspace_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    assert!(files.len() > 20, "the workspace sources were not found");
    files
}

#[test]
fn every_rust_file_starts_with_module_documentation() {
    let undocumented: Vec<_> = workspace_sources()
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "files without a `//!` header: {undocumented:#?}"
    );
}

#[test]
fn no_source_uses_unsafe_or_ignores_tests() {
    let forbidden = [
        ["unsafe", " {"].concat(),
        ["#[", "ignore]"].concat(),
        ["todo", "!("].concat(),
        ["unimplemented", "!("].concat(),
    ];
    let mut offenders = Vec::new();
    for path in workspace_sources() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for word in &forbidden {
            if text.contains(word.as_str()) {
                offenders.push(format!("{}: {word}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "forbidden constructs: {offenders:#?}");
}
