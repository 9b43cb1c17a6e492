//! The read models of a cluster, on ScyllaDB (or Cassandra) through the `scylla` driver: one
//! table per query (`deploy/scylla/`), written by the projector role only and read by every
//! gateway. Prepared statements only (the caching session prepares each text once), token-aware
//! routing, writes that are safe to repeat, guarded by each stream's applied version.
//!
//! The gateways learn what the projector applied from the `checkpoints` table, which each of
//! them polls: read-your-writes waits and cache generations work as on the embedded read
//! model, a poll interval later.

mod directory_projection;
mod directory_queries;
mod outbox;
mod paging;
mod project_projection;
mod project_queries;
mod projection;
mod queries;
mod schema;
mod trail_queries;
mod user_projection;
mod user_queries;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::{Code, Error};
use eventlog::StreamId;
use scylla::client::caching_session::CachingSession;
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session_builder::SessionBuilder;
use scylla::policies::load_balancing::DefaultPolicy;
use scylla::response::query_result::QueryRowsResult;
use scylla::serialize::row::SerializeRow;
use scylla::statement::Consistency;

use crate::progress::{Applied, Progress};

pub use schema::{drop_keyspace, keyspace_name, migrate, Replication};

/// Where the CQL read models are.
#[derive(Clone, Debug)]
pub struct CqlOptions {
    /// Contact points, `host:port`.
    pub nodes: Vec<String>,
    pub keyspace: String,
    /// The datacenter whose replicas this node asks first (its region's), failing over to the
    /// others; none: every node is local.
    pub local_datacenter: Option<String>,
    /// Whether the driver reads the schema (`system_schema`), which token-aware routing needs;
    /// off only for servers without it (Cassandra before 3.0, such as the tests').
    pub schema_metadata: bool,
    /// How often a reader polls what the projector has applied.
    pub poll: Duration,
}

impl CqlOptions {
    pub fn new(nodes: &[String], keyspace: &str) -> CqlOptions {
        CqlOptions {
            nodes: nodes.to_vec(),
            keyspace: keyspace.to_string(),
            local_datacenter: None,
            schema_metadata: true,
            poll: Duration::from_millis(20),
        }
    }
}

/// The CQL read model. Its blocking methods run the driver on a runtime of its own, so that they
/// may be called from any thread, the gateway's blocking pool and async tasks alike.
#[derive(Clone)]
pub struct CqlReadModel {
    inner: Arc<Inner>,
}

struct Inner {
    session: CachingSession,
    runtime: Option<tokio::runtime::Runtime>,
    progress: Progress,
    /// The projector's cache of each stream's applied version (it is the only writer).
    versions: Mutex<HashMap<StreamId, u64>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A runtime may not be dropped in an async context, its own included: a thread of its
        // own stops it.
        if let Some(rt) = self.runtime.take() {
            std::thread::spawn(move || rt.shutdown_timeout(Duration::from_secs(1)));
        }
    }
}

/// Runs `f` on `rt` and waits for it; unlike `Runtime::block_on`, from any thread.
fn block_on<T: Send + 'static>(
    rt: &tokio::runtime::Runtime,
    f: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<T, Error> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    rt.spawn(async move {
        let _ = tx.send(f.await);
    });
    rx.recv().map_err(|_| storage("the CQL runtime stopped"))?
}

pub(crate) fn storage(e: impl std::fmt::Display) -> Error {
    Error::new(
        Code::StorageUnavailable,
        format!("read model (CQL): {e}; check that the CQL nodes are reachable"),
    )
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("cql")
        .enable_all()
        .build()
        .map_err(storage)
}

/// A session on `nodes` using `keyspace` (none: no keyspace yet), token-aware (with
/// `schema_metadata`), preferring the replicas of `local_datacenter`.
async fn session(
    nodes: &[String],
    keyspace: Option<&str>,
    local_datacenter: Option<&str>,
    schema_metadata: bool,
) -> Result<scylla::client::session::Session, Error> {
    let mut policy = DefaultPolicy::builder().token_aware(true);
    if let Some(dc) = local_datacenter {
        policy = policy
            .prefer_datacenter(dc.to_string())
            .permit_dc_failover(true);
    }
    let profile = ExecutionProfile::builder()
        .load_balancing_policy(policy.build())
        .consistency(Consistency::LocalQuorum)
        .build();
    let mut builder = SessionBuilder::new()
        .known_nodes(nodes)
        .default_execution_profile_handle(profile.into_handle())
        // Token-aware routing needs the keyspaces' replication, read from `system_schema`.
        .fetch_schema_metadata(schema_metadata)
        .connection_timeout(Duration::from_secs(5));
    if let Some(ks) = keyspace {
        builder = builder.use_keyspace(ks, false);
    }
    builder
        .build()
        .await
        .map_err(|e| storage(format!("cannot connect to {}: {e}", nodes.join(","))))
}

impl CqlReadModel {
    /// Connects to the read models of a migrated keyspace (`portcullis migrate`), reads how far
    /// they are, and keeps polling it.
    pub fn connect(options: &CqlOptions) -> Result<CqlReadModel, Error> {
        let rt = runtime()?;
        let options_ = options.clone();
        let session = block_on(&rt, async move {
            let o = options_;
            session(
                &o.nodes,
                Some(&o.keyspace),
                o.local_datacenter.as_deref(),
                o.schema_metadata,
            )
            .await
        })?;
        let handle = rt.handle().clone();
        let model = CqlReadModel {
            inner: Arc::new(Inner {
                session: CachingSession::from(session, 256),
                runtime: Some(rt),
                progress: Progress::new(Applied::default()),
                versions: Mutex::default(),
            }),
        };
        let first = model.clone();
        model.block(async move { first.poll_once().await })?;
        let weak = Arc::downgrade(&model.inner);
        let every = options.poll;
        handle.spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(inner) = weak.upgrade() else { return };
                let model = CqlReadModel { inner };
                if let Err(e) = model.poll_once().await {
                    tracing::warn!(error = %e, "cannot read the read models' progress");
                }
            }
        });
        Ok(model)
    }

    /// Runs `f` on the model's runtime and waits for it, from whichever thread.
    pub(crate) fn block<T: Send + 'static>(
        &self,
        f: impl Future<Output = Result<T, Error>> + Send + 'static,
    ) -> Result<T, Error> {
        block_on(self.inner.runtime.as_ref().expect("the CQL runtime"), f)
    }

    /// Runs a prepared statement.
    pub(crate) async fn run(
        &self,
        cql: &str,
        values: impl SerializeRow,
    ) -> Result<scylla::response::query_result::QueryResult, Error> {
        self.inner
            .session
            .execute_unpaged(cql, values)
            .await
            .map_err(|e| storage(format!("{e} (in {cql})")))
    }

    /// Runs a prepared query and answers its rows.
    pub(crate) async fn rows(
        &self,
        cql: &str,
        values: impl SerializeRow,
    ) -> Result<QueryRowsResult, Error> {
        self.run(cql, values)
            .await?
            .into_rows_result()
            .map_err(|e| storage(format!("{e} (in {cql})")))
    }

    /// The first column of each row, as text.
    pub(crate) async fn column(
        &self,
        cql: &str,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<Vec<String>, Error> {
        // CQL writes are upserts: a row that only updates wrote holds no value in the column,
        // and names nothing.
        let rows = self
            .rows(cql, values)
            .await?
            .rows::<(Option<String>,)>()
            .map_err(storage)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(storage)?;
        Ok(rows.into_iter().filter_map(|(v,)| v).collect())
    }

    /// Takes what the projector has recorded: each partition's position, and the generations
    /// stored with the positions.
    async fn poll_once(&self) -> Result<(), Error> {
        let rows = self
            .rows(
                "SELECT partition, position, auth_generation, client_generation, last_applied_at FROM checkpoints",
                (),
            )
            .await?;
        let mut applied = Applied::default();
        let (mut auth, mut client, mut last) = (0, 0, 0);
        type Row = (i32, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
        for row in rows.rows::<Row>().map_err(storage)? {
            let (partition, position, a, c, l) = row.map_err(storage)?;
            applied.0.insert(partition, position.unwrap_or(0) as u64);
            auth = auth.max(a.unwrap_or(0) as u64);
            client = client.max(c.unwrap_or(0) as u64);
            last = last.max(l.unwrap_or(0));
        }
        self.inner.progress.observe(applied, auth, client, last);
        Ok(())
    }
}
