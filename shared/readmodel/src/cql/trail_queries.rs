//! Signing keys and the audit trail, from CQL.

use domain::{DomainEvent, Error};
use scylla::DeserializeRow;
use serde_json::Value;

use super::CqlReadModel;
use crate::model::TrailQueries;
use crate::{EventFilter, EventRow, KeyRow};

#[derive(DeserializeRow)]
struct Event {
    position: i64,
    instance: String,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    r#type: String,
    creator: String,
    created_at: i64,
    schema_version: i32,
    payload: Vec<u8>,
}

const EVENT: &str = "position, instance, aggregate_type, aggregate_id, sequence, type, creator,
    created_at, schema_version, payload";

impl Event {
    fn row(self) -> EventRow {
        let payload = DomainEvent::decode(
            &self.aggregate_type,
            &self.r#type,
            self.schema_version as _,
            &self.payload,
        )
        .map(|e| crate::event_payload(&e))
        .unwrap_or(Value::Null);
        EventRow {
            position: self.position as u64,
            instance_id: self.instance,
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            sequence: self.sequence as u64,
            event_type: self.r#type,
            creator: self.creator,
            created_at: self.created_at,
            payload,
        }
    }
}

impl TrailQueries for CqlReadModel {
    fn signing_keys(&self, instance: &str) -> Result<Vec<KeyRow>, Error> {
        let i = instance.to_string();
        self.query(|m| async move {
            let rows = m
                .all::<(String, Option<String>, Option<String>, Option<Vec<u8>>, Option<String>)>(
                    "SELECT kid, alg, public_jwk, sealed, status FROM signing_keys WHERE instance = ?",
                    (&i,),
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|(kid, alg, public_jwk, sealed, status)| KeyRow {
                    kid,
                    alg: alg.unwrap_or_default(),
                    public_jwk: public_jwk.unwrap_or_default(),
                    sealed: sealed.unwrap_or_default(),
                    status: status.unwrap_or_default(),
                })
                .collect())
        })
    }

    fn events(
        &self,
        instance: &str,
        filter: &EventFilter,
        limit: usize,
    ) -> Result<Vec<EventRow>, Error> {
        let (i, filter) = (instance.to_string(), filter.clone());
        self.query(|m| async move {
            // The narrowest table for the filter; an aggregate of one id but another type is
            // skipped as it is read.
            let (table, key) = match (&filter.aggregate_id, &filter.aggregate_type) {
                (Some(id), _) => ("events_by_aggregate", Some(("aggregate_id", id.clone()))),
                (None, Some(t)) => ("events_by_type", Some(("aggregate_type", t.clone()))),
                (None, None) => ("events", None),
            };
            let cql = match &key {
                Some((column, _)) => format!(
                    "SELECT {EVENT} FROM {table} WHERE instance = ? AND {column} = ? AND position > ? LIMIT ?"
                ),
                None => format!(
                    "SELECT {EVENT} FROM {table} WHERE instance = ? AND position > ? LIMIT ?"
                ),
            };
            let mut out = Vec::new();
            let mut after = filter.after_position as i64;
            let per_read = super::queries::limit(limit);
            loop {
                let rows = match &key {
                    Some((_, value)) => m.all::<Event>(&cql, (&i, value, after, per_read)).await?,
                    None => m.all::<Event>(&cql, (&i, after, per_read)).await?,
                };
                let read = rows.len();
                if let Some(last) = rows.last() {
                    after = last.position;
                }
                out.extend(rows.into_iter().map(Event::row).filter(|e| {
                    filter
                        .aggregate_type
                        .as_ref()
                        .is_none_or(|t| &e.aggregate_type == t)
                }));
                if read < limit || out.len() >= limit {
                    out.truncate(limit);
                    return Ok(out);
                }
            }
        })
    }
}
