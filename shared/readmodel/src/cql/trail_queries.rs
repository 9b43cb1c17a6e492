//! Signing keys and the audit trail, from CQL.

use domain::{DomainEvent, Error};
use scylla::DeserializeRow;
use serde_json::Value;

use super::CqlReadModel;
use crate::model::TrailQueries;
use crate::{EventFilter, EventRow, KeyRow, LatestPage, Older};

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

/// The UTC day (days since 1970-01-01) of a time in unix milliseconds: the partition of
/// `events_by_day` it is in.
pub(crate) fn day_of(created_at: i64) -> i32 {
    created_at
        .div_euclid(86_400_000)
        .clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// How many reads one page of the newest events of an aggregate type may take: the type is no
/// key of `events_by_day`, so rows of other types are skipped as they are read, and a page
/// that has read this much ends short, with where to go on.
const LATEST_READS: usize = 20;

/// How many days with events one read of `event_days` finds.
const DAYS_PER_READ: i32 = 32;

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

    fn latest_events(
        &self,
        instance: &str,
        filter: &EventFilter,
        before: Option<Older>,
        limit: usize,
    ) -> Result<LatestPage, Error> {
        let (i, filter) = (instance.to_string(), filter.clone());
        let of_type = move |e: &EventRow| {
            filter
                .aggregate_type
                .as_ref()
                .is_none_or(|t| &e.aggregate_type == t)
        };
        let aggregate = filter.aggregate_id.clone();
        let mut at = before.unwrap_or(Older {
            created_at: i64::MAX,
            position: u64::MAX,
        });
        self.query(move |m| async move {
            let per_read = super::queries::limit(limit);
            let position = |o: &Older| i64::try_from(o.position).unwrap_or(i64::MAX);
            if let Some(id) = aggregate {
                // One aggregate's events are in one partition of the log: by position is by time.
                let rows = m
                    .all::<Event>(
                        &format!(
                            "SELECT {EVENT} FROM events_by_aggregate WHERE instance = ? \
                             AND aggregate_id = ? AND position < ? ORDER BY position DESC LIMIT ?"
                        ),
                        (&i, &id, position(&at), per_read),
                    )
                    .await?;
                let items: Vec<EventRow> = rows.into_iter().map(Event::row).collect();
                let older = (items.len() == limit)
                    .then(|| items.last().map(Older::than))
                    .flatten();
                let items = items.into_iter().filter(|e| of_type(e)).collect();
                return Ok(LatestPage { items, older });
            }
            let by_day = format!(
                "SELECT {EVENT} FROM events_by_day WHERE instance = ? AND day = ? \
                 AND (created_at, position) < (?, ?) LIMIT ?"
            );
            let (mut out, mut reads) = (Vec::new(), 0);
            let mut latest_day = day_of(at.created_at);
            loop {
                let days: Vec<(i32,)> = m
                    .all(
                        "SELECT day FROM event_days WHERE instance = ? AND day <= ? LIMIT ?",
                        (&i, latest_day, DAYS_PER_READ),
                    )
                    .await?;
                let Some(&(oldest,)) = days.last() else {
                    return Ok(LatestPage {
                        items: out,
                        older: None,
                    });
                };
                for (day,) in days {
                    loop {
                        let rows = m
                            .all::<Event>(
                                &by_day,
                                (&i, day, at.created_at, position(&at), per_read),
                            )
                            .await?;
                        reads += 1;
                        let read = rows.len();
                        for row in rows.into_iter().map(Event::row) {
                            at = Older::than(&row);
                            if of_type(&row) {
                                out.push(row);
                            }
                            if out.len() == limit {
                                return Ok(LatestPage {
                                    items: out,
                                    older: Some(at),
                                });
                            }
                        }
                        if reads == LATEST_READS {
                            return Ok(LatestPage {
                                items: out,
                                older: Some(at),
                            });
                        }
                        if read < limit {
                            break;
                        }
                    }
                }
                latest_day = oldest - 1;
            }
        })
    }
}
