//! The contract suite on the embedded adapter, on disk; plus what only a file can show. The
//! Kafka adapter's tests are in `eventlog/kafka.rs`, the rules of its readers in
//! `eventlog/reader.rs`.

#[cfg(feature = "kafka")]
#[path = "eventlog/cluster.rs"]
mod cluster;
#[cfg(feature = "kafka")]
#[path = "eventlog/kafka.rs"]
mod kafka;
#[path = "eventlog/position.rs"]
mod position;
#[cfg(feature = "kafka")]
#[path = "eventlog/reader.rs"]
mod reader;

use std::sync::Arc;

use eventlog::{contract, Append, EventLog, NewEvent, SqliteLog, SqliteLogOptions, StreamId};

fn fresh(dir: &tempfile::TempDir, options: SqliteLogOptions) -> Arc<dyn EventLog> {
    Arc::new(SqliteLog::open(&dir.path().join("events.db"), options).unwrap())
}

macro_rules! contract_tests {
    ($($name:ident),*) => {
        mod group_commit {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let dir = tempfile::tempdir().unwrap();
                contract::$name(fresh(&dir, SqliteLogOptions::default())).await;
            })*
        }
        mod one_commit_per_append {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let dir = tempfile::tempdir().unwrap();
                contract::$name(fresh(&dir, SqliteLogOptions { group_commit: false, ..Default::default() })).await;
            })*
        }
    };
}

contract_tests!(
    expected_version_conflicts,
    concurrent_appends_one_winner,
    ordering_across_streams,
    atomic_multi_stream_append,
    subscription_catch_up,
    snapshots,
    owned_streams
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_appends_are_there_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let s = StreamId::new("i", "user", "u");
    {
        let log = SqliteLog::open(&path, SqliteLogOptions::default()).unwrap();
        for v in 0..50u64 {
            let e = NewEvent {
                event_type: "t".into(),
                schema_version: 1,
                payload: vec![v as u8],
                creator: "c".into(),
                created_at: 0,
            };
            log.append(Append {
                stream: s.clone(),
                expected_version: v,
                events: vec![e],
                owners: Vec::new(),
            })
            .await
            .unwrap();
        }
    }
    let log = SqliteLog::open(&path, SqliteLogOptions::default()).unwrap();
    assert_eq!(*log.head().borrow(), 50);
    assert_eq!(log.read_stream(&s, 0).await.unwrap().len(), 50);
}
