//! Admin authentication: bearer tokens. A token is shown once when created; the store keeps
//! only its SHA-256, so a stolen database does not hand out admin access.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::store::TokenRecord;
use crate::AppState;

/// Prefix that makes tokens recognisable to secret scanners and people.
const TOKEN_PREFIX: &str = "sgt_";

/// A new random token (256 bits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the operating system provides randomness");
    format!("{TOKEN_PREFIX}{}", sendguard_core::envelope::hex(&bytes))
}

pub fn hash_token(token: &str) -> String {
    sendguard_core::envelope::hex(&Sha256::digest(token.as_bytes()))
}

/// The authenticated caller of an admin endpoint.
#[derive(Debug, Clone)]
pub struct Caller(pub TokenRecord);

impl Caller {
    /// Tokens scoped to one tenant may only touch that tenant.
    pub fn require_tenant(&self, tenant: &str) -> Result<(), ApiError> {
        match &self.0.tenant {
            Some(scope) if scope != tenant => Err(ApiError::forbidden(format!(
                "this token may only administer tenant `{scope}`"
            ))),
            _ => Ok(()),
        }
    }

    /// Tokens, tenants and keys need a token that is not scoped to a tenant.
    pub fn require_global(&self) -> Result<(), ApiError> {
        match &self.0.tenant {
            Some(scope) => Err(ApiError::forbidden(format!(
                "this token may only administer tenant `{scope}`"
            ))),
            None => Ok(()),
        }
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }
}

/// The caller a request's bearer token names; `None` without a live token.
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(token) = header
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return Ok(None);
    };
    let hash = hash_token(token);
    let record = state.db(move |store| store.active_token(&hash)).await?;
    Ok(record.map(Caller))
}

/// The admin gate (`layers.rs`) has already found the caller of an admin route; elsewhere
/// (`/metrics`) the token is looked up here.
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        caller(state, &parts.headers)
            .await?
            .ok_or_else(ApiError::unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
    }
}
