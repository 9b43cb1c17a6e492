//! The projector: reads the log from the read model's checkpoint and applies each batch in one
//! transaction with the new checkpoint.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use domain::{DomainEvent, Error};
use eventlog::EventLog;
use rusqlite::params;

use crate::projection;
use crate::store::{storage, SqliteReadModel};

const BATCH: usize = 1000;

pub struct Projector {
    log: Arc<dyn EventLog>,
    model: SqliteReadModel,
}

impl Projector {
    pub fn new(log: Arc<dyn EventLog>, model: SqliteReadModel) -> Projector {
        Projector { log, model }
    }

    /// Applies everything the log has after the checkpoint; returns how many events it read.
    pub async fn catch_up(&self) -> Result<usize, Error> {
        let mut total = 0;
        loop {
            let from = self.model.position();
            let batch = self.log.read_all(from, BATCH).await.map_err(storage)?;
            if batch.is_empty() {
                return Ok(total);
            }
            total += batch.len();
            let model = self.model.clone();
            let last = tokio::task::spawn_blocking(move || -> Result<u64, Error> {
                let mut conn = model.conn.lock().expect("read model lock");
                let tx = conn.transaction().map_err(storage)?;
                let mut last = from;
                let mut auth_changed = false;
                for stored in &batch {
                    let event = DomainEvent::decode(
                        &stored.stream.kind,
                        stored.event.schema_version,
                        &stored.event.payload,
                    )?;
                    projection::apply(&tx, stored, &event).map_err(storage)?;
                    auth_changed |= projection::affects_auth(&event);
                    last = stored.position;
                }
                tx.execute(
                    "UPDATE checkpoint SET position = ?1 WHERE id = 1",
                    params![last as i64],
                )
                .map_err(storage)?;
                tx.commit().map_err(storage)?;
                if auth_changed {
                    model.auth_generation.fetch_add(1, Ordering::AcqRel);
                }
                Ok(last)
            })
            .await
            .map_err(storage)??;
            self.model.applied.send_replace(last);
        }
    }

    /// Follows the log until it closes: catches up whenever its head moves.
    pub async fn run(self) {
        let mut head = self.log.head();
        loop {
            if let Err(e) = self.catch_up().await {
                tracing::error!(error = %e, "projection failed; retrying in 1 s");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
            if head.changed().await.is_err() {
                return;
            }
        }
    }

    /// Rebuilds every read model from position 0.
    pub async fn rebuild(&self) -> Result<usize, Error> {
        self.model.reset()?;
        self.catch_up().await
    }
}
