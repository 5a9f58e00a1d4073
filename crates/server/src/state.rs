//! The one state struct every handler gets: settings, the store, the signer, the bundles
//! being distributed (kept in memory so a policy GET never touches the database), the event
//! channel, metrics, the admin rate limiter and the clock.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use axum::http::HeaderValue;
use tokio::sync::{broadcast, watch};

use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::signer::Signer;
use crate::store::Store;

pub type AppState = Arc<ServerState>;

pub struct ServerState {
    pub config: Config,
    pub store: Arc<Store>,
    pub signer: Arc<dyn Signer>,
    /// Tenant → its newest signed policy bundle.
    pub policies: RwLock<HashMap<String, Arc<Distributed>>>,
    /// Tenant → its newest signed keyset.
    pub keysets: RwLock<HashMap<String, Arc<Distributed>>>,
    /// Announces each published version to the event streams.
    pub events: broadcast::Sender<PolicyEvent>,
    pub metrics: Metrics,
    pub admin_limiter: RateLimiter,
    /// Becomes `true` when the server is shutting down, ending the event streams.
    pub shutdown: watch::Receiver<bool>,
    /// "Now" for signing, expiry and renewal (moved by tests).
    pub clock: Arc<dyn Clock>,
}

/// A signed document as served: its bytes and strong ETag.
#[derive(Debug)]
pub struct Distributed {
    pub version: i64,
    pub etag: HeaderValue,
    pub bytes: Bytes,
}

impl Distributed {
    pub fn new(version: i64, bytes: Vec<u8>) -> Distributed {
        let etag = HeaderValue::from_str(&crate::etag(&bytes)).expect("an ETag is ASCII");
        Distributed {
            version,
            etag,
            bytes: Bytes::from(bytes),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PolicyEvent {
    pub tenant: String,
    pub version: i64,
    pub etag: String,
}

impl ServerState {
    /// Seconds since 1970, by the server's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Runs a store call on the blocking pool (SQLite calls block, and a publish fsyncs).
    pub async fn db<T, E, F>(&self, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
        F: FnOnce(&Store) -> Result<T, E> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        match tokio::task::spawn_blocking(move || call(&store)).await {
            Ok(result) => result.map_err(Into::into),
            Err(e) => Err(ApiError::internal(format!("store task failed: {e}"))),
        }
    }

    pub fn policy(&self, tenant: &str) -> Option<Arc<Distributed>> {
        self.policies
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
            .cloned()
    }

    pub fn keyset(&self, tenant: &str) -> Option<Arc<Distributed>> {
        self.keysets
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
            .cloned()
    }

    /// Makes a freshly stored version the one distributed, and announces it.
    pub fn distribute_policy(&self, tenant: &str, version: i64, bundle: Vec<u8>) {
        let distributed = Arc::new(Distributed::new(version, bundle));
        let etag = distributed.etag.to_str().unwrap_or_default().to_string();
        self.policies
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.to_string(), distributed);
        // No subscribers is fine: nobody is listening.
        let _ = self.events.send(PolicyEvent {
            tenant: tenant.to_string(),
            version,
            etag,
        });
    }

    pub fn distribute_keyset(&self, tenant: &str, version: i64, keyset: Vec<u8>) {
        let distributed = Arc::new(Distributed::new(version, keyset));
        self.keysets
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.to_string(), distributed);
    }
}
