//! Keyset renewal: with `root.key` on the server, each tenant's keyset is renewed (same keys,
//! next version, fresh expiry) when it has less than 60 days left; without it, a warning
//! names the tenant so that a renewed keyset can be uploaded in time (docs/server.md).

use std::sync::Arc;

use crate::state::Distributed;
use crate::AppState;

/// Keysets are renewed this long before they expire.
const KEYSET_RENEWAL_SECS: i64 = 60 * 86_400;

pub async fn renew_due(state: &AppState) {
    let now = state.now();
    let current: Vec<(String, Arc<Distributed>)> = state
        .keysets
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(t, k)| (t.clone(), k.clone()))
        .collect();
    for (tenant, keyset) in current {
        match state
            .signer
            .renew_keyset(&tenant, &keyset.bytes, KEYSET_RENEWAL_SECS, now)
        {
            Ok(None) => {}
            Ok(Some(next)) => {
                let stored = next.clone();
                let saved = state
                    .db(move |store| {
                        store.insert_keysets(
                            [(
                                stored.tenant.as_str(),
                                stored.version as i64,
                                stored.bytes.as_slice(),
                            )],
                            now,
                        )
                    })
                    .await;
                match saved {
                    Ok(()) => {
                        state.distribute_keyset(&tenant, next.version as i64, next.bytes);
                        tracing::info!(tenant, version = next.version, "keyset renewed");
                    }
                    Err(e) => {
                        tracing::error!(tenant, error = %e.message, "cannot store the renewed keyset")
                    }
                }
            }
            Err(e) => {
                tracing::warn!(tenant, error = %e, "keyset expires soon and cannot be renewed here: upload a renewed one")
            }
        }
    }
}
