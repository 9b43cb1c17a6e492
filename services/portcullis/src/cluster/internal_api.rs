//! The internal API of command nodes: `POST /internal/v1/forward` takes a forwarded request
//! from another node of the cluster and answers `Result<Reply, Error>`, both JSON in a versioned
//! envelope (`placement::encode`), the answer in the request's version; a message of a version
//! this release does not speak is answered with `CLUSTER-0003` naming the ones it does, never
//! misread.
//! Only nodes holding the cluster's master key can call it: the bearer token is derived from
//! it and compared in constant time. `GET /metrics` serves the node's metrics.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use command::placement::Request;
use command::CommandBus;
use domain::validate::same_secret;

use super::placement::{decode, encode, encode_as, FORWARD_PATH, MAX_BODY};

pub struct Internal {
    pub bus: Arc<CommandBus>,
    pub token: String,
    pub metrics: Arc<telemetry::Metrics>,
    pub log: Arc<eventlog::kafka::cluster::ClusterLog>,
}

/// Adds the internal API to an app.
pub fn configure(internal: Arc<Internal>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::from(internal))
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .route(FORWARD_PATH, web::post().to(forward))
            .route("/metrics", web::get().to(metrics));
    }
}

/// `GET /metrics` of a command node: its commands, appends and actors.
async fn metrics(internal: web::Data<Internal>) -> HttpResponse {
    let text = internal.metrics.render(&telemetry::Scrape {
        live_actors: internal.bus.live_actors() as u64,
        log_head: internal.log.served_heads(),
        applied_position: 0,
        projection_lag_seconds: 0.0,
        password_queue: internal.bus.password_queue(),
        cache_bytes: 0,
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}

async fn forward(
    internal: web::Data<Internal>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| same_secret(t, &internal.token));
    if !authorized {
        return HttpResponse::Unauthorized().body("the internal API needs the cluster's token");
    }
    let (version, request): (u16, Request) = match decode(&body) {
        Ok(r) => r,
        // The sender reads the refusal as any answer, in this release's envelope: a sender of
        // the next release reads it, and writes again in this one's version.
        Err(e) => {
            return match encode(&Err::<command::placement::Reply, _>(e)) {
                Ok(bytes) => HttpResponse::Ok()
                    .content_type("application/json")
                    .body(bytes),
                Err(e) => HttpResponse::BadRequest().body(e.message),
            }
        }
    };
    let answer = internal.bus.serve(request).await;
    match encode_as(version, &answer) {
        Ok(bytes) => HttpResponse::Ok()
            .content_type("application/json")
            .body(bytes),
        Err(e) => HttpResponse::InternalServerError().body(e.message),
    }
}
