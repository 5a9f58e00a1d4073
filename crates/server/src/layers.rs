//! The middleware stack, in one spot. Outermost first: tracing (method, path and status only:
//! never headers, bodies or query strings, so no token, policy or address reaches a log),
//! metrics, panic → JSON 500, security headers, a declared body over the limit → 413 before
//! any of it is read, body limit; per area: admin gate (token, then the rate limits), CORS
//! (distribution), content security policy (console), timeout (all but event streams).
//! The distribution GETs that hit memory skip all of this (`routes::distribution::fast`):
//! they set the same headers themselves. Connection limits live in `listen.rs`.

use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth;
use crate::error::ApiError;
use crate::metrics::Area;
use crate::ratelimit::client_of;
use crate::AppState;

/// The content security policy of every response but the add-in's files: only the
/// console's own scripts, styles and API; WebAssembly allowed for the simulator; never framed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The headers every response carries (docs/server.md, "Security"), unless a route set its
/// own content security policy (the add-in's files are framed by Outlook).
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
];

/// [`SECURITY_HEADERS`] as a map, for responses built outside the stack.
pub fn security_headers() -> HeaderMap {
    SECURITY_HEADERS
        .iter()
        .map(|(name, value)| (name.clone(), HeaderValue::from_static(value)))
        .collect()
}

/// The request headers a distribution response depends on (as the CORS layer sends them).
pub fn cors_vary() -> HeaderValue {
    HeaderValue::from_static(
        "origin, access-control-request-method, access-control-request-headers",
    )
}

/// Layers every response gets.
pub fn common(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), refuse_declared_too_large))
        .layer(middleware::map_response(add_security_headers))
        .layer(CatchPanicLayer::custom(|_| ApiError::internal("a handler panicked").into_response()))
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    tracing::info_span!("http", method = %request.method(), path = %request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

async fn add_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    // A route's own CSP (the add-in's) may allow framing; then X-Frame-Options must not
    // forbid it (browsers ignore it next to frame-ancestors, older WebViews do not).
    let own_policy = headers.contains_key(header::CONTENT_SECURITY_POLICY);
    for (name, value) in &SECURITY_HEADERS {
        if own_policy && *name == header::X_FRAME_OPTIONS {
            continue;
        }
        if !headers.contains_key(name) {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
    }
    response
}

/// A declared `Content-Length` over the limit is answered 413 at once, before reading (or
/// waiting for) a byte of the body.
async fn refuse_declared_too_large(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > state.config.max_body_bytes as u64 => {
            let mut response = too_large().into_response();
            // The body is never read: the connection cannot carry another request.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
        _ => next.run(request).await,
    }
}

/// The 413 of a body over `max_body_bytes`.
pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "the request body is larger than the server accepts (max_body_bytes)",
    )
}

/// The admin API: authenticated and rate-limited here (see [`admin_gate`]), never cached.
pub fn admin(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), admin_gate))
}

/// Distribution: readable from the configured add-in origins only.
pub fn distribution(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router.layer(
        CorsLayer::new()
            .allow_origin(addin_origins(state))
            .allow_methods([Method::GET])
            .allow_headers([header::IF_NONE_MATCH])
            .expose_headers([header::ETAG])
            .max_age(Duration::from_secs(3600)),
    )
}

/// Reports from devices: posted from the configured add-in origins too (Thunderbird and
/// the gateway need no CORS).
pub fn reports(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router.layer(
        CorsLayer::new()
            .allow_origin(addin_origins(state))
            .allow_methods([Method::POST])
            .allow_headers([header::CONTENT_TYPE])
            .max_age(Duration::from_secs(3600)),
    )
}

/// The add-ins' origins (`addin_origins`), the only ones CORS lets in.
fn addin_origins(state: &AppState) -> AllowOrigin {
    AllowOrigin::list(
        state
            .config
            .addin_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok()),
    )
}

pub fn timeout(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let limit = Duration::from_secs(state.config.request_timeout_secs);
    router.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limit,
    ))
}

/// Every admin request: a valid token spends from that token's budget; anything else spends
/// from the client's budget of failed attempts, so failures never lock out an admin.
async fn admin_gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let now = Instant::now();
    match auth::caller(&state, request.headers()).await {
        Ok(Some(caller)) => {
            if !state.admin_limiter.allow(caller.0.id, now) {
                return rate_limited(&state);
            }
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Ok(None) => {
            let client = client_of(&request, &state.config.trusted_proxies);
            if state.failed_admin_limiter.allow(client, now) {
                ApiError::unauthorized().into_response()
            } else {
                rate_limited(&state)
            }
        }
        Err(e) => e.into_response(),
    }
}

/// The 429 of a spent budget (admin requests, devices' reports), counted in the metrics.
pub fn rate_limited(state: &AppState) -> Response {
    state
        .metrics
        .rate_limited
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many requests; slow down",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    response
}

async fn count_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let area = Area::of_path(request.uri().path());
    let response = next.run(request).await;
    state
        .metrics
        .count_request(area, response.status().as_u16());
    response
}
