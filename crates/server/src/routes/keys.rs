//! `/api/v1/keys`: the signing key and keysets. Rotation makes a new signing key, publishes
//! each tenant's next keyset listing it, and only then signs with it, so every bundle a
//! client sees is signed by a key its keyset lists.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::JsonBody;
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
    let now = crate::now_unix();
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
