//! The admin console (`web/`), the engine's WebAssembly build for its simulator, and the
//! add-in's static files. The console is built into the
//! binary (so `sendguard serve` needs no other files) unless `console_dir` points at a
//! folder to serve instead, e.g. while editing it.

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tower_http::services::ServeDir;

use crate::config::Config;
use crate::AppState;

/// (URL path, content type, bytes) of each embedded console file.
const EMBEDDED: &[(&str, &str, &[u8])] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_bytes!("../../../../web/index.html"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../../web/app.js"),
    ),
    (
        "/style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../../web/style.css"),
    ),
];

/// The embedded console (unless served from disk) and the add-in folder.
pub fn router(config: &Config) -> Router<AppState> {
    let mut router = Router::new();
    if config.console_dir.is_none() {
        for &(path, content_type, bytes) in EMBEDDED {
            let page = move || async move {
                (
                    [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
                    bytes,
                )
                    .into_response()
            };
            router = router.route(path, get(page));
        }
    }
    if let Some(dir) = &config.addin_dir {
        router = router.nest_service("/addin", ServeDir::new(dir));
    }
    if let Some(dir) = &config.wasm_dir {
        router = router.nest_service("/wasm", ServeDir::new(dir));
    }
    router
}

/// The console folder on disk, served for every path no route claims.
pub fn from_disk(config: &Config) -> Option<ServeDir> {
    config
        .console_dir
        .as_ref()
        .map(|dir| ServeDir::new(dir).append_index_html_on_directories(true))
}
