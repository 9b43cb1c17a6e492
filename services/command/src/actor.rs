//! The aggregate actor: holds one aggregate's state (its write model), re-checks the
//! permission against the aggregate's real owner, runs the pure `decide`, appends with the
//! expected version, applies, and replies. One message at a time (`AtomicResponse`), so there
//! are no lost updates; the log's expected-version check is the second guard.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix::prelude::*;
use authz::{Authorizer, Caller};
use domain::{authorize_take_over, codec, Aggregate, AggregateKey, Code, Ctx, Error, EventType};
use eventlog::position::Positions;
use eventlog::{Append, EventLog, LogError, NewEvent, Snapshot, StreamId};
use tracing::Instrument;

/// What a committed command answers: the aggregate's new version and the log positions it
/// reached (one per partition written).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Written {
    pub sequence: u64,
    pub position: Positions,
}

impl Written {
    /// The later of two writes (what a client should read after both).
    pub fn max_of(mut self, other: &Written) -> Written {
        self.sequence = self.sequence.max(other.sequence);
        self.position.merge(&other.position);
        self
    }
}

/// What every actor shares.
pub(crate) struct Deps {
    pub log: Arc<dyn EventLog>,
    pub authz: Authorizer,
    pub master_key: Option<crypto::sealing::MasterKey>,
    pub metrics: Arc<telemetry::Metrics>,
    pub idle: Duration,
    pub snapshot_every: u64,
}

pub(crate) struct Execute<A: Aggregate> {
    pub caller: Caller,
    pub cmd: A::Command,
    /// `If-Match`: the version the caller last saw.
    pub if_match: Option<u64>,
    /// Unix milliseconds after which the command must not run (a saga's act, whose claim is
    /// taken over once the act can no longer land).
    pub not_after: Option<i64>,
    /// The memberships of the user a take-over puts at stake (read by the bus when someone
    /// else changes a user's credentials or removes them).
    pub holdings: Option<authz::Holdings>,
    /// The sender's `command` span: the actor's work (the log append) is traced under it,
    /// although it runs on another thread.
    pub span: tracing::Span,
}

impl<A: Aggregate> Message for Execute<A> {
    type Result = Result<Written, Error>;
}

/// Reads the aggregate's current state (for sagas: does this user exist, in which org).
pub(crate) struct Peek<A>(pub std::marker::PhantomData<A>);

pub(crate) struct Peeked<A> {
    pub state: A,
    pub version: u64,
    /// The position of the aggregate's last event, when known (0: not known).
    pub position: u64,
}

impl<A: Aggregate> Message for Peek<A> {
    type Result = Result<Peeked<A>, Error>;
}

/// One live aggregate (not exported: reached only through the bus).
pub struct AggregateActor<A: Aggregate> {
    key: AggregateKey,
    state: A,
    version: u64,
    /// The log position of the aggregate's last event, when known (0: not known).
    position: u64,
    snapshot_version: u64,
    loaded: bool,
    deps: Arc<Deps>,
    last_used: Instant,
}

pub(crate) fn stream_of(key: &AggregateKey) -> StreamId {
    StreamId::new(&key.instance, key.kind, &key.id)
}

/// The log records of decided events: encoded, stamped with who caused them and when. Every
/// path that writes events (actors, plans) goes through here.
pub(crate) fn to_log<E: EventType + serde::Serialize>(
    events: &[E],
    caller: &Caller,
    now: i64,
) -> Vec<NewEvent> {
    let creator = match caller {
        Caller::Principal(p) => p.user.clone(),
        Caller::Internal { flow, .. } => format!("internal:{}", flow.name()),
    };
    events
        .iter()
        .map(|e| {
            let (schema_version, payload) = codec::encode(e);
            NewEvent {
                event_type: e.event_type().to_string(),
                schema_version,
                payload,
                creator: creator.clone(),
                created_at: now,
            }
        })
        .collect()
}

/// Refuses a command (or append) that comes after its sender's deadline: nothing is done.
pub(crate) fn check_not_after(not_after: Option<i64>, now: i64) -> Result<(), Error> {
    match not_after {
        Some(t) if now > t => Err(Error::new(
            Code::NotReady,
            "the request came too late to be run: nothing was done; send it again",
        )),
        _ => Ok(()),
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub(crate) fn log_error(e: LogError) -> Error {
    match e {
        LogError::Conflict { .. } => Error::new(
            Code::VersionConflict,
            "the aggregate changed meanwhile: retry",
        ),
        LogError::Unavailable(m) => Error::new(
            Code::StorageUnavailable,
            format!("the event log is unavailable: {m}"),
        ),
        LogError::Moved(m) => Error::new(
            Code::PartitionMoved,
            format!("this node no longer serves the aggregate ({m}): retry on its owner"),
        ),
    }
}

/// What a restore found.
struct Restored<A> {
    state: A,
    version: u64,
    snapshot_version: u64,
    /// The last event's position (0 when every event was in the snapshot).
    position: u64,
}

/// The state from the latest snapshot plus the events after it.
async fn restore<A: Aggregate>(
    log: &dyn EventLog,
    stream: &StreamId,
) -> Result<Restored<A>, Error> {
    let snapshot = log.load_snapshot(stream).await.map_err(log_error)?;
    let (mut state, mut version) = match snapshot {
        Some(s) => match crate::snapshots::decode::<A>(&s.state) {
            Some(state) => (state, s.version),
            None => {
                // Another release's shape: the events are the truth, the snapshot a cache.
                tracing::info!(
                    ?stream,
                    "snapshot of another shape dropped; rebuilt from events"
                );
                (A::default(), 0)
            }
        },
        None => (A::default(), 0),
    };
    let snapshot_version = version;
    let mut position = 0;
    for e in log.read_stream(stream, version).await.map_err(log_error)? {
        let event: A::Event = codec::decode(
            &e.event.event_type,
            e.event.schema_version,
            &e.event.payload,
        )?;
        state.apply(&event);
        version = e.version;
        position = e.position;
    }
    Ok(Restored {
        state,
        version,
        snapshot_version,
        position,
    })
}

impl<A: Aggregate> AggregateActor<A> {
    pub(crate) fn new(key: AggregateKey, deps: Arc<Deps>) -> Self {
        AggregateActor {
            key,
            state: A::default(),
            version: 0,
            position: 0,
            snapshot_version: 0,
            loaded: false,
            deps,
            last_used: Instant::now(),
        }
    }

    /// Loads the state on first use, as a future that runs inside the actor.
    fn ensure_loaded(&mut self) -> ResponseActFuture<Self, Result<(), Error>> {
        if self.loaded {
            return Box::pin(fut::ready(Ok(())));
        }
        let deps = self.deps.clone();
        let stream = stream_of(&self.key);
        Box::pin(
            async move { restore::<A>(&*deps.log, &stream).await }
                .into_actor(self)
                .map(|r, act, _| {
                    let r: Restored<A> = r?;
                    act.state = r.state;
                    act.version = r.version;
                    act.snapshot_version = r.snapshot_version;
                    act.position = r.position;
                    act.loaded = true;
                    Ok(())
                }),
        )
    }

    /// Checks, decides and encodes; the append itself happens after.
    fn prepare(&self, msg: &Execute<A>) -> Result<(Vec<A::Event>, Append), Error> {
        let now = now_ms();
        check_not_after(msg.not_after, now)?;
        authorize_take_over(
            &self.deps.authz,
            &msg.caller,
            self.state.access(&self.key, &msg.cmd),
            msg.holdings.as_deref(),
        )?;
        if let Some(expected) = msg.if_match {
            if expected != self.version {
                return Err(Error::new(
                    Code::VersionConflict,
                    format!(
                        "If-Match {expected} is stale: the sequence is {}",
                        self.version
                    ),
                )
                .with("sequence", self.version.to_string()));
            }
        }
        let events = self.state.decide(
            &msg.cmd,
            Ctx {
                key: &self.key,
                caller: &msg.caller,
                now,
            },
        )?;
        let new_events = to_log(&events, &msg.caller, now);
        // A new stream states its owners, and events may state more (found again by
        // cascades).
        let mut owners = if self.version == 0 && !events.is_empty() {
            let mut created = self.state.clone();
            events.iter().for_each(|e| created.apply(e));
            created.owners()
        } else {
            Vec::new()
        };
        owners.extend(events.iter().flat_map(A::event_owners));
        Ok((
            events,
            Append {
                stream: stream_of(&self.key),
                expected_version: self.version,
                events: new_events,
                owners,
            },
        ))
    }

    fn maybe_snapshot(&mut self) {
        if self.version - self.snapshot_version < self.deps.snapshot_every {
            return;
        }
        let state = match crate::snapshots::encode(&self.state) {
            Ok(s) => s,
            Err(e) => return tracing::warn!(error = %e, "snapshot not encodable"),
        };
        self.snapshot_version = self.version;
        let (deps, stream, version) = (self.deps.clone(), stream_of(&self.key), self.version);
        actix::spawn(async move {
            if let Err(e) = deps
                .log
                .save_snapshot(&stream, Snapshot { version, state })
                .await
            {
                tracing::warn!(error = %e, "snapshot not saved; the next restore reads more events");
            }
        });
    }
}

impl<A: Aggregate> Actor for AggregateActor<A> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let every = (self.deps.idle / 2).max(Duration::from_millis(50));
        ctx.run_interval(every, |act, ctx| {
            if act.last_used.elapsed() >= act.deps.idle {
                ctx.stop();
            }
        });
    }
}

impl<A: Aggregate> Handler<Execute<A>> for AggregateActor<A> {
    type Result = AtomicResponse<Self, Result<Written, Error>>;

    fn handle(&mut self, msg: Execute<A>, _ctx: &mut Context<Self>) -> Self::Result {
        self.last_used = Instant::now();
        let started = Instant::now();
        let span = msg.span.clone();
        AtomicResponse::new(Box::pin(
            self.ensure_loaded()
                .then(move |loaded, act, _| {
                    let prepared = loaded.and_then(|()| act.prepare(&msg));
                    let deps = act.deps.clone();
                    async move {
                        let (events, append) = prepared?;
                        if events.is_empty() {
                            return Ok((events, None));
                        }
                        let appending =
                            tracing::info_span!(parent: &span, "eventlog.append", events = events.len());
                        let done = deps
                            .log
                            .append(append)
                            .instrument(appending)
                            .await
                            .map_err(log_error)?;
                        Ok((events, Some(done)))
                    }
                    .into_actor(act)
                })
                .map(move |result: Result<_, Error>, act, ctx| {
                    act.last_used = Instant::now();
                    act.deps.metrics.command(A::KIND, started.elapsed());
                    let (events, done) = match result {
                        Ok(r) => r,
                        Err(e) => {
                            // A command refused on an aggregate that has no events (a made-up
                            // code or token) keeps no actor.
                            if act.version == 0 {
                                ctx.stop();
                            }
                            if matches!(
                                e.code,
                                Code::VersionConflict
                                    | Code::StorageUnavailable
                                    | Code::PartitionMoved
                            ) {
                                // Reload before the next command rather than trust this state.
                                act.loaded = false;
                            }
                            return Err(e);
                        }
                    };
                    for e in &events {
                        act.state.apply(e);
                    }
                    // Nothing written: the aggregate as it stands, at its last event if known,
                    // else at the log's head.
                    let position = match done {
                        Some(d) => {
                            act.version = d.version;
                            act.position = d.position;
                            d.position
                        }
                        None if act.position > 0 => act.position,
                        None => *act.deps.log.head().borrow(),
                    };
                    act.maybe_snapshot();
                    Ok(Written {
                        sequence: act.version,
                        position: Positions::at(position),
                    })
                }),
        ))
    }
}

impl<A: Aggregate> Handler<Peek<A>> for AggregateActor<A> {
    type Result = AtomicResponse<Self, Result<Peeked<A>, Error>>;

    /// The state as it stands. An aggregate with no events (an id someone made up, in a
    /// cookie, a code or a token) keeps no actor: it stops once it has answered.
    fn handle(&mut self, _msg: Peek<A>, _ctx: &mut Context<Self>) -> Self::Result {
        self.last_used = Instant::now();
        AtomicResponse::new(Box::pin(self.ensure_loaded().map(|r, act, ctx| {
            if r.is_ok() && act.version == 0 {
                ctx.stop();
            }
            r.map(|()| Peeked {
                state: act.state.clone(),
                version: act.version,
                position: act.position,
            })
        })))
    }
}

/// Stops the actor after what it is doing (the bus passivates the least recently used when
/// too many are live).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Passivate;

impl<A: Aggregate> Handler<Passivate> for AggregateActor<A> {
    type Result = ();

    fn handle(&mut self, _: Passivate, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
