//! Following the whole events topic, as projectors do: every partition read (read committed)
//! through its own [`PartitionReader`], so only counted events come out, each partition's in
//! its log order, with positions tagged with their partition.
//!
//! It reads every partition from its start and skips what a reader has already applied
//! (`after`): the readers' rules need a partition's history. Resuming from a stored reader
//! state, so that a restart does not read the whole topic again, is still to come.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Message, Offset, TopicPartitionList};

use super::reader::PartitionReader;
use super::record::Record;
use crate::position::{tag, untag};
use crate::types::*;

pub struct Follower {
    consumer: StreamConsumer,
    readers: HashMap<i32, PartitionReader>,
    /// Per partition: events at or below this position were applied already.
    after: HashMap<i32, u64>,
}

impl Follower {
    /// Follows `partitions` partitions of `topic`; `after` holds, per partition, the tagged
    /// position a reader has applied up to (see `eventlog::position`).
    pub fn start(
        brokers: &str,
        topic: &str,
        partitions: u32,
        node: &str,
        after: impl IntoIterator<Item = u64>,
    ) -> LogResult<Follower> {
        let consumer =
            super::committed_reader(brokers, &format!("portcullis.follow.{node}"), false)?;
        let mut assignment = TopicPartitionList::new();
        for p in 0..partitions as i32 {
            assignment
                .add_partition_offset(topic, p, Offset::Beginning)
                .map_err(|e| LogError::Unavailable(format!("kafka: assign: {e}")))?;
        }
        consumer
            .assign(&assignment)
            .map_err(|e| LogError::Unavailable(format!("kafka: assign: {e}")))?;
        Ok(Follower {
            consumer,
            readers: HashMap::new(),
            after: after.into_iter().map(untag).collect(),
        })
    }

    /// The next counted events: waits up to `wait` for the first record, then takes what has
    /// arrived (up to `max` records). Positions are tagged with their partition.
    pub async fn next_batch(&mut self, wait: Duration, max: usize) -> LogResult<Vec<StoredEvent>> {
        let mut out = Vec::new();
        let mut budget = wait;
        for _ in 0..max {
            let message = match tokio::time::timeout(budget, self.consumer.recv()).await {
                Err(_) => break,
                Ok(Err(e)) => return Err(LogError::Unavailable(format!("kafka: reading: {e}"))),
                Ok(Ok(m)) => m,
            };
            // After the first record, take only what is already there.
            budget = Duration::from_millis(1);
            let Some(record) = message.payload().and_then(Record::decode) else {
                continue;
            };
            let p = message.partition();
            let after = self.after.get(&p).copied().unwrap_or(0);
            let counted = self
                .readers
                .entry(p)
                .or_default()
                .read(message.offset(), record);
            out.extend(
                counted
                    .into_iter()
                    .filter(|c| c.event.position > after)
                    .map(|c| StoredEvent {
                        position: tag(p, c.event.position),
                        ..c.event
                    }),
            );
        }
        Ok(out)
    }
}
