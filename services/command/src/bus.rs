//! The command bus: finds (or starts) the actor of a command's aggregate and sends it the
//! command. Actors are spread over a fixed pool of arbiters by the hash of their key and are
//! passivated when idle; a command that reaches a stopped actor is sent again to a new one.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use authz::{Authorizer, Caller};
use domain::action_delivery::ActionDelivery;
use domain::instance::Instance;
use domain::oidc::{
    AuthRequest, DeviceAuthorization, IdpIntent, RefreshFamily, Session, TokenRevocations,
    UsedAssertions,
};
use domain::org::Org;
use domain::project::Project;
use domain::signing_keys::SigningKeys;
use domain::unique::Unique;
use domain::user::User;
use domain::user_grant::UserGrant;
use domain::{Aggregate, AggregateKey, Code, Error};
use eventlog::EventLog;
use tracing::Instrument;

use crate::actor::{AggregateActor, Deps, Execute, Passivate, Peek, Peeked, Written};
use crate::forwarding::{decode, encode, unexpected, Op};
use crate::placement::{Alone, Placement, Reply, Request, WireKey};
use crypto::secrets::{PasswordParams, PasswordPool};

#[derive(Clone)]
pub struct CommandOptions {
    /// An actor with no message for this long is stopped (its state stays in the log).
    pub idle: Duration,
    /// A snapshot is written every this many events of an aggregate.
    pub snapshot_every: u64,
    /// Arbiter threads hosting the actors.
    pub arbiters: usize,
    /// Password hashes computed at once (CPU-bound, off the async runtime).
    pub password_workers: usize,
    /// Password work that may wait for a worker; beyond, it is refused (`SYS-0005`).
    pub password_queue: usize,
    /// The most live actors of one aggregate kind; past it the least recently used are
    /// passivated.
    pub max_live_actors: usize,
    /// How old a unique claim must be before a claimant may take it over from a holder that
    /// never came to hold the value (a saga cut off between its claim and its act). A saga's
    /// act must run within a quarter of it after the claim, and the log commits an append
    /// within its transaction timeout (30 s), so that no act can land once a claim is this old.
    pub stale_claim_after: Duration,
    /// argon2id cost of new password hashes.
    pub password_params: PasswordParams,
    /// Seals signing keys at rest; without it no keys are made.
    pub master_key: Option<crypto::sealing::MasterKey>,
    pub metrics: std::sync::Arc<telemetry::Metrics>,
    /// Which aggregates run here ([`Alone`]: all of them) and how others are reached.
    pub placement: Arc<dyn Placement>,
    /// Whether instances may send through SMTP servers and SMS endpoints at private addresses.
    pub allow_private_hosts: bool,
    /// Where org domains are checked (DNS server, HTTP port).
    pub domain_checks: notify::domain_check::DomainChecks,
}

impl Default for CommandOptions {
    fn default() -> Self {
        CommandOptions {
            idle: Duration::from_secs(300),
            snapshot_every: 100,
            arbiters: 2,
            password_workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            password_queue: 64,
            max_live_actors: 100_000,
            stale_claim_after: Duration::from_secs(120),
            password_params: PasswordParams::default(),
            master_key: None,
            metrics: telemetry::Metrics::new(),
            placement: Arc::new(Alone),
            allow_private_hosts: false,
            domain_checks: Default::default(),
        }
    }
}

type Registry<A> = Mutex<Live<A>>;

/// An aggregate type's live actors, each with the tenure of its partition it was started in
/// and when it was last asked for. Stopped ones are swept out when the map has grown to twice
/// its size after the last sweep, so a sweep's cost is spread over as many new actors. Past
/// the cap, the least recently used tenth is passivated at once.
pub struct Live<A: Aggregate> {
    actors: HashMap<AggregateKey, LiveActor<A>>,
    sweep_at: usize,
}

struct LiveActor<A: Aggregate> {
    addr: Addr<AggregateActor<A>>,
    tenure: u64,
    used: Instant,
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

/// Stops the `n` actors asked for least recently (their state stays in the log).
fn passivate_least_used<A: Aggregate>(actors: &mut HashMap<AggregateKey, LiveActor<A>>, n: usize) {
    let mut by_use: Vec<(Instant, AggregateKey)> =
        actors.iter().map(|(k, a)| (a.used, k.clone())).collect();
    by_use.sort_unstable_by_key(|(used, _)| *used);
    for (_, key) in by_use.into_iter().take(n) {
        if let Some(actor) = actors.remove(&key) {
            actor.addr.do_send(Passivate);
        }
    }
}

pub struct CommandBus {
    pub(crate) deps: Arc<Deps>,
    pub(crate) placement: Arc<dyn Placement>,
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
    token_revocations: Registry<TokenRevocations>,
    used_assertions: Registry<UsedAssertions>,
    action_deliveries: Registry<ActionDelivery>,
    device_authorizations: Registry<DeviceAuthorization>,
    idp_intents: Registry<IdpIntent>,
    uniques: Registry<Unique>,
    pub(crate) passwords: PasswordPool,
    /// The most live actors of one aggregate kind.
    max_live: usize,
    pub(crate) stale_claim_after: Duration,
    /// Whether instances may send through SMTP servers and SMS endpoints at private addresses.
    pub(crate) allow_private_hosts: bool,
    pub(crate) domain_checks: notify::domain_check::DomainChecks,
    /// The action endpoints being called or failing lately, by instance and endpoint: calls
    /// under way and circuits.
    pub(crate) endpoints: std::sync::Mutex<HashMap<String, crate::event_delivery::EndpointState>>,
}

impl CommandBus {
    /// Whether the operator lets instances call endpoints at private addresses (SMTP, SMS,
    /// apps' logout endpoints and key sets).
    pub fn allows_private_hosts(&self) -> bool {
        self.allow_private_hosts
    }
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

        impl CommandBus {
            /// Serves a forwarded request for an aggregate, by its kind.
            pub(crate) async fn serve_kind(&self, key: WireKey, op: Op) -> Result<Reply, Error> {
                $(if key.kind == <$ty>::KIND {
                    let key = AggregateKey { instance: key.instance, kind: <$ty>::KIND, id: key.id };
                    return self.serve_aggregate::<$ty>(&key, op).await;
                })*
                Err(crate::forwarding::not_this_release(&format!("aggregate kind {:?}", key.kind)))
            }
        }
    };
}

routed!(Instance => instances, Org => orgs, User => users, Project => projects, UserGrant => user_grants, SigningKeys => signing_keys, AuthRequest => auth_requests, Session => sessions, RefreshFamily => refresh_families, TokenRevocations => token_revocations, UsedAssertions => used_assertions, DeviceAuthorization => device_authorizations, IdpIntent => idp_intents, Unique => uniques, ActionDelivery => action_deliveries);

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
            placement: options.placement,
            allow_private_hosts: options.allow_private_hosts,
            domain_checks: notify::domain_check::DomainChecks {
                private_hosts: options.allow_private_hosts,
                ..options.domain_checks
            },
            endpoints: std::sync::Mutex::default(),
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
            token_revocations: Mutex::default(),
            used_assertions: Mutex::default(),
            device_authorizations: Mutex::default(),
            idp_intents: Mutex::default(),
            uniques: Mutex::default(),
            action_deliveries: Mutex::default(),
            passwords: PasswordPool::new(
                options.password_workers,
                options.password_queue,
                options.password_params,
            ),
            max_live: options.max_live_actors.max(1),
            stale_claim_after: options.stale_claim_after,
        }
    }

    /// The live actor of an aggregate of a partition held in `tenure`; one started in an
    /// earlier tenure is replaced (another node may have written meanwhile).
    fn addr<A: Routed>(&self, key: &AggregateKey, tenure: u64) -> Addr<AggregateActor<A>> {
        let mut live = A::registry(self).lock().expect("registry lock");
        let now = Instant::now();
        if let Some(actor) = live
            .actors
            .get_mut(key)
            .filter(|a| a.tenure == tenure && a.addr.connected())
        {
            actor.used = now;
            return actor.addr.clone();
        }
        if live.actors.len() >= live.sweep_at.min(self.max_live) {
            live.actors.retain(|_, a| a.addr.connected());
            if live.actors.len() >= self.max_live {
                passivate_least_used(&mut live.actors, self.max_live / 10 + 1);
            }
            live.sweep_at = (live.actors.len() * 2).max(MIN_SWEEP);
        }
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        let arbiter = &self.arbiters[(h.finish() as usize) % self.arbiters.len()];
        let (k, deps) = (key.clone(), self.deps.clone());
        let addr = AggregateActor::<A>::start_in_arbiter(&arbiter.handle(), move |_| {
            AggregateActor::new(k, deps)
        });
        live.actors.insert(
            key.clone(),
            LiveActor {
                addr: addr.clone(),
                tenure,
                used: now,
            },
        );
        addr
    }

    /// Sends a message to the aggregate's actor, starting a new one if the live one stopped.
    async fn send<A: Routed, M>(
        &self,
        key: &AggregateKey,
        tenure: u64,
        make: impl Fn() -> M,
    ) -> Result<M::Result, Error>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        AggregateActor<A>: Handler<M>,
        <AggregateActor<A> as Actor>::Context: actix::dev::ToEnvelope<AggregateActor<A>, M>,
    {
        for _ in 0..3 {
            match self.addr::<A>(key, tenure).send(make()).await {
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

    /// Runs a command on its aggregate, here or on the node that serves its partition.
    pub async fn execute<A: Routed>(
        &self,
        key: &AggregateKey,
        caller: &Caller,
        cmd: A::Command,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        self.dispatch::<A>(key, caller, cmd, if_match, None).await
    }

    /// Runs a command that must not run after `not_after` (unix milliseconds): wherever it
    /// travels and however long it waits, the actor refuses it after then (`SYS-0002`,
    /// nothing done). A saga's act carries it, so that a claim whose act was cut off can be
    /// taken over once the act can no longer land.
    pub(crate) async fn execute_before<A: Routed>(
        &self,
        key: &AggregateKey,
        caller: &Caller,
        cmd: A::Command,
        if_match: Option<u64>,
        not_after: i64,
    ) -> Result<Written, Error> {
        self.dispatch::<A>(key, caller, cmd, if_match, Some(not_after))
            .await
    }

    pub(crate) async fn dispatch<A: Routed>(
        &self,
        key: &AggregateKey,
        caller: &Caller,
        cmd: A::Command,
        if_match: Option<u64>,
        not_after: Option<i64>,
    ) -> Result<Written, Error> {
        let span = tracing::info_span!(
            "command",
            aggregate = A::KIND,
            id = %key.id,
            instance = %key.instance
        );
        let partition = self.placement.partition_of(key);
        let Some(tenure) = self.placement.tenure(partition) else {
            let request = Request::Execute {
                key: key.into(),
                caller: caller.clone(),
                command: encode(&cmd)?,
                if_match,
                not_after,
            };
            let started = std::time::Instant::now();
            let reply = self
                .placement
                .forward(partition, request)
                .instrument(span)
                .await;
            // The command's latency as this node saw it, forwarding included.
            self.deps.metrics.command(A::KIND, started.elapsed());
            return match reply? {
                Reply::Written(w) => Ok(w),
                other => Err(unexpected(&other)),
            };
        };
        // Someone else taking over a user: their memberships, read where they are held.
        let holdings = match (A::at_stake(key, &cmd), caller) {
            (Some(user), Caller::Principal(p)) if p.user != user => {
                // Boxed: reading them may execute on other aggregates' owners in turn.
                let read: std::pin::Pin<Box<dyn std::future::Future<Output = _> + '_>> =
                    Box::pin(self.holdings(&key.instance, user));
                Some(read.await?)
            }
            _ => None,
        };
        self.send::<A, _>(key, tenure, || Execute::<A> {
            caller: caller.clone(),
            cmd: cmd.clone(),
            if_match,
            not_after,
            holdings: holdings.clone(),
            span: span.clone(),
        })
        .instrument(span.clone())
        .await?
    }

    /// The aggregate's current state and version (sagas: does it exist, who owns it).
    pub async fn state<A: Routed>(&self, key: &AggregateKey) -> Result<(A, u64), Error> {
        let (state, version, _) = self.peek::<A>(key).await?;
        Ok((state, version))
    }

    /// The aggregate's state, version and last event's position (0 when not known).
    pub(crate) async fn peek<A: Routed>(&self, key: &AggregateKey) -> Result<(A, u64, u64), Error> {
        let partition = self.placement.partition_of(key);
        let Some(tenure) = self.placement.tenure(partition) else {
            let request = Request::Peek { key: key.into() };
            return match self.placement.forward(partition, request).await? {
                Reply::Peeked {
                    state,
                    version,
                    position,
                } => Ok((decode(&state)?, version, position)),
                other => Err(unexpected(&other)),
            };
        };
        let Peeked {
            state,
            version,
            position,
        } = self
            .send::<A, _>(key, tenure, || Peek::<A>(PhantomData))
            .await??;
        Ok((state, version, position))
    }

    /// The log's partitions (1 on the embedded log).
    pub fn partitions(&self) -> u32 {
        self.placement.partitions()
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
                .filter(|a| a.addr.connected())
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
            + count(&self.token_revocations)
            + count(&self.used_assertions)
            + count(&self.device_authorizations)
            + count(&self.idp_intents)
            + count(&self.uniques)
            + count(&self.action_deliveries)
    }
}

impl Drop for CommandBus {
    fn drop(&mut self) {
        for a in &self.arbiters {
            a.stop();
        }
    }
}
