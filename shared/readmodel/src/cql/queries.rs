//! What the CQL queries share (`*_queries.rs` hold the gateway's queries by concern; lists page
//! as `paging` says).

use std::future::Future;

use domain::Error;

use super::{storage, CqlReadModel};

/// A `LIMIT ?` value: bound, not written into the statement, so that every page size shares
/// one prepared statement.
pub(super) fn limit(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
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
}
