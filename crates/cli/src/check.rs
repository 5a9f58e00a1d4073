//! `sendguard check`: run the engine on drafts.

use std::io::{BufRead, Write};

use clap::{Args, ValueEnum};
use sendguard_core::in_force::PolicyInForce;
use sendguard_core::{Draft, Engine, KnownRecipients, Outcome, Policy, Verdict};

use crate::{exit, input, output, trust, Failure};

#[derive(Args)]
pub struct CheckArgs {
    /// Policy JSON file, or a signed bundle with --trust (default: the built-in policy).
    #[arg(long)]
    policy: Option<String>,
    /// Keyset file: --policy is then a signed bundle, verified before use.
    #[arg(long, value_name = "KEYSET", requires_all = ["policy", "tenant"])]
    trust: Option<String>,
    /// The tenant the signed policy must be for (with --trust).
    #[arg(long, value_name = "T", requires = "trust")]
    tenant: Option<String>,
    /// Known recipients: a file with one address per line.
    #[arg(long)]
    known: Option<String>,
    /// The sender's history: a file in the history format (docs/history-format.md).
    #[arg(long)]
    history: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Drafts: `.eml` or `.json` files, or `-` for JSON Lines on stdin (one draft per line).
    #[arg(required = true)]
    inputs: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// The known recipients of `--known` (one address per line) and `--history`; what could not
/// be read is reported on stderr and skipped, never fatal.
fn known_recipients(
    known: Option<&str>,
    history: Option<&str>,
) -> Result<KnownRecipients, Failure> {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::new(exit::NO_INPUT, format!("cannot read {path}: {e}")))
    };
    // Read in place, as the add-ins read it: no parsed copy of the history first.
    let history_text = match history {
        Some(path) => read(path)?,
        None => String::new(),
    };
    let list = match known {
        Some(path) => read(path)?,
        None => String::new(),
    };
    let recipients = KnownRecipients::from_history_text(history_text, list.lines());
    let unreadable = recipients.history_summary().rejected;
    if let (Some(path), true) = (history, unreadable > 0) {
        eprintln!("sendguard: {path}: ignoring {unreadable} line(s) that are not history entries");
    }
    for bad in recipients.rejected() {
        eprintln!(
            "sendguard: {}: ignoring `{bad}`: not an address",
            known.unwrap_or_default()
        );
    }
    Ok(recipients)
}

pub fn run(args: CheckArgs) -> Result<u8, Failure> {
    let engine = policy_engine(
        args.policy.as_deref(),
        args.trust.as_deref(),
        args.tenant.as_deref(),
    )?;
    let known = known_recipients(args.known.as_deref(), args.history.as_deref())?;
    let mut strictest = Outcome::Allow;
    let mut error: Option<u8> = None;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for input in &args.inputs {
        if input == "-" {
            let failed = check_json_lines(&engine, &known, args.format, &mut out, &mut strictest)?;
            if failed {
                error.get_or_insert(exit::BAD_INPUT);
            }
            continue;
        }
        match input::read_draft_file(input) {
            Ok(draft) => {
                let verdict = engine.check(&draft, &known);
                strictest = strictest.max(verdict.action);
                write_verdict(&mut out, args.format, input, &verdict)?;
            }
            Err(f) => {
                eprintln!("sendguard: {}", f.message);
                error.get_or_insert(f.code);
            }
        }
    }
    Ok(error.unwrap_or(match strictest {
        Outcome::Allow => exit::ALLOW,
        Outcome::Warn => exit::WARN,
        Outcome::Block => exit::BLOCK,
    }))
}

/// The policy in force for `--policy` (plain JSON), or for a signed bundle verified against
/// `--trust` for `--tenant` (expired: in force as stale, see `trust::signed_policy_engine`);
/// shared by `check` and `gateway`.
pub fn policy_engine(
    policy: Option<&str>,
    trust: Option<&str>,
    tenant: Option<&str>,
) -> Result<PolicyInForce, Failure> {
    match (trust, policy, tenant) {
        (Some(keyset), Some(bundle), Some(tenant)) => {
            trust::signed_policy_engine(bundle, keyset, tenant)
        }
        _ => Ok(PolicyInForce::plain(load_engine(policy)?)),
    }
}

pub fn load_engine(policy: Option<&str>) -> Result<Engine, Failure> {
    let policy = match policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::new(exit::NO_INPUT, format!("cannot read {path}: {e}")))?;
            Policy::from_json(&text)
                .map_err(|e| Failure::new(exit::BAD_POLICY, format!("{path}: {e}")))?
        }
        None => Policy::default(),
    };
    Engine::new(policy).map_err(|e| Failure::new(exit::BAD_POLICY, e.to_string()))
}

/// One verdict line per input line, in order; a bad line yields an `{"error": ...}` line.
/// Returns whether any line failed.
fn check_json_lines(
    engine: &PolicyInForce,
    known: &KnownRecipients,
    format: Format,
    out: &mut impl Write,
    strictest: &mut Outcome,
) -> Result<bool, Failure> {
    let mut failed = false;
    // Lines as bytes: one line that is not UTF-8 is an error for that line, not the end.
    for (n, line) in std::io::stdin().lock().split(b'\n').enumerate() {
        let line = line.map_err(|e| Failure::new(exit::NO_INPUT, format!("stdin: {e}")))?;
        let draft = match std::str::from_utf8(&line) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => Draft::from_json(text).map_err(|e| e.to_string()),
            Err(_) => Err("not UTF-8 text".to_string()),
        };
        match draft {
            Ok(draft) => {
                let verdict = engine.check(&draft, known);
                *strictest = (*strictest).max(verdict.action);
                write_verdict(out, format, &format!("stdin line {}", n + 1), &verdict)?;
            }
            Err(e) => {
                failed = true;
                let message = format!("line {}: {e}", n + 1);
                let line =
                    serde_json::json!({ "error": { "code": "bad_draft", "message": message } });
                writeln!(out, "{line}").map_err(write_failed)?;
            }
        }
    }
    Ok(failed)
}

fn write_verdict(
    out: &mut impl Write,
    format: Format,
    label: &str,
    verdict: &Verdict,
) -> Result<(), Failure> {
    let rendered = match format {
        Format::Json => output::json(verdict) + "\n",
        Format::Text => output::text(label, verdict),
    };
    out.write_all(rendered.as_bytes()).map_err(write_failed)
}

fn write_failed(e: std::io::Error) -> Failure {
    Failure::new(exit::NO_INPUT, format!("cannot write output: {e}"))
}
