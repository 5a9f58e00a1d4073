//! With the `embed-assets` feature (set by scripts/build-release), builds the client files
//! into the binary so that `sendguard serve` needs nothing else: the WebAssembly engine
//! (`build/wasm/esm/`), the Thunderbird package (`build/thunderbird/*.xpi`) and the Outlook
//! add-in's parts (`build/outlook-server/`, scripts/build-outlook-server.mjs). A missing file
//! fails the build, naming the script that makes it. Without the feature nothing is
//! embedded (so `cargo test` needs no Node) and the server says what is missing.
//! `SENDGUARD_ASSETS_DIR` replaces `build/` as the folder read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// (folder under build/, URL prefix, the command that makes it).
const SOURCES: &[(&str, &str, &str)] = &[
    ("wasm/esm", "wasm", "scripts/build-wasm"),
    ("thunderbird", "thunderbird", "scripts/build-thunderbird"),
    (
        "outlook-server",
        "outlook",
        "node scripts/build-outlook-server.mjs",
    ),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SENDGUARD_ASSETS_DIR");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("assets.rs");
    let mut embedded: Vec<(String, PathBuf)> = Vec::new();
    if std::env::var_os("CARGO_FEATURE_EMBED_ASSETS").is_some() {
        let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
        let root = std::env::var_os("SENDGUARD_ASSETS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest_dir.join("../../build"));
        for &(folder, prefix, command) in SOURCES {
            let dir = root.join(folder);
            println!("cargo:rerun-if-changed={}", dir.display());
            let mut files = Vec::new();
            list_files(&dir, &dir, &mut files);
            files.retain(|(name, _)| wanted(prefix, name));
            if files.is_empty() {
                panic!(
                    "embed-assets: nothing in {}: run {command} first (scripts/build-release does it all)",
                    dir.display()
                );
            }
            for (name, path) in files {
                embedded.push((format!("{prefix}/{name}"), path.canonicalize().unwrap()));
            }
        }
    }
    // Sorted by path: the server looks files up by binary search.
    embedded.sort();
    let mut table = String::from("&[\n");
    for (name, path) in embedded {
        let path = path.display().to_string();
        writeln!(table, "    ({name:?}, include_bytes!({path:?})),").unwrap();
    }
    table.push(']');
    std::fs::write(out, table).unwrap();
}

/// Leaves out what is never served: the Thunderbird package's staging folder, type
/// declarations.
fn wanted(prefix: &str, name: &str) -> bool {
    match prefix {
        "thunderbird" => name.ends_with(".xpi"),
        _ => !name.ends_with(".d.ts") && !name.starts_with('.'),
    }
}

fn list_files(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "stage" {
                list_files(root, &path, files);
            }
        } else {
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push((name, path));
        }
    }
}
