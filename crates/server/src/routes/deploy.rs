//! `/api/v1/tenants/{tenant}/deploy`: what an admin hands out to install the add-ins for one
//! tenant (the console's Deploy page): the tenant's keyset, a ready `policies.json` for
//! Thunderbird, the `.xpi` address, and the Outlook manifest for this server's public URL,
//! generated from the template (`outlook.rs`).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::policy::authorise;
use crate::assets::{self, Part};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::outlook;
use crate::AppState;

/// The Thunderbird extension's id (addin/thunderbird/manifest.json).
const THUNDERBIRD_ID: &str = "sendguard@sendguard.org";

#[derive(Serialize)]
pub struct Deployment {
    tenant: String,
    /// The address add-ins use: `public_url`, else the address this request came to.
    server_url: String,
    /// Whether `server_url` is the configured public URL (else a guess from this request).
    public_url_set: bool,
    /// The tenant's current keyset (JSON text): pin it in the add-ins.
    keyset: String,
    thunderbird: Thunderbird,
    outlook: Outlook,
}

#[derive(Serialize)]
pub struct Thunderbird {
    xpi_url: String,
    /// `None` when the `.xpi` is neither built in nor in `addin_dir`: then why.
    problem: Option<&'static str>,
    /// Thunderbird's enterprise `policies.json`: installs the extension for everyone and
    /// pins server, tenant and keyset (docs/thunderbird.md).
    policies_json: serde_json::Value,
}

#[derive(Serialize)]
pub struct Outlook {
    /// The admin API path that downloads the manifest (add `?send_mode=`).
    manifest_path: String,
    send_modes: [&'static str; 3],
    /// Why the Outlook add-in cannot be deployed from this server yet, if it cannot.
    problem: Option<String>,
}

/// The server's address as add-ins should use it.
fn server_url(state: &AppState, headers: &HeaderMap) -> (String, bool) {
    if let Some(url) = state.config.public_url() {
        return (url.to_string(), true);
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("127.0.0.1");
    (format!("http://{host}"), false)
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Deployment>> {
    authorise(&state, &caller, &tenant).await?;
    let keyset = state
        .keyset(&tenant)
        .ok_or_else(|| ApiError::not_found(format!("no keyset for tenant `{tenant}`")))?;
    let keyset = String::from_utf8_lossy(&keyset.bytes).into_owned();
    let (server, public_url_set) = server_url(&state, &headers);
    let xpi_url = format!("{server}{}", assets::XPI_URL_PATH);
    let policies_json = serde_json::json!({
        "policies": {
            "ExtensionSettings": {
                THUNDERBIRD_ID: { "installation_mode": "force_installed", "install_url": xpi_url }
            },
            "3rdparty": {
                "Extensions": {
                    THUNDERBIRD_ID: { "server": server, "tenant": tenant, "keyset": keyset }
                }
            }
        }
    });
    let outlook_problem = outlook_problem(&state).map(str::to_string);
    Ok(Json(Deployment {
        thunderbird: Thunderbird {
            xpi_url,
            problem: (!Part::Thunderbird.available(&state.config))
                .then(|| Part::Thunderbird.missing()),
            policies_json,
        },
        outlook: Outlook {
            manifest_path: format!("/api/v1/tenants/{tenant}/deploy/outlook-manifest.xml"),
            send_modes: outlook::SEND_MODES,
            problem: outlook_problem,
        },
        tenant,
        server_url: server,
        public_url_set,
        keyset,
    }))
}

/// Why this server cannot hand out a working Outlook add-in, if it cannot.
fn outlook_problem(state: &AppState) -> Option<&'static str> {
    if state.config.public_url().is_none() {
        Some("set public_url (SENDGUARD_PUBLIC_URL) to the https address users reach this server at: Outlook loads add-ins only over https")
    } else if !Part::Outlook.available(&state.config) {
        Some(Part::Outlook.missing())
    } else {
        None
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestQuery {
    /// The manifest's SendMode; default PromptUser.
    send_mode: Option<String>,
}

/// The tenant's Outlook manifest, as a download.
pub async fn outlook_manifest(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(query): Query<ManifestQuery>,
) -> ApiResult<Response> {
    authorise(&state, &caller, &tenant).await?;
    if let Some(problem) = outlook_problem(&state) {
        return Err(ApiError::conflict(problem));
    }
    let public_url = state.config.public_url().unwrap_or_default();
    let send_mode = query.send_mode.as_deref().unwrap_or("PromptUser");
    let xml = outlook::manifest(public_url, &tenant, send_mode).map_err(ApiError::bad_request)?;
    let disposition = format!("attachment; filename=\"sendguard-{tenant}-manifest.xml\"");
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
            ),
        ],
        xml,
    )
        .into_response())
}
