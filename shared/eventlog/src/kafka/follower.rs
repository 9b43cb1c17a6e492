//! Following the whole events topic, as projectors do: every partition read (read committed)
//! through its own [`PartitionReader`], so only counted events come out, each partition's in
//! its log order, with positions tagged with their partition.
//!
//! A follower starts each partition at its [`Checkpoint`]: the reader resumes at the stored
//! [`Resume`] (the earliest event not yet confirmed, and the latest confirmed epoch), takes the
//! versions of streams it meets again from what was applied, and skips what was applied. The
//! caller stores [`Follower::resumes`] with each batch it applies. A partition without a
//! checkpoint is read from its start.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Message, Offset, TopicPartitionList};

use super::reader::{PartitionReader, Resume};
use super::record::{readable, Record};
pub use crate::follow::Checkpoint;
use crate::position::tag;
use crate::types::*;

pub struct Follower {
    consumer: StreamConsumer,
    readers: HashMap<i32, PartitionReader>,
    /// Per partition: events at or below this position were applied already.
    after: HashMap<i32, u64>,
    /// Records read since the start (for tests and progress).
    read: u64,
    /// The `traceparent` of events read and not yet counted, by partition and offset.
    traces: HashMap<(i32, i64), String>,
    /// Spans continuing the traces of the last batch's events.
    spans: Vec<tracing::Span>,
    /// The partitions read to their end and nothing since (for a follower [`Follower::to_end`]).
    at_end: std::collections::HashSet<i32>,
    partitions: u32,
}

impl Follower {
    /// Follows `partitions` partitions of `topic` from their `checkpoints`; `earlier` gives
    /// the last applied version of a stream that a resumed reader meets again.
    pub fn start(
        brokers: &str,
        topic: &str,
        partitions: u32,
        node: &str,
        checkpoints: HashMap<i32, Checkpoint>,
        earlier: std::sync::Arc<dyn Fn(&StreamId) -> u64 + Send + Sync>,
    ) -> LogResult<Follower> {
        Follower::assigned(
            brokers,
            topic,
            partitions,
            node,
            checkpoints,
            earlier,
            false,
        )
    }

    /// Follows `partitions` partitions of `topic` from their start, telling when it has read
    /// each to the end ([`Follower::at_end`]): an export.
    pub fn to_end(brokers: &str, topic: &str, partitions: u32, node: &str) -> LogResult<Follower> {
        let nothing_applied = std::sync::Arc::new(|_: &StreamId| 0);
        Follower::assigned(
            brokers,
            topic,
            partitions,
            node,
            HashMap::new(),
            nothing_applied,
            true,
        )
    }

    fn assigned(
        brokers: &str,
        topic: &str,
        partitions: u32,
        node: &str,
        checkpoints: HashMap<i32, Checkpoint>,
        earlier: std::sync::Arc<dyn Fn(&StreamId) -> u64 + Send + Sync>,
        eof: bool,
    ) -> LogResult<Follower> {
        let consumer = super::committed_reader(brokers, &format!("portcullis.follow.{node}"), eof)?;
        let mut assignment = TopicPartitionList::new();
        let mut readers = HashMap::new();
        for p in 0..partitions as i32 {
            let checkpoint = checkpoints.get(&p).copied().unwrap_or_default();
            let offset = match checkpoint.resume.offset {
                0 => Offset::Beginning,
                at => {
                    let earlier = earlier.clone();
                    readers.insert(
                        p,
                        PartitionReader::resumed(checkpoint.resume, Box::new(move |s| earlier(s))),
                    );
                    Offset::Offset(at)
                }
            };
            assignment
                .add_partition_offset(topic, p, offset)
                .map_err(|e| LogError::Unavailable(format!("kafka: assign: {e}")))?;
        }
        consumer
            .assign(&assignment)
            .map_err(|e| LogError::Unavailable(format!("kafka: assign: {e}")))?;
        Ok(Follower {
            consumer,
            readers,
            after: checkpoints
                .into_iter()
                .map(|(p, c)| (p, c.applied))
                .collect(),
            read: 0,
            traces: HashMap::new(),
            spans: Vec::new(),
            at_end: Default::default(),
            partitions,
        })
    }

    /// Whether every partition was read to its end, with nothing after (a follower
    /// [`Follower::to_end`]; events committed later are not waited for).
    pub fn at_end(&self) -> bool {
        self.at_end.len() == self.partitions as usize
    }

    /// Where each partition's reader would resume now: store it with the batch just taken.
    pub fn resumes(&self) -> Vec<(i32, Resume)> {
        let mut r: Vec<_> = self.readers.iter().map(|(p, r)| (*p, r.resume())).collect();
        r.sort_by_key(|(p, _)| *p);
        r
    }

    /// Records read since the start.
    pub fn records_read(&self) -> u64 {
        self.read
    }

    /// The next counted events: waits up to `wait` for the first record, then takes what has
    /// arrived (up to `max` records). Positions are tagged with their partition.
    pub async fn next_batch(&mut self, wait: Duration, max: usize) -> LogResult<Vec<StoredEvent>> {
        let mut out = Vec::new();
        let mut budget = wait;
        for _ in 0..max {
            let message = match tokio::time::timeout(budget, self.consumer.recv()).await {
                Err(_) => break,
                Ok(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                    self.at_end.insert(p);
                    continue;
                }
                // What was read already goes out first (the consumer is past it); the error
                // comes again on the next call if it lasts.
                Ok(Err(e)) if out.is_empty() => {
                    return Err(LogError::Unavailable(format!("kafka: reading: {e}")))
                }
                Ok(Err(_)) => break,
                Ok(Ok(m)) => m,
            };
            // After the first record, take only what is already there.
            budget = Duration::from_millis(1);
            self.read += 1;
            let p = message.partition();
            self.at_end.remove(&p);
            let decoded = Record::decode(message.payload().unwrap_or_default());
            let Some(record) = readable(decoded, message.topic(), p, message.offset())? else {
                continue;
            };
            if let Some(t) = traceparent(&message) {
                self.traces.insert((p, message.offset()), t);
            }
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
        self.spans = out
            .iter()
            .filter_map(|e| {
                let (p, at) = crate::position::untag(e.position);
                let t = self.traces.remove(&(p, at as i64 - 1))?;
                Some(super::trace::applying(&t, e.position))
            })
            .collect();
        // What was dropped, or counted before a resume, is never asked for.
        let resumes: HashMap<i32, i64> = self
            .readers
            .iter()
            .map(|(p, r)| (*p, r.resume().offset))
            .collect();
        self.traces
            .retain(|(p, offset), _| resumes.get(p).is_none_or(|r| offset >= r));
        Ok(out)
    }

    /// Spans (`projection.apply`) continuing the traces of the last batch's events that
    /// carried one: hold them while the batch is applied.
    pub fn take_spans(&mut self) -> Vec<tracing::Span> {
        std::mem::take(&mut self.spans)
    }
}

fn traceparent(message: &rdkafka::message::BorrowedMessage<'_>) -> Option<String> {
    use rdkafka::message::Headers;
    message
        .headers()?
        .iter()
        .find(|h| h.key == super::trace::HEADER)
        .and_then(|h| h.value)
        .and_then(|v| String::from_utf8(v.to_vec()).ok())
}
