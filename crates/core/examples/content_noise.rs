//! Measures the content detectors' false positives on ordinary text: how many detections per
//! megabyte, by detector, with each one's redacted excerpt for review.
//!
//! ```sh
//! # Debian's package changelogs (about 20 MB of technical prose: versions, dates, bug
//! # numbers, hashes, addresses) and licence texts:
//! zcat /usr/share/doc/*/changelog.Debian.gz | cargo run --release -p sendguard-core --example content_noise
//! cargo run --release -p sendguard-core --example content_noise -- /usr/share/common-licenses/*
//! ```
//!
//! The text is cut into 64 KiB "emails" at line ends, each scanned as a body.

use std::io::Read;

use sendguard_core::content::{ContentScanner, ContentSettings, Source};
use sendguard_core::Draft;

const CHUNK: usize = 64 * 1024;

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let mut text = String::new();
    if paths.is_empty() {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .expect("read stdin");
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    for path in &paths {
        match std::fs::read(path) {
            Ok(bytes) => {
                text.push_str(&String::from_utf8_lossy(&bytes));
                text.push('\n');
            }
            Err(e) => eprintln!("skipping {path}: {e}"),
        }
    }
    let scanner = ContentScanner::new(&ContentSettings::default(), Default::default())
        .expect("the default settings are valid");
    let mut totals: Vec<(String, u32)> = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let mut cut = rest.len().min(CHUNK);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(newline) = rest[..cut].rfind('\n').filter(|_| cut < rest.len()) {
            cut = newline + 1;
        }
        let draft = Draft {
            body: rest[..cut].to_string(),
            ..Draft::default()
        };
        for detection in scanner.scan(&draft) {
            let Source::Builtin(detector) = detection.source else {
                continue;
            };
            println!(
                "{:<22} x{:<3} {}",
                detector.id(),
                detection.count,
                detection.excerpt
            );
            match totals.iter_mut().find(|(id, _)| id == detector.id()) {
                Some((_, n)) => *n += detection.count,
                None => totals.push((detector.id().to_string(), detection.count)),
            }
        }
        rest = &rest[cut..];
    }
    let megabytes = text.len() as f64 / (1024.0 * 1024.0);
    let total: u32 = totals.iter().map(|(_, n)| n).sum();
    println!("---");
    println!(
        "{:.2} MB scanned, {total} detections, {:.2} per MB",
        megabytes,
        f64::from(total) / megabytes
    );
    for (id, n) in totals {
        println!("  {id}: {n}");
    }
}
