//! Times what the sender's history costs a first check, stage by stage, side by side with no
//! history in the same run: reading the text in place into the index
//! (`KnownRecipients::from_history_text`, as the add-ins do; beside it, parsing it first and
//! indexing the parsed history, as the command line does), the first 100-recipient check with
//! that index (which builds the lazy parts: domain, name and lookalike indexes) and a warm
//! check after it.
//! The history and the draft are those of `scripts/wasm-budgets.mjs` (`historyText`,
//! `hundredRecipients`), so the stages add up to the WebAssembly cold start's extra work
//! there (issue 17: at most 1.25x the cold start without a history). Run:
//! `cargo run --release -p sendguard-core --example history_cold [N]` (default 20,000).

use std::time::{Duration, Instant};

use sendguard_core::{Engine, History, KnownRecipients};

#[path = "shared/budgets.rs"]
mod budgets;
use budgets::{budgets_policy, hundred_recipients};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let engine = Engine::from_json(&budgets_policy(10_000)).unwrap();
    let draft = hundred_recipients();
    let text = history_text(n);
    println!(
        "history of {n} addresses ({} KB of text), 10,000-domain policy, 100-recipient draft",
        text.len() / 1024
    );
    for round in 0..5 {
        // No history: what the cold start's first check costs without one.
        let none = KnownRecipients::default();
        let first_none = timed(|| engine.check(&draft, &none).findings.len());
        // A history: each stage of the same first check, the text read in place as the
        // add-ins read it (and, for comparison, parsed first as the command line does).
        let t = Instant::now();
        let history = History::parse(&text);
        let parse = t.elapsed();
        let t = Instant::now();
        let _parsed = KnownRecipients::from_owned_history(history, std::iter::empty::<&str>());
        let index = t.elapsed();
        let owned = text.clone();
        let t = Instant::now();
        let known = KnownRecipients::from_history_text(owned, std::iter::empty::<&str>());
        let in_place = t.elapsed();
        let first = timed(|| engine.check(&draft, &known).findings.len());
        let warm = timed(|| engine.check(&draft, &known).findings.len());
        let warm_none = timed(|| engine.check(&draft, &none).findings.len());
        println!(
            "round {round}: read in place {:.2} ms (parse {:.2} + index {:.2} ms), first check \
             {:.2} ms (none: {:.2}), warm check {:.3} ms (none: {:.3}); history adds {:.2} ms \
             to a first check",
            ms(in_place),
            ms(parse),
            ms(index),
            ms(first),
            ms(first_none),
            ms(warm),
            ms(warm_none),
            ms(in_place + first) - ms(first_none)
        );
    }
}

fn timed(check: impl FnOnce() -> usize) -> Duration {
    let t = Instant::now();
    assert!(check() >= 20, "the check found too little");
    t.elapsed()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `historyText` in `scripts/wasm-budgets.mjs`: a third of the addresses at five big mail
/// providers, the rest at about 3,000 organisations, each with a display name.
fn history_text(count: usize) -> String {
    let first = [
        "john", "mary", "ahmed", "li", "olga", "pierre", "sven", "ana", "kofi", "yuki", "raj",
        "emma", "noah", "ines", "omar", "zoe", "ivan", "lena", "tariq", "mei", "paul", "sara",
        "diego", "nina",
    ];
    let start = [
        "ber", "cas", "dor", "fal", "gar", "hol", "kin", "lom", "mar", "nor", "pel", "ros", "sal",
        "tor", "val", "wes", "bran", "cor", "del", "fen",
    ];
    let end = [
        "ton", "ley", "man", "dez", "sen", "ova", "ini", "ard", "ek", "hoff",
    ];
    let providers = [
        "gmail.com",
        "outlook.com",
        "yahoo.com",
        "hotmail.com",
        "icloud.com",
    ];
    let words = [
        "north", "trade", "blue", "river", "alpha", "metro", "green", "delta", "union", "coast",
    ];
    let capital = |s: &str| format!("{}{}", s[..1].to_uppercase(), &s[1..]);
    let mut out = String::from("#sendguard-history 1\n");
    for i in 0..count {
        let f = first[i % first.len()];
        let tail = if i % 2 == 1 {
            ""
        } else {
            start[(i * 3) % start.len()]
        };
        let l = format!(
            "{}{}{tail}",
            start[(i * 7) % start.len()],
            end[(i * 13) % end.len()]
        );
        let domain = if i % 3 == 0 {
            providers[i % 5].to_string()
        } else {
            format!(
                "{}{}-co{}.com",
                words[i % 10],
                words[(i / 10) % 10],
                i % 3000
            )
        };
        let name = format!("{} {}", capital(f), capital(&l));
        out.push_str(&format!(
            "{f}.{l}{}@{domain}\t{}\t{}\t{name}\n",
            i % 97,
            1 + i % 40,
            20400 - i % 365
        ));
    }
    out
}
