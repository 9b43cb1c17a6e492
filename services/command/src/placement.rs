//! Where an aggregate's actor runs. On one node (the embedded default) every actor runs here.
//! In a cluster an aggregate lives in partition `partition_for(id)` of the log, and only that
//! partition's owner runs its actor: the bus of any other node (a gateway, or a command node
//! running a saga) forwards the request to the owner. What travels is a [`Request`]; the owner
//! answers it with [`CommandBus::serve`](crate::CommandBus::serve).

use std::future::Future;
use std::pin::Pin;

use authz::Caller;
use domain::{AggregateKey, Code, Error};
use eventlog::position::partition_for;
use eventlog::{Append, Appended};

use crate::actor::Written;

/// A request for the owner of one partition, as it travels between nodes.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum Request {
    /// A command for an aggregate's actor (the command with named fields).
    Execute {
        key: WireKey,
        caller: Caller,
        command: serde_json::Value,
        if_match: Option<u64>,
        /// Unix milliseconds after which the owner must not run it (a saga's act: see
        /// [`crate::CommandBus::execute_before`]). Absent in messages of nodes that never set it.
        #[serde(default)]
        not_after: Option<i64>,
    },
    /// An aggregate's current state and version (for sagas).
    Peek { key: WireKey },
    /// New streams of this partition, appended in one durable step (instance creation); not
    /// after `not_after` (unix milliseconds), as for `Execute`.
    Append {
        appends: Vec<Append>,
        #[serde(default)]
        not_after: Option<i64>,
    },
    /// The streams an owner owns, in the partitions the answering node serves (cascades).
    OwnedStreams {
        instance: String,
        owner: String,
        kind: String,
    },
    /// The last durable position of each partition the answering node serves.
    Heads,
}

/// The answer to a [`Request`], in the same order of variants.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum Reply {
    Written(Written),
    Peeked {
        state: serde_json::Value,
        version: u64,
        position: u64,
    },
    Appended(Vec<Appended>),
    Streams(Vec<String>),
    Heads(Vec<u64>),
}

/// An aggregate key as it travels (the kind by name).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WireKey {
    pub instance: String,
    pub kind: String,
    pub id: String,
}

impl From<&AggregateKey> for WireKey {
    fn from(k: &AggregateKey) -> WireKey {
        WireKey {
            instance: k.instance.clone(),
            kind: k.kind.to_string(),
            id: k.id.clone(),
        }
    }
}

impl Request {
    /// The partition whose owner must answer (`OwnedStreams` is sent to each partition).
    pub fn partition(&self, partitions: u32) -> Option<i32> {
        match self {
            Request::Execute { key, .. } | Request::Peek { key } => {
                Some(partition_for(&key.id, partitions))
            }
            Request::Append { appends, .. } => appends
                .first()
                .map(|a| partition_for(&a.stream.id, partitions)),
            Request::OwnedStreams { .. } | Request::Heads => None,
        }
    }
}

pub type Forwarded<'a> = Pin<Box<dyn Future<Output = Result<Reply, Error>> + 'a>>;

/// Which partitions this node serves, and how it reaches the owners of the others.
pub trait Placement: Send + Sync + 'static {
    /// The log's partitions (1 for the embedded log).
    fn partitions(&self) -> u32;

    /// This node's tenure of a partition while it serves it (the owner epoch: a new tenure
    /// has a new number, so actors of an earlier tenure are not trusted), `None` when another
    /// node serves it.
    fn tenure(&self, partition: i32) -> Option<u64>;

    /// Sends a request to the partition's owner. Retries, within a bound, only while the
    /// request is known not to have been carried out (no owner known yet, connection refused,
    /// or the node answered that the partition moved); then fails with
    /// [`Code::NoPartitionOwner`]. A write that reached a node which then went silent or
    /// dropped the connection is not sent again: [`Code::StorageUnavailable`] (its outcome is
    /// open); a read is.
    fn forward(&self, partition: i32, request: Request) -> Forwarded<'_>;

    /// The partition of an aggregate.
    fn partition_of(&self, key: &AggregateKey) -> i32 {
        partition_for(&key.id, self.partitions())
    }
}

/// One node serves everything (the embedded default).
pub struct Alone;

impl Placement for Alone {
    fn partitions(&self) -> u32 {
        1
    }

    fn tenure(&self, _: i32) -> Option<u64> {
        Some(0)
    }

    fn forward(&self, partition: i32, _: Request) -> Forwarded<'_> {
        Box::pin(async move {
            Err(Error::internal(format!(
                "partition {partition} has no other owner on a single node"
            )))
        })
    }
}

/// The error a node answers for a partition it does not serve (the sender retries elsewhere).
pub fn moved(partition: i32) -> Error {
    Error::new(
        Code::PartitionMoved,
        format!("partition {partition} is not served by this node: retry on its owner"),
    )
    .with("partition", partition.to_string())
}
