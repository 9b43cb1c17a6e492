//! Command nodes sharing the partitions through the consumer group, on a real broker: each
//! serves only the partitions it owns and answers "moved" for the others; a node that leaves
//! hands its partitions over, and the taker reads back every acknowledged write.

use std::time::{Duration, Instant};

use eventlog::kafka::broker::Broker;
use eventlog::kafka::cluster::{ClusterLog, ClusterOptions};
use eventlog::kafka::{topics, KafkaLogOptions};
use eventlog::position::partition_for;
use eventlog::position::{tag, untag};
use eventlog::{Append, EventLog, LogError, NewEvent, StreamId};

const PARTITIONS: u32 = 4;

fn node(broker: &Broker, name: &str) -> ClusterLog {
    let mut log = KafkaLogOptions::new(&broker.brokers(), 0, name);
    log.timeout = Duration::from_secs(5);
    let mut options = ClusterOptions::new(log, PARTITIONS);
    options.session_timeout = Duration::from_secs(6);
    ClusterLog::join(options).unwrap()
}

/// Waits (rebalances take seconds) until `done` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "waited 90 s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn append(stream: &StreamId, expected: u64) -> Append {
    Append {
        stream: stream.clone(),
        expected_version: expected,
        events: vec![NewEvent {
            event_type: "test.event".into(),
            schema_version: 1,
            payload: stream.id.as_bytes().to_vec(),
            creator: "tester".into(),
            created_at: 0,
        }],
        owners: Vec::new(),
    }
}

#[test]
fn partitions_and_tagged_positions_are_the_same_everywhere() {
    assert_eq!(partition_for("user-1", 12), partition_for("user-1", 12));
    let spread: std::collections::BTreeSet<i32> = (0..200)
        .map(|n| partition_for(&format!("user-{n}"), 12))
        .collect();
    assert_eq!(spread.len(), 12, "200 ids reach every one of 12 partitions");
    assert_eq!(untag(tag(7, 12_345)), (7, 12_345));
    assert_eq!(
        tag(0, 99),
        99,
        "partition 0's positions are the embedded log's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_serve_only_their_partitions_and_hand_them_over_when_they_leave() {
    let broker = Broker::start();
    topics::create(&broker.brokers(), PARTITIONS as i32, 1)
        .await
        .unwrap();
    let a = node(&broker, "node-a");
    until("node a to own every partition", || {
        a.owned_partitions().len() == PARTITIONS as usize
    })
    .await;
    let b = node(&broker, "node-b");
    until("the partitions to be shared", || {
        let (pa, pb) = (a.owned_partitions(), b.owned_partitions());
        !pa.is_empty() && !pb.is_empty() && pa.len() + pb.len() == PARTITIONS as usize
    })
    .await;

    let streams: Vec<StreamId> = (0..16)
        .map(|n| StreamId::new("i1", "user", &format!("user-{n}")))
        .collect();
    for s in &streams {
        let p = partition_for(&s.id, PARTITIONS);
        let (owner, other) = if a.owned_partitions().contains(&p) {
            (&a, &b)
        } else {
            (&b, &a)
        };
        let moved = other.append(append(s, 0)).await;
        assert!(matches!(moved, Err(LogError::Moved(_))), "{moved:?}");
        let done = owner.append(append(s, 0)).await.unwrap();
        assert_eq!(untag(done.position).0, p);
    }

    a.leave();
    until("node b to own every partition", || {
        b.owned_partitions().len() == PARTITIONS as usize
    })
    .await;
    for s in &streams {
        let events = b.read_stream(s, 0).await.unwrap();
        assert_eq!(events.len(), 1, "{s:?}: {events:?}");
        assert_eq!(events[0].event.payload, s.id.as_bytes());
        assert_eq!(b.append(append(s, 1)).await.unwrap().version, 2);
    }
}
