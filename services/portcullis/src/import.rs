//! `portcullis import`: an export ([`crate::export`]) into an empty data directory. Each line
//! is checked as it is read (its shape, its event's fields, its time, its place in its
//! aggregate: sequences from 1 without gaps, positions rising) and appended, in the export's
//! order, to a new log beside the directory's, which becomes the directory's log only once
//! every line is in: a refused line leaves the directory as it was.

use std::collections::HashMap;
use std::io::BufRead;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use domain::DomainEvent;
use eventlog::{Append, EventLog, NewEvent, StreamId};
use eventlog::{SqliteLog, SqliteLogOptions};

use crate::config::ImportOptions;
use crate::export::ExportedEvent;
use crate::server::log_path;

/// Lines appended per durable step.
const BATCH: usize = 1_000;

/// Progress is logged every this many events.
const PROGRESS_EVERY: u64 = 50_000;

/// The longest id an export may name.
const MAX_ID: usize = 256;

pub fn run(opts: &ImportOptions) -> Result<(), String> {
    let dir = &opts.data_dir;
    check_empty(dir)?;
    // The log holds password and token hashes: only the owner may enter, as `start` makes it.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    let input: Box<dyn BufRead> = match &opts.input {
        Some(file) => Box::new(std::io::BufReader::new(
            std::fs::File::open(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?,
        )),
        None => Box::new(std::io::stdin().lock()),
    };
    let partial = dir.join(format!(
        ".events.db.{}.importing",
        uuid::Uuid::new_v4().simple()
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let imported = runtime.block_on(import(input, &partial));
    let imported = imported.and_then(|n| settle(&partial).map(|()| n));
    match imported {
        Ok(n) => {
            std::fs::rename(&partial, log_path(dir))
                .and_then(|()| std::fs::File::open(dir)?.sync_all())
                .map_err(|e| format!("cannot move the imported log into place: {e}"))?;
            tracing::info!(
                events = n,
                data_dir = %dir.display(),
                "imported: start Portcullis on this data directory with the master key of the exported one (its master.key, or PORTCULLIS_MASTERKEY), which sealed its keys"
            );
            Ok(())
        }
        Err(e) => {
            remove_log(&partial);
            Err(e)
        }
    }
}

/// Only an empty (or missing) data directory takes an import; a master key put there first
/// is kept.
fn check_empty(dir: &Path) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let taken: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "master.key")
        .collect();
    match taken.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "{} is not empty ({}): import into a new data directory",
            dir.display(),
            taken.join(", ")
        )),
    }
}

/// Appends every line of `input` to a new log at `path`; how many.
async fn import(input: Box<dyn BufRead>, path: &Path) -> Result<u64, String> {
    let log = SqliteLog::open(path, SqliteLogOptions::default())
        .map_err(|e| format!("cannot make the event log {}: {e}", path.display()))?;
    let mut check = Checks::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut imported = 0u64;
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read the export: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let append = check
            .line(&line)
            .map_err(|e| format!("line {}: {e}; nothing was imported", n + 1))?;
        batch.push(append);
        imported += 1;
        if batch.len() == BATCH {
            write(&log, std::mem::take(&mut batch)).await?;
        }
        if imported.is_multiple_of(PROGRESS_EVERY) {
            tracing::info!(events = imported, "importing");
        }
    }
    write(&log, batch).await?;
    log.close();
    Ok(imported)
}

async fn write(log: &SqliteLog, batch: Vec<Append>) -> Result<(), String> {
    if batch.is_empty() {
        return Ok(());
    }
    log.append_atomic(batch)
        .await
        .map(|_| ())
        .map_err(|e| format!("cannot write the event log: {e}"))
}

/// What the lines read so far say: each aggregate's last sequence, each partition's last
/// position (a data directory's log has one partition; a cluster's export interleaves them).
#[derive(Default)]
struct Checks {
    sequences: HashMap<StreamId, u64>,
    positions: HashMap<i32, u64>,
}

impl Checks {
    fn line(&mut self, line: &str) -> Result<Append, String> {
        let e: ExportedEvent =
            serde_json::from_str(line).map_err(|e| format!("not an exported event ({e})"))?;
        for (field, id) in [
            ("instance_id", &e.instance_id),
            ("aggregate_id", &e.aggregate_id),
            ("creator", &e.creator),
        ] {
            if id.len() > MAX_ID || id.chars().any(char::is_control) {
                return Err(format!(
                    "{field} must be at most {MAX_ID} characters, without control characters"
                ));
            }
        }
        let position: u64 = e
            .position
            .parse()
            .map_err(|_| format!("position {:?} is not a number", e.position))?;
        let (partition, _) = eventlog::position::untag(position);
        let last = self.positions.entry(partition).or_default();
        if position <= *last {
            return Err(format!(
                "position {position} follows {last}: an export lists the log in order"
            ));
        }
        *last = position;
        let event = DomainEvent::from_fields(&e.aggregate_type, &e.event_type, &e.payload)
            .map_err(|err| err.message)?;
        let stream = StreamId::new(&e.instance_id, &e.aggregate_type, &e.aggregate_id);
        let last = self.sequences.get(&stream).copied().unwrap_or(0);
        if e.sequence != last + 1 {
            return Err(format!(
                "{} {} has sequence {} next, where {} follows its events so far",
                e.aggregate_type,
                e.aggregate_id,
                e.sequence,
                last + 1
            ));
        }
        self.sequences.insert(stream.clone(), e.sequence);
        let owners = match last {
            0 => event.creation_owners(),
            _ => event.event_owners(),
        };
        let (schema_version, payload) = event.encode();
        Ok(Append {
            stream,
            expected_version: last,
            events: vec![NewEvent {
                event_type: e.event_type,
                schema_version,
                payload,
                creator: e.creator,
                created_at: e.created_at,
            }],
            owners,
        })
    }
}

/// Folds the new log's write-ahead file into it, so that the one file holds it all.
fn settle(path: &Path) -> Result<(), String> {
    let conn =
        rusqlite::Connection::open(path).map_err(|e| format!("cannot settle the log: {e}"))?;
    conn.pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| format!("cannot settle the log: {e}"))?;
    conn.close()
        .map_err(|(_, e)| format!("cannot settle the log: {e}"))?;
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot settle the log: {e}"))
}

fn remove_log(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}
