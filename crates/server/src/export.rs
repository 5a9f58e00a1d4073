//! `sendguard export --out DIR`: each tenant's newest signed bundle and keyset written as
//! static files under the same paths the server uses (`v1/tenants/{tenant}/policy` and
//! `.../keyset`), so any web server or CDN can distribute them. The bundles are signed, so
//! the host need not be trusted.

use std::path::Path;

use crate::store::Store;

/// What an export wrote.
#[derive(Debug, PartialEq, Eq)]
pub struct ExportSummary {
    pub policies: usize,
    pub keysets: usize,
}

/// Reads the database in `data_dir` (safe while the server runs: WAL readers do not block it)
/// and writes the files under `out`.
pub fn export(data_dir: &Path, out: &Path) -> Result<ExportSummary, String> {
    let db_path = data_dir.join(crate::DATABASE_FILE);
    if !db_path.exists() {
        return Err(format!(
            "no database at {}: is --data-dir right?",
            db_path.display()
        ));
    }
    let db_error = |e: rusqlite::Error| format!("{}: {e}", db_path.display());
    let store = Store::open(&db_path).map_err(db_error)?;
    let mut summary = ExportSummary {
        policies: 0,
        keysets: 0,
    };
    for version in store.latest_versions().map_err(db_error)? {
        write_file(
            &out.join(format!("v1/tenants/{}/policy", version.tenant)),
            &version.bundle,
        )?;
        summary.policies += 1;
    }
    for (tenant, _, keyset) in store.latest_keysets().map_err(db_error)? {
        write_file(&out.join(format!("v1/tenants/{tenant}/keyset")), &keyset)?;
        summary.keysets += 1;
    }
    Ok(summary)
}

/// Writes through a temporary file and a rename, so a web server never serves half a bundle.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let parent = path.parent().expect("export paths have a parent");
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, bytes)
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
