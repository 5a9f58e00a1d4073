//! Background jobs the server runs while it serves, apart from any request: keeping each
//! tenant's policy bundle freshly signed (`renewal`), each keyset unexpired (`keysets`), and
//! devices' reports no older than `report_retention_days` (`report_retention`).
//! All run at start and then every `renewal_interval_minutes`; "now" is the state's clock.

pub mod keysets;
pub mod renewal;
pub mod report_retention;

use crate::AppState;

/// Runs every job once (at start, on each tick, and from tests that moved the clock).
pub async fn run_once(state: &AppState) {
    keysets::renew_due(state).await;
    renewal::renew_due(state).await;
    report_retention::delete_old(state).await;
}

/// Runs the jobs at start and then on every interval, until the process ends.
pub async fn run_periodically(state: AppState) {
    let minutes = u64::from(state.config.renewal_interval_minutes.max(1));
    let mut every = tokio::time::interval(std::time::Duration::from_secs(minutes * 60));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        run_once(&state).await;
    }
}
