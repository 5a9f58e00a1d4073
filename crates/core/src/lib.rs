//! `sendguard-core`: the Sendguard engine. It checks an email draft against a policy and says,
//! in one plain sentence per risk, what is wrong and what the sender probably meant.
//!
//! Pure: no I/O, no clock, no threads, so the same code runs natively and in WebAssembly.
//! Everything that reads files, talks to networks or holds keys lives in other crates.
//! Signed policies are verified here too (`trust`), and put in force by one expiry rule
//! (`in_force`), so the add-ins check them in WebAssembly; signing lives in `sendguard-sign`.
//!
//! ```
//! use sendguard_core::{Draft, Engine, KnownRecipients, Outcome, Policy};
//!
//! let engine = Engine::new(Policy::default()).unwrap();
//! let draft = Draft { to: vec!["Colonel Smith <colonel.smith@army.ml>".into()], ..Draft::default() };
//! let verdict = engine.check(&draft, &KnownRecipients::default());
//! assert_eq!(verdict.action, Outcome::Warn);
//! assert_eq!(verdict.findings[0].suggestion.as_deref(), Some("army.mil"));
//! println!("{}", verdict.summary); // Check colonel.smith@army.ml: did you mean army.mil? .ml is Mali, …
//! ```

pub mod action;
pub mod address;
pub mod builtin;
pub mod content;
pub mod conversation;
pub mod domain;
pub mod draft;
pub mod engine;
pub mod error;
mod fast_hash;
pub mod gateway_policy;
pub mod history;
pub mod in_force;
pub mod index;
pub mod json;
mod key_hash;
pub mod known;
pub mod lookalike;
pub mod monitor;
mod order;
pub mod policy;
pub mod recipient;
pub mod report;
mod swar;
pub mod trust;
pub mod verdict;
pub mod wording;

// The trust modules' paths from before `trust/`, which the other crates use.
pub use trust::chain as keyset_chain;
pub use trust::{bundle, envelope, keyset};

pub use bundle::{BundleError, HeldPolicy, VerifiedPolicy};
pub use draft::{Attachment, Draft, Field, Original, OriginalKind};
pub use engine::{CheckedRecipient, Engine, Error};
pub use history::{History, HistoryEntry};
pub use keyset::Keyset;
pub use known::KnownRecipients;
pub use policy::{Action, FailMode, Policy, PolicyError};
pub use verdict::{Finding, FindingKind, Outcome, Verdict};

/// The engine's version, reported by the CLI and the WASM build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
