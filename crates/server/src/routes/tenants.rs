//! `/api/v1/tenants`: the organisations (or parts of one) that each get their own policy,
//! version sequence and keyset.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use sendguard_core::keyset;

use super::signing_keys::{invalid_keyset, require_active_key};
use super::{check_name, check_tenant_id, JsonBody};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::store::TenantRecord;
use crate::AppState;

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<TenantRecord>>> {
    let mut tenants = state.db(|store| store.tenants()).await?;
    tenants.retain(|t| caller.require_tenant(&t.id).is_ok());
    Ok(Json(tenants))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    id: String,
    #[serde(default)]
    name: Option<String>,
    /// The first keyset, signed offline by the tenant's root key (as text). Without it the
    /// server signs one with its own root key.
    #[serde(default)]
    keyset: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<NewTenant>,
) -> ApiResult<(StatusCode, Json<TenantRecord>)> {
    caller.require_global()?;
    check_tenant_id(&request.id)?;
    let name = check_name("name", request.name.as_deref().unwrap_or(&request.id))?;
    let now = state.now();
    // Signed (or checked) outside the database lock; thrown away if the id is taken.
    let (version, keyset) = match request.keyset {
        Some(text) => {
            let trusted =
                keyset::verify_pinned(text.as_bytes(), &request.id, now).map_err(invalid_keyset)?;
            require_active_key(&state, &trusted)?;
            (trusted.version as i64, text.into_bytes())
        }
        None => {
            let signed = state.signer.first_keyset(&request.id, now);
            (1, signed.map_err(ApiError::internal)?)
        }
    };
    let id = request.id.clone();
    let stored = keyset.clone();
    let created = state
        .db(move |store| store.create_tenant(&id, &name, (version, &stored), now))
        .await?;
    if !created {
        return Err(ApiError::conflict(format!(
            "tenant `{}` exists",
            request.id
        )));
    }
    state.distribute_keyset(&request.id, version, keyset);
    tracing::info!(tenant = %request.id, by = %caller.name(), "tenant created");
    let id = request.id.clone();
    let record = state
        .db(move |store| store.tenant(&id))
        .await?
        .ok_or_else(|| ApiError::internal("tenant vanished"))?;
    Ok((StatusCode::CREATED, Json(record)))
}
