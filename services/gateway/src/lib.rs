//! The edge gateway: resolves the instance from `Host`, authenticates, checks the permission,
//! and dispatches a command or runs a query. The operations live in `api`, one file per
//! resource; the REST routes (`routes`) and the gRPC services (`grpc`) only translate to and
//! from them.

mod action_hooks;
mod api;
mod auth;
mod body;
mod console;
pub mod edge;
mod generational;
pub mod grpc;
mod http_error;
pub mod limits;
mod metrics;
pub mod oidc;
mod openapi;
mod reads;
mod request_log;
mod routes;
pub(crate) mod saml;
mod scim;
mod times;
mod views;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};
use authz::Authorizer;
use command::CommandBus;
use readmodel::ReadModel;

pub use http_error::ApiError;
pub use openapi::fallback;
pub use request_log::trace_requests;
pub use views::EventView;

/// What every handler reaches.
pub struct Gateway {
    pub bus: Arc<CommandBus>,
    pub model: Arc<dyn ReadModel>,
    pub authz: Authorizer,
    /// Unseals signing keys and opaque tokens.
    pub master_key: Option<crypto::sealing::MasterKey>,
    pub metrics: std::sync::Arc<telemetry::Metrics>,
    /// How the gateway is reached from outside: trusted proxies, the external URL.
    pub edge: edge::Edge,
    /// Failed credential checks allowed per client address and per account.
    pub limits: limits::Limits,
    principals: auth::PrincipalCache,
    keys: oidc::KeyRing,
    clients: oidc::client_cache::ClientCache,
    revoked: oidc::revoked::RevokedCache,
    documents: oidc::discovery::Documents,
    dpop_proofs: oidc::dpop::SeenProofs,
    app_key_sets: oidc::app_jwks::AppKeySets,
    providers: oidc::idp_client::Providers,
    actions: action_hooks::ActionCache,
}

impl Gateway {
    pub fn new(
        bus: Arc<CommandBus>,
        model: Arc<dyn ReadModel>,
        authz: Authorizer,
        master_key: Option<crypto::sealing::MasterKey>,
        metrics: std::sync::Arc<telemetry::Metrics>,
    ) -> Gateway {
        Gateway {
            bus,
            model,
            authz,
            master_key,
            metrics,
            edge: edge::Edge::default(),
            limits: limits::Limits::default(),
            principals: auth::PrincipalCache::default(),
            keys: oidc::KeyRing::default(),
            clients: oidc::client_cache::ClientCache::default(),
            revoked: oidc::revoked::RevokedCache::default(),
            documents: oidc::discovery::Documents::default(),
            dpop_proofs: oidc::dpop::SeenProofs::default(),
            app_key_sets: oidc::app_jwks::AppKeySets::default(),
            providers: oidc::idp_client::Providers::default(),
            actions: action_hooks::ActionCache::default(),
        }
    }

    /// Bytes the caches hold, as weighed.
    pub fn cache_bytes(&self) -> usize {
        self.principals.bytes()
            + self.clients.bytes()
            + self.revoked.bytes()
            + self.keys.cache_bytes()
            + self.documents.bytes()
            + self.actions.bytes()
    }

    /// The same gateway, reached from outside as `edge` says, with these rate limits.
    pub fn with_edge(self, edge: edge::Edge, limits: &limits::LimitOptions) -> Gateway {
        Gateway {
            edge,
            limits: limits::Limits::new(limits),
            ..self
        }
    }
}

/// Registers the operator's endpoints (`/metrics`) on the admin listener's app: never on the
/// public one.
pub fn admin(gateway: Arc<Gateway>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::from(gateway))
            .route("/metrics", web::get().to(metrics::metrics));
    }
}

/// Registers the API on an actix-web app.
pub fn configure(gateway: Arc<Gateway>) -> impl FnOnce(&mut web::ServiceConfig) {
    let doc = openapi::document();
    move |cfg| {
        cfg.app_data(web::Data::from(gateway))
            .app_data(
                web::QueryConfig::default().error_handler(|e, _| http_error::query_error(e).into()),
            )
            .app_data(web::PayloadConfig::default().limit(body::LIMIT))
            .route(
                "/openapi.json",
                web::get().to(move || {
                    let doc = doc.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(doc)
                    }
                }),
            );
        oidc::configure(cfg);
        console::configure(cfg);
        saml::configure(cfg);
        scim::configure(cfg);
        // Authentication runs before anything reads the request, so a caller without a
        // valid token learns nothing but 401 (not even whether their body was valid), and
        // calls no action.
        cfg.service(
            web::scope("/v1/system")
                .wrap(from_fn(auth::system_auth))
                .configure(routes::system::configure),
        )
        .service(
            web::scope("/v1")
                .wrap(from_fn(action_hooks::rest::around))
                .wrap(from_fn(auth::instance_auth))
                .configure(routes::configure),
        );
    }
}
