//! The cluster's topics, created idempotently (by `portcullis migrate`): the events topic kept
//! forever, the snapshots topic compacted with the same partitions, and the compacted owners
//! topic (one partition) on which command nodes announce the partitions they serve.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use crate::types::{LogError, LogResult};

pub const EVENTS: &str = "portcullis.events";
pub const SNAPSHOTS: &str = "portcullis.snapshots";

/// What `create` did to each topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    Created(String),
    AlreadyThere(String),
}

/// Creates the events and snapshots topics with `partitions` partitions, and the owners topic,
/// with `replication` replicas each; topics already there are left as they are.
pub async fn create(brokers: &str, partitions: i32, replication: i32) -> LogResult<Vec<Created>> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(|e| LogError::Unavailable(format!("kafka admin client: {e}")))?;
    let topics = [
        NewTopic::new(EVENTS, partitions, TopicReplication::Fixed(replication))
            .set("retention.ms", "-1")
            .set("retention.bytes", "-1"),
        NewTopic::new(SNAPSHOTS, partitions, TopicReplication::Fixed(replication))
            .set("cleanup.policy", "compact"),
        NewTopic::new(
            super::owners::OWNERS,
            1,
            TopicReplication::Fixed(replication),
        )
        .set("cleanup.policy", "compact"),
    ];
    let results = admin
        .create_topics(
            topics.iter(),
            &AdminOptions::new().request_timeout(Some(std::time::Duration::from_secs(15))),
        )
        .await
        .map_err(|e| LogError::Unavailable(format!("creating the topics: {e}")))?;
    results
        .into_iter()
        .map(|r| match r {
            Ok(name) => Ok(Created::Created(name)),
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => Ok(Created::AlreadyThere(name)),
            Err((name, code)) => Err(LogError::Unavailable(format!(
                "creating topic {name}: {code}"
            ))),
        })
        .collect()
}

/// The partition count of the events topic (every node of a cluster reads it, so that all
/// compute the same partition of an aggregate).
pub fn partitions(brokers: &str) -> LogResult<u32> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(|e| LogError::Unavailable(format!("kafka client: {e}")))?;
    let metadata = consumer
        .fetch_metadata(Some(EVENTS), std::time::Duration::from_secs(15))
        .map_err(|e| LogError::Unavailable(format!("reading the topic {EVENTS}: {e}")))?;
    match metadata.topics().first() {
        Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
            Ok(t.partitions().len() as u32)
        }
        _ => Err(LogError::Unavailable(format!(
            "the topic {EVENTS} does not exist: run `portcullis migrate` first"
        ))),
    }
}
