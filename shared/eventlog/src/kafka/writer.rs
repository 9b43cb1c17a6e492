//! A partition's writer: the transactions of its owner, and the batches of appends and
//! snapshots it writes in them, each write answered once its confirm is committed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use tokio::sync::{mpsc, oneshot, watch};

use super::state::PartitionState;
use super::{blocking, record, trace, Counted, Job, KafkaLogOptions, Record, SnapshotRecord};
use crate::types::*;

/// A record to write: topic, key, payload, and the `traceparent` of who caused it.
type Outgoing = (String, String, Vec<u8>, Option<String>);

/// The transactional producer of the partition.
pub(super) struct Transaction {
    producer: FutureProducer,
    partition: i32,
    timeout: Duration,
}

impl Transaction {
    pub(super) fn new(producer: &FutureProducer, options: &KafkaLogOptions) -> Transaction {
        Transaction {
            producer: producer.clone(),
            partition: options.partition,
            timeout: options.timeout,
        }
    }

    /// Writes `records` (topic, key, payload, traceparent) in one transaction; returns their
    /// offsets.
    pub(super) async fn run(&mut self, records: Vec<Outgoing>) -> Result<Vec<i64>, KafkaError> {
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
pub(super) struct Writer {
    pub(super) tx: Transaction,
    pub(super) epoch: i64,
    pub(super) state: Arc<RwLock<PartitionState>>,
    pub(super) head: watch::Sender<u64>,
    pub(super) moved: Arc<AtomicBool>,
    pub(super) topic: String,
    pub(super) snapshots_topic: String,
    pub(super) max_batch: usize,
    pub(super) metrics: Option<std::sync::Arc<telemetry::Metrics>>,
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
    pub(super) async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Job>) {
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
