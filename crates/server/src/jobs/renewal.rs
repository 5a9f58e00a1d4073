//! Policy renewal: bundles expire (`bundle_lifetime_days`), so a healthy server never lets
//! one lapse. When a tenant's current bundle has less than `policy_renewal_margin_days`
//! left, the job re-signs the SAME policy text as the next version with a fresh expiry,
//! stored with `renewal_of` and published by "sendguard (renewal)" (history shows it as a
//! renewal, not an admin's publish), then distributes it like any publish. Clients accept
//! it by the usual rules: a higher version, signed by a listed key.

use crate::signer::sign_version;
use crate::AppState;

/// Renews every tenant whose current bundle is due; answers how many were renewed.
pub async fn renew_due(state: &AppState) -> usize {
    let tenants = match state.db(|store| store.tenants()).await {
        Ok(tenants) => tenants,
        Err(e) => {
            tracing::error!(error = %e.message, "renewal: cannot list tenants");
            return 0;
        }
    };
    let mut renewed = 0;
    for tenant in tenants {
        if renew_tenant(state, &tenant.id).await {
            renewed += 1;
        }
    }
    renewed
}

/// Renews one tenant's bundle if it is due; `true` when a new version was made.
async fn renew_tenant(state: &AppState, tenant: &str) -> bool {
    let now = state.now();
    let due_before = now + state.config.policy_renewal_margin_secs();
    let lifetime = state.config.bundle_lifetime_secs();
    let signer = std::sync::Arc::clone(&state.signer);
    let id = tenant.to_string();
    let result = state
        .db(move |store| {
            store.renew(&id, due_before, now, |new| {
                sign_version(signer.as_ref(), lifetime, new)
                    .map_err(crate::error::ApiError::internal)
            })
        })
        .await;
    match result {
        Ok(None) => false,
        Ok(Some(version)) => {
            state.distribute_policy(tenant, version.version, version.bundle);
            tracing::info!(
                tenant,
                version = version.version,
                renewal_of = version.renewal_of,
                expires_at = version.expires_at,
                "policy renewed"
            );
            true
        }
        Err(e) => {
            tracing::error!(tenant, error = %e.message, "cannot renew the policy bundle");
            false
        }
    }
}
