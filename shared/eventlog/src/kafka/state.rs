//! A partition's counted events as its owner holds them: in log order, indexed by stream and
//! by owner, with the latest valid snapshot of each stream.

use std::collections::{BTreeSet, HashMap};

use super::reader::Counted;
use crate::types::{Snapshot, StoredEvent, StreamId};

#[derive(Default)]
pub struct PartitionState {
    events: Vec<StoredEvent>,
    streams: HashMap<StreamId, Vec<usize>>,
    /// (instance, owner, kind) -> stream ids.
    owners: HashMap<(String, String, String), BTreeSet<String>>,
    snapshots: HashMap<StreamId, Snapshot>,
}

impl PartitionState {
    pub fn add(&mut self, counted: Counted) {
        let Counted { event, owners } = counted;
        for owner in owners {
            self.owners
                .entry((
                    event.stream.instance.clone(),
                    owner,
                    event.stream.kind.clone(),
                ))
                .or_default()
                .insert(event.stream.id.clone());
        }
        self.streams
            .entry(event.stream.clone())
            .or_default()
            .push(self.events.len());
        self.events.push(event);
    }

    pub fn version(&self, stream: &StreamId) -> u64 {
        self.streams.get(stream).map_or(0, |v| v.len() as u64)
    }

    /// The position of a stream's event `version`, if it counted.
    pub fn position_of(&self, stream: &StreamId, version: u64) -> Option<u64> {
        let i = *self
            .streams
            .get(stream)?
            .get(version.checked_sub(1)? as usize)?;
        Some(self.events[i].position)
    }

    pub fn read_stream(&self, stream: &StreamId, after_version: u64) -> Vec<StoredEvent> {
        self.streams.get(stream).map_or_else(Vec::new, |idx| {
            idx.iter()
                .skip(after_version as usize)
                .map(|&i| self.events[i].clone())
                .collect()
        })
    }

    pub fn read_all(&self, after_position: u64, limit: usize) -> Vec<StoredEvent> {
        let from = self
            .events
            .partition_point(|e| e.position <= after_position);
        self.events[from..].iter().take(limit).cloned().collect()
    }

    pub fn owned(&self, instance: &str, owner: &str, kind: &str) -> Vec<String> {
        self.owners
            .get(&(instance.to_string(), owner.to_string(), kind.to_string()))
            .map_or_else(Vec::new, |ids| ids.iter().cloned().collect())
    }

    pub fn head(&self) -> u64 {
        self.events.last().map_or(0, |e| e.position)
    }

    /// Keeps `snapshot` unless a newer one is kept.
    pub fn keep_snapshot(&mut self, stream: StreamId, snapshot: Snapshot) {
        match self.snapshots.get(&stream) {
            Some(kept) if kept.version >= snapshot.version => {}
            _ => {
                self.snapshots.insert(stream, snapshot);
            }
        }
    }

    pub fn snapshot(&self, stream: &StreamId) -> Option<Snapshot> {
        self.snapshots.get(stream).cloned()
    }
}
