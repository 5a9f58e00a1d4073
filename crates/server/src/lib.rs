//! `sendguard-server`: the policy server. It stores each tenant's policy in SQLite, signs
//! every published version into a bundle (with `sendguard-sign`), and distributes bundles
//! and keysets to the add-ins over plain HTTP with strong ETags and Server-Sent Events. It
//! also serves the admin console (`web/`) and its API. Only this server and the CLI's
//! signing commands hold private keys.
//!
//! Map: `config` (settings), `store` (SQLite), `keys` (signing), `auth` (tokens),
//! `listen` (accepting connections, with their limits), `routes` (the router and one module
//! per resource, and the distribution fast path), `layers` (the middleware stack),
//! `ratelimit` (admin budgets), `state` (what handlers share), `error` (the API's one error
//! type), `export` (bundles as static files), `jobs` (renewal of bundles and keysets in the
//! background), `clock` (the injectable "now"), `assets` and `outlook` (the client files
//! built into the release binary, each tenant's Outlook add-in). HTTP API and security:
//! docs/server.md.
//!
//! ```
//! use tower::ServiceExt; // for `oneshot`
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let dir = tempfile::tempdir().unwrap();
//! let config = sendguard_server::Config { data_dir: dir.path().into(), ..Default::default() };
//! // First start: creates the database and keys, and an admin token shown this once.
//! let server = sendguard_server::Server::open(config).unwrap();
//! assert!(server.first_admin_token.as_deref().unwrap().starts_with("sgt_"));
//! let request = axum::http::Request::get("/healthz").body(axum::body::Body::empty()).unwrap();
//! let response = server.router().oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 200);
//! # }
//! ```

pub mod assets;
pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod export;
pub mod jobs;
pub mod key_store;
mod layers;
pub mod listen;
pub mod metrics;
mod openapi;
pub mod outlook;
pub mod ratelimit;
pub mod routes;
pub mod signer;
pub mod state;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, watch};

pub use config::Config;
pub use state::AppState;

use crate::key_store::KeyStore;
use crate::state::{Distributed, ServerState};
use crate::store::Store;

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "sendguard.sqlite";

/// An opened server: data directory ready, nothing listening yet.
pub struct Server {
    state: AppState,
    shutdown: watch::Sender<bool>,
    /// On the very first start: the admin token, to show the operator once (only its hash is stored).
    pub first_admin_token: Option<String>,
}

impl Server {
    /// Opens (or on first start creates) the data directory: database, keys, admin token.
    pub fn open(config: Config) -> Result<Server, String> {
        Server::open_with_clock(config, Arc::new(clock::SystemClock))
    }

    /// [`Server::open`] with another clock (tests move it to see day 40 today).
    pub fn open_with_clock(config: Config, clock: Arc<dyn clock::Clock>) -> Result<Server, String> {
        config.check()?;
        create_private_dir(&config.data_dir)?;
        let db_path = config.data_dir.join(DATABASE_FILE);
        create_private_file(&db_path)?;
        let store = Store::open(&db_path).map_err(|e| format!("{}: {e}", db_path.display()))?;
        let (keys, _) = KeyStore::open(&config.data_dir)?;
        let db_error = |e: rusqlite::Error| format!("{}: {e}", db_path.display());
        let first_admin_token = if store.token_count().map_err(db_error)? == 0 {
            let token = auth::new_token();
            store
                .insert_token("admin", &auth::hash_token(&token), None, None, clock.now())
                .map_err(db_error)?;
            Some(token)
        } else {
            None
        };
        let policies: HashMap<_, _> = store
            .latest_versions()
            .map_err(db_error)?
            .into_iter()
            .map(|v| (v.tenant, Arc::new(Distributed::new(v.version, v.bundle))))
            .collect();
        let keysets: HashMap<_, _> = store
            .latest_keysets()
            .map_err(db_error)?
            .into_iter()
            .map(|(tenant, version, bytes)| (tenant, Arc::new(Distributed::new(version, bytes))))
            .collect();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let state = Arc::new(ServerState {
            admin_limiter: ratelimit::RateLimiter::new(config.admin_requests_per_minute),
            failed_admin_limiter: ratelimit::RateLimiter::new(
                config.admin_failed_attempts_per_minute,
            ),
            report_install_limiter: ratelimit::RateLimiter::new(
                config.reports_per_install_per_minute,
            ),
            report_client_limiter: ratelimit::RateLimiter::new(
                config.reports_per_client_per_minute,
            ),
            diff_slots: Arc::new(tokio::sync::Semaphore::new(DIFFS_AT_ONCE)),
            config,
            store: Arc::new(store),
            signer: Arc::new(keys),
            policies: RwLock::new(policies),
            keysets: RwLock::new(keysets),
            events: broadcast::channel(64).0,
            metrics: metrics::Metrics::default(),
            shutdown: shutdown_rx,
            clock,
        });
        Ok(Server {
            state,
            shutdown,
            first_admin_token,
        })
    }

    pub fn router(&self) -> axum::Router {
        routes::router(self.state.clone())
    }

    /// Runs the background jobs once now (renewals), as the server does on each interval.
    pub async fn run_jobs_once(&self) {
        jobs::run_once(&self.state).await;
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting, ends event streams and lets
    /// requests in flight finish.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        self.serve_until(listener, shutdown_signal()).await
    }

    /// Serves until `stop` resolves (a signal, or a test's say-so), then shuts down as
    /// [`Server::serve`] does.
    pub async fn serve_until(
        self,
        listener: tokio::net::TcpListener,
        stop: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        let renewal = tokio::spawn(jobs::run_periodically(self.state.clone()));
        let app = listen::App {
            state: self.state.clone(),
            router: self.router(),
        };
        let limits = listen::Limits::of(&self.state.config);
        let shutdown = self.shutdown;
        let served = listen::serve(listener, app, limits, async move {
            stop.await;
            tracing::info!("shutting down");
            let _ = shutdown.send(true);
        })
        .await;
        renewal.abort();
        served
    }
}

/// History diffs computed at once, on the blocking pool.
const DIFFS_AT_ONCE: usize = 2;

/// `sendguard serve`: logs, opens the data directory, listens, serves. Blocks until shutdown.
pub fn run(config: Config) -> Result<(), String> {
    init_logging(config.log_format);
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listen = config.listen;
        let data_dir = config.data_dir.clone();
        let server = Server::open(config)?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        // Printed, not logged: these lines are for the operator's terminal, and the token
        // must never reach a log collector.
        if let Some(token) = &server.first_admin_token {
            println!("sendguard: first start in {}", data_dir.display());
            println!("sendguard: admin token (shown once, only its hash is stored; keep it safe):");
            println!("{token}");
        }
        for problem in assets::missing(&server.state.config) {
            println!("sendguard: {problem}");
        }
        println!("sendguard: listening on http://{address}");
        tracing::info!(%address, data_dir = %data_dir.display(), "listening");
        server
            .serve(listener)
            .await
            .map_err(|e| format!("server: {e}"))
    })
}

fn init_logging(format: config::LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        config::LogFormat::Json => builder.json().try_init(),
        config::LogFormat::Text => builder.try_init(),
    };
}

/// Runs `then` on a thread of its own at the first SIGINT or SIGTERM, for a service without
/// an async runtime of its own (`sendguard gateway`'s graceful shutdown). The signals are
/// caught from when this returns (not the default action, which ends the process at once).
#[cfg(unix)]
pub fn on_shutdown_signal(then: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut interrupt, mut terminate) = {
        let _inside = runtime.enter();
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    std::thread::spawn(move || {
        runtime.block_on(async {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        });
        then();
    });
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

fn create_private_dir(dir: &std::path::Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Creates an empty file readable by the owner only (SQLite gives its WAL the same mode).
fn create_private_file(path: &std::path::Path) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// Seconds since 1970 (the server's clock; the core has none).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A strong ETag for exact bytes: a quoted SHA-256 prefix (128 bits is plenty to tell versions apart).
pub fn etag(bytes: &[u8]) -> String {
    format!(
        "\"{}\"",
        &sendguard_core::envelope::hex(&Sha256::digest(bytes))[..32]
    )
}
