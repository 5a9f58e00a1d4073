//! `/api/v1/keys`: the signing key and keysets. Rotation makes a new signing key, publishes
//! each tenant's next keyset listing it, and only then signs with it, so every bundle a
//! client sees is signed by a key its keyset lists.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sendguard_core::keyset::{self, Keyset};
use serde::{Deserialize, Serialize};

use super::{JsonBody, TextBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::signer::KeysView;
use crate::AppState;

#[derive(Serialize)]
pub struct KeysResponse {
    #[serde(flatten)]
    keys: KeysView,
    /// Tenant → version of its current keyset.
    keysets: Vec<TenantKeysetVersion>,
}

#[derive(Serialize)]
pub struct TenantKeysetVersion {
    tenant: String,
    version: i64,
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<KeysResponse>> {
    let keysets = state.db(|store| store.latest_keysets()).await?;
    let keysets = keysets
        .into_iter()
        .filter(|(tenant, _, _)| caller.require_tenant(tenant).is_ok())
        .map(|(tenant, version, _)| TenantKeysetVersion { tenant, version })
        .collect();
    Ok(Json(KeysResponse {
        keys: state.signer.keys(),
        keysets,
    }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// Also revoke the old key (it was stolen): each tenant's policy is then re-signed as a
    /// new version with the new key.
    #[serde(default)]
    revoke_old: bool,
}

pub async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<RotateRequest>,
) -> ApiResult<Json<KeysResponse>> {
    caller.require_global()?;
    let now = state.now();
    let current = state.db(|store| store.latest_keysets()).await?;
    let current: Vec<(String, Vec<u8>)> = current
        .into_iter()
        .map(|(tenant, _, bytes)| (tenant, bytes))
        .collect();
    let next = state
        .signer
        .rotate(&current, request.revoke_old, now)
        .map_err(ApiError::internal)?;
    let stored = next.clone();
    state
        .db(move |store| {
            store.insert_keysets(
                stored
                    .iter()
                    .map(|k| (k.tenant.as_str(), k.version as i64, k.bytes.as_slice())),
                now,
            )
        })
        .await?;
    for keyset in next {
        state.distribute_keyset(&keyset.tenant, keyset.version as i64, keyset.bytes);
    }
    let key_id = state.signer.activate().map_err(ApiError::internal)?;
    tracing::info!(key_id, revoke_old = request.revoke_old, by = %caller.name(), "signing key rotated");
    if request.revoke_old {
        let latest = state.db(|store| store.latest_versions()).await?;
        let by = format!("{} (key rotation)", caller.name());
        for version in latest {
            super::publish(&state, &version.tenant, version.policy, &by, None).await?;
        }
    }
    list(State(state), caller).await
}

/// A keyset the server may distribute must list the key it signs with, or every bundle it
/// publishes from then on would be refused by clients.
pub fn require_active_key(state: &AppState, keyset: &Keyset) -> ApiResult<()> {
    let active = state.signer.keys().signing_key_id;
    if keyset.signing_keys.iter().any(|k| k.id == active) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_keyset",
            format!("the keyset does not list this server's signing key {active}"),
        ))
    }
}

pub fn invalid_keyset(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_keyset",
        format!("keyset: {e}"),
    )
}

#[derive(Serialize)]
pub struct StoredKeyset {
    tenant: String,
    version: u64,
}

/// `PUT /api/v1/tenants/{tenant}/keyset`: a keyset signed offline (with `sendguard keyset`),
/// accepted only as a valid update of the current one: signed by the current roots and its
/// own, newer, revocations kept, and listing this server's signing key.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    TextBody(text): TextBody,
) -> ApiResult<Json<StoredKeyset>> {
    caller.require_global()?;
    let current = state
        .keyset(&tenant)
        .ok_or_else(|| ApiError::not_found(format!("no tenant `{tenant}`")))?;
    let now = state.now();
    let trusted =
        keyset::verify_pinned(&current.bytes, &tenant, now).map_err(ApiError::internal)?;
    let next = keyset::verify_update(text.as_bytes(), &trusted, now).map_err(invalid_keyset)?;
    if next.version <= trusted.version {
        return Err(ApiError::conflict(format!(
            "keyset version {} is not newer than {}",
            next.version, trusted.version
        )));
    }
    require_active_key(&state, &next)?;
    let (id, version, bytes) = (
        tenant.clone(),
        next.version as i64,
        text.clone().into_bytes(),
    );
    state
        .db(move |store| store.insert_keysets([(id.as_str(), version, bytes.as_slice())], now))
        .await?;
    state.distribute_keyset(&tenant, version, text.into_bytes());
    tracing::info!(tenant, version, by = %caller.name(), "keyset uploaded");
    Ok(Json(StoredKeyset {
        tenant,
        version: next.version,
    }))
}
