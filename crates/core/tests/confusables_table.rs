//! `data/confusables-ascii.tsv` is generated from the `unicode-security` crate (UTS #39
//! confusables): every character whose skeleton, lower-cased, is made only of ASCII letters,
//! digits, `-` or `.`. This test regenerates it and fails if the checked-in file differs.
//! Regenerate: `SENDGUARD_REGENERATE_CONFUSABLES=1 cargo test -p sendguard-core --test confusables_table`.

use std::path::PathBuf;

fn generate() -> String {
    let mut out = String::from(
        "# Characters that look like ASCII: code point (hex) <TAB> what they look like (lower-case).\n\
         # Generated from UTS #39 confusables (crate unicode-security 0.1.3) by tests/confusables_table.rs.\n",
    );
    for c in (0u32..=0x10FFFF).filter_map(char::from_u32) {
        if c.is_ascii() {
            continue;
        }
        let mut buf = [0u8; 4];
        let skeleton: String = unicode_security::skeleton(c.encode_utf8(&mut buf))
            .collect::<String>()
            .to_lowercase();
        let looks_ascii = !skeleton.is_empty()
            && skeleton
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if looks_ascii {
            out.push_str(&format!("{:x}\t{skeleton}\n", c as u32));
        }
    }
    out
}

#[test]
fn table_matches_its_generator() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/confusables-ascii.tsv");
    let generated = generate();
    if std::env::var_os("SENDGUARD_REGENERATE_CONFUSABLES").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "data/confusables-ascii.tsv is stale: regenerate it (see the top of this file)"
    );
}
