//! The audit trail of the caller's instance: pages of it, and a watch of what is applied next.

use std::collections::BTreeMap;
use std::time::Duration;

use authz::{Permission, Target};
use domain::{Code, Error};
use readmodel::{EventFilter, EventRow, Older};

use eventlog::position::{tag, untag, MAX_PARTITIONS};

use super::require;
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{limit, EventView, PageView};
use crate::Gateway;

/// What a page (or a watch) of the trail asks for.
pub struct EventQuery {
    pub aggregate_type: Option<String>,
    pub aggregate_id: Option<String>,
    /// A page's `next_cursor`, as received (a list's; a watch takes `after_position`).
    pub cursor: Option<String>,
    /// As received: one position, or (a watch's resume point) one per log partition,
    /// separated by commas.
    pub after_position: Option<String>,
    pub limit: Option<usize>,
    /// `log` (the default: log order, after `after_position`) or `newest` (newest first, by
    /// the time each event was written).
    pub order: Option<String>,
}

/// A list's `order=newest`.
pub const NEWEST: &str = "newest";

fn may_read(gw: &Gateway, auth: &Authenticated) -> Result<(), Error> {
    let target = Target::Instance {
        instance: &auth.instance,
    };
    require(gw, auth, Permission::EVENTS_READ, target)
}

/// The positions of the query field `field` (`cursor` or `after_position`), as received.
fn positions(after: Option<&str>, field: &str) -> Result<Vec<u64>, Error> {
    let Some(after) = after else {
        return Ok(Vec::new());
    };
    after
        .split(',')
        .map(|p| p.trim().parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            Error::new(
                Code::InvalidQuery,
                format!("{field} is not a position this server gave out"),
            )
            .with("field", field)
        })
}

/// Events of the instance in log order; hashes redacted. `next_cursor` goes back as
/// `cursor` (or, the same, as `after_position`). `events.read`.
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    q: EventQuery,
) -> Result<PageView<EventView>, Error> {
    may_read(gw, auth)?;
    let limit = limit(q.limit)?;
    match q.order.as_deref() {
        None | Some("log") => {}
        Some(NEWEST) => return newest(gw, auth, q, limit).await,
        Some(_) => {
            return Err(
                Error::new(Code::InvalidQuery, "order is log (the default) or newest")
                    .with("field", "order"),
            )
        }
    }
    let (field, after) = match (q.cursor, q.after_position) {
        (Some(c), Some(p)) if c != p => {
            return Err(Error::new(
                Code::InvalidQuery,
                "cursor and after_position name different places: send one of them",
            )
            .with("field", "cursor"))
        }
        (Some(cursor), _) => ("cursor", Some(cursor)),
        (None, position) => ("after_position", position),
    };
    let after = positions(after.as_deref(), field)?;
    if after.len() > 1 {
        return Err(
            Error::new(Code::InvalidQuery, format!("{field} is one position")).with("field", field),
        );
    }
    let filter = EventFilter {
        aggregate_type: q.aggregate_type,
        aggregate_id: q.aggregate_id,
        after_position: after.first().copied().unwrap_or(0),
    };
    let instance = auth.instance.clone();
    let rows = read(gw, move |m| m.events(&instance, &filter, limit)).await?;
    let next_cursor = (rows.len() == limit)
        .then(|| rows.last().map(|e| e.position.to_string()))
        .flatten();
    Ok(PageView {
        items: rows.into_iter().map(EventView::from).collect(),
        next_cursor,
    })
}

/// A page of the trail newest first (`order=newest`): its `next_cursor` names the last event
/// given, `<created_at>.<position>`, and the next page holds the events written before it.
async fn newest(
    gw: &Gateway,
    auth: &Authenticated,
    q: EventQuery,
    limit: usize,
) -> Result<PageView<EventView>, Error> {
    if q.after_position.is_some() {
        return Err(Error::new(
            Code::InvalidQuery,
            "after_position is for the log order: a page newest first goes on from its cursor",
        )
        .with("field", "after_position"));
    }
    let before = match q.cursor.as_deref() {
        None => None,
        Some(cursor) => Some(older(cursor).ok_or_else(|| {
            Error::new(
                Code::InvalidQuery,
                "cursor is not a next_cursor of a page newest first",
            )
            .with("field", "cursor")
        })?),
    };
    let filter = EventFilter {
        aggregate_type: q.aggregate_type,
        aggregate_id: q.aggregate_id,
        after_position: 0,
    };
    let instance = auth.instance.clone();
    let page = read(gw, move |m| {
        m.latest_events(&instance, &filter, before, limit)
    })
    .await?;
    Ok(PageView {
        items: page.items.into_iter().map(EventView::from).collect(),
        next_cursor: page
            .older
            .map(|o| format!("{}.{}", o.created_at, o.position)),
    })
}

/// A newest-first page's cursor, `<created_at>.<position>`.
fn older(cursor: &str) -> Option<Older> {
    let (created_at, position) = cursor.split_once('.')?;
    Some(Older {
        created_at: created_at.parse().ok().filter(|t: &i64| *t >= 0)?,
        position: position.parse().ok()?,
    })
}

/// Where a partition's positions start (its first is one after).
fn before_first(partition: i32) -> u64 {
    tag(partition, 0)
}

/// A watch's `after_position` that starts after everything the read models hold.
pub const NOW: &str = "now";

/// What one long poll of the trail answers: the new events, and where to resume after them.
pub struct Polled {
    pub events: Vec<EventRow>,
    pub resume_after: String,
}

/// One long poll of a watch (`GET /v1/events/watch`): the events after its resume point, or,
/// when there are none yet, the first to come within `wait`.
pub async fn poll(
    gw: &Gateway,
    auth: &Authenticated,
    q: EventQuery,
    wait: Duration,
) -> Result<Polled, Error> {
    let mut watch = Watch::open(gw, auth, q)?;
    let events: Vec<EventRow> = watch
        .next(gw, wait)
        .await?
        .into_iter()
        .map(|(event, _)| event)
        .collect();
    Ok(Polled {
        events,
        resume_after: watch.resume_after(),
    })
}

/// A watch's resume point as received: at most one position of each partition a log may have
/// (what [`Watch::resume_after`] gives out).
fn resume_point(positions: Vec<u64>) -> Result<BTreeMap<i32, u64>, Error> {
    let mut seen = BTreeMap::new();
    for p in positions {
        let partition = untag(p).0;
        if partition >= MAX_PARTITIONS || seen.insert(partition, p).is_some() {
            return Err(Error::new(
                Code::InvalidQuery,
                "after_position is not a resume point this server gave out: send the resume_after of the last answer",
            )
            .with("field", "after_position"));
        }
    }
    Ok(seen)
}

/// How many events one read of a watch takes.
const WATCH_BATCH: usize = 500;

/// A watch of the trail: the events after a resume point, then each new one as the read
/// models apply it. Positions are ordered within a log partition (the embedded log has one),
/// so the watch keeps one resume position per partition: [`Watch::resume_after`] after an
/// event is what to send back as `after_position` to go on from there.
pub struct Watch {
    instance: String,
    aggregate_type: Option<String>,
    aggregate_id: Option<String>,
    /// The last position seen of each partition.
    seen: BTreeMap<i32, u64>,
}

impl Watch {
    /// Opens a watch. `events.read`, checked now.
    pub fn open(gw: &Gateway, auth: &Authenticated, q: EventQuery) -> Result<Watch, Error> {
        may_read(gw, auth)?;
        let seen = match q.after_position.as_deref() {
            // From now on: after what the read models hold of each partition.
            Some(NOW) => (gw.model.progress().applied().0.into_iter())
                .map(|(partition, applied)| (partition, tag(partition, applied)))
                .collect(),
            after => resume_point(positions(after, "after_position")?)?,
        };
        Ok(Watch {
            instance: auth.instance.clone(),
            aggregate_type: q.aggregate_type,
            aggregate_id: q.aggregate_id,
            seen,
        })
    }

    /// Whether the watch may go on for its caller as authenticated again: `events.read`.
    pub fn may_go_on(gw: &Gateway, auth: &Authenticated) -> Result<(), Error> {
        may_read(gw, auth)
    }

    /// Where to resume after everything returned so far.
    pub fn resume_after(&self) -> String {
        let parts: Vec<String> = self.seen.values().map(u64::to_string).collect();
        parts.join(",")
    }

    /// The next events of one partition the read models hold (none if it has no new ones),
    /// in log order.
    async fn next_of(&self, gw: &Gateway, partition: i32) -> Result<Vec<EventRow>, Error> {
        // Positions of a partition start at 1 within it.
        let after = self
            .seen
            .get(&partition)
            .copied()
            .unwrap_or(before_first(partition));
        let filter = EventFilter {
            aggregate_type: self.aggregate_type.clone(),
            aggregate_id: self.aggregate_id.clone(),
            after_position: after,
        };
        let instance = self.instance.clone();
        let rows = read(gw, move |m| m.events(&instance, &filter, WATCH_BATCH)).await?;
        Ok(rows
            .into_iter()
            .take_while(|e| untag(e.position).0 == partition)
            .collect())
    }

    /// The next events, each with where to resume after it: what the read models hold after
    /// the resume point, waiting (up to `wait`) for more when there is nothing new. Empty when
    /// the wait ran out.
    pub async fn next(
        &mut self,
        gw: &Gateway,
        wait: Duration,
    ) -> Result<Vec<(EventRow, String)>, Error> {
        let mut changed = gw.model.progress().subscribe();
        loop {
            let partitions: Vec<i32> = gw.model.progress().applied().0.keys().copied().collect();
            let mut found = Vec::new();
            for partition in partitions {
                for event in self.next_of(gw, partition).await? {
                    self.seen.insert(partition, event.position);
                    let resume_after = self.resume_after();
                    found.push((event, resume_after));
                }
            }
            if !found.is_empty() {
                return Ok(found);
            }
            match tokio::time::timeout(wait, changed.changed()).await {
                Ok(Ok(())) => continue,
                _ => return Ok(Vec::new()),
            }
        }
    }
}
