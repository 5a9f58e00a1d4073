//! `sendguard export --out DIR`: the server's signed bundles and keysets as static files.

use std::path::PathBuf;

use clap::Args;

use crate::serve::load_config;
use crate::{exit, Failure};

#[derive(Args)]
pub struct ExportArgs {
    /// Folder to write `v1/tenants/{tenant}/policy` and `.../keyset` into.
    #[arg(long)]
    out: PathBuf,
    /// The server's settings file, for its data directory.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The server's data directory (default: from the settings, else ./sendguard-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

pub fn run(args: ExportArgs) -> Result<u8, Failure> {
    let config = load_config(args.config, args.data_dir)?;
    let summary = sendguard_server::export::export(&config.data_dir, &args.out)
        .map_err(|e| Failure::new(exit::NO_INPUT, e))?;
    println!(
        "sendguard: wrote {} policy bundle(s) and {} keyset(s) under {}",
        summary.policies,
        summary.keysets,
        args.out.display()
    );
    Ok(exit::ALLOW)
}
