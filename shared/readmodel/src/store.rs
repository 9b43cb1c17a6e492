//! The embedded read model: tables in their own SQLite file beside the event log.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use domain::{Code, Error};
use rusqlite::Connection;

use crate::progress::{Applied, Progress};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS checkpoint (
    partition INTEGER PRIMARY KEY, position INTEGER NOT NULL,
    resume_offset INTEGER NOT NULL DEFAULT 0, resume_epoch INTEGER
);
INSERT OR IGNORE INTO checkpoint (partition, position) VALUES (0, 0);
CREATE TABLE IF NOT EXISTS versions (
    instance TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (instance, kind, id)
);
CREATE TABLE IF NOT EXISTS domains (domain TEXT PRIMARY KEY, instance TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orgs (
    instance TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (instance, id)
);
CREATE TABLE IF NOT EXISTS users (
    instance TEXT NOT NULL, id TEXT NOT NULL, org_id TEXT NOT NULL, username TEXT NOT NULL,
    username_lower TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL, display_name TEXT NOT NULL,
    given_name TEXT, family_name TEXT, preferred_language TEXT, email TEXT, email_verified INTEGER,
    phone TEXT, phone_verified INTEGER, description TEXT, secret_hash TEXT,
    PRIMARY KEY (instance, id)
);
CREATE TABLE IF NOT EXISTS user_metadata (
    instance TEXT NOT NULL, user_id TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (instance, user_id, key)
);
CREATE INDEX IF NOT EXISTS users_by_org ON users (instance, org_id, id);
CREATE INDEX IF NOT EXISTS users_by_login ON users (instance, username_lower);
CREATE INDEX IF NOT EXISTS users_by_email ON users (instance, lower(email));
CREATE TABLE IF NOT EXISTS memberships (
    instance TEXT NOT NULL, user_id TEXT NOT NULL, level TEXT NOT NULL, resource_id TEXT NOT NULL,
    roles TEXT NOT NULL, PRIMARY KEY (instance, user_id, level, resource_id)
);
CREATE INDEX IF NOT EXISTS memberships_by_resource ON memberships (instance, level, resource_id);
CREATE TABLE IF NOT EXISTS pats (
    token_hash TEXT PRIMARY KEY, instance TEXT NOT NULL, user_id TEXT NOT NULL, pat_id TEXT NOT NULL,
    expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS pats_by_user ON pats (instance, user_id, pat_id);
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, domains TEXT NOT NULL, created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS projects (
    instance TEXT NOT NULL, id TEXT NOT NULL, org_id TEXT NOT NULL, name TEXT NOT NULL,
    assert_roles INTEGER NOT NULL, PRIMARY KEY (instance, id)
);
CREATE INDEX IF NOT EXISTS projects_by_org ON projects (instance, org_id, id);
CREATE TABLE IF NOT EXISTS project_roles (
    instance TEXT NOT NULL, project_id TEXT NOT NULL, key TEXT NOT NULL, display_name TEXT NOT NULL,
    grp TEXT, PRIMARY KEY (instance, project_id, key)
);
CREATE TABLE IF NOT EXISTS apps (
    instance TEXT NOT NULL, project_id TEXT NOT NULL, id TEXT NOT NULL, client_id TEXT NOT NULL,
    config TEXT NOT NULL, secret_hash TEXT, id_token_alg TEXT NOT NULL DEFAULT 'RS256',
    access_token_alg TEXT NOT NULL DEFAULT 'ES256', PRIMARY KEY (instance, project_id, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS apps_by_client ON apps (client_id);
CREATE TABLE IF NOT EXISTS project_grants (
    instance TEXT NOT NULL, project_id TEXT NOT NULL, id TEXT NOT NULL, granted_org_id TEXT NOT NULL,
    roles TEXT NOT NULL, PRIMARY KEY (instance, project_id, id)
);
CREATE TABLE IF NOT EXISTS user_grants (
    instance TEXT NOT NULL, id TEXT NOT NULL, user_id TEXT NOT NULL, project_id TEXT NOT NULL,
    project_org TEXT NOT NULL, project_grant_id TEXT, granted_org TEXT, roles TEXT NOT NULL,
    PRIMARY KEY (instance, id)
);
CREATE INDEX IF NOT EXISTS user_grants_by_user ON user_grants (instance, user_id, id);
CREATE TABLE IF NOT EXISTS signing_keys (
    instance TEXT NOT NULL, kid TEXT NOT NULL, alg TEXT NOT NULL, public_jwk TEXT NOT NULL,
    sealed BLOB NOT NULL, status TEXT NOT NULL, retired_at INTEGER, PRIMARY KEY (instance, kid)
);
CREATE TABLE IF NOT EXISTS events (
    instance TEXT NOT NULL, position INTEGER NOT NULL, aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL, sequence INTEGER NOT NULL, type TEXT NOT NULL,
    creator TEXT NOT NULL, created_at INTEGER NOT NULL, schema_version INTEGER NOT NULL,
    payload BLOB NOT NULL, PRIMARY KEY (instance, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_aggregate ON events (aggregate_id, position);
CREATE INDEX IF NOT EXISTS events_by_time ON events (instance, created_at, position);
CREATE TABLE IF NOT EXISTS outbox (
    instance TEXT NOT NULL, user_id TEXT NOT NULL, message_id TEXT NOT NULL, kind TEXT NOT NULL,
    due_at INTEGER NOT NULL, PRIMARY KEY (instance, user_id, message_id)
) WITHOUT ROWID;
";

pub(crate) const TABLES: [&str; 17] = [
    "outbox",
    "signing_keys",
    "project_grants",
    "user_grants",
    "versions",
    "domains",
    "orgs",
    "users",
    "user_metadata",
    "memberships",
    "pats",
    "instances",
    "projects",
    "project_roles",
    "apps",
    "events",
    "checkpoint",
];

/// The layout of the tables; a read model of another layout is dropped and rebuilt.
const SCHEMA_VERSION: i64 = 8;

/// Read connections: WAL lets them read while the projector writes.
const READERS: usize = 4;

/// The embedded read model. Writes come only from the projector; reads from anyone.
#[derive(Clone)]
pub struct SqliteReadModel {
    /// The projector's connection.
    pub(crate) conn: Arc<Mutex<Connection>>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: Arc<AtomicUsize>,
    pub(crate) progress: Progress,
}

pub(crate) fn storage(e: impl std::fmt::Display) -> Error {
    Error::new(Code::StorageUnavailable, format!("read model: {e}"))
}

impl SqliteReadModel {
    pub fn open(path: &Path) -> Result<SqliteReadModel, Error> {
        let conn = Connection::open(path).map_err(storage)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(storage)?;
        // The log is the durable record; a lost read-model tail is re-projected from it.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(storage)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(storage)?;
        if version != SCHEMA_VERSION {
            // Read models are derived: a new layout is rebuilt from the log, from position 0.
            for t in TABLES {
                conn.execute(&format!("DROP TABLE IF EXISTS {t}"), [])
                    .map_err(storage)?;
            }
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(storage)?;
        }
        conn.execute_batch(SCHEMA).map_err(storage)?;
        let applied = conn
            .prepare("SELECT partition, position FROM checkpoint")
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok((r.get::<_, i32>(0)?, r.get::<_, i64>(1)? as u64))
                })?
                .collect::<rusqlite::Result<BTreeMap<i32, u64>>>()
            })
            .map_err(storage)?;
        let readers = (0..READERS)
            .map(|_| {
                let c = Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(Mutex::new(c))
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(storage)?;
        Ok(SqliteReadModel {
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::new(readers),
            next_reader: Arc::new(AtomicUsize::new(0)),
            progress: Progress::new(Applied(applied)),
        })
    }

    /// Runs a read on one of the read connections (blocking: call it off the async runtime).
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, Error> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        let conn = (0..n)
            .find_map(|i| self.readers[(start + i) % n].try_lock().ok())
            .unwrap_or_else(|| self.readers[start % n].lock().expect("reader lock"));
        f(&conn).map_err(storage)
    }
}
