//! Durable user creations through the command actors on the embedded log, at concurrency 1,
//! 16 and 64, with and without group commit. Each creation is the create-user saga: the org
//! is looked up, the login name claimed, the user created. Every write is acknowledged only
//! after fsync.
//!
//! `cargo bench -p command --bench durable_writes` prints a Markdown table; each case runs
//! for a bounded time. Under `cargo test` it runs a short smoke pass only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use authz::{Authorizer, Caller, InternalFlow, RoleMap};
use command::{CommandBus, CommandOptions};
use domain::user::UserCommand;
use eventlog::{EventLog, SqliteLog, SqliteLogOptions};

const INSTANCE: &str = "bench";

async fn create_user(bus: &Arc<CommandBus>, caller: &Caller, n: u64) {
    let cmd = UserCommand::AddMachine {
        org_id: "org".into(),
        username: format!("user{n}"),
        name: "Bench".into(),
        description: String::new(),
    };
    bus.create_user(caller, INSTANCE, &format!("user-{n}"), cmd)
        .await
        .expect("create");
}

/// Creations per second for `run_for`, with `concurrency` clients.
fn measure(group_commit: bool, concurrency: u64, run_for: Duration) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(
        SqliteLog::open(
            &dir.path().join("events.db"),
            SqliteLogOptions {
                group_commit,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    actix_rt::System::new().block_on(async move {
        let bus = Arc::new(CommandBus::new(
            log,
            Authorizer::new(RoleMap::default_map()),
            CommandOptions::default(),
        ));
        let caller = Caller::Internal {
            flow: InternalFlow::Setup,
            instance: INSTANCE.into(),
        };
        bus.create_org(&caller, INSTANCE, "org", "Bench")
            .await
            .expect("org");
        let next = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let deadline = start + run_for;
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (bus, caller, next) = (bus.clone(), caller.clone(), next.clone());
                actix_rt::spawn(async move {
                    while Instant::now() < deadline {
                        create_user(&bus, &caller, next.fetch_add(1, Ordering::Relaxed)).await;
                    }
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
        next.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
    })
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let run_for = if benching {
        Duration::from_secs(5)
    } else {
        Duration::from_millis(200)
    };
    let mut rows = Vec::new();
    for group_commit in [false, true] {
        for concurrency in [1, 16, 64] {
            let rate = measure(group_commit, concurrency, run_for);
            eprintln!(
                "group_commit={group_commit} concurrency={concurrency}: {rate:.0} creations/s"
            );
            rows.push((group_commit, concurrency, rate));
        }
    }
    let baseline = rows[0].2;
    println!("| group commit | concurrency | durable user creations/s | vs. no group commit, concurrency 1 |");
    println!("|---|---|---|---|");
    for (g, c, r) in &rows {
        println!(
            "| {} | {c} | {r:.0} | {:.1}x |",
            if *g { "on" } else { "off" },
            r / baseline
        );
    }
}
