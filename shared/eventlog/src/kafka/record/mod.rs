//! What the events topic holds. Every record is stamped with its writer's epoch: the offset of
//! the claim record with which that writer took the partition, so a later owner always has a
//! greater epoch, whatever the order in which the brokers saw their producers.
//!
//! Records are JSON with named fields in an envelope that names its version (`{"v": 1,
//! "record": ...}`, bytes as base64): a reader skips fields it does not know, and a record of
//! a newer envelope version stops the reader with an error instead of being misread. Records
//! of releases up to 0.2.0 are positional bincode, read by [`legacy`].

mod legacy;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::types::{NewEvent, StreamId};

/// The envelope version this build writes and reads.
pub const ENVELOPE: u32 = 1;

/// Why a record does not read.
#[derive(Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Written by a newer release: this node must be upgraded before it reads on.
    Newer(u32),
    /// Not a record of any version (garbage on the topic).
    Garbage(String),
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Newer(v) => write!(
                f,
                "a record of envelope version {v} (this build reads up to {ENVELOPE}): \
                 upgrade this node to the release the others run"
            ),
            Unreadable::Garbage(e) => write!(f, "not a Portcullis record: {e}"),
        }
    }
}

/// A decoded record, or nothing for garbage (skipped, with a warning), or the error that stops
/// the reader: a record of a newer release is never skipped, since what follows it may
/// depend on it.
pub fn readable<T>(
    decoded: Result<T, Unreadable>,
    topic: &str,
    partition: i32,
    offset: i64,
) -> crate::LogResult<Option<T>> {
    match decoded {
        Ok(record) => Ok(Some(record)),
        Err(Unreadable::Garbage(e)) => {
            tracing::warn!(topic, partition, offset, error = %e, "skipped a record that is not Portcullis's");
            Ok(None)
        }
        Err(newer) => Err(crate::LogError::Unavailable(format!(
            "{topic} partition {partition} offset {offset}: {newer}"
        ))),
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    v: u32,
    record: T,
}

fn to_json<T: Serialize>(record: &T) -> Vec<u8> {
    serde_json::to_vec(&Envelope {
        v: ENVELOPE,
        record,
    })
    .expect("records always encode")
}

fn from_json<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, Unreadable> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let garbage = |e: serde_json::Error| Unreadable::Garbage(e.to_string());
    let Version { v } = serde_json::from_slice(bytes).map_err(garbage)?;
    if v > ENVELOPE {
        return Err(Unreadable::Newer(v));
    }
    let envelope: Envelope<T> = serde_json::from_slice(bytes).map_err(garbage)?;
    Ok(envelope.record)
}

/// Bytes as base64 in JSON.
mod b64 {
    use super::{Engine, STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

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
        #[serde(with = "b64")]
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
        to_json(self)
    }

    /// A record of any envelope version this build knows, or of the positional encoding of
    /// earlier releases.
    pub fn decode(bytes: &[u8]) -> Result<Record, Unreadable> {
        match bytes.first() {
            Some(b'{') => from_json(bytes),
            _ => legacy::record(bytes),
        }
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
    #[serde(with = "b64")]
    pub state: Vec<u8>,
}

impl SnapshotRecord {
    pub fn encode(&self) -> Vec<u8> {
        to_json(self)
    }

    pub fn decode(bytes: &[u8]) -> Result<SnapshotRecord, Unreadable> {
        match bytes.first() {
            Some(b'{') => from_json(bytes),
            _ => legacy::snapshot(bytes),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Record {
        Record::Event {
            epoch: 5,
            instance: "i".into(),
            kind: "user".into(),
            id: "u1".into(),
            version: 1,
            event_type: "user.removed".into(),
            schema_version: 2,
            payload: b"{}".to_vec(),
            creator: "c".into(),
            created_at: 1_700_000_000_000,
            owners: vec!["o1".into()],
        }
    }

    #[test]
    fn records_are_json_in_a_versioned_envelope_and_read_back() {
        for record in [
            event(),
            Record::Claim { node: "n1".into() },
            Record::Confirm {
                epoch: 5,
                through: 9,
            },
        ] {
            let bytes = record.encode();
            let text: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(text["v"], ENVELOPE);
            assert_eq!(Record::decode(&bytes), Ok(record));
        }
        let text: serde_json::Value = serde_json::from_slice(&event().encode()).unwrap();
        assert_eq!(
            text["record"]["Event"]["payload"], "e30=",
            "bytes as base64"
        );
    }

    #[test]
    fn a_reader_skips_fields_it_does_not_know_and_refuses_newer_envelopes() {
        let mut text: serde_json::Value = serde_json::from_slice(&event().encode()).unwrap();
        text["record"]["Event"]["added_later"] = serde_json::json!([1, 2]);
        text["also_later"] = serde_json::json!("x");
        let bytes = serde_json::to_vec(&text).unwrap();
        assert_eq!(Record::decode(&bytes), Ok(event()));
        text["v"] = serde_json::json!(ENVELOPE + 1);
        let bytes = serde_json::to_vec(&text).unwrap();
        assert_eq!(Record::decode(&bytes), Err(Unreadable::Newer(ENVELOPE + 1)));
        let stop = readable(Record::decode(&bytes), "events", 0, 7).unwrap_err();
        assert!(stop.to_string().contains("upgrade this node"), "{stop}");
        // Garbage is skipped, not fatal.
        assert_eq!(
            readable(Record::decode(b"\xff\xff"), "events", 0, 8),
            Ok(None)
        );
    }

    #[test]
    fn a_record_of_release_0_1_reads_as_it_was_written() {
        // Record::Event as releases up to 0.2.0 wrote it: bincode, standard configuration.
        let old = "010a01690475736572027531010c757365722e72656d6f76656402027b7d0163fd00d0ca9f\
                   1703000001026f31";
        let bytes: Vec<u8> = (0..old.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&old[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(Record::decode(&bytes), Ok(event()));
    }
}
