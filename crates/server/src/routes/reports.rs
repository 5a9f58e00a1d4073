//! Devices' daily reports: `POST /v1/tenants/{tenant}/reports` takes one (no token: the
//! add-ins have none; counts only, read with the core's JSON rule and `Report::validate`,
//! at most [`MAX_REPORT_BYTES`], rate-limited per install and per client, refused when the
//! tenant's current policy switched reporting off), and `GET /api/v1/tenants/{tenant}/reports`
//! sums them up for the console's dashboard. What may be in a report: docs/privacy.md.

use std::time::Instant;

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sendguard_core::report::{days_since_epoch, Report, ReportingSettings};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::policy::authorise;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::layers;
use crate::ratelimit::client_of;
use crate::store::{ReportSummary, Stored};
use crate::AppState;

/// Largest report body: a full report (512 counts, 200 domains, 50 justifications) is
/// well under it.
pub const MAX_REPORT_BYTES: usize = 64 * 1024;

/// A report may count today, tomorrow (a client's clock ahead, or a time zone) and the
/// retention window before.
const DAYS_AHEAD: i64 = 1;

#[derive(Serialize)]
pub struct Accepted {
    stored: Stored,
    /// Justifications left out because the tenant's policy does not record them.
    justifications_dropped: usize,
}

/// The tenant's current policy's `reporting` section, and its version.
async fn reporting_of(state: &AppState, tenant: &str) -> ApiResult<(i64, ReportingSettings)> {
    let current = state
        .policies
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(tenant)
        .map(|d| d.version);
    let Some(version) = current else {
        return Err(ApiError::not_found(format!(
            "tenant `{tenant}` has no published policy"
        )));
    };
    let id = tenant.to_string();
    let stored = state.db(move |store| store.version(&id, version)).await?;
    let text = stored.map(|v| v.policy).unwrap_or_default();
    // The text was validated by the engine when it was published; only its reporting section
    // matters here (other fields are not read).
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct ReportingOnly {
        reporting: ReportingSettings,
    }
    let policy: ReportingOnly = serde_json::from_str(&text).map_err(ApiError::internal)?;
    Ok((version, policy.reporting))
}

/// The install as stored: a hash of the tenant and its random id, so the stored value cannot
/// be sent back as another tenant's install.
fn install_hash(tenant: &str, install_id: &str) -> String {
    let digest = Sha256::digest(format!("sendguard-report\0{tenant}\0{install_id}"));
    sendguard_core::envelope::hex(&digest)[..32].to_string()
}

fn bad_report(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_report", message)
}

/// `POST /v1/tenants/{tenant}/reports`.
pub async fn ingest(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    request: Request,
) -> Response {
    let now = Instant::now();
    let client = client_of(&request, &state.config.trusted_proxies);
    if !state.report_client_limiter.allow(client, now) {
        return layers::rate_limited(&state);
    }
    let body = match axum::body::to_bytes(request.into_body(), MAX_REPORT_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("a report is at most {MAX_REPORT_BYTES} bytes"),
            )
            .into_response()
        }
    };
    let report = match Report::from_json(&body) {
        Ok(report) => report,
        Err(e) => {
            let mut error = bad_report(e.to_string());
            error.path = Some(e.path);
            return error.into_response();
        }
    };
    let install = install_hash(&tenant, &report.install_id);
    if !state
        .report_install_limiter
        .allow((tenant.clone(), install.clone()), now)
    {
        return layers::rate_limited(&state);
    }
    match store(&state, &tenant, &install, report).await {
        Ok(accepted) => Json(accepted).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Checks a valid report against the tenant's policy and the days kept, then stores it.
async fn store(
    state: &AppState,
    tenant: &str,
    install: &str,
    mut report: Report,
) -> ApiResult<Accepted> {
    let (current, reporting) = reporting_of(state, tenant).await?;
    if !reporting.enabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "reporting_off",
            format!("tenant `{tenant}`'s policy switched reporting off: send nothing"),
        ));
    }
    if report.policy_version as i64 > current {
        return Err(bad_report(format!(
            "policy version {} was never published (the current one is {current})",
            report.policy_version
        )));
    }
    let day = days_since_epoch(&report.day).expect("validated");
    let today = state.now().div_euclid(86_400);
    let first_kept = today - i64::from(state.config.report_retention_days) + 1;
    if day < first_kept || day > today + DAYS_AHEAD {
        return Err(bad_report(format!(
            "day {} is outside the days this server keeps",
            report.day
        )));
    }
    let dropped = if reporting.record_justifications {
        0
    } else {
        std::mem::take(&mut report.justifications).len()
    };
    let (tenant, install) = (tenant.to_string(), install.to_string());
    let now = state.now();
    let keep = reporting.record_justifications;
    let stored = state
        .db(move |store| store.store_report(&tenant, &install, day, &report, keep, now))
        .await?;
    Ok(Accepted {
        stored,
        justifications_dropped: dropped,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// The window: the last `days` days up to today (default 28).
    days: Option<u32>,
}

/// `GET /api/v1/tenants/{tenant}/reports?days=N`: the dashboard's figures.
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(query): Query<SummaryQuery>,
) -> ApiResult<Json<ReportSummary>> {
    authorise(&state, &caller, &tenant).await?;
    let retention = state.config.report_retention_days;
    let days = query.days.unwrap_or(28);
    if days == 0 || days > retention {
        return Err(ApiError::bad_request(format!(
            "days: 1 to {retention} (report_retention_days)"
        )));
    }
    let today = state.now().div_euclid(86_400);
    let window = (today - i64::from(days) + 1, today);
    let min_installs = state.config.report_min_installs;
    let summary = state
        .db(move |store| store.report_summary(&tenant, window, min_installs))
        .await?;
    Ok(Json(summary))
}
