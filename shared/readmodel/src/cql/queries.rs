//! What the CQL queries share (`*_queries.rs` hold the gateway's queries by concern). Lists page
//! by their clustering key (the last id of a page is the next one's cursor), so a cursor stays
//! valid across gateways and restarts; a limited readable scope reads one partition per org it
//! holds, merged by id.

use std::collections::BTreeSet;
use std::future::Future;

use domain::Error;

use super::{storage, CqlReadModel};

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
                Ids::Partition(cql, mut keys) => {
                    keys.push(cursor.to_string());
                    ids.extend(self.column(&format!("{cql} LIMIT {n}"), keys).await?);
                }
                Ids::Known(known) => {
                    ids.extend(known.into_iter().filter(|id| id.as_str() > cursor))
                }
            }
        }
        Ok(ids.into_iter().take(n).collect())
    }
}
