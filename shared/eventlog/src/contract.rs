//! The contract every `EventLog` adapter passes: call each function with a fresh, empty log.
//! The embedded adapter runs it on disk; the Kafka adapter runs the same functions.

use std::sync::Arc;
use std::time::Duration;

use crate::types::*;

fn event(n: u32) -> NewEvent {
    NewEvent {
        event_type: format!("test.event.{n}"),
        schema_version: 1,
        payload: n.to_be_bytes().to_vec(),
        creator: "tester".into(),
        created_at: 1_700_000_000_000 + n as i64,
    }
}

fn append(stream: &StreamId, expected: u64, events: &[u32]) -> Append {
    Append {
        stream: stream.clone(),
        expected_version: expected,
        events: events.iter().map(|n| event(*n)).collect(),
        owners: Vec::new(),
    }
}

/// Versions count up per stream from 1; a stale expected version is a conflict that writes
/// nothing.
pub async fn expected_version_conflicts(log: Arc<dyn EventLog>) {
    let s = StreamId::new("i1", "user", "u1");
    let a = log.append(append(&s, 0, &[1, 2])).await.unwrap();
    assert_eq!(a.version, 2);
    let err = log.append(append(&s, 0, &[3])).await.unwrap_err();
    assert_eq!(
        err,
        LogError::Conflict {
            stream: s.clone(),
            expected: 0,
            actual: 2
        }
    );
    let err = log.append(append(&s, 5, &[3])).await.unwrap_err();
    assert!(matches!(err, LogError::Conflict { actual: 2, .. }));
    let b = log.append(append(&s, 2, &[3])).await.unwrap();
    assert_eq!(b.version, 3);
    assert!(b.position > a.position);
    let versions: Vec<u64> = log
        .read_stream(&s, 0)
        .await
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    assert_eq!(log.read_stream(&s, 2).await.unwrap().len(), 1);
}

/// Of many concurrent appends at the same expected version, exactly one wins.
pub async fn concurrent_appends_one_winner(log: Arc<dyn EventLog>) {
    let s = StreamId::new("i1", "org", "o1");
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let log = log.clone();
            let s = s.clone();
            tokio::spawn(async move { log.append(append(&s, 0, &[n])).await })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(LogError::Conflict { .. }) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(log.read_stream(&s, 0).await.unwrap().len(), 1);
}

/// `read_all` returns every event once, in position order, across streams, and pages.
pub async fn ordering_across_streams(log: Arc<dyn EventLog>) {
    let a = StreamId::new("i1", "user", "a");
    let b = StreamId::new("i2", "user", "b");
    log.append(append(&a, 0, &[1])).await.unwrap();
    log.append(append(&b, 0, &[2, 3])).await.unwrap();
    log.append(append(&a, 1, &[4])).await.unwrap();
    let all = log.read_all(0, 100).await.unwrap();
    let payloads: Vec<u32> = all
        .iter()
        .map(|e| u32::from_be_bytes(e.event.payload.clone().try_into().unwrap()))
        .collect();
    assert_eq!(payloads, [1, 2, 3, 4]);
    assert!(all.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(all[1].stream, b);
    assert_eq!(all[1].event, event(2));
    let page = log.read_all(all[1].position, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.position).collect::<Vec<_>>(),
        [all[2].position, all[3].position]
    );
}

/// Appends to several streams in one step are all or nothing.
pub async fn atomic_multi_stream_append(log: Arc<dyn EventLog>) {
    let a = StreamId::new("i1", "user", "a");
    let b = StreamId::new("i1", "unique", "login:a");
    log.append(append(&b, 0, &[9])).await.unwrap();
    // b is at version 1, so this whole step fails and a stays empty.
    let err = log
        .append_atomic(vec![append(&a, 0, &[1]), append(&b, 0, &[2])])
        .await
        .unwrap_err();
    assert!(matches!(err, LogError::Conflict { .. }));
    assert!(log.read_stream(&a, 0).await.unwrap().is_empty());
    let done = log
        .append_atomic(vec![append(&a, 0, &[1]), append(&b, 1, &[2])])
        .await
        .unwrap();
    assert_eq!(done.iter().map(|d| d.version).collect::<Vec<_>>(), [1, 2]);
}

/// Streams are found by the owners their first append stated, per instance and kind; an
/// append that fails records no owner.
pub async fn owned_streams(log: Arc<dyn EventLog>) {
    let owned = |id: &str, owners: &[&str]| Append {
        owners: owners.iter().map(|o| o.to_string()).collect(),
        ..append(&StreamId::new("i1", "user", id), 0, &[1])
    };
    log.append_atomic(vec![
        owned("u1", &["org-a"]),
        owned("u2", &["org-a", "team"]),
    ])
    .await
    .unwrap();
    log.append(owned("u3", &["org-b"])).await.unwrap();
    // A conflict (u1 exists) records nothing for u4.
    let err = log
        .append_atomic(vec![owned("u4", &["org-a"]), owned("u1", &["org-a"])])
        .await
        .unwrap_err();
    assert!(matches!(err, LogError::Conflict { .. }));
    let mut a = log.owned_streams("i1", "org-a", "user").await.unwrap();
    a.sort();
    assert_eq!(a, ["u1", "u2"]);
    assert_eq!(
        log.owned_streams("i1", "team", "user").await.unwrap(),
        ["u2"]
    );
    assert!(log
        .owned_streams("i1", "org-a", "project")
        .await
        .unwrap()
        .is_empty());
    assert!(log
        .owned_streams("i2", "org-a", "user")
        .await
        .unwrap()
        .is_empty());
}

/// A subscriber sees the head move past every acknowledged append, and can catch up from any
/// position it had seen.
pub async fn subscription_catch_up(log: Arc<dyn EventLog>) {
    let mut head = log.head();
    let start = *head.borrow_and_update();
    let s = StreamId::new("i1", "user", "sub");
    let writer = {
        let log = log.clone();
        let s = s.clone();
        tokio::spawn(async move {
            for n in 0..10u32 {
                log.append(append(&s, n as u64, &[n])).await.unwrap();
            }
        })
    };
    let mut seen = Vec::new();
    let mut at = start;
    while seen.len() < 10 {
        tokio::time::timeout(Duration::from_secs(10), head.changed())
            .await
            .expect("head moves")
            .unwrap();
        let new = *head.borrow_and_update();
        for e in log.read_all(at, 100).await.unwrap() {
            at = e.position;
            seen.push(e.version);
        }
        // Once the head says `new`, everything up to `new` is readable (more may be, too).
        assert!(
            at >= new,
            "notified of {new} but could read only up to {at}"
        );
    }
    writer.await.unwrap();
    assert_eq!(seen, (1..=10).collect::<Vec<u64>>());
}

/// Snapshots are kept per stream; an older one never replaces a newer one.
pub async fn snapshots(log: Arc<dyn EventLog>) {
    let s = StreamId::new("i1", "user", "snap");
    assert_eq!(log.load_snapshot(&s).await.unwrap(), None);
    log.save_snapshot(
        &s,
        Snapshot {
            version: 5,
            state: b"five".to_vec(),
        },
    )
    .await
    .unwrap();
    log.save_snapshot(
        &s,
        Snapshot {
            version: 3,
            state: b"three".to_vec(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        log.load_snapshot(&s).await.unwrap(),
        Some(Snapshot {
            version: 5,
            state: b"five".to_vec()
        })
    );
    log.save_snapshot(
        &s,
        Snapshot {
            version: 7,
            state: b"seven".to_vec(),
        },
    )
    .await
    .unwrap();
    assert_eq!(log.load_snapshot(&s).await.unwrap().unwrap().version, 7);
    let other = StreamId::new("i2", "user", "snap");
    assert_eq!(log.load_snapshot(&other).await.unwrap(), None);
}
