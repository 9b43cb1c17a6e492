//! A command node's share of the cluster's log. Command nodes form one consumer group on the
//! events topic; the group's assignment says which partitions each owns. On assignment a node
//! opens the partition ([`KafkaLog::open`]: fences the earlier owner, reads it back, claims
//! it); on revocation it stops taking writes for it before it lets go. A stream lives in
//! partition `partition_for(aggregate id)`; a node asked about a partition it does not own
//! answers [`LogError::Moved`], and the caller retries on the owner.
//!
//! Positions are tagged with their partition ([`crate::position`]); the embedded log's
//! positions are those of partition 0.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientConfig, ClientContext};
use tokio::sync::watch;

use super::owners::Announcer;
use super::{KafkaLog, KafkaLogOptions};
use crate::position::{partition_for, tag};
use crate::types::*;

type Owned = Arc<RwLock<HashMap<i32, Arc<KafkaLog>>>>;

/// Opens and releases partitions as the group assigns and revokes them.
struct Ownership {
    owned: Owned,
    runtime: tokio::runtime::Handle,
    template: KafkaLogOptions,
    announcer: Option<Announcer>,
}

impl ClientContext for Ownership {}

impl ConsumerContext for Ownership {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(partitions) = rebalance {
            let mut owned = self.owned.write().expect("owned partitions");
            for p in partitions.elements() {
                if let Some(log) = owned.remove(&p.partition()) {
                    log.release();
                    tracing::info!(partition = p.partition(), "released the partition");
                }
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(partitions) = rebalance {
            for p in partitions.elements() {
                let options = KafkaLogOptions {
                    partition: p.partition(),
                    ..self.template.clone()
                };
                match self.runtime.block_on(KafkaLog::open(options)) {
                    Ok(log) => {
                        // Served first, then announced: a request sent on the announcement
                        // finds the partition open.
                        let epoch = log.epoch();
                        self.owned
                            .write()
                            .expect("owned partitions")
                            .insert(p.partition(), Arc::new(log));
                        if let Some(a) = &self.announcer {
                            if let Err(e) = self.runtime.block_on(a.announce(p.partition(), epoch))
                            {
                                tracing::warn!(partition = p.partition(), error = %e, "the partition is served but could not be announced: other nodes cannot forward to it until the next rebalance");
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(partition = p.partition(), error = %e, "cannot take the partition")
                    }
                }
            }
            // The group is for ownership only: the node reads its partitions itself.
            let _ = consumer.pause(partitions);
        }
    }
}

/// How a command node joins the cluster.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// The partition logs' settings (brokers, topics, node name, timeouts); the partition is
    /// set per assignment.
    pub log: KafkaLogOptions,
    /// Partitions of the events topic.
    pub partitions: u32,
    /// The command nodes' consumer group.
    pub group: String,
    /// How long the group waits for a silent node before it gives its partitions away.
    pub session_timeout: Duration,
    /// Where this node takes forwarded requests (`host:port`); when set, every partition it
    /// opens is announced on the owners topic with it.
    pub announce: Option<String>,
}

impl ClusterOptions {
    pub fn new(log: KafkaLogOptions, partitions: u32) -> ClusterOptions {
        ClusterOptions {
            log,
            partitions,
            group: "portcullis.command".into(),
            session_timeout: Duration::from_secs(10),
            announce: None,
        }
    }
}

pub struct ClusterLog {
    owned: Owned,
    partitions: u32,
    stop: Arc<AtomicBool>,
    poller: Mutex<Option<JoinHandle<()>>>,
    head: watch::Receiver<u64>,
}

impl ClusterLog {
    /// Joins the group; partitions arrive as the group assigns them. Call inside a tokio
    /// multi-threaded runtime.
    pub fn join(options: ClusterOptions) -> LogResult<ClusterLog> {
        let owned: Owned = Arc::default();
        let announcer = match &options.announce {
            Some(address) => Some(Announcer::new(&options.log.brokers, address)?),
            None => None,
        };
        let context = Ownership {
            owned: owned.clone(),
            runtime: tokio::runtime::Handle::current(),
            template: options.log.clone(),
            announcer,
        };
        let consumer: BaseConsumer<Ownership> = ClientConfig::new()
            .set("bootstrap.servers", &options.log.brokers)
            .set("group.id", &options.group)
            .set("client.id", &options.log.node)
            .set("enable.auto.commit", "false")
            .set(
                "session.timeout.ms",
                options.session_timeout.as_millis().to_string(),
            )
            .set("heartbeat.interval.ms", "1000")
            .create_with_context(context)
            .map_err(|e| LogError::Unavailable(format!("kafka: joining the group: {e}")))?;
        consumer
            .subscribe(&[options.log.topic.as_str()])
            .map_err(|e| LogError::Unavailable(format!("kafka: joining the group: {e}")))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let poller = std::thread::Builder::new()
            .name(format!("kafka-group-{}", options.log.node))
            .spawn(move || {
                while !stopping.load(Ordering::Acquire) {
                    if let Some(Err(e)) = consumer.poll(Duration::from_millis(100)) {
                        tracing::warn!(error = %e, "the command group's consumer");
                    }
                }
                // Leaving the group revokes (and releases) every partition first.
                consumer.unsubscribe();
                let _ = consumer.poll(Duration::from_millis(100));
            })
            .map_err(|e| LogError::Unavailable(format!("cannot start a thread: {e}")))?;
        let (_, head) = watch::channel(0);
        Ok(ClusterLog {
            owned,
            partitions: options.partitions,
            stop,
            poller: Mutex::new(Some(poller)),
            head,
        })
    }

    /// The partitions this node owns now.
    pub fn owned_partitions(&self) -> Vec<i32> {
        let mut p: Vec<i32> = self
            .owned
            .read()
            .expect("owned partitions")
            .keys()
            .copied()
            .collect();
        p.sort();
        p
    }

    /// The epoch under which this node serves `partition`, if it does.
    pub fn tenure(&self, partition: i32) -> Option<i64> {
        self.owned
            .read()
            .expect("owned partitions")
            .get(&partition)
            .filter(|log| !log.has_moved())
            .map(|log| log.epoch())
    }

    /// The sum of the heads (within their partitions) of the partitions this node serves: a
    /// number that grows with every write here (for metrics).
    pub fn served_heads(&self) -> u64 {
        self.owned
            .read()
            .expect("owned partitions")
            .values()
            .map(|log| *log.head().borrow())
            .sum()
    }

    /// Leaves the group: every partition is released, then handed to the others.
    pub fn leave(&self) {
        self.stop.store(true, Ordering::Release);
        if let Some(poller) = self.poller.lock().expect("poller").take() {
            let _ = poller.join();
        }
    }

    /// The partition log of a stream, if this node owns it.
    fn log_of(&self, stream: &StreamId) -> LogResult<(i32, Arc<KafkaLog>)> {
        let p = partition_for(&stream.id, self.partitions);
        match self.owned.read().expect("owned partitions").get(&p) {
            Some(log) if !log.has_moved() => Ok((p, log.clone())),
            _ => Err(LogError::Moved(format!(
                "partition {p} is not served by this node"
            ))),
        }
    }
}

impl Drop for ClusterLog {
    fn drop(&mut self) {
        self.leave();
    }
}

fn tagged(p: i32, mut events: Vec<StoredEvent>) -> Vec<StoredEvent> {
    for e in &mut events {
        e.position = tag(p, e.position);
    }
    events
}

impl EventLog for ClusterLog {
    /// All streams of one atomic append must live in one partition.
    fn append_atomic(&self, appends: Vec<Append>) -> BoxFuture<'_, LogResult<Vec<Appended>>> {
        Box::pin(async move {
            let Some(first) = appends.first() else {
                return Ok(Vec::new());
            };
            let (p, log) = self.log_of(&first.stream)?;
            if let Some(other) = appends
                .iter()
                .find(|a| partition_for(&a.stream.id, self.partitions) != p)
            {
                return Err(LogError::Unavailable(format!(
                    "an atomic append across partitions ({:?} and {:?}) is not possible in a cluster",
                    first.stream, other.stream
                )));
            }
            let mut done = log.append_atomic(appends).await?;
            for a in &mut done {
                a.position = tag(p, a.position);
            }
            Ok(done)
        })
    }

    fn read_stream<'a>(
        &'a self,
        stream: &'a StreamId,
        after_version: u64,
    ) -> BoxFuture<'a, LogResult<Vec<StoredEvent>>> {
        Box::pin(async move {
            let (p, log) = self.log_of(stream)?;
            Ok(tagged(p, log.read_stream(stream, after_version).await?))
        })
    }

    /// The whole log is read by projectors, from every partition; a command node has only
    /// its own.
    fn read_all(&self, _: u64, _: usize) -> BoxFuture<'_, LogResult<Vec<StoredEvent>>> {
        Box::pin(async {
            Err(LogError::Unavailable(
                "a command node reads only its own partitions".into(),
            ))
        })
    }

    /// The streams in the partitions this node serves (the bus asks every partition's owner).
    fn owned_streams<'a>(
        &'a self,
        instance: &'a str,
        owner: &'a str,
        kind: &'a str,
    ) -> BoxFuture<'a, LogResult<Vec<String>>> {
        Box::pin(async move {
            let logs: Vec<Arc<KafkaLog>> = self
                .owned
                .read()
                .expect("owned partitions")
                .values()
                .cloned()
                .collect();
            let mut ids = Vec::new();
            for log in logs {
                ids.extend(log.owned_streams(instance, owner, kind).await?);
            }
            Ok(ids)
        })
    }

    /// Positions are per partition: there is no one head of a node's partitions.
    fn head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }

    fn heads(&self) -> Vec<u64> {
        self.owned
            .read()
            .expect("owned partitions")
            .iter()
            .map(|(p, log)| tag(*p, *log.head().borrow()))
            .collect()
    }

    fn save_snapshot<'a>(
        &'a self,
        stream: &'a StreamId,
        snapshot: Snapshot,
    ) -> BoxFuture<'a, LogResult<()>> {
        Box::pin(async move { self.log_of(stream)?.1.save_snapshot(stream, snapshot).await })
    }

    fn load_snapshot<'a>(
        &'a self,
        stream: &'a StreamId,
    ) -> BoxFuture<'a, LogResult<Option<Snapshot>>> {
        Box::pin(async move { self.log_of(stream)?.1.load_snapshot(stream).await })
    }
}
