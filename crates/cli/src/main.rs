//! `sendguard`: the command line. Each subcommand lives in its own module; this file only
//! parses arguments and maps outcomes to exit codes (documented in README.md).

mod check;
mod export;
mod gateway;
mod input;
mod keygen;
mod keyset_cmd;
mod output;
mod policy_cmd;
mod serve;
mod trust;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes. 0-2 are verdicts (allow, warn, block); errors use sysexits-style codes so that
/// a script can never mistake an error for a verdict.
pub mod exit {
    pub const ALLOW: u8 = 0;
    pub const WARN: u8 = 1;
    pub const BLOCK: u8 = 2;
    /// Wrong arguments.
    pub const USAGE: u8 = 64;
    /// An input draft is malformed (bad JSON, unreadable .eml).
    pub const BAD_INPUT: u8 = 65;
    /// A file could not be read.
    pub const NO_INPUT: u8 = 66;
    /// The policy (or its signature, or the trust settings) is not acceptable.
    pub const BAD_POLICY: u8 = 78;
    /// The server's configuration is not acceptable (same code: sysexits' EX_CONFIG).
    pub const CONFIG: u8 = 78;
    /// The server could not start or stopped with an error (cannot listen, data unreadable).
    pub const UNAVAILABLE: u8 = 69;
}

#[derive(Parser)]
#[command(
    name = "sendguard",
    version,
    about = "Stops email from going to the wrong place."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check drafts (.eml, .json, or `-` for JSON Lines on stdin) against a policy.
    Check(check::CheckArgs),
    /// Run the policy server and admin console (docs/server.md).
    Serve(serve::ServeArgs),
    /// Check each RCPT TO for Postfix, as a policy delegation service (docs/gateway.md).
    Gateway(gateway::GatewayArgs),
    /// Write every tenant's signed bundle and keyset as static files for any web server.
    Export(export::ExportArgs),
    /// Generate an Ed25519 key pair (root or policy-signing key).
    Keygen(keygen::KeygenArgs),
    /// Sign or verify policy bundles.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// Create, update (rotate, revoke) or verify keysets.
    #[command(subcommand)]
    Keyset(keyset_cmd::KeysetCommand),
}

/// An error a subcommand reports: a message for people and the exit code for scripts.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Gateway(args) => gateway::run(args),
        Command::Export(args) => export::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Policy(command) => policy_cmd::run(command),
        Command::Keyset(command) => keyset_cmd::run(command),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("sendguard: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
