//! Applying a batch of log events: one transaction with the new checkpoint, so a crash
//! neither loses nor applies an event twice.

use std::sync::atomic::Ordering;

use domain::{DomainEvent, Error};
use eventlog::StoredEvent;
use rusqlite::params;

use crate::projection;
use crate::store::{storage, SqliteReadModel};

impl SqliteReadModel {
    /// Applies `batch` (log order, after the checkpoint) and moves the checkpoint to its last
    /// event. Blocking: call it off the async runtime. Returns the new position.
    pub fn apply_batch(&self, batch: &[StoredEvent]) -> Result<u64, Error> {
        let mut conn = self.conn.lock().expect("read model lock");
        let tx = conn.transaction().map_err(storage)?;
        let mut last = self.position();
        let mut auth_changed = false;
        let mut clients_changed = false;
        for stored in batch {
            let event = DomainEvent::decode(
                &stored.stream.kind,
                stored.event.schema_version,
                &stored.event.payload,
            )?;
            projection::apply(&tx, stored, &event).map_err(storage)?;
            auth_changed |= projection::affects_auth(&event);
            clients_changed |= projection::affects_clients(&event);
            last = stored.position;
        }
        tx.execute(
            "UPDATE checkpoint SET position = ?1 WHERE id = 1",
            params![last as i64],
        )
        .map_err(storage)?;
        tx.commit().map_err(storage)?;
        if auth_changed {
            self.auth_generation.fetch_add(1, Ordering::AcqRel);
        }
        if clients_changed {
            self.client_generation.fetch_add(1, Ordering::AcqRel);
        }
        if let Some(e) = batch.last() {
            self.last_applied_at
                .store(e.event.created_at, Ordering::Relaxed);
        }
        self.applied.send_replace(last);
        Ok(last)
    }
}
