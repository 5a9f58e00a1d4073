//! `sendguard gateway`: the Postfix policy delegation service (the `sendguard-gateway`
//! crate) on a loopback TCP address, with the policy loaded as `check` loads it.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use sendguard_gateway::{ConfirmStore, Decider, Settings, WarnMode};

use crate::{check, exit, trust, Failure};

#[derive(Args)]
pub struct GatewayArgs {
    /// Loopback address to listen on (the protocol has no authentication).
    #[arg(long, default_value = "127.0.0.1:10040")]
    listen: SocketAddr,
    /// Policy JSON file, or a signed bundle with --trust.
    #[arg(long)]
    policy: String,
    /// Keyset file: --policy is then a signed bundle, verified before use.
    #[arg(long, value_name = "KEYSET", requires = "tenant")]
    trust: Option<String>,
    /// The tenant the signed policy must be for (with --trust).
    #[arg(long, value_name = "T", requires = "trust")]
    tenant: Option<String>,
    /// What a warning does to the mail (docs/gateway.md).
    #[arg(long, value_enum, default_value_t = Warn::Confirm)]
    warn: Warn,
    /// With --warn confirm: how long a resend confirms a refused attempt (e.g. 10m).
    #[arg(long, default_value = "10m", value_parser = trust::parse_duration)]
    confirm_window: i64,
    /// Policy connections served at once.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..))]
    max_connections: u16,
}

#[derive(Clone, Copy, ValueEnum)]
enum Warn {
    /// Refuse the first attempt; the same sender, recipient pair resent in the window passes.
    Confirm,
    /// Deliver with an X-Sendguard-Warning header.
    Header,
    /// Put the message on hold in Postfix's queue.
    Hold,
}

/// How many refused pairs wait for their resend at most.
const CONFIRM_CAPACITY: usize = 100_000;

pub fn run(args: GatewayArgs) -> Result<u8, Failure> {
    if !args.listen.ip().is_loopback() {
        return Err(Failure::new(
            exit::USAGE,
            format!(
                "--listen {}: use a loopback address; the policy protocol has no authentication",
                args.listen
            ),
        ));
    }
    let in_force = check::policy_engine(
        Some(&args.policy),
        args.trust.as_deref(),
        args.tenant.as_deref(),
    )?;
    let warn_mode = match args.warn {
        Warn::Confirm => WarnMode::Confirm,
        Warn::Header => WarnMode::Header,
        Warn::Hold => WarnMode::Hold,
    };
    let confirmations = ConfirmStore::new(args.confirm_window, CONFIRM_CAPACITY);
    let decider = Arc::new(Decider::new(in_force, warn_mode, confirmations));
    let listener = TcpListener::bind(args.listen).map_err(|e| {
        Failure::new(
            exit::UNAVAILABLE,
            format!("cannot listen on {}: {e}", args.listen),
        )
    })?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::new(exit::UNAVAILABLE, e.to_string()))?;
    eprintln!("sendguard gateway: listening on {address}");
    let settings = Settings {
        max_connections: usize::from(args.max_connections),
        ..Settings::default()
    };
    sendguard_gateway::serve(listener, decider, settings)
        .map_err(|e| Failure::new(exit::UNAVAILABLE, e.to_string()))?;
    Ok(0)
}
