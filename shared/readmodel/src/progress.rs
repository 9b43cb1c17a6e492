//! How far a read model has applied the log, and what its readers' caches compare: the same
//! for every adapter.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use domain::{Code, Error};
use eventlog::position::untag;
use tokio::sync::watch;

/// The position each log partition has been applied up to (none: 0).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied(pub BTreeMap<i32, u64>);

impl Applied {
    pub fn of(&self, partition: i32) -> u64 {
        self.0.get(&partition).copied().unwrap_or(0)
    }
}

/// A read model's progress, shared by its clones.
#[derive(Clone)]
pub struct Progress {
    applied: Arc<watch::Sender<Applied>>,
    /// Bumped after each applied batch that changed who may do what (memberships, tokens,
    /// users, removals): callers' caches of principals compare it.
    auth_generation: Arc<AtomicU64>,
    client_generation: Arc<AtomicU64>,
    /// When the last applied event was written (unix ms), for the projection lag.
    last_applied_at: Arc<AtomicI64>,
}

impl Progress {
    pub(crate) fn new(applied: Applied) -> Progress {
        Progress {
            applied: Arc::new(watch::channel(applied).0),
            auth_generation: Arc::default(),
            client_generation: Arc::default(),
            last_applied_at: Arc::default(),
        }
    }

    /// Records an applied batch: each partition's new position, what it made stale, and when
    /// its last event was written.
    pub(crate) fn advance(
        &self,
        reached: BTreeMap<i32, u64>,
        stale: crate::projection::Stale,
        last_written_at: Option<i64>,
    ) {
        if stale.auth {
            self.auth_generation.fetch_add(1, Ordering::AcqRel);
        }
        if stale.clients {
            self.client_generation.fetch_add(1, Ordering::AcqRel);
        }
        if let Some(at) = last_written_at {
            self.last_applied_at.store(at, Ordering::Relaxed);
        }
        self.applied
            .send_modify(|applied| applied.0.extend(reached));
    }

    /// Takes what another process's projector recorded (a shared read model): positions only
    /// move forward, and a changed generation is a new one here too.
    #[cfg(feature = "cql")]
    pub(crate) fn observe(
        &self,
        applied: Applied,
        auth_generation: u64,
        client_generation: u64,
        last_applied_at: i64,
    ) {
        self.auth_generation
            .fetch_max(auth_generation, Ordering::AcqRel);
        self.client_generation
            .fetch_max(client_generation, Ordering::AcqRel);
        self.last_applied_at
            .fetch_max(last_applied_at, Ordering::Relaxed);
        self.applied.send_if_modified(|now| {
            let mut moved = false;
            for (partition, at) in applied.0 {
                if at > now.of(partition) {
                    now.0.insert(partition, at);
                    moved = true;
                }
            }
            moved
        });
    }

    /// Back to nothing applied, every cache stale (a rebuild).
    pub(crate) fn reset(&self) {
        self.applied.send_replace(Applied::default());
        self.auth_generation.fetch_add(1, Ordering::AcqRel);
        self.client_generation.fetch_add(1, Ordering::AcqRel);
    }

    /// When the last applied event was written (unix ms; 0 before any).
    pub fn last_applied_at(&self) -> i64 {
        self.last_applied_at.load(Ordering::Relaxed)
    }

    /// Changes whenever an applied event may have changed a caller's authentication or
    /// memberships.
    pub fn auth_generation(&self) -> u64 {
        self.auth_generation.load(Ordering::Acquire)
    }

    /// Changes whenever an applied event may have changed an OAuth client's credentials or a
    /// token subject's state or claims.
    pub fn client_generation(&self) -> u64 {
        self.client_generation.load(Ordering::Acquire)
    }

    /// The position of partition 0 applied so far (the embedded log's only partition).
    pub fn position(&self) -> u64 {
        self.applied.borrow().of(0)
    }

    /// Wakes whenever a batch is applied.
    pub fn subscribe(&self) -> watch::Receiver<Applied> {
        self.applied.subscribe()
    }

    /// What each partition has applied so far.
    pub fn applied(&self) -> Applied {
        self.applied.borrow().clone()
    }

    /// Waits until `position` (tagged with its partition: see `eventlog::position`) has been
    /// applied, for at most `timeout` (read-your-writes: `X-Portcullis-Position`).
    pub async fn wait_for(&self, position: u64, timeout: std::time::Duration) -> Result<(), Error> {
        let (partition, at) = untag(position);
        let mut rx = self.applied.subscribe();
        let reached = tokio::time::timeout(timeout, rx.wait_for(|a| a.of(partition) >= at)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            _ => Err(Error::new(
                Code::PositionNotReached,
                format!("the read models have not reached position {position} yet: retry"),
            )
            .with("position", position.to_string())
            .with("retry_after", "1")),
        }
    }
}
