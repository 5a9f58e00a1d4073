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
                let signed =
                    sign_version(signer.as_ref(), lifetime, new).map_err(ApiError::internal)?;
                refuse_oversized_bundle(signed.bundle.len())?;
                Ok::<_, ApiError>(signed)
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

/// Clients refuse a bundle over `MAX_BUNDLE_BYTES`: never publish one.
fn refuse_oversized_bundle(size: usize) -> ApiResult<()> {
    let limit = sendguard_core::bundle::MAX_BUNDLE_BYTES;
    if size <= limit {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("make the policy smaller: signed, it would be {size} bytes, and clients accept at most {limit}"),
    ))
}

#[derive(Serialize)]
pub struct HistoryEntry {
    #[serde(flatten)]
    summary: VersionSummary,
    /// Unified diff from the previous version (empty for the first), or a note saying why
    /// it is not shown.
    diff: String,
}

/// A diff longer than this is not shown (the two versions can be opened instead).
const MAX_DIFF_BYTES: usize = 64 * 1024;
/// Past this, one diff's comparison turns coarse (and quick).
const MAX_DIFF_TIME: std::time::Duration = std::time::Duration::from_secs(1);

/// Diffs cost CPU in proportion to the policies' size: they are computed on the blocking
/// pool, a few at a time (`diff_slots`), and all of one request's diffs together must be
/// done within half the request timeout; past that the rest are notes.
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    authorise(&state, &caller, &tenant).await?;
    let versions = state.db(move |store| store.history(&tenant)).await?;
    let budget = std::time::Duration::from_secs(state.config.request_timeout_secs) / 2;
    let deadline = std::time::Instant::now() + budget;
    let entries = in_diff_slot(&state, move || history_entries(&versions, deadline)).await?;
    Ok(Json(entries))
}

/// Runs diff work on the blocking pool, a few at a time (`diff_slots`), never on the workers.
async fn in_diff_slot<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    let slot = state
        .diff_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work()
    })
    .await
    .map_err(|e| ApiError::internal(format!("diff task failed: {e}")))
}

/// Each version with its diff from the one before, newest first.
fn history_entries(versions: &[PolicyVersion], deadline: std::time::Instant) -> Vec<HistoryEntry> {
    versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let diff = match versions.get(i + 1) {
                None => String::new(),
                Some(_) if std::time::Instant::now() >= deadline => format!(
                    "(diff not shown: the history took too long to compare; open version {} to see it)",
                    v.version
                ),
                Some(p) => {
                    // One pathological pair must not take the whole budget.
                    let this = deadline.min(std::time::Instant::now() + MAX_DIFF_TIME);
                    unified_diff(&p.policy, &v.policy, p.version, v.version, this)
                }
            };
            HistoryEntry {
                summary: v.into(),
                diff,
            }
        })
        .collect()
}

/// The unified diff of two versions; past `deadline` the comparison is coarser, and a diff
/// over [`MAX_DIFF_BYTES`] becomes a note.
fn unified_diff(
    old: &str,
    new: &str,
    old_version: i64,
    new_version: i64,
    deadline: std::time::Instant,
) -> String {
    let diff = similar::TextDiff::configure()
        .deadline(deadline)
        .diff_lines(old, new);
    let mut text = CappedText::default();
    let written = std::fmt::Write::write_fmt(
        &mut text,
        format_args!(
            "{}",
            diff.unified_diff().context_radius(3).header(
                &format!("version {old_version}"),
                &format!("version {new_version}"),
            )
        ),
    );
    match written {
        Ok(()) => text.0,
        Err(_) => format!(
            "(diff not shown: over {} KB; open versions {old_version} and {new_version} to compare)",
            MAX_DIFF_BYTES / 1024
        ),
    }
}

/// A string that refuses to grow past [`MAX_DIFF_BYTES`] (so a huge diff stops early).
#[derive(Default)]
struct CappedText(String);

impl std::fmt::Write for CappedText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.0.len() + s.len() > MAX_DIFF_BYTES {
            return Err(std::fmt::Error);
        }
        self.0.push_str(s);
        Ok(())
    }
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
    let current_version = state.policy(&tenant).map(|d| d.version);
    let (found, current) = state
        .db(move |store| {
            let found = store.version(&tenant, number)?;
            let current = match current_version {
                Some(c) => store.version(&tenant, c)?,
                None => None,
            };
            Ok::<_, rusqlite::Error>((found, current))
        })
        .await?;
    let v = found.ok_or_else(|| ApiError::not_found(format!("no version {number}")))?;
    let rollback_diff = match current {
        Some(c) if c.policy != v.policy => {
            // Like history's diffs: a few at a time, bounded in time.
            let target = (v.policy.clone(), v.version);
            in_diff_slot(&state, move || {
                let deadline = std::time::Instant::now() + MAX_DIFF_TIME;
                unified_diff(&c.policy, &target.0, c.version, target.1, deadline)
            })
            .await?
        }
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
        let later = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let diff = unified_diff("{\n  \"a\": 1\n}\n", "{\n  \"a\": 2\n}\n", 1, 2, later);
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
    fn huge_diffs_become_notes_and_a_spent_budget_skips_the_rest() {
        let lines = |tag: &str| -> String {
            (0..3_000)
                .map(|i| format!("  \"{tag}{i}.example\",\n"))
                .collect()
        };
        let later = std::time::Instant::now() + std::time::Duration::from_secs(1);
        let diff = unified_diff(&lines("a"), &lines("b"), 1, 2, later);
        assert!(
            diff.starts_with("(diff not shown: over 64 KB"),
            "{}",
            &diff[..100]
        );
        let version = |n: i64, policy: String| PolicyVersion {
            tenant: "acme".into(),
            version: n,
            policy,
            bundle: Vec::new(),
            etag: String::new(),
            key_id: String::new(),
            published_by: "admin".into(),
            published_at: 0,
            expires_at: 0,
            rollback_of: None,
            renewal_of: None,
        };
        let versions = [version(2, lines("b")), version(1, lines("a"))];
        let spent = history_entries(&versions, std::time::Instant::now());
        assert!(spent[0].diff.contains("took too long"), "{}", spent[0].diff);
        assert_eq!(spent[1].diff, "");
    }

    #[test]
    fn bundles_clients_would_refuse_are_never_published() {
        let limit = sendguard_core::bundle::MAX_BUNDLE_BYTES;
        assert!(refuse_oversized_bundle(limit).is_ok());
        let e = refuse_oversized_bundle(limit + 1).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (413, "too_large"));
        assert!(
            e.message.starts_with("make the policy smaller"),
            "{}",
            e.message
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
