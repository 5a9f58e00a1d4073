//! Rendering verdicts: JSON for programs, text (coloured on a terminal) for people.

use std::io::IsTerminal;

use sendguard_core::{Outcome, Verdict};

pub fn json(verdict: &Verdict) -> String {
    serde_json::to_string(verdict).expect("a verdict always serialises")
}

pub fn text(label: &str, verdict: &Verdict) -> String {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let paint = |code: &str, s: &str| {
        if colour {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let (word, code) = match verdict.action {
        Outcome::Allow => ("ALLOW", "32"),
        Outcome::Warn => ("WARN", "33"),
        Outcome::Block => ("BLOCK", "1;31"),
    };
    let mut out = format!("{}  {label}\n", paint(code, word));
    for f in &verdict.findings {
        let kind = serde_json::to_value(f.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        out.push_str(&format!(
            "  - {} {}\n",
            paint("2", &format!("[{kind}]")),
            f.message
        ));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("    fix: {fix}\n"));
        }
    }
    if verdict.justification_required {
        out.push_str("  A written justification can release this message.\n");
    }
    if verdict.findings.is_empty() {
        out.push_str(&format!("  {}\n", verdict.summary));
    }
    out
}
