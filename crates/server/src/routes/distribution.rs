//! `/v1/...`: what add-ins download, without authentication (the bundles are signed, so the
//! transport need not be trusted). Served from memory with strong ETags; `If-None-Match`
//! gets 304. Event streams announce each new version so clients fetch at once.
//!
//! Every seat asks for its policy and keyset all the time, so a GET of one held in memory
//! takes a fast path ([`fast`], called by `listen.rs` before the router): the response
//! headers are made once per version, CORS and metrics are done inline, and no layer runs.
//! It carries the same limits as every other request (those of the connection) and never
//! waits, so it needs no timeout. Anything else (a tenant without one, other methods,
//! preflights, event streams) goes through the router below.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::error::ApiError;
use crate::metrics::Area;
use crate::state::{Distributed, PolicyEvent, ServerState};
use crate::AppState;

/// The fast path: the answer to a GET of a policy or keyset held in memory, or `None` to
/// let the router answer.
pub fn fast(
    state: &ServerState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    if method != Method::GET {
        return None;
    }
    let (tenant, document) = uri.path().strip_prefix("/v1/tenants/")?.split_once('/')?;
    let held = match document {
        "policy" => state.policy(tenant)?,
        "keyset" => state.keyset(tenant)?,
        _ => return None,
    };
    let mut response = conditional(&held, headers);
    if let Some(origin) = headers.get(header::ORIGIN) {
        let allowed = state
            .config
            .addin_origins
            .iter()
            .any(|o| o.as_bytes() == origin.as_bytes());
        if allowed {
            response
                .headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        }
    }
    let status = response.status();
    state
        .metrics
        .count_request(Area::Distribution, status.as_u16());
    // The same line the trace layer writes for routed requests, when it is wanted.
    if tracing::enabled!(tracing::Level::INFO) {
        tracing::info!(method = %method, path = %uri.path(), status = status.as_u16(), "finished processing request");
    }
    Some(response)
}

pub async fn policy(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    match state.policy(&tenant) {
        Some(bundle) => without_cors(conditional(&bundle, &headers)),
        None => ApiError::not_found(format!("no published policy for tenant `{tenant}`"))
            .into_response(),
    }
}

pub async fn keyset(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    match state.keyset(&tenant) {
        Some(keyset) => without_cors(conditional(&keyset, &headers)),
        None => ApiError::not_found(format!("no keyset for tenant `{tenant}`")).into_response(),
    }
}

/// 304 when the client already holds these bytes, else the bytes; the headers made with
/// the document.
fn conditional(document: &Distributed, headers: &HeaderMap) -> Response {
    let held = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let mut response;
    if held.is_some_and(|h| etag_matches(h, document.etag.to_str().unwrap_or_default())) {
        response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        *response.headers_mut() = document.headers_not_modified.clone();
    } else {
        response = Response::new(Body::from(document.bytes.clone()));
        *response.headers_mut() = document.headers_ok.clone();
    }
    response
}

/// On the routed path the CORS layer adds these itself (the fast path has no such layer).
fn without_cors(mut response: Response) -> Response {
    response.headers_mut().remove(header::VARY);
    response
        .headers_mut()
        .remove(header::ACCESS_CONTROL_EXPOSE_HEADERS);
    response
}

/// `If-None-Match` uses the weak comparison (RFC 9110 13.1.2): `W/` is ignored; `*` matches.
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

/// Decrements the open-stream gauge when a stream ends, however it ends.
struct StreamGauge(AppState);

impl Drop for StreamGauge {
    fn drop(&mut self) {
        self.0
            .metrics
            .event_streams
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Server-Sent Events: first the current version (if any), then one `policy` event per
/// publish for this tenant. Ends when the server shuts down.
pub async fn events(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.events.subscribe();
    let shutdown = state.shutdown.clone();
    state
        .metrics
        .event_streams
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let gauge = StreamGauge(state.clone());
    let current = current_event(&state, &tenant);
    let updates = stream::unfold(
        (receiver, shutdown, tenant, gauge),
        |(mut receiver, mut shutdown, tenant, gauge)| async move {
            loop {
                if *shutdown.borrow() {
                    return None;
                }
                tokio::select! {
                    _ = shutdown.changed() => return None,
                    received = receiver.recv() => match received {
                        Ok(event) if event.tenant == tenant => return Some((event, (receiver, shutdown, tenant, gauge))),
                        Ok(_) => continue,
                    // Missed some: announce the current version, which is all a client needs.
                    Err(RecvError::Lagged(_)) => match current_event(&gauge.0, &tenant) {
                        Some(event) => return Some((event, (receiver, shutdown, tenant, gauge))),
                        None => continue,
                    },
                        Err(RecvError::Closed) => return None,
                    },
                }
            }
        },
    );
    let events = stream::iter(current)
        .chain(updates)
        .map(|event| Ok(policy_event(&event)));
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(
        crate::config::EVENT_STREAM_KEEP_ALIVE_SECS,
    )))
}

fn current_event(state: &AppState, tenant: &str) -> Option<PolicyEvent> {
    state.policy(tenant).map(|p| PolicyEvent {
        tenant: tenant.to_string(),
        version: p.version,
        etag: p.etag.to_str().unwrap_or_default().to_string(),
    })
}

fn policy_event(event: &PolicyEvent) -> Event {
    Event::default()
        .event("policy")
        .id(event.version.to_string())
        .json_data(event)
        .unwrap_or_else(|_| Event::default().event("policy"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_forms() {
        let etag = "\"abc\"";
        assert!(etag_matches("\"abc\"", etag));
        assert!(etag_matches("\"x\", W/\"abc\"", etag));
        assert!(etag_matches("*", etag));
        assert!(!etag_matches("\"abd\"", etag));
        assert!(!etag_matches("abc", etag));
    }
}
