//! Projection rebuild from position 0, in events per second, beside a baseline measured in the
//! same run: reading the same events from the log without projecting them.
//!
//! `cargo bench -p projector --bench rebuild` (200,000 events); under `cargo test` a smoke
//! pass on 2,000.

use std::sync::Arc;
use std::time::Instant;

use domain::codec;
use domain::user::UserEvent;
use domain::EventType;
use eventlog::{Append, EventLog, NewEvent, SqliteLog, SqliteLogOptions, StreamId};
use projector::Projector;
use readmodel::SqliteReadModel;

fn event(e: &UserEvent) -> NewEvent {
    NewEvent {
        event_type: e.event_type().into(),
        schema_version: codec::SCHEMA_VERSION,
        payload: codec::encode(e),
        creator: "bench".into(),
        created_at: 0,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users = if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        1_000
    };
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(
        SqliteLog::open(&dir.path().join("events.db"), SqliteLogOptions::default()).unwrap(),
    );
    // Two events per user: created, then a personal access token.
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
                    events: vec![event(&added), event(&pat)],
                    owners: vec![format!("org-{}", n % 100)],
                }
            })
            .collect();
        log.append_atomic(appends).await.unwrap();
    }
    let total = *log.head().borrow();

    let start = Instant::now();
    let mut at = 0;
    let mut read = 0;
    loop {
        let batch = log.read_all(at, 1000).await.unwrap();
        let Some(last) = batch.last() else { break };
        at = last.position;
        read += batch.len();
    }
    let read_rate = read as f64 / start.elapsed().as_secs_f64();

    let model: std::sync::Arc<dyn readmodel::ReadModel> =
        std::sync::Arc::new(SqliteReadModel::open(&dir.path().join("read.db")).unwrap());
    let projector = Projector::new(log.clone(), model.clone());
    let start = Instant::now();
    let projected = projector.rebuild().await.unwrap();
    let rebuild_rate = projected as f64 / start.elapsed().as_secs_f64();
    assert_eq!(projected as u64, total);
    assert_eq!(model.progress().position(), total);

    println!("| what ({total} events) | events/s | vs. reading the log |");
    println!("|---|---|---|");
    println!("| read the log (baseline) | {read_rate:.0} | 1.0x |");
    println!(
        "| rebuild the read models | {rebuild_rate:.0} | {:.2}x |",
        rebuild_rate / read_rate
    );
}
