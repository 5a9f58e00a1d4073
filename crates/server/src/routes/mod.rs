//! The router, in one place: every route of the server and the area it belongs to. Handlers
//! live in one module per resource; the middleware stack lives in `layers.rs`.

mod console;
mod deploy;
mod distribution;
mod operations;
mod policy;
pub mod reports;
mod signing_keys;
mod tenants;
mod tokens;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::config::MetricsAccess;
use crate::error::ApiError;
use crate::layers;
use crate::AppState;

pub use distribution::fast as fast_distribution;
pub use policy::publish;

/// The whole application, layers included.
pub fn router(state: AppState) -> Router {
    let admin = Router::new()
        .route("/whoami", get(tokens::whoami))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/tenants", get(tenants::list).post(tenants::create))
        .route(
            "/tenants/{tenant}/policy",
            get(policy::current).post(policy::publish_handler),
        )
        .route("/tenants/{tenant}/policy/validate", post(policy::validate))
        .route("/tenants/{tenant}/history", get(policy::history))
        .route("/tenants/{tenant}/history/{version}", get(policy::version))
        .route("/tenants/{tenant}/rollback", post(policy::rollback))
        .route(
            "/tenants/{tenant}/keyset",
            axum::routing::put(signing_keys::upload),
        )
        .route("/tenants/{tenant}/reports", get(reports::summary))
        .route("/tenants/{tenant}/deploy", get(deploy::show))
        .route(
            "/tenants/{tenant}/deploy/outlook-manifest.xml",
            get(deploy::outlook_manifest),
        )
        .route("/keys", get(signing_keys::list))
        .route("/keys/rotate", post(signing_keys::rotate))
        .fallback(not_found);
    let admin = layers::admin(admin, &state);

    let distribution = Router::new()
        .route("/v1/tenants/{tenant}/policy", get(distribution::policy))
        .route("/v1/tenants/{tenant}/keyset", get(distribution::keyset));
    let distribution = layers::distribution(distribution, &state);
    // Devices' daily counts: no token (the add-ins have none), their own limits.
    let reports = Router::new().route("/v1/tenants/{tenant}/reports", post(reports::ingest));
    let reports = layers::reports(reports, &state);
    // Event streams stay open for hours, so they are kept out of the request timeout.
    let events = Router::new().route(
        "/v1/tenants/{tenant}/policy/events",
        get(distribution::events),
    );
    let events = layers::distribution(events, &state);

    let mut operations = Router::new()
        .route("/healthz", get(operations::healthz))
        .route("/readyz", get(operations::readyz))
        .route("/openapi.json", get(operations::openapi));
    let metrics = Router::new().route("/metrics", get(operations::metrics));
    match state.config.metrics {
        MetricsAccess::Open => operations = operations.merge(metrics),
        // Behind the admin gate: a token, and failed attempts count as on the admin API.
        MetricsAccess::Token => operations = operations.merge(layers::admin(metrics, &state)),
        MetricsAccess::Off => {}
    }

    let timed = Router::new()
        .nest("/api/v1", admin)
        .merge(distribution)
        .merge(reports)
        .merge(operations)
        .merge(console::router(&state.config));
    let timed = match console::from_disk(&state.config) {
        Some(dir) => timed.fallback_service(dir),
        None => timed.fallback(not_found),
    };
    let timed = layers::timeout(timed, &state);

    layers::common(timed.merge(events), &state).with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such resource")
}

/// A JSON request body whose errors are answered in the API's error format.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let TextBody(text) = TextBody::from_request(request, state).await?;
        sendguard_core::json::from_str(&text)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_request(format!("request body: {e}")))
    }
}

/// A UTF-8 request body (a policy is published as the exact text the admin wrote).
pub struct TextBody(pub String);

impl<S: Send + Sync> FromRequest<S> for TextBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            let status = e.status();
            if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                layers::too_large()
            } else {
                ApiError::bad_request(format!("cannot read the request body: {e}"))
            }
        })?;
        String::from_utf8(bytes.to_vec())
            .map(TextBody)
            .map_err(|_| ApiError::bad_request("the request body is not UTF-8"))
    }
}

/// Names people read (of tokens, of tenants): printable, 1-100 characters.
pub fn check_name(what: &str, name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "{what}: use 1-100 printable characters"
        )));
    }
    Ok(name.to_string())
}

/// Tenant ids appear in URLs, file names and signed payloads: keep them plain.
pub fn check_tenant_id(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 63
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "tenant id `{id}`: use 1-63 lower-case letters, digits and hyphens, not starting with a hyphen"
        )))
    }
}
