//! The admin console (`web/`), the engine's WebAssembly build for its simulator, and the
//! add-ins' files. The console is always built into the binary; the release build also
//! carries the engine, the Thunderbird package and each tenant's Outlook add-in
//! (`assets.rs`, `outlook.rs`), so `sendguard serve` needs no other files. Folders in the
//! settings (`console_dir`, `wasm_dir`, `addin_dir`) replace the built-in copies, e.g. while
//! editing them; a part neither built in nor configured answers 404 saying how to get it.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower::Layer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::assets::{self, Part};
use crate::config::Config;
use crate::error::ApiError;
use crate::outlook;
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
        "/dashboard.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../../web/dashboard.js"),
    ),
    (
        "/charts.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../../web/charts.js"),
    ),
    (
        "/style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../../web/style.css"),
    ),
];

/// The add-in files' content security policy: framed by Outlook (https hosts only), no
/// plugins, no base rewriting.
pub const ADDIN_CONTENT_SECURITY_POLICY: &str =
    "frame-ancestors https:; object-src 'none'; base-uri 'none'";

/// Where Office looks up which add-in scripts an origin allows.
pub const OFFICE_ADDINS_ALLOWED: &str = "/.well-known/microsoft-officeaddins-allowed.json";

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
    router = match &config.addin_dir {
        Some(dir) => router.merge(addin_folder(dir)),
        None => router
            .route(assets::XPI_URL_PATH, get(thunderbird_package))
            .route(OFFICE_ADDINS_ALLOWED, get(office_allowed_list)),
    };
    router = router.route(
        "/t/{tenant}/addin/outlook/{*file}",
        get(outlook_file).layer(addin_policy()),
    );
    router = match &config.wasm_dir {
        Some(dir) => router.nest_service("/wasm", ServeDir::new(dir)),
        None => embedded_engine(router),
    };
    router
}

/// The add-in's pages run inside Outlook (framed by Outlook on the web) and load Microsoft's
/// office.js: the console's "never framed, own scripts only" policy would break them. A CSP
/// with frame-ancestors also makes browsers ignore X-Frame-Options.
fn addin_policy() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(ADDIN_CONTENT_SECURITY_POLICY),
    )
}

/// `addin_dir`: static add-in files (as packaged by `addin/outlook/package.mjs`).
fn addin_folder(dir: &std::path::Path) -> Router<AppState> {
    let addin = addin_policy().layer(ServeDir::new(dir));
    // Classic Outlook's event runtime may make CORS requests only for scripts that the
    // origin lists at this well-known URI; the Outlook packaging command writes the list
    // into the add-in folder (docs/outlook.md).
    Router::new().nest_service("/addin", addin).route_service(
        OFFICE_ADDINS_ALLOWED,
        ServeFile::new(dir.join("microsoft-officeaddins-allowed.json")),
    )
}

/// The built-in engine at `/wasm/`, or a 404 that says how to get it.
fn embedded_engine(mut router: Router<AppState>) -> Router<AppState> {
    let mut any = false;
    for (name, bytes) in assets::under("wasm") {
        router = router.route(
            &format!("/wasm/{name}"),
            get(move || async move { file(name, bytes) }),
        );
        any = true;
    }
    if !any {
        router = router.route("/wasm/{*file}", get(|| async { missing(Part::Engine) }));
    }
    router
}

fn file(name: &str, bytes: &'static [u8]) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(assets::content_type(name)),
        )],
        bytes,
    )
        .into_response()
}

fn missing(part: Part) -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "not_built_in", part.missing()).into_response()
}

async fn thunderbird_package() -> Response {
    match assets::get(assets::XPI) {
        Some(bytes) => file(assets::XPI, bytes),
        None => missing(Part::Thunderbird),
    }
}

/// One file of a tenant's Outlook add-in, assembled with the tenant's pinned keyset.
async fn outlook_file(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
) -> Response {
    if !Part::Outlook.available(&state.config) {
        return missing(Part::Outlook);
    }
    let Some(public_url) = state.config.public_url() else {
        return ApiError::not_found(
            "set public_url (the server's https address) to serve the Outlook add-in",
        )
        .into_response();
    };
    let Some(keyset) = state.keyset(&tenant) else {
        return ApiError::not_found(format!("no tenant `{tenant}`")).into_response();
    };
    let keyset = String::from_utf8_lossy(&keyset.bytes).into_owned();
    let config = outlook::AddinConfig::new(public_url, &tenant, &keyset);
    match outlook::file(&name, &config) {
        Some(bytes) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(assets::content_type(&name)),
            )],
            bytes,
        )
            .into_response(),
        None => ApiError::not_found("no such add-in file").into_response(),
    }
}

/// Office's list of the scripts allowed to fetch from this origin: every tenant's event script.
async fn office_allowed_list(State(state): State<AppState>) -> Response {
    let Some(public_url) = state.config.public_url().map(str::to_string) else {
        return ApiError::not_found("set public_url to serve the Outlook add-in").into_response();
    };
    let tenants: Vec<String> = state
        .keysets
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .keys()
        .cloned()
        .collect();
    let mut tenants = tenants;
    tenants.sort();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        outlook::allowed_scripts(&public_url, tenants.iter().map(String::as_str)),
    )
        .into_response()
}

/// The console folder on disk, served for every path no route claims.
pub fn from_disk(config: &Config) -> Option<ServeDir> {
    config
        .console_dir
        .as_ref()
        .map(|dir| ServeDir::new(dir).append_index_html_on_directories(true))
}
