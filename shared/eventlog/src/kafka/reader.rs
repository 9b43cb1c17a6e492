//! Which records of a partition count, whoever reads them (a restoring owner, a projector):
//! an event counts once a confirm of its epoch covers it, no event of an epoch older than the
//! latest confirmed one ever counts, and an event must continue its stream's versions. So a
//! fenced or paused owner's records never count, even where a broker delivers records of
//! aborted transactions to read-committed consumers. Pure: records in, counted events out.

use std::collections::HashMap;

use super::record::Record;
pub use crate::follow::Resume;
use crate::types::{NewEvent, StoredEvent, StreamId};

/// A counted event, with the owners its stream's first append stated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    pub event: StoredEvent,
    pub owners: Vec<String>,
}

/// A stream's last counted version before a reader resumed (0 for a new stream).
pub type VersionLookup = Box<dyn Fn(&StreamId) -> u64 + Send + Sync>;

#[derive(Default)]
pub struct PartitionReader {
    /// The epoch of the latest confirm (None: none yet).
    epoch: Option<i64>,
    /// Events not yet confirmed: (offset, epoch, stream, version, event, owners).
    pending: Vec<(i64, i64, StreamId, u64, NewEvent, Vec<String>)>,
    /// Each stream's last counted version.
    versions: HashMap<StreamId, u64>,
    /// Where the versions of streams not seen since a resume come from.
    earlier: Option<VersionLookup>,
    /// The offset after the last record read.
    next: i64,
    /// Events dropped: of a superseded epoch, or out of their stream's sequence.
    pub dropped: u64,
}

impl PartitionReader {
    /// A reader starting at `resume`, taking the versions of streams it has not seen from
    /// `earlier` (what the reader's owner applied before).
    pub fn resumed(resume: Resume, earlier: VersionLookup) -> PartitionReader {
        PartitionReader {
            epoch: resume.epoch,
            next: resume.offset,
            earlier: Some(earlier),
            ..PartitionReader::default()
        }
    }

    /// Where to start again to count exactly what this reader would still count.
    pub fn resume(&self) -> Resume {
        Resume {
            offset: self.pending.iter().map(|p| p.0).min().unwrap_or(self.next),
            epoch: self.epoch,
        }
    }

    /// Reads the record at `offset`; returns the events it makes count, in log order.
    pub fn read(&mut self, offset: i64, record: Record) -> Vec<Counted> {
        self.next = self.next.max(offset + 1);
        match record {
            // A claim names the epoch that starts at its offset; it counts from that epoch's
            // first confirm.
            Record::Claim { .. } => Vec::new(),
            Record::Event {
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
            } => {
                if self.epoch.is_some_and(|e| epoch < e) {
                    self.dropped += 1;
                } else {
                    let event = NewEvent {
                        event_type,
                        schema_version,
                        payload,
                        creator,
                        created_at,
                    };
                    let stream = StreamId { instance, kind, id };
                    self.pending
                        .push((offset, epoch, stream, version, event, owners));
                }
                Vec::new()
            }
            Record::Confirm { epoch, through } => self.confirm(epoch, through),
        }
    }

    fn confirm(&mut self, epoch: i64, through: i64) -> Vec<Counted> {
        if self.epoch.is_some_and(|e| epoch < e) {
            return Vec::new();
        }
        self.epoch = Some(epoch);
        let mut counted = Vec::new();
        let mut kept = Vec::new();
        for (offset, e, stream, version, event, owners) in std::mem::take(&mut self.pending) {
            if e < epoch {
                self.dropped += 1;
            } else if e > epoch || offset > through {
                kept.push((offset, e, stream, version, event, owners));
            } else {
                let last = match self.versions.get(&stream) {
                    Some(v) => *v,
                    None => self.earlier.as_ref().map_or(0, |f| f(&stream)),
                };
                if version != last + 1 {
                    self.dropped += 1;
                    continue;
                }
                self.versions.insert(stream.clone(), version);
                counted.push(Counted {
                    event: StoredEvent {
                        position: offset as u64 + 1,
                        stream,
                        version,
                        event,
                    },
                    owners,
                });
            }
        }
        self.pending = kept;
        counted
    }

    /// Forgets what is not confirmed (a new owner takes over from here).
    pub fn void_pending(&mut self) {
        self.dropped += self.pending.len() as u64;
        self.pending.clear();
    }

    /// A stream's last counted version.
    pub fn version(&self, stream: &StreamId) -> u64 {
        self.versions.get(stream).copied().unwrap_or(0)
    }
}
