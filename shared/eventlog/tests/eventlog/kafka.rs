//! The Kafka adapter on a real Kafka-protocol broker (tansu, started per test): the contract
//! suite, unchanged, on one partition; a new owner reads back every acknowledged write; a
//! fenced owner gets nothing acknowledged and nothing of it counts; topics are created once.

use std::sync::Arc;
use std::time::Duration;

use eventlog::kafka::broker::Broker;
use eventlog::kafka::topics::{self, Created};
use eventlog::kafka::{KafkaLog, KafkaLogOptions};
use eventlog::{contract, Append, EventLog, LogError, NewEvent, StreamId};

/// A broker with the topics (one partition), and the options of its partition 0.
async fn partition() -> (Broker, KafkaLogOptions) {
    let broker = Broker::start();
    topics::create(&broker.brokers(), 1, 1).await.unwrap();
    let mut options = KafkaLogOptions::new(&broker.brokers(), 0, "node-a");
    options.timeout = Duration::from_secs(3);
    (broker, options)
}

macro_rules! contract_tests {
    ($($name:ident),*) => {
        mod contract_suite {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_broker, options) = partition().await;
                let log: Arc<dyn EventLog> = Arc::new(KafkaLog::open(options).await.unwrap());
                contract::$name(log).await;
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

fn append(stream: &StreamId, expected: u64, n: u8) -> Append {
    Append {
        stream: stream.clone(),
        expected_version: expected,
        events: vec![NewEvent {
            event_type: "test.event".into(),
            schema_version: 1,
            payload: vec![n],
            creator: "tester".into(),
            created_at: 0,
        }],
        owners: vec!["org-1".into()],
    }
}

fn payloads(events: &[eventlog::StoredEvent]) -> Vec<u8> {
    events.iter().map(|e| e.event.payload[0]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_owner_reads_back_every_acknowledged_write_and_goes_on() {
    let (_broker, options) = partition().await;
    let s = StreamId::new("i1", "user", "u1");
    let first = KafkaLog::open(options.clone()).await.unwrap();
    for n in 0..20u8 {
        first.append(append(&s, n as u64, n)).await.unwrap();
    }
    first
        .save_snapshot(
            &s,
            eventlog::Snapshot {
                version: 20,
                state: b"twenty".to_vec(),
            },
        )
        .await
        .unwrap();
    let second = KafkaLog::open(KafkaLogOptions {
        node: "node-b".into(),
        ..options
    })
    .await
    .unwrap();
    assert!(second.epoch() > first.epoch());
    assert_eq!(
        payloads(&second.read_stream(&s, 0).await.unwrap()),
        (0..20).collect::<Vec<u8>>()
    );
    assert_eq!(
        second.load_snapshot(&s).await.unwrap().unwrap().state,
        b"twenty"
    );
    assert_eq!(
        second.owned_streams("i1", "org-1", "user").await.unwrap(),
        ["u1"]
    );
    let appended = second.append(append(&s, 20, 20)).await.unwrap();
    assert_eq!(appended.version, 21);
    assert_eq!(*second.head().borrow(), appended.position);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fenced_owner_gets_nothing_acknowledged_and_nothing_of_it_counts() {
    let (_broker, options) = partition().await;
    let s = StreamId::new("i1", "user", "u1");
    let zombie = KafkaLog::open(options.clone()).await.unwrap();
    zombie.append(append(&s, 0, 1)).await.unwrap();
    // The partition moves while the zombie is not looking.
    let owner = KafkaLog::open(KafkaLogOptions {
        node: "node-b".into(),
        ..options.clone()
    })
    .await
    .unwrap();
    let late = zombie.append(append(&s, 1, 66)).await;
    assert!(matches!(late, Err(LogError::Moved(_))), "{late:?}");
    assert!(zombie.has_moved());
    // It takes no more writes, at once.
    let again = zombie.append(append(&s, 1, 67)).await;
    assert!(matches!(again, Err(LogError::Moved(_))), "{again:?}");
    owner.append(append(&s, 1, 2)).await.unwrap();
    // A third owner reads the partition back: the zombie's records never count.
    let reader = KafkaLog::open(KafkaLogOptions {
        node: "node-c".into(),
        ..options
    })
    .await
    .unwrap();
    assert_eq!(payloads(&reader.read_stream(&s, 0).await.unwrap()), [1, 2]);
    assert_eq!(payloads(&reader.read_all(0, 100).await.unwrap()), [1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_are_created_once() {
    let broker = Broker::start();
    let names = |created: Vec<Created>| {
        created
            .into_iter()
            .map(|c| match c {
                Created::Created(n) => format!("created {n}"),
                Created::AlreadyThere(n) => format!("kept {n}"),
            })
            .collect::<Vec<_>>()
    };
    let first = topics::create(&broker.brokers(), 3, 1).await.unwrap();
    assert_eq!(
        names(first),
        ["created portcullis.events", "created portcullis.snapshots"]
    );
    let again = topics::create(&broker.brokers(), 3, 1).await.unwrap();
    assert_eq!(
        names(again),
        ["kept portcullis.events", "kept portcullis.snapshots"]
    );
}
