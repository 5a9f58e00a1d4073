//! The one state struct every handler gets: settings, the store, the signer, the bundles
//! being distributed (kept in memory so a policy GET never touches the database), the event
//! channel, metrics, the admin rate limiters and the clock.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use std::net::IpAddr;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue};
use tokio::sync::{broadcast, watch, Semaphore};

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
    /// Admin requests with a valid token, per token id.
    pub admin_limiter: RateLimiter<i64>,
    /// Admin requests without a valid token, per client (a separate budget).
    pub failed_admin_limiter: RateLimiter<IpAddr>,
    /// Reports per install (tenant, hash of the install id).
    pub report_install_limiter: RateLimiter<(String, String)>,
    /// Reports per client address (installs are free to invent; addresses are not).
    pub report_client_limiter: RateLimiter<IpAddr>,
    /// History diffs computed at once (they run on the blocking pool, never on the workers).
    pub diff_slots: Arc<Semaphore>,
    /// Becomes `true` when the server is shutting down, ending the event streams.
    pub shutdown: watch::Receiver<bool>,
    /// "Now" for signing, expiry and renewal (moved by tests).
    pub clock: Arc<dyn Clock>,
}

/// A signed document as served: its bytes, strong ETag and the response headers of a 200
/// and of a 304, made once per version rather than once per request.
#[derive(Debug)]
pub struct Distributed {
    pub version: i64,
    pub etag: HeaderValue,
    pub bytes: Bytes,
    pub headers_ok: HeaderMap,
    pub headers_not_modified: HeaderMap,
}

/// How distributed documents are sent.
const DOCUMENT_TYPE: &str = "application/json";

impl Distributed {
    pub fn new(version: i64, bytes: Vec<u8>) -> Distributed {
        let etag = HeaderValue::from_str(&crate::etag(&bytes)).expect("an ETag is ASCII");
        let mut headers_not_modified = crate::layers::security_headers();
        headers_not_modified.insert(header::ETAG, etag.clone());
        // Clients revalidate every time; a 304 costs almost nothing.
        headers_not_modified.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers_not_modified.insert(header::VARY, crate::layers::cors_vary());
        headers_not_modified.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("etag"),
        );
        let mut headers_ok = headers_not_modified.clone();
        headers_ok.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(DOCUMENT_TYPE),
        );
        Distributed {
            version,
            etag,
            bytes: Bytes::from(bytes),
            headers_ok,
            headers_not_modified,
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

    /// Makes a freshly stored version the one distributed, and announces it, unless a newer
    /// one already is (publishes commit in version order but may get here in any order).
    pub fn distribute_policy(&self, tenant: &str, version: i64, bundle: Vec<u8>) {
        let distributed = Arc::new(Distributed::new(version, bundle));
        let etag = distributed.etag.to_str().unwrap_or_default().to_string();
        if !replace_if_newer(&self.policies, tenant, distributed) {
            return;
        }
        // No subscribers is fine: nobody is listening.
        let _ = self.events.send(PolicyEvent {
            tenant: tenant.to_string(),
            version,
            etag,
        });
    }

    /// Makes a stored keyset the one distributed, unless a newer one already is.
    pub fn distribute_keyset(&self, tenant: &str, version: i64, keyset: Vec<u8>) {
        replace_if_newer(
            &self.keysets,
            tenant,
            Arc::new(Distributed::new(version, keyset)),
        );
    }
}

/// Puts `next` in place of the tenant's document if it is newer; says whether it did.
fn replace_if_newer(
    documents: &RwLock<HashMap<String, Arc<Distributed>>>,
    tenant: &str,
    next: Arc<Distributed>,
) -> bool {
    let mut documents = documents.write().unwrap_or_else(|p| p.into_inner());
    match documents.get(tenant) {
        Some(held) if held.version >= next.version => false,
        _ => {
            documents.insert(tenant.to_string(), next);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_version_arriving_late_never_replaces_a_newer_one() {
        let documents = RwLock::new(HashMap::new());
        let document = |version| Arc::new(Distributed::new(version, vec![b'0' + version as u8]));
        assert!(replace_if_newer(&documents, "acme", document(2)));
        assert!(!replace_if_newer(&documents, "acme", document(1)));
        assert!(!replace_if_newer(&documents, "acme", document(2)));
        assert_eq!(documents.read().unwrap()["acme"].version, 2);
        assert!(replace_if_newer(&documents, "acme", document(3)));
        assert_eq!(documents.read().unwrap()["acme"].bytes.as_ref(), b"3");
    }
}
