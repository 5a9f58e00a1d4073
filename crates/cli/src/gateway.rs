//! `sendguard gateway`: the Postfix policy delegation service (the `sendguard-gateway`
//! crate). Settings as the server takes them: defaults, a TOML file (`--config` or
//! `$SENDGUARD_GATEWAY_CONFIG`), `SENDGUARD_GATEWAY_*` variables, then these flags. The
//! policy comes from a local file (loaded as `check` loads it), a Sendguard server or an
//! exported folder (the add-ins' refresh protocol, kept fresh in the background). With a
//! server, the anonymous counts go back to it hourly and at SIGTERM/SIGINT (`--no-report`
//! switches them off; docs/privacy.md).

use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use sendguard_gateway::config::{GatewayConfig, ListenAddress, LogFormat, Warn};
use sendguard_gateway::history_store::HistoryStore;
use sendguard_gateway::reports::{self, Destination, Reports};
use sendguard_gateway::{
    logging, ops_http, watch, ConfirmStore, Decider, LivePolicy, Refresher, Settings, Source,
    WarnMode,
};

use crate::{check, exit, trust, Failure};

#[derive(Args)]
pub struct GatewayArgs {
    /// Settings file (TOML, docs/gateway.md); default: $SENDGUARD_GATEWAY_CONFIG if set.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where Postfix reaches the gateway: a loopback address (127.0.0.1:10040) or
    /// unix:/path/to/socket (the protocol has no authentication).
    #[arg(long)]
    listen: Option<String>,
    /// Policy JSON file, or a signed bundle with --trust.
    #[arg(long, conflicts_with_all = ["policy_url", "policy_dir"])]
    policy: Option<PathBuf>,
    /// A Sendguard server (http://host:port): the tenant's signed policy, kept fresh.
    #[arg(long, conflicts_with = "policy_dir")]
    policy_url: Option<String>,
    /// A folder written by `sendguard export`, read again at each poll.
    #[arg(long)]
    policy_dir: Option<PathBuf>,
    /// Keyset file: pins the tenant's keyset; --policy is then a signed bundle.
    #[arg(long, value_name = "KEYSET")]
    trust: Option<PathBuf>,
    /// The tenant the signed policy must be for.
    #[arg(long, value_name = "T")]
    tenant: Option<String>,
    /// Where the last good policy and accepted keysets are kept (with --policy-url/-dir).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// How often the policy is fetched (e.g. 5m).
    #[arg(long, value_parser = trust::parse_duration)]
    poll_interval: Option<i64>,
    /// What a warning does to the mail (docs/gateway.md).
    #[arg(long, value_enum)]
    warn: Option<WarnArg>,
    /// With --warn confirm: how long a resend confirms a refused attempt (e.g. 10m).
    #[arg(long, value_parser = trust::parse_duration)]
    confirm_window: Option<i64>,
    /// Policy connections served at once.
    #[arg(long)]
    max_connections: Option<usize>,
    /// /metrics and /healthz on this loopback address.
    #[arg(long)]
    ops_listen: Option<SocketAddr>,
    /// Log lines as JSON objects.
    #[arg(long)]
    log_json: bool,
    /// Name senders and recipients in the logs.
    #[arg(long)]
    log_addresses: bool,
    /// Do not learn senders' accepted recipients (history is on by default).
    #[arg(long)]
    no_history: bool,
    /// Send no anonymous counts to the policy server (docs/privacy.md; on by default).
    #[arg(long)]
    no_report: bool,
    /// How often the counts are sent (e.g. 1h; also at shutdown).
    #[arg(long, value_parser = trust::parse_duration)]
    report_interval: Option<i64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum WarnArg {
    /// Refuse the first attempt; the same sender, recipient pair resent in the window passes.
    Confirm,
    /// Deliver with an X-Sendguard-Warning header.
    Header,
    /// Put the message on hold in Postfix's queue.
    Hold,
}

/// How many refused pairs wait for their resend at most.
const CONFIRM_CAPACITY: usize = 100_000;

/// Defaults, the file, the environment, then the flags.
fn settings(args: GatewayArgs) -> Result<GatewayConfig, Failure> {
    let file = args
        .config
        .or_else(|| std::env::var_os("SENDGUARD_GATEWAY_CONFIG").map(PathBuf::from));
    let mut config = GatewayConfig::load(file.as_deref(), |name| std::env::var(name).ok())
        .map_err(|e| Failure::new(exit::CONFIG, e))?;
    if args.policy.is_some() || args.policy_url.is_some() || args.policy_dir.is_some() {
        config.policy = args.policy;
        config.policy_url = args.policy_url;
        config.policy_dir = args.policy_dir;
    }
    config.trust = args.trust.or(config.trust);
    config.tenant = args.tenant.or(config.tenant);
    config.ops_listen = args.ops_listen.or(config.ops_listen);
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(dir) = args.state_dir {
        config.state_dir = dir;
    }
    if let Some(secs) = args.poll_interval {
        config.poll_interval_secs = secs as u64;
    }
    if let Some(warn) = args.warn {
        config.warn = match warn {
            WarnArg::Confirm => Warn::Confirm,
            WarnArg::Header => Warn::Header,
            WarnArg::Hold => Warn::Hold,
        };
    }
    if let Some(secs) = args.confirm_window {
        config.confirm_window_secs = secs;
    }
    if let Some(n) = args.max_connections {
        config.max_connections = n;
    }
    if args.log_json {
        config.log_format = LogFormat::Json;
    }
    config.log_addresses |= args.log_addresses;
    if args.no_history {
        config.history = false;
    }
    if args.no_report {
        config.report = false;
    }
    if let Some(secs) = args.report_interval {
        config.report_interval_secs = secs as u64;
    }
    Ok(config)
}

pub fn run(args: GatewayArgs) -> Result<u8, Failure> {
    let config = settings(args)?;
    let listen = config.check().map_err(|e| Failure::new(exit::USAGE, e))?;
    logging::init(config.log_format, config.log_addresses);
    let live = policy(&config)?;
    let warn_mode = match config.warn {
        Warn::Confirm => WarnMode::Confirm,
        Warn::Header => WarnMode::Header,
        Warn::Hold => WarnMode::Hold,
    };
    let confirmations = ConfirmStore::new(config.confirm_window_secs, CONFIRM_CAPACITY);
    let mut decider = Decider::live(Arc::clone(&live), warn_mode, confirmations);
    if config.history {
        let dir = config.state_dir.join("history");
        let store =
            HistoryStore::open(&dir, config.history_max_entries, config.history_max_senders)
                .map_err(|e| Failure::new(exit::UNAVAILABLE, e))?;
        decider = decider.with_history(store);
    }
    let reporting = reporting(&config)?;
    if let Some((reports, _)) = &reporting {
        decider = decider.with_reports(Arc::clone(reports));
    }
    let decider = Arc::new(decider);
    if let Some((reports, to)) = reporting {
        send_counts(reports, &decider, to, config.report_interval_secs)?;
    }
    if let Some(address) = config.ops_listen {
        let ops = TcpListener::bind(address).map_err(|e| unavailable(&address, e))?;
        let shown = ops.local_addr().map_err(|e| unavailable(&address, e))?;
        logging::log(format_args!("metrics and health on http://{shown}"));
        let live = Arc::clone(&live);
        std::thread::spawn(move || ops_http::serve_ops(ops, live));
    }
    let settings = Settings {
        max_connections: config.max_connections,
        idle_timeout: Duration::from_secs(config.idle_timeout_secs),
        ..Settings::default()
    };
    let served = match listen {
        ListenAddress::Tcp(address) => {
            let listener = TcpListener::bind(address).map_err(|e| unavailable(&address, e))?;
            let shown = listener
                .local_addr()
                .map_err(|e| unavailable(&address, e))?;
            logging::log(format_args!("listening on {shown}"));
            sendguard_gateway::serve(listener, decider, settings)
        }
        ListenAddress::Unix(path) => {
            // A socket left by an earlier run would make bind fail; only a socket is removed.
            if std::fs::symlink_metadata(&path)
                .is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()))
            {
                let _ = std::fs::remove_file(&path);
            }
            let listener =
                UnixListener::bind(&path).map_err(|e| unavailable(&path.display(), e))?;
            logging::log(format_args!("listening on unix:{}", path.display()));
            sendguard_gateway::serve(listener, decider, settings)
        }
    };
    served.map_err(|e| Failure::new(exit::UNAVAILABLE, e.to_string()))?;
    Ok(0)
}

/// The counts and where they go, when they are sent: reporting on, and a policy server to
/// send them to (a local file or folder has none; said once in the log).
fn reporting(config: &GatewayConfig) -> Result<Option<(Arc<Reports>, Destination)>, Failure> {
    if !config.report {
        logging::log(format_args!(
            "reporting is off (--no-report, or report = false): no counts are kept or sent"
        ));
        return Ok(None);
    }
    let (Some(url), Some(tenant)) = (&config.policy_url, &config.tenant) else {
        logging::log(format_args!(
            "no counts are sent: the policy comes from a local file or folder, so there is no policy server to send them to"
        ));
        return Ok(None);
    };
    let base = sendguard_gateway::http_get::BaseUrl::parse(url)
        .map_err(|e| Failure::new(exit::USAGE, e))?;
    let reports =
        Reports::open(&config.state_dir).map_err(|e| Failure::new(exit::UNAVAILABLE, e))?;
    Ok(Some((
        Arc::new(reports),
        Destination {
            base,
            tenant: tenant.clone(),
        },
    )))
}

/// Sends the counts every `interval_secs` on a thread of its own, and once more at SIGTERM
/// or SIGINT (then exits): never on a thread that answers Postfix.
fn send_counts(
    reports: Arc<Reports>,
    decider: &Arc<Decider>,
    to: Destination,
    interval_secs: u64,
) -> Result<(), Failure> {
    let at_exit = (Arc::clone(&reports), Arc::clone(decider), to.clone());
    sendguard_server::on_shutdown_signal(move || {
        let (reports, decider, to) = at_exit;
        let now = sendguard_gateway::server::unix_now();
        decider.count_all_awaiting(now);
        let sent = reports.post(&to, now, reports::POST_TIMEOUT);
        logging::log(format_args!(
            "shutting down: {sent} daily count reports sent, {} kept for the next start",
            reports.pending().len()
        ));
        std::process::exit(0);
    })
    .map_err(|e| Failure::new(exit::UNAVAILABLE, format!("cannot catch signals: {e}")))?;
    let decider = Arc::clone(decider);
    let interval = Duration::from_secs(interval_secs);
    logging::log(format_args!(
        "anonymous counts go to {} every {interval_secs} s and at shutdown (docs/privacy.md; --no-report switches them off)",
        to.base
    ));
    std::thread::spawn(move || reports::keep_posting(&reports, &decider, &to, interval));
    Ok(())
}

fn unavailable(address: &dyn std::fmt::Display, e: std::io::Error) -> Failure {
    Failure::new(
        exit::UNAVAILABLE,
        format!("cannot listen on {address}: {e}"),
    )
}

/// The policy in force at start: a local file now (refused ones stop the start), or the
/// last good one kept on disk refreshed once from the server or folder, then kept fresh by a
/// background thread.
fn policy(config: &GatewayConfig) -> Result<Arc<LivePolicy>, Failure> {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    if let Some(file) = path(&config.policy) {
        let in_force = check::policy_engine(
            Some(&file),
            path(&config.trust).as_deref(),
            config.tenant.as_deref(),
        )?;
        return Ok(Arc::new(LivePolicy::new(Some(
            sendguard_gateway::InForce::plain(in_force),
        ))));
    }
    let source = match (&config.policy_url, &config.policy_dir) {
        (Some(url), _) => Source::Server(
            sendguard_gateway::http_get::BaseUrl::parse(url)
                .map_err(|e| Failure::new(exit::USAGE, e))?,
        ),
        (None, Some(dir)) => Source::Folder(dir.clone()),
        (None, None) => unreachable!("config.check() requires a policy source"),
    };
    let (Some(keyset), Some(tenant)) = (path(&config.trust), config.tenant.as_deref()) else {
        unreachable!("config.check() requires trust and tenant with a server or folder");
    };
    let pinned_text = String::from_utf8(trust::read_bytes(&keyset)?)
        .map_err(|_| Failure::new(exit::BAD_POLICY, format!("{keyset}: not UTF-8")))?;
    // The pinned keyset must verify now, as the add-ins' packaging refuses a bad pin.
    trust::load_pinned_keyset(&keyset, tenant, trust::now())?;
    let mut refresher = Refresher::new(source, tenant, pinned_text, &config.state_dir)
        .map_err(|e| Failure::new(exit::UNAVAILABLE, e))?;
    let live = LivePolicy::new(refresher.load_kept(trust::now()));
    if let Some(kept) = live.get() {
        logging::log(format_args!(
            "the last good policy (version {}) is in force until a refresh",
            kept.version.unwrap_or(0)
        ));
    }
    let outcome = refresher.refresh(trust::now(), &live);
    watch::report(&outcome, &live);
    let live = Arc::new(live);
    let background = Arc::clone(&live);
    let poll = Duration::from_secs(config.poll_interval_secs);
    std::thread::spawn(move || watch::keep_fresh(refresher, background, poll));
    Ok(live)
}
