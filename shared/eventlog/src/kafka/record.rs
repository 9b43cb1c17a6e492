//! What the events topic holds. Every record is stamped with its writer's epoch: the offset of
//! the claim record with which that writer took the partition, so a later owner always has a
//! greater epoch, whatever the order in which the brokers saw their producers.

use serde::{Deserialize, Serialize};

use crate::types::{NewEvent, StreamId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    /// A node takes the partition; its epoch is this record's offset.
    Claim { node: String },
    /// An event, written in a transaction; it counts once a confirm of its epoch covers it.
    Event {
        epoch: i64,
        instance: String,
        kind: String,
        id: String,
        version: u64,
        event_type: String,
        schema_version: u16,
        payload: Vec<u8>,
        creator: String,
        created_at: i64,
        /// The stream's owners, stated by its first append.
        owners: Vec<String>,
    },
    /// The writer of `epoch` committed its events up to offset `through`: written only after
    /// that commit succeeded, and before any of them is acknowledged.
    Confirm { epoch: i64, through: i64 },
}

impl Record {
    pub fn event(
        epoch: i64,
        stream: &StreamId,
        version: u64,
        e: &NewEvent,
        owners: &[String],
    ) -> Record {
        Record::Event {
            epoch,
            instance: stream.instance.clone(),
            kind: stream.kind.clone(),
            id: stream.id.clone(),
            version,
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            payload: e.payload.clone(),
            creator: e.creator.clone(),
            created_at: e.created_at,
            owners: owners.to_vec(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        bincode::serde::encode_to_vec(self, bincode::config::standard())
            .expect("records always encode")
    }

    pub fn decode(bytes: &[u8]) -> Option<Record> {
        bincode::serde::decode_from_slice(bytes, bincode::config::standard())
            .ok()
            .map(|(r, _)| r)
    }
}

/// A snapshot on the snapshots topic (compacted, keyed by stream). It holds only if the event
/// that made `version` is the counted event at `position`: a zombie's snapshot of events that
/// never counted is never restored. (Position 0: no event was counted at `version` when it
/// was taken; it holds while none is.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    pub instance: String,
    pub kind: String,
    pub id: String,
    pub version: u64,
    /// The log position of the stream's event `version`.
    pub position: u64,
    pub state: Vec<u8>,
}

impl SnapshotRecord {
    pub fn encode(&self) -> Vec<u8> {
        bincode::serde::encode_to_vec(self, bincode::config::standard())
            .expect("records always encode")
    }

    pub fn decode(bytes: &[u8]) -> Option<SnapshotRecord> {
        bincode::serde::decode_from_slice(bytes, bincode::config::standard())
            .ok()
            .map(|(r, _)| r)
    }

    /// The position of the event the snapshot stands on, if any.
    pub fn pinned(&self) -> Option<u64> {
        (self.position != 0).then_some(self.position)
    }

    pub fn stream(&self) -> StreamId {
        StreamId::new(&self.instance, &self.kind, &self.id)
    }
}

/// A stream's key on both topics.
pub fn key(stream: &StreamId) -> String {
    format!("{}/{}/{}", stream.instance, stream.kind, stream.id)
}
