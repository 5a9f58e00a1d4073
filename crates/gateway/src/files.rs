//! The gateway's own files under its state directory (last good bundle, refresh state,
//! per-sender histories, kept report counts): each written whole or not at all.

use std::path::Path;

/// Writes a file whole or not at all: a crash never leaves half a bundle, history or report
/// file (the data goes to `NAME.tmp`, then replaces the file in one rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
