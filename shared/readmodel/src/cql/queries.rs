//! What the CQL queries share (`*_queries.rs` hold the gateway's queries by concern). Lists page
//! by their clustering key (the last id of a page is the next one's cursor), so a cursor stays
//! valid across gateways and restarts; a limited readable scope reads one partition per org it
//! holds, merged by id.

use std::collections::BTreeSet;
use std::future::Future;

use domain::Error;
use scylla::value::CqlValue;

use super::{storage, CqlReadModel};

/// A `LIMIT ?` value: bound, not written into the statement, so that every page size shares
/// one prepared statement.
pub(super) fn limit(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The `LIMIT` of a page of `limit` rows and the one that tells whether another page follows.
pub(super) fn rows_for(limit: usize) -> i32 {
    self::limit(limit.saturating_add(1))
}

/// Where a list's ids come from: a partition of ids in order (its statement takes the partition
/// key's values, then the cursor), or ids already known to belong.
pub(super) enum Ids {
    Partition(String, Vec<String>),
    Known(Vec<String>),
}

impl CqlReadModel {
    /// Runs an async query of an owned clone of the model, blocking.
    pub(super) fn query<T: Send + 'static, F>(
        &self,
        f: impl FnOnce(CqlReadModel) -> F,
    ) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        self.block(f(self.clone()))
    }

    /// All rows of a query, deserialized.
    pub(super) async fn all<R>(
        &self,
        cql: &str,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<Vec<R>, Error>
    where
        R: for<'f, 'm> scylla::deserialize::row::DeserializeRow<'f, 'm>,
    {
        self.rows(cql, values)
            .await?
            .rows::<R>()
            .map_err(storage)?
            .map(|r| r.map_err(storage))
            .collect()
    }

    /// The first `n` ids after `cursor` of all the sources, in order, once each.
    pub(super) async fn merged(
        &self,
        sources: Vec<Ids>,
        cursor: &str,
        n: usize,
    ) -> Result<Vec<String>, Error> {
        let mut ids = BTreeSet::new();
        for source in sources {
            match source {
                Ids::Partition(cql, keys) => {
                    let mut values: Vec<CqlValue> = keys.into_iter().map(CqlValue::Text).collect();
                    values.push(CqlValue::Text(cursor.to_string()));
                    values.push(CqlValue::Int(limit(n)));
                    ids.extend(self.column(&format!("{cql} LIMIT ?"), values).await?);
                }
                Ids::Known(known) => {
                    ids.extend(known.into_iter().filter(|id| id.as_str() > cursor))
                }
            }
        }
        Ok(ids.into_iter().take(n).collect())
    }
}
