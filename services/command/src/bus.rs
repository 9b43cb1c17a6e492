//! The command bus: finds (or starts) the actor of a command's aggregate and sends it the
//! command. Actors are spread over a fixed pool of arbiters by the hash of their key and are
//! passivated when idle; a command that reaches a stopped actor is sent again to a new one.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::prelude::*;
use authz::{Authorizer, Caller};
use domain::instance::Instance;
use domain::oidc::{AuthRequest, RefreshFamily, Session};
use domain::org::Org;
use domain::project::Project;
use domain::signing_keys::SigningKeys;
use domain::unique::Unique;
use domain::user::User;
use domain::user_grant::UserGrant;
use domain::{Aggregate, AggregateKey, Code, Error};
use eventlog::EventLog;
use tracing::Instrument;

use crate::actor::{AggregateActor, Deps, Execute, Peek, Peeked, Written};
use crate::secrets::{PasswordParams, PasswordPool};

#[derive(Clone, Debug)]
pub struct CommandOptions {
    /// An actor with no message for this long is stopped (its state stays in the log).
    pub idle: Duration,
    /// A snapshot is written every this many events of an aggregate.
    pub snapshot_every: u64,
    /// Arbiter threads hosting the actors.
    pub arbiters: usize,
    /// Password hashes computed at once (CPU-bound, off the async runtime).
    pub password_workers: usize,
    /// argon2id cost of new password hashes.
    pub password_params: PasswordParams,
    /// Seals signing keys at rest; without it no keys are made.
    pub master_key: Option<crate::keys::MasterKey>,
    pub metrics: std::sync::Arc<telemetry::Metrics>,
}

impl Default for CommandOptions {
    fn default() -> Self {
        CommandOptions {
            idle: Duration::from_secs(300),
            snapshot_every: 100,
            arbiters: 2,
            password_workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            password_params: PasswordParams::default(),
            master_key: None,
            metrics: telemetry::Metrics::new(),
        }
    }
}

type Registry<A> = Mutex<Live<A>>;

/// An aggregate type's live actors. Stopped ones are swept out when the map has grown to twice
/// its size after the last sweep, so a sweep's cost is spread over as many new actors.
pub struct Live<A: Aggregate> {
    actors: HashMap<AggregateKey, Addr<AggregateActor<A>>>,
    sweep_at: usize,
}

impl<A: Aggregate> Default for Live<A> {
    fn default() -> Self {
        Live {
            actors: HashMap::new(),
            sweep_at: MIN_SWEEP,
        }
    }
}

const MIN_SWEEP: usize = 10_000;

pub struct CommandBus {
    pub(crate) deps: Arc<Deps>,
    arbiters: Vec<Arbiter>,
    instances: Registry<Instance>,
    orgs: Registry<Org>,
    users: Registry<User>,
    projects: Registry<Project>,
    user_grants: Registry<UserGrant>,
    signing_keys: Registry<SigningKeys>,
    auth_requests: Registry<AuthRequest>,
    sessions: Registry<Session>,
    refresh_families: Registry<RefreshFamily>,
    uniques: Registry<Unique>,
    pub(crate) passwords: PasswordPool,
}

/// The aggregates the bus routes.
pub trait Routed: Aggregate + sealed::HasRegistry {}

mod sealed {
    /// Each routed aggregate's registry of live actors (not part of the public interface).
    pub trait HasRegistry: domain::Aggregate {
        fn registry(bus: &super::CommandBus) -> &super::Registry<Self>;
    }
}

use sealed::HasRegistry;

macro_rules! routed {
    ($($ty:ty => $field:ident),*) => {
        $(impl HasRegistry for $ty {
            fn registry(bus: &CommandBus) -> &Registry<Self> {
                &bus.$field
            }
        }
        impl Routed for $ty {})*
    };
}

routed!(Instance => instances, Org => orgs, User => users, Project => projects, UserGrant => user_grants, SigningKeys => signing_keys, AuthRequest => auth_requests, Session => sessions, RefreshFamily => refresh_families, Unique => uniques);

impl CommandBus {
    /// Must be called inside a running actix system.
    pub fn new(log: Arc<dyn EventLog>, authz: Authorizer, options: CommandOptions) -> CommandBus {
        let deps = Arc::new(Deps {
            log,
            authz,
            master_key: options.master_key.clone(),
            metrics: options.metrics.clone(),
            idle: options.idle,
            snapshot_every: options.snapshot_every.max(1),
        });
        CommandBus {
            deps,
            arbiters: (0..options.arbiters.max(1))
                .map(|_| Arbiter::new())
                .collect(),
            instances: Mutex::default(),
            orgs: Mutex::default(),
            users: Mutex::default(),
            projects: Mutex::default(),
            user_grants: Mutex::default(),
            signing_keys: Mutex::default(),
            auth_requests: Mutex::default(),
            sessions: Mutex::default(),
            refresh_families: Mutex::default(),
            uniques: Mutex::default(),
            passwords: PasswordPool::new(options.password_workers, options.password_params),
        }
    }

    fn addr<A: Routed>(&self, key: &AggregateKey) -> Addr<AggregateActor<A>> {
        let mut live = A::registry(self).lock().expect("registry lock");
        if let Some(addr) = live.actors.get(key).filter(|a| a.connected()) {
            return addr.clone();
        }
        if live.actors.len() >= live.sweep_at {
            live.actors.retain(|_, a| a.connected());
            live.sweep_at = (live.actors.len() * 2).max(MIN_SWEEP);
        }
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        let arbiter = &self.arbiters[(h.finish() as usize) % self.arbiters.len()];
        let (k, deps) = (key.clone(), self.deps.clone());
        let addr = AggregateActor::<A>::start_in_arbiter(&arbiter.handle(), move |_| {
            AggregateActor::new(k, deps)
        });
        live.actors.insert(key.clone(), addr.clone());
        addr
    }

    /// Sends a message to the aggregate's actor, starting a new one if the live one stopped.
    async fn send<A: Routed, M>(
        &self,
        key: &AggregateKey,
        make: impl Fn() -> M,
    ) -> Result<M::Result, Error>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        AggregateActor<A>: Handler<M>,
        <AggregateActor<A> as Actor>::Context: actix::dev::ToEnvelope<AggregateActor<A>, M>,
    {
        for _ in 0..3 {
            match self.addr::<A>(key).send(make()).await {
                Ok(r) => return Ok(r),
                Err(MailboxError::Closed) => A::registry(self)
                    .lock()
                    .expect("registry lock")
                    .actors
                    .remove(key)
                    .map_or((), drop),
                Err(MailboxError::Timeout) => break,
            }
        }
        Err(Error::new(
            Code::NotReady,
            "the aggregate's actor did not answer: retry",
        ))
    }

    /// Runs a command on its aggregate.
    pub async fn execute<A: Routed>(
        &self,
        key: &AggregateKey,
        caller: &Caller,
        cmd: A::Command,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let span = tracing::info_span!(
            "command",
            aggregate = A::KIND,
            id = %key.id,
            instance = %key.instance
        );
        self.send::<A, _>(key, || Execute::<A> {
            caller: caller.clone(),
            cmd: cmd.clone(),
            if_match,
            span: span.clone(),
        })
        .instrument(span.clone())
        .await?
    }

    /// The aggregate's current state and version (sagas: does it exist, who owns it).
    pub async fn state<A: Routed>(&self, key: &AggregateKey) -> Result<(A, u64), Error> {
        let Peeked { state, version } = self.send::<A, _>(key, || Peek::<A>(PhantomData)).await??;
        Ok((state, version))
    }

    /// The log's last durable position.
    pub fn log_head(&self) -> u64 {
        *self.deps.log.head().borrow()
    }

    /// Password hashes and checks waiting for the pool.
    pub fn password_queue(&self) -> u64 {
        self.passwords.queued()
    }

    /// How many actors are live (for metrics and tests).
    pub fn live_actors(&self) -> usize {
        fn count<A: Aggregate>(r: &Registry<A>) -> usize {
            r.lock()
                .expect("registry lock")
                .actors
                .values()
                .filter(|a| a.connected())
                .count()
        }
        count(&self.instances)
            + count(&self.orgs)
            + count(&self.users)
            + count(&self.projects)
            + count(&self.user_grants)
            + count(&self.signing_keys)
            + count(&self.auth_requests)
            + count(&self.sessions)
            + count(&self.refresh_families)
            + count(&self.uniques)
    }
}

impl Drop for CommandBus {
    fn drop(&mut self) {
        for a in &self.arbiters {
            a.stop();
        }
    }
}
