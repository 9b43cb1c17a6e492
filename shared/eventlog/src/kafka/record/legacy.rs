//! The records of releases up to 0.2.0: positional bincode, read, never written. Frozen copies
//! of their shapes (never change them: they describe data that exists), turned into today's.

use serde::Deserialize;

use super::{Record, SnapshotRecord, Unreadable};

fn bincode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, Unreadable> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(r, _)| r)
        .map_err(|e| Unreadable::Garbage(e.to_string()))
}

#[derive(Deserialize)]
enum OldRecord {
    Claim {
        node: String,
    },
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
        owners: Vec<String>,
    },
    Confirm {
        epoch: i64,
        through: i64,
    },
}

#[derive(Deserialize)]
struct OldSnapshot {
    instance: String,
    kind: String,
    id: String,
    version: u64,
    position: u64,
    state: Vec<u8>,
}

pub(super) fn record(bytes: &[u8]) -> Result<Record, Unreadable> {
    Ok(match bincode::<OldRecord>(bytes)? {
        OldRecord::Claim { node } => Record::Claim { node },
        OldRecord::Event {
            epoch,
            instance,
            kind,
            id,
            version,
            event_type,
            schema_version,
            payload,
            creator,
            created_at,
            owners,
        } => Record::Event {
            epoch,
            instance,
            kind,
            id,
            version,
            event_type,
            schema_version,
            payload,
            creator,
            created_at,
            owners,
        },
        OldRecord::Confirm { epoch, through } => Record::Confirm { epoch, through },
    })
}

pub(super) fn snapshot(bytes: &[u8]) -> Result<SnapshotRecord, Unreadable> {
    let s = bincode::<OldSnapshot>(bytes)?;
    Ok(SnapshotRecord {
        instance: s.instance,
        kind: s.kind,
        id: s.id,
        version: s.version,
        position: s.position,
        state: s.state,
    })
}
