//! `/api/v1/tenants/{tenant}/policy`, `/history`, `/rollback`: read, validate and publish a
//! tenant's policy. Publishing validates with the engine's own parser, signs the exact text
//! and stores it as the next version; a roll back publishes an old text as a new version, so
//! versions only ever go up (clients refuse lower ones).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sendguard_core::{Engine, Policy};
use serde::{Deserialize, Serialize};

use super::{JsonBody, TextBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::signer::sign_version;
use crate::store::{Origin, PolicyVersion};
use crate::AppState;

/// A version without its bundle bytes, as the admin API shows it.
#[derive(Serialize)]
pub struct VersionSummary {
    tenant: String,
    version: i64,
    etag: String,
    key_id: String,
    published_by: String,
    published_at: i64,
    expires_at: i64,
    rollback_of: Option<i64>,
    /// Set when the server re-signed that version's policy unchanged before it expired.
    renewal_of: Option<i64>,
}

impl From<&PolicyVersion> for VersionSummary {
    fn from(v: &PolicyVersion) -> Self {
        VersionSummary {
            tenant: v.tenant.clone(),
            version: v.version,
            etag: v.etag.clone(),
            key_id: v.key_id.clone(),
            published_by: v.published_by.clone(),
            published_at: v.published_at,
            expires_at: v.expires_at,
            rollback_of: v.rollback_of,
            renewal_of: v.renewal_of,
        }
    }
}

#[derive(Serialize)]
pub struct CurrentPolicy {
    /// 0 when nothing has been published yet (then `policy` is the built-in default).
    version: i64,
    policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<VersionSummary>,
}

/// Checks the caller may administer `tenant` and that it exists.
pub(super) async fn authorise(state: &AppState, caller: &Caller, tenant: &str) -> ApiResult<()> {
    caller.require_tenant(tenant)?;
    let id = tenant.to_string();
    match state.db(move |store| store.tenant(&id)).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found(format!("no tenant `{tenant}`"))),
    }
}

pub async fn current(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> ApiResult<Json<CurrentPolicy>> {
    authorise(&state, &caller, &tenant).await?;
    let latest = state
        .db(move |store| store.history(&tenant).map(|h| h.into_iter().next()))
        .await?;
    Ok(Json(match latest {
        Some(v) => CurrentPolicy {
            version: v.version,
            published: Some((&v).into()),
            policy: v.policy,
        },
        None => CurrentPolicy {
            version: 0,
            policy: Policy::default().to_json_pretty(),
            published: None,
        },
    }))
}

/// Parses and compiles a policy exactly as the add-ins will.
fn check_policy(text: &str) -> ApiResult<()> {
    let policy = Policy::from_json(text).map_err(ApiError::invalid_policy)?;
    Engine::new(policy).map_err(|e| match e {
        sendguard_core::Error::Policy(e) => ApiError::invalid_policy(e),
        other => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_policy",
            other.to_string(),
        ),
    })?;
    Ok(())
}

#[derive(Serialize)]
pub struct Valid {
    valid: bool,
}

pub async fn validate(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    TextBody(text): TextBody,
) -> ApiResult<Json<Valid>> {
    authorise(&state, &caller, &tenant).await?;
    check_policy(&text)?;
    Ok(Json(Valid { valid: true }))
}

pub async fn publish_handler(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    TextBody(text): TextBody,
) -> ApiResult<(StatusCode, Json<VersionSummary>)> {
    authorise(&state, &caller, &tenant).await?;
    let published = publish(&state, &tenant, text, caller.name(), None).await?;
    Ok((StatusCode::CREATED, Json((&published).into())))
}

/// Validates, signs and stores `text` as `tenant`'s next version, then distributes it.
pub async fn publish(
    state: &AppState,
    tenant: &str,
    text: String,
    published_by: &str,
    rollback_of: Option<i64>,
) -> ApiResult<PolicyVersion> {
    check_policy(&text)?;
    let signer = std::sync::Arc::clone(&state.signer);
    let lifetime = state.config.bundle_lifetime_secs();
    let (tenant_id, by) = (tenant.to_string(), published_by.to_string());
    let origin = rollback_of.map_or(Origin::Publish, Origin::RollbackOf);
    let now = state.now();
    let published = state
        .db(move |store| {
            store.publish(&tenant_id, &text, &by, origin, now, |new| {
                sign_version(signer.as_ref(), lifetime, new).map_err(ApiError::internal)
            })
        })
        .await?;
    state
        .metrics
        .publishes
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    state.distribute_policy(tenant, published.version, published.bundle.clone());
    tracing::info!(
        tenant,
        version = published.version,
        by = published_by,
        ?rollback_of,
        "policy published"
    );
    Ok(published)
}

#[derive(Serialize)]
pub struct HistoryEntry {
    #[serde(flatten)]
    summary: VersionSummary,
    /// Unified diff from the previous version (empty for the first).
    diff: String,
}

pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    authorise(&state, &caller, &tenant).await?;
    let versions = state.db(move |store| store.history(&tenant)).await?;
    let entries = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let previous = versions.get(i + 1);
            let diff = match previous {
                Some(p) => unified_diff(&p.policy, &v.policy, p.version, v.version),
                None => String::new(),
            };
            HistoryEntry {
                summary: v.into(),
                diff,
            }
        })
        .collect();
    Ok(Json(entries))
}

fn unified_diff(old: &str, new: &str, old_version: i64, new_version: i64) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("version {old_version}"),
            &format!("version {new_version}"),
        )
        .to_string()
}

#[derive(Serialize)]
pub struct VersionDetail {
    #[serde(flatten)]
    summary: VersionSummary,
    policy: String,
    /// Unified diff from the current version to this one: what a roll back to it would
    /// change (empty when it is the current policy text). The console previews it.
    rollback_diff: String,
}

pub async fn version(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant, version)): Path<(String, String)>,
) -> ApiResult<Json<VersionDetail>> {
    authorise(&state, &caller, &tenant).await?;
    let number = parse_version(&version)?;
    let (found, current) = state
        .db(move |store| {
            let found = store.version(&tenant, number)?;
            let current = store.history(&tenant).map(|h| h.into_iter().next())?;
            Ok::<_, rusqlite::Error>((found, current))
        })
        .await?;
    let v = found.ok_or_else(|| ApiError::not_found(format!("no version {number}")))?;
    let rollback_diff = match current {
        Some(c) if c.policy != v.policy => unified_diff(&c.policy, &v.policy, c.version, v.version),
        _ => String::new(),
    };
    Ok(Json(VersionDetail {
        summary: (&v).into(),
        policy: v.policy,
        rollback_diff,
    }))
}

fn parse_version(text: &str) -> ApiResult<i64> {
    text.parse()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::bad_request(format!("`{text}` is not a version number")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    /// The version whose policy becomes current again (as a new, higher version).
    version: i64,
}

pub async fn rollback(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    JsonBody(request): JsonBody<RollbackRequest>,
) -> ApiResult<(StatusCode, Json<VersionSummary>)> {
    authorise(&state, &caller, &tenant).await?;
    let (id, number) = (tenant.clone(), request.version);
    let old = state.db(move |store| store.version(&id, number)).await?;
    let old =
        old.ok_or_else(|| ApiError::not_found(format!("no version {number} to roll back to")))?;
    let published = publish(&state, &tenant, old.policy, caller.name(), Some(number)).await?;
    Ok((StatusCode::CREATED, Json((&published).into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_show_the_changed_line() {
        let diff = unified_diff("{\n  \"a\": 1\n}\n", "{\n  \"a\": 2\n}\n", 1, 2);
        assert!(
            diff.contains("--- version 1") && diff.contains("+++ version 2"),
            "{diff}"
        );
        assert!(
            diff.contains("-  \"a\": 1") && diff.contains("+  \"a\": 2"),
            "{diff}"
        );
    }

    #[test]
    fn invalid_policies_name_the_field() {
        let e = check_policy(r#"{"actions": {"tld_trap": "maybe"}}"#).unwrap_err();
        assert_eq!(e.code, "invalid_policy");
        assert_eq!(e.path.as_deref(), Some("actions.tld_trap"));
        assert!(check_policy("{}").is_ok());
    }
}
