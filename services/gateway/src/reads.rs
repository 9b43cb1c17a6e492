//! Read-model queries from handlers: run on the blocking pool (SQLite reads block), and the
//! read-your-writes wait of `X-Portcullis-Position`.

use std::time::Duration;

use actix_web::web;
use domain::{Code, Error};
use readmodel::ReadModel;

use crate::Gateway;

/// How long a read waits for the position it was sent (API.md "Consistency").
const WAIT: Duration = Duration::from_secs(5);

/// Runs a read-model query off the async workers.
pub async fn read<T: Send + 'static>(
    gw: &Gateway,
    f: impl FnOnce(&dyn ReadModel) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let model = gw.model.clone();
    web::block(move || f(model.as_ref()))
        .await
        .map_err(|e| Error::internal(format!("read-model query failed: {e}")))?
}

/// The most positions one `X-Portcullis-Position` may carry.
const MAX_POSITIONS: usize = 64;

/// Read-your-writes: waits (bounded, in all) for the positions a client sends back. A client
/// that wrote to aggregates of several log partitions (a cluster) sends each write's
/// position, separated by commas.
pub async fn consistent(gw: &Gateway, header: Option<&str>) -> Result<(), Error> {
    let Some(value) = header else {
        return Ok(());
    };
    let invalid = || {
        Error::new(
            Code::InvalidQuery,
            format!(
                "X-Portcullis-Position is not a position this server gave out (or up to {MAX_POSITIONS} of them, separated by commas)"
            ),
        )
    };
    let positions = value
        .split(',')
        .map(|p| p.trim().parse::<u64>().map_err(|_| invalid()))
        .collect::<Result<Vec<u64>, Error>>()?;
    if positions.len() > MAX_POSITIONS {
        return Err(invalid());
    }
    let deadline = std::time::Instant::now() + WAIT;
    for position in positions {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        gw.model.progress().wait_for(position, left).await?;
    }
    Ok(())
}

/// How long a lookup that missed waits for the read models to catch up with the log: the
/// bound a read with a position waits too (a busy cluster's read models can lag seconds).
const CATCH_UP: Duration = Duration::from_secs(5);

/// Waits (bounded) until the read models have applied every write acknowledged so far, on
/// every partition: a lookup that missed is tried again after it, so that what a client has
/// just been told exists (a new app, a new secret) is found without read-your-writes headers.
pub async fn caught_up(gw: &Gateway) -> Result<(), Error> {
    let heads = gw.bus.heads().await?;
    let deadline = std::time::Instant::now() + CATCH_UP;
    for head in heads {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        gw.model.progress().wait_for(head, left).await?;
    }
    Ok(())
}

/// `If-Match: <sequence>` of a write: the aggregate version the client last saw (quotes
/// allowed, and the weak form `W/"<sequence>"` of SCIM's ETags); a stale one is 409
/// `CONC-0001`.
pub fn if_match(header: Option<&str>) -> Result<Option<u64>, Error> {
    let Some(value) = header else {
        return Ok(None);
    };
    let value = value.trim();
    value
        .strip_prefix("W/")
        .unwrap_or(value)
        .trim_matches('"')
        .parse::<u64>()
        .ok()
        .map(Some)
        .ok_or_else(|| {
            Error::new(
                Code::InvalidIfMatch,
                "If-Match must be the sequence of the aggregate as last read",
            )
        })
}
