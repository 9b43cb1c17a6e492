//! Applying a batch of log events: one transaction with the new checkpoint, so a crash
//! neither loses nor applies an event twice.

use std::sync::atomic::Ordering;

use domain::{DomainEvent, Error};
use eventlog::kafka::Resume;
use eventlog::position::untag;
use eventlog::StoredEvent;
use rusqlite::params;

use crate::projection;
use crate::store::{storage, SqliteReadModel};

impl SqliteReadModel {
    /// Applies `batch` (each partition's events in log order, after its checkpoint) and moves
    /// each partition's checkpoint to its last event, in the same transaction. Blocking: call
    /// it off the async runtime. Returns partition 0's new position.
    pub fn apply_batch(&self, batch: &[StoredEvent]) -> Result<u64, Error> {
        self.apply_followed(batch, &[])
    }

    /// [`Self::apply_batch`] for a follower of the partitioned log: also stores where each
    /// partition's reader resumes, in the same transaction, so that a restart reads only the
    /// tail of each partition.
    pub fn apply_followed(
        &self,
        batch: &[StoredEvent],
        resumes: &[(i32, Resume)],
    ) -> Result<u64, Error> {
        let mut conn = self.conn.lock().expect("read model lock");
        let tx = conn.transaction().map_err(storage)?;
        let mut reached = std::collections::BTreeMap::new();
        let mut stale = projection::Stale::default();
        for stored in batch {
            let event = DomainEvent::decode(
                &stored.stream.kind,
                stored.event.schema_version,
                &stored.event.payload,
            )?;
            projection::apply(&tx, stored, &event).map_err(storage)?;
            let made = projection::stale(&event);
            stale.auth |= made.auth;
            stale.clients |= made.clients;
            let (partition, at) = untag(stored.position);
            reached.insert(partition, at);
        }
        for (partition, at) in &reached {
            tx.execute(
                "INSERT INTO checkpoint (partition, position) VALUES (?1, ?2)
                 ON CONFLICT (partition) DO UPDATE SET position = excluded.position",
                params![partition, *at as i64],
            )
            .map_err(storage)?;
        }
        for (partition, resume) in resumes {
            tx.execute(
                "INSERT INTO checkpoint (partition, position, resume_offset, resume_epoch)
                 VALUES (?1, 0, ?2, ?3)
                 ON CONFLICT (partition) DO UPDATE SET resume_offset = excluded.resume_offset,
                     resume_epoch = excluded.resume_epoch",
                params![partition, resume.offset, resume.epoch],
            )
            .map_err(storage)?;
        }
        tx.commit().map_err(storage)?;
        if stale.auth {
            self.auth_generation.fetch_add(1, Ordering::AcqRel);
        }
        if stale.clients {
            self.client_generation.fetch_add(1, Ordering::AcqRel);
        }
        if let Some(e) = batch.last() {
            self.last_applied_at
                .store(e.event.created_at, Ordering::Relaxed);
        }
        self.applied
            .send_modify(|applied| applied.0.extend(reached));
        Ok(self.position())
    }
}
