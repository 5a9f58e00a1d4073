//! Report retention: devices' reports are kept `report_retention_days` days (counting the
//! day they count, today included) and then deleted with everything they carried.

use crate::AppState;

/// Deletes the reports of days before the retention window; answers how many.
pub async fn delete_old(state: &AppState) -> usize {
    let today = state.now().div_euclid(86_400);
    let first_kept = today - i64::from(state.config.report_retention_days) + 1;
    match state
        .db(move |store| store.delete_reports_before(first_kept))
        .await
    {
        Ok(0) => 0,
        Ok(deleted) => {
            tracing::info!(deleted, "old reports deleted");
            deleted
        }
        Err(e) => {
            tracing::error!(error = %e.message, "cannot delete old reports");
            0
        }
    }
}
