//! Projection rebuild from position 0, in events per second, beside baselines measured in the
//! same run: reading the same events from the log without projecting them, and rebuilding the
//! same events as release 0.1 stored them (positional bincode, read by the legacy reader).
//!
//! `cargo bench -p projector --bench rebuild` (200,000 events); under `cargo test` a smoke
//! pass on 2,000.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use domain::codec;
use domain::user::UserEvent;
use domain::EventType;
use eventlog::{Append, EventLog, NewEvent, SqliteLog, SqliteLogOptions, StreamId};
use projector::Projector;
use readmodel::SqliteReadModel;

type Encoding = fn(&UserEvent) -> (u16, Vec<u8>);

/// Release 0.1's encoding: positional bincode, version 1.
fn legacy(e: &UserEvent) -> (u16, Vec<u8>) {
    let bytes = bincode::serde::encode_to_vec(e, bincode::config::standard()).unwrap();
    (codec::LEGACY, bytes)
}

fn event(e: &UserEvent, encode: Encoding) -> NewEvent {
    let (schema_version, payload) = encode(e);
    NewEvent {
        event_type: e.event_type().into(),
        schema_version,
        payload,
        creator: "bench".into(),
        created_at: 0,
    }
}

/// A log of `users` machine users, two events each (created, then a token).
async fn fill(dir: &Path, users: usize, encode: Encoding) -> Arc<dyn EventLog> {
    let log: Arc<dyn EventLog> =
        Arc::new(SqliteLog::open(&dir.join("events.db"), SqliteLogOptions::default()).unwrap());
    for chunk in (0..users).collect::<Vec<_>>().chunks(1000) {
        let appends = chunk
            .iter()
            .map(|n| {
                let added = UserEvent::MachineAdded {
                    org_id: format!("org-{}", n % 100),
                    username: format!("user{n}"),
                    name: "Bench".into(),
                    description: String::new(),
                };
                let pat = UserEvent::PatAdded {
                    pat_id: format!("pat-{n}"),
                    token_hash: format!("{n:064x}"),
                    expires_at: None,
                };
                Append {
                    stream: StreamId::new("bench", "user", &format!("user-{n}")),
                    expected_version: 0,
                    events: vec![event(&added, encode), event(&pat, encode)],
                    owners: vec![format!("org-{}", n % 100)],
                }
            })
            .collect();
        log.append_atomic(appends).await.unwrap();
    }
    log
}

/// Events per second: reading the whole log, and rebuilding the read models from it.
async fn measure(dir: &Path, log: Arc<dyn EventLog>) -> (f64, f64) {
    let total = *log.head().borrow();
    let start = Instant::now();
    let (mut at, mut read) = (0, 0);
    loop {
        let batch = log.read_all(at, 1000).await.unwrap();
        let Some(last) = batch.last() else { break };
        at = last.position;
        read += batch.len();
    }
    let read_rate = read as f64 / start.elapsed().as_secs_f64();
    let model: Arc<dyn readmodel::ReadModel> =
        Arc::new(SqliteReadModel::open(&dir.join("read.db")).unwrap());
    let projector = Projector::new(log, model.clone());
    let start = Instant::now();
    let projected = projector.rebuild().await.unwrap();
    let rebuild_rate = projected as f64 / start.elapsed().as_secs_f64();
    assert_eq!(projected as u64, total);
    assert_eq!(model.progress().position(), total);
    (read_rate, rebuild_rate)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users = if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        1_000
    };
    let (json_dir, legacy_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let json = fill(json_dir.path(), users, codec::encode::<UserEvent>).await;
    let old = fill(legacy_dir.path(), users, legacy).await;
    let (old_read, old_rebuild) = measure(legacy_dir.path(), old).await;
    let (read, rebuild) = measure(json_dir.path(), json).await;

    let total = users * 2;
    println!(
        "| what ({total} events) | events/s | vs. reading the log | vs. release 0.1's encoding |"
    );
    println!("|---|---|---|---|");
    println!("| read the log (JSON payloads) | {read:.0} | 1.0x | |");
    println!(
        "| rebuild the read models, JSON payloads | {rebuild:.0} | {:.2}x | {:.2}x |",
        rebuild / read,
        rebuild / old_rebuild
    );
    println!(
        "| rebuild the read models, release 0.1's bincode | {old_rebuild:.0} | {:.2}x | 1.0x |",
        old_rebuild / old_read
    );
}
