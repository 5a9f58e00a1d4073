//! The content detectors stay quiet on ordinary text: Debian's licence texts (GPL, Apache,
//! Artistic…, about 0.3 MB of legal prose full of section numbers and dates) yield no
//! detection, while a card number planted in the same text is found. The wider measurement
//! (changelogs, documentation, code) is `examples/content_noise.rs`.

use sendguard_core::content::{ContentScanner, ContentSettings};
use sendguard_core::Draft;

const LICENCES: &str = "/usr/share/common-licenses";

#[test]
fn licence_texts_yield_no_detections() {
    let Ok(entries) = std::fs::read_dir(LICENCES) else {
        eprintln!("{LICENCES} is missing (not Debian?): nothing to measure");
        return;
    };
    let mut text = String::new();
    for entry in entries.flatten() {
        if let Ok(bytes) = std::fs::read(entry.path()) {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    assert!(
        text.len() > 100_000,
        "only {} bytes of licence text",
        text.len()
    );
    let scanner = ContentScanner::new(&ContentSettings::default(), Default::default()).unwrap();
    let detections = scanner.scan(&Draft {
        body: text.clone(),
        ..Draft::default()
    });
    assert!(detections.is_empty(), "{detections:?}");
    let planted = format!("{text}\nCard: 4111 1111 1111 1111\n");
    let detections = scanner.scan(&Draft {
        body: planted,
        ..Draft::default()
    });
    assert_eq!(detections.len(), 1, "{detections:?}");
}
