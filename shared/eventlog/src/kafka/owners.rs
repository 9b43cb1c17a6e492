//! Who serves each partition, for the nodes that forward to owners (gateways, and command
//! nodes running sagas). A node that has opened a partition announces `partition -> (epoch,
//! address)` on the compacted owners topic; every node follows the topic and keeps, per
//! partition, the announcement of the highest epoch. Epochs are claim offsets of the events
//! topic, so a late announcement of an earlier owner never replaces a newer one. An entry can
//! be stale (its node has let go or died): that node answers "moved" or refuses the
//! connection, and the sender waits for the next announcement.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio::sync::watch;

use crate::types::{LogError, LogResult};

pub const OWNERS: &str = "portcullis.owners";

/// The announced owner of a partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub epoch: i64,
    /// Where the node takes forwarded requests (`host:port`).
    pub address: String,
}

fn encode(epoch: i64, address: &str) -> String {
    format!("{epoch} {address}")
}

fn decode(key: &[u8], value: &[u8]) -> Option<(i32, Owner)> {
    let partition = std::str::from_utf8(key).ok()?.parse().ok()?;
    let (epoch, address) = std::str::from_utf8(value).ok()?.split_once(' ')?;
    Some((
        partition,
        Owner {
            epoch: epoch.parse().ok()?,
            address: address.to_string(),
        },
    ))
}

/// Announces the partitions this node has opened.
pub struct Announcer {
    producer: FutureProducer,
    address: String,
}

impl Announcer {
    pub fn new(brokers: &str, address: &str) -> LogResult<Announcer> {
        let producer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("enable.idempotence", "true")
            .create()
            .map_err(|e| LogError::Unavailable(format!("kafka: the owners producer: {e}")))?;
        Ok(Announcer {
            producer,
            address: address.to_string(),
        })
    }

    /// Says that this node serves `partition` under `epoch`, durably.
    pub async fn announce(&self, partition: i32, epoch: i64) -> LogResult<()> {
        let key = partition.to_string();
        let value = encode(epoch, &self.address);
        self.producer
            .send(
                FutureRecord::to(OWNERS).key(&key).payload(&value),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| {
                LogError::Unavailable(format!("announcing partition {partition}: {e}"))
            })?;
        Ok(())
    }
}

/// The owners as announced so far.
pub struct OwnerMap {
    owners: Arc<RwLock<HashMap<i32, Owner>>>,
    changed: watch::Receiver<u64>,
    stop: Arc<AtomicBool>,
    follower: Mutex<Option<JoinHandle<()>>>,
}

impl OwnerMap {
    /// Follows the owners topic from its start, on a thread of its own.
    pub fn follow(brokers: &str) -> LogResult<OwnerMap> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", "portcullis.owners")
            .set("enable.auto.commit", "false")
            // A new owner is found as soon as it is announced.
            .set("fetch.wait.max.ms", "50")
            .create()
            .map_err(|e| LogError::Unavailable(format!("kafka: the owners consumer: {e}")))?;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(OWNERS, 0, Offset::Beginning)
            .map_err(|e| LogError::Unavailable(format!("kafka: the owners topic: {e}")))?;
        consumer
            .assign(&tpl)
            .map_err(|e| LogError::Unavailable(format!("kafka: the owners topic: {e}")))?;
        let owners: Arc<RwLock<HashMap<i32, Owner>>> = Arc::default();
        let (tx, changed) = watch::channel(0u64);
        let stop = Arc::new(AtomicBool::new(false));
        let (map, stopping) = (owners.clone(), stop.clone());
        let follower = std::thread::Builder::new()
            .name("kafka-owners".into())
            .spawn(move || {
                while !stopping.load(Ordering::Acquire) {
                    match consumer.poll(Duration::from_millis(100)) {
                        Some(Ok(m)) => {
                            let Some((p, owner)) =
                                decode(m.key().unwrap_or_default(), m.payload().unwrap_or_default())
                            else {
                                tracing::warn!(offset = m.offset(), "an unreadable owner announcement");
                                continue;
                            };
                            let mut map = map.write().expect("owners");
                            if map.get(&p).is_none_or(|o| o.epoch <= owner.epoch) {
                                tracing::debug!(partition = p, epoch = owner.epoch, address = %owner.address, "partition owner");
                                map.insert(p, owner);
                                tx.send_modify(|n| *n += 1);
                            }
                        }
                        Some(Err(e)) => tracing::warn!(error = %e, "the owners topic"),
                        None => {}
                    }
                }
            })
            .map_err(|e| LogError::Unavailable(format!("cannot start a thread: {e}")))?;
        Ok(OwnerMap {
            owners,
            changed,
            stop,
            follower: Mutex::new(Some(follower)),
        })
    }

    pub fn owner(&self, partition: i32) -> Option<Owner> {
        self.owners.read().expect("owners").get(&partition).cloned()
    }

    /// Moves on every announcement that changed the map.
    pub fn changed(&self) -> watch::Receiver<u64> {
        self.changed.clone()
    }
}

impl Drop for OwnerMap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(f) = self.follower.lock().expect("follower").take() {
            let _ = f.join();
        }
    }
}
