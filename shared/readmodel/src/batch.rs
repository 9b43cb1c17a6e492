//! Applying a batch of log events: one transaction with the new checkpoint, so a crash
//! neither loses nor applies an event twice.

use std::collections::HashMap;

use domain::{DomainEvent, Error};
use eventlog::follow::{Checkpoint, Resume};
use eventlog::position::untag;
use eventlog::{StoredEvent, StreamId};
use rusqlite::{params, OptionalExtension};

use crate::model::Projection;
use crate::progress::Progress;
use crate::projection;
use crate::store::{storage, SqliteReadModel};

impl Projection for SqliteReadModel {
    /// One transaction holds the batch's writes, the partitions' checkpoints and where their
    /// readers resume.
    fn apply_followed(
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
                &stored.event.event_type,
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
        self.progress
            .advance(reached, stale, batch.last().map(|e| e.event.created_at));
        Ok(self.progress.position())
    }

    fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Where a follower starts each partition it has followed before: what was applied and
    /// where the partition's reader resumes.
    fn checkpoints(&self) -> Result<HashMap<i32, Checkpoint>, Error> {
        let conn = self.conn.lock().expect("read model lock");
        let mut st = conn
            .prepare("SELECT partition, position, resume_offset, resume_epoch FROM checkpoint")
            .map_err(storage)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i32>(0)?,
                    Checkpoint {
                        applied: r.get::<_, i64>(1)? as u64,
                        resume: Resume {
                            offset: r.get(2)?,
                            epoch: r.get(3)?,
                        },
                    },
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<HashMap<_, _>>>())
            .map_err(storage)?;
        Ok(rows)
    }

    /// The last version of a stream this read model applied (0: none), for a follower's
    /// readers resuming mid-partition.
    fn version_of(&self, stream: &StreamId) -> Result<u64, Error> {
        let conn = self.conn.lock().expect("read model lock");
        conn.query_row(
            "SELECT version FROM versions WHERE instance = ?1 AND kind = ?2 AND id = ?3",
            rusqlite::params![stream.instance, stream.kind, stream.id],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map(|v| v.map_or(0, |v| v as u64))
        .map_err(storage)
    }

    /// Empties every table, for a rebuild from position 0.
    fn reset(&self) -> Result<(), Error> {
        let conn = self.conn.lock().expect("read model lock");
        for t in crate::store::TABLES {
            conn.execute(&format!("DELETE FROM {t}"), [])
                .map_err(storage)?;
        }
        conn.execute(
            "INSERT INTO checkpoint (partition, position) VALUES (0, 0)",
            [],
        )
        .map_err(storage)?;
        self.progress.reset();
        Ok(())
    }
}
