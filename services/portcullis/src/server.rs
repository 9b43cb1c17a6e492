//! `portcullis start`: opens the embedded storage, runs the first-start setup when the data
//! directory is new, and serves HTTP until SIGTERM or SIGINT (then drains and exits 0).

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use authz::{Authorizer, RoleMap};
use command::{CommandBus, CommandOptions};

use eventlog::{EventLog, SqliteLog, SqliteLogOptions};
use gateway::{ApiError, Gateway};
use projector::Projector;
use readmodel::{ReadModel, SqliteReadModel};

use crate::bootstrap;
use crate::config::{Role, StartOptions};

fn role_map(opts: &StartOptions) -> Result<RoleMap, String> {
    match &opts.role_map {
        None => Ok(RoleMap::default_map()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the role map {}: {e}", path.display()))?;
            RoleMap::from_yaml(&text)
                .map_err(|e| format!("the role map {} is invalid: {e}", path.display()))
        }
    }
}

/// The event log and the read model of the embedded default.
type Storage = (Arc<dyn EventLog>, Arc<dyn ReadModel>);

/// The embedded event log of a data directory.
pub(crate) fn log_path(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("events.db")
}

/// The event log and the read model in the data directory (created 0700 if missing).
fn open_storage(opts: &StartOptions, metrics: Arc<telemetry::Metrics>) -> Result<Storage, String> {
    std::fs::create_dir_all(&opts.data_dir).map_err(|e| {
        format!(
            "cannot create the data directory {}: {e}",
            opts.data_dir.display()
        )
    })?;
    // The log holds password hashes and token hashes: only the owner may enter.
    std::fs::set_permissions(
        &opts.data_dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .map_err(|e| {
        format!(
            "cannot restrict the data directory {}: {e}",
            opts.data_dir.display()
        )
    })?;
    let log_path = log_path(&opts.data_dir);
    tracing::info!(path = %log_path.display(), group_commit = opts.group_commit, "opening the event log");
    let log: Arc<dyn EventLog> = Arc::new(
        SqliteLog::open(
            &log_path,
            SqliteLogOptions {
                group_commit: opts.group_commit,
                metrics: Some(metrics),
                ..Default::default()
            },
        )
        .map_err(|e| format!("cannot open the event log {}: {e}", log_path.display()))?,
    );
    let model_path = opts.data_dir.join("read.db");
    let model = SqliteReadModel::open(&model_path)
        .map_err(|e| format!("cannot open the read model {}: {e}", model_path.display()))?;
    Ok((log, Arc::new(model)))
}

/// A node, bound: its HTTP server (not yet running) and the addresses it got.
pub struct Launched {
    pub server: Server,
    pub address: SocketAddr,
    /// The gRPC API's (gateways with `--grpc-listen`), already serving.
    pub grpc: Option<SocketAddr>,
    /// The admin listener's (gateways with `--admin-listen`), already serving.
    pub admin: Option<SocketAddr>,
}

/// Opens the storage, runs the first-start setup, catches the read models up, and binds the
/// HTTP server (not yet running). Call it inside an actix system; `start` and the testkit do.
pub async fn launch(opts: &StartOptions) -> Result<Launched, String> {
    let role_map = role_map(opts)?;
    opts.password_params().validate().map_err(|e| e.message)?;
    if opts.role != Role::All {
        #[cfg(feature = "cluster")]
        return crate::cluster::launch(opts, role_map).await;
        #[cfg(not(feature = "cluster"))]
        return Err(crate::config::WITHOUT_CLUSTER.into());
    }
    let metrics = telemetry::Metrics::new();
    let (log, model) = open_storage(opts, metrics.clone())?;
    let master_key = crate::master_key::load(
        opts.master_key.as_deref(),
        opts.previous_master_keys(),
        &opts.data_dir,
    )?;
    let bus = Arc::new(CommandBus::new(
        log.clone(),
        Authorizer::new(role_map.clone()),
        CommandOptions {
            idle: std::time::Duration::from_secs(opts.actor_idle_secs),
            snapshot_every: opts.snapshot_every,
            password_params: opts.password_params(),
            password_queue: opts.password_queue,
            max_live_actors: opts.max_live_actors,
            stale_claim_after: opts.stale_claim_after(),
            master_key: Some(master_key.clone()),
            metrics: metrics.clone(),
            allow_private_hosts: opts.allow_private_hosts,
            domain_checks: opts.domain_checks(),
            ..CommandOptions::default()
        },
    ));
    let done = *log.head().borrow() > 0;
    if let Some(setup) = bootstrap::first_start(&bus, done, bootstrap::Ids::Fresh, opts).await? {
        tracing::info!(
            instance = %setup.instance_id,
            data_dir = %opts.data_dir.display(),
            "first start: created the default instance; the admin password is in admin.password, tokens in admin.pat and system.pat; log in as admin at the console, http://localhost:<port>/ui/console/"
        );
    }
    if done {
        bootstrap::move_system_principals(&bus).await;
    }
    let projector = Projector::new(log.clone(), model.clone());
    let applied = projector
        .catch_up()
        .await
        .map_err(|e| format!("cannot project the event log: {e}"))?;
    tracing::info!(
        events = applied,
        position = model.progress().position(),
        "read models are up to date"
    );
    actix_web::rt::spawn(projector.run());
    actix_web::rt::spawn(crate::outbox::run(bus.clone(), model.clone()));
    actix_web::rt::spawn(crate::event_delivery::run(bus.clone(), model.clone()));
    let gw = Arc::new(
        Gateway::new(
            bus,
            model,
            Authorizer::new(role_map),
            Some(master_key),
            metrics,
        )
        .with_edge(opts.edge(), &opts.limits()),
    );
    serve_gateway(opts, gw)
}

/// The liveness and readiness probes every role serves.
pub fn probes<T>(app: App<T>) -> App<T>
where
    T: actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Error = actix_web::Error,
        InitError = (),
    >,
{
    app.route(
        "/healthz",
        web::get().to(|| async {
            HttpResponse::Ok().json(serde_json::json!({
                "status": "ok",
                "version": crate::version::RELEASE,
            }))
        }),
    )
    .route(
        "/readyz",
        web::get().to(|| async { HttpResponse::Ok().json(serde_json::json!({"status": "ready"})) }),
    )
}

/// Binds the public API (not yet running), and serves the gRPC API when it has an address.
pub fn serve_gateway(opts: &StartOptions, gw: Arc<Gateway>) -> Result<Launched, String> {
    let grpc = opts
        .grpc_listen
        .map(|address| serve_grpc(address, gw.clone()))
        .transpose()?;
    let admin = opts
        .admin_listen
        .map(|address| serve_admin(address, gw.clone()))
        .transpose()?;
    let server = HttpServer::new(move || {
        probes(App::new().wrap(from_fn(gateway::trace_requests)))
            .configure(gateway::configure(gw.clone()))
            .default_service(web::to(|req: actix_web::HttpRequest| async move {
                Err::<HttpResponse, ApiError>(gateway::fallback(req).await)
            }))
    })
    .workers(opts.workers)
    .shutdown_timeout(10);
    let (listener, address) = listener(opts)?;
    let server = server
        .listen(listener)
        .map_err(|e| cannot_listen(opts, e))?;
    Ok(Launched {
        server: server.run(),
        address,
        grpc,
        admin,
    })
}

/// Binds the admin listener (`/metrics` and the probes) and serves it beside the API.
fn serve_admin(address: SocketAddr, gw: Arc<Gateway>) -> Result<SocketAddr, String> {
    let cannot = |e: std::io::Error| format!("cannot serve the admin listener on {address}: {e}");
    let listener = std::net::TcpListener::bind(address).map_err(cannot)?;
    let bound = listener.local_addr().map_err(cannot)?;
    let server = HttpServer::new(move || probes(App::new()).configure(gateway::admin(gw.clone())))
        .workers(1)
        .shutdown_timeout(1)
        .listen(listener)
        .map_err(cannot)?
        .run();
    actix_web::rt::spawn(server);
    Ok(bound)
}

/// Binds the gRPC API and serves it on an actix arbiter of its own (its thread runs the calls'
/// operations, as the HTTP workers do theirs).
fn serve_grpc(address: SocketAddr, gw: Arc<Gateway>) -> Result<SocketAddr, String> {
    let cannot = |e: std::io::Error| format!("cannot serve gRPC on {address}: {e}");
    let listener = std::net::TcpListener::bind(address).map_err(cannot)?;
    listener.set_nonblocking(true).map_err(cannot)?;
    let bound = listener.local_addr().map_err(cannot)?;
    let arbiter = actix_rt::Arbiter::new();
    arbiter.spawn(async move {
        let served = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => gateway::grpc::serve(gw, listener).await,
            Err(e) => Err(format!("cannot serve gRPC on {bound}: {e}")),
        };
        if let Err(e) = served {
            tracing::error!(error = %e, "the gRPC API stopped");
        }
    });
    Ok(bound)
}

/// The configured listen address, bound, and the address it got (port 0 takes a free one).
pub fn listener(opts: &StartOptions) -> Result<(std::net::TcpListener, SocketAddr), String> {
    let listener = std::net::TcpListener::bind(opts.listen).map_err(|e| cannot_listen(opts, e))?;
    let address = listener.local_addr().map_err(|e| cannot_listen(opts, e))?;
    Ok((listener, address))
}

fn cannot_listen(opts: &StartOptions, e: std::io::Error) -> String {
    format!("cannot listen on {}: {e}", opts.listen)
}

/// `portcullis start`: runs until SIGTERM or SIGINT, then drains and returns.
pub fn start(opts: StartOptions) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let Launched {
            server,
            address,
            grpc,
            admin,
        } = launch(&opts).await?;
        if let Some(admin) = admin {
            tracing::info!(%admin, "metrics on http://{admin}/metrics");
        }
        match grpc {
            Some(grpc) => tracing::info!(%address, %grpc, "portcullis is ready on http://{address} (gRPC on {grpc})"),
            None => tracing::info!(address = %address, "portcullis is ready on http://{address}"),
        }
        server
            .await
            .map_err(|e| format!("the server failed: {e}"))?;
        tracing::info!("stopped: every acknowledged write is on disk");
        Ok(())
    })
}
