//! The CQL schema: the keyspace, and the versioned files of `deploy/scylla/` applied in order.
//! Each applied file is recorded in `schema_migrations`; every statement is `IF NOT EXISTS`, so
//! a migration stopped midway (or run by two jobs at once) is finished by running it again.

use std::time::Duration;

use domain::Error;

use scylla::client::session::Session;
use scylla::response::{PagingState, PagingStateResponse};
use scylla::statement::Statement;

use super::{block_on, runtime, session, storage};
pub use crate::cql_settings::{keyspace_name, Replication};

/// The versioned schema files, in order.
const MIGRATIONS: [(i32, &str, &str); 5] = [
    (
        1,
        "0001_read_models.cql",
        include_str!("../../../../deploy/scylla/0001_read_models.cql"),
    ),
    (
        2,
        "0002_outbox.cql",
        include_str!("../../../../deploy/scylla/0002_outbox.cql"),
    ),
    (
        3,
        "0003_users_by_email.cql",
        include_str!("../../../../deploy/scylla/0003_users_by_email.cql"),
    ),
    (
        4,
        "0004_users_by_login_prefix.cql",
        include_str!("../../../../deploy/scylla/0004_users_by_login_prefix.cql"),
    ),
    (
        5,
        "0005_events_by_day.cql",
        include_str!("../../../../deploy/scylla/0005_events_by_day.cql"),
    ),
];

/// The statements of a schema file: comments dropped, split at `;`.
fn statements(file: &str) -> Vec<String> {
    let text: Vec<&str> = file
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect();
    text.join("\n")
        .split(';')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Runs `f` on a session of `nodes` (no keyspace), on a runtime of its own, and waits for it.
fn with_session<T, F>(
    nodes: &[String],
    schema_metadata: bool,
    f: impl FnOnce(Session) -> F + Send + 'static,
) -> Result<T, String>
where
    T: Send + 'static,
    F: std::future::Future<Output = Result<T, Error>> + Send,
{
    let rt = runtime().map_err(|e| e.message)?;
    let nodes = nodes.to_vec();
    let done = block_on(&rt, async move {
        f(session(&nodes, None, None, schema_metadata).await?).await
    });
    std::thread::spawn(move || rt.shutdown_timeout(Duration::from_secs(1)));
    done.map_err(|e| e.message)
}

/// Runs one unprepared statement (schema changes).
async fn run(s: &Session, cql: String) -> Result<(), Error> {
    s.query_unpaged(cql.as_str(), ())
        .await
        .map_err(|e| storage(format!("{e} (in {cql})")))?;
    Ok(())
}

/// The rows a schema file's new tables need from what the read models held before it, written
/// before the file is recorded as applied (a fill stopped midway is done again: each row is an
/// upsert).
async fn fill(s: &Session, version: i32) -> Result<(), Error> {
    match version {
        4 => fill_login_prefixes(s).await,
        5 => fill_event_days(s).await,
        _ => Ok(()),
    }
}

/// How many rows a fill reads at a time.
const FILL_PAGE: i32 = 1000;

/// Every row `select` reads, page by page, each handed to `write`; the rows done so far are
/// logged after each page as `what`.
async fn scan<R, F, W>(s: &Session, select: &str, what: &str, mut write: F) -> Result<(), Error>
where
    R: for<'f, 'm> scylla::deserialize::row::DeserializeRow<'f, 'm>,
    F: FnMut(R) -> W,
    W: std::future::Future<Output = Result<(), scylla::errors::ExecutionError>>,
{
    let select = Statement::new(select).with_page_size(FILL_PAGE);
    let (mut state, mut filled) = (PagingState::start(), 0u64);
    loop {
        let (page, next) = s
            .query_single_page(select.clone(), (), state)
            .await
            .map_err(storage)?;
        let rows = page.into_rows_result().map_err(storage)?;
        for row in rows.rows::<R>().map_err(storage)? {
            write(row.map_err(storage)?).await.map_err(storage)?;
            filled += 1;
        }
        tracing::info!(rows = filled, "filling {what}");
        match next {
            PagingStateResponse::HasMorePages { state: more } => state = more,
            PagingStateResponse::NoMorePages => return Ok(()),
        }
    }
}

/// `users_by_login_prefix` (0004) for the users that were there before it, from the
/// login-name index.
async fn fill_login_prefixes(s: &Session) -> Result<(), Error> {
    let insert = &s
        .prepare(
            "INSERT INTO users_by_login_prefix (instance, initial, username_lower, id) \
             VALUES (?, ?, ?, ?)",
        )
        .await
        .map_err(storage)?;
    let select = "SELECT instance, username_lower, id FROM users_by_login";
    scan(
        s,
        select,
        "the index of login names' starts",
        |(instance, login, id): (String, String, String)| async move {
            let initial = super::user_projection::initial(&login);
            s.execute_unpaged(insert, (&instance, &initial, &login, &id))
                .await
                .map(|_| ())
        },
    )
    .await
}

/// An event as the trail's tables hold it.
type EventRow = (
    String,
    i64,
    String,
    String,
    i64,
    String,
    String,
    i64,
    i32,
    Vec<u8>,
);

/// `events_by_day` and `event_days` (0005) for the events written before them, from the trail.
async fn fill_event_days(s: &Session) -> Result<(), Error> {
    let by_day = &s
        .prepare(
            "INSERT INTO events_by_day (instance, day, created_at, position, aggregate_type, \
             aggregate_id, sequence, type, creator, schema_version, payload) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .await
        .map_err(storage)?;
    let days = &s
        .prepare("INSERT INTO event_days (instance, day) VALUES (?, ?)")
        .await
        .map_err(storage)?;
    let select = "SELECT instance, position, aggregate_type, aggregate_id, sequence, type, \
        creator, created_at, schema_version, payload FROM events";
    scan(
        s,
        select,
        "the audit trail's days",
        |row: EventRow| async move {
            let (instance, position, kind, id, sequence, event_type, creator, at, schema, payload) =
                row;
            let day = super::trail_queries::day_of(at);
            let values = (
                &instance,
                day,
                at,
                position,
                &kind,
                &id,
                sequence,
                &event_type,
                &creator,
                schema,
                &payload,
            );
            s.execute_unpaged(by_day, values).await?;
            s.execute_unpaged(days, (&instance, day)).await.map(|_| ())
        },
    )
    .await
}

/// Creates the keyspace if missing and applies the schema files it lacks; answers the names of
/// the files applied now. Blocking. `schema_metadata`: as [`super::CqlOptions`]'s.
pub fn migrate(
    nodes: &[String],
    keyspace: &str,
    replication: &Replication,
    schema_metadata: bool,
) -> Result<Vec<String>, String> {
    let keyspace = keyspace_name(keyspace)?;
    let replication = replication.cql();
    with_session(nodes, schema_metadata, move |s| async move {
        run(&s, format!(
            "CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {replication} AND durable_writes = true"
        ))
        .await?;
        run(&s, format!(
            "CREATE TABLE IF NOT EXISTS {keyspace}.schema_migrations (version int PRIMARY KEY, name text, applied_at bigint)"
        ))
        .await?;
        let done = s
            .query_unpaged(
                format!("SELECT version FROM {keyspace}.schema_migrations"),
                (),
            )
            .await
            .map_err(storage)?
            .into_rows_result()
            .map_err(storage)?
            .rows::<(i32,)>()
            .map_err(storage)?
            .map(|r| r.map(|(v,)| v))
            .collect::<Result<Vec<i32>, _>>()
            .map_err(storage)?;
        let mut applied = Vec::new();
        for (version, name, file) in MIGRATIONS {
            if done.contains(&version) {
                continue;
            }
            tracing::info!(keyspace, file = name, "applying a CQL schema file");
            s.use_keyspace(&keyspace, false).await.map_err(storage)?;
            for statement in statements(file) {
                run(&s, statement).await?;
            }
            fill(&s, version).await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_millis() as i64;
            s.query_unpaged(
                format!("INSERT INTO {keyspace}.schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
                (version, name, now),
            )
            .await
            .map_err(storage)?;
            applied.push(name.to_string());
        }
        Ok(applied)
    })
}

/// Drops a keyspace and everything in it (a test's, or a region's being retired). Blocking.
pub fn drop_keyspace(
    nodes: &[String],
    keyspace: &str,
    schema_metadata: bool,
) -> Result<(), String> {
    let keyspace = keyspace_name(keyspace)?;
    with_session(nodes, schema_metadata, move |s| async move {
        run(&s, format!("DROP KEYSPACE IF EXISTS {keyspace}")).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_files_split_into_statements_without_comments() {
        let s = statements(MIGRATIONS[0].2);
        assert!(s.len() > 20, "{}", s.len());
        assert!(
            s.iter()
                .all(|s| s.starts_with("CREATE TABLE IF NOT EXISTS ")),
            "{s:?}"
        );
        assert!(s.iter().all(|s| !s.contains("--")));
    }
}
