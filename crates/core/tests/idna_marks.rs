//! The mark table of the workspace's patched idna_adapter (vendor/idna_adapter/src/marks.rs)
//! against ICU4X's General_Category data, for every code point: idna asks the adapter whether
//! a label begins with a mark (UTS #46 validity), and the table must answer as the data does.
//! With SENDGUARD_WRITE_MARKS=1, writes the table from the data instead (after an ICU4X update).

use icu_properties::props::GeneralCategory;
use icu_properties::CodePointMapData;

fn is_mark_in_icu(c: char) -> bool {
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::EnclosingMark
    )
}

/// The marks as inclusive ranges of code points, from ICU4X's data.
fn mark_ranges() -> Vec<(u32, u32)> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for c in (0..=0x10FFFF)
        .filter_map(char::from_u32)
        .filter(|&c| is_mark_in_icu(c))
    {
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == c as u32 => *end = c as u32,
            _ => ranges.push((c as u32, c as u32)),
        }
    }
    ranges
}

#[test]
fn the_adapters_mark_table_is_icus_general_category() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../vendor/idna_adapter/src/marks.rs"
    );
    if std::env::var_os("SENDGUARD_WRITE_MARKS").is_some() {
        let source = std::fs::read_to_string(path).unwrap();
        let head = &source[..source.find("/// The marks' ranges").unwrap()];
        let rows: String = (mark_ranges().iter())
            .map(|(start, end)| format!("    (0x{start:04X}, 0x{end:04X}),\n"))
            .collect();
        let table = format!(
            "/// The marks' ranges.\n#[rustfmt::skip]\nconst MARKS: &[(u32, u32)] = &[\n{rows}];\n"
        );
        std::fs::write(path, format!("{head}{table}")).unwrap();
    }
    let adapter = idna_adapter::Adapter::new();
    let mut marks = 0;
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        assert_eq!(adapter.is_mark(c), is_mark_in_icu(c), "U+{:04X}", c as u32);
        marks += usize::from(is_mark_in_icu(c));
    }
    assert!(marks > 2000, "{marks} marks");
    // And idna refuses a label that begins with one, as UTS #46 says.
    assert!(idna::domain_to_ascii("\u{0301}a.com").is_err());
    assert!(idna::domain_to_ascii("a\u{0301}.com").is_ok());
}
