use std::future::Future;
use std::pin::Pin;

use tokio::sync::watch;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One aggregate's stream.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct StreamId {
    /// The instance (tenant); empty for system-wide streams.
    pub instance: String,
    /// The aggregate type (`user`, `org`, ...).
    pub kind: String,
    pub id: String,
}

impl StreamId {
    pub fn new(instance: &str, kind: &str, id: &str) -> StreamId {
        StreamId {
            instance: instance.into(),
            kind: kind.into(),
            id: id.into(),
        }
    }
}

/// An event to append.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewEvent {
    pub event_type: String,
    pub schema_version: u16,
    pub payload: Vec<u8>,
    /// The user (or internal flow) that caused it.
    pub creator: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// An event as stored, with its place in its stream and in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub position: u64,
    pub stream: StreamId,
    /// 1 for a stream's first event.
    pub version: u64,
    /// The event as it was appended.
    pub event: NewEvent,
}

/// Append `events` to `stream` if the stream is at `expected_version` (0: new stream).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Append {
    pub stream: StreamId,
    pub expected_version: u64,
    pub events: Vec<NewEvent>,
    /// The resources that own the stream (a user's org; a user grant's user and project),
    /// recorded with the append; [`EventLog::owned_streams`] finds the stream by them, for
    /// cascades. Streams never change owners, so new streams state them.
    pub owners: Vec<String>,
}

/// Where an append left its stream and the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Appended {
    pub version: u64,
    /// The log position of the last event appended.
    pub position: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub version: u64,
    pub state: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error("version conflict on {stream:?}: expected {expected}, found {actual}")]
    Conflict {
        stream: StreamId,
        expected: u64,
        actual: u64,
    },
    #[error("event log unavailable: {0}")]
    Unavailable(String),
    /// This node no longer owns the stream's partition: another node serves it now.
    #[error("moved: {0}")]
    Moved(String),
}

pub type LogResult<T> = Result<T, LogError>;

/// The durable, ordered log of all events. An append is acknowledged only once durable.
pub trait EventLog: Send + Sync + 'static {
    /// Appends to one stream with an expected-version check.
    fn append(&self, append: Append) -> BoxFuture<'_, LogResult<Appended>> {
        Box::pin(async move {
            let mut out = self.append_atomic(vec![append]).await?;
            Ok(out.pop().expect("one result per append"))
        })
    }

    /// Appends to several streams in one durable step: all or nothing.
    fn append_atomic(&self, appends: Vec<Append>) -> BoxFuture<'_, LogResult<Vec<Appended>>>;

    /// The events of a stream after `after_version`, in order.
    fn read_stream<'a>(
        &'a self,
        stream: &'a StreamId,
        after_version: u64,
    ) -> BoxFuture<'a, LogResult<Vec<StoredEvent>>>;

    /// Up to `limit` events of the whole log after `after_position`, in log order.
    fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> BoxFuture<'_, LogResult<Vec<StoredEvent>>>;

    /// The ids of the streams of `kind` in `instance` that an append stated `owner` for, in
    /// no particular order (removed aggregates included: the caller asks each its state).
    fn owned_streams<'a>(
        &'a self,
        instance: &'a str,
        owner: &'a str,
        kind: &'a str,
    ) -> BoxFuture<'a, LogResult<Vec<String>>>;

    /// The position of the last durable event, updated as appends commit.
    fn head(&self) -> watch::Receiver<u64>;

    /// The last durable position of each partition this log serves (tagged with its
    /// partition where there are several): what a read model has to reach to have seen every
    /// acknowledged write.
    fn heads(&self) -> Vec<u64> {
        vec![*self.head().borrow()]
    }

    fn save_snapshot<'a>(
        &'a self,
        stream: &'a StreamId,
        snapshot: Snapshot,
    ) -> BoxFuture<'a, LogResult<()>>;

    fn load_snapshot<'a>(
        &'a self,
        stream: &'a StreamId,
    ) -> BoxFuture<'a, LogResult<Option<Snapshot>>>;
}
