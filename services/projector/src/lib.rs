//! The projection runner: reads the log from the read model's checkpoint and applies it in
//! batches, follows the log's head, and rebuilds from position 0 on demand. In a cluster,
//! [`follow`] applies what a follower of the Kafka topic brings.

use std::sync::Arc;

use domain::Error;
use eventlog::EventLog;
use readmodel::ReadModel;

const BATCH: usize = 5000;

fn storage(e: impl std::fmt::Display) -> Error {
    Error::new(domain::Code::StorageUnavailable, format!("projector: {e}"))
}

pub struct Projector {
    log: Arc<dyn EventLog>,
    model: Arc<dyn ReadModel>,
}

impl Projector {
    pub fn new(log: Arc<dyn EventLog>, model: Arc<dyn ReadModel>) -> Projector {
        Projector { log, model }
    }

    /// Applies everything the log has after the checkpoint; returns how many events it read.
    /// The next batch is read from the log while the current one is applied.
    pub async fn catch_up(&self) -> Result<usize, Error> {
        let mut total = 0;
        let from = self.model.progress().position();
        let mut batch = self.log.read_all(from, BATCH).await.map_err(storage)?;
        while let Some(last) = batch.last().map(|e| e.position) {
            total += batch.len();
            let model = self.model.clone();
            let apply = tokio::task::spawn_blocking(move || model.apply_batch(&batch));
            let (applied, next) = tokio::join!(apply, self.log.read_all(last, BATCH));
            applied.map_err(storage)??;
            batch = next.map_err(storage)?;
        }
        Ok(total)
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

/// Applies what a follower of the cluster's events topic brings, batch by batch; each batch's
/// partition checkpoints, and where each partition's reader resumes, are written with it.
/// While the brokers cannot be read (an outage, a network split), it waits and reads on: the
/// consumer reconnects by itself, and nothing read is dropped. Start the follower at the read
/// model's checkpoints (`Projection::checkpoints`, with `Projection::version_of` for the
/// versions).
#[cfg(feature = "cluster")]
pub async fn follow(
    mut follower: eventlog::kafka::follower::Follower,
    model: Arc<dyn ReadModel>,
) -> Result<(), Error> {
    let mut wait = std::time::Duration::from_millis(100);
    loop {
        let batch = match follower
            .next_batch(std::time::Duration::from_millis(200), BATCH)
            .await
        {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?wait, "cannot read the events topic; reading on when the brokers answer");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(5));
                continue;
            }
        };
        wait = std::time::Duration::from_millis(100);
        if batch.is_empty() {
            continue;
        }
        let resumes = follower.resumes();
        // Each event's trace (from its record) shows when it was applied.
        let spans = follower.take_spans();
        apply_until_done(&model, Arc::new(batch), Arc::new(resumes)).await?;
        drop(spans);
    }
}

/// Applies a followed batch, trying again while the read model is unreachable: the follower
/// has moved past the batch, so it must not be dropped, and applying it again is safe.
#[cfg(feature = "cluster")]
async fn apply_until_done(
    model: &Arc<dyn ReadModel>,
    batch: Arc<Vec<eventlog::StoredEvent>>,
    resumes: Arc<Vec<(i32, eventlog::follow::Resume)>>,
) -> Result<(), Error> {
    let mut wait = std::time::Duration::from_millis(100);
    loop {
        let (m, b, r) = (model.clone(), batch.clone(), resumes.clone());
        let applied = tokio::task::spawn_blocking(move || m.apply_followed(&b, &r))
            .await
            .map_err(storage)?;
        match applied {
            Ok(_) => return Ok(()),
            Err(e) if e.code == domain::Code::StorageUnavailable => {
                tracing::warn!(error = %e, retry_in = ?wait, "cannot apply a batch to the read model; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(5));
            }
            Err(e) => return Err(e),
        }
    }
}
