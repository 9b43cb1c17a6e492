//! Durable appends a second: the Kafka adapter (one partition on a local tansu broker, each
//! batch one transaction: its events with the confirm of the batch before) beside the embedded log on disk
//! (group commit, fsync), measured in the same run, at 1 and 64 appends in flight.
//!
//! `cargo bench -p eventlog --bench append` (3 s per case); under `cargo test` a smoke pass of
//! 50 appends per case.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventlog::kafka::broker::Broker;
use eventlog::kafka::{topics, KafkaLog, KafkaLogOptions};
use eventlog::{Append, EventLog, NewEvent, SqliteLog, SqliteLogOptions, StreamId};

/// Appends for `time` (or `max` appends) with `concurrency` in flight; returns appends/s.
async fn rate(log: Arc<dyn EventLog>, concurrency: usize, time: Duration, max: u64) -> f64 {
    let started = Instant::now();
    let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (log, done) = (log.clone(), done.clone());
            tokio::spawn(async move {
                let mut version = 0;
                let stream = StreamId::new("bench", "user", &format!("w{w}-{}", rand_suffix()));
                while started.elapsed() < time
                    && done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < max
                {
                    let append = Append {
                        stream: stream.clone(),
                        expected_version: version,
                        events: vec![NewEvent {
                            event_type: "user.added".into(),
                            schema_version: 1,
                            payload: vec![0; 200],
                            creator: "bench".into(),
                            created_at: 0,
                        }],
                        owners: Vec::new(),
                    };
                    version = log.append(append).await.expect("append").version;
                }
                version
            })
        })
        .collect();
    let mut appended = 0;
    for w in workers {
        appended += w.await.expect("worker");
    }
    appended as f64 / started.elapsed().as_secs_f64()
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (time, max) = if bench {
        (Duration::from_secs(3), u64::MAX)
    } else {
        (Duration::from_secs(30), 50)
    };
    let dir = tempfile::tempdir().unwrap();
    let embedded: Arc<dyn EventLog> = Arc::new(
        SqliteLog::open(&dir.path().join("events.db"), SqliteLogOptions::default()).unwrap(),
    );
    let broker = Broker::start();
    topics::create(&broker.brokers(), 1, 1).await.unwrap();
    let kafka: Arc<dyn EventLog> = Arc::new(
        KafkaLog::open(KafkaLogOptions::new(&broker.brokers(), 0, "bench"))
            .await
            .unwrap(),
    );
    println!("| log | in flight | durable appends/s | vs. embedded |");
    println!("|---|---:|---:|---:|");
    for concurrency in [1, 64] {
        let base = rate(embedded.clone(), concurrency, time, max).await;
        let k = rate(kafka.clone(), concurrency, time, max).await;
        println!("| embedded (SQLite, group commit) | {concurrency} | {base:.0} | 1.00x |");
        println!(
            "| Kafka, one partition (tansu, memory) | {concurrency} | {k:.0} | {:.2}x |",
            k / base
        );
    }
}
