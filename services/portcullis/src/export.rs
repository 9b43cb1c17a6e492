//! `portcullis export`: the event log of a data directory or of a cluster as NDJSON, one event
//! per line in log order (a cluster's: each partition's in order), in the public event shape of
//! `GET /v1/events` ([`ExportedEvent`]) with nothing redacted, so that the data can be taken
//! away: read by any tool, or brought back with `portcullis import`.

use std::io::Write;

use domain::DomainEvent;
#[cfg(feature = "cluster")]
use eventlog::kafka::{follower::Follower, topics};
use eventlog::{EventLog, SqliteLog, SqliteLogOptions, StoredEvent};

use crate::config::ExportOptions;
use crate::server::log_path;

/// One line of an export: an event as `GET /v1/events` lists it, the payload not redacted.
pub type ExportedEvent = gateway::EventView;

/// An event of the log as an export writes it.
fn exported(stored: &StoredEvent) -> Result<ExportedEvent, String> {
    let event = DomainEvent::decode(
        &stored.stream.kind,
        &stored.event.event_type,
        stored.event.schema_version,
        &stored.event.payload,
    )
    .map_err(|e| format!("the event at position {}: {e}", stored.position))?;
    Ok(ExportedEvent {
        position: stored.position.to_string(),
        instance_id: stored.stream.instance.clone(),
        aggregate_type: stored.stream.kind.clone(),
        aggregate_id: stored.stream.id.clone(),
        sequence: stored.version,
        event_type: stored.event.event_type.clone(),
        creator: stored.event.creator.clone(),
        created_at: stored.event.created_at,
        payload: event.fields(),
    })
}

/// Events read per step.
const PAGE: usize = 5_000;

/// Progress is logged every this many events.
const PROGRESS_EVERY: u64 = 50_000;

/// Where the events come from: a data directory's log, or a cluster's.
enum Source {
    Embedded(SqliteLog),
    #[cfg(feature = "cluster")]
    Cluster(Box<Follower>),
}

impl Source {
    fn open(opts: &ExportOptions) -> Result<Source, String> {
        #[cfg(not(feature = "cluster"))]
        if opts.kafka_brokers.is_some() {
            return Err(crate::config::WITHOUT_CLUSTER.into());
        }
        #[cfg(feature = "cluster")]
        if let Some(brokers) = &opts.kafka_brokers {
            let partitions =
                topics::partitions(brokers).map_err(|e| format!("{e} (brokers {brokers})"))?;
            let node = format!("export-{}", uuid::Uuid::now_v7());
            return Follower::to_end(brokers, topics::EVENTS, partitions, &node)
                .map(|f| Source::Cluster(Box::new(f)))
                .map_err(|e| format!("cannot read the cluster's log at {brokers}: {e}"));
        }
        let path = log_path(&opts.data_dir);
        if !path.exists() {
            return Err(format!(
                "there is no event log in {} (it is the data directory of `portcullis start`, set with --data-dir or PORTCULLIS_DATA_DIR; a cluster's log is read with --kafka-brokers)",
                opts.data_dir.display()
            ));
        }
        SqliteLog::open(&path, SqliteLogOptions::default())
            .map(Source::Embedded)
            .map_err(|e| format!("cannot open the event log {}: {e}", path.display()))
    }

    fn close(&self) {
        match self {
            Source::Embedded(log) => log.close(),
            #[cfg(feature = "cluster")]
            Source::Cluster(_) => {}
        }
    }

    /// The next events in log order (each partition's, for a cluster); none at the end.
    async fn next(&mut self, after: u64) -> std::io::Result<Vec<StoredEvent>> {
        let read = match self {
            Source::Embedded(log) => log.read_all(after, PAGE).await,
            #[cfg(feature = "cluster")]
            Source::Cluster(follower) => {
                let mut idle = 0;
                loop {
                    let wait = std::time::Duration::from_millis(500);
                    let batch = follower.next_batch(wait, PAGE).await;
                    if !matches!(&batch, Ok(b) if b.is_empty()) || follower.at_end() {
                        break batch;
                    }
                    idle += 1;
                    if idle == 120 {
                        return Err(std::io::Error::other(
                            "no end of the cluster's log in sight after 60 s without an event (is a transaction left open, or the broker unreachable?)",
                        ));
                    }
                }
            }
        };
        read.map_err(|e| std::io::Error::other(format!("cannot read the event log: {e}")))
    }
}

pub fn run(opts: &ExportOptions) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let mut log = {
        let _inside = runtime.enter();
        Source::open(opts)?
    };
    let instance = opts.instance.as_deref();
    let written = match &opts.output {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            runtime
                .block_on(export(&mut log, instance, &mut out))
                .and_then(|n| out.flush().map(|()| n))
        }
        // Secrets are in it: only its owner may read it, and it is whole or not there.
        Some(file) => crate::private_file::write_private_with(file, |f| {
            let mut out = std::io::BufWriter::new(f);
            let n = runtime.block_on(export(&mut log, instance, &mut out))?;
            out.flush().map(|()| n)
        }),
    };
    log.close();
    let n = written.map_err(|e| format!("the export failed: {e}"))?;
    tracing::info!(events = n, "exported");
    Ok(())
}

/// Writes the log's events (of `instance`, if given) to `out`, one per line; how many.
async fn export(
    log: &mut Source,
    instance: Option<&str>,
    out: &mut impl Write,
) -> std::io::Result<u64> {
    let mut after = 0;
    let mut written = 0u64;
    loop {
        let page = log.next(after).await?;
        let Some(last) = page.last() else {
            return Ok(written);
        };
        after = last.position;
        for stored in page
            .iter()
            .filter(|e| instance.is_none_or(|i| e.stream.instance == i))
        {
            let event = exported(stored).map_err(std::io::Error::other)?;
            serde_json::to_writer(&mut *out, &event)?;
            out.write_all(b"\n")?;
            written += 1;
            if written.is_multiple_of(PROGRESS_EVERY) {
                tracing::info!(events = written, position = stored.position, "exporting");
            }
        }
    }
}
