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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use tokio::sync::{mpsc, oneshot, watch};

pub use reader::{Counted, PartitionReader, Resume};
use record::readable;
pub use record::{Record, SnapshotRecord};

use crate::types::*;
use state::PartitionState;

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

enum Job {
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

/// The transactional producer of the partition.
/// A record to write: topic, key, payload, and the `traceparent` of who caused it.
type Outgoing = (String, String, Vec<u8>, Option<String>);

struct Transaction {
    producer: FutureProducer,
    partition: i32,
    timeout: Duration,
}

impl Transaction {
    fn new(producer: &FutureProducer, options: &KafkaLogOptions) -> Transaction {
        Transaction {
            producer: producer.clone(),
            partition: options.partition,
            timeout: options.timeout,
        }
    }

    /// Writes `records` (topic, key, payload, traceparent) in one transaction; returns their
    /// offsets.
    async fn run(&mut self, records: Vec<Outgoing>) -> Result<Vec<i64>, KafkaError> {
        blocking(&self.producer, |p| p.begin_transaction()).await?;
        let mut deliveries = Vec::with_capacity(records.len());
        for (topic, key, payload, trace) in &records {
            let mut record = FutureRecord::to(topic)
                .partition(self.partition)
                .key(key)
                .payload(payload);
            if let Some(t) = trace {
                record = record.headers(OwnedHeaders::new().insert(Header {
                    key: trace::HEADER,
                    value: Some(t.as_str()),
                }));
            }
            match self.producer.send_result(record) {
                Ok(d) => deliveries.push(d),
                Err((e, _)) => return Err(self.abort(e).await),
            }
        }
        let mut offsets = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            match tokio::time::timeout(self.timeout, d).await {
                Ok(Ok(Ok(delivery))) => offsets.push(delivery.offset),
                Ok(Ok(Err((e, _)))) => return Err(self.abort(e).await),
                Ok(Err(_)) => return Err(self.abort(KafkaError::Canceled).await),
                Err(_) => return Err(self.abort(KafkaError::Canceled).await),
            }
        }
        let timeout = self.timeout;
        blocking(&self.producer, move |p| p.commit_transaction(timeout)).await?;
        Ok(offsets)
    }

    /// Aborts the open transaction (best effort: the partition counts as lost anyway).
    async fn abort(&self, e: KafkaError) -> KafkaError {
        let timeout = self.timeout;
        let _ = blocking(&self.producer, move |p| p.abort_transaction(timeout)).await;
        e
    }
}

enum Answer {
    Appended(oneshot::Sender<LogResult<Vec<Appended>>>, Vec<Appended>),
    Saved(oneshot::Sender<LogResult<()>>),
}

/// Takes appends and snapshots in batches: checks versions, writes the events, confirms them,
/// then counts them and answers. A batch's confirm travels in the next batch's transaction,
/// ahead of that batch's events; when no job waits, it goes in a transaction of its own. So a
/// busy partition commits one transaction per batch, and a write is answered only once its
/// confirm is committed, as before.
struct Writer {
    tx: Transaction,
    epoch: i64,
    state: Arc<RwLock<PartitionState>>,
    head: watch::Sender<u64>,
    moved: Arc<AtomicBool>,
    topic: String,
    snapshots_topic: String,
    max_batch: usize,
    metrics: Option<std::sync::Arc<telemetry::Metrics>>,
}

/// A batch whose records are committed, waiting for its confirm: its jobs (each with the index
/// of its first record), the offsets of its records, the last offset of its events, and the
/// versions it leaves its streams at (which the next batch's version checks start from).
struct Written {
    accepted: Vec<(usize, Job)>,
    offsets: Vec<i64>,
    through: Option<i64>,
    versions: std::collections::HashMap<StreamId, u64>,
    started: std::time::Instant,
    size: usize,
}

/// A batch's jobs that passed their version checks, and the records to write for them (each
/// marked whether it is an event: a confirm covers the events topic's offsets only).
struct Prepared {
    accepted: Vec<(usize, Job)>,
    records: Vec<Outgoing>,
    events: Vec<bool>,
    versions: std::collections::HashMap<StreamId, u64>,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Job>) {
        let mut written: Option<Written> = None;
        loop {
            let mut jobs = Vec::new();
            if written.is_none() {
                match rx.recv().await {
                    Some(job) => jobs.push(job),
                    None => return,
                }
            }
            while jobs.len() < self.max_batch {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            if self.moved.load(Ordering::Acquire) {
                for job in jobs {
                    reply_moved(job, "the partition has moved to another owner");
                }
                continue;
            }
            let (started, size) = (std::time::Instant::now(), jobs.len());
            let batch = self.prepare(jobs, written.as_ref());
            // The confirm of the batch before, ahead of this batch's records.
            let confirm = written.as_ref().and_then(|w| w.through).map(|through| {
                let record = Record::Confirm {
                    epoch: self.epoch,
                    through,
                };
                (self.topic.clone(), String::new(), record.encode(), None)
            });
            let carried = usize::from(confirm.is_some());
            let records: Vec<Outgoing> = confirm.into_iter().chain(batch.records).collect();
            if records.is_empty() {
                // Nothing to write: no job passed its checks, and nothing waits for a confirm.
                if let Some(w) = written.take() {
                    self.answer(w);
                }
                continue;
            }
            match self.tx.run(records).await {
                Ok(offsets) => {
                    if let Some(w) = written.take() {
                        self.answer(w);
                    }
                    let offsets = offsets[carried..].to_vec();
                    let through = offsets
                        .iter()
                        .zip(&batch.events)
                        .filter(|(_, event)| **event)
                        .map(|(offset, _)| *offset)
                        .max();
                    if !batch.accepted.is_empty() {
                        written = Some(Written {
                            accepted: batch.accepted,
                            offsets,
                            through,
                            versions: batch.versions,
                            started,
                            size,
                        });
                    }
                }
                Err(e) => {
                    // The confirm carried may have been committed all the same; this batch's
                    // events, unconfirmed, never count.
                    if let Some(w) = written.take() {
                        self.lose(w.accepted, e.clone(), true);
                    }
                    self.lose(batch.accepted, e, false);
                }
            }
        }
    }

    /// Checks each job's versions (as the state and the batch still unconfirmed leave them; a
    /// conflicting job fails alone) and makes the records of those that pass.
    fn prepare(&self, jobs: Vec<Job>, unconfirmed: Option<&Written>) -> Prepared {
        let mut versions: std::collections::HashMap<StreamId, u64> = Default::default();
        let mut accepted = Vec::new();
        let mut records = Vec::new();
        let mut events = Vec::new();
        let state = self.state.read().expect("partition state");
        let before = |stream: &StreamId| {
            unconfirmed
                .and_then(|w| w.versions.get(stream).copied())
                .unwrap_or_else(|| state.version(stream))
        };
        for job in jobs {
            match job {
                Job::Append {
                    appends,
                    trace,
                    reply,
                } => {
                    let conflict = appends.iter().find_map(|a| {
                        let actual = *versions
                            .entry(a.stream.clone())
                            .or_insert_with(|| before(&a.stream));
                        (actual != a.expected_version).then(|| LogError::Conflict {
                            stream: a.stream.clone(),
                            expected: a.expected_version,
                            actual,
                        })
                    });
                    if let Some(e) = conflict {
                        let _ = reply.send(Err(e));
                        continue;
                    }
                    let first = records.len();
                    for a in &appends {
                        for (k, e) in a.events.iter().enumerate() {
                            let version = a.expected_version + 1 + k as u64;
                            let record =
                                Record::event(self.epoch, &a.stream, version, e, &a.owners);
                            records.push((
                                self.topic.clone(),
                                record::key(&a.stream),
                                record.encode(),
                                trace.clone(),
                            ));
                            events.push(true);
                        }
                        versions
                            .insert(a.stream.clone(), a.expected_version + a.events.len() as u64);
                    }
                    accepted.push((
                        first,
                        Job::Append {
                            appends,
                            trace,
                            reply,
                        },
                    ));
                }
                Job::Snapshot {
                    stream,
                    snapshot,
                    reply,
                } => {
                    let record = SnapshotRecord {
                        instance: stream.instance.clone(),
                        kind: stream.kind.clone(),
                        id: stream.id.clone(),
                        version: snapshot.version,
                        position: state.position_of(&stream, snapshot.version).unwrap_or(0),
                        state: snapshot.state.clone(),
                    };
                    let first = records.len();
                    records.push((
                        self.snapshots_topic.clone(),
                        record::key(&stream),
                        record.encode(),
                        None,
                    ));
                    events.push(false);
                    accepted.push((
                        first,
                        Job::Snapshot {
                            stream,
                            snapshot,
                            reply,
                        },
                    ));
                }
            }
        }
        // The next batch is checked once the unconfirmed one is counted: it needs only these.
        Prepared {
            accepted,
            records,
            events,
            versions,
        }
    }

    /// A batch's confirm is committed: its events count from here on, and its writes are
    /// answered.
    fn answer(&self, w: Written) {
        let Written {
            accepted,
            offsets,
            started,
            size,
            ..
        } = w;
        // The head moves before any answer: an acknowledged write is at or below the head.
        let mut answers = Vec::with_capacity(accepted.len());
        let mut state = self.state.write().expect("partition state");
        for (first, job) in accepted {
            match job {
                Job::Append { appends, reply, .. } => {
                    let mut at = first;
                    let mut done = Vec::with_capacity(appends.len());
                    for a in appends {
                        let mut appended = Appended {
                            version: a.expected_version,
                            position: 0,
                        };
                        for (k, event) in a.events.into_iter().enumerate() {
                            let position = offsets[at] as u64 + 1;
                            at += 1;
                            appended = Appended {
                                version: a.expected_version + 1 + k as u64,
                                position,
                            };
                            state.add(Counted {
                                event: StoredEvent {
                                    position,
                                    stream: a.stream.clone(),
                                    version: appended.version,
                                    event,
                                },
                                owners: a.owners.clone(),
                            });
                        }
                        done.push(appended);
                    }
                    answers.push(Answer::Appended(reply, done));
                }
                Job::Snapshot {
                    stream,
                    snapshot,
                    reply,
                } => {
                    state.keep_snapshot(stream, snapshot);
                    answers.push(Answer::Saved(reply));
                }
            }
        }
        self.head.send_replace(state.head());
        drop(state);
        for answer in answers {
            match answer {
                Answer::Appended(reply, done) => {
                    let _ = reply.send(Ok(done));
                }
                Answer::Saved(reply) => {
                    let _ = reply.send(Ok(()));
                }
            }
        }
        if let Some(m) = &self.metrics {
            m.append(started.elapsed(), size);
        }
    }

    /// A transaction failed: the partition is no longer ours; nothing of it is acknowledged.
    /// When the failed step was the confirm, the batch may count all the same (the commit may
    /// have reached the broker): its writes are answered as of unknown outcome, not as
    /// moved, so that no one sends them again as if they had never been made.
    fn lose(&self, accepted: Vec<(usize, Job)>, e: KafkaError, maybe_confirmed: bool) {
        tracing::warn!(epoch = self.epoch, error = %e, "a transaction failed: the partition has moved");
        self.moved.store(true, Ordering::Release);
        for (_, job) in accepted {
            if maybe_confirmed {
                reply_error(
                    job,
                    LogError::Unavailable(format!(
                        "the partition was lost while its writes were confirmed ({e}): they may or may not have been made"
                    )),
                );
            } else {
                reply_moved(job, &format!("the transaction failed ({e})"));
            }
        }
    }
}

fn reply_moved(job: Job, why: &str) {
    reply_error(job, LogError::Moved(why.to_string()));
}

fn reply_error(job: Job, e: LogError) {
    match job {
        Job::Append { reply, .. } => {
            let _ = reply.send(Err(e));
        }
        Job::Snapshot { reply, .. } => {
            let _ = reply.send(Err(e));
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
