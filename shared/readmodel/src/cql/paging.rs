//! Lists page with the driver's paging state. A list reads one partition (or, for a limited
//! readable scope, one per org it holds, and ids it already knows), merged by id. Its cursor
//! holds, for each partition it has read from, the driver's paging state of the page it stopped
//! in and how many of that page's rows were given, so that the next page resumes each partition
//! where it stopped instead of searching for the last id again; and the last id given, which
//! partitions it has not read yet (and ids already known) start after. The cursor is opaque
//! (base64url of JSON), valid on any gateway, after restarts and with any page size: a paging
//! state names a position in its partition, not a page.

use std::collections::{BTreeMap, BTreeSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::{Code, Error};
use scylla::deserialize::row::DeserializeRow;
use scylla::response::{PagingState, PagingStateResponse};
use scylla::statement::Statement;
use scylla::value::CqlValue;
use serde::{Deserialize, Serialize};

use super::{storage, CqlReadModel};

/// Where a list's rows come from.
pub(super) enum Source<R> {
    /// The rows of one partition, in clustering order: a statement with the partition key's
    /// values and no `LIMIT`, and the name the cursor knows the partition by.
    Partition {
        name: String,
        cql: &'static str,
        values: Vec<CqlValue>,
    },
    /// Rows already known to belong (such as the caller's own user).
    Known(Vec<R>),
}

impl<R> Source<R> {
    /// A partition of text keys.
    pub(super) fn partition(name: impl Into<String>, cql: &'static str, keys: &[&str]) -> Self {
        Source::Partition {
            name: name.into(),
            cql,
            values: keys.iter().map(|k| CqlValue::Text(k.to_string())).collect(),
        }
    }
}

/// Where a partition resumes: the paging state its page began at (none: the first page) and
/// how many of the page's rows were given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Resume {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(default)]
    skip: usize,
}

/// What a cursor holds.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// The last id given.
    after: String,
    /// The partitions read from, by name.
    #[serde(default)]
    at: BTreeMap<String, Resume>,
    /// The partitions read to their end.
    #[serde(default)]
    done: BTreeSet<String>,
}

impl Cursor {
    fn parse(cursor: Option<&str>) -> Result<Cursor, Error> {
        let Some(text) = cursor.filter(|c| !c.is_empty()) else {
            return Ok(Cursor::default());
        };
        URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or_else(|| {
                Error::new(
                    Code::InvalidQuery,
                    "cursor is not a next_cursor this server gave out",
                )
                .with("field", "cursor")
            })
    }

    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// The last id a cursor's page gave (empty for the first page), for lists that filter ids
/// they know.
pub(super) fn after(cursor: Option<&str>) -> Result<String, Error> {
    Ok(Cursor::parse(cursor)?.after)
}

/// The id of a row whose first column is its id.
pub(super) fn first(row: &(String,)) -> &str {
    &row.0
}

/// A row read from a partition, with where the partition resumes after it.
struct Candidate<R> {
    row: R,
    then: Resume,
}

/// What one partition gave: up to the rows asked for, and whether it has no more.
struct Read<R> {
    rows: Vec<Candidate<R>>,
    ended: bool,
}

impl CqlReadModel {
    /// Up to `n` rows of a partition with ids after `after`, from `from` on. Each page asked
    /// of the driver ends where the rows wanted end, so that a fully given page resumes from
    /// the paging state the driver answered.
    async fn read_partition<R>(
        &self,
        cql: &'static str,
        values: &[CqlValue],
        from: &Resume,
        after: &str,
        n: usize,
        id: fn(&R) -> &str,
    ) -> Result<Read<R>, Error>
    where
        R: for<'f, 'm> DeserializeRow<'f, 'm>,
    {
        let mut state = match &from.state {
            Some(s) => {
                PagingState::new_from_raw_bytes(URL_SAFE_NO_PAD.decode(s).map_err(|_| {
                    Error::new(
                        Code::InvalidQuery,
                        "cursor is not a next_cursor this server gave out",
                    )
                    .with("field", "cursor")
                })?)
            }
            None => PagingState::start(),
        };
        let mut skip = from.skip;
        let mut rows = Vec::new();
        loop {
            let wanted = skip + (n - rows.len());
            let page_size = i32::try_from(wanted.clamp(1, 5000)).unwrap_or(5000);
            let statement = Statement::new(cql).with_page_size(page_size);
            let (result, next) = self
                .inner
                .session
                .execute_single_page(statement, values, state.clone())
                .await
                .map_err(|e| storage(format!("{e} (in {cql})")))?;
            let page = result
                .into_rows_result()
                .map_err(|e| storage(format!("{e} (in {cql})")))?;
            let began = state
                .as_bytes_slice()
                .map(|b| URL_SAFE_NO_PAD.encode(b.as_ref()));
            let (count, next_state) = match &next {
                PagingStateResponse::HasMorePages { state } => (
                    page.rows_num(),
                    state
                        .as_bytes_slice()
                        .map(|b| URL_SAFE_NO_PAD.encode(b.as_ref())),
                ),
                PagingStateResponse::NoMorePages => (page.rows_num(), None),
            };
            for (index, row) in page.rows::<R>().map_err(storage)?.enumerate() {
                let row = row.map_err(storage)?;
                if index < skip || id(&row) <= after {
                    continue;
                }
                // After the page's last row, the driver's state says where the next begins.
                let then = match (&next_state, index + 1 == count) {
                    (Some(s), true) => Resume {
                        state: Some(s.clone()),
                        skip: 0,
                    },
                    _ => Resume {
                        state: began.clone(),
                        skip: index + 1,
                    },
                };
                rows.push(Candidate { row, then });
                if rows.len() == n {
                    let ended = match (&next, index + 1 == count) {
                        (PagingStateResponse::NoMorePages, true) => true,
                        // A full page leaves the driver unsure whether rows follow: ask for one.
                        (PagingStateResponse::HasMorePages { state }, true) => {
                            self.is_empty_after(cql, values, state.clone()).await?
                        }
                        (_, false) => false,
                    };
                    return Ok(Read { rows, ended });
                }
            }
            match next {
                PagingStateResponse::NoMorePages => return Ok(Read { rows, ended: true }),
                PagingStateResponse::HasMorePages { state: s } => {
                    skip = skip.saturating_sub(count);
                    state = s;
                }
            }
        }
    }

    /// Whether a partition has no row from `state` on.
    async fn is_empty_after(
        &self,
        cql: &'static str,
        values: &[CqlValue],
        state: PagingState,
    ) -> Result<bool, Error> {
        let (result, next) = self
            .inner
            .session
            .execute_single_page(Statement::new(cql).with_page_size(1), values, state)
            .await
            .map_err(|e| storage(format!("{e} (in {cql})")))?;
        let rows = result
            .into_rows_result()
            .map_err(|e| storage(format!("{e} (in {cql})")))?
            .rows_num();
        Ok(rows == 0 && matches!(next, PagingStateResponse::NoMorePages))
    }

    /// A page of `n` rows of the sources, by id, each once; and the cursor of the next page.
    pub(super) async fn paged<R>(
        &self,
        sources: Vec<Source<R>>,
        cursor: Option<&str>,
        n: usize,
        id: fn(&R) -> &str,
    ) -> Result<(Vec<R>, Option<String>), Error>
    where
        R: for<'f, 'm> DeserializeRow<'f, 'm>,
    {
        let cursor = Cursor::parse(cursor)?;
        // Every source's candidates: a page of each.
        let mut reads: Vec<(String, Read<R>)> = Vec::new();
        let mut known: Vec<R> = Vec::new();
        for source in sources {
            match source {
                Source::Partition { name, cql, values } => {
                    if cursor.done.contains(&name) {
                        continue;
                    }
                    let from = cursor.at.get(&name).cloned().unwrap_or_default();
                    let read = self
                        .read_partition(cql, &values, &from, &cursor.after, n, id)
                        .await?;
                    reads.push((name, read));
                }
                Source::Known(rows) => {
                    known.extend(rows.into_iter().filter(|r| id(r) > cursor.after.as_str()))
                }
            }
        }
        let ids: BTreeSet<&str> = reads
            .iter()
            .flat_map(|(_, r)| r.rows.iter().map(|c| id(&c.row)))
            .chain(known.iter().map(id))
            .collect();
        let mut more = ids.len() > n;
        let Some(last) = ids.iter().take(n).next_back().map(|s| s.to_string()) else {
            return Ok((Vec::new(), None));
        };
        let mut next = Cursor {
            after: last.clone(),
            at: cursor.at,
            done: cursor.done,
        };
        let mut page: BTreeMap<String, R> = BTreeMap::new();
        for (name, read) in reads {
            let given = read
                .rows
                .iter()
                .take_while(|c| id(&c.row) <= last.as_str())
                .count();
            let all = given == read.rows.len();
            for (i, c) in read.rows.into_iter().enumerate() {
                if i + 1 == given {
                    next.at.insert(name.clone(), c.then);
                }
                if i < given {
                    page.entry(id(&c.row).to_string()).or_insert(c.row);
                }
            }
            match (all, read.ended) {
                (true, true) => {
                    next.at.remove(&name);
                    next.done.insert(name);
                }
                // Its rows after the page are not read yet.
                (true, false) => more = true,
                (false, _) => {}
            }
        }
        for row in known {
            if id(&row) <= last.as_str() {
                page.entry(id(&row).to_string()).or_insert(row);
            }
        }
        let next_cursor = more.then(|| next.encode());
        Ok((page.into_values().collect(), next_cursor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_refuses_anything_else() {
        let mut c = Cursor {
            after: "u-42".into(),
            ..Default::default()
        };
        c.at.insert(
            "org-1".into(),
            Resume {
                state: Some("AAEC".into()),
                skip: 3,
            },
        );
        c.done.insert("org-2".into());
        assert_eq!(Cursor::parse(Some(&c.encode())).unwrap(), c);
        assert_eq!(Cursor::parse(None).unwrap(), Cursor::default());
        for bad in ["u-42", "not base64!", &URL_SAFE_NO_PAD.encode("[1]")] {
            let e = Cursor::parse(Some(bad)).unwrap_err();
            assert_eq!(e.code, Code::InvalidQuery, "{bad}");
        }
    }
}
