//! `sendguard-gateway`: the engine's recipient checks at the organisation's mail server, as a
//! Postfix SMTPD access policy delegation service (`check_policy_service`). Postfix asks once
//! per `RCPT TO`; the gateway builds a one-recipient draft, asks the engine (crates/core: no
//! detection logic here) and answers one access(5) action. A request it cannot read or check
//! gets the policy's fail-mode answer, never a pass. See docs/gateway.md.
//!
//! ```
//! use sendguard_core::in_force::PolicyInForce;
//! use sendguard_core::{Engine, Policy};
//! use sendguard_gateway::{serve_connection, ConfirmStore, Decider, Limits, WarnMode};
//!
//! let engine = Engine::new(Policy::default()).unwrap();
//! let decider = Decider::new(PolicyInForce::plain(engine), WarnMode::Header, ConfirmStore::new(600, 10_000));
//! let request = b"request=smtpd_access_policy\nprotocol_state=RCPT\n\
//!                 sender=alice@example.org\nrecipient=colonel.smith@army.ml\n\n";
//! let mut reply = Vec::new();
//! serve_connection(&request[..], &mut reply, &decider, &Limits::default(), || 0).unwrap();
//! let reply = String::from_utf8(reply).unwrap();
//! assert!(reply.starts_with("action=PREPEND X-Sendguard-Warning: Check colonel.smith@army.ml"));
//! assert!(reply.ends_with("\n\n"));
//! ```

pub mod action;
pub mod config;
pub mod confirm;
pub mod decide;
pub mod files;
pub mod history_store;
pub mod http_get;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod ops_http;
pub mod protocol;
pub mod refresh;
pub mod reports;
pub mod server;
pub mod watch;

pub use action::PolicyAction;
pub use confirm::ConfirmStore;
pub use decide::{Confirmations, Decider, WarnMode, WARNING_HEADER};
pub use live::{InForce, LivePolicy};
pub use protocol::{read_request, Limits, ProtocolError, Request};
pub use refresh::{Outcome, Refresher, Source};
pub use server::{serve, serve_connection, Settings};
