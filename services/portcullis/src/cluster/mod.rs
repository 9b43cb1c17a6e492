//! The cluster roles on Kafka (`--role command|gateway|projector`).
//!
//! - **command**: joins the command group on the events topic, serves the partitions the group
//!   gives it (their actors, their writes) and takes forwarded requests on the internal API.
//! - **gateway**: the public API; it owns no partition and forwards every command to the
//!   owner of its aggregate's partition. It keeps its own read model from the log.
//! - **projector**: follows the log into a read model (the shared one on CQL, or its own
//!   embedded one), and sends the messages of the outbox's queue in it (through the owners of
//!   their users' partitions, as a gateway writes).

mod internal_api;
mod nowhere;
pub mod placement;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer};
use authz::{Authorizer, RoleMap};
use command::{CommandBus, CommandOptions};
use crypto::sealing::MasterKey;
use eventlog::kafka::cluster::{ClusterLog, ClusterOptions};
use eventlog::kafka::follower::Follower;
use eventlog::kafka::owners::OwnerMap;
use eventlog::kafka::topics;
use eventlog::kafka::KafkaLogOptions;
use gateway::Gateway;
use readmodel::{CqlOptions, CqlReadModel, ReadModel, SqliteReadModel};

use crate::config::{Role, StartOptions};
use crate::server::Launched;
use internal_api::Internal;
use placement::{ClusterPlacement, PeerVersions};

/// How long a forward waits for a partition to have an owner (rebalances take 3-11 s).
const PATIENCE: Duration = Duration::from_secs(20);

/// The runtime of the Kafka clients' tasks (partition writers, followers), shared by the
/// nodes of a process.
fn kafka_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kafka")
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// What every cluster role needs: the brokers, the partition count, the shared master key.
struct Common {
    brokers: String,
    partitions: u32,
    master_key: MasterKey,
    token: String,
}

fn common(opts: &StartOptions) -> Result<Common, String> {
    let brokers = opts.kafka_brokers.clone().ok_or_else(|| {
        format!(
            "role {} needs --kafka-brokers (PORTCULLIS_KAFKA_BROKERS)",
            opts.role.name()
        )
    })?;
    let key = opts.master_key.as_deref().ok_or_else(|| {
        format!(
            "role {} needs --masterkey (PORTCULLIS_MASTERKEY), the same on every node of the cluster",
            opts.role.name()
        )
    })?;
    let master_key = MasterKey::from_base64(key)?
        .with_previous(opts.previous_master_keys())
        .map_err(|e| format!("PORTCULLIS_MASTERKEY_PREVIOUS: {e}"))?;
    // fetch_metadata blocks: off the async runtime's thread.
    let asked = brokers.clone();
    let partitions = std::thread::spawn(move || topics::partitions(&asked))
        .join()
        .map_err(|_| "reading the events topic's partitions failed".to_string())?
        .map_err(|e| format!("{e} (brokers {brokers})"))?;
    Ok(Common {
        token: internal_token(&master_key),
        brokers,
        partitions,
        master_key,
    })
}

/// The internal API's bearer token: derived from the master key, so every node of the cluster
/// holds it and nothing else does.
pub fn internal_token(master_key: &MasterKey) -> String {
    master_key.derive("portcullis internal api v1")
}

/// Starts a cluster role; the HTTP server is bound, not yet running.
pub async fn launch(opts: &StartOptions, role_map: RoleMap) -> Result<Launched, String> {
    let common = common(opts)?;
    match opts.role {
        Role::Command => command_node(opts, role_map, common)
            .await
            .map(internal_only),
        Role::Gateway => gateway_node(opts, role_map, common).await,
        Role::Projector => projector_node(opts, role_map, common)
            .await
            .map(internal_only),
        Role::All => Err("role all runs on embedded storage, not in the cluster".into()),
    }
}

fn bus_options(
    opts: &StartOptions,
    common: &Common,
    placement: ClusterPlacement,
) -> CommandOptions {
    CommandOptions {
        idle: Duration::from_secs(opts.actor_idle_secs),
        snapshot_every: opts.snapshot_every,
        password_params: opts.password_params(),
        password_queue: opts.password_queue,
        max_live_actors: opts.max_live_actors,
        stale_claim_after: opts.stale_claim_after(),
        master_key: Some(common.master_key.clone()),
        placement: Arc::new(placement),
        allow_private_hosts: opts.allow_private_hosts,
        domain_checks: opts.domain_checks(),
        ..CommandOptions::default()
    }
}

fn owners(common: &Common) -> Result<Arc<OwnerMap>, String> {
    let _inside = kafka_runtime().enter();
    OwnerMap::follow(&common.brokers)
        .map(Arc::new)
        .map_err(|e| format!("cannot follow the partition owners: {e}"))
}

/// A node that serves no public API (probes, metrics, the internal API).
fn internal_only((server, address): (Server, SocketAddr)) -> Launched {
    Launched {
        server,
        address,
        grpc: None,
        admin: None,
    }
}

async fn command_node(
    opts: &StartOptions,
    role_map: RoleMap,
    common: Common,
) -> Result<(Server, SocketAddr), String> {
    // Bound first: the address is announced with every partition the node opens.
    let slot: Arc<OnceLock<Arc<Internal>>> = Arc::default();
    let serving = slot.clone();
    let server = HttpServer::new(move || {
        let app = crate::server::probes(
            App::new().wrap(actix_web::middleware::from_fn(gateway::trace_requests)),
        );
        match serving.get() {
            Some(internal) => app.configure(internal_api::configure(internal.clone())),
            None => app,
        }
    })
    .workers(opts.workers)
    .shutdown_timeout(10);
    let (listener, address) = crate::server::listener(opts)?;
    let server = server
        .listen(listener)
        .map_err(|e| format!("cannot serve on {address}: {e}"))?;
    let advertise = opts
        .advertise
        .clone()
        .unwrap_or_else(|| address.to_string());
    let node = format!("command-{advertise}");
    let metrics = telemetry::Metrics::new();
    let log = {
        let _inside = kafka_runtime().enter();
        let mut cluster = ClusterOptions::new(
            KafkaLogOptions {
                metrics: Some(metrics.clone()),
                ..KafkaLogOptions::new(&common.brokers, 0, &node)
            },
            common.partitions,
        );
        cluster.announce = Some(advertise.clone());
        cluster.session_timeout = Duration::from_secs(opts.kafka_session_timeout_secs);
        Arc::new(
            ClusterLog::join(cluster).map_err(|e| format!("cannot join the command group: {e}"))?,
        )
    };
    let placement = ClusterPlacement {
        partitions: common.partitions,
        log: Some(log.clone()),
        owners: owners(&common)?,
        token: common.token.clone(),
        patience: PATIENCE,
        peers: PeerVersions::default(),
    };
    let bus = Arc::new(CommandBus::new(
        log.clone(),
        Authorizer::new(role_map),
        CommandOptions {
            metrics: metrics.clone(),
            ..bus_options(opts, &common, placement)
        },
    ));
    let _ = slot.set(Arc::new(Internal {
        bus,
        token: common.token.clone(),
        metrics,
        log,
    }));
    tracing::info!(%advertise, partitions = common.partitions, "command node: joined the group; partitions are announced as the group assigns them");
    Ok((server.run(), address))
}

/// Follows every partition of the log into `model`, from where it stands.
fn follow_log(common: &Common, node: &str, model: &Arc<dyn ReadModel>) -> Result<(), String> {
    let _inside = kafka_runtime().enter();
    let checkpoints = model
        .checkpoints()
        .map_err(|e| format!("cannot read the read model's checkpoints: {e}"))?;
    let applied = model.clone();
    let follower = Follower::start(
        &common.brokers,
        topics::EVENTS,
        common.partitions,
        node,
        checkpoints,
        // A reader that took a wrong version would drop events: it waits for the read model.
        Arc::new(move |stream| loop {
            match applied.version_of(stream) {
                Ok(version) => return version,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read a stream's applied version; retrying in 1 s");
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
            }
        }),
    )
    .map_err(|e| format!("cannot follow the log: {e}"))?;
    let model = model.clone();
    kafka_runtime().spawn(async move {
        if let Err(e) = projector::follow(follower, model).await {
            tracing::error!(error = %e, "the read model stopped following the log");
        }
    });
    Ok(())
}

/// The read models on CQL when `--cql-nodes` is set (shared: the projector writes them), else
/// an embedded one in the data directory (this node's own: it follows the log itself).
fn open_model(opts: &StartOptions) -> Result<(Arc<dyn ReadModel>, Shared), String> {
    if !opts.cql.cql_nodes.is_empty() {
        let options = CqlOptions {
            local_datacenter: opts.cql.cql_local_datacenter.clone(),
            schema_metadata: opts.cql.cql_schema_metadata,
            ..CqlOptions::new(&opts.cql.cql_nodes, &opts.cql.cql_keyspace)
        };
        let model = CqlReadModel::connect(&options).map_err(|e| {
            format!(
                "cannot open the read models in keyspace {} at {}: {e} (has `portcullis migrate --cql-nodes` run?)",
                options.keyspace,
                options.nodes.join(",")
            )
        })?;
        return Ok((Arc::new(model), Shared::Yes));
    }
    std::fs::create_dir_all(&opts.data_dir).map_err(|e| {
        format!(
            "cannot create the data directory {}: {e}",
            opts.data_dir.display()
        )
    })?;
    let path = opts.data_dir.join("read.db");
    let model = SqliteReadModel::open(&path)
        .map_err(|e| format!("cannot open the read model {}: {e}", path.display()))?;
    Ok((Arc::new(model), Shared::No))
}

/// Whether a read model is the cluster's shared one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shared {
    Yes,
    No,
}

/// A bus that owns no partition: it forwards every command and aggregate read to the owner of
/// its partition (gateways, and the projector's outbox).
fn forwarding_bus(
    opts: &StartOptions,
    role_map: &RoleMap,
    common: &Common,
    metrics: Arc<telemetry::Metrics>,
) -> Result<Arc<CommandBus>, String> {
    let placement = ClusterPlacement {
        partitions: common.partitions,
        log: None,
        owners: owners(common)?,
        token: common.token.clone(),
        patience: PATIENCE,
        peers: PeerVersions::default(),
    };
    Ok(Arc::new(CommandBus::new(
        Arc::new(nowhere::Nowhere),
        Authorizer::new(role_map.clone()),
        CommandOptions {
            metrics,
            ..bus_options(opts, common, placement)
        },
    )))
}

async fn gateway_node(
    opts: &StartOptions,
    role_map: RoleMap,
    common: Common,
) -> Result<Launched, String> {
    let (model, shared) = open_model(opts)?;
    if shared == Shared::No {
        let node = format!("gateway-{}", uuid::Uuid::now_v7());
        follow_log(&common, &node, &model)?;
    }
    let metrics = telemetry::Metrics::new();
    let bus = forwarding_bus(opts, &role_map, &common, metrics.clone())?;
    let done = crate::bootstrap::done(&bus).await?;
    if let Some(setup) = crate::bootstrap::first_start(
        &bus,
        done,
        crate::bootstrap::Ids::Derived(&common.master_key),
        opts,
    )
    .await?
    {
        tracing::info!(instance = %setup.instance_id, data_dir = %opts.data_dir.display(), "first start of the cluster: created the default instance; its secrets are in this gateway's data directory");
        // Serve once this gateway's read model has the setup (its tokens, its instance).
        for p in setup.positions.iter() {
            model
                .progress()
                .wait_for(p, PATIENCE)
                .await
                .map_err(|e| format!("the read model did not reach the first start: {e}"))?;
        }
    }
    if done {
        crate::bootstrap::move_system_principals(&bus).await;
    }
    let gw = Arc::new(
        Gateway::new(
            bus,
            model,
            Authorizer::new(role_map),
            Some(common.master_key),
            metrics,
        )
        .with_edge(opts.edge(), &opts.limits()),
    );
    crate::server::serve_gateway(opts, gw)
}

async fn projector_node(
    opts: &StartOptions,
    role_map: RoleMap,
    common: Common,
) -> Result<(Server, SocketAddr), String> {
    let (model, _) = open_model(opts)?;
    follow_log(&common, "projector", &model)?;
    let bus = forwarding_bus(opts, &role_map, &common, telemetry::Metrics::new())?;
    actix_web::rt::spawn(crate::outbox::run(bus.clone(), model.clone()));
    actix_web::rt::spawn(crate::event_delivery::run(bus, model.clone()));
    let (listener, address) = crate::server::listener(opts)?;
    let server = HttpServer::new(|| crate::server::probes(App::new()))
        .workers(1)
        .shutdown_timeout(10)
        .listen(listener)
        .map_err(|e| format!("cannot serve on {address}: {e}"))?;
    Ok((server.run(), address))
}
