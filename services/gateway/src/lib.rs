//! The edge gateway: resolves the instance from `Host`, authenticates, checks the permission,
//! and dispatches a command or runs a query. Handlers hold no logic of their own.

mod auth;
mod http_error;
mod routes;

use std::sync::Arc;

use actix_web::web;
use authz::Authorizer;
use command::CommandBus;
use readmodel::SqliteReadModel;

pub use auth::token_hash;
pub use http_error::ApiError;

/// What every handler reaches.
pub struct Gateway {
    pub bus: Arc<CommandBus>,
    pub model: SqliteReadModel,
    pub authz: Authorizer,
}

/// Registers the API on an actix-web app.
pub fn configure(gateway: Arc<Gateway>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::from(gateway))
            .app_data(
                web::JsonConfig::default()
                    .limit(1 << 20)
                    .error_handler(|e, _| http_error::json_error(e).into()),
            )
            .app_data(
                web::QueryConfig::default().error_handler(|e, _| http_error::query_error(e).into()),
            );
        routes::configure(cfg);
    }
}
