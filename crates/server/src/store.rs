//! The SQLite store: tokens, tenants and every published policy version with its signed
//! bundle. One connection behind a mutex (SQLite serialises writers anyway); WAL so readers
//! of other processes (`sendguard export`) do not block the server; `synchronous=FULL` so a
//! publish that was answered survives a crash. A publish is one transaction: after a crash
//! a version is either fully there (policy, bundle, ETag) or absent. A renewal (the same
//! policy re-signed before it expires, `jobs::renewal`) is a version like any other, marked
//! with `renewal_of`.

mod reports;

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

pub use reports::{ReportSummary, Stored};

/// Schema changes, applied in order once each; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL UNIQUE,
        tenant TEXT,
        created_at INTEGER NOT NULL,
        created_by TEXT,
        revoked_at INTEGER
    );
    CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE policy_versions (
        tenant TEXT NOT NULL REFERENCES tenants(id),
        version INTEGER NOT NULL,
        policy TEXT NOT NULL,
        bundle BLOB NOT NULL,
        etag TEXT NOT NULL,
        key_id TEXT NOT NULL,
        published_by TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        rollback_of INTEGER,
        PRIMARY KEY (tenant, version)
    );
    CREATE TABLE keysets (
        tenant TEXT NOT NULL REFERENCES tenants(id),
        version INTEGER NOT NULL,
        keyset BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, version)
    );",
    // A version that re-signs the previous one's exact policy before it expires, made by the
    // server rather than an admin.
    "ALTER TABLE policy_versions ADD COLUMN renewal_of INTEGER;",
    // Devices' daily counts (`store/reports.rs`): one row per install, day and policy version
    // in `report_sends`; what it counted hangs off it and goes with it (a newer report for the
    // same key replaces it; retention deletes old days).
    "CREATE TABLE report_sends (
        tenant TEXT NOT NULL REFERENCES tenants(id),
        day INTEGER NOT NULL,
        policy_version INTEGER NOT NULL,
        install TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, day, policy_version, install)
    );
    CREATE INDEX report_sends_by_day ON report_sends (day);
    CREATE TABLE report_counts (
        tenant TEXT NOT NULL,
        day INTEGER NOT NULL,
        policy_version INTEGER NOT NULL,
        install TEXT NOT NULL,
        kind TEXT NOT NULL,
        detector TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (tenant, day, policy_version, install, kind, detector, action, outcome),
        FOREIGN KEY (tenant, day, policy_version, install) REFERENCES report_sends ON DELETE CASCADE
    );
    CREATE TABLE report_domains (
        tenant TEXT NOT NULL,
        day INTEGER NOT NULL,
        policy_version INTEGER NOT NULL,
        install TEXT NOT NULL,
        kind TEXT NOT NULL,
        domain TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (tenant, day, policy_version, install, kind, domain),
        FOREIGN KEY (tenant, day, policy_version, install) REFERENCES report_sends ON DELETE CASCADE
    );
    CREATE TABLE report_justifications (
        tenant TEXT NOT NULL,
        day INTEGER NOT NULL,
        policy_version INTEGER NOT NULL,
        install TEXT NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        FOREIGN KEY (tenant, day, policy_version, install) REFERENCES report_sends ON DELETE CASCADE
    );
    CREATE INDEX report_justifications_by_send ON report_justifications (tenant, day, policy_version, install);",
];

pub struct Store {
    conn: Mutex<Connection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    /// `None`: may administer everything; `Some(t)`: only tenant `t`'s policy.
    pub tenant: Option<String>,
    pub created_at: i64,
    pub created_by: Option<String>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TenantRecord {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// What [`Store::revoke_token`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    NotFound,
    LastGlobal,
}

/// One published version. `bundle` holds the exact bytes served to add-ins.
#[derive(Debug, Clone)]
pub struct PolicyVersion {
    pub tenant: String,
    pub version: i64,
    pub policy: String,
    pub bundle: Vec<u8>,
    pub etag: String,
    pub key_id: String,
    pub published_by: String,
    pub published_at: i64,
    pub expires_at: i64,
    pub rollback_of: Option<i64>,
    /// Set when the server re-signed that version's policy unchanged (a renewal).
    pub renewal_of: Option<i64>,
}

/// Why a version exists: an admin's publish, a roll back to an old version's policy, or the
/// server's renewal of the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Publish,
    RollbackOf(i64),
    RenewalOf(i64),
}

/// What the signer made of a version about to be stored.
pub struct SignedVersion {
    pub bundle: Vec<u8>,
    pub key_id: String,
    pub expires_at: i64,
}

/// A new version's facts, handed to the signer inside the publishing transaction.
pub struct NewVersion<'a> {
    pub tenant: &'a str,
    pub version: i64,
    pub policy: &'a str,
    pub published_at: i64,
}

const VERSION_COLUMNS: &str =
    "tenant, version, policy, bundle, etag, key_id, published_by, published_at, expires_at, rollback_of, renewal_of";

fn version_from_row(row: &rusqlite::Row) -> rusqlite::Result<PolicyVersion> {
    Ok(PolicyVersion {
        tenant: row.get(0)?,
        version: row.get(1)?,
        policy: row.get(2)?,
        bundle: row.get(3)?,
        etag: row.get(4)?,
        key_id: row.get(5)?,
        published_by: row.get(6)?,
        published_at: row.get(7)?,
        expires_at: row.get(8)?,
        rollback_of: row.get(9)?,
        renewal_of: row.get(10)?,
    })
}

fn token_from_row(row: &rusqlite::Row) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        tenant: row.get(2)?,
        created_at: row.get(3)?,
        created_by: row.get(4)?,
        revoked_at: row.get(5)?,
    })
}

const TOKEN_COLUMNS: &str = "id, name, tenant, created_at, created_by, revoked_at";

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back on drop), so a poisoned lock is safe to reuse.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the database answers (for `/readyz`).
    pub fn ping(&self) -> rusqlite::Result<()> {
        self.conn().query_row("SELECT 1", [], |_| Ok(()))
    }

    pub fn token_count(&self) -> rusqlite::Result<i64> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM tokens", [], |r| r.get(0))
    }

    /// Stores a token's hash. `Ok(None)` when the name is taken.
    pub fn insert_token(
        &self,
        name: &str,
        hash: &str,
        tenant: Option<&str>,
        created_by: Option<&str>,
        now: i64,
    ) -> rusqlite::Result<Option<TokenRecord>> {
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO tokens (name, hash, tenant, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO NOTHING",
            params![name, hash, tenant, now, created_by],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1");
        conn.query_row(&sql, [conn.last_insert_rowid()], token_from_row)
            .map(Some)
    }

    /// The live (not revoked) token with this hash.
    pub fn active_token(&self, hash: &str) -> rusqlite::Result<Option<TokenRecord>> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = ?1 AND revoked_at IS NULL");
        self.conn()
            .query_row(&sql, [hash], token_from_row)
            .optional()
    }

    pub fn tokens(&self) -> rusqlite::Result<Vec<TokenRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id"))?;
        let rows = stmt.query_map([], token_from_row)?;
        rows.collect()
    }

    /// Revokes a token, unless it is the last live global one (that would lock every
    /// administrator out: only a new data directory could recover).
    pub fn revoke_token(&self, id: i64, now: i64) -> rusqlite::Result<Revocation> {
        let conn = self.conn();
        let changed = conn.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL
             AND (tenant IS NOT NULL OR EXISTS (
                 SELECT 1 FROM tokens WHERE tenant IS NULL AND revoked_at IS NULL AND id != ?1))",
            params![id, now],
        )?;
        if changed == 1 {
            return Ok(Revocation::Revoked);
        }
        let live: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM tokens WHERE id = ?1 AND revoked_at IS NULL)",
            [id],
            |r| r.get(0),
        )?;
        Ok(if live {
            Revocation::LastGlobal
        } else {
            Revocation::NotFound
        })
    }

    /// Creates a tenant with its first keyset; `Ok(false)` when the id is taken.
    pub fn create_tenant(
        &self,
        id: &str,
        name: &str,
        (keyset_version, keyset): (i64, &[u8]),
        now: i64,
    ) -> rusqlite::Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![id, name, now],
        )?;
        if inserted == 0 {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO keysets (tenant, version, keyset, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, keyset_version, keyset, now],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Stores several tenants' next keysets at once (a key rotation): all or none.
    pub fn insert_keysets<'a>(
        &self,
        keysets: impl IntoIterator<Item = (&'a str, i64, &'a [u8])>,
        now: i64,
    ) -> rusqlite::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (tenant, version, keyset) in keysets {
            tx.execute(
                "INSERT INTO keysets (tenant, version, keyset, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![tenant, version, keyset, now],
            )?;
        }
        tx.commit()
    }

    /// Every tenant's newest keyset: (tenant, version, bytes).
    pub fn latest_keysets(&self) -> rusqlite::Result<Vec<(String, i64, Vec<u8>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT tenant, version, keyset FROM keysets k
             WHERE version = (SELECT MAX(version) FROM keysets j WHERE j.tenant = k.tenant) ORDER BY tenant",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }

    pub fn tenant(&self, id: &str) -> rusqlite::Result<Option<TenantRecord>> {
        self.conn()
            .query_row(
                "SELECT id, name, created_at FROM tenants WHERE id = ?1",
                [id],
                |r| {
                    Ok(TenantRecord {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        created_at: r.get(2)?,
                    })
                },
            )
            .optional()
    }

    pub fn tenants(&self) -> rusqlite::Result<Vec<TenantRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id, name, created_at FROM tenants ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(TenantRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
            })
        })?;
        rows.collect()
    }

    /// Every tenant's newest version (what is being distributed).
    pub fn latest_versions(&self) -> rusqlite::Result<Vec<PolicyVersion>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM policy_versions p
             WHERE version = (SELECT MAX(version) FROM policy_versions q WHERE q.tenant = p.tenant)
             ORDER BY tenant"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], version_from_row)?;
        rows.collect()
    }

    /// A tenant's versions, newest first.
    pub fn history(&self, tenant: &str) -> rusqlite::Result<Vec<PolicyVersion>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM policy_versions WHERE tenant = ?1 ORDER BY version DESC"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([tenant], version_from_row)?;
        rows.collect()
    }

    pub fn version(&self, tenant: &str, version: i64) -> rusqlite::Result<Option<PolicyVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM policy_versions WHERE tenant = ?1 AND version = ?2"
        );
        self.conn()
            .query_row(&sql, params![tenant, version], version_from_row)
            .optional()
    }

    /// Stores `policy` as the tenant's next version, signed by `sign`, in one transaction:
    /// the version number is chosen, signed and written under the write lock, so two
    /// publishes never get the same number and a crash leaves either all of it or nothing.
    pub fn publish<E: From<rusqlite::Error>>(
        &self,
        tenant: &str,
        policy: &str,
        published_by: &str,
        origin: Origin,
        now: i64,
        sign: impl FnOnce(&NewVersion) -> Result<SignedVersion, E>,
    ) -> Result<PolicyVersion, E> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let previous: Option<i64> = tx.query_row(
            "SELECT MAX(version) FROM policy_versions WHERE tenant = ?1",
            [tenant],
            |r| r.get(0),
        )?;
        let stored = insert_version(
            &tx,
            tenant,
            previous.unwrap_or(0) + 1,
            (policy, published_by, origin),
            now,
            sign,
        )?;
        tx.commit()?;
        Ok(stored)
    }

    /// Re-signs the tenant's newest version as the next one (same policy text, fresh expiry)
    /// if it expires at or before `due_before`; `Ok(None)` when it is not due or nothing was
    /// published. Decided under the write lock, so a publish in between is never renewed over.
    pub fn renew<E: From<rusqlite::Error>>(
        &self,
        tenant: &str,
        due_before: i64,
        now: i64,
        sign: impl FnOnce(&NewVersion) -> Result<SignedVersion, E>,
    ) -> Result<Option<PolicyVersion>, E> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM policy_versions WHERE tenant = ?1 ORDER BY version DESC LIMIT 1"
        );
        let latest = tx.query_row(&sql, [tenant], version_from_row).optional()?;
        let Some(latest) = latest.filter(|v| v.expires_at <= due_before) else {
            return Ok(None);
        };
        let stored = insert_version(
            &tx,
            tenant,
            latest.version + 1,
            (
                &latest.policy,
                RENEWED_BY,
                Origin::RenewalOf(latest.version),
            ),
            now,
            sign,
        )?;
        tx.commit()?;
        Ok(Some(stored))
    }
}

/// The `published_by` of a renewal: the server itself, not an admin's token.
pub const RENEWED_BY: &str = "sendguard (renewal)";

/// Signs and inserts one version inside the caller's transaction.
fn insert_version<E: From<rusqlite::Error>>(
    tx: &rusqlite::Transaction,
    tenant: &str,
    version: i64,
    (policy, published_by, origin): (&str, &str, Origin),
    now: i64,
    sign: impl FnOnce(&NewVersion) -> Result<SignedVersion, E>,
) -> Result<PolicyVersion, E> {
    let signed = sign(&NewVersion {
        tenant,
        version,
        policy,
        published_at: now,
    })?;
    let (rollback_of, renewal_of) = match origin {
        Origin::Publish => (None, None),
        Origin::RollbackOf(v) => (Some(v), None),
        Origin::RenewalOf(v) => (None, Some(v)),
    };
    let stored = PolicyVersion {
        tenant: tenant.to_string(),
        version,
        policy: policy.to_string(),
        etag: crate::etag(&signed.bundle),
        bundle: signed.bundle,
        key_id: signed.key_id,
        published_by: published_by.to_string(),
        published_at: now,
        expires_at: signed.expires_at,
        rollback_of,
        renewal_of,
    };
    tx.execute(
        &format!("INSERT INTO policy_versions ({VERSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        params![
            stored.tenant,
            stored.version,
            stored.policy,
            stored.bundle,
            stored.etag,
            stored.key_id,
            stored.published_by,
            stored.published_at,
            stored.expires_at,
            stored.rollback_of,
            stored.renewal_of
        ],
    )?;
    Ok(stored)
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let applied: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(v: &NewVersion) -> Result<SignedVersion, rusqlite::Error> {
        Ok(SignedVersion {
            bundle: format!("{}:{}", v.tenant, v.version).into_bytes(),
            key_id: "k".into(),
            expires_at: 0,
        })
    }

    #[test]
    fn versions_count_up_per_tenant_and_reopen_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        {
            let store = Store::open(&path).unwrap();
            assert!(store.create_tenant("a", "A", (1, b"ks"), 1).unwrap());
            assert!(!store.create_tenant("a", "again", (1, b"ks"), 1).unwrap());
            store.create_tenant("b", "B", (1, b"ks"), 1).unwrap();
            assert_eq!(
                store
                    .publish("a", "{}", "x", Origin::Publish, 2, signed)
                    .unwrap()
                    .version,
                1
            );
            assert_eq!(
                store
                    .publish("a", "{}", "x", Origin::Publish, 3, signed)
                    .unwrap()
                    .version,
                2
            );
            assert_eq!(
                store
                    .publish("b", "{}", "x", Origin::Publish, 3, signed)
                    .unwrap()
                    .version,
                1
            );
        }
        let store = Store::open(&path).unwrap();
        let latest = store.latest_versions().unwrap();
        assert_eq!(
            latest
                .iter()
                .map(|v| (v.tenant.as_str(), v.version))
                .collect::<Vec<_>>(),
            [("a", 2), ("b", 1)]
        );
        assert_eq!(store.history("a").unwrap()[0].bundle, b"a:2");
    }

    #[test]
    fn a_renewal_resigns_the_newest_policy_only_when_due() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        store.create_tenant("a", "A", (1, b"ks"), 1).unwrap();
        let lasting = |v: &NewVersion| {
            Ok::<_, rusqlite::Error>(SignedVersion {
                bundle: format!("{}:{}", v.version, v.policy).into_bytes(),
                key_id: "k".into(),
                expires_at: v.published_at + 100,
            })
        };
        assert!(
            store.renew("a", 1000, 10, lasting).unwrap().is_none(),
            "nothing published"
        );
        store
            .publish("a", "{\"x\": 1}", "admin", Origin::Publish, 10, lasting)
            .unwrap();
        assert!(
            store.renew("a", 109, 20, lasting).unwrap().is_none(),
            "expires at 110: not due"
        );
        let renewed = store.renew("a", 110, 30, lasting).unwrap().unwrap();
        assert_eq!((renewed.version, renewed.renewal_of), (2, Some(1)));
        assert_eq!(renewed.policy, "{\"x\": 1}");
        assert_eq!(renewed.published_by, RENEWED_BY);
        assert_eq!(renewed.expires_at, 130);
        let reread = store.version("a", 2).unwrap().unwrap();
        assert_eq!((reread.renewal_of, reread.rollback_of), (Some(1), None));
        assert!(
            store.renew("a", 110, 30, lasting).unwrap().is_none(),
            "the new one is fresh"
        );
    }

    #[test]
    fn a_failed_signature_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        store.create_tenant("a", "A", (1, b"ks"), 1).unwrap();
        let failed = store.publish("a", "{}", "x", Origin::Publish, 2, |_| {
            Err(rusqlite::Error::InvalidQuery)
        });
        assert!(failed.is_err());
        assert!(store.history("a").unwrap().is_empty());
    }

    #[test]
    fn revoked_tokens_are_not_active() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let admin = store
            .insert_token("admin", "h0", None, None, 1)
            .unwrap()
            .unwrap();
        let t = store
            .insert_token("ci", "h1", None, None, 1)
            .unwrap()
            .unwrap();
        assert!(
            store
                .insert_token("ci", "h2", None, None, 1)
                .unwrap()
                .is_none(),
            "names are unique"
        );
        assert!(store.active_token("h1").unwrap().is_some());
        assert_eq!(store.revoke_token(t.id, 2).unwrap(), Revocation::Revoked);
        assert_eq!(store.revoke_token(t.id, 3).unwrap(), Revocation::NotFound);
        assert!(store.active_token("h1").unwrap().is_none());
        assert_eq!(
            store.revoke_token(admin.id, 3).unwrap(),
            Revocation::LastGlobal
        );
        assert!(store.active_token("h0").unwrap().is_some());
    }
}
