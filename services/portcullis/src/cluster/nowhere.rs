//! The event log of a node that serves no partition (a gateway): its bus forwards every
//! request to the partitions' owners, so nothing reaches this log; if something did, it would
//! be told the partition lives elsewhere.

use eventlog::{
    Append, Appended, BoxFuture, EventLog, LogError, LogResult, Snapshot, StoredEvent, StreamId,
};
use tokio::sync::watch;

pub struct Nowhere;

fn elsewhere<T>() -> LogResult<T> {
    Err(LogError::Moved("this node serves no partition".into()))
}

impl EventLog for Nowhere {
    fn append_atomic(&self, _: Vec<Append>) -> BoxFuture<'_, LogResult<Vec<Appended>>> {
        Box::pin(async { elsewhere() })
    }

    fn read_stream<'a>(
        &'a self,
        _: &'a StreamId,
        _: u64,
    ) -> BoxFuture<'a, LogResult<Vec<StoredEvent>>> {
        Box::pin(async { elsewhere() })
    }

    fn read_all(&self, _: u64, _: usize) -> BoxFuture<'_, LogResult<Vec<StoredEvent>>> {
        Box::pin(async { elsewhere() })
    }

    fn owned_streams<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: &'a str,
    ) -> BoxFuture<'a, LogResult<Vec<String>>> {
        Box::pin(async { elsewhere() })
    }

    fn head(&self) -> watch::Receiver<u64> {
        watch::channel(0).1
    }

    fn save_snapshot<'a>(&'a self, _: &'a StreamId, _: Snapshot) -> BoxFuture<'a, LogResult<()>> {
        Box::pin(async { elsewhere() })
    }

    fn load_snapshot<'a>(&'a self, _: &'a StreamId) -> BoxFuture<'a, LogResult<Option<Snapshot>>> {
        Box::pin(async { elsewhere() })
    }
}
