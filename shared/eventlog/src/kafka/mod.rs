//! The event log on Apache Kafka, one partition of the events topic at a time: a node that owns
//! partition p opens it with [`KafkaLog::open`], which fences any earlier owner (the
//! transactional producer's id is derived from p), reads the partition back, claims it under
//! a new epoch, and from then on writes in transactions. See [`reader`] for which records
//! count.
//!
//! A write is acknowledged only after two commits: its events, then a confirm of them (which
//! travels with the next batch's events when one waits). Any failure of a transaction
//! (fenced, fatal, or a commit that times out) means the partition has moved: the log stops
//! taking writes and answers [`LogError::Moved`].
//!
//! Positions are the partition's offsets plus one. The partition's counted events are held
//! in memory, read back on open.

#[cfg(feature = "testing")]
pub mod broker;
pub mod cluster;
pub mod follower;
pub mod owners;
mod reader;
mod record;
mod state;
pub mod topics;
pub mod trace;
mod writer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use tokio::sync::{mpsc, oneshot, watch};

pub use reader::{Counted, PartitionReader, Resume};
use record::readable;
pub use record::{Record, SnapshotRecord};

use crate::types::*;
use state::PartitionState;
use writer::{Transaction, Writer};

/// Where the partition lives and how long its transactions may take.
#[derive(Clone, Debug)]
pub struct KafkaLogOptions {
    /// `host:port,...`
    pub brokers: String,
    /// The events topic (`portcullis.events`).
    pub topic: String,
    /// The compacted snapshots topic (`portcullis.snapshots`), partitioned like the events.
    pub snapshots_topic: String,
    pub partition: i32,
    /// This node's name, recorded in its claim.
    pub node: String,
    /// How long a transaction step may take before the partition counts as lost.
    pub timeout: Duration,
    /// The most appends one transaction takes.
    pub max_batch: usize,
    /// Where batch latencies and sizes are counted.
    pub metrics: Option<std::sync::Arc<telemetry::Metrics>>,
}

impl KafkaLogOptions {
    pub fn new(brokers: &str, partition: i32, node: &str) -> KafkaLogOptions {
        KafkaLogOptions {
            brokers: brokers.into(),
            topic: topics::EVENTS.into(),
            snapshots_topic: topics::SNAPSHOTS.into(),
            partition,
            node: node.into(),
            timeout: Duration::from_secs(10),
            max_batch: 512,
            metrics: None,
        }
    }

    fn transactional_id(&self) -> String {
        format!("portcullis.{}.{}", self.topic, self.partition)
    }
}

pub(super) enum Job {
    Append {
        appends: Vec<Append>,
        /// The appending span's `traceparent`, written with each event.
        trace: Option<String>,
        reply: oneshot::Sender<LogResult<Vec<Appended>>>,
    },
    Snapshot {
        stream: StreamId,
        snapshot: Snapshot,
        reply: oneshot::Sender<LogResult<()>>,
    },
}

pub struct KafkaLog {
    state: Arc<RwLock<PartitionState>>,
    jobs: mpsc::UnboundedSender<Job>,
    head: watch::Receiver<u64>,
    moved: Arc<AtomicBool>,
    epoch: i64,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> LogError {
    LogError::Unavailable(format!("kafka: {what}: {e}"))
}

impl KafkaLog {
    /// Takes the partition: fences its earlier owner, reads it back, claims it.
    pub async fn open(options: KafkaLogOptions) -> LogResult<KafkaLog> {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &options.brokers)
            .set("transactional.id", options.transactional_id())
            .set(
                "transaction.timeout.ms",
                (options.timeout.as_millis() * 3).to_string(),
            )
            .set(
                "message.timeout.ms",
                options.timeout.as_millis().to_string(),
            )
            .set("linger.ms", "0")
            .create()
            .map_err(|e| unavailable("producer", e))?;
        let timeout = options.timeout;
        blocking(&producer, move |p| p.init_transactions(timeout))
            .await
            .map_err(|e| unavailable("init_transactions", e))?;

        let mut reader = PartitionReader::default();
        let mut state = PartitionState::default();
        let (topic, partition) = (options.topic.clone(), options.partition);
        read_partition(&options, &options.topic, |offset, bytes| {
            if let Some(record) = readable(Record::decode(bytes), &topic, partition, offset)? {
                for counted in reader.read(offset, record) {
                    state.add(counted);
                }
            }
            Ok(())
        })
        .await?;
        reader.void_pending();
        let snapshots = options.snapshots_topic.clone();
        read_partition(&options, &options.snapshots_topic, |offset, bytes| {
            let decoded = SnapshotRecord::decode(bytes);
            if let Some(s) = readable(decoded, &snapshots, partition, offset)? {
                let stream = s.stream();
                if state.position_of(&stream, s.version) == s.pinned() {
                    state.keep_snapshot(
                        stream,
                        Snapshot {
                            version: s.version,
                            state: s.state,
                        },
                    );
                }
            }
            Ok(())
        })
        .await?;
        if reader.dropped > 0 {
            tracing::info!(
                partition = options.partition,
                dropped = reader.dropped,
                "records of earlier owners that never counted were skipped"
            );
        }

        let mut tx = Transaction::new(&producer, &options);
        let claim = Record::Claim {
            node: options.node.clone(),
        };
        let epoch = tx
            .run(vec![(
                options.topic.clone(),
                String::new(),
                claim.encode(),
                None,
            )])
            .await
            .map_err(|e| LogError::Moved(format!("claiming the partition: {e}")))?[0];
        let confirm = Record::Confirm {
            epoch,
            through: epoch,
        };
        tx.run(vec![(
            options.topic.clone(),
            String::new(),
            confirm.encode(),
            None,
        )])
        .await
        .map_err(|e| LogError::Moved(format!("claiming the partition: {e}")))?;
        tracing::info!(
            partition = options.partition,
            epoch,
            events = state.head(),
            "took the partition"
        );

        let (head_tx, head) = watch::channel(state.head());
        let state = Arc::new(RwLock::new(state));
        let moved = Arc::new(AtomicBool::new(false));
        let (jobs, rx) = mpsc::unbounded_channel();
        tokio::spawn(
            Writer {
                tx,
                epoch,
                state: state.clone(),
                head: head_tx,
                moved: moved.clone(),
                topic: options.topic.clone(),
                snapshots_topic: options.snapshots_topic.clone(),
                max_batch: options.max_batch,
                metrics: options.metrics.clone(),
            }
            .run(rx),
        );
        Ok(KafkaLog {
            state,
            jobs,
            head,
            moved,
            epoch,
        })
    }

    /// The epoch this node writes under (the offset of its claim).
    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// Stops taking writes: the partition is being handed to another node.
    pub fn release(&self) {
        self.moved.store(true, Ordering::Release);
    }

    /// Whether the partition has moved to another owner (this log takes no more writes).
    pub fn has_moved(&self) -> bool {
        self.moved.load(Ordering::Acquire)
    }

    fn send(&self, job: Job) -> LogResult<()> {
        self.jobs
            .send(job)
            .map_err(|_| LogError::Moved("the partition's writer has stopped".into()))
    }
}

/// Runs a blocking producer call off the async workers.
async fn blocking<T: Send + 'static>(
    producer: &FutureProducer,
    f: impl FnOnce(&FutureProducer) -> Result<T, KafkaError> + Send + 'static,
) -> Result<T, KafkaError> {
    let p = producer.clone();
    tokio::task::spawn_blocking(move || f(&p))
        .await
        .unwrap_or(Err(KafkaError::Canceled))
}

/// A consumer of committed records that is assigned its partitions (its group only names it;
/// nothing is committed), optionally told when it reaches a partition's end.
fn committed_reader(brokers: &str, group: &str, eof: bool) -> LogResult<StreamConsumer> {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", eof.to_string())
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "earliest")
        // Read-your-writes waits on followers: a fetch returns as soon as a record is there,
        // not after librdkafka's default 500 ms.
        .set("fetch.wait.max.ms", "10")
        .create()
        .map_err(|e| unavailable("consumer", e))
}

/// Reads a partition of `topic` from its start to its end (read committed), record by record.
async fn read_partition(
    options: &KafkaLogOptions,
    topic: &str,
    mut each: impl FnMut(i64, &[u8]) -> LogResult<()>,
) -> LogResult<()> {
    let consumer = committed_reader(
        &options.brokers,
        &format!("portcullis.restore.{}", options.node),
        true,
    )?;
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, options.partition, Offset::Beginning)
        .map_err(|e| unavailable("assign", e))?;
    consumer
        .assign(&assignment)
        .map_err(|e| unavailable("assign", e))?;
    loop {
        match tokio::time::timeout(options.timeout * 6, consumer.recv()).await {
            Ok(Ok(message)) => each(message.offset(), message.payload().unwrap_or_default())?,
            Ok(Err(KafkaError::PartitionEOF(_))) => return Ok(()),
            Ok(Err(e)) => return Err(unavailable(&format!("reading {topic}"), e)),
            Err(_) => {
                return Err(unavailable(
                    &format!("reading {topic}"),
                    "no end of the partition in sight (is a transaction left open?)",
                ))
            }
        }
    }
}

impl EventLog for KafkaLog {
    fn append_atomic(&self, appends: Vec<Append>) -> BoxFuture<'_, LogResult<Vec<Appended>>> {
        Box::pin(async move {
            if appends.is_empty() {
                return Ok(Vec::new());
            }
            let (reply, rx) = oneshot::channel();
            let trace = trace::current();
            self.send(Job::Append {
                appends,
                trace,
                reply,
            })?;
            rx.await
                .unwrap_or_else(|_| Err(LogError::Moved("the partition's writer stopped".into())))
        })
    }

    fn read_stream<'a>(
        &'a self,
        stream: &'a StreamId,
        after_version: u64,
    ) -> BoxFuture<'a, LogResult<Vec<StoredEvent>>> {
        let events = self
            .state
            .read()
            .expect("partition state")
            .read_stream(stream, after_version);
        Box::pin(async move { Ok(events) })
    }

    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> BoxFuture<'_, LogResult<Vec<StoredEvent>>> {
        let events = self
            .state
            .read()
            .expect("partition state")
            .read_all(after_position, limit);
        Box::pin(async move { Ok(events) })
    }

    fn owned_streams<'a>(
        &'a self,
        instance: &'a str,
        owner: &'a str,
        kind: &'a str,
    ) -> BoxFuture<'a, LogResult<Vec<String>>> {
        let ids = self
            .state
            .read()
            .expect("partition state")
            .owned(instance, owner, kind);
        Box::pin(async move { Ok(ids) })
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }

    fn save_snapshot<'a>(
        &'a self,
        stream: &'a StreamId,
        snapshot: Snapshot,
    ) -> BoxFuture<'a, LogResult<()>> {
        Box::pin(async move {
            let (reply, rx) = oneshot::channel();
            self.send(Job::Snapshot {
                stream: stream.clone(),
                snapshot,
                reply,
            })?;
            rx.await
                .unwrap_or_else(|_| Err(LogError::Moved("the partition's writer stopped".into())))
        })
    }

    fn load_snapshot<'a>(
        &'a self,
        stream: &'a StreamId,
    ) -> BoxFuture<'a, LogResult<Option<Snapshot>>> {
        let snapshot = self.state.read().expect("partition state").snapshot(stream);
        Box::pin(async move { Ok(snapshot) })
    }
}
