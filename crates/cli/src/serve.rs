//! `sendguard serve`: the policy server and admin console (the `sendguard-server` crate).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use sendguard_server::Config;

use crate::{exit, Failure};

#[derive(Args)]
pub struct ServeArgs {
    /// Settings file (TOML, see docs/server.md); default: $SENDGUARD_CONFIG if set.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Data directory: database and keys (default ./sendguard-data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// Defaults, then the file, then `SENDGUARD_*` variables, then these flags.
pub fn load_config(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> Result<Config, Failure> {
    let file = config.or_else(|| std::env::var_os("SENDGUARD_CONFIG").map(PathBuf::from));
    let mut config = Config::load(file.as_deref()).map_err(|e| Failure::new(exit::CONFIG, e))?;
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    Ok(config)
}

pub fn run(args: ServeArgs) -> Result<u8, Failure> {
    let mut config = load_config(args.config, args.data_dir)?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    sendguard_server::run(config).map_err(|e| Failure::new(exit::UNAVAILABLE, e))?;
    Ok(0)
}
