//! Requests straight through the router (`tower::ServiceExt::oneshot`, no socket), for the
//! tests that run a server with a moved clock (`policy_renewal.rs`, `report_ingest.rs`).

#![allow(dead_code)] // each test file uses its own subset

use axum::body::Body;
use axum::http::Request;
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
