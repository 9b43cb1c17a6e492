//! Time to ready with a large log: the release binary is started on a data directory and
//! `/readyz` polled until it answers. The baseline, measured in the same run, is a restart on
//! a log of only the first start's events; then N events are imported into the log (appended
//! the way the command side writes them), and the server is started twice: the first start
//! projects the import, a restart finds the read models' checkpoint and projects nothing.
//!
//! `cargo bench -p portcullis --bench startup` (1,000,000 events; `STARTUP_EVENTS=` to change);
//! under `cargo test` a smoke pass on 2,000.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use domain::codec;
use domain::user::UserEvent;
use domain::EventType;
use eventlog::{Append, EventLog, NewEvent, SqliteLog, SqliteLogOptions, StreamId};

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let events: u64 = match std::env::var("STARTUP_EVENTS") {
        Ok(n) => n.parse().expect("STARTUP_EVENTS is a number"),
        Err(_) if bench => 1_000_000,
        Err(_) => 2_000,
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    stop(start(&data).0); // the first start creates the default instance
    let (server, baseline) = start(&data);
    stop(server);
    eprintln!("startup: importing {events} events");
    let imported = Instant::now();
    import(&data.join("events.db"), events);
    let import_rate = events as f64 / imported.elapsed().as_secs_f64();
    let (server, first) = start(&data);
    stop(server);
    let (server, restart) = start(&data);
    stop(server);

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let ratio = |d: Duration| d.as_secs_f64() / baseline.as_secs_f64();
    println!(
        "| start ({events} events imported at {import_rate:.0}/s) | ms to ready | vs. baseline |"
    );
    println!("|---|---:|---:|");
    println!(
        "| restart, first start's events only (baseline) | {:.0} | 1.00x |",
        ms(baseline)
    );
    println!(
        "| first start after the import (projects it) | {:.0} | {:.2}x |",
        ms(first),
        ratio(first)
    );
    println!(
        "| restart after the import (checkpointed) | {:.0} | {:.2}x |",
        ms(restart),
        ratio(restart)
    );
}

/// Starts `portcullis start` on `data` and returns it once `/readyz` answers, with how long
/// that took.
fn start(data: &Path) -> (Child, Duration) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let began = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["start", "--listen", &format!("127.0.0.1:{port}")])
        .env("PORTCULLIS_DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("portcullis");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(1)))
        .build()
        .into();
    let url = format!("http://127.0.0.1:{port}/readyz");
    loop {
        if agent.get(&url).call().is_ok() {
            return (child, began.elapsed());
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("portcullis exited before it was ready: {status}");
        }
        assert!(began.elapsed() < Duration::from_secs(1800), "never ready");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// SIGTERM, then waits for the drain.
fn stop(mut child: Child) {
    Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// Appends `events` events to the log: machine users with a personal access token each.
fn import(log: &Path, events: u64) {
    let event = |e: &UserEvent| NewEvent {
        event_type: e.event_type().into(),
        schema_version: codec::encode(e).0,
        payload: codec::encode(e).1,
        creator: "import".into(),
        created_at: 1_790_000_000_000,
    };
    let log = SqliteLog::open(log, SqliteLogOptions::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let users: Vec<u64> = (0..events / 2).collect();
    for (k, chunk) in users.chunks(2_000).enumerate() {
        let appends = chunk
            .iter()
            .map(|n| {
                let org = format!("import-org-{}", n % 100);
                Append {
                    stream: StreamId::new("import", "user", &format!("import-user-{n}")),
                    expected_version: 0,
                    events: vec![
                        event(&UserEvent::MachineAdded {
                            org_id: org.clone(),
                            username: format!("import{n}"),
                            name: "Imported".into(),
                            description: String::new(),
                        }),
                        event(&UserEvent::PatAdded {
                            pat_id: format!("pat-{n}"),
                            token_hash: format!("{n:064x}"),
                            expires_at: None,
                        }),
                    ],
                    owners: vec![org],
                }
            })
            .collect();
        runtime.block_on(log.append_atomic(appends)).unwrap();
        if (k + 1) % 100 == 0 {
            eprintln!("startup: imported {} events", (k + 1) * 4_000);
        }
    }
    log.close();
}
