//! The embedded event log: SQLite in WAL mode with `synchronous=FULL`, so a commit is on disk
//! before it is acknowledged. One writer thread does group commit: appends that arrive while a
//! commit is being made to disk go into the next transaction together, each in its own
//! savepoint, so one conflicting append fails alone.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::{oneshot, watch};

use crate::types::*;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    instance TEXT NOT NULL,
    kind TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    payload BLOB NOT NULL,
    creator TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (instance, kind, aggregate_id, version)
);
CREATE TABLE IF NOT EXISTS owners (
    instance TEXT NOT NULL,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    PRIMARY KEY (instance, owner, kind, aggregate_id)
);
CREATE TABLE IF NOT EXISTS snapshots (
    instance TEXT NOT NULL,
    kind TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (instance, kind, aggregate_id)
);
";

/// Settings of the embedded log.
#[derive(Clone, Debug)]
pub struct SqliteLogOptions {
    /// Batch concurrent appends into one transaction (one fsync for many writes).
    pub group_commit: bool,
    /// The most appends one transaction takes.
    pub max_batch: usize,
    /// Where commit latencies and batch sizes are counted.
    pub metrics: Option<std::sync::Arc<telemetry::Metrics>>,
}

impl Default for SqliteLogOptions {
    fn default() -> Self {
        SqliteLogOptions {
            group_commit: true,
            max_batch: 1024,
            metrics: None,
        }
    }
}

type Reply = oneshot::Sender<LogResult<Vec<Appended>>>;

enum Job {
    Append {
        appends: Vec<Append>,
        reply: Reply,
    },
    Snapshot {
        stream: StreamId,
        snapshot: Snapshot,
        reply: oneshot::Sender<LogResult<()>>,
    },
}

pub struct SqliteLog {
    jobs: Mutex<Option<Sender<Job>>>,
    reader: Arc<Mutex<Connection>>,
    head: watch::Receiver<u64>,
    writer: Mutex<Option<thread::JoinHandle<()>>>,
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

fn unavailable(e: impl std::fmt::Display) -> LogError {
    LogError::Unavailable(e.to_string())
}

impl SqliteLog {
    /// Opens (or creates) the log at `path`.
    pub fn open(path: &Path, options: SqliteLogOptions) -> LogResult<SqliteLog> {
        let conn = open(path).map_err(unavailable)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        let head: u64 = conn
            .query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(unavailable)? as u64;
        let reader = open(path).map_err(unavailable)?;
        let (head_tx, head_rx) = watch::channel(head);
        let (tx, rx) = mpsc::channel();
        let writer = thread::Builder::new()
            .name("eventlog-writer".into())
            .spawn(move || write_loop(conn, rx, head_tx, options))
            .map_err(unavailable)?;
        Ok(SqliteLog {
            jobs: Mutex::new(Some(tx)),
            reader: Arc::new(Mutex::new(reader)),
            head: head_rx,
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Stops taking appends, lets the writer finish what it has, and waits for it.
    pub fn close(&self) {
        self.jobs.lock().expect("jobs lock").take();
        if let Some(w) = self.writer.lock().expect("writer lock").take() {
            let _ = w.join();
        }
    }

    fn send(&self, job: Job) -> LogResult<()> {
        let jobs = self.jobs.lock().expect("jobs lock");
        let tx = jobs
            .as_ref()
            .ok_or_else(|| unavailable("the event log is closed"))?;
        tx.send(job)
            .map_err(|_| unavailable("the event log writer stopped"))
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> LogResult<T> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().expect("reader lock");
            f(&conn)
        })
        .await
        .map_err(unavailable)?
        .map_err(unavailable)
    }
}

impl Drop for SqliteLog {
    fn drop(&mut self) {
        self.close();
    }
}

fn write_loop(
    mut conn: Connection,
    jobs: Receiver<Job>,
    head: watch::Sender<u64>,
    options: SqliteLogOptions,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        if options.group_commit {
            while batch.len() < options.max_batch {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        let _span = tracing::debug_span!("eventlog.commit", batch = batch.len()).entered();
        let started = std::time::Instant::now();
        let committed = commit_batch(&mut conn, &batch);
        if let Some(m) = &options.metrics {
            m.append(started.elapsed(), batch.len());
        }
        match committed {
            Ok((results, last)) => {
                if last > *head.borrow() {
                    head.send_replace(last);
                }
                for (job, result) in batch.into_iter().zip(results) {
                    reply(job, result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "event log commit failed; the writes were not acknowledged");
                for job in batch {
                    reply(job, Err(unavailable(&e)));
                }
            }
        }
    }
}

enum JobResult {
    Append(LogResult<Vec<Appended>>),
    Snapshot,
}

fn reply(job: Job, result: Result<JobResult, LogError>) {
    match (job, result) {
        (Job::Append { reply, .. }, Ok(JobResult::Append(r))) => {
            let _ = reply.send(r);
        }
        (Job::Append { reply, .. }, Err(e)) => {
            let _ = reply.send(Err(e));
        }
        (Job::Snapshot { reply, .. }, Ok(_)) => {
            let _ = reply.send(Ok(()));
        }
        (Job::Snapshot { reply, .. }, Err(e)) => {
            let _ = reply.send(Err(e));
        }
        (Job::Append { reply, .. }, Ok(JobResult::Snapshot)) => {
            let _ = reply.send(Err(unavailable("internal: mismatched job result")));
        }
    }
}

/// One transaction for the whole batch; each job in a savepoint of its own.
fn commit_batch(
    conn: &mut Connection,
    batch: &[Job],
) -> rusqlite::Result<(Vec<Result<JobResult, LogError>>, u64)> {
    let mut tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(batch.len());
    let mut last = 0u64;
    for job in batch {
        let sp = tx.savepoint()?;
        let result = match job {
            Job::Append { appends, .. } => match append_all(&sp, appends)? {
                Ok(done) => {
                    if let Some(p) = done.iter().map(|a| a.position).max() {
                        last = last.max(p);
                    }
                    sp.commit()?;
                    Ok(JobResult::Append(Ok(done)))
                }
                // Dropping the savepoint rolls this job back alone.
                Err(conflict) => Ok(JobResult::Append(Err(conflict))),
            },
            Job::Snapshot {
                stream, snapshot, ..
            } => {
                sp.execute(
                    "INSERT INTO snapshots (instance, kind, aggregate_id, version, state) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (instance, kind, aggregate_id) DO UPDATE SET version = excluded.version, state = excluded.state
                     WHERE excluded.version > snapshots.version",
                    params![stream.instance, stream.kind, stream.id, snapshot.version as i64, snapshot.state],
                )?;
                sp.commit()?;
                Ok(JobResult::Snapshot)
            }
        };
        results.push(result);
    }
    tx.commit()?;
    Ok((results, last))
}

/// Appends every stream's events, or reports the first conflict (the caller rolls back).
fn append_all(conn: &Connection, appends: &[Append]) -> rusqlite::Result<LogResult<Vec<Appended>>> {
    let mut out = Vec::with_capacity(appends.len());
    let mut version_of = conn.prepare_cached(
        "SELECT COALESCE(MAX(version), 0) FROM events WHERE instance = ?1 AND kind = ?2 AND aggregate_id = ?3",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO events (instance, kind, aggregate_id, version, event_type, schema_version, payload, creator, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut own = conn.prepare_cached(
        "INSERT OR IGNORE INTO owners (instance, owner, kind, aggregate_id) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for a in appends {
        let s = &a.stream;
        let actual =
            version_of.query_row(params![s.instance, s.kind, s.id], |r| r.get::<_, i64>(0))? as u64;
        if actual != a.expected_version {
            return Ok(Err(LogError::Conflict {
                stream: s.clone(),
                expected: a.expected_version,
                actual,
            }));
        }
        let mut version = actual;
        let mut position = 0;
        for e in &a.events {
            version += 1;
            insert.execute(params![
                s.instance,
                s.kind,
                s.id,
                version as i64,
                e.event_type,
                e.schema_version,
                e.payload,
                e.creator,
                e.created_at
            ])?;
            position = conn.last_insert_rowid() as u64;
        }
        for owner in &a.owners {
            own.execute(params![s.instance, owner, s.kind, s.id])?;
        }
        out.push(Appended { version, position });
    }
    Ok(Ok(out))
}

fn row_to_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        position: r.get::<_, i64>(0)? as u64,
        stream: StreamId {
            instance: r.get(1)?,
            kind: r.get(2)?,
            id: r.get(3)?,
        },
        version: r.get::<_, i64>(4)? as u64,
        event: NewEvent {
            event_type: r.get(5)?,
            schema_version: r.get(6)?,
            payload: r.get(7)?,
            creator: r.get(8)?,
            created_at: r.get(9)?,
        },
    })
}

const COLUMNS: &str = "position, instance, kind, aggregate_id, version, event_type, schema_version, payload, creator, created_at";

impl EventLog for SqliteLog {
    fn append_atomic(&self, appends: Vec<Append>) -> BoxFuture<'_, LogResult<Vec<Appended>>> {
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            self.send(Job::Append { appends, reply })?;
            rx.await
                .map_err(|_| unavailable("the event log writer stopped"))?
        })
    }

    fn read_stream<'a>(
        &'a self,
        stream: &'a StreamId,
        after_version: u64,
    ) -> BoxFuture<'a, LogResult<Vec<StoredEvent>>> {
        let s = stream.clone();
        Box::pin(self.read(move |c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM events WHERE instance = ?1 AND kind = ?2 AND aggregate_id = ?3 AND version > ?4 ORDER BY version"
            ))?;
            let rows = st.query_map(params![s.instance, s.kind, s.id, after_version as i64], row_to_event)?;
            rows.collect()
        }))
    }

    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> BoxFuture<'_, LogResult<Vec<StoredEvent>>> {
        Box::pin(self.read(move |c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
            ))?;
            let rows = st.query_map(params![after_position as i64, limit as i64], row_to_event)?;
            rows.collect()
        }))
    }

    fn owned_streams<'a>(
        &'a self,
        instance: &'a str,
        owner: &'a str,
        kind: &'a str,
    ) -> BoxFuture<'a, LogResult<Vec<String>>> {
        let (i, o, k) = (instance.to_string(), owner.to_string(), kind.to_string());
        Box::pin(self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT aggregate_id FROM owners WHERE instance = ?1 AND owner = ?2 AND kind = ?3",
            )?;
            let rows = st.query_map(params![i, o, k], |r| r.get(0))?;
            rows.collect()
        }))
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }

    fn save_snapshot<'a>(
        &'a self,
        stream: &'a StreamId,
        snapshot: Snapshot,
    ) -> BoxFuture<'a, LogResult<()>> {
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            self.send(Job::Snapshot {
                stream: stream.clone(),
                snapshot,
                reply,
            })?;
            rx.await
                .map_err(|_| unavailable("the event log writer stopped"))?
        })
    }

    fn load_snapshot<'a>(
        &'a self,
        stream: &'a StreamId,
    ) -> BoxFuture<'a, LogResult<Option<Snapshot>>> {
        let s = stream.clone();
        Box::pin(self.read(move |c| {
            c.query_row(
                "SELECT version, state FROM snapshots WHERE instance = ?1 AND kind = ?2 AND aggregate_id = ?3",
                params![s.instance, s.kind, s.id],
                |r| Ok(Snapshot { version: r.get::<_, i64>(0)? as u64, state: r.get(1)? }),
            )
            .optional()
        }))
    }
}
