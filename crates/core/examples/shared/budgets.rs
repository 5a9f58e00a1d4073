//! The inputs of `scripts/wasm-budgets.mjs` in Rust, shared by the examples that time the
//! same work natively (`cold_start.rs`, `history_cold.rs`).

use sendguard_core::Draft;

/// `signedPolicy`'s policy text in `scripts/wasm-budgets.mjs`.
pub fn budgets_policy(count: usize) -> String {
    let words = [
        "north", "trade", "blue", "river", "alpha", "metro", "green", "delta", "union", "coast",
    ];
    let trusted: Vec<String> = (0..count)
        .map(|i| format!("{}{}-{i}.com", words[i % 10], words[(i / 10) % 10]))
        .collect();
    serde_json::json!({ "internal_domains": ["acme.example.com"], "trusted_domains": trusted })
        .to_string()
}

/// `hundredRecipients` in `scripts/wasm-budgets.mjs`.
pub fn hundred_recipients() -> Draft {
    let mut draft = Draft {
        from: Some("me@acme.example.com".into()),
        subject: "Quarterly figures".into(),
        body: "See attached.".into(),
        ..Draft::default()
    };
    for i in 0..100 {
        let address = match i % 10 {
            0 => format!("user{i}@gmial.com"),
            1 => format!("user{i}@army.ml"),
            _ => format!("user{i}@northtrade-{}.com", i * 97),
        };
        let field = match i % 3 {
            0 => &mut draft.to,
            1 => &mut draft.cc,
            _ => &mut draft.bcc,
        };
        field.push(format!("User {i} <{address}>"));
    }
    draft
}
