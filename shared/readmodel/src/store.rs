//! The embedded read model: tables in their own SQLite file beside the event log.

use std::path::Path;
use std::sync::{Arc, Mutex};

use domain::{Code, Error};
use rusqlite::Connection;
use tokio::sync::watch;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);
INSERT OR IGNORE INTO checkpoint (id, position) VALUES (1, 0);
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
    username_lower TEXT NOT NULL, kind TEXT NOT NULL, display_name TEXT NOT NULL,
    email TEXT, PRIMARY KEY (instance, id)
);
CREATE INDEX IF NOT EXISTS users_by_org ON users (instance, org_id, id);
CREATE INDEX IF NOT EXISTS users_by_login ON users (instance, username_lower);
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
";

const TABLES: [&str; 7] = [
    "versions",
    "domains",
    "orgs",
    "users",
    "memberships",
    "pats",
    "checkpoint",
];

/// The embedded read model. Writes come only from the projector; reads from anyone.
#[derive(Clone)]
pub struct SqliteReadModel {
    pub(crate) conn: Arc<Mutex<Connection>>,
    pub(crate) applied: Arc<watch::Sender<u64>>,
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
        conn.execute_batch(SCHEMA).map_err(storage)?;
        let position: i64 = conn
            .query_row("SELECT position FROM checkpoint WHERE id = 1", [], |r| {
                r.get(0)
            })
            .map_err(storage)?;
        let (applied, _) = watch::channel(position as u64);
        Ok(SqliteReadModel {
            conn: Arc::new(Mutex::new(conn)),
            applied: Arc::new(applied),
        })
    }

    /// The log position applied so far.
    pub fn position(&self) -> u64 {
        *self.applied.borrow()
    }

    /// Waits until the projector has applied `position`, for at most `timeout`
    /// (read-your-writes: `X-Portcullis-Position`).
    pub async fn wait_for(&self, position: u64, timeout: std::time::Duration) -> Result<(), Error> {
        let mut rx = self.applied.subscribe();
        let reached = tokio::time::timeout(timeout, rx.wait_for(|p| *p >= position)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            _ => Err(Error::new(
                Code::PositionNotReached,
                format!("the read models have not reached position {position} yet: retry"),
            )
            .with("position", position.to_string())),
        }
    }

    /// Empties every table, for a rebuild from position 0.
    pub fn reset(&self) -> Result<(), Error> {
        let conn = self.conn.lock().expect("read model lock");
        for t in TABLES {
            conn.execute(&format!("DELETE FROM {t}"), [])
                .map_err(storage)?;
        }
        conn.execute("INSERT INTO checkpoint (id, position) VALUES (1, 0)", [])
            .map_err(storage)?;
        self.applied.send_replace(0);
        Ok(())
    }
}
