//! The audit trail: every event of an instance as the API shows it (`GET /v1/events`), with
//! secrets redacted: password hashes, token and code hashes, secret hashes and sealed values
//! (an SMTP password, a code on its way) never leave the server.

use domain::DomainEvent;
use eventlog::StoredEvent;
use rusqlite::{params_from_iter, Connection};
use serde_json::Value;

use crate::model::TrailQueries;
use crate::projection::exec;
use crate::store::SqliteReadModel;

pub const REDACTED: &str = "[redacted]";

/// An event as `/v1/events` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    pub position: u64,
    pub instance_id: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: u64,
    pub event_type: String,
    pub creator: String,
    pub created_at: i64,
    pub payload: Value,
}

/// Which events to list.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub aggregate_type: Option<String>,
    pub aggregate_id: Option<String>,
    pub after_position: u64,
}

/// Where a page of the newest events ended: the next page holds the events written before it
/// (by time, then by position).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Older {
    pub created_at: i64,
    pub position: u64,
}

impl Older {
    /// Where a page that ended with `e` goes on.
    pub fn than(e: &EventRow) -> Older {
        Older {
            created_at: e.created_at,
            position: e.position,
        }
    }
}

/// A page of the newest events, and where the next one starts (none: no older event).
#[derive(Clone, Debug, PartialEq)]
pub struct LatestPage {
    pub items: Vec<EventRow>,
    pub older: Option<Older>,
}

impl LatestPage {
    /// A page of `items` read up to `limit`: it goes on after its last event when it is full.
    pub fn of(items: Vec<EventRow>, limit: usize) -> LatestPage {
        let older = (items.len() == limit)
            .then(|| items.last().map(Older::than))
            .flatten();
        LatestPage { items, older }
    }
}

fn is_secret(key: &str) -> bool {
    key.ends_with("_hash")
        || key.starts_with("sealed")
        || matches!(
            key,
            "password" | "secret" | "token" | "client_secret" | "sealed"
        )
}

fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret(k) {
                    if !v.is_null() {
                        *v = Value::String(REDACTED.into());
                    }
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The event's fields as JSON, secrets redacted.
pub fn payload(event: &DomainEvent) -> Value {
    let mut fields = event.fields();
    redact(&mut fields);
    fields
}

/// Records the event as stored (its encoded payload): turning it into redacted JSON is left to
/// the rare reads of the trail, so that projection stays fast.
pub(crate) fn record(tx: &Connection, stored: &StoredEvent) -> rusqlite::Result<()> {
    exec(tx,
        "INSERT OR IGNORE INTO events (position, instance, aggregate_type, aggregate_id, sequence, type, creator, created_at, schema_version, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![
            stored.position as i64,
            stored.stream.instance,
            stored.stream.kind,
            stored.stream.id,
            stored.version as i64,
            stored.event.event_type,
            stored.event.creator,
            stored.event.created_at,
            stored.event.schema_version,
            stored.event.payload,
        ],
    )?;
    Ok(())
}

impl TrailQueries for SqliteReadModel {
    fn signing_keys(&self, instance: &str) -> Result<Vec<crate::KeyRow>, domain::Error> {
        self.keys(instance)
    }

    fn events(
        &self,
        instance: &str,
        filter: &EventFilter,
        limit: usize,
    ) -> Result<Vec<EventRow>, domain::Error> {
        let mut args: Vec<rusqlite::types::Value> = vec![
            instance.to_string().into(),
            (filter.after_position as i64).into(),
        ];
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE instance = ? AND position > ?{} \
             ORDER BY position LIMIT {limit}",
            narrowed(filter, &mut args)
        );
        self.event_rows(&sql, args)
    }

    fn latest_events(
        &self,
        instance: &str,
        filter: &EventFilter,
        before: Option<Older>,
        limit: usize,
    ) -> Result<LatestPage, domain::Error> {
        let before = before.unwrap_or(Older {
            created_at: i64::MAX,
            position: u64::MAX,
        });
        let position = i64::try_from(before.position).unwrap_or(i64::MAX);
        let mut args: Vec<rusqlite::types::Value> = vec![
            instance.to_string().into(),
            before.created_at.into(),
            before.created_at.into(),
            position.into(),
        ];
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE instance = ? \
             AND (created_at < ? OR (created_at = ? AND position < ?)){} \
             ORDER BY created_at DESC, position DESC LIMIT {limit}",
            narrowed(filter, &mut args)
        );
        Ok(LatestPage::of(self.event_rows(&sql, args)?, limit))
    }
}

const EVENT_COLUMNS: &str = "position, instance, aggregate_type, aggregate_id, sequence, type, \
    creator, created_at, schema_version, payload";

/// The conditions of `filter`'s aggregate type and id, their values added to `args`.
fn narrowed(filter: &EventFilter, args: &mut Vec<rusqlite::types::Value>) -> String {
    let mut sql = String::new();
    if let Some(t) = &filter.aggregate_type {
        sql.push_str(" AND aggregate_type = ?");
        args.push(t.clone().into());
    }
    if let Some(id) = &filter.aggregate_id {
        sql.push_str(" AND aggregate_id = ?");
        args.push(id.clone().into());
    }
    sql
}

impl SqliteReadModel {
    /// The events a query of [`EVENT_COLUMNS`] selects, their payloads redacted.
    fn event_rows(
        &self,
        sql: &str,
        args: Vec<rusqlite::types::Value>,
    ) -> Result<Vec<EventRow>, domain::Error> {
        self.read(|c| {
            let mut st = c.prepare_cached(sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), |r| {
                let aggregate_type: String = r.get(2)?;
                let event_type: String = r.get(5)?;
                let bytes: Vec<u8> = r.get(9)?;
                let payload = DomainEvent::decode(&aggregate_type, &event_type, r.get(8)?, &bytes)
                    .map(|e| payload(&e))
                    .unwrap_or(Value::Null);
                Ok(EventRow {
                    position: r.get::<_, i64>(0)? as u64,
                    instance_id: r.get(1)?,
                    aggregate_type,
                    aggregate_id: r.get(3)?,
                    sequence: r.get::<_, i64>(4)? as u64,
                    event_type,
                    creator: r.get(6)?,
                    created_at: r.get(7)?,
                    payload,
                })
            })?;
            rows.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::user::UserEvent;

    #[test]
    fn hashes_are_redacted_and_the_variant_tag_is_dropped() {
        let e = DomainEvent::User(UserEvent::PatAdded {
            pat_id: "p1".into(),
            token_hash: "abcdef".into(),
            expires_at: None,
        });
        assert_eq!(
            payload(&e),
            serde_json::json!({"pat_id": "p1", "token_hash": REDACTED, "expires_at": null})
        );
    }
}
