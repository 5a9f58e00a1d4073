//! `/api/v1/tokens`: admin tokens, each with a name (recorded as "who published").

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{check_name, check_tenant_id, JsonBody};
use crate::auth::{hash_token, new_token, Caller};
use crate::error::{ApiError, ApiResult};
use crate::store::{Revocation, TokenRecord};
use crate::AppState;

pub async fn whoami(caller: Caller) -> Json<TokenRecord> {
    Json(caller.0)
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<TokenRecord>>> {
    caller.require_global()?;
    Ok(Json(state.db(|store| store.tokens()).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    /// Limit the token to one tenant's policy.
    #[serde(default)]
    tenant: Option<String>,
}

#[derive(Serialize)]
pub struct CreatedToken {
    #[serde(flatten)]
    record: TokenRecord,
    /// Shown this once; only its hash is stored.
    token: String,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    caller.require_global()?;
    let name = check_name("name", &request.name)?;
    if let Some(tenant) = &request.tenant {
        check_tenant_id(tenant)?;
        let id = tenant.clone();
        if state.db(move |store| store.tenant(&id)).await?.is_none() {
            return Err(ApiError::not_found(format!(
                "no tenant `{tenant}`: create it before a token for it"
            )));
        }
    }
    let token = new_token();
    let hash = hash_token(&token);
    let created_by = caller.name().to_string();
    let now = state.now();
    let record = state
        .db(move |store| {
            store.insert_token(
                &name,
                &hash,
                request.tenant.as_deref(),
                Some(&created_by),
                now,
            )
        })
        .await?
        .ok_or_else(|| ApiError::conflict("a token with this name exists"))?;
    tracing::info!(token_name = %record.name, by = %caller.name(), "token created");
    Ok((StatusCode::CREATED, Json(CreatedToken { record, token })))
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_global()?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("token id `{id}` is not a number")))?;
    let now = state.now();
    match state.db(move |store| store.revoke_token(id, now)).await? {
        Revocation::Revoked => {
            tracing::info!(token_id = id, by = %caller.name(), "token revoked");
            Ok(StatusCode::NO_CONTENT)
        }
        Revocation::NotFound => Err(ApiError::not_found(format!("no live token with id {id}"))),
        Revocation::LastGlobal => Err(ApiError::conflict(
            "this is the last token that can administer everything: create another one first",
        )),
    }
}
