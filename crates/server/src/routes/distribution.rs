//! `/v1/...`: what add-ins download, without authentication (the bundles are signed, so the
//! transport need not be trusted). Served from memory with strong ETags; `If-None-Match`
//! gets 304. Event streams announce each new version so clients fetch at once.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::error::ApiError;
use crate::state::{Distributed, PolicyEvent};
use crate::AppState;

const BUNDLE_TYPE: &str = "application/json";

pub async fn policy(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    match state.policy(&tenant) {
        Some(bundle) => conditional(&bundle, &headers),
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
        Some(keyset) => conditional(&keyset, &headers),
        None => ApiError::not_found(format!("no keyset for tenant `{tenant}`")).into_response(),
    }
}

/// 304 when the client already holds these bytes, else the bytes.
fn conditional(document: &Distributed, headers: &HeaderMap) -> Response {
    let cache = [
        (header::ETAG, document.etag.clone()),
        // Clients revalidate every time; a 304 costs almost nothing.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    let held = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if held.is_some_and(|h| etag_matches(h, document.etag.to_str().unwrap_or_default())) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(header::CONTENT_TYPE, HeaderValue::from_static(BUNDLE_TYPE))],
        document.bytes.clone(),
    )
        .into_response()
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
    let current = state.policy(&tenant).map(|p| PolicyEvent {
        tenant: tenant.clone(),
        version: p.version,
        etag: p.etag.to_str().unwrap_or_default().to_string(),
    });
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
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    },
                }
            }
        },
    );
    let events = stream::iter(current)
        .chain(updates)
        .map(|event| Ok(policy_event(&event)));
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
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
