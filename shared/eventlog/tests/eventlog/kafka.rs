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
        [
            "created portcullis.events",
            "created portcullis.snapshots",
            "created portcullis.owners"
        ]
    );
    let again = topics::create(&broker.brokers(), 3, 1).await.unwrap();
    assert_eq!(
        names(again),
        [
            "kept portcullis.events",
            "kept portcullis.snapshots",
            "kept portcullis.owners"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_sees_every_counted_event_of_every_partition_and_resumes_at_the_tails() {
    use eventlog::kafka::follower::{Checkpoint, Follower};
    use eventlog::kafka::Resume;
    use eventlog::position::{tag, untag};
    use std::collections::HashMap;
    let broker = Broker::start();
    topics::create(&broker.brokers(), 2, 1).await.unwrap();
    let options = |p: i32, node: &str| KafkaLogOptions {
        timeout: Duration::from_secs(3),
        ..KafkaLogOptions::new(&broker.brokers(), p, node)
    };
    let (a, b) = (
        StreamId::new("i1", "user", "a"),
        StreamId::new("i1", "user", "b"),
    );
    let p0 = KafkaLog::open(options(0, "node-a")).await.unwrap();
    let zombie = KafkaLog::open(options(1, "node-b")).await.unwrap();
    p0.append(append(&a, 0, 1)).await.unwrap();
    zombie.append(append(&b, 0, 2)).await.unwrap();
    // Partition 1 moves; its old owner's late write never counts.
    let p1 = KafkaLog::open(options(1, "node-c")).await.unwrap();
    assert!(zombie.append(append(&b, 1, 66)).await.is_err());
    p1.append(append(&b, 1, 3)).await.unwrap();
    p0.append(append(&a, 1, 4)).await.unwrap();

    let none = || Arc::new(|_: &StreamId| 0u64);
    let mut follower = Follower::start(
        &broker.brokers(),
        topics::EVENTS,
        2,
        "projector",
        HashMap::new(),
        none(),
    )
    .unwrap();
    let mut seen = Vec::new();
    let started = std::time::Instant::now();
    while seen.len() < 4 && started.elapsed() < Duration::from_secs(30) {
        seen.extend(
            follower
                .next_batch(Duration::from_millis(500), 100)
                .await
                .unwrap(),
        );
    }
    // Nothing more comes: the zombie's record is not among them.
    seen.extend(
        follower
            .next_batch(Duration::from_millis(1500), 100)
            .await
            .unwrap(),
    );
    let by_partition = |p: i32| -> Vec<u8> {
        seen.iter()
            .filter(|e| untag(e.position).0 == p)
            .map(|e| e.event.payload[0])
            .collect()
    };
    assert_eq!(by_partition(0), [1, 4]);
    assert_eq!(by_partition(1), [2, 3]);
    // The positions are the partitions' own, tagged: what the writers were told.
    let last_of_b = p1
        .read_stream(&b, 0)
        .await
        .unwrap()
        .last()
        .unwrap()
        .position;
    assert!(seen.iter().any(|e| e.position == tag(1, last_of_b)));

    // A follower told what was applied skips it.
    let applied = seen
        .iter()
        .find(|e| e.event.payload[0] == 1)
        .unwrap()
        .position;
    let (p, at) = untag(applied);
    let skip = Checkpoint {
        applied: at,
        resume: Resume::default(),
    };
    let mut again = Follower::start(
        &broker.brokers(),
        topics::EVENTS,
        2,
        "projector-2",
        HashMap::from([(p, skip)]),
        none(),
    )
    .unwrap();
    let mut rest = Vec::new();
    let started = std::time::Instant::now();
    while rest.len() < 3 && started.elapsed() < Duration::from_secs(30) {
        rest.extend(
            again
                .next_batch(Duration::from_millis(500), 100)
                .await
                .unwrap(),
        );
    }
    let mut payloads: Vec<u8> = rest.iter().map(|e| e.event.payload[0]).collect();
    payloads.sort();
    assert_eq!(payloads, [2, 3, 4]);

    // A follower resumed where the first one stopped reads only the partitions' tails: the
    // new events, none of the history (and not the zombie's record again).
    let mut checkpoints = HashMap::new();
    for (p, resume) in follower.resumes() {
        let applied = seen
            .iter()
            .filter(|e| untag(e.position).0 == p)
            .map(|e| untag(e.position).1)
            .max()
            .unwrap_or(0);
        checkpoints.insert(p, Checkpoint { applied, resume });
    }
    let versions: HashMap<StreamId, u64> =
        seen.iter()
            .map(|e| (e.stream.clone(), e.version))
            .fold(HashMap::new(), |mut m, (s, v)| {
                let e = m.entry(s).or_insert(0);
                *e = (*e).max(v);
                m
            });
    p0.append(append(&a, 2, 5)).await.unwrap();
    p1.append(append(&b, 2, 6)).await.unwrap();
    let mut resumed = Follower::start(
        &broker.brokers(),
        topics::EVENTS,
        2,
        "projector-3",
        checkpoints,
        Arc::new(move |s: &StreamId| versions.get(s).copied().unwrap_or(0)),
    )
    .unwrap();
    let mut tail = Vec::new();
    let started = std::time::Instant::now();
    while tail.len() < 2 && started.elapsed() < Duration::from_secs(30) {
        tail.extend(
            resumed
                .next_batch(Duration::from_millis(500), 100)
                .await
                .unwrap(),
        );
    }
    let mut payloads: Vec<u8> = tail.iter().map(|e| e.event.payload[0]).collect();
    payloads.sort();
    assert_eq!(payloads, [5, 6]);
    assert!(
        resumed.records_read() < follower.records_read(),
        "the resumed follower read {} records, the first {}",
        resumed.records_read(),
        follower.records_read()
    );
}
