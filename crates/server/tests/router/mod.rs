//! Requests straight through the router (`tower::ServiceExt::oneshot`, no socket), for the
//! tests that run a server with a moved clock (`policy_renewal.rs`, `report_ingest.rs`).

#![allow(dead_code)] // each test file uses its own subset

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use sendguard_server::clock::ManualClock;
use sendguard_server::{Config, Server};
use tower::ServiceExt;

pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON")
    }
}

/// One request through `app`, with a bearer token if given.
pub async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        body: body.to_vec(),
    }
}

/// A server on a fresh data directory at the clock's time (settings adjusted by `configure`),
/// with tenant `acme` and `policy` published; answers it and the admin token.
pub async fn published_server(
    dir: &std::path::Path,
    clock: &ManualClock,
    configure: impl FnOnce(&mut Config),
    policy: &str,
) -> (Server, String) {
    let mut config = Config {
        data_dir: dir.into(),
        ..Config::default()
    };
    configure(&mut config);
    let server = Server::open_with_clock(config, Arc::new(clock.clone())).unwrap();
    let token = server.first_admin_token.clone().unwrap();
    let app = server.router();
    let created = call(
        &app,
        "POST",
        "/api/v1/tenants",
        Some(&token),
        r#"{"id":"acme"}"#,
    )
    .await;
    assert_eq!(created.status, 201);
    let published = call(
        &app,
        "POST",
        "/api/v1/tenants/acme/policy",
        Some(&token),
        policy,
    )
    .await;
    assert_eq!(published.status, 201);
    (server, token)
}
